"""The tamper-evident archive (自动记录存档) of a submitted attempt. Pure: plain values in and out.

The operations layer builds one plain dict per submitted attempt, an
``examcentre.attempt/1`` document (``ARCHIVE_FORMAT``): the paper as drawn (question-version
ids, content hashes, option order), every answer change and event with its server time
(ISO-8601 UTC strings), the terminal and the score. It stores ``canonical_json(document)``
and ``digest(document)``; ``check`` later tells whether the stored bytes are still exactly
what was written, and ``differences`` shows what changed against another copy.

The canonical form
------------------
- UTF-8 JSON, object keys sorted by code point (Python's ``str`` order), no insignificant
  white space (``,`` and ``:`` only), non-ASCII characters written as themselves
  (``ensure_ascii=False``); control characters and ``"``/``\\`` escaped as the standard
  library does (``\\n``, ``\\u001f``). No Unicode normalisation: the text is kept as given.
- Only JSON types: ``dict`` (or any ``Mapping``) with ``str`` keys, ``list`` (a ``tuple`` is
  written as an array and loads back as a list), ``str``, ``int``, ``float``, ``bool`` and
  ``None``. Anything else (``datetime``, ``Decimal``, ``set``, ``bytes``, a non-string key)
  is a ``TypeError`` naming its JSON path, e.g. ``$.answers[3].at``: the document must say
  how such a value is written (times as ISO-8601 UTC strings) rather than leave it to a
  serialiser's default. NaN and the infinities are a ``ValueError``, as are strings that
  cannot be UTF-8 (lone surrogates) and cycles.
- Numbers are written as Python writes them: an ``int`` in decimal, a ``float`` by its
  ``repr`` (the shortest text that reads back as the same double: ``0.1``, ``87.5``,
  ``1e+16``, ``-0.0``). So ``json.loads`` gives back exactly the same values, ``1`` and
  ``1.0`` stay distinct (an int never turns into a float or back), and re-canonicalising a
  loaded document gives the same bytes. This is *not* RFC 8785 (JCS), which writes numbers
  the ECMAScript way (``1.0`` as ``1``) and sorts keys by UTF-16 code units; a verifier in
  another language must reproduce Python's float ``repr`` (every shortest-round-trip
  formatter does, up to the exponent spelling ``1e+16``).

The digest is the SHA-256 (lower-case hex) of those bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ARCHIVE_FORMAT = "examcentre.attempt/1"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}\Z")
_WHITESPACE = b" \t\r\n"  # JSON's insignificant white space
_HINTS = {
    "datetime": "write times as ISO-8601 UTC strings",
    "date": "write dates as ISO-8601 strings",
    "time": "write times as ISO-8601 strings",
    "Decimal": "convert it to an int, a float or a string first",
    "set": "write it as a sorted list",
    "frozenset": "write it as a sorted list",
    "bytes": "write it as hex or base64 text",
    "bytearray": "write it as hex or base64 text",
}


# --- Paths ------------------------------------------------------------------------------------


def _key_path(path: str, key: str) -> str:
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    try:
        quoted = json.dumps(key, ensure_ascii=False)
        quoted.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: show it escaped
        quoted = json.dumps(key)
    return f"{path}[{quoted}]"


def _index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


# --- The canonical form -----------------------------------------------------------------------


def _plain(value: Any, path: str, open_containers: set[int]) -> Any:
    """A copy of ``value`` made of dict/list/str/int/float/bool/None only, checked on the way.

    Subclasses (``StrEnum``, ``IntEnum``) become their plain base values, so the encoder
    never calls anything of theirs.
    """
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(
                f"{path}: the string cannot be written as UTF-8 ({error.reason})"
            ) from None
        return str.__str__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"{path}: {value!r} is not allowed in JSON")
        return float(value)
    if isinstance(value, Mapping | list | tuple):
        if id(value) in open_containers:
            raise ValueError(f"{path}: the document contains itself (a cycle)")
        open_containers.add(id(value))
        try:
            if isinstance(value, Mapping):
                result: dict[str, Any] = {}
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise TypeError(
                            f"{path}: the key {key!r} is a {type(key).__name__}; "
                            "JSON object keys must be strings"
                        )
                    item_path = _key_path(path, key)
                    try:
                        key.encode("utf-8")
                    except UnicodeEncodeError as error:
                        raise ValueError(
                            f"{item_path}: the key cannot be written as UTF-8 ({error.reason})"
                        ) from None
                    result[str.__str__(key)] = _plain(item, item_path, open_containers)
                return result
            return [
                _plain(item, _index_path(path, index), open_containers)
                for index, item in enumerate(value)
            ]
        finally:
            open_containers.discard(id(value))
    kind = type(value).__name__
    hint = _HINTS.get(kind)
    raise TypeError(f"{path}: a {kind} is not a JSON value" + (f" ({hint})" if hint else ""))


def _dumps(value: Any, *, sort_keys: bool = True) -> bytes:
    return json.dumps(
        value,
        sort_keys=sort_keys,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """The canonical UTF-8 JSON bytes of ``document`` (see the module docstring).

    Raises ``TypeError`` for a value JSON has no type for and ``ValueError`` for NaN, the
    infinities, unencodable strings and cycles; both name the JSON path (``$.answers[3].at``).
    """
    if not isinstance(document, Mapping):
        raise TypeError(f"$: the archive must be a JSON object, not a {type(document).__name__}")
    return _dumps(_plain(document, "$", set()))


def digest(document: Mapping[str, Any]) -> str:
    """SHA-256 (lower-case hex) of ``canonical_json(document)``."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


# --- Reading stored bytes back ----------------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {json.dumps(key, ensure_ascii=False)} appears twice")
        result[key] = value
    return result


def load(stored_bytes: bytes) -> dict[str, Any]:
    """Read stored archive bytes strictly: UTF-8 without a byte-order mark, standard JSON
    only (no NaN/Infinity), no key twice in one object, an object at the top.

    Raises ``ValueError`` with a plain-English message otherwise. Keys keep the order they
    have in the bytes.
    """
    try:
        text = bytes(stored_bytes).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"the bytes are not UTF-8 (at byte {error.start})") from None
    if text.startswith("\ufeff"):
        raise ValueError("the bytes start with a byte-order mark")
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise ValueError(f"the bytes are not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(value, dict):
        raise ValueError(f"the bytes hold a JSON {type(value).__name__}, not an object")
    return value


# --- Checking ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveCheck:
    """The verdict on one stored archive.

    ``canonical``: the bytes are exactly the canonical form of what they contain.
    ``digest_matches``: the stored digest is the SHA-256 of the stored bytes.
    ``content_matches_digest``: re-canonicalised, the content hashes to the stored digest
    (True with ``canonical`` False means re-serialised but unchanged data; None when the
    bytes could not be read at all).
    ``computed_digest``: SHA-256 of the stored bytes as they are.
    ``reasons``: one plain-English sentence per problem; empty when ``ok``.
    """

    ok: bool
    canonical: bool
    digest_matches: bool
    content_matches_digest: bool | None
    computed_digest: str
    reasons: tuple[str, ...]

    def __bool__(self) -> bool:
        return self.ok


def _first_difference(a: bytes, b: bytes) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def _not_canonical_reason(stored: bytes, canonical: bytes, parsed: dict[str, Any]) -> str:
    stripped = stored.strip(_WHITESPACE)
    if stripped == canonical:
        before = len(stored) - len(stored.lstrip(_WHITESPACE))
        after = len(stored) - len(stored.rstrip(_WHITESPACE))
        where = " and ".join(
            text
            for count, text in ((before, f"{before} before"), (after, f"{after} after"))
            if count
        )
        return (
            f"The stored bytes have white space around the JSON document ({where} it), "
            "which the canonical form never has: they were changed after the archive was written."
        )
    if _dumps(parsed, sort_keys=False) == stored:
        return (
            "The stored bytes have object keys out of sorted order, which the canonical form "
            "never has: they were re-serialised after the archive was written."
        )
    at = _first_difference(stored, canonical)
    return (
        f"The stored bytes are not in canonical form (they differ from it from byte {at} on: "
        "white space, key order or the way a number or string is written): they were "
        "re-serialised or edited after the archive was written."
    )


def check(stored_digest: str, stored_bytes: bytes) -> ArchiveCheck:
    """Verify a stored archive: are the bytes canonical, and do they hash to the digest?

    Either failing means the bytes are not what was written. When the content still hashes
    to the digest once re-canonicalised, the reasons say so (the data survived a
    re-serialisation); otherwise the data itself changed.
    """
    stored_bytes = bytes(stored_bytes)
    computed = hashlib.sha256(stored_bytes).hexdigest()
    reasons: list[str] = []
    digest_well_formed = isinstance(stored_digest, str) and bool(_SHA256_HEX.match(stored_digest))
    if not digest_well_formed:
        reasons.append(
            "The stored digest is not a SHA-256 digest (64 lower-case hexadecimal characters)."
        )
    digest_matches = digest_well_formed and computed == stored_digest

    canonical = False
    content_matches: bool | None = None
    try:
        parsed = load(stored_bytes)
        recanonical = canonical_json(parsed)
    except (TypeError, ValueError) as error:
        reasons.append(f"The stored bytes cannot be read as an archive: {error}.")
    else:
        canonical = recanonical == stored_bytes
        if not canonical:
            reasons.append(_not_canonical_reason(stored_bytes, recanonical, parsed))
        content_matches = (
            digest_well_formed and hashlib.sha256(recanonical).hexdigest() == stored_digest
        )

    if digest_well_formed and not digest_matches:
        reasons.append(
            "The stored digest does not match the stored bytes "
            f"(their SHA-256 is {computed}, the record says {stored_digest})."
        )
        if content_matches:
            reasons.append(
                "Re-canonicalised, the content does hash to the stored digest: the data is "
                "unchanged, only the way it is written changed."
            )
        elif content_matches is False:
            reasons.append(
                "Re-canonicalised, the content does not hash to the stored digest either: "
                "the data itself was changed."
            )
    return ArchiveCheck(
        ok=canonical and digest_matches,
        canonical=canonical,
        digest_matches=digest_matches,
        content_matches_digest=content_matches,
        computed_digest=computed,
        reasons=tuple(reasons),
    )


# --- What changed -----------------------------------------------------------------------------


def _scalar_token(value: Any) -> tuple[str, Any]:
    """What makes two leaves the same: their canonical text (so ``1``, ``1.0`` and ``True``
    differ, as their bytes do), or for a non-JSON leaf its type and value."""
    if value is None or isinstance(value, str | int | float):
        return ("json", json.dumps(value, ensure_ascii=False))
    return (type(value).__name__, value)


def _differences(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=lambda k: (not isinstance(k, str), str(k))):
            child = _key_path(path, key) if isinstance(key, str) else f"{path}[{key!r}]"
            if key not in a or key not in b:
                out.append(child)
            else:
                _differences(a[key], b[key], child, out)
        return
    a_list = isinstance(a, list | tuple)
    b_list = isinstance(b, list | tuple)
    if a_list and b_list:
        for index in range(max(len(a), len(b))):
            child = _index_path(path, index)
            if index >= len(a) or index >= len(b):
                out.append(child)
            else:
                _differences(a[index], b[index], child, out)
        return
    if a_list or b_list or isinstance(a, Mapping) or isinstance(b, Mapping):
        out.append(path)  # a container against something else
        return
    if _scalar_token(a) != _scalar_token(b):
        out.append(path)


def differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """The JSON paths at which two documents differ, in sorted-key order.

    A key present on one side only, an array index past the other's end, and a value of a
    different kind (``1`` against ``1.0`` or ``true`` too, as the canonical bytes differ)
    are each reported at their own path; equal subtrees report nothing. Arrays are compared
    position by position, so an inserted element shows as every later index.
    """
    out: list[str] = []
    _differences(a, b, "$", out)
    return out
