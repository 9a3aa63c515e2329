"""The practical modules are pure: no Flask, SQLAlchemy, models or extensions (but for the
operations and the command line beside them: ``stations.py``, ``operations.py``, ``cli.py``)."""

from __future__ import annotations

from tests.test_layers import FORBIDDEN, PACKAGE, imported_modules


def test_practical_modules_import_no_framework():
    not_pure = {"stations.py", "operations.py", "cli.py"}
    modules = sorted(p for p in (PACKAGE / "practical").glob("*.py") if p.name not in not_pure)
    assert {m.name for m in modules} >= {
        "__init__.py", "sheets.py", "scoring.py", "simulator.py", "results.py", "gate.py",
        "pdf.py",
    }  # fmt: skip
    offenders = {}
    for path in modules:
        bad = {
            name
            for name in imported_modules(path)
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
        }
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}
