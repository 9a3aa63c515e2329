"""Synthetic pools for the pure drawing tests."""

from __future__ import annotations

from examcentre.bank.vocab import AREAS, TYPES
from examcentre.papers.blueprint import Spec, cells
from examcentre.papers.draw import PoolQuestion

OPTIONS = {"true_false": 0, "single": 4, "multiple": 5}


def pool_questions(
    spec: Spec | None = None,
    factor: int = 3,
    critical_every: int = 0,
    mix=(0.3, 0.5, 0.2),
    extra: int = 0,
) -> list[PoolQuestion]:
    """``factor`` x each cell's draw (+ ``extra``), difficulties split by ``mix``."""
    spec = spec or Spec()
    questions = []
    qid = 0
    for (area, qtype), drawn in cells(spec).items():
        n = factor * drawn + extra
        for i in range(n):
            qid += 1
            fraction = i / n
            difficulty = 1 if fraction < mix[0] else 2 if fraction < mix[0] + mix[1] else 3
            critical = bool(critical_every) and i % critical_every == 0
            questions.append(
                PoolQuestion(qid, 10_000 + qid, 1, area, qtype, difficulty, critical,
                             OPTIONS[qtype], f"h{qid}")
            )  # fmt: skip
    assert {q.area for q in questions} <= set(AREAS) and {q.type for q in questions} <= set(TYPES)
    return questions
