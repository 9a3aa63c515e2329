"""Registering candidates (flush, never commit; audited). Tickets: see ``sessions``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..audit.operations import Actor, record
from ..extensions import db
from ..idnumber import parse_id_number
from ..models import Candidate, Centre


def register_candidate(
    actor: Actor,
    centre: Centre,
    *,
    id_number: str,
    name: str,
    on: date,
    employer: str | None = None,
    phone: str | None = None,
) -> Candidate:
    """Add a candidate to the centre, or return the existing record for that ID number.

    Raises ``InvalidIdNumber`` for a bad number; gender and date of birth come from it.
    """
    resident = parse_id_number(id_number, on=on)
    existing = db.session.scalar(
        select(Candidate).where(
            Candidate.centre_id == centre.id, Candidate.id_number == resident.number
        )
    )
    if existing is not None:
        return existing
    candidate = Candidate(
        centre_id=centre.id,
        id_number=resident.number,
        name=name.strip(),
        gender=resident.gender,
        birth_date=resident.birth_date,
        employer=employer,
        phone=phone,
    )
    db.session.add(candidate)
    record(actor, "candidate.register", obj=candidate, details={"name": candidate.name})
    return candidate

