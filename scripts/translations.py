"""Refresh the zh_CN catalogue: extract, update, normalise, compile.

    .venv/bin/python scripts/translations.py          # extract + update + normalise + compile
    .venv/bin/python scripts/translations.py --check  # list untranslated messages, exit 1 if any

The catalogue is kept sorted and without source locations, so that two branches adding
messages merge without conflicts on line numbers. Obsolete messages are dropped.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "examcentre" / "translations"
POT = TRANSLATIONS / "messages.pot"  # a by-product, not tracked
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def normalise() -> list[str]:
    """Rewrite messages.po sorted, without locations or obsolete entries; return the
    untranslated message ids."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    catalog.obsolete.clear()
    # A fixed date: the extraction time would make every branch's catalogue conflict.
    catalog.creation_date = datetime(2026, 1, 1, tzinfo=UTC)
    with PO.open("wb") as handle:
        write_po(handle, catalog, no_location=True, sort_output=True)
    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id if isinstance(message.id, str) else message.id[0])
    return untranslated


def main() -> int:
    if "--check" not in sys.argv:
        subprocess.run([*PYBABEL, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-o",
                        str(POT), "."], cwd=ROOT, check=True)
        subprocess.run([*PYBABEL, "-q", "update", "--no-fuzzy-matching", "-i", str(POT), "-d",
                        str(TRANSLATIONS)], cwd=ROOT, check=True)
    untranslated = normalise()
    subprocess.run([*PYBABEL, "-q", "compile", "-d", str(TRANSLATIONS)], cwd=ROOT, check=True)
    for message_id in untranslated:
        print(f"untranslated: {message_id}")
    return 1 if untranslated else 0


if __name__ == "__main__":
    sys.exit(main())
