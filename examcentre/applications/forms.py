"""Forms of the application pages. Field names match ``ApplicationError.field`` and the
upload fields' names match ``UploadError.field``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..auth.forms import ResidentIdNumber
from ..formfields import choices
from .rules import KNOWN_ITEMS

REQUIRED = _l("This field is required.")
EDUCATION_CHOICES = [
    ("", _l("— not given —")),
    ("primary", _l("Primary school")),
    ("junior", _l("Junior secondary")),
    ("senior", _l("Senior secondary / vocational")),
    ("college", _l("College or higher")),
]
DOCUMENT_FIELDS = {
    "photo": _l("ID photo (JPEG or PNG)"),
    "id_card": _l("Copy of the resident ID card"),
    "training": _l("Proof of training"),
    "health": _l("Health declaration or report"),
    "education": _l("Education certificate"),
    "other": _l("Other document"),
}


def item_choices():
    from ..web.labels import item_label

    return choices((item, item_label(item)) for item in KNOWN_ITEMS)


class ApplicationForm(FlaskForm):
    item = SelectField(_l("Item"), choices=[])
    applied_by = SelectField(
        _l("Applied by"),
        choices=choices(
            [
                ("candidate", _l("The candidate")),
                ("employer", _l("The employer, for the candidate")),
            ]
        ),
    )
    id_number = StringField(
        _l("Resident ID number"), validators=[DataRequired(message=REQUIRED), ResidentIdNumber()]
    )
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), Length(max=100)])
    employer = StringField(_l("Employer"), validators=[Optional(), Length(max=200)])
    education = SelectField(_l("Education"), choices=choices(EDUCATION_CHOICES))
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    health_declared = BooleanField(
        _l("The applicant declares no illness or disability that bars crane work")
    )
    health_note = TextAreaField(_l("Health notes"), validators=[Optional(), Length(max=1000)])
    training_provider = StringField(
        _l("Training provider"), validators=[Optional(), Length(max=200)]
    )
    training_hours = IntegerField(
        _l("Training hours"),
        validators=[Optional(), NumberRange(min=1, max=2000, message=_l("Between 1 and 2000."))],
    )
    training_completed_on = DateField(_l("Training completed on"), validators=[Optional()])
    photo = FileField(DOCUMENT_FIELDS["photo"])
    id_card = FileField(DOCUMENT_FIELDS["id_card"])
    training = FileField(DOCUMENT_FIELDS["training"])
    health = FileField(DOCUMENT_FIELDS["health"])


class DocumentsForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), choices=[])
    document = FileField(_l("File (JPEG, PNG or PDF)"))


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class EnrolApplicationForm(FlaskForm):
    session = SelectField(_l("Session"), coerce=int, choices=[])
