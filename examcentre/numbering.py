"""Per-centre running numbers (application SQ…, appeal case SS…) that survive two desks
entering at the same moment.

The number is the centre's count of rows plus one. Two transactions can count alike; the
unique (centre_id, number) constraint then refuses the second insert, and this module
takes the next number inside a savepoint instead of failing the whole request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .extensions import db

ATTEMPTS = 5


class NoFreeNumber(RuntimeError):
    """Every number tried was taken (only under heavy, sustained contention)."""


def add_with_running_number(row: Any, make_number: Callable[[int], str]) -> None:
    """Add ``row`` (a model with ``centre_id`` and ``number``) with the first free number
    ``make_number(n)``, n counting from the centre's rows + 1; flushed on return."""
    model = type(row)
    for attempt in range(ATTEMPTS):
        count = db.session.scalar(
            select(func.count()).select_from(model).where(model.centre_id == row.centre_id)
        )
        row.number = make_number(count + 1 + attempt)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue
        return
    raise NoFreeNumber(f"{model.__tablename__}: no free number after {ATTEMPTS} attempts")
