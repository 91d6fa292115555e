"""shared.memory: a large request's freed heap pages go back to the system as it ends (glibc only)."""

import os

import pytest

from bench.proc import rss_mb
from shared import memory


def _resident_mb() -> float:
    return rss_mb(os.getpid())


@pytest.mark.skipif(memory.TRIM is None, reason="the C library has no malloc_trim (not glibc)")
def test_a_large_body_gives_the_freed_heap_back_and_a_small_one_does_not_trim() -> None:
    # 60 MB of heap blocks freed but for every 50th: the heap cannot shrink from its top, only be trimmed.
    blocks = [bytes(2000) + bytes([n % 256]) for n in range(30_000)]
    kept = blocks[::50]
    del blocks
    before = _resident_mb()
    memory.after_request_body(memory.LARGE_BODY_BYTES - 1)
    assert _resident_mb() > before - 10, "a small body must not trim"
    memory.after_request_body(memory.LARGE_BODY_BYTES)
    assert _resident_mb() < before - 30, f"{before:.0f} MB before the trim, {_resident_mb():.0f} MB after"
    assert len(kept) == 600
