"""`make bench` (and `make bench-quick`): the suite's speed, measured on real processes on loopback.

Starts every service and the gateway as its own process (uvloop, httptools) on fresh, uniquely named
PostgreSQL databases (dropped afterwards; SQLite files with --sqlite), generates its data, and measures,
each with a warm-up and several repetitions:
- the database's raw ceilings (asyncpg: row + history row per transaction from 16 connections; COPY);
- the gateway's overhead: GET one inspection and the assessment PUT direct, through the gateway and
  through nginx (wrk, 16 connections);
- ingest: assessment PUT, case POST, questionnaire return POST, bulk import (JSON, CSV), against the ceilings;
- CPU per request of each process (gateway, services, the PostgreSQL backends of these databases), from /proc;
- scaling: PUT rate and GET .../scores at 1,000 and 100,000 stored assessments over 1,000 inspections;
- scoring, the national view, questionnaires and the report (single requests, timed by the client);
- resident memory of each process idle and after the load.
Prints one table and writes bench/results.json. The machine may be shared: wall-clock figures are noisy,
CPU per request is the steadier one.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import httpx

from bench import ceilings, ingest, overhead, questionnaires, report, scaling, scores
from bench.load import FULL, QUICK, available
from bench.proc import Meter, memory
from bench.suite import Suite, loop_and_parser, running_suite
from bench.table import RESULTS, Row, machine, markdown, print_table, write

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
MEMORY_TARGET_MB = 150.0
GROUPS = ("overhead", "ingest", "scaling", "scores", "questionnaires", "report")


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _memory_rows(idle: dict[str, float], after: dict[str, float]) -> list[Row]:
    rows = []
    for name in idle:
        row = Row(
            "memory", f"resident memory: {name}, idle / after the load", "MB", after[name], note=f"idle {idle[name]:.0f} MB"
        )
        row.target, row.met = f"<= {MEMORY_TARGET_MB:g} MB", max(idle[name], after[name]) <= MEMORY_TARGET_MB
        rows.append(row)
    return rows


def measure(suite: Suite, options: argparse.Namespace, skipped: list[str]) -> list[Row]:
    counts = QUICK if options.quick else FULL
    only = set(options.only or GROUPS)
    pids = suite.pids
    meter = Meter(pids, suite.database_names if suite.postgres_url else [])
    idle = memory(pids)
    rows: list[Row] = []
    ceiling: dict[str, object] = {}
    write_ceiling = copy_ceiling = None
    if suite.postgres_url and only & {"ingest", "overhead"}:
        _say("raw database ceilings ...")
        admin = suite.postgres_url.replace("postgresql+asyncpg://", "postgresql://")
        answers = ingest.full_answers(_framework(suite))[1]
        ceiling = asyncio.run(ceilings.measure(admin, answers, counts.seconds, counts.repeat, counts.import_rows))
        rows += ingest.ceiling_rows(ceiling, counts.import_rows)
        write_ceiling, copy_ceiling = rows[0].median, rows[1].median
    elif not suite.postgres_url:
        skipped.append("raw database ceilings and ratios to them: PostgreSQL only (SQLite run)")
    wrk_groups = only & {"overhead", "ingest", "scaling"}
    if wrk_groups and not available():
        skipped.append(f"{', '.join(sorted(wrk_groups))} (wrk load): wrk is not installed (make bench-tools installs it)")
    elif wrk_groups:
        put_loads = 3 + (2 if "scaling" in only else 0)  # direct, gateway, nginx; the scaling rows' two
        _say("seeding cases for the PUT loads ...")
        puts = asyncio.run(ingest.prepare(suite, ingest.cases_needed(counts, put_loads)))
        _say("gateway overhead (wrk) ...")
        overhead_rows, by_path = overhead.measure(suite, counts, puts, skipped)
        if "overhead" in only:
            rows += overhead_rows
        if "ingest" in only:
            _say("ingest: PUT, POST, bulk import ...")
            rows += ingest.put_rows(by_path, write_ceiling)
            rows += ingest.posts(suite, counts, meter, puts.inspection_id, write_ceiling)
            rows += asyncio.run(ingest.imports(suite, counts, meter, copy_ceiling))
        if "scaling" in only:
            _say("scaling: seeding stored assessments ...")
            rows += scaling.measure(suite, counts, puts, meter)
    if "scores" in only:
        _say("scoring and the national view ...")
        rows.append(scores.draw(max(3, counts.timings // 5)))
        rows += asyncio.run(scores.measure(suite.gateway, suite.headers, counts.inspections, counts.timings))
    if "questionnaires" in only:
        _say("questionnaires ...")
        rows += asyncio.run(questionnaires.measure(suite.gateway, suite.headers, counts.timings))
    if "report" in only:
        _say("report ...")
        rows += asyncio.run(report.measure(suite.gateway, suite.headers, counts.timings, suite.pids.get("reporting")))
    return rows + _memory_rows(idle, memory(pids))


def _framework(suite: Suite) -> dict[str, object]:
    return httpx.get(f"{suite.gateway}/api/v1/frameworks/omi-2008", headers=suite.headers, timeout=30).json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts, under a minute (make bench-quick)")
    parser.add_argument("--only", nargs="+", choices=GROUPS, help="run only these groups")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        default=os.environ.get("OMI_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="the PostgreSQL server to make fresh databases on (default: $OMI_BENCH_POSTGRES_URL or %(default)s)",
    )
    where.add_argument("--sqlite", action="store_true", help="SQLite files instead of PostgreSQL")
    parser.add_argument(
        "--service-python",
        default=os.environ.get("OMI_BENCH_SERVICE_PYTHON", sys.executable),
        help="the interpreter the services run on (make bench: a virtualenv without the dev extras, as in the image)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a row misses its target")
    parser.add_argument("--output", default=str(RESULTS), help="where to write the results (default: %(default)s)")
    parser.add_argument("--markdown", metavar="RESULTS", help="print a results file as the README's table, and stop")
    options = parser.parse_args()
    if options.markdown:
        print(markdown(json.loads(Path(options.markdown).read_text())))
        return
    postgres = None if options.sqlite else options.postgres
    started = time.monotonic()
    at_start = machine()
    skipped: list[str] = []
    _say(f"starting the suite on {'PostgreSQL' if postgres else 'SQLite'} ...")
    with running_suite(postgres, options.service_python) as suite:
        loops = {name: loop_and_parser(pid) for name, pid in suite.pids.items()}
        _say(f"processes: {loops}")
        rows = measure(suite, options, skipped)
    elapsed = time.monotonic() - started
    print_table(rows, skipped)
    database = "PostgreSQL" if postgres else "SQLite"
    print(f"\n{'quick' if options.quick else 'full'} run on {database} in {elapsed:.0f} s; processes: {loops}")
    settings = {
        "quick": options.quick,
        "database": "postgresql" if postgres else "sqlite",
        "processes": loops,
        "service_python": options.service_python,
        "counts": vars(QUICK if options.quick else FULL),
        "elapsed_seconds": round(elapsed, 1),
    }
    write(rows, skipped, settings, at_start, Path(options.output))
    if options.strict and any(row.met is False for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
