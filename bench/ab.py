"""`python -m bench.ab BASE` (`make bench-ab BASE=<commit>`): the write loads alternated between two suites
running at once, the commit BASE (checked out in a scratch worktree) and this tree, on PostgreSQL; the medians of
requests a second and of each process's CPU per request. On a shared machine only such alternated runs compare
two versions (a full `make bench` an hour later can differ by more than the change)."""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import ingest
from bench.load import Run, wrk
from bench.proc import Meter

ROOT = Path(__file__).resolve().parents[1]
LOADS = ("put-direct", "put-gw", "case-gw", "ret-direct", "ret-gw")
_SERVICE = {"put": "cases", "case": "cases", "ret": "questionnaires"}


@contextmanager
def serving(tree: Path, cases: int, postgres: str, python: str, folder: Path) -> Iterator[dict[str, Any]]:
    """A suite of ``tree`` (bench/ab_serve.py run there) until the block ends."""
    out = folder / f"{tree.name}.json"
    log = (folder / f"{tree.name}.log").open("w")
    argv = [sys.executable, str(ROOT / "bench" / "ab_serve.py"), str(out), str(cases), postgres, python]
    process = subprocess.Popen(argv, cwd=tree, env=os.environ | {"PYTHONPATH": str(tree)}, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 600
        while not out.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the suite of {tree} did not start: see {log.name}")
            time.sleep(1)
        yield json.loads(out.read_text())
    finally:
        process.terminate()
        process.wait(timeout=120)
        log.close()


def one_load(served: dict[str, Any], load: str, seconds: float, taken: list[int]) -> tuple[Run, dict[str, float]]:
    """One wrk run of ``load`` (what-where: put/case/ret, direct/gw) and CPU ms per request of each process."""
    kind, where = load.split("-")
    service = _SERVICE[kind]
    base = served["urls"]["gateway" if where == "gw" else service]
    headers = served["headers"] | {"Content-Type": "application/json"}
    if kind == "put":  # each case's first write, used once
        count = int(1000 * max(1, round(seconds)))
        paths, taken[0] = served["puts"][taken[0] : taken[0] + count], taken[0] + count
        if len(paths) < count:
            raise RuntimeError("the seeded cases ran out: give --cases more")
        method, body = "PUT", served["body"]
    elif kind == "case":
        paths, method, body = [f"/api/v1/inspections/{served['inspection']}/cases"], "POST", ingest.case_body()
    else:
        paths, method, body = [served["returns"]], "POST", ingest.return_body()
    meter = Meter({"gateway": served["pids"]["gateway"], service: served["pids"][service]}, served["databases"])
    meter.start()
    run = wrk(base, paths, method, headers, body, seconds)
    cpu = {name: round(used * 1000 / max(1, run.requests), 3) for name, used in meter.stop().items()}
    return run, cpu


def medians(runs: list[tuple[Run, dict[str, float]]]) -> tuple[float, dict[str, float]]:
    """The median rate and the median CPU ms per request of each process (the first run left out: a warm-up)."""
    kept = runs[1:] if len(runs) > 2 else runs
    names = kept[0][1]
    return statistics.median(r.rate for r, _ in kept), {n: round(statistics.median(c[n] for _, c in kept), 3) for n in names}


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="omi-ab-")) / "base"
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), ref], cwd=ROOT, check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False, capture_output=True)
        shutil.rmtree(folder.parent, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("base", help="the commit to compare this tree with")
    parser.add_argument("--loads", default=",".join(LOADS), help=f"comma-separated, of {', '.join(LOADS)}")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--cases", type=int, default=60000, help="cases seeded for first-write PUTs, per suite")
    default_postgres = os.environ.get("OMI_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--postgres", default=default_postgres)
    options = parser.parse_args()
    loads = options.loads.split(",")
    if unknown := set(loads) - set(LOADS):
        parser.error(f"unknown loads: {', '.join(sorted(unknown))}")
    python = os.environ.get("OMI_BENCH_SERVICE_PYTHON", sys.executable)
    if os.sep in python:  # a path from here (make's is relative): the suites start in other folders
        python = str(Path(python).absolute())
    folder = Path(tempfile.mkdtemp(prefix="omi-ab-suites-"))
    with (
        worktree(options.base) as base,
        serving(base, options.cases, options.postgres, python, folder) as before,
        serving(ROOT, options.cases, options.postgres, python, folder) as after,
    ):
        sides = {"before": before, "after": after}
        taken = {side: [0] for side in sides}
        results: dict[tuple[str, str], list[tuple[Run, dict[str, float]]]] = {}
        for number in range(options.rounds):
            for load in loads:
                for side in ("before", "after") if number % 2 == 0 else ("after", "before"):
                    run = one_load(sides[side], load, options.seconds, taken[side])
                    results.setdefault((load, side), []).append(run)
                    print(f"round {number + 1} {load} {side}: {run[0].rate:.0f}/s, non-2xx {run[0].non_2xx}", flush=True)
    print(f"\n{options.base} (before) against this tree (after): medians of {options.rounds} rounds")
    for load in loads:
        for side in ("before", "after"):
            rate, cpu = medians(results[(load, side)])
            print(f"{load:11} {side:6} {rate:7.0f}/s  CPU ms/request: {', '.join(f'{n} {v:.2f}' for n, v in cpu.items())}")


if __name__ == "__main__":
    main()
