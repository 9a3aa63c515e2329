"""examcentre bank stats: the live questions per item, counted, against the blueprint."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import select

from examcentre.audit.operations import Actor
from examcentre.bank.native import BankQuestion, SyllabusPointData, write_bank_file
from examcentre.bank.operations import (
    create_question,
    edit_question,
    load_bank,
    retire_question,
)
from examcentre.bank.vocab import AREAS, DIFFICULTIES, TYPES
from examcentre.extensions import db
from examcentre.models import Question
from examcentre.papers.blueprint import Spec
from examcentre.papers.operations import create_blueprint_version, publish_blueprint

from ..bankdata import LOADER, question

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "question_bank"
REVIEW = {"reviewed_by": "R", "reviewed_on": date(2026, 11, 22)}

# (area, type, difficulty, English?, reviewed?) of each question of the small bank.
SMALL = [
    ("basics", "true_false", 1, True, True),  # Q1-BA-0001
    ("basics", "true_false", 1, True, True),  # Q1-BA-0002
    ("basics", "single", 2, False, True),  # Q1-BA-0003
    ("operation", "true_false", 1, True, True),  # Q1-OP-0001
    ("operation", "true_false", 2, True, False),  # Q1-OP-0002
    ("operation", "true_false", 3, False, False),  # Q1-OP-0003
    ("operation", "true_false", 2, True, True),  # Q1-OP-0004: retired below
    ("operation", "multiple", 3, True, True),  # Q1-OP-0005
    ("law", "single", 1, True, True),  # Q1-LW-0001: a draft revision waits below
]


def write_small_bank(root: Path) -> Path:
    for area in AREAS:
        code = {"basics": "BA", "operation": "OP", "law": "LW"}[area]
        questions = []
        for n, (_area, qtype, difficulty, english, reviewed) in enumerate(
            (q for q in SMALL if q[0] == area), start=1
        ):
            content = replace(question("Q1", area, qtype, n, difficulty), point=f"Q1-{code}-P1")
            if not english:
                content = replace(content, stem_en=None, options_en=(), explanation_en=None)
            questions.append(
                BankQuestion(f"Q1-{code}-{n:04d}", content, **(REVIEW if reviewed else {}))
            )
        path = root / "theory" / "Q1" / f"{area}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        points = [SyllabusPointData(f"Q1-{code}-P1", "要点")]
        path.write_text(write_bank_file("Q1", area, points, questions), encoding="utf-8")
    return root


def stats(runner, *args):
    result = runner.invoke(args=["bank", "stats", *args])
    assert result.exit_code == 0, result.output
    return result.output


def empty_counts():
    return {t: {a: {str(d): 0 for d in DIFFICULTIES} for a in AREAS} for t in TYPES}


def test_stats_count_the_live_versions_exactly(runner, make, tmp_path):
    centre = make.centre("STATS-1")
    load_bank(LOADER, centre, write_small_bank(tmp_path / "bank"))
    admin = Actor("user", make.user("centre_admin", centre=centre).id, "admin")
    by_id = {q.external_id: q for q in db.session.scalars(select(Question))}
    retire_question(admin, by_id["Q1-OP-0004"], "superseded")
    # A live question with a draft revision is drawn at its live version: counted as that.
    revision = replace(
        question("Q1", "law", "single", 99, 3), point="Q1-LW-P1", stem_en=None, options_en=()
    )
    edit_question(admin, by_id["Q1-LW-0001"], revision)
    # A draft that was never live is not in the bank's live stock.
    create_question(admin, centre, "Q1", replace(revision, stem_zh="另一道草稿题？"))
    db.session.commit()

    document = json.loads(stats(runner, "--item", "Q1", "--format", "json"))
    counts = empty_counts()
    counts["true_false"]["basics"]["1"] = 2
    counts["single"]["basics"]["2"] = 1
    counts["true_false"]["operation"].update({"1": 1, "2": 1, "3": 1})
    counts["multiple"]["operation"]["3"] = 1
    counts["single"]["law"]["1"] = 1
    default = {  # (drawn, live) per cell of the default blueprint
        ("basics", "true_false"): (12, 2),
        ("operation", "true_false"): (20, 3),
        ("law", "true_false"): (8, 0),
        ("basics", "single"): (12, 1),
        ("operation", "single"): (20, 0),
        ("law", "single"): (8, 1),
        ("basics", "multiple"): (6, 0),
        ("operation", "multiple"): (10, 1),
        ("law", "multiple"): (4, 0),
    }
    cells = [
        {
            "cell": f"{area}/{qtype}",
            "area": area,
            "type": qtype,
            "drawn_per_paper": drawn,
            "live": live,
            "required": 3 * drawn,
            "shortfall": 3 * drawn - live,
        }
        for (area, qtype), (drawn, live) in default.items()
    ]
    assert document == {
        "format": "examcentre.bank-stats/1",
        "centre": "STATS-1",
        "coverage_factor": 3,
        "items": [
            {
                "item": "Q1",
                "live": 8,
                "english": 6,
                "reviewed": 6,
                "counts": counts,
                "blueprint": {
                    "source": "default",
                    "version": None,
                    "cells": cells,
                    "shortfall": 292,
                },
            }
        ],
    }

    # A published blueprint replaces the default: one true/false question, from operation.
    one_question = {"true_false": 1, "single": 0, "multiple": 0}
    spec = Spec.from_json({"duration_minutes": 10, "pass_mark": 1, "counts": one_question})
    blueprint = create_blueprint_version(admin, centre, "Q1", spec)
    publish_blueprint(admin, blueprint)
    db.session.commit()
    published = json.loads(stats(runner, "--item", "Q1", "--format", "json"))["items"][0]
    assert published["blueprint"]["source"] == "published"
    assert published["blueprint"]["version"] == blueprint.version
    assert published["blueprint"]["shortfall"] == 0
    assert [
        (c["cell"], c["drawn_per_paper"], c["live"], c["required"], c["shortfall"])
        for c in published["blueprint"]["cells"]
        if c["drawn_per_paper"]
    ] == [("operation/true_false", 1, 3, 3, 0)]

    text = stats(runner, "--item", "Q1")
    assert "Q1: 8 live questions, 6 with English, 6 reviewed" in text
    assert f"Blueprint: published version {blueprint.version}" in text
    lines = text.splitlines()
    assert "  type        area          d1    d2    d3  total" in lines
    assert "  true_false  operation      1     1     1      3" in lines
    assert "  total                      4     2     2      8" in lines
    assert "  operation/true_false        1      3         3          0" in lines


def test_stats_without_an_item_cover_every_item_and_say_the_blueprint_is_the_default(runner, make):
    make.centre()
    document = json.loads(stats(runner, "--format", "json"))
    assert [(i["item"], i["live"], i["blueprint"]["source"]) for i in document["items"]] == [
        ("Q1", 0, "default"),
        ("Q2(限桥式起重机)", 0, "default"),
    ]
    assert "none published: the default blueprint" in stats(runner)


def test_stats_of_the_shipped_bank_agree_with_the_files(runner, make):
    make.centre()
    assert runner.invoke(args=["bank", "load", str(BANK)]).exit_code == 0
    document = json.loads(stats(runner, "--format", "json"))
    items = {"Q1": "Q1", "Q2": "Q2(限桥式起重机)"}
    for folder, item in items.items():
        questions = [
            (yaml.safe_load(path.read_text(encoding="utf-8")))
            for path in sorted((BANK / "theory" / folder).glob("*.yaml"))
        ]
        rows = [(f["area"], q) for f in questions for q in f["questions"]]
        counts = empty_counts()
        for area, q in rows:
            counts[q["type"]][area][str(q["difficulty"])] += 1
        found = next(i for i in document["items"] if i["item"] == item)
        assert found["live"] == len(rows)
        assert found["counts"] == counts
        assert found["english"] == sum(bool((q.get("en") or {}).get("stem")) for _a, q in rows)
        assert found["reviewed"] == sum("reviewed_on" in q for _a, q in rows)
        per_cell = Counter((area, q["type"]) for area, q in rows)
        assert {(c["area"], c["type"]): c["live"] for c in found["blueprint"]["cells"]} == {
            (a, t): per_cell[(a, t)] for a in AREAS for t in TYPES
        }
        assert found["blueprint"]["source"] == "default"
        assert found["blueprint"]["shortfall"] == 0
