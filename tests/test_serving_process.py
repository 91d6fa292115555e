"""How a serving process runs its memory, checked in fresh interpreters (the test process itself must keep
CPython's defaults and collect the apps the other tests make): the garbage collector (shared.collector), and the
cases service on the C library's allocator (shared.memory.with_the_system_allocator)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import ROOT

_COLLECTOR = """
import gc, sys
from shared.collector import tune_for_serving
default = gc.get_threshold()[0]
tune_for_serving(int(sys.argv[1]))
print(default, gc.get_threshold()[0], gc.get_freeze_count())
"""

_ALLOCATOR = """
import os
from shared.memory import with_the_system_allocator
with_the_system_allocator()
print(os.environ.get("PYTHONMALLOC"), os.getpid())
"""


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    return done.stdout


@pytest.mark.parametrize(("asked", "frozen"), [(20_000, True), (0, False)])
def test_a_serving_process_collects_less_often_and_leaves_start_up_out(asked: int, frozen: bool) -> None:
    default, threshold, frozen_count = (int(word) for word in _python(_COLLECTOR, str(asked)).split())
    assert threshold == (asked or default)
    assert (frozen_count > 1000) is frozen


@pytest.mark.parametrize(("given", "used"), [(None, "malloc"), ("pymalloc", "pymalloc")])
def test_the_system_allocator_is_chosen_unless_one_is_given(given: str | None, used: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONMALLOC"} | ({"PYTHONMALLOC": given} if given else {})
    assert _python(_ALLOCATOR, env=env).split()[0] == used


def test_the_cases_service_runs_on_the_system_allocator(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONMALLOC" and not k.startswith("OMI_")}
    env |= {"OMI_CASES_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cases.db", "OMI_CASES_PORT": "0"}
    env |= {"OMI_AUTH_KEYS_DIR": str(tmp_path / "keys")}
    log = tmp_path / "cases.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "services.cases"], cwd=ROOT, env=env, stderr=output)
    try:
        environ = b""
        for _ in range(100):  # the started process's own environment, once it has started again
            environ = Path(f"/proc/{process.pid}/environ").read_bytes()
            if b"PYTHONMALLOC=" in environ or process.poll() is not None:
                break
            time.sleep(0.05)
        assert process.poll() is None, log.read_text()[-2000:]
        assert b"PYTHONMALLOC=malloc" in environ.split(b"\0")
    finally:
        process.kill()
        process.wait()
