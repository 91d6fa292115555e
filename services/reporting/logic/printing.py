"""The report's PDFs made off the event loop, and a draft's PDF kept while its content is unchanged.

WeasyPrint is pure Python for most of the second or two a report takes: in a thread it holds the GIL
and every other request of the service waits behind it, so it runs in one worker process (started on
first use, restarted if it dies). A draft's PDF is kept by what it shows – the document but for the
moment it was assembled – so asking again for a draft nobody changed is answered at once; any change
to a figure, a word or the draft's status is a new key, so a kept PDF is never stale."""

import asyncio
import contextlib
import ctypes
import ctypes.util
import hashlib
import multiprocessing
import os
import signal
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import orjson

from services.reporting.logic import render

KEPT = 16  # drafts' PDFs kept in memory (the demo's is about 130 kB)
Result = TypeVar("Result")

_worker: ProcessPoolExecutor | None = None
_kept: OrderedDict[str, bytes] = OrderedDict()


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(service: int) -> None:
    """The worker's first act: be sent SIGTERM when the service's process dies, however it dies (SIGKILL, an
    out-of-memory kill), so that no worker outlives its service (they did: the benchmark found them running
    an hour after). Linux only; elsewhere the worker stops at the service's shutdown (close) alone."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != service:  # the service died before the line above took effect
        os._exit(0)


def _pool() -> ProcessPoolExecutor:
    global _worker
    if _worker is None:
        # spawn: a fork of a process running an event loop and threads could inherit held locks.
        _worker = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_die_with, initargs=(os.getpid(),)
        )
    return _worker


def close() -> None:
    """Stop the worker process (the service's shutdown); it ends once a render under way is done."""
    global _worker
    worker, _worker = _worker, None
    if worker is not None:
        worker.shutdown(wait=False, cancel_futures=True)


async def in_worker(function: Callable[..., Result], *args: Any) -> Result:
    """``function(*args)`` in the worker process (a module-level function and picklable arguments)."""
    global _worker
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_pool(), function, *args)
    except BrokenProcessPool:  # the worker died (killed, out of memory): once more in a new one
        _worker = None
        return await loop.run_in_executor(_pool(), function, *args)


def content_key(document: Mapping[str, Any]) -> str:
    """What a draft's PDF shows: the whole document except when it was assembled."""
    shown = {name: value for name, value in document.items() if name != "generated_at"}
    return hashlib.sha256(orjson.dumps(shown, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def draft_pdf(document: Mapping[str, Any]) -> bytes:
    """The draft as a PDF: the one made for this content before, else made now in the worker (its
    metadata's creation time is then when this content was first rendered)."""
    key = content_key(document)
    if (kept := _kept.get(key)) is not None:
        _kept.move_to_end(key)
        return kept
    made = await in_worker(render.pdf, document)
    _kept[key] = made
    while len(_kept) > KEPT:
        _kept.popitem(last=False)
    return made
