"""Benchmark: appending to and verifying the hash-chained audit log.

Prints figures; asserts nothing. Run: .venv/bin/python bench/audit_chain.py [--entries N]
[--database-url URL]. Defaults to a throwaway SQLite file (WAL, synchronous=FULL); a
--database-url must name an EMPTY database made for the purpose (it is migrated and filled).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from examcentre import create_app
from examcentre.audit.operations import SYSTEM, record, verify_chain
from examcentre.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1, help="entries per commit")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ec-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        for i in range(args.entries):
            record(SYSTEM, "bench.event", details={"i": i, "note": "答案已保存"})
            if (i + 1) % args.batch == 0:
                db.session.commit()
        db.session.commit()
        append_s = time.perf_counter() - started
        started = time.perf_counter()
        report = verify_chain()
        verify_s = time.perf_counter() - started
        dialect = db.engine.dialect.name
    assert report.intact
    print(f"database: {dialect}; entries: {args.entries}; per commit: {args.batch}")
    each_ms = append_s * 1e3 / args.entries
    print(f"append: {args.entries / append_s:,.0f} entries/s ({each_ms:.2f} ms each)")
    print(f"verify: {report.entries_checked / verify_s:,.0f} entries/s ({verify_s:.2f} s in all)")


if __name__ == "__main__":
    main()
