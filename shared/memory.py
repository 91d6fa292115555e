"""Gives the heap's free pages back to the system (glibc's malloc_trim) as a large request ends and every
few seconds, so that a process's resident memory falls back after its peak instead of staying there."""

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import sys
from collections.abc import AsyncIterator, Callable


def _malloc_trim() -> Callable[[], object] | None:
    # CPython frees a large request's objects, but glibc keeps the pages of a fragmented heap: a
    # 2,000-row import left the cases service about 25 MB above its idle size until trimmed (≈ 1 ms a call).
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


TRIM = _malloc_trim()
# A body this large (a bulk import) leaves many megabytes of parsed rows freed as its request ends.
LARGE_BODY_BYTES = 1024 * 1024


def after_request_body(received: int) -> None:
    """Called as a request ends with the size of its body: trim at once after a large one."""
    if received >= LARGE_BODY_BYTES and TRIM is not None:
        TRIM()


async def give_back_freed_memory(every_seconds: float) -> None:
    """Trim the heap every ``every_seconds`` until cancelled (nothing where the C library has no malloc_trim)."""
    if TRIM is None or every_seconds <= 0:
        return
    while True:
        await asyncio.sleep(every_seconds)
        TRIM()


@contextlib.asynccontextmanager
async def trimming(every_seconds: float) -> AsyncIterator[None]:
    """Run give_back_freed_memory for the life of the block (a service's lifespan)."""
    task = asyncio.create_task(give_back_freed_memory(every_seconds), name="malloc-trim")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def with_the_system_allocator() -> None:
    """Run this process on the C library's allocator (PYTHONMALLOC=malloc), starting it again if need be, before
    anything is imported; a PYTHONMALLOC already set is kept (PYTHONMALLOC=pymalloc to opt out).

    CPython's own allocator keeps a 1 MiB arena while one object in it lives: after the cases service's bulk
    imports and reads, about 30 MB of arenas stayed, each held by a few survivors, where glibc's heap gives its
    free pages back when trimmed (above). Costs a little CPU on allocation-heavy requests, so only where it pays."""
    # Not where the interpreter would ignore the variable (-E, -I) or cannot be found again.
    if "PYTHONMALLOC" in os.environ or TRIM is None or sys.flags.ignore_environment or not sys.executable:
        return
    # The same interpreter, arguments and pid (a supervisor, a signal, the benchmark still see this process).
    with contextlib.suppress(OSError):  # not started again: the service runs as it is, on CPython's allocator
        os.execve(sys.executable, sys.orig_argv, os.environ | {"PYTHONMALLOC": "malloc"})  # noqa: S606
