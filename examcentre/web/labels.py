"""Translated names for the values the UI shows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..models import Role

_ROLE_LABELS = {
    Role.CANDIDATE: _l("Candidate"),
    Role.EXAMINER: _l("Examiner"),
    Role.INVIGILATOR: _l("Invigilator"),
    Role.CENTRE_ADMIN: _l("Centre administrator"),
    Role.AUTHORITY: _l("Certifying authority"),
}

_ACTION_LABELS = {
    "auth.sign_in": _l("Signed in"),
    "auth.sign_in_failed": _l("Sign-in refused"),
    "user.create": _l("Account created"),
    "user.enable": _l("Account enabled"),
    "user.disable": _l("Account disabled"),
    "user.password_reset": _l("Password reset"),
    "centre.create": _l("Centre created"),
    "candidate.register": _l("Candidate registered"),
    "ticket.issue": _l("Admission ticket issued"),
    "audit.verified": _l("Audit chain verified"),
    "audit.verify_failed": _l("Audit chain broken"),
    "bank.load": _l("Bank files loaded"),
    "bank.import": _l("Questions imported"),
    "question.create": _l("Question created"),
    "question.edit": _l("Question edited"),
    "question.submit": _l("Question sent for review"),
    "question.approve": _l("Question approved"),
    "question.return": _l("Question returned to draft"),
    "question.retire": _l("Question retired"),
    "blueprint.create": _l("Blueprint version created"),
    "blueprint.publish": _l("Blueprint published"),
    "papers.generate": _l("Papers generated"),
    "centre_record.save": _l("Centre records saved"),
    "centre_record.terminals": _l("Terminals updated"),
    "compliance.check": _l("Compliance checked"),
    "compliance.settings": _l("Compliance settings changed"),
    "alerts.acknowledge": _l("Alerts acknowledged"),
    "alert.acknowledge": _l("Alert acknowledged"),
    "session.create": _l("Session scheduled"),
    "session.update": _l("Session changed"),
    "session.released": _l("Session released"),
    "session.in_progress": _l("Session started"),
    "session.closed": _l("Session closed"),
    "session.cancelled": _l("Session cancelled"),
    "ticket.seat": _l("Candidate seated"),
    "ticket.checked_in": _l("Candidate checked in"),
    "ticket.absent": _l("Candidate absent"),
    "ticket.admission_refused": _l("Terminal sign-in refused"),
    "terminal.register": _l("Terminal registered"),
    "terminal.unregister": _l("Terminal unregistered"),
    "station.register": _l("Simulator station registered"),
    "application.create": _l("Application recorded"),
    "application.document_add": _l("Application document added"),
    "application.accept": _l("Application accepted"),
    "application.reject": _l("Application rejected"),
    "application.request_more": _l("More material requested"),
    "application.resubmit": _l("Application back to review"),
    "application.withdraw": _l("Application withdrawn"),
    "application.close": _l("Application closed"),
    "application.enrol": _l("Application enrolled in a session"),
    "appeal.open": _l("Case recorded"),
    "appeal.assess": _l("Case assessed"),
    "appeal.assign": _l("Case assigned"),
    "appeal.propose": _l("Remedy proposed"),
    "appeal.approve": _l("Remedy approved"),
    "appeal.send_back": _l("Remedy sent back"),
    "appeal.answer": _l("Case answered"),
    "appeal.acknowledge": _l("Answer acknowledged"),
    "appeal.follow_up": _l("Case followed up"),
    "appeal.close": _l("Case closed"),
    "appeal.review": _l("Score reviewed from the archive"),
    "station.new_secret": _l("Simulator station given a new secret"),
    "station.retire": _l("Simulator station retired"),
    "station.calibration": _l("Simulator calibration recorded"),
    "practical.simulator_mode": _l("Simulator exam setting changed"),
    "simulator_run.accept": _l("Simulator run received"),
}

_AREA_LABELS = {
    "basics": _l("Professional basics"),
    "operation": _l("Safe use and operation"),
    "law": _l("Laws and regulations"),
}
_TYPE_LABELS = {
    "true_false": _l("True/false"),
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
}
_STATUS_LABELS = {
    "draft": _l("Draft"),
    "review": _l("In review"),
    "live": _l("Live"),
    "retired": _l("Retired"),
    "published": _l("Published"),
    "superseded": _l("Superseded"),
}
_DIFFICULTY_LABELS = {1: _l("Easy"), 2: _l("Medium"), 3: _l("Hard")}
_LEVEL_LABELS = {
    "了解": _l("Know (了解)"),
    "理解": _l("Understand (理解)"),
    "掌握": _l("Master (掌握)"),
}
_ITEM_LABELS = {
    "Q1": _l("Q1 crane signaller"),
    "Q2(限桥式起重机)": _l("Q2 crane driver (bridge cranes)"),
}


def area_label(area: str | None) -> str:
    return str(_AREA_LABELS.get(area or "", _l("Untagged")))


def type_label(qtype: str) -> str:
    return str(_TYPE_LABELS.get(qtype, qtype))


def status_label(status: str) -> str:
    return str(_STATUS_LABELS.get(status, status))


def difficulty_label(difficulty: int) -> str:
    return str(_DIFFICULTY_LABELS.get(difficulty, difficulty))


def level_label(level: str | None) -> str:
    return str(_LEVEL_LABELS.get(level or "", level or "—"))


def item_label(item: str) -> str:
    return str(_ITEM_LABELS.get(item, item))


def role_label(role: str) -> str:
    return str(_ROLE_LABELS.get(Role(role), role))


def action_label(action: str) -> str:
    return str(_ACTION_LABELS.get(action, action))
