"""Forms for the centre's records, one per section of the examcentre.centre/1 document.

Field names follow the document's keys, so that a problem the exchange parser reports at a
JSON path (``examiners[2].filings[0].filed_on``) is shown on the field it concerns.
Each form converts to and from its part of the document.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, NumberRange, Optional

from ..formfields import MultiCheckboxField, choices
from .exchange import KNOWN_TITLES

DRIVER_BRIDGE = "Q2(限桥式起重机)"
ITEM_CHOICES = [
    ("Q1", _l("Q1 crane signaller")),
    (DRIVER_BRIDGE, _l("Q2 crane driver (bridge crane)")),
]
EMPLOYMENT_CHOICES = choices([("full_time", _l("Full-time")), ("part_time", _l("Part-time"))])
REQUIRED = _l("This field is required.")
WHOLE = _l("Enter a whole number of 0 or more.")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _optional_date(label) -> DateField:
    return DateField(label, validators=[Optional()], format="%Y-%m-%d")


def _count(label) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, message=WHOLE)])


class OrganisationForm(FlaskForm):
    name = StringField(_l("Centre name"), validators=[DataRequired(message=REQUIRED)])
    items = MultiCheckboxField(_l("Items examined"), choices=ITEM_CHOICES)
    department_name = StringField(_l("Exam department"))
    department_head = StringField(_l("Head of the department"))
    department_established_on = _optional_date(_l("Department established on"))
    landline = StringField(_l("Fixed (landline) telephone"))
    office_address = StringField(_l("Office address"))
    planned_annual_volume = _count(_l("Planned annual exam volume (candidates)"))
    examined_last_12_months = _count(_l("Candidates examined in the last 12 months"))

    section = ""  # problems anywhere in the document may concern this form

    def load(self, document: dict[str, Any]) -> None:
        centre = document.get("centre", {})
        department = centre.get("department") or {}
        self.name.data = centre.get("name")
        self.items.data = centre.get("items", [])
        self.department_name.data = department.get("name")
        self.department_head.data = department.get("head")
        self.department_established_on.data = _date(department.get("established_on"))
        self.landline.data = centre.get("landline")
        self.office_address.data = centre.get("office_address")
        self.planned_annual_volume.data = centre.get("planned_annual_volume")
        volume = document.get("volume_history") or {}
        self.examined_last_12_months.data = volume.get("examined_last_12_months")

    def apply(self, document: dict[str, Any]) -> None:
        centre = document["centre"]
        centre["name"] = self.name.data.strip()
        centre["items"] = list(self.items.data or [])
        department = {
            "name": (self.department_name.data or "").strip() or None,
            "head": (self.department_head.data or "").strip() or None,
            "established_on": _iso(self.department_established_on.data),
        }
        centre["department"] = {k: v for k, v in department.items() if v} or None
        for key in ("landline", "office_address"):
            centre[key] = (getattr(self, key).data or "").strip() or None
        centre["planned_annual_volume"] = self.planned_annual_volume.data
        if self.examined_last_12_months.data is None:
            document.pop("volume_history", None)
        else:
            document["volume_history"] = {
                "examined_last_12_months": self.examined_last_12_months.data
            }
        _drop_none(centre)

    def field_for(self, path: str):
        mapping = {
            "centre.name": self.name,
            "centre.items": self.items,
            "centre.department.name": self.department_name,
            "centre.department.head": self.department_head,
            "centre.department.established_on": self.department_established_on,
            "centre.landline": self.landline,
            "centre.office_address": self.office_address,
            "centre.planned_annual_volume": self.planned_annual_volume,
            "volume_history.examined_last_12_months": self.examined_last_12_months,
        }
        return next((f for p, f in mapping.items() if path.startswith(p)), None)


def _drop_none(mapping: dict[str, Any]) -> None:
    for key in [k for k, v in mapping.items() if v is None]:
        del mapping[key]


class PeriodForm(Form):
    start = _optional_date(_l("From"))
    end = _optional_date(_l("To (empty: ongoing)"))


class FilingForm(Form):
    item = SelectField(_l("Item"), choices=ITEM_CHOICES)
    reference = StringField(_l("Filing reference"))
    filed_on = _optional_date(_l("Filed on"))
    expires_on = _optional_date(_l("Expires on (empty: no expiry)"))


class ListItemForm(FlaskForm):
    """One entry of a list section; subclasses map their fields to the entry's keys."""

    keys: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()

    def load(self, entry: dict[str, Any]) -> None:
        for key in self.keys:
            value = entry.get(key)
            getattr(self, key).data = _date(value) if key in self.dates else value

    def entry(self) -> dict[str, Any]:
        result = {}
        for key in self.keys:
            value = getattr(self, key).data
            if key in self.dates:
                value = _iso(value)
            elif isinstance(value, str):
                value = value.strip() or None
            if value is not None:
                result[key] = value
        return result

    def field_for(self, path: str):
        """``staff[1].name`` -> the name field (the index is this form's entry)."""
        _index, _dot, rest = path.partition("].")
        return getattr(self, rest.split(".")[0].split("[")[0], None) if rest else None


class StaffForm(ListItemForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED)])
    employment = SelectField(_l("Employment"), choices=EMPLOYMENT_CHOICES)
    roles = StringField(_l("Duties (comma-separated)"))
    active = BooleanField(_l("Currently working at the centre"), default=True)
    started_on = _optional_date(_l("Started on"))
    ended_on = _optional_date(_l("Ended on"))

    keys = ("name", "employment", "active", "started_on", "ended_on")
    dates = ("started_on", "ended_on")

    def load(self, entry: dict[str, Any]) -> None:
        super().load(entry)
        self.roles.data = "、".join(entry.get("roles", []))

    def entry(self) -> dict[str, Any]:
        result = super().entry()
        result["active"] = bool(self.active.data)
        roles = (self.roles.data or "").replace("、", ",").replace("，", ",").split(",")
        result["roles"] = [r.strip() for r in roles if r.strip()]
        return result


class ExaminerForm(ListItemForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED)])
    employment = SelectField(_l("Employment"), choices=EMPLOYMENT_CHOICES)
    items = MultiCheckboxField(_l("Items examined"), choices=ITEM_CHOICES)
    title = SelectField(
        _l("Professional title"), choices=choices((t, t) for t in sorted(KNOWN_TITLES))
    )
    practical_experience = FieldList(FormField(PeriodForm), label=_l("Practical experience"))
    teaching_experience = FieldList(FormField(PeriodForm), label=_l("Teaching experience"))
    filings = FieldList(FormField(FilingForm), label=_l("Filings with the authority (备案)"))

    keys = ("name", "employment", "items", "title")

    def load(self, entry: dict[str, Any]) -> None:
        super().load(entry)
        for key in ("practical_experience", "teaching_experience"):
            for period in entry.get(key, []):
                getattr(self, key).append_entry(
                    {"start": _date(period.get("from")), "end": _date(period.get("to"))}
                )
        for filing in entry.get("filings", []):
            self.filings.append_entry(
                {
                    "item": filing.get("item"),
                    "reference": filing.get("reference"),
                    "filed_on": _date(filing.get("filed_on")),
                    "expires_on": _date(filing.get("expires_on")),
                }
            )

    def add_blank_rows(self) -> None:
        """One empty row per list, so that a period or filing can be added without script."""
        for field in (self.practical_experience, self.teaching_experience, self.filings):
            field.append_entry()

    def entry(self) -> dict[str, Any]:
        result = super().entry()
        result["items"] = list(self.items.data or [])
        for key in ("practical_experience", "teaching_experience"):
            result[key] = [
                {"from": _iso(row.start.data), "to": _iso(row.end.data)}
                for row in getattr(self, key)
                if row.start.data or row.end.data
            ]
        result["filings"] = [
            {
                k: v
                for k, v in {
                    "item": row.item.data,
                    "reference": (row.reference.data or "").strip() or None,
                    "filed_on": _iso(row.filed_on.data),
                    "expires_on": _iso(row.expires_on.data),
                }.items()
                if v is not None or k == "expires_on"
            }
            for row in self.filings
            if row.reference.data or row.filed_on.data
        ]
        return result

    def field_for(self, path: str):
        # examiners[0].practical_experience[1].from -> practical_experience[1].start
        _index, _dot, rest = path.partition("].")
        head = rest.split(".")[0]
        name, _bracket, index = head.partition("[")
        field = getattr(self, name, None)
        if isinstance(field, FieldList) and index.rstrip("]").isdigit():
            row = int(index.rstrip("]"))
            sub = rest.split(".", 1)[1] if "." in rest else ""
            sub = {"from": "start", "to": "end"}.get(sub, sub)
            if row < len(field.entries):
                return getattr(field.entries[row].form, sub, field)
        return field


class TerminalForm(ListItemForm):
    id = StringField(_l("Terminal label"), validators=[DataRequired(message=REQUIRED)])
    location = StringField(_l("Location"))
    status = SelectField(
        _l("Status"),
        choices=choices([("working", _l("Working")), ("out_of_service", _l("Out of service"))]),
    )

    keys = ("id", "location", "status")


class EquipmentForm(ListItemForm):
    id = StringField(_l("Equipment label"), validators=[DataRequired(message=REQUIRED)])
    type = SelectField(
        _l("Type"),
        choices=choices(
            [
                ("bridge_crane", _l("Bridge crane")),
                ("jib_crane", _l("Jib crane")),
                ("simulator", _l("Crane simulator")),
            ]
        ),
    )
    status = SelectField(
        _l("Status"),
        choices=choices(
            [
                ("in_service", _l("In service")),
                ("out_of_service", _l("Out of service")),
            ]
        ),
    )
    has_cab = BooleanField(_l("Has an operator's cab (bridge crane)"))
    registration_no = StringField(_l("Registration number"))
    next_inspection_due = _optional_date(_l("Next periodic inspection due"))
    luffing = BooleanField(_l("Luffing (jib crane)"))
    slewing = BooleanField(_l("Slewing (jib crane)"))
    modules = MultiCheckboxField(
        _l("Simulator modules"),
        choices=choices(
            [
                ("obstacle_run", _l("Obstacle run (绕障搬运)")),
                ("fixed_point_drop", _l("Fixed-point drop (定点落物)")),
            ]
        ),
    )

    keys = ("id", "type", "status", "registration_no", "next_inspection_due")
    dates = ("next_inspection_due",)

    def load(self, entry: dict[str, Any]) -> None:
        super().load(entry)
        self.has_cab.data = bool(entry.get("has_cab"))
        self.luffing.data = bool(entry.get("luffing"))
        self.slewing.data = bool(entry.get("slewing"))
        self.modules.data = entry.get("modules", [])

    def entry(self) -> dict[str, Any]:
        result = super().entry()
        kind = result.get("type")
        if kind == "bridge_crane":
            result["has_cab"] = bool(self.has_cab.data)
        elif kind == "jib_crane":
            result["luffing"] = bool(self.luffing.data)
            result["slewing"] = bool(self.slewing.data)
        elif kind == "simulator":
            result["modules"] = list(self.modules.data or [])
        return result


class PracticalFieldForm(ListItemForm):
    name = StringField(_l("Field name"), validators=[DataRequired(message=REQUIRED)])
    area_m2 = FloatField(
        _l("Area (m²)"),
        validators=[
            DataRequired(message=REQUIRED),
            NumberRange(min=0, message=_l("Enter an area of 0 or more.")),
        ],
    )

    keys = ("name", "area_m2")


class FieldKitForm(FlaskForm):
    bump_poles_with_signs = _count(_l("Bump poles with warning signs"))
    warning_lines = BooleanField(_l("Field warning lines"))
    safety_facilities = BooleanField(_l("Safety protection facilities"))
    signal_flags = _count(_l("Standard signal flags"))
    whistles = _count(_l("Signal whistles"))
    signal_wall_chart = BooleanField(_l("Crane signal wall chart (起重吊运指挥信号图解)"))
    helmets = _count(_l("Safety helmets"))
    gloves = _count(_l("Protective gloves"))
    vests = _count(_l("High-visibility vests"))

    section = "field_kit"
    counts = ("bump_poles_with_signs", "signal_flags", "whistles")
    flags = ("warning_lines", "safety_facilities", "signal_wall_chart")
    ppe = ("helmets", "gloves", "vests")

    def load(self, document: dict[str, Any]) -> None:
        kit = document.get("field_kit") or {}
        for key in self.counts + self.flags:
            getattr(self, key).data = kit.get(key)
        for key in self.ppe:
            getattr(self, key).data = (kit.get("ppe") or {}).get(key)

    def apply(self, document: dict[str, Any]) -> None:
        previous_ppe = (document.get("field_kit") or {}).get("ppe") or {}
        kit: dict[str, Any] = {k: getattr(self, k).data for k in self.counts}
        kit.update({k: bool(getattr(self, k).data) for k in self.flags})
        # Kinds of PPE the form does not show (from an import) are kept as they were.
        ppe = {k: v for k, v in previous_ppe.items() if k not in self.ppe}
        ppe.update(
            {k: getattr(self, k).data for k in self.ppe if getattr(self, k).data is not None}
        )
        kit["ppe"] = ppe
        _drop_none(kit)
        document["field_kit"] = kit

    def field_for(self, path: str):
        tail = path.removeprefix("field_kit.").removeprefix("ppe.")
        return getattr(self, tail, None)


class SiteForm(FlaskForm):
    tenure = SelectField(
        _l("Tenure"), choices=choices([("owned", _l("Owned")), ("leased", _l("Leased"))])
    )
    lease_start = _optional_date(_l("Lease start"))
    lease_end = _optional_date(_l("Lease end (last day)"))

    section = "site"

    def load(self, document: dict[str, Any]) -> None:
        site = document.get("site") or {}
        self.tenure.data = site.get("tenure", "owned")
        self.lease_start.data = _date(site.get("lease_start"))
        self.lease_end.data = _date(site.get("lease_end"))

    def apply(self, document: dict[str, Any]) -> None:
        site = dict(document.get("site") or {})
        site["tenure"] = self.tenure.data
        site["lease_start"] = _iso(self.lease_start.data) if self.tenure.data == "leased" else None
        site["lease_end"] = _iso(self.lease_end.data) if self.tenure.data == "leased" else None
        site.setdefault("practical_fields", [])
        _drop_none(site)
        document["site"] = site

    def field_for(self, path: str):
        return getattr(self, path.removeprefix("site.").split(".")[0], None)


# List sections: URL name -> (document path, entry form, where the list lives).
LIST_SECTIONS: dict[str, tuple[type[ListItemForm], tuple[str, ...]]] = {
    "staff": (StaffForm, ("staff",)),
    "examiners": (ExaminerForm, ("examiners",)),
    "terminals": (TerminalForm, ("terminals",)),
    "equipment": (EquipmentForm, ("equipment",)),
    "fields": (PracticalFieldForm, ("site", "practical_fields")),
}
SINGLE_SECTIONS: dict[str, type[FlaskForm]] = {
    "organisation": OrganisationForm,
    "field-kit": FieldKitForm,
    "site": SiteForm,
}
