"""The results batch ``examcentre.results/1`` and its signed envelope (pure).

A centre reports its results to the certifying authority as one batch per session (or per
period): centre, sessions, candidates with their ID numbers, subject results, the staff who
examined, and the SHA-256 of every archive the results rest on. The regulation lists data
transmission (数据传输) among the exam system's functions (三(二)[三]1(2)); the format is a
public contract described in ``docs/results-batch.md``: keep it stable and versioned.

- ``canonical_bytes``: the bytes that are signed (sorted keys, no spaces, UTF-8).
- ``content_sha256``: the digest of everything but ``batch_id`` and ``created_at``, so that
  building a batch of unchanged results twice gives the same digest (and the same batch).
- ``parse_batch``: checks a document and lists every problem with its JSON path; returns the
  flat rows the hub stores.
- ``envelope`` / ``parse_envelope``: the signed envelope ``examcentre.signed-results/1`` that
  travels over HTTPS and on a USB stick alike.

Plain values in and out: no Flask, no database, no clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FORMAT = "examcentre.results/1"
ENVELOPE_FORMAT = "examcentre.signed-results/1"
RECEIPT_FORMAT = "examcentre.receipt/1"
ALGORITHM = "Ed25519"

SUBJECTS = ("theory", "practical", "simulator")
ATTENDANCE = ("enrolled", "checked_in", "absent")
EXAMINER_ROLES = ("invigilator", "examiner")

_HEX64 = re.compile(r"[0-9a-f]{64}")
_ID_NUMBER = re.compile(r"\d{17}[\dX]")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def canonical_bytes(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, numbers as Python's shortest round-trip form.

    Scores lie in 0-100 and counts are integers, so no number is ever written in exponent
    form: a verifier in another language that sorts keys and keeps UTF-8 gets the same bytes.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def content_sha256(document: dict[str, Any]) -> str:
    """SHA-256 of the batch without its identity (``batch_id``, ``created_at``)."""
    body = {k: v for k, v in document.items() if k not in ("batch_id", "created_at")}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def new_batch_id() -> str:
    return str(uuid.uuid4())


# --- Reading a batch ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    path: str  # a JSON path into the envelope: $.batch.sessions[0].candidates[2].id_number
    message: str


class BatchError(Exception):
    """A batch that cannot be accepted. ``code`` is stable (``malformed``, ...)."""

    def __init__(self, code: str, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True, slots=True)
class SubjectRow:
    subject: str
    score: float | None
    total: float | None
    passed: bool | None
    archive_sha256: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SittingRow:
    session_id: int
    item: str
    starts_at: datetime
    ends_at: datetime
    ticket: str
    application_no: str | None
    id_number: str
    name: str
    attendance: str
    results: list[SubjectRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    batch_id: str
    centre_code: str
    created_at: datetime
    scope: dict[str, Any]
    due_on: date | None
    last_session_end: datetime | None
    sittings: list[SittingRow]
    examiners: list[dict[str, Any]]


class _Reader:
    """Walks a JSON value and collects problems with their paths instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def obj(self, value: Any, path: str, required: set[str], optional: set[str] = frozenset()):
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
            return None
        for key in sorted(required - value.keys()):
            self.fail(f"{path}.{key}", "is required")
        for key in sorted(value.keys() - required - optional):
            self.fail(f"{path}.{key}", "is not a known key")
        return value

    def lst(self, value: Any, path: str) -> list:
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return []
        return value

    def text(
        self, value: Any, path: str, *, nullable=False, pattern=None, choices=None, max_len=200
    ):
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
            return None
        if len(value) > max_len:  # the hub's columns: a longer value could not be stored
            self.fail(path, f"must be at most {max_len} characters")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(path, "is not in the expected form")
            return None
        if choices is not None and value not in choices:
            self.fail(path, f"must be one of {', '.join(choices)}")
            return None
        return value

    def integer(self, value: Any, path: str, *, nullable=False):
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be an integer")
            return None
        return value

    def number(self, value: Any, path: str, *, nullable=False):
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, "must be a number")
            return None
        return float(value)

    def boolean(self, value: Any, path: str, *, nullable=False):
        if value is None and nullable:
            return None
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")
            return None
        return value

    def instant(self, value: Any, path: str, *, nullable=False) -> datetime | None:
        text = self.text(value, path, nullable=nullable, pattern=_INSTANT)
        return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))

    def day(self, value: Any, path: str, *, nullable=False) -> date | None:
        if value is None and nullable:
            return None
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, "must be a date YYYY-MM-DD")
        return None


_RESULT_KEYS = {
    "theory": (
        {
            "subject",
            "score",
            "total",
            "earned",
            "pass_mark",
            "passed",
            "result_version",
            "failed_on_critical",
            "submitted_at",
            "archive_sha256",
        },
        set(),
    ),
    "practical": ({"subject", "score", "passed", "sheet_sha256"}, {"examiners", "details"}),
    "simulator": (
        {
            "subject",
            "station",
            "run_id",
            "scenario",
            "total",
            "passed",
            "log_sha256",
            "body_sha256",
        },
        set(),
    ),
}


def _result(r: _Reader, value: Any, path: str) -> SubjectRow | None:
    if not isinstance(value, dict):
        r.fail(path, "must be an object")
        return None
    subject = r.text(value.get("subject"), f"{path}.subject", choices=SUBJECTS)
    if subject is None:
        return None
    required, optional = _RESULT_KEYS[subject]
    if r.obj(value, path, required, optional) is None:
        return None
    passed = r.boolean(value.get("passed"), f"{path}.passed", nullable=True)
    if subject == "theory":
        score = r.number(value.get("score"), f"{path}.score")
        total = r.integer(value.get("total"), f"{path}.total")
        r.number(value.get("earned"), f"{path}.earned")
        r.integer(value.get("pass_mark"), f"{path}.pass_mark")
        r.integer(value.get("result_version"), f"{path}.result_version")
        r.boolean(value.get("failed_on_critical"), f"{path}.failed_on_critical")
        r.instant(value.get("submitted_at"), f"{path}.submitted_at")
        digest = r.text(value.get("archive_sha256"), f"{path}.archive_sha256", pattern=_HEX64)
        if value.get("passed") is None:
            r.fail(f"{path}.passed", "must be true or false")
        details = {
            k: value[k]
            for k in ("earned", "pass_mark", "result_version", "failed_on_critical", "submitted_at")
        }
        return SubjectRow(subject, score, total, passed, digest, details)
    if subject == "practical":
        score = r.number(value.get("score"), f"{path}.score", nullable=True)
        digest = r.text(value.get("sheet_sha256"), f"{path}.sheet_sha256", pattern=_HEX64)
        examiners = [
            r.text(name, f"{path}.examiners[{i}]")
            for i, name in enumerate(r.lst(value.get("examiners", []), f"{path}.examiners"))
        ]
        details = {"examiners": examiners, **(value.get("details") or {})}
        return SubjectRow(subject, score, None, passed, digest, details)
    total = r.number(value.get("total"), f"{path}.total")
    for key in ("station", "run_id", "scenario"):
        r.text(value[key], f"{path}.{key}")
    r.text(value.get("log_sha256"), f"{path}.log_sha256", pattern=_HEX64)
    digest = r.text(value.get("body_sha256"), f"{path}.body_sha256", pattern=_HEX64)
    details = {k: value.get(k) for k in ("station", "run_id", "scenario", "log_sha256")}
    return SubjectRow(subject, total, None, passed, digest, details)


def parse_batch(value: Any, path: str = "$") -> ParsedBatch:
    """Check a batch document; raise ``BatchError('malformed', ...)`` naming every problem."""
    r = _Reader()
    doc = r.obj(
        value,
        path,
        {"format", "batch_id", "created_at", "centre", "scope", "due_on", "sessions"},
    )
    if doc is None:
        raise BatchError("malformed", "The batch is not an object.", r.problems)
    if doc.get("format") != FORMAT:
        r.fail(f"{path}.format", f"must be {FORMAT!r}")
    batch_id = r.text(doc.get("batch_id"), f"{path}.batch_id")
    if batch_id is not None:
        try:
            uuid.UUID(batch_id)
        except ValueError:
            r.fail(f"{path}.batch_id", "must be a UUID")
    created_at = r.instant(doc.get("created_at"), f"{path}.created_at")
    centre = r.obj(doc.get("centre"), f"{path}.centre", {"code", "name"}) or {}
    centre_code = r.text(centre.get("code"), f"{path}.centre.code", max_len=32)
    r.text(centre.get("name"), f"{path}.centre.name")
    scope = r.obj(doc.get("scope"), f"{path}.scope", {"kind"}, {"session_id", "from", "to"}) or {}
    kind = r.text(scope.get("kind"), f"{path}.scope.kind", choices=("session", "period"))
    if kind == "session":
        r.integer(scope.get("session_id"), f"{path}.scope.session_id")
    elif kind == "period":
        r.day(scope.get("from"), f"{path}.scope.from")
        r.day(scope.get("to"), f"{path}.scope.to")
    due_on = r.day(doc.get("due_on"), f"{path}.due_on", nullable=True)

    sittings: list[SittingRow] = []
    examiners: list[dict[str, Any]] = []
    last_end: datetime | None = None
    sessions = r.lst(doc.get("sessions"), f"{path}.sessions")
    if "sessions" in doc and not sessions and isinstance(doc.get("sessions"), list):
        r.fail(f"{path}.sessions", "must hold at least one session")
    for s_index, session in enumerate(sessions):
        sp = f"{path}.sessions[{s_index}]"
        s = r.obj(
            session,
            sp,
            {"id", "item", "room", "starts_at", "ends_at", "examiners", "candidates"},
            {"blueprint"},
        )
        if s is None:
            continue
        session_id = r.integer(s.get("id"), f"{sp}.id")
        item = r.text(s.get("item"), f"{sp}.item", max_len=40)
        r.text(s.get("room"), f"{sp}.room")
        starts_at = r.instant(s.get("starts_at"), f"{sp}.starts_at")
        ends_at = r.instant(s.get("ends_at"), f"{sp}.ends_at")
        if ends_at is not None and (last_end is None or ends_at > last_end):
            last_end = ends_at
        for e_index, person in enumerate(r.lst(s.get("examiners"), f"{sp}.examiners")):
            ep = f"{sp}.examiners[{e_index}]"
            if r.obj(person, ep, {"username", "name", "role"}) is None:
                continue
            r.text(person.get("username"), f"{ep}.username")
            r.text(person.get("name"), f"{ep}.name")
            r.text(person.get("role"), f"{ep}.role", choices=EXAMINER_ROLES)
            examiners.append({**person, "session_id": session_id})
        seen_tickets: set[str] = set()
        for c_index, candidate in enumerate(r.lst(s.get("candidates"), f"{sp}.candidates")):
            cp = f"{sp}.candidates[{c_index}]"
            c = r.obj(
                candidate,
                cp,
                {"ticket", "application_no", "id_number", "name", "attendance", "results"},
            )
            if c is None:
                continue
            ticket = r.text(c.get("ticket"), f"{cp}.ticket", max_len=32)
            if ticket in seen_tickets:
                r.fail(f"{cp}.ticket", "appears twice in the session")
            seen_tickets.add(ticket)
            application_no = r.text(
                c.get("application_no"), f"{cp}.application_no", nullable=True, max_len=40
            )
            id_number = r.text(c.get("id_number"), f"{cp}.id_number", pattern=_ID_NUMBER)
            name = r.text(c.get("name"), f"{cp}.name", max_len=100)
            attendance = r.text(c.get("attendance"), f"{cp}.attendance", choices=ATTENDANCE)
            results = [
                _result(r, result, f"{cp}.results[{i}]")
                for i, result in enumerate(r.lst(c.get("results"), f"{cp}.results"))
            ]
            if attendance == "absent" and results:
                r.fail(f"{cp}.results", "an absent candidate has no results")
            if not r.problems:
                sittings.append(
                    SittingRow(
                        session_id,
                        item,
                        starts_at,
                        ends_at,
                        ticket,
                        application_no,
                        id_number,
                        name,
                        attendance,
                        [x for x in results if x is not None],
                    )
                )
    if r.problems:
        raise BatchError("malformed", "The batch does not follow examcentre.results/1.", r.problems)
    return ParsedBatch(
        batch_id, centre_code, created_at, dict(scope), due_on, last_end, sittings, examiners
    )


# --- The signed envelope -----------------------------------------------------------------------


def envelope(document: dict[str, Any], signature: bytes, key_fingerprint: str) -> dict[str, Any]:
    """The batch and its detached signature over ``canonical_bytes(document)``."""
    return {
        "format": ENVELOPE_FORMAT,
        "signature": {
            "algorithm": ALGORITHM,
            "key": key_fingerprint,
            "value": base64.b64encode(signature).decode("ascii"),
        },
        "batch": document,
    }


@dataclass(frozen=True, slots=True)
class Envelope:
    document: dict[str, Any]
    signature: bytes
    key_fingerprint: str
    signed_bytes: bytes  # canonical_bytes(document): what the signature covers


def parse_envelope(raw: bytes) -> Envelope:
    """Read the envelope only (the batch inside is checked after its signature)."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BatchError(
            "malformed", "The body is not JSON (UTF-8).", [Problem("$", str(error))]
        ) from None
    r = _Reader()
    outer = r.obj(value, "$", {"format", "signature", "batch"})
    if outer is None:
        raise BatchError("malformed", "The envelope is not an object.", r.problems)
    if outer.get("format") != ENVELOPE_FORMAT:
        r.fail("$.format", f"must be {ENVELOPE_FORMAT!r}")
    sig = r.obj(outer.get("signature"), "$.signature", {"algorithm", "key", "value"}) or {}
    if sig and sig.get("algorithm") != ALGORITHM:
        r.fail("$.signature.algorithm", f"must be {ALGORITHM!r}")
    fingerprint = r.text(sig.get("key"), "$.signature.key") if sig else None
    signature = b""
    if sig:
        text = r.text(sig.get("value"), "$.signature.value")
        if text is not None:
            try:
                signature = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                r.fail("$.signature.value", "must be base64")
            if signature and len(signature) != 64:
                r.fail("$.signature.value", "must be 64 bytes (Ed25519)")
    document = outer.get("batch")
    if not isinstance(document, dict):
        r.fail("$.batch", "must be an object")
    if r.problems:
        raise BatchError(
            "malformed", "The envelope is not examcentre.signed-results/1.", r.problems
        )
    try:
        signed = canonical_bytes(document)
    except ValueError:  # NaN or infinity: no canonical form
        raise BatchError(
            "malformed",
            "The batch holds a number JSON cannot carry.",
            [Problem("$.batch", "NaN or infinity")],
        ) from None
    return Envelope(document, signature, fingerprint, signed)


def centre_code_of(document: dict[str, Any]) -> str | None:
    """The centre a batch claims to come from, before anything else is trusted."""
    centre = document.get("centre")
    code = centre.get("code") if isinstance(centre, dict) else None
    return code if isinstance(code, str) else None
