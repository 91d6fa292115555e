"""One side of `python -m bench.ab`, run as a script in the tree it measures (that tree's `bench` and services):
a suite on fresh PostgreSQL databases with cases seeded for first-write PUTs and a questionnaire for returns;
what the loads need is written to a JSON file, and the suite runs until SIGTERM."""

import asyncio
import json
import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, os.getcwd())  # the measured tree, not this file's

from bench import ingest  # the measured tree's
from bench.suite import running_suite


def main() -> None:
    out, cases, postgres, python = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with running_suite(postgres, python=python) as suite:
        puts = asyncio.run(ingest.prepare(suite, cases))
        returns = asyncio.run(ingest._returns_fixture(suite))
        served = {
            "urls": suite.urls,
            "pids": suite.pids,
            "headers": suite.headers,
            "databases": suite.database_names,
            "puts": puts.pool.take(cases),
            "body": puts.body,
            "inspection": puts.inspection_id,
            "returns": returns,
        }
        partial = out.with_suffix(".partial")
        partial.write_text(json.dumps(served))
        partial.rename(out)
        stopped.wait()


if __name__ == "__main__":
    main()
