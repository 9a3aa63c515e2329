"""Forms of the appeal pages; field names match ``AppealError.field``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..formfields import choices

REQUIRED = _l("This field is required.")
TYPE_LABELS = {
    "score_theory": _l("Score review: theory"),
    "score_practical": _l("Score review: practical"),
    "conduct": _l("Complaint about exam conduct"),
    "other": _l("Other"),
}
STATE_LABELS = {
    "received": _l("Received"),
    "assessed": _l("Assessed"),
    "assigned": _l("Assigned"),
    "remedy_proposed": _l("Remedy proposed"),
    "remedy_approved": _l("Remedy approved"),
    "answered": _l("Answered"),
    "acknowledged": _l("Acknowledged"),
    "followed_up": _l("Followed up"),
    "closed": _l("Closed"),
}
OUTCOME_LABELS = {
    "upheld": _l("Upheld"),
    "partly_upheld": _l("Partly upheld"),
    "not_upheld": _l("Not upheld"),
    "invalid": _l("Not admissible"),
    "open": _l("Open"),
}
ACTION_LABELS = {
    "assess": _l("Record the assessment"),
    "assign": _l("Assign"),
    "propose": _l("Propose the remedy"),
    "approve": _l("Approve the remedy"),
    "send_back": _l("Send the remedy back"),
    "answer": _l("Record the answer"),
    "acknowledge": _l("Candidate acknowledged"),
    "follow_up": _l("Record the follow-up"),
    "close": _l("Close the case"),
}


class CaseForm(FlaskForm):
    case_type = SelectField(_l("Kind of case"), choices=choices(TYPE_LABELS.items()))
    complainant_name = StringField(
        _l("Candidate or complainant"), validators=[DataRequired(message=REQUIRED), Length(max=100)]
    )
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=100)])
    ticket = StringField(
        _l("Admission ticket number"),
        validators=[Optional(), Length(max=32)],
        description=_l("Required for a score review."),
    )
    received_on = DateField(
        _l("Received on"), validators=[DataRequired(message=_l("Enter a date."))]
    )
    language = SelectField(
        _l("Language of the answer letter"), choices=choices([("zh", "中文"), ("en", "English")])
    )
    summary = TextAreaField(
        _l("What the case is about"),
        validators=[DataRequired(message=REQUIRED), Length(max=4000)],
    )


class StepForm(FlaskForm):
    """Every step's inputs; the view passes on what the step needs."""

    valid = SelectField(
        _l("Valid?"),
        choices=choices([("", "—"), ("yes", _l("Valid")), ("no", _l("Not valid"))]),
        validate_choice=False,  # each step checks only what it uses (operations)
    )
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    handler = SelectField(_l("Handler"), choices=[], validate_choice=False)
    remedy = TextAreaField(_l("Remedy"), validators=[Optional(), Length(max=4000)])
    outcome = SelectField(
        _l("Outcome"),
        choices=choices([(k, v) for k, v in OUTCOME_LABELS.items() if k not in ("open",)]),
        validate_choice=False,
    )
    answer = TextAreaField(_l("Answer to the candidate"), validators=[Optional(), Length(max=4000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class ReviewForm(FlaskForm):
    position = IntegerField(
        _l("Question number with a wrong key"),
        validators=[Optional(), NumberRange(min=1, message=_l("A question number."))],
        description=_l("Leave empty to re-grade with the keys as they are."),
    )
    answer = StringField(_l("Correct key"), validators=[Optional(), Length(max=8)])
    reason = TextAreaField(_l("Why the key is wrong"), validators=[Optional(), Length(max=1000)])
