"""Uploaded application documents: checked by content, stored outside the web root.

No Flask or database here: ``check`` looks at the bytes, ``store`` writes a checked file
under a random name, ``remove`` takes it back if the transaction fails.

- The type is what the **first bytes** say (JPEG, PNG or PDF), never the browser's
  Content-Type, and the file name's extension must agree with it: a page named
  ``scan.pdf`` or a PNG named ``photo.jpg`` is refused, so that no file is ever stored
  under a type it is not.
- Files are stored with a random name and the extension of the detected type, in a
  directory that is not served (``APPLICATION_FILES_DIR``, default instance/applications);
  a view that has checked the viewer's role sends them as attachments with
  ``X-Content-Type-Options: nosniff``, so a browser never renders or runs one.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# detected type -> (magic prefix, the extensions a file of that type may carry)
SIGNATURES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "application/pdf": (b"%PDF-", (".pdf",)),
}
EXTENSION = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


class UploadError(ValueError):
    """A refused file; ``field`` names the form field, ``code`` is stable for tests/logs."""

    def __init__(self, field: str, code: str, message: str, **params) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message
        # The values the message names (file name, sizes, types), for a translated message.
        self.params = {"name": params.pop("name", ""), **params}


@dataclass(frozen=True, slots=True)
class CheckedFile:
    field: str
    original_name: str
    media_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> str | None:
    """The media type the content declares by its first bytes, or None."""
    for media_type, (magic, _extensions) in SIGNATURES.items():
        if data.startswith(magic):
            return media_type
    return None


def check(
    field: str,
    filename: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    images_only: bool = False,
) -> CheckedFile:
    """The file, checked; ``UploadError`` (naming ``field`` and the file) otherwise."""
    name = Path((filename or "").replace("\\", "/")).name.strip()
    if not data:
        raise UploadError(field, "empty", f"{name or 'the file'} is empty", name=name)
    if len(data) > max_bytes:
        raise UploadError(
            field,
            "too_large",
            f"{name} is {len(data):,} bytes; the limit is {max_bytes:,} bytes",
            name=name,
            size=f"{len(data):,}",
            limit=f"{max_bytes:,}",
        )
    media_type = sniff(data)
    allowed = ("JPEG", "PNG") if images_only else ("JPEG", "PNG", "PDF")
    if media_type is None:
        raise UploadError(
            field,
            "wrong_type",
            f"{name} is not a {', '.join(allowed)} file (by its content)",
            name=name,
            allowed=", ".join(allowed),
        )
    if images_only and media_type not in IMAGE_TYPES:
        raise UploadError(field, "not_image", f"{name} must be a JPEG or PNG image", name=name)
    extension = Path(name).suffix.lower()
    if extension not in SIGNATURES[media_type][1]:
        raise UploadError(
            field,
            "extension_mismatch",
            f"{name}: its name says {extension or 'no type'} but its content is"
            f" {media_type}; rename or re-scan it",
            name=name,
            extension=extension or "-",
            media_type=media_type,
        )
    return CheckedFile(field, name[:200], media_type, data)


def store(directory: Path, checked: CheckedFile) -> str:
    """Write the file under a fresh random name (mode 0600) and return that name."""
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + EXTENSION[checked.media_type]
    path = directory / name
    # O_EXCL: never overwrite; 0600: readable by the server only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(checked.data)
    return name


def remove(directory: Path, names: list[str]) -> None:
    for name in names:
        (directory / name).unlink(missing_ok=True)


def safe_path(directory: Path, stored_name: str) -> Path | None:
    """The stored file, or None if the name is not a plain stored name or is missing."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name[0] == ".":
        return None
    path = directory / stored_name
    return path if path.is_file() else None
