"""The question-bank pages: browse and filter, preview, edit, review, import, blueprints."""

from __future__ import annotations

import io

from flask import g
from sqlalchemy import func, select

from examcentre.extensions import db
from examcentre.models import Blueprint, Question

from ..bankdata import load_synthetic


def test_list_filters_and_paginates(client, login_as, make, tmp_path):
    admin = login_as("centre_admin")
    load_synthetic(admin.centre, tmp_path)
    page = client.get("/centre/bank/").get_data(as_text=True)
    assert "300" in page  # 3 x 100 questions
    assert "Q1-BA-0001" in page
    filtered = client.get("/centre/bank/?area=law&type=multiple&status=live").get_data(as_text=True)
    assert "12 " in filtered or "12</" in filtered or ">12" in filtered
    assert "Q1-BA-" not in filtered and "Q1-LW-" in filtered
    second = client.get("/centre/bank/?page=2").get_data(as_text=True)
    assert "Q1-BA-0051" in second
    searched = client.get("/centre/bank/?q=Q1-OP-0007").get_data(as_text=True)
    assert "Q1-OP-0007" in searched and "Q1-OP-0008" not in searched


def test_empty_bank_shows_how_to_fill_it(client, login_as):
    login_as("centre_admin")
    page = client.get("/centre/bank/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The bank is empty" in page


def test_question_page_previews_without_the_answer_marked(client, login_as, tmp_path):
    admin = login_as("centre_admin")
    load_synthetic(admin.centre, tmp_path)
    question = db.session.scalar(select(Question).where(Question.external_id == "Q1-BA-0040"))
    page = client.get(f"/centre/bank/questions/{question.id}").get_data(as_text=True)
    assert "candidate-preview" in page
    assert "A. 甲" in page and "D. 丁" in page
    assert question.version.stem_zh in page


def test_other_centres_question_is_404(client, login_as, make, tmp_path):
    login_as("centre_admin")
    other = make.centre()
    load_synthetic(other, tmp_path)
    question = db.session.scalar(select(Question))
    assert client.get(f"/centre/bank/questions/{question.id}").status_code == 404
    assert client.get(f"/centre/bank/questions/{question.id}/edit").status_code == 404
    assert (
        client.post(
            f"/centre/bank/questions/{question.id}/retire", data={"reason": "x"}
        ).status_code
        == 404
    )


def _form(**overrides):
    data = {
        "item": "Q1",
        "area": "basics",
        "point": "",
        "type": "single",
        "difficulty": "2",
        "level": "理解",
        "stem_zh": "起重机作业前应当检查什么？",
        "options_zh": "吊钩\n钢丝绳\n制动器\n以上都是",
        "answer": "D",
        "explanation_zh": "都要检查。",
        "reference": "GB 6067.1-2010",
    }
    data.update(overrides)
    return data


def test_create_shows_field_errors_and_preview_then_saves_a_draft(client, login_as):
    login_as("centre_admin")
    bad = client.post(
        "/centre/bank/questions/new", data=_form(answer="F"), headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Answer" in bad and "one option letter" in bad
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0
    preview = client.post("/centre/bank/questions/new", data=_form(preview="1")).get_data(
        as_text=True
    )
    assert "candidate-preview" in preview and "D. 以上都是" in preview
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0
    response = client.post("/centre/bank/questions/new", data=_form())
    assert response.status_code == 302
    question = db.session.scalar(select(Question))
    assert question.status == "draft" and question.external_id == "Q1-BA-5001"


def test_editing_a_live_question_saves_a_draft_revision(client, login_as, tmp_path):
    admin = login_as("centre_admin")
    load_synthetic(admin.centre, tmp_path)
    question = db.session.scalar(select(Question).where(Question.external_id == "Q1-BA-0040"))
    form = client.get(f"/centre/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert question.version.stem_zh in form and "candidate-preview" in form
    data = _form(stem_zh="新的题干？", options_zh="甲\n乙\n丙\n丁", answer="B")
    del data["item"]
    response = client.post(f"/centre/bank/questions/{question.id}/edit", data=data)
    assert response.status_code == 302
    db.session.refresh(question)
    assert question.current_version == 2 and question.status == "draft"
    assert question.live_version == 1
    assert [v.stem_zh for v in question.versions][1] == "新的题干？"


def test_review_workflow_through_the_pages_needs_two_people(client, login_as, make, app):
    author = login_as("centre_admin")
    client.post("/centre/bank/questions/new", data=_form())
    question = db.session.scalar(select(Question))
    client.post(f"/centre/bank/questions/{question.id}/submit")
    page = client.get(f"/centre/bank/questions/{question.id}").get_data(as_text=True)
    assert "/approve" not in page  # the author is not offered the approval
    client.post(f"/centre/bank/questions/{question.id}/approve")
    db.session.refresh(question)
    assert question.status == "review"

    # The test app context outlives requests, so Flask-Login's per-context user cache (g)
    # would leak from one client to the other: clear it when switching clients.
    g.pop("_login_user", None)
    reviewer_client = app.test_client()
    login_as("centre_admin", centre=author.centre, test_client=reviewer_client)
    g.pop("_login_user", None)
    reviewer_client.post(f"/centre/bank/questions/{question.id}/approve")
    db.session.refresh(question)
    assert question.status == "live"


def test_retire_asks_for_confirmation_and_a_reason(client, login_as, tmp_path):
    admin = login_as("centre_admin")
    load_synthetic(admin.centre, tmp_path)
    question = db.session.scalar(select(Question))
    confirm = client.get(f"/centre/bank/questions/{question.id}/retire")
    assert confirm.status_code == 200 and question.version.stem_zh in confirm.get_data(as_text=True)
    client.post(f"/centre/bank/questions/{question.id}/retire", data={"reason": ""})
    db.session.refresh(question)
    assert question.status == "live"
    client.post(
        f"/centre/bank/questions/{question.id}/retire", data={"reason": "Outdated standard"}
    )
    db.session.refresh(question)
    assert question.status == "retired" and question.status_reason == "Outdated standard"


CSV = (
    "type,stem,option_a,option_b,option_c,option_d,answer,area\n"
    "single,吊钩出现裂纹时应当怎样处理？,焊补后继续使用,报废,降级使用,打磨后使用,B,basics\n"
    "true_false,作业前应当检查制动器。,,,,,true,operation\n"
)


def test_upload_shows_the_dry_run_then_imports_on_confirmation(client, login_as):
    login_as("centre_admin")
    report = client.post(
        "/centre/bank/import",
        data={"item": "Q1", "file": (io.BytesIO(CSV.encode()), "new.csv")},
        content_type="multipart/form-data",
    )
    page = report.get_data(as_text=True)
    assert report.status_code == 200, page
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0
    assert 'name="token"' in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    done = client.post(
        "/centre/bank/import/confirm", data={"token": token, "item": "Q1", "filename": "new.csv"}
    )
    assert done.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Question)) == 2


def test_upload_of_a_bad_file_lists_every_problem_and_offers_no_import(client, login_as):
    login_as("centre_admin")
    bad = CSV + "single,少了答案的题？,a,b,c,d,,basics\nmultiple,多选题？,a,b,c,d,Z,law\n"
    page = client.post(
        "/centre/bank/import",
        data={"item": "Q1", "file": (io.BytesIO(bad.encode()), "bad.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "bad.csv:4:" in page and "bad.csv:5:" in page
    assert 'name="token"' not in page


def test_templates_download(client, login_as):
    login_as("centre_admin")
    csv = client.get("/centre/bank/template.csv")
    assert csv.status_code == 200 and b"stem" in csv.data
    xlsx = client.get("/centre/bank/template.xlsx")
    assert xlsx.data[:2] == b"PK"


def test_blueprint_publish_is_refused_with_the_shortfall_cell_by_cell(client, login_as, tmp_path):
    admin = login_as("centre_admin")
    load_synthetic(admin.centre, tmp_path, factor=2)
    response = client.post("/centre/bank/blueprints/new?item=Q1", data={
        "item": "Q1", "duration_minutes": 90, "pass_mark": 70, "count_true_false": 40,
        "count_single": 40, "count_multiple": 20, "points_true_false": 1, "points_single": 1,
        "points_multiple": 1, "weight_basics": 30, "weight_operation": 50, "weight_law": 20,
        "mix_1": 30, "mix_2": 50, "mix_3": 20, "min_critical": 0,
        "multiple_scoring": "all_or_nothing",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    blueprint = db.session.scalar(select(Blueprint))
    refused = client.post(
        f"/centre/bank/blueprints/{blueprint.id}/publish", headers={"Accept-Language": "en"}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    # basics/true_false draws 12: 24 live of 36 needed.
    assert "24 live / 36 needed" in page and "12 short" in page
    assert page.count("table-danger") == 9
    db.session.refresh(blueprint)
    assert blueprint.status == "draft"


def test_blueprint_form_errors_name_the_field(client, login_as):
    login_as("centre_admin")
    page = client.post(
        "/centre/bank/blueprints/new?item=Q1",
        data={"duration_minutes": 90, "pass_mark": 70, "count_true_false": 40,
              "count_single": 40, "count_multiple": 20, "points_true_false": 1,
              "points_single": 1, "points_multiple": 1, "weight_basics": 30,
              "weight_operation": 50, "weight_law": 30, "mix_1": 30, "mix_2": 50, "mix_3": 20,
              "min_critical": 0, "multiple_scoring": "all_or_nothing"},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)  # fmt: skip
    assert "The three area weights add up to 100." in page
    assert db.session.scalar(select(func.count()).select_from(Blueprint)) == 0


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_picture_is_uploaded_shown_in_the_preview_and_served_to_its_centre_only(
    client, login_as, make, app
):
    login_as("centre_admin")
    response = client.post(
        "/centre/bank/questions/new",
        data=_form(image_file=(io.BytesIO(PNG), "hook.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    question = db.session.scalar(select(Question))
    name = question.version.image
    assert name.endswith(".png")
    page = client.get(f"/centre/bank/questions/{question.id}").get_data(as_text=True)
    assert f"/centre/bank/images/{name}" in page
    assert client.get(f"/centre/bank/images/{name}").data == PNG
    assert client.get("/centre/bank/images/..%2Fsecret_key").status_code == 404
    # Another centre's administrator cannot fetch it.
    g.pop("_login_user", None)
    other = app.test_client()
    login_as("centre_admin", centre=make.centre(), test_client=other)
    g.pop("_login_user", None)
    assert other.get(f"/centre/bank/images/{name}").status_code == 404


def test_a_file_that_is_not_a_picture_is_refused_on_its_field(client, login_as):
    login_as("centre_admin")
    page = client.post(
        "/centre/bank/questions/new",
        data=_form(image_file=(io.BytesIO(b"MZ not a picture"), "photo.png")),
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "Use a PNG or JPEG picture." in page
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0
