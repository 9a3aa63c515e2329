"""Synthetic bank files for tests: any number of questions per cell, valid by construction."""

from __future__ import annotations

from pathlib import Path

from examcentre.audit.operations import Actor
from examcentre.bank.native import BankQuestion, SyllabusPointData, write_bank_file
from examcentre.bank.operations import load_bank
from examcentre.bank.vocab import AREA_CODES, AREAS, ITEM_DIRS, QuestionContent
from examcentre.papers.blueprint import Spec, cells

LOADER = Actor("system", None, "tests")


def question(item: str, area: str, qtype: str, n: int, difficulty: int = 2, critical=False):
    code = f"{ITEM_DIRS[item]}-{AREA_CODES[area]}"
    options = {
        "true_false": (),
        "single": ("甲", "乙", "丙", "丁"),
        "multiple": ("甲", "乙", "丙", "丁", "戊"),
    }
    answer = {"true_false": "true", "single": "B", "multiple": "ACD"}[qtype]
    content = QuestionContent(
        area=area,
        type=qtype,
        stem_zh=f"{item}{area}{qtype}第{n}题：测试题干？",
        answer=answer,
        options_zh=options[qtype],
        point=f"{code}-P1",
        difficulty=difficulty,
        level="理解",
        critical=critical,
        explanation_zh="解析。",
        stem_en=f"{item} {area} {qtype} question {n}?",
        options_en=tuple(f"opt {o}" for o in "ABCDE"[: len(options[qtype])]),
        reference="GB 6067.1-2010",
    )
    return content


def write_bank(
    root: Path, item: str = "Q1", factor: int = 3, spec: Spec | None = None, critical_every: int = 0
) -> Path:
    """Bank files with ``factor`` x the default blueprint's draw per cell, difficulty 30/50/20."""
    spec = spec or Spec()
    draws = cells(spec)
    for area in AREAS:
        questions = []
        n = 0
        for (cell_area, qtype), drawn in draws.items():
            if cell_area != area:
                continue
            count = factor * drawn
            for i in range(count):
                n += 1
                fraction = i / max(count, 1)
                difficulty = 1 if fraction < 0.3 else 2 if fraction < 0.8 else 3
                critical = bool(critical_every) and i % critical_every == 0
                qid = f"{ITEM_DIRS[item]}-{AREA_CODES[area]}-{n:04d}"
                questions.append(
                    BankQuestion(qid, question(item, area, qtype, n, difficulty, critical))
                )
        code = f"{ITEM_DIRS[item]}-{AREA_CODES[area]}"
        points = [
            SyllabusPointData(f"{code}-P1", f"{area}要点一", "Point one"),
            SyllabusPointData(f"{code}-P2", f"{area}要点二", None),
        ]
        path = root / "theory" / ITEM_DIRS[item] / f"{area}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(write_bank_file(item, area, points, questions), encoding="utf-8")
    return root


def load_synthetic(centre, tmp_path: Path, **kwargs):
    root = write_bank(tmp_path / "bank", **kwargs)
    return load_bank(LOADER, centre, root)
