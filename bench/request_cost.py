"""What one candidate's requests cost the server, endpoint by endpoint, in CPU time.

The exam storm (bench/exam_storm.py) measures a whole room against a real server, but on a
2-core machine shared with the 500 simulated terminals its figures move with whatever else
runs. This benchmark takes the network, the threads and the other candidates away: it
drives the Flask app in-process with its test client, one candidate after another, and
reports per endpoint the median process CPU time and wall time. CPU time per request is
what bounds the storm (two cores give at most 2 s of CPU per second), and it is steady on a
noisy machine. ``--profile [ENDPOINT]`` adds the functions where that time goes.

CPU time still moves with the machine: on a shared 2-core VM the same run gave figures up to
45 % apart within minutes. ``--instructions [ENDPOINTS]`` counts instead the instructions the
process executes in those endpoints, under valgrind's callgrind (instrumentation switched on
only around the measured requests, after ``--warm`` candidates have warmed the caches): the
same code gives the same count to within about half a per cent, whatever else the machine is
doing, so two versions of the code can be compared with ``PYTHONPATH=<other checkout>``. It
needs valgrind and gcc (Debian's packages) and a scratch SQLite database, and is slow: about
a minute and a half per endpoint for 30 candidates, the endpoints in parallel.

    .venv/bin/python bench/request_cost.py --candidates 40 [--profile [ENDPOINT]] [--database URL]
    .venv/bin/python bench/request_cost.py --candidates 30 --instructions sign-in,start

``--segment MODULE:FUNCTION`` (with ``--instructions``; repeatable) counts only inside that
function, called through its module's global, within the endpoints' requests: where a
request's instructions go (the start's paper, ``examcentre.api.terminal:paper_parts``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exam_storm  # its data preparation: the same room
from sqlalchemy import event

from examcentre.extensions import db

API = "/api/v1/terminal"
CSRF = re.compile(r'name="csrf-token"\s+content="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')


def token_of(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--saves", type=int, default=10, help="answers saved per candidate")
    parser.add_argument("--database", help="a database URL (default: a scratch SQLite file)")
    parser.add_argument("--profile", nargs="?", const="all", metavar="ENDPOINT",
                        help="print where the CPU time goes (of one endpoint, e.g. 'start')")
    parser.add_argument("--sort", default="cumulative",
                        help="the profile's order (cumulative, tottime)")
    parser.add_argument("--dump", metavar="FILE", help="with --profile: also write the pstats")
    parser.add_argument("--sql", metavar="ENDPOINT",
                        help="print the SQL statements of one endpoint's last request")
    parser.add_argument("--limiter", action="store_true", help="keep the sign-in limiter on")
    parser.add_argument("--instructions", nargs="?", const="sign-in,start", metavar="ENDPOINTS",
                        help="count instructions per request under callgrind (default: the "
                             "storm's sign-in,start)")
    parser.add_argument("--warm", type=int, default=5,
                        help="with --instructions: candidates not counted (they warm caches)")
    parser.add_argument("--segment", action="append", default=[], metavar="MODULE:FUNCTION",
                        help="with --instructions: count only inside these functions (called "
                             "through their module's global) within the endpoints' requests")
    parser.add_argument("--child-of", metavar="SEATS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    segments = [segment for item in args.segment for segment in item.split(",") if segment]
    if segments and not args.instructions:
        parser.error("--segment counts instructions: it needs --instructions")
    for segment in segments:  # before the data is prepared: a typo fails at once
        try:
            resolve_segment(segment)
        except (ImportError, AttributeError, ValueError) as error:
            parser.error(f"--segment {segment}: {error}")

    workdir = Path(tempfile.mkdtemp(prefix="request-cost-"))
    url = args.database or f"sqlite:///{workdir / 'bench.sqlite3'}"
    if args.child_of:  # under valgrind, on a prepared database
        seats = [exam_storm.Seat(**seat) for seat in json.loads(Path(args.child_of).read_text())]
    else:
        if args.instructions and args.database:
            parser.error("--instructions runs on its own scratch SQLite database")
        seats, _duration = exam_storm.prepare(url, args.candidates, args.questions)
        if args.instructions:
            count_instructions(args, workdir, seats)
            return
    app = exam_storm.make_bench_app(url)
    app.config["RATELIMIT_ENABLED"] = args.limiter
    cpu: dict[str, list[float]] = defaultdict(list)
    wall: dict[str, list[float]] = defaultdict(list)
    # CPU time, as the figures above: what bounds the storm (waiting on the database is not).
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    # Statements per request: a count that, unlike time, does not move with the machine.
    statements: list[str] = []
    sql_counts: dict[str, list[int]] = defaultdict(list)
    last_sql: dict[str, list[str]] = {}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_a: statements.append(statement))

    counted = 0
    warmed = False  # past the candidates that warm the caches (--warm)
    in_segment: list[bool] = []  # non-empty while a counted request runs
    entered = {segment: count_inside(segment, in_segment) for segment in segments}

    def call(client, label: str, method: str, path: str, expect: int = 200, **kwargs):
        nonlocal counted
        profiling = profiler is not None and args.profile in ("all", label)
        if profiling:
            profiler.enable()
        counting = args.child_of and label == args.instructions and warmed
        in_segment.clear()
        if counting and segments:
            in_segment.append(True)  # the segments switch counting on and off themselves
        elif counting:
            callgrind("on")
        statements.clear()
        c0, w0 = time.process_time(), time.perf_counter()
        response = client.open(path, method=method, **kwargs)
        cpu[label].append(time.process_time() - c0)
        wall[label].append(time.perf_counter() - w0)
        sql_counts[label].append(len(statements))
        last_sql[label] = list(statements)
        if profiling:
            profiler.disable()
        in_segment.clear()
        if counting and not segments:
            callgrind("off")
        if counting:
            counted += 1
        if response.status_code != expect:
            raise RuntimeError(f"{label}: {response.status_code} {response.get_data(True)[:200]}")
        return response

    for index, seat in enumerate(seats):
        warmed = index >= args.warm
        client = app.test_client()
        client.set_cookie(app.config["TERMINAL_COOKIE_NAME"], seat.token)
        form_token = token_of(call(client, "sign-in page", "GET", "/auth/terminal").get_data(True))
        # The sign-in answers with the exam page itself (its token is the API's).
        page = call(client, "sign-in", "POST", "/auth/terminal", data={
            "csrf_token": form_token, "ticket_number": seat.ticket, "id_number": seat.id_number})
        headers = {"X-CSRFToken": token_of(page.get_data(True))}
        call(client, "exam page", "GET", "/terminal/")  # a reload (not part of the storm)
        # As exam.js: the page embeds the exam's state, and start answers with the paper.
        paper = call(client, "start", "POST", f"{API}/start", headers=headers).get_json()
        call(client, "paper", "GET", f"{API}/paper")  # a refresh (not part of the storm)
        for question in paper["questions"][: args.saves]:
            call(client, "save", "PUT", f"{API}/answers/{question['position']}", headers=headers,
                 json={"response": "true" if question["type"] == "true_false" else "A",
                       "seq": 1})
        call(client, "heartbeat", "POST", f"{API}/heartbeat", headers=headers)
        call(client, "submit", "POST", f"{API}/submit", headers=headers)

    if args.child_of:
        for segment, times in entered.items():
            if not times[0]:
                sys.exit(f"--segment {segment}: never ran inside a counted '{args.instructions}' "
                         f"request. A caller that imported it by name calls its own reference: "
                         f"name it in the caller's module (examcentre.web.terminal:exam_json).")
        print(f"counted {counted} requests")
        return
    print(f"{args.candidates} candidates, {args.questions}-question papers, {url.split(':')[0]}")
    print(f"{'endpoint':<14} {'n':>5} {'CPU ms p50':>11} {'wall ms p50':>12} {'SQL p50':>8}")
    storm_cpu = 0.0
    for label in cpu:
        print(f"{label:<14} {len(cpu[label]):>5} {statistics.median(cpu[label]) * 1000:>11.1f}"
              f" {statistics.median(wall[label]) * 1000:>12.1f}"
              f" {statistics.median(sql_counts[label]):>8.0f}")
        if label in ("sign-in", "start"):  # the storm (the sign-in page comes
            # before it: the terminals show it while the room waits)
            storm_cpu += statistics.median(cpu[label])
    print(f"start storm, per candidate: {storm_cpu * 1000:.1f} ms CPU -> 500 candidates need "
          f"{storm_cpu * 500:.1f} CPU-seconds, {storm_cpu * 250:.1f} s on two cores at best")
    if args.sql:
        print(f"\nSQL of the last '{args.sql}':")
        for statement in last_sql.get(args.sql, []):
            print("  " + " ".join(statement.split())[:300])
    if profiler:
        if args.dump:
            profiler.dump_stats(args.dump)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(60)
        print(out.getvalue())


# Callgrind is switched on and off from inside the process, with valgrind's client requests
# (a few instructions each): switching it with ``callgrind_control`` from a subprocess
# counted that subprocess's machinery into the figures.
_COUNTING_C = """
#include <valgrind/callgrind.h>
void counting_on(void) { CALLGRIND_START_INSTRUMENTATION; }
void counting_off(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""
_counting = None


def build_counting_library(workdir: Path) -> Path:
    source, library = workdir / "counting.c", workdir / "libcounting.so"
    source.write_text(_COUNTING_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(library), str(source)],
                   check=True)
    return library


def callgrind(state: str) -> None:
    """Switch callgrind's instrumentation of this process on or off."""
    global _counting
    if _counting is None:
        import ctypes

        _counting = ctypes.CDLL(os.environ["REQUEST_COST_COUNTING_LIBRARY"])
    (_counting.counting_on if state == "on" else _counting.counting_off)()


def resolve_segment(segment: str) -> tuple[object, str, object]:
    """MODULE:FUNCTION or MODULE:CLASS.METHOD -> (its owner, its name, the function)."""
    import importlib

    module_name, colon, path = segment.partition(":")
    if not colon or not module_name or not path:
        raise ValueError("expected MODULE:FUNCTION or MODULE:CLASS.METHOD")
    owner = importlib.import_module(module_name)
    *owners, name = path.split(".")  # "Flask.wsgi_app": a method of a class of the module
    for attribute in owners:
        owner = getattr(owner, attribute)
    inner = getattr(owner, name)
    if not callable(inner):
        raise ValueError(f"{path} is not a function")
    return owner, name, inner


def count_inside(segment: str, in_segment: list[bool]) -> list[int]:
    """Replace MODULE:FUNCTION (or MODULE:CLASS.METHOD) by a wrapper that counts instructions
    only inside it (outer calls only, and only while a counted request runs). Answers how
    many times it was counted, in a list it keeps up to date."""
    import functools

    owner, name, inner = resolve_segment(segment)
    depth, times = [0], [0]

    @functools.wraps(inner)
    def counted(*args, **kwargs):
        outermost = bool(in_segment) and depth[0] == 0
        depth[0] += 1
        if outermost:
            times[0] += 1
            callgrind("on")
        try:
            return inner(*args, **kwargs)
        finally:
            depth[0] -= 1
            if outermost:
                callgrind("off")

    setattr(owner, name, counted)
    return times


def count_instructions(args, workdir: Path, seats) -> None:
    """Each endpoint in its own run under callgrind, on its own copy of the database."""
    if (shutil.which("valgrind") is None or shutil.which("gcc") is None
            or not Path("/usr/include/valgrind/callgrind.h").exists()):
        sys.exit("--instructions needs valgrind and gcc (apt-get install valgrind gcc)")
    library = build_counting_library(workdir)
    seats_file = workdir / "seats.json"
    seats_file.write_text(json.dumps([seat.__dict__ for seat in seats]))
    database = workdir / "bench.sqlite3"
    endpoints = [e.strip() for e in args.instructions.split(",") if e.strip()]
    runs = {}
    for endpoint in endpoints:
        copy = workdir / f"{endpoint}.sqlite3"
        shutil.copyfile(database, copy)
        runs[endpoint] = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={workdir / endpoint}.callgrind",
             sys.executable, __file__, "--child-of", str(seats_file),
             "--database", f"sqlite:///{copy}", "--instructions", endpoint,
             "--warm", str(args.warm), "--questions", str(args.questions)]
            + (["--limiter"] if args.limiter else [])
            + [f"--segment={segment}" for segment in args.segment],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "REQUEST_COST_COUNTING_LIBRARY": str(library)},
        )
    print(f"{len(seats)} candidates ({args.warm} not counted), {args.questions}-question "
          f"papers, sqlite; instructions under callgrind")
    per_request_of = {}
    for endpoint, run in runs.items():
        output, _ = run.communicate()
        collected = re.search(r"Collected : (\d+)", output)
        requests = re.search(r"counted (\d+) requests", output)
        if run.returncode or not collected or not requests or not int(requests.group(1)):
            sys.exit(f"{endpoint}: the run under callgrind failed:\n{output[-2000:]}")
        per_request = per_request_of[endpoint] = int(collected.group(1)) / int(requests.group(1))
        print(f"{endpoint:<14} {int(requests.group(1)):>5} requests {per_request / 1e6:>9.2f} "
              f"M instructions each")
    if "sign-in" in per_request_of and "start" in per_request_of:
        storm = per_request_of["sign-in"] + per_request_of["start"]
        print(f"start storm (sign-in + start), per candidate: {storm / 1e6:.2f} M instructions")


if __name__ == "__main__":
    main()
