"""Exam applications: intake, documents, review decisions, enrolment (flush, never commit;
every change audited). The rules live in ``rules`` (pure), the file checks in ``uploads``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.operations import Actor, record
from ..bank.vocab import ITEMS
from ..extensions import db
from ..idnumber import InvalidIdNumber, parse_id_number
from ..models import (
    AdmissionTicket,
    Application,
    ApplicationDocument,
    Candidate,
    Centre,
    ExamSession,
    utcnow,
)
from ..numbering import add_with_running_number
from . import rules, uploads

DOCUMENT_KINDS = ("photo", "id_card", "training", "health", "education", "other")


class ApplicationError(ValueError):
    """A change that cannot be made; ``field`` names the form field concerned."""

    def __init__(self, field: str, message) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ApplicationInput:
    item: str
    applied_by: str
    id_number: str
    name: str
    employer: str | None = None
    education: str | None = None
    phone: str | None = None
    address: str | None = None
    health_declared: bool = False
    health_note: str | None = None
    training_provider: str | None = None
    training_hours: int | None = None
    training_completed_on: date | None = None


def _by(actor: Actor) -> str:
    return f"{actor.type}:{actor.label}"


def _number(on: date) -> Callable[[int], str]:
    return lambda n: f"SQ{on:%Y%m%d}-{n:04d}"


def _store_documents(
    actor: Actor,
    application: Application,
    files: Sequence[tuple[str, uploads.CheckedFile]],
    files_dir: Path,
) -> list[str]:
    """Write every (already checked) file, add its row; returns the stored names so that
    the caller can remove them if the transaction fails."""
    written: list[str] = []
    try:
        for kind, checked in files:
            if kind not in DOCUMENT_KINDS:
                raise ApplicationError(checked.field, _l("Unknown document kind."))
            if kind == "photo" and checked.media_type not in uploads.IMAGE_TYPES:
                raise ApplicationError(checked.field, _l("The photo must be a JPEG or PNG image."))
            name = uploads.store(files_dir, checked)
            written.append(name)
            document = ApplicationDocument(
                centre_id=application.centre_id,
                application=application,
                kind=kind,
                original_name=checked.original_name,
                stored_name=name,
                media_type=checked.media_type,
                size=len(checked.data),
                sha256=checked.sha256,
                uploaded_by=_by(actor),
            )
            db.session.add(document)
            record(
                actor,
                "application.document_add",
                obj=application,
                details={"kind": kind, "name": checked.original_name, "sha256": checked.sha256},
            )
    except Exception:
        uploads.remove(files_dir, written)
        raise
    return written


def create_application(
    actor: Actor,
    centre: Centre,
    data: ApplicationInput,
    files: Sequence[tuple[str, uploads.CheckedFile]],
    files_dir: Path,
    on: date,
) -> tuple[Application, list[str]]:
    """Record an application entered by centre staff (for the candidate or their employer).

    Returns the application and the stored file names (remove them if the commit fails).
    """
    try:
        resident = parse_id_number(data.id_number, on=on)
    except InvalidIdNumber as error:
        raise ApplicationError("id_number", str(error)) from error
    if not data.name.strip():
        raise ApplicationError("name", _l("This field is required."))
    if data.applied_by not in ("candidate", "employer"):
        raise ApplicationError("applied_by", _l("Choose who applies."))
    if data.applied_by == "employer" and not (data.employer or "").strip():
        raise ApplicationError("employer", _l("An employer's application names the employer."))
    application = Application(
        centre_id=centre.id,
        item=data.item,
        applied_by=data.applied_by,
        id_number=resident.number,
        name=data.name.strip(),
        gender=resident.gender,
        birth_date=resident.birth_date,
        employer=(data.employer or "").strip() or None,
        education=data.education or None,
        phone=data.phone or None,
        address=data.address or None,
        health_declared=data.health_declared,
        health_note=data.health_note or None,
        training_provider=data.training_provider or None,
        training_hours=data.training_hours,
        training_completed_on=data.training_completed_on,
        state=rules.ApplicationState.SUBMITTED,
        created_by=_by(actor),
    )
    add_with_running_number(application, _number(on))
    record(
        actor,
        "application.create",
        obj=application,
        details={"number": application.number, "item": data.item, "by": data.applied_by},
    )
    written = _store_documents(actor, application, files, files_dir)
    return application, written


def add_documents(
    actor: Actor,
    application: Application,
    files: Sequence[tuple[str, uploads.CheckedFile]],
    files_dir: Path,
) -> list[str]:
    """More material (e.g. after a request): allowed until the application is decided."""
    if application.state not in (rules.S.SUBMITTED, rules.S.MORE_REQUESTED, rules.S.ACCEPTED):
        raise ApplicationError("documents", _l("This application no longer takes documents."))
    return _store_documents(actor, application, files, files_dir)


def decide(
    actor: Actor,
    application: Application,
    action: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """accept / reject / request_more / resubmit / withdraw / close (``rules.TRANSITIONS``)."""
    if action == "enrol":
        raise ApplicationError("action", _l("Enrol through a session."))
    try:
        target = rules.next_state(application.state, action, reason)
    except rules.TransitionError as error:
        if error.code == "reason_required":
            raise ApplicationError("reason", _l("Give the reason.")) from error
        raise ApplicationError("action", _l("This decision is not possible now.")) from error
    before = application.state
    application.state = target
    if action != "resubmit":
        application.decision_reason = (reason or "").strip() or None
        application.decided_by = _by(actor)
        application.decided_at = now or utcnow()
    record(
        actor,
        f"application.{action}",
        obj=application,
        reason=(reason or "").strip() or None,
        details={"from": before, "to": str(target)},
    )


def other_active_numbers(application: Application) -> list[str]:
    return list(
        db.session.scalars(
            select(Application.number).where(
                Application.centre_id == application.centre_id,
                Application.id_number == application.id_number,
                Application.item == application.item,
                Application.id != application.id,
                Application.state.in_([str(s) for s in rules.ACTIVE_STATES]),
            )
        )
    )


def findings_for(application: Application, on: date) -> list[rules.Finding]:
    """The eligibility verdicts as of ``on``, from the centre's records."""
    from ..sessions.operations import history_for

    centre = db.session.get(Centre, application.centre_id)
    return rules.assess(
        rules.ApplicationFacts(
            id_number=application.id_number,
            item=application.item,
            health_declared=application.health_declared,
            training_hours=application.training_hours,
            training_completed_on=application.training_completed_on,
            education=application.education,
        ),
        on,
        examined_items=ITEMS,
        history=history_for(centre, application.item, None)(application.id_number),
        other_active=other_active_numbers(application),
    )


def enrol_application(
    actor: Actor,
    application: Application,
    session: ExamSession,
    *,
    timezone: str,
    files_dir: Path,
    photos_dir: Path,
) -> AdmissionTicket:
    """Enrol an accepted application in a session: the ticket, the candidate record (by
    ``register_candidate``) and the ID photo all come from the application."""
    from ..sessions.operations import enrol

    if application.state != rules.S.ACCEPTED:
        raise ApplicationError("session", _l("Only an accepted application can be enrolled."))
    if session.centre_id != application.centre_id:
        raise ApplicationError("session", _l("Choose a session of this centre."))
    if session.item != application.item:
        raise ApplicationError("session", _l("The session examines another item."))
    ticket = enrol(
        actor,
        session,
        id_number=application.id_number,
        name=application.name,
        timezone=timezone,
        employer=application.employer,
        phone=application.phone,
        application_no=application.number,
    )
    db.session.flush()
    candidate = db.session.get(Candidate, ticket.candidate_id)
    photo = next((d for d in application.documents if d.kind == "photo"), None)
    if photo is not None and not candidate.photo:
        source = uploads.safe_path(files_dir, photo.stored_name)
        if source is not None:
            photos_dir.mkdir(parents=True, exist_ok=True)
            name = f"app-{photo.stored_name}"
            shutil.copyfile(source, photos_dir / name)
            candidate.photo = name
    rules.next_state(application.state, "enrol")
    application.state = rules.S.ENROLLED
    application.ticket_id = ticket.id
    record(
        actor,
        "application.enrol",
        obj=application,
        details={"session": session.id, "ticket": ticket.number},
    )
    return ticket
