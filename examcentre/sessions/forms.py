"""Forms of the exam-session pages. Field names match ``SessionError.field``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..auth.forms import ReasonForm, ResidentIdNumber
from ..compliance.forms import ITEM_CHOICES
from ..formfields import MultiCheckboxField, choices

REQUIRED = _l("This field is required.")


class SessionForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=choices([("theory", _l("Theory exam")), ("practical", _l("Practical exam"))]),
        default="theory",
    )
    item = SelectField(_l("Item"), choices=choices(ITEM_CHOICES))
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a date."))])
    starts_at = TimeField(_l("Start time"), validators=[DataRequired(message=_l("Enter a time."))])
    ends_at = TimeField(_l("End time"), validators=[DataRequired(message=_l("Enter a time."))])
    room = StringField(_l("Room"), validators=[DataRequired(message=REQUIRED), Length(max=100)])
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            DataRequired(message=_l("Enter a whole number of at least 1.")),
            NumberRange(min=1, message=_l("Enter a whole number of at least 1.")),
        ],
    )
    terminals = MultiCheckboxField(_l("Terminals"), coerce=int, choices=[])
    invigilators = MultiCheckboxField(_l("Invigilators"), coerce=int, choices=[])
    # Practical sessions only.
    equipment = SelectField(
        _l("Crane (from the centre's equipment records)"), choices=[], validate_choice=False
    )
    examiners = MultiCheckboxField(_l("Examiners"), coerce=int, choices=[])
    lead = SelectField(_l("Lead examiner"), coerce=int, choices=[], validate_choice=False)


class EnrolForm(FlaskForm):
    id_number = StringField(
        _l("Resident ID number"),
        validators=[DataRequired(message=REQUIRED), ResidentIdNumber()],
    )
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), Length(max=100)])
    employer = StringField(_l("Employer"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    application_no = StringField(_l("Application number"), validators=[Optional(), Length(max=40)])


class RosterUploadForm(FlaskForm):
    roster = FileField(
        _l("Roster file (CSV or XLSX)"), validators=[FileRequired(message=_l("Choose a file."))]
    )


class RosterConfirmForm(FlaskForm):
    filename = HiddenField()
    data = HiddenField()


class SeatForm(ReasonForm):
    terminal = SelectField(_l("Terminal"), coerce=int, choices=[])


class StateForm(FlaskForm):
    """Confirm a state change; the reason is required only to cancel (checked by the view)."""

    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
