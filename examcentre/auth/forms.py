"""Sign-in and account forms. Every error names its field and says what is wrong."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from ..clock import centre_today
from ..formfields import choices
from ..idnumber import IdNumberProblem, InvalidIdNumber, parse_id_number
from ..models import CENTRE_STAFF_ROLES

MIN_PASSWORD_LENGTH = 10


def explain_id_problem(error: InvalidIdNumber) -> str:
    """A message for the person typing the number, in their language."""
    problem, detail = error.problem, error.detail
    if problem is IdNumberProblem.EMPTY:
        return _("Enter the resident ID number.")
    if problem is IdNumberProblem.OLD_15_DIGIT:
        return _("This is an old 15-digit number. Enter the 18-character resident ID number.")
    if problem is IdNumberProblem.WRONG_LENGTH:
        return _("A resident ID number has 18 characters; this one has %(count)s.", count=detail)
    if problem is IdNumberProblem.BAD_CHARACTER:
        position, _sep, char = detail.partition(":")
        return _(
            "Character %(position)s (“%(char)s”) is not allowed: the first 17 characters"
            " are digits and the last is a digit or X.",
            position=position,
            char=char,
        )
    if problem is IdNumberProblem.UNKNOWN_REGION:
        return _("The number starts with %(code)s, which is not a province code.", code=detail)
    if problem is IdNumberProblem.BAD_BIRTH_DATE:
        return _("Characters 7 to 14 (%(digits)s) are not a valid date of birth.", digits=detail)
    if problem is IdNumberProblem.BIRTH_DATE_IN_FUTURE:
        return _("The date of birth in the number (%(date)s) is in the future.", date=detail)
    return _(
        "The last character does not match the rest of the number (check digit)."
        " Check the number for a typing error."
    )


class ResidentIdNumber:
    """WTForms validator: a valid GB 11643 number. Normalises the field's data in place."""

    def __call__(self, form, field) -> None:
        try:
            field.data = parse_id_number(field.data or "", on=centre_today()).number
        except InvalidIdNumber as error:
            raise ValidationError(explain_id_problem(error)) from None


class StaffLoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Enter your username."))],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class TerminalLoginForm(FlaskForm):
    ticket_number = StringField(
        _l("Admission ticket number"),
        validators=[DataRequired(message=_l("Enter the number printed on your admission ticket."))],
        render_kw={"autocomplete": "off", "autofocus": True, "inputmode": "numeric"},
    )
    id_number = StringField(
        _l("Resident ID number"),
        validators=[ResidentIdNumber()],
        render_kw={"autocomplete": "off", "maxlength": 22},
    )


class UserCreateForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=_l("Choose a username.")),
            Length(min=3, max=64, message=_l("Use 3 to 64 characters.")),
            Regexp(
                r"^[A-Za-z0-9._-]+$",
                message=_l("Use only letters, digits, dots, hyphens and underscores."),
            ),
        ],
    )
    display_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Enter the person's name.")),
            Length(max=100, message=_l("Use at most 100 characters.")),
        ],
    )
    role = SelectField(_l("Role"), choices=[])
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(message=_l("Choose an initial password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from ..web.labels import role_label

        self.role.choices = choices((role.value, role_label(role)) for role in CENTRE_STAFF_ROLES)


class ReasonForm(FlaskForm):
    """Confirmation of a consequential change; the reason goes into the audit log."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Give a reason; it is kept in the audit log.")),
            Length(max=500, message=_l("Use at most 500 characters.")),
        ],
    )
