"""The garbage collector as a serving process runs it (shared.collector), checked in a fresh interpreter: the test
process itself must keep CPython's defaults and collect the apps the other tests make."""

import subprocess
import sys

import pytest

from tests.processes import ROOT

_PROBE = """
import gc, sys
from shared.collector import tune_for_serving
tune_for_serving(int(sys.argv[1]))
print(gc.get_threshold()[0], gc.get_freeze_count())
"""


@pytest.mark.parametrize(("asked", "young", "frozen"), [(20_000, 20_000, True), (0, 700, False)])
def test_a_serving_process_collects_less_often_and_leaves_start_up_out(asked: int, young: int, frozen: bool) -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE, str(asked)], capture_output=True, text=True, cwd=ROOT, check=True)
    threshold, frozen_count = (int(word) for word in done.stdout.split())
    assert threshold == young
    assert (frozen_count > 1000) is frozen
