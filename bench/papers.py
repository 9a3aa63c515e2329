"""Benchmark: drawing papers, and pre-generating a 500-candidate session into the database.

Prints figures; asserts nothing. A synthetic 5,000-question bank (one item, the default
blueprint's proportions) and the default blueprint.

Run: .venv/bin/python bench/papers.py [--papers N] [--session 500] [--postgres]
SQLite is a throwaway file; with --postgres a scratch database is created on the server
(EXAMCENTRE_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test is only
used to CREATE and DROP it, never to make tables in).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from scratch import scratch_postgres
from sqlalchemy import insert

from examcentre import create_app
from examcentre.audit.operations import Actor
from examcentre.bank.vocab import AREAS, TYPES, QuestionContent, content_hash
from examcentre.extensions import db
from examcentre.models import Centre, Question, QuestionVersion
from examcentre.papers.blueprint import Spec
from examcentre.papers.draw import (
    PoolQuestion,
    build_pool,
    draw_paper,
    exposure_scale,
    make_plan,
)
from examcentre.papers.operations import (
    create_blueprint_version,
    generate_papers,
    publish_blueprint,
)

BANK_SIZE = 5000
ACTOR = Actor("system", None, "bench")
TYPE_SHARE = {"true_false": 0.4, "single": 0.4, "multiple": 0.2}
AREA_SHARE = {"basics": 0.3, "operation": 0.5, "law": 0.2}
OPTIONS = {"true_false": (), "single": ("甲", "乙", "丙", "丁"), "multiple": tuple("甲乙丙丁戊")}


def synthetic_bank() -> list[tuple[str, str, int]]:
    """(area, type, difficulty) for 5,000 questions in the default blueprint's proportions."""
    rows = []
    for qtype in TYPES:
        for area in AREAS:
            n = round(BANK_SIZE * TYPE_SHARE[qtype] * AREA_SHARE[area])
            for i in range(n):
                f = i / n
                rows.append((area, qtype, 1 if f < 0.3 else 2 if f < 0.8 else 3))
    return rows


def bench_draw(papers: int) -> None:
    bank = synthetic_bank()
    pool = build_pool(
        PoolQuestion(i + 1, i + 1, 1, a, t, d, i % 5 == 0, len(OPTIONS[t]), "")
        for i, (a, t, d) in enumerate(bank)
    )
    started = time.perf_counter()
    plan = make_plan(pool, Spec())
    scale = exposure_scale(pool, {i: i % 7 for i in range(1, len(pool) + 1)})
    setup = time.perf_counter() - started
    started = time.perf_counter()
    for seed in range(papers):
        draw_paper(pool, plan, seed, scale)
    elapsed = time.perf_counter() - started
    print(f"pool: {len(pool):,} questions; plan + exposure set-up: {setup * 1e3:.1f} ms")
    print(f"draw: {papers / elapsed:,.0f} papers/s ({elapsed * 1e6 / papers:.0f} µs each)")


def fill_bank(centre: Centre) -> None:
    """5,000 live questions with Core bulk inserts (set-up, not what is measured)."""
    bank = synthetic_bank()
    question_ids = list(
        db.session.scalars(
            insert(Question).returning(Question.id, sort_by_parameter_order=True),
            [
                {"centre_id": centre.id, "item": "Q1", "external_id": f"B-{i:05d}",
                 "status": "live", "current_version": 1, "live_version": 1}
                for i in range(len(bank))
            ],
        )
    )  # fmt: skip
    rows = []
    for qid, (area, qtype, difficulty) in zip(question_ids, bank, strict=True):
        content = QuestionContent(
            area=area,
            type=qtype,
            stem_zh=f"基准测试题 {qid}",
            answer={"true_false": "true", "single": "B", "multiple": "ACD"}[qtype],
            options_zh=OPTIONS[qtype],
            difficulty=difficulty,
        )
        rows.append({
            "centre_id": centre.id, "question_id": qid, "number": 1, "area": area,
            "type": qtype, "difficulty": difficulty, "critical": False,
            "answer": content.answer, "stem_zh": content.stem_zh,
            "options_zh": list(content.options_zh), "options_en": [],
            "content_hash": content_hash(content),
        })  # fmt: skip
    db.session.execute(insert(QuestionVersion), rows)
    db.session.commit()


def bench_session(url: str, label: str, candidates: int) -> None:
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        centre = Centre(code="BENCH", name="基准测试中心")
        db.session.add(centre)
        db.session.commit()
        fill_bank(centre)
        blueprint = create_blueprint_version(ACTOR, centre, "Q1", Spec())
        publish_blueprint(ACTOR, blueprint)
        db.session.commit()
        for round_ in range(2):  # the second session sees the first one's exposure
            started = time.perf_counter()
            generate_papers(
                ACTOR, centre, blueprint, list(range(round_ * 10_000, round_ * 10_000 + candidates))
            )
            db.session.commit()
            elapsed = time.perf_counter() - started
            print(
                f"{label}: session {round_ + 1} of {candidates} papers x 100 questions drawn and"
                f" stored in {elapsed:.2f} s ({elapsed * 1e3 / candidates:.2f} ms per paper)"
            )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--session", type=int, default=500)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    bench_draw(args.papers)
    workdir = Path(tempfile.mkdtemp(prefix="ec-bench-"))
    bench_session(f"sqlite:///{workdir / 'bench.sqlite3'}", "SQLite", args.session)
    if args.postgres:
        url, drop = scratch_postgres()
        try:
            bench_session(url, "PostgreSQL", args.session)
        finally:
            drop()


if __name__ == "__main__":
    main()
