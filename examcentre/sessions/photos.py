"""Candidates' ID photos: files under ``instance/photos/``, never in the web root.

Only views that have already checked who may see the candidate (the invigilators of their
session, the centre's administrators) call ``photo_response``; there is no static URL.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, send_from_directory

from ..models import Candidate

PHOTO_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
# Cached by the viewing browser only, briefly: the check-in list reloads every 30 s.
PHOTO_MAX_AGE = 300


def photo_directory() -> Path:
    return Path(current_app.instance_path) / "photos"


def photo_path(candidate: Candidate) -> Path | None:
    """The candidate's photo file, or None when there is none (or it is not a plain image
    file directly inside the photo directory)."""
    name = candidate.photo
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    if Path(name).suffix.lower() not in PHOTO_TYPES:
        return None
    path = photo_directory() / name
    return path if path.is_file() else None


def photo_response(candidate: Candidate):
    """The photo as a response, or 404. The caller has checked the viewer's access."""
    path = photo_path(candidate)
    if path is None:
        abort(404)
    response = send_from_directory(
        photo_directory(),
        path.name,
        mimetype=PHOTO_TYPES[path.suffix.lower()],
        max_age=PHOTO_MAX_AGE,
    )
    response.cache_control.private = True
    response.cache_control.public = False
    return response
