"""The plain values: results, problems, and the purity of the whole package."""

from __future__ import annotations

import ast
from pathlib import Path

import examcentre.bank.formats as formats
from examcentre.bank.formats import ImportProblem, ParsedQuestion, ParseResult

PACKAGE_DIR = Path(formats.__file__).parent
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug", "examcentre")
ALLOWED_THIRD_PARTY = ("openpyxl",)


def test_counts_always_has_all_three_types():
    result = ParseResult((ParsedQuestion(1, "single", "甲", ("a", "b"), "A"),), ())
    assert result.counts() == {"true_false": 0, "single": 1, "multiple": 0}
    assert result.ok
    assert ParseResult((), ()).counts() == {"true_false": 0, "single": 0, "multiple": 0}


def test_a_problem_makes_the_result_not_ok():
    problem = ImportProblem(7, "no_answer", "the question has no answer")
    assert not ParseResult((), (problem,)).ok
    assert problem.format("a/b.txt") == "a/b.txt:7: the question has no answer"


def imported_top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module or "")
    return names


def test_the_formats_package_is_pure():
    modules = sorted(PACKAGE_DIR.glob("*.py"))
    assert {m.name for m in modules} >= {"__init__.py", "model.py", "plaintext.py", "tabular.py"}
    offenders = {}
    for module in modules:
        names = imported_top_level_names(module)
        bad = {n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)}
        import sys

        foreign = {
            n
            for n in names
            if n.split(".")[0] not in sys.stdlib_module_names
            and n.split(".")[0] not in ALLOWED_THIRD_PARTY
        }
        if bad or foreign:
            offenders[module.name] = sorted(bad | foreign)
    assert offenders == {}


def test_the_purity_scan_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from examcentre.models import Question\nimport flask\n")
    assert imported_top_level_names(sample) == {"examcentre.models", "flask"}
