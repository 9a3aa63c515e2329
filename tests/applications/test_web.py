"""The application pages: intake with uploads, review decisions, documents, enrolment."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import (
    AdmissionTicket,
    Application,
    ApplicationDocument,
    AuditEntry,
    Candidate,
)

from ..factories import valid_id_number

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 10
HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture
def files(app, tmp_path):
    directory = tmp_path / "application-files"
    app.config["APPLICATION_FILES_DIR"] = str(directory)
    app.config["APPLICATION_UPLOAD_MAX_BYTES"] = 4096
    return directory


def form(**overrides):
    data = {
        "item": "Q2(限桥式起重机)",
        "applied_by": "employer",
        "id_number": valid_id_number("19900307", 17),
        "name": "张三",
        "employer": "杭州起重设备有限公司",
        "education": "senior",
        "phone": "13800000000",
        "health_declared": "y",
        "training_provider": "某培训学校",
        "training_hours": "40",
        "training_completed_on": "2026-10-01",
    }
    data.update(overrides)
    return data


def upload(name: str, content: bytes):
    return (io.BytesIO(content), name)


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(Application)),
        db.session.scalar(select(func.count()).select_from(ApplicationDocument)),
    )


def test_intake_stores_documents_outside_the_web_root_with_random_names(client, login_as, files):
    login_as("centre_admin")
    response = client.post(
        "/centre/applications/new",
        data=form(photo=upload("me.jpg", JPEG), training=upload("cert.pdf", PDF)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    application = db.session.scalar(select(Application))
    assert application.state == "submitted" and application.applied_by == "employer"
    stored = sorted(p.name for p in files.iterdir())
    assert len(stored) == 2
    assert all(len(name.split(".")[0]) == 32 for name in stored)
    assert "me.jpg" not in stored
    page = client.get(f"/centre/applications/{application.id}").get_data(as_text=True)
    assert application.number in page and "训练" not in page
    assert 'data-check="age" data-ok="yes"' in page
    doc = next(d for d in application.documents if d.kind == "training")
    got = client.get(f"/centre/applications/{application.id}/documents/{doc.id}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert not (files.parent / "static").exists()


@pytest.mark.parametrize(
    ("field", "name", "content", "expected"),
    [
        # wrong type
        ("training", "page.pdf", HTML, "by its content it is not a JPEG, PNG, PDF file"),
        ("training", "big.pdf", PDF + b"x" * 5000, "the limit is 4,096 bytes"),  # too large
        ("photo", "photo.jpg", PNG, "its content is image/png"),  # extension lies
        # disguised by its extension
        ("training", "cert.pdf.exe", PDF, "its name says .exe but its content is application/pdf"),
        ("photo", "photo.pdf", PDF, "must be a JPEG or PNG image"),  # photo must be an image
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    client, login_as, files, field, name, content, expected
):
    login_as("centre_admin")
    before = counts()
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.post(
        "/centre/applications/new",
        # A good file first: it must not be kept either when the second is refused.
        data=form(id_card=upload("id.png", PNG), **{field: upload(name, content)}),
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert expected in page and name in page, page
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    assert not files.exists() or list(files.iterdir()) == []


def test_a_refusal_is_in_chinese_for_a_chinese_reader(client, login_as, files):
    login_as("centre_admin")
    response = client.post(
        "/centre/applications/new",
        data=form(photo=upload("照片.jpg", PNG)),
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "照片.jpg 被拒绝：文件名后缀为 .jpg，但内容是 image/png" in page


def test_review_decisions_are_audited_and_shown(client, login_as, files):
    login_as("centre_admin")
    client.post("/centre/applications/new", data=form())
    application = db.session.scalar(select(Application))
    # A request without a reason is refused; with one it is recorded and shown.
    refused = client.post(
        f"/centre/applications/{application.id}/request_more", data={"reason": ""}
    )
    assert refused.status_code == 422
    client.post(
        f"/centre/applications/{application.id}/request_more", data={"reason": "请补充培训结业证书"}
    )
    db.session.refresh(application)
    assert application.state == "more_requested"
    page = client.get(f"/centre/applications/{application.id}").get_data(as_text=True)
    assert "请补充培训结业证书" in page
    client.post(
        f"/centre/applications/{application.id}/documents",
        data={"kind": "training", "document": upload("cert.pdf", PDF)},
        content_type="multipart/form-data",
    )
    client.post(f"/centre/applications/{application.id}/resubmit", data={})
    client.post(f"/centre/applications/{application.id}/accept", data={})
    db.session.refresh(application)
    assert application.state == "accepted" and len(application.documents) == 1
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "applications")
        .order_by(AuditEntry.seq)
    ).all()
    assert actions == [
        "application.create",
        "application.request_more",
        "application.document_add",
        "application.resubmit",
        "application.accept",
    ]
    # A second active application for the same person and item is flagged to the reviewer.
    client.post("/centre/applications/new", data=form())
    second = db.session.scalars(select(Application).order_by(Application.id.desc())).first()
    page = client.get(f"/centre/applications/{second.id}").get_data(as_text=True)
    assert 'data-check="active" data-ok="no"' in page and application.number in page


def test_an_accepted_application_enrols_with_its_data(client, login_as, files, make):
    admin = login_as("centre_admin")
    session = make.session(admin.centre)
    client.post(
        "/centre/applications/new",
        data=form(photo=upload("me.png", PNG)),
        content_type="multipart/form-data",
    )
    application = db.session.scalar(select(Application))
    # Not yet accepted: refused.
    early = client.post(
        f"/centre/applications/{application.id}/enrol", data={"session": session.id}
    )
    assert early.status_code == 422
    client.post(f"/centre/applications/{application.id}/accept", data={})
    response = client.post(
        f"/centre/applications/{application.id}/enrol", data={"session": session.id}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(application)
    ticket = db.session.get(AdmissionTicket, application.ticket_id)
    assert application.state == "enrolled"
    assert ticket.session_id == session.id and ticket.application_no == application.number
    candidate = db.session.get(Candidate, ticket.candidate_id)
    assert candidate.name == "张三" and candidate.employer == "杭州起重设备有限公司"
    assert candidate.photo and candidate.photo.endswith(".png")


def test_another_centres_application_is_404(app, client, login_as, files, make):
    login_as("centre_admin")
    client.post("/centre/applications/new", data=form())
    application = db.session.scalar(select(Application))
    other = app.test_client()
    login_as("centre_admin", centre=make.centre(), test_client=other)
    assert other.get(f"/centre/applications/{application.id}").status_code == 404
    assert other.post(f"/centre/applications/{application.id}/accept").status_code == 404
    doc_url = f"/centre/applications/{application.id}/documents/1"
    assert other.get(doc_url).status_code == 404
