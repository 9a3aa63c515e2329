"""Hash chaining for the audit log. Pure: plain values in, plain values out.

Each entry's hash is ``SHA-256(prev_hash || canonical content)``, where the canonical
content is the entry's fields as JSON with sorted keys, no insignificant white space and
UTF-8 text. Changing any field of any entry, or removing or reordering entries, changes a
hash that a later entry (or the chain head) has already committed to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class EntryContent:
    """The hashed fields of one audit entry."""

    seq: int
    at: datetime
    centre_id: int | None
    actor_type: str
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str | None
    object_id: str | None
    reason: str | None
    details: str  # canonical JSON text

    def canonical(self) -> str:
        at_utc = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return canonical_json(
            {
                "seq": self.seq,
                "at": at_utc,
                "centre_id": self.centre_id,
                "actor_type": self.actor_type,
                "actor_id": self.actor_id,
                "actor_label": self.actor_label,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "reason": self.reason,
                "details": self.details,
            }
        )


def entry_hash(prev_hash: str, content: EntryContent) -> str:
    """The hash an entry must carry, given the hash of the entry before it."""
    return hashlib.sha256((prev_hash + content.canonical()).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    problem: str  # "hash", "prev_hash", "gap" or "head"
    detail: str


def find_first_break(
    entries: Iterable[tuple[EntryContent, str, str]],
    genesis: str,
    head: tuple[int, str] | None,
) -> tuple[int, ChainBreak | None]:
    """Walk ``(content, prev_hash, hash)`` in seq order; return (entries checked, first break).

    ``head`` is the recorded (seq, last hash) of the chain; None skips that check.
    """
    expected_prev = genesis
    expected_seq = 1
    checked = 0
    for content, prev_hash, stored_hash in entries:
        if content.seq != expected_seq:
            return checked, ChainBreak(
                expected_seq, "gap", f"entry {expected_seq} is missing (next found: {content.seq})"
            )
        if prev_hash != expected_prev:
            return checked, ChainBreak(
                content.seq, "prev_hash", "does not point at the entry before it"
            )
        if entry_hash(prev_hash, content) != stored_hash:
            return checked, ChainBreak(
                content.seq, "hash", "content does not match its hash (edited after writing)"
            )
        expected_prev = stored_hash
        expected_seq += 1
        checked += 1
    if head is not None and head[0] != checked:
        return checked, ChainBreak(
            min(head[0], checked) + 1,
            "head",
            f"the chain head records {head[0]} entries but {checked} were found",
        )
    if head is not None and head[1] != expected_prev:
        return checked, ChainBreak(
            checked, "head", "the chain head's hash does not match the last entry"
        )
    return checked, None
