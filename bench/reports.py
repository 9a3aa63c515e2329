"""Benchmark: the reports of issue 9 on synthetic data.

1. The period summary (汇总报表) over --results subject results (default 1,000,000) in the
   authority hub's tables on PostgreSQL (target <= 2 s). The data are written with COPY into
   a scratch database that is dropped afterwards: --sittings sittings (default 527,000) at
   20 centres, each with a theory result and a simulator result, a year of sessions.
2. Item statistics (pure numpy) for --attempts attempts x --questions questions per paper
   (default 100,000 x 100; a bank of 300 questions), cold (first call) and warm (target <= 2 s).
3. The summary PDF of a 1,000-candidate session (query + PDF, target <= 5 s).

Prints figures; asserts nothing. Run: .venv/bin/python bench/reports.py [--skip-postgres].
PostgreSQL: EXAMCENTRE_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
names the server; a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import date, datetime, timedelta

import numpy as np
from scratch import scratch_postgres
from sqlalchemy import text

CENTRES = 20
ITEMS = ("Q1", "Q2(限桥式起重机)")


def fill_hub(db, sittings: int, seed: int = 1) -> tuple[int, int]:
    """COPY synthetic hub rows: returns (sittings, subject results)."""
    rng = random.Random(seed)
    sessions_per_centre = max(1, sittings // (CENTRES * 250))
    per_session = sittings // (CENTRES * sessions_per_centre)
    first_day = datetime(2026, 1, 5, 1, 0)
    connection = db.engine.raw_connection()
    cursor = connection.cursor()
    with cursor.copy(
        "COPY hub_centres (id, code, name, public_key, key_fingerprint, registered_at,"
        " registered_by) FROM STDIN"
    ) as copy:
        for c in range(1, CENTRES + 1):
            copy.write_row((c, f"C{c:02d}", f"中心{c}", "-", "0" * 64, first_day, "bench"))
    batches, sitting_rows, result_rows = [], [], []
    sitting_id = result_id = batch_id = 0
    people = int(sittings * 0.8)  # about one sitting in five is a retake
    for c in range(1, CENTRES + 1):
        # A centre's own pass rate, so that some centres stand out on the dashboard.
        skill = 0.55 + 0.3 * rng.random()
        for s in range(sessions_per_centre):
            batch_id += 1
            starts = first_day + timedelta(days=int(s * 360 / sessions_per_centre), hours=c % 5)
            item = ITEMS[s % 2]
            batches.append(
                (
                    batch_id,
                    f"{uuid.UUID(int=batch_id)}",
                    c,
                    f"C{c:02d}",
                    "session",
                    batch_id,
                    "0" * 64,
                    "{}",
                    "-",
                    "0" * 64,
                    starts,
                    starts,
                    "https",
                    "{}",
                    True,
                )
            )
            for _ in range(per_session):
                sitting_id += 1
                absent = rng.random() < 0.05
                sitting_rows.append(
                    (
                        sitting_id,
                        batch_id,
                        f"C{c:02d}",
                        batch_id,
                        item,
                        starts,
                        f"T{sitting_id:08d}",
                        f"{rng.randrange(people):018d}",
                        "考生",
                        "absent" if absent else "checked_in",
                    )
                )
                if absent:
                    continue
                theory = min(100.0, max(0.0, rng.gauss(100 * skill, 12)))
                result_id += 1
                result_rows.append(
                    (
                        result_id,
                        batch_id,
                        sitting_id,
                        f"C{c:02d}",
                        item,
                        starts,
                        "theory",
                        round(theory, 1),
                        100.0,
                        theory >= 70,
                        "{}",
                    )
                )
                practical = min(100.0, max(0.0, rng.gauss(75, 10)))
                result_id += 1
                result_rows.append(
                    (
                        result_id,
                        batch_id,
                        sitting_id,
                        f"C{c:02d}",
                        item,
                        starts,
                        "simulator",
                        round(practical, 1),
                        100.0,
                        None if rng.random() < 0.1 else practical >= 60,
                        "{}",
                    )
                )
    with cursor.copy(
        "COPY hub_batches (id, batch_id, hub_centre_id, centre_code, scope, session_ref,"
        " content_sha256, document, signature, key_fingerprint, created_at, received_at,"
        " received_via, receipt, current) FROM STDIN"
    ) as copy:
        for row in batches:
            copy.write_row(row)
    with cursor.copy(
        "COPY hub_sittings (id, hub_batch_id, centre_code, session_ref, item, starts_at,"
        " ticket, id_number, name, attendance) FROM STDIN"
    ) as copy:
        for row in sitting_rows:
            copy.write_row(row)
    with cursor.copy(
        "COPY hub_subject_results (id, hub_batch_id, sitting_id, centre_code, item, starts_at,"
        " subject, score, total, passed, details) FROM STDIN"
    ) as copy:
        for row in result_rows:
            copy.write_row(row)
    for table in ("hub_centres", "hub_batches", "hub_sittings", "hub_subject_results"):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    connection.commit()
    # COPY passes by ingest, which numbers each sitting (hub_sittings.seq, the retakes):
    # number them all at once, as migration 0012 back-fills an existing hub.
    from examcentre.transmission.hub import NUMBER_ALL_SQL

    started = time.perf_counter()
    cursor.execute(NUMBER_ALL_SQL)
    connection.commit()
    print(f"hub_sittings.seq numbered in {time.perf_counter() - started:.1f} s (as migration 0012)")
    # The outcome flags the overall pass rate reads (ingest sets them from the batch in hand):
    # all at once, as migration 0013 back-fills an existing hub.
    from examcentre.transmission.hub import MARK_OUTCOMES_SQL

    started = time.perf_counter()
    cursor.execute(MARK_OUTCOMES_SQL)
    connection.commit()
    print(f"hub_sittings outcome flags set in {time.perf_counter() - started:.1f} s (as 0013)")
    # Measure tables as a live hub has them: vacuumed (hint bits set, visibility map; the
    # UPDATE's dead row versions gone), not fresh from COPY with autovacuum about to run
    # during the measurements.
    connection.driver_connection.autocommit = True
    cursor.execute("VACUUM hub_batches, hub_sittings, hub_subject_results")
    cursor.execute("ANALYZE")
    connection.commit()
    connection.close()
    return len(sitting_rows), len(result_rows)


def bench_summary(args) -> None:
    from flask_migrate import upgrade

    from examcentre import create_app
    from examcentre.extensions import db
    from examcentre.reports import operations as ops
    from examcentre.reports import summary
    from examcentre.transmission.hub import mark_outcomes

    url, drop = scratch_postgres()
    try:
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            sittings, results = fill_hub(db, args.sittings)
            print(
                f"hub data: {sittings:,} sittings, {results:,} subject results "
                f"({time.perf_counter() - started:.0f} s to generate and COPY)"
            )
            year = (date(2026, 1, 1), date(2026, 12, 31))
            for label, centre in (("all centres", None), ("one centre", "C07")):
                times = []
                for _ in range(3):
                    started = time.perf_counter()
                    doc = ops.period_summary("hub", centre, *year, "Asia/Shanghai")
                    times.append(time.perf_counter() - started)
                    db.session.rollback()
                print(
                    f"period summary, a year, {label}: best {min(times):.2f} s, "
                    f"first {times[0]:.2f} s ({doc['totals']['theory']['results']:,} theory "
                    f"results, {len(doc['rows'])} rows)"
                )
            # The summary PDF of a 1,000-candidate session: the sittings of one day.
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO hub_batches (id, batch_id, hub_centre_id, centre_code, scope,"
                        " session_ref, content_sha256, document, signature, key_fingerprint,"
                        " created_at, received_at, received_via, receipt, current) VALUES (999999,"
                        " 'big', 1, 'C01', 'session', 999999, '0', '{}', '-', '0', '2027-01-04',"
                        " '2027-01-04', 'https', '{}', true)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO hub_sittings (hub_batch_id, centre_code, session_ref, item,"
                        " starts_at, ticket, id_number, name, attendance) SELECT 999999, 'C01',"
                        " 999999, 'Q1', '2027-01-04 01:00', 'B' || g, lpad(g::text, 18, '9'),"
                        " '考生', 'checked_in' FROM generate_series(1, 1000) g"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO hub_subject_results (hub_batch_id, sitting_id, centre_code,"
                        " item, starts_at, subject, score, total, passed, details) SELECT"
                        " 999999, id, 'C01', 'Q1', starts_at, 'theory', (id % 100)::float, 100,"
                        " id % 100 >= 70, '{}' FROM hub_sittings WHERE hub_batch_id = 999999"
                    )
                )
                # As ingest would have set them (its theory figures, for the overall rate).
                mark_outcomes(connection, 999999)
            day = (date(2027, 1, 4), date(2027, 1, 4))
            started = time.perf_counter()
            doc = ops.period_summary("hub", "C01", *day, "Asia/Shanghai", centre_label="C01")
            pdf = summary.to_pdf(doc, "zh")
            took = time.perf_counter() - started
            print(
                f"summary PDF of a 1,000-candidate session: {took:.2f} s "
                f"({len(pdf):,} bytes, {doc['totals']['sat']} sat)"
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def bench_item_stats(args) -> None:
    from examcentre.reports.itemstats import QuestionInfo, Responses, analyse

    n, p, bank = args.attempts, args.questions, 300
    rng = np.random.default_rng(1)
    attempt = np.repeat(np.arange(n), p)
    slot = np.tile(np.arange(p), n)
    # Each paper: p different questions of the bank (a random permutation's first p).
    question = np.argsort(rng.random((n, bank)), axis=1)[:, :p].ravel()
    ability = rng.normal(size=n)
    difficulty = rng.normal(size=bank)
    chance = 1 / (1 + np.exp(-(ability[attempt] - difficulty[question])))
    right = rng.random(n * p) < chance
    choice = np.where(right, 1, rng.choice([2, 4, 8], n * p))
    data = Responses(attempt, question, slot, right.astype(float), np.ones(n * p), choice)
    info = [QuestionInfo(i, f"Q{i}", "single", "A", 4) for i in range(bank)]
    times = []
    for _ in range(3):
        started = time.perf_counter()
        doc = analyse(data, info)
        times.append(time.perf_counter() - started)
    print(
        f"item statistics, {n:,} attempts x {p} questions ({n * p:,} responses): "
        f"first {times[0]:.2f} s, best {min(times):.2f} s (alpha {doc['test']['alpha']:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sittings", type=int, default=527_000)
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    bench_item_stats(args)
    if not args.skip_postgres:
        bench_summary(args)


if __name__ == "__main__":
    main()
