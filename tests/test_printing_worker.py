"""The reporting service's PDF worker process never outlives the service: it stops at the service's shutdown,
and (Linux) dies with a service killed outright."""

import os
import subprocess
import sys
import time

import pytest

from services.reporting.logic import printing

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _gone(pid: int, within: float = 20) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[-1].startswith("Z"):  # exited, not yet reaped
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


async def test_the_worker_stops_when_the_service_shuts_down() -> None:
    worker = await printing.in_worker(os.getpid)
    assert worker != os.getpid()
    printing.close()
    assert _gone(worker)
    assert await printing.in_worker(os.getpid) not in (worker, os.getpid())  # a new one on the next use
    printing.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_worker_dies_with_a_service_killed_outright() -> None:
    # A stand-in for the service: starts the worker, says its pid, then waits to be killed.
    script = (
        "import asyncio, os, sys, time\n"
        "from services.reporting.logic import printing\n"
        "print(asyncio.run(printing.in_worker(os.getpid)), flush=True)\n"
        "time.sleep(120)\n"
    )
    service = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout is not None
        worker = int(service.stdout.readline())
        assert not _gone(worker, within=1)
        service.kill()
        service.wait(timeout=10)
        assert _gone(worker)
    finally:
        service.kill()
