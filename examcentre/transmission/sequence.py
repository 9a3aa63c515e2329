"""Sitting sequence numbers on an authority hub (pure).

A sitting's ``seq`` is its place (1, 2, ...) among the *current* sittings of the same
candidate (ID number) and item, in order of start time and then sitting id: ``seq > 1`` is a
retake. The hub stores it (``hub_sittings.seq``) so that the period summary reads a column
instead of numbering every sitting ever received (a window over the whole table). It is
kept at ingest for the candidates a batch touches: a retake may arrive before the first
sitting (batches arrive out of order), and a superseding batch re-sends sittings under new
ids, so the whole candidate-and-item group is numbered again, never just the new row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple


class Row(NamedTuple):
    id: int
    id_number: str
    item: str
    starts_at: datetime
    current: bool


def number(rows: Iterable[Row]) -> dict[int, int | None]:
    """Each sitting id's seq; None for a sitting of a superseded batch (it is not counted,
    and must not hold a place a current sitting needs)."""
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    out: dict[int, int | None] = {}
    for row in rows:
        if row.current:
            groups[(row.id_number, row.item)].append(row)
        else:
            out[row.id] = None
    for group in groups.values():
        group.sort(key=lambda r: (r.starts_at, r.id))
        for place, row in enumerate(group, start=1):
            out[row.id] = place
    return out
