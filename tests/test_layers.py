"""The pure layer imports neither Flask nor SQLAlchemy (nor anything of the app's edges)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "examcentre"
# Modules holding pure logic: plain values in, plain values out.
PURE_MODULES = [
    "transmission/sequence.py",
    "idnumber.py",
    "workdays.py",
    "audit/chain.py",
    "bank/vocab.py",
    "bank/validate.py",
    "bank/native.py",
    "bank/stats.py",
    "papers/blueprint.py",
    "papers/draw.py",
    "compliance/model.py",
    "compliance/rules.py",
    "compliance/exchange.py",
    "compliance/clauses.py",
    "compliance/pdf.py",
    "pdf_fonts.py",
    "sessions/states.py",
    "sessions/eligibility.py",
    "sessions/roster.py",
    "sessions/tickets_pdf.py",
    "exams/timing.py",
    "exams/grading.py",
    "exams/archive.py",
    "exams/slip_pdf.py",
    "practical/sheets.py",
    "practical/scoring.py",
    "practical/simulator.py",
    "practical/results.py",
    "practical/gate.py",
    "practical/pdf.py",
    "transmission/batch.py",
    "transmission/signing.py",
    "transmission/policy.py",
    "applications/rules.py",
    "applications/uploads.py",
    "appeals/states.py",
    "appeals/letter_pdf.py",
    "reports/itemstats.py",
    "reports/summary.py",
    "reports/dashboard.py",
    "reports/dossier_pdf.py",
]
FORBIDDEN = (
    "flask",
    "sqlalchemy",
    "flask_sqlalchemy",
    "werkzeug",
    "examcentre.models",
    "examcentre.extensions",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = ".".join(("examcentre", *path.relative_to(PACKAGE).parent.parts))
                parts = base.split(".")[: len(base.split(".")) - node.level + 1]
                names.add(".".join([*parts, node.module] if node.module else parts))
            else:
                names.add(node.module or "")
    return names


def test_pure_modules_import_no_framework():
    offenders = {}
    for relative in PURE_MODULES:
        bad = {
            name
            for name in imported_modules(PACKAGE / relative)
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
        }
        if bad:
            offenders[relative] = sorted(bad)
    assert offenders == {}


def test_the_scan_itself_catches_a_framework_import(tmp_path):
    fake = PACKAGE / "idnumber.py"
    names = imported_modules(fake)
    assert "unicodedata" in names  # the scan reads real imports
    sample = tmp_path / "x.py"
    sample.write_text("from flask import request\nimport sqlalchemy.orm\n")
    assert {"flask", "sqlalchemy.orm"} <= imported_modules(sample)
