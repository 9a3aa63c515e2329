"""The sample bank shipped in question_bank/: it loads cleanly, covers the default blueprint
three times over in every cell, draws valid papers, and holds no near-duplicate stems."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
import yaml

from examcentre.bank.operations import load_bank
from examcentre.extensions import db
from examcentre.papers.blueprint import Spec, can_publish, cells
from examcentre.papers.operations import (
    blueprint_coverage,
    create_blueprint_version,
    draw_papers,
    publish_blueprint,
)

from .factories import TEST_ACTOR

BANK = Path(__file__).resolve().parents[1] / "question_bank"
ITEMS = ("Q1", "Q2(限桥式起重机)")
PAPERS_PER_ITEM = 1000


@pytest.fixture
def loaded(make):
    centre = make.centre()
    report = load_bank(TEST_ACTOR, centre, BANK)
    db.session.commit()
    return centre, report


def test_the_shipped_bank_loads_with_no_error(loaded):
    _centre, report = loaded
    assert report.files == 6


@pytest.mark.parametrize("item", ITEMS)
def test_every_default_cell_holds_three_times_its_draw_and_papers_meet_the_blueprint(
    loaded, item
):
    centre, _report = loaded
    spec = Spec()
    blueprint = create_blueprint_version(TEST_ACTOR, centre, item, spec)
    cover = blueprint_coverage(blueprint, 3)
    short = {c.cell: (c.live_questions, c.required) for c in cover if c.shortfall}
    assert short == {}
    assert can_publish(cover)
    publish_blueprint(TEST_ACTOR, blueprint)
    db.session.commit()

    batch = draw_papers(blueprint, list(range(PAPERS_PER_ITEM)))
    pool, wanted = batch.pool, cells(spec)
    for paper in batch.papers:
        chosen = paper.order
        assert len(np.unique(chosen)) == len(chosen) == spec.question_count
        drawn = Counter(
            (pool.questions[i].area, pool.questions[i].type) for i in chosen.tolist()
        )
        assert drawn == Counter(wanted), paper.seed


def normalised(stem: str) -> str:
    text = unicodedata.normalize("NFKC", stem)
    return re.sub(r"[\s（）()，。、？?：:“”\"'‘’《》]", "", text)


def trigrams(text: str) -> set[str]:
    return {text[i:i + 3] for i in range(max(len(text) - 2, 1))}


@pytest.mark.parametrize("item_dir", ["Q1", "Q2"])
def test_no_two_stems_of_an_item_are_near_duplicates(item_dir):
    stems = {}
    for path in sorted((BANK / "theory" / item_dir).glob("*.yaml")):
        for question in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            stems[question["id"]] = trigrams(normalised(question["zh"]["stem"]))
    near = [
        (a, b) for (a, sa), (b, sb) in combinations(stems.items(), 2)
        if len(sa & sb) / len(sa | sb) >= 0.8
    ]
    assert near == []
