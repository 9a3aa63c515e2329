"""Reading a JSON request body: every problem is collected with its JSON path, then refused
at once, before any operation runs (so nothing is written when any input is wrong).

The checks mirror the schemas in ``openapi.yaml``; ``tests/api`` sends each kind of bad
input and checks the path it is reported at.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from flask import request
from flask_babel import gettext as _

from .errors import ApiError

MISSING = object()


def json_body() -> dict[str, Any]:
    """The request's JSON object, or an ``ApiError`` (415 not JSON, 400 not an object)."""
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", _("Send the request body as application/json.")
        )
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(
            400,
            "invalid_json",
            _("The request body is not valid JSON."),
            [{"path": "$", "message": _("The request body is not valid JSON.")}],
        )
    if not isinstance(data, dict):
        raise ApiError(
            422,
            "invalid_input",
            _("The request body must be a JSON object."),
            [{"path": "$", "message": _("The request body must be a JSON object.")}],
        )
    return data


def utc_iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``: ``2026-11-23T01:00:00Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 date-time with a UTC offset (``Z`` or ``+08:00``), or None."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return None
    return value.astimezone(UTC)


class Body:
    """Reads the keys of one JSON object, collecting problems instead of stopping at the first."""

    def __init__(self, data: dict[str, Any], allowed: Iterable[str], prefix: str = "$") -> None:
        self.data = data
        self.prefix = prefix
        self.errors: list[dict[str, str]] = []
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                self.problem(key, _("Unknown field."))

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}"

    def problem(self, key_or_path: str, message: str) -> None:
        path = key_or_path if key_or_path.startswith("$") else self.path(key_or_path)
        self.errors.append({"path": path, "message": str(message)})

    def has_problem_at(self, key: str) -> bool:
        path = self.path(key)
        return any(e["path"] == path or e["path"].startswith(path + "[") for e in self.errors)

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key, MISSING)
        if value is MISSING and required:
            self.problem(key, _("This field is required."))
        return value

    def string(
        self, key: str, *, required: bool = False, max_length: int = 200, nullable: bool = False
    ) -> Any:
        """A non-blank string (trimmed); MISSING when absent, None when null and allowed."""
        value = self._get(key, required)
        if value is MISSING:
            return MISSING
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.problem(key, _("Expected a string."))
            return MISSING
        value = value.strip()
        if not value:
            if nullable:
                return None
            self.problem(key, _("This field is required."))
            return MISSING
        if len(value) > max_length:
            self.problem(key, _("At most %(count)s characters.", count=max_length))
            return MISSING
        return value

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        nullable: bool = False,
    ) -> Any:
        value = self._get(key, required)
        if value is MISSING:
            return MISSING
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, _("Expected a whole number."))
            return MISSING
        if minimum is not None and value < minimum:
            self.problem(key, _("Must be at least %(minimum)s.", minimum=minimum))
            return MISSING
        return value

    def instant(self, key: str, *, required: bool = False) -> Any:
        value = self._get(key, required)
        if value is MISSING:
            return MISSING
        parsed = parse_instant(value) if isinstance(value, str) else None
        if parsed is None:
            self.problem(
                key,
                _(
                    "Expected an ISO 8601 date and time with a UTC offset, e.g."
                    " 2026-11-23T09:00:00+08:00."
                ),
            )
            return MISSING
        return parsed

    def string_list(self, key: str, *, required: bool = False, max_length: int = 100) -> Any:
        """A list of distinct non-blank strings; an item's problem is reported at ``key[i]``."""
        value = self._get(key, required)
        if value is MISSING:
            return MISSING
        if not isinstance(value, list):
            self.problem(key, _("Expected a list."))
            return MISSING
        result: list[str] = []
        ok = True
        for index, item in enumerate(value):
            where = f"{self.path(key)}[{index}]"
            if not isinstance(item, str) or not item.strip() or len(item.strip()) > max_length:
                self.problem(where, _("Expected a string."))
                ok = False
            elif item.strip() in result:
                self.problem(where, _("Listed twice."))
                ok = False
            else:
                result.append(item.strip())
        return result if ok else MISSING

    def choice(self, key: str, choices: Iterable[str], *, required: bool = False) -> Any:
        choices = list(choices)
        value = self._get(key, required)
        if value is MISSING:
            return MISSING
        if value not in choices:
            self.problem(key, _("Expected one of: %(choices)s.", choices=", ".join(choices)))
            return MISSING
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise invalid(self.errors)


def invalid(errors: list[dict[str, str]]) -> ApiError:
    return ApiError(422, "invalid_input", _("The request has invalid fields."), errors)


def query_date_or_instant(name: str, *, end: bool, timezone: str) -> datetime | None:
    """``?from=`` / ``?to=``: a date-time with offset, or a date (a whole day where the centre is).

    A date as ``to`` includes that day: it stands for the start of the next day (exclusive).
    """
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    instant = parse_instant(raw)
    if instant is not None:
        return instant
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise invalid(
            [
                {
                    "path": f"query.{name}",
                    "message": _(
                        "Expected a date (2026-11-23) or an ISO 8601 date and time with a"
                        " UTC offset."
                    ),
                }
            ]
        ) from None
    if end:
        day = day + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone)).astimezone(UTC)
