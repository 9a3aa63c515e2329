"""The form for the compliance settings (every DEFAULT reading of compliance-rules.md)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..formfields import MultiCheckboxField, choices
from .exchange import KNOWN_TITLES
from .model import ComplianceSettings

WHOLE = _l("Enter a whole number of 0 or more.")


def _whole(label, minimum: int = 0) -> IntegerField:
    return IntegerField(
        label, validators=[InputRequired(message=WHOLE), NumberRange(min=minimum, message=WHOLE)]
    )


class SettingsForm(FlaskForm):
    terminal_base = _whole(_l("Minimum exam terminals (R-TERM)"))
    terminal_step = _whole(_l("Terminals added per full annual-volume threshold (R-TERM)"))
    volume_threshold = _whole(_l("Annual-volume threshold, inclusive (R-VOL)"), minimum=1)
    accepted_titles = MultiCheckboxField(
        _l("Titles that qualify an examiner (R-EXAM-Q)"),
        choices=choices((t, t) for t in sorted(KNOWN_TITLES)),
    )
    strict_examiner_overlap = BooleanField(
        _l("One examiner counts for only one item, driver or signaller (R-EXAM-Q)")
    )
    min_practical_months = _whole(_l("Minimum practical experience, months (R-EXAM-Q)"))
    min_teaching_months = _whole(_l("Minimum teaching experience, months (R-EXAM-Q)"))
    long_lease_years = _whole(_l("A long-term lease runs at least, years (R-SITE-1)"))
    lease_min_months_remaining = _whole(_l("Months the lease must still run (R-SITE-1)"))
    warning_days = _whole(_l("Warn this many days before something lapses"))
    coverage_factor = _whole(_l("Question-bank coverage factor (R-BANK)"))
    min_field_area_m2 = FloatField(
        _l("Minimum practical field area, m² (R-SITE-2)"),
        validators=[InputRequired(message=WHOLE), NumberRange(min=0, message=WHOLE)],
    )
    ppe_required = StringField(_l("Protective equipment required, comma-separated (R-PPE)"))
    mobile_counts_as_landline = BooleanField(
        _l("A mobile number counts as a fixed telephone (R-ORG-2)")
    )
    block_sessions = BooleanField(
        _l("Refuse to open exam sessions while the centre is not compliant")
    )
    reason = TextAreaField(
        _l("Reason for the change"),
        validators=[
            DataRequired(message=_l("Give a reason; it is kept in the audit log.")),
            Length(max=500, message=_l("Use at most 500 characters.")),
        ],
    )

    numbers = (
        "terminal_base",
        "terminal_step",
        "volume_threshold",
        "min_practical_months",
        "min_teaching_months",
        "long_lease_years",
        "lease_min_months_remaining",
        "warning_days",
        "coverage_factor",
        "min_field_area_m2",
    )
    flags = ("strict_examiner_overlap", "mobile_counts_as_landline")

    def load(self, settings: ComplianceSettings, block: bool) -> None:
        for name in self.numbers + self.flags:
            getattr(self, name).data = getattr(settings, name)
        self.accepted_titles.data = list(settings.accepted_titles)
        self.ppe_required.data = ", ".join(settings.ppe_required)
        self.block_sessions.data = block

    def settings(self) -> ComplianceSettings:
        """The settings entered; ValueError if they do not make sense together."""
        values = {name: getattr(self, name).data for name in self.numbers}
        values.update({name: bool(getattr(self, name).data) for name in self.flags})
        values["accepted_titles"] = tuple(self.accepted_titles.data or ())
        kinds = (self.ppe_required.data or "").replace("，", ",").replace("、", ",").split(",")
        values["ppe_required"] = tuple(k.strip() for k in kinds if k.strip())
        return ComplianceSettings(**values)
