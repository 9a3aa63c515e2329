"""Appending to and verifying the audit log (the only code that writes audit entries)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from ..extensions import db
from ..models import GENESIS_HASH, AuditChainHead, AuditEntry, Centre, utcnow
from .chain import ChainBreak, EntryContent, canonical_json, entry_hash, find_first_break

HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a signed-in person, a station, or the system itself."""

    type: str  # "user", "candidate", "system", "station"
    id: int | None
    label: str
    centre_id: int | None = None


SYSTEM = Actor("system", None, "system")


def actor_from(principal: Any) -> Actor:
    """The audit actor for a signed-in user or candidate ticket (or SYSTEM for None)."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return SYSTEM
    if principal.get_id().startswith("ticket:"):
        return Actor("candidate", principal.id, principal.number, principal.centre_id)
    return Actor("user", principal.id, principal.username, principal.centre_id)


def record(
    actor: Actor,
    action: str,
    *,
    obj: Any = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    centre_id: int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain in the current transaction (writes, never commits).

    ``obj`` is a model instance; its table and id name the object unless given explicitly.
    The entry belongs to ``centre_id``, else the object's centre, else the actor's.
    """
    if obj is not None:
        db.session.flush()  # the object needs its id before we can name it
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
        if centre_id is None:
            centre_id = obj.id if isinstance(obj, Centre) else getattr(obj, "centre_id", None)
    if centre_id is None:
        centre_id = actor.centre_id

    # Lock the head and read it in one statement (see AuditChainHead): what it returns is the
    # latest committed chain, because no other writer can get past the lock until we commit.
    # (UPDATE ... RETURNING: PostgreSQL, SQLite >= 3.35.) The chain's statements are plain
    # Core on the tables: the ORM's bookkeeping for them was a measurable share of a
    # candidate's sign-in, which the whole room does at once (bench/request_cost.py).
    head = db.session.execute(
        update(_HEAD)
        .where(_HEAD.c.id == HEAD_ID)
        .values(seq=_HEAD.c.seq + 1)
        .returning(_HEAD.c.seq, _HEAD.c.last_hash)
    ).first()
    if head is None:
        db.session.add(AuditChainHead(id=HEAD_ID, seq=1, last_hash=GENESIS_HASH))
        db.session.flush()
        head = db.session.execute(
            select(_HEAD.c.seq, _HEAD.c.last_hash).where(_HEAD.c.id == HEAD_ID)
        ).one()

    content = EntryContent(
        seq=head.seq,
        at=utcnow(),
        centre_id=centre_id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        reason=reason,
        details=canonical_json(details or {}),
    )
    digest = entry_hash(head.last_hash, content)
    values = {
        "seq": content.seq,
        "at": content.at,
        "centre_id": content.centre_id,
        "actor_type": content.actor_type,
        "actor_id": content.actor_id,
        "actor_label": content.actor_label,
        "action": content.action,
        "object_type": content.object_type,
        "object_id": content.object_id,
        "reason": content.reason,
        "details": content.details,
        "prev_hash": head.last_hash,
        "hash": digest,
    }
    db.session.execute(insert(_ENTRIES).values(**values))
    db.session.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(last_hash=digest))
    return AuditEntry(**values)  # what was written (not in the session: entries never change)


_HEAD = AuditChainHead.__table__
_ENTRIES = AuditEntry.__table__


def content_of(entry: Any) -> EntryContent:
    """The hashed fields of a stored entry (a model instance or a table row)."""
    return EntryContent(
        seq=entry.seq,
        at=entry.at,
        centre_id=entry.centre_id,
        actor_type=entry.actor_type,
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        reason=entry.reason,
        details=entry.details,
    )


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries_checked: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _all_entries(batch: int = 2000) -> Iterator[tuple[EntryContent, str, str]]:
    # Plain rows (not ORM objects) in seq-ordered batches: a long log never sits in memory
    # at once, and the session's identity map is left alone.
    table = AuditEntry.__table__
    last_seq = 0
    while True:
        rows = db.session.execute(
            select(table).where(table.c.seq > last_seq).order_by(table.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield content_of(row), row.prev_hash, row.hash
        last_seq = rows[-1].seq


def verify_chain() -> ChainReport:
    """Recompute every hash from the stored content; report the first broken link."""
    head_row = db.session.get(AuditChainHead, HEAD_ID)
    head = (head_row.seq, head_row.last_hash) if head_row else (0, GENESIS_HASH)
    checked, first_break = find_first_break(_all_entries(), GENESIS_HASH, head)
    return ChainReport(checked, first_break)
