"""Document checks by content (pure) and storing under random names."""

from __future__ import annotations

import stat

import pytest

from examcentre.applications import uploads

JPEG = b"\xff\xd8\xff\xdb" + b"\x00" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("a.jpg", JPEG, "image/jpeg"),
        ("A.JPEG", JPEG, "image/jpeg"),
        ("scan.PNG", PNG, "image/png"),
        ("c:\\docs\\cert.pdf", PDF, "application/pdf"),
    ],
)
def test_accepted_files(name, data, media_type):
    checked = uploads.check("f", name, data)
    assert checked.media_type == media_type
    assert "\\" not in checked.original_name and "/" not in checked.original_name


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.pdf", b"", "empty"),
        ("page.pdf", b"<html>", "wrong_type"),
        ("x.svg", b"<svg onload=alert(1)>", "wrong_type"),
        ("run.pdf", b"MZ\x90\x00", "wrong_type"),  # a Windows program
        ("photo.png", JPEG, "extension_mismatch"),
        ("doc.pdf.html", PDF, "extension_mismatch"),
        ("noextension", PDF, "extension_mismatch"),
    ],
)
def test_refused_files(name, data, code):
    with pytest.raises(uploads.UploadError) as refused:
        uploads.check("training", name, data)
    assert refused.value.code == code and refused.value.field == "training"


def test_size_limit_is_inclusive_and_photos_are_images():
    assert uploads.check("f", "a.pdf", PDF + b"x" * (100 - len(PDF)), max_bytes=100)
    with pytest.raises(uploads.UploadError) as refused:
        uploads.check("f", "a.pdf", PDF + b"x" * (101 - len(PDF)), max_bytes=100)
    assert refused.value.code == "too_large" and refused.value.params["limit"] == "100"
    with pytest.raises(uploads.UploadError) as refused:
        uploads.check("photo", "p.pdf", PDF, images_only=True)
    assert refused.value.code == "not_image"


def test_stored_under_a_random_name_readable_by_the_server_only(tmp_path):
    checked = uploads.check("f", "../../etc/passwd.png", PNG)
    first = uploads.store(tmp_path, checked)
    second = uploads.store(tmp_path, checked)
    assert first != second and first.endswith(".png") and "passwd" not in first
    path = tmp_path / first
    assert path.read_bytes() == PNG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert uploads.safe_path(tmp_path, first) == path
    assert uploads.safe_path(tmp_path, "../" + first) is None
    uploads.remove(tmp_path, [first, second])
    assert list(tmp_path.iterdir()) == []
