"""The suite under measurement: each service and the gateway as its own process (uvicorn with uvloop and
httptools, as `python -m services.<name>` starts it) on fresh, uniquely named databases (PostgreSQL, or
SQLite files), stopped and dropped afterwards; an admin token for it; which event loop each process runs."""

import asyncio
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.processes import PREFIXES, Process, admin_headers, drop_databases, postgres_databases, sqlite_urls, suite

SERVICES = tuple(PREFIXES)


@dataclass
class Suite:
    """The running processes: their URLs and pids, the databases, and an admin's Authorization header."""

    processes: dict[str, Process]
    headers: dict[str, str]
    database_urls: dict[str, str]
    postgres_url: str | None
    folder: Path

    @property
    def urls(self) -> dict[str, str]:
        return {name: process.url for name, process in self.processes.items()}

    @property
    def pids(self) -> dict[str, int]:
        return {name: process.popen.pid for name, process in self.processes.items() if process.popen is not None}

    @property
    def gateway(self) -> str:
        return self.processes["gateway"].url

    @property
    def database_names(self) -> list[str]:
        return [url.rsplit("/", 1)[-1].split("?")[0] for url in self.database_urls.values()]

    def asyncpg_dsn(self, service: str) -> str:
        """The service's database as a plain libpq URL (for asyncpg without SQLAlchemy)."""
        return self.database_urls[service].replace("postgresql+asyncpg://", "postgresql://")


def loop_and_parser(pid: int) -> str:
    """Which event loop and HTTP parser a process has loaded (read from its memory map)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    loop = "uvloop" if "/uvloop/" in maps else "asyncio"
    parser = "httptools" if "/httptools/" in maps else "h11"
    return f"{loop}+{parser}"


@contextmanager
def running_suite(postgres_url: str | None, python: str = sys.executable) -> Iterator[Suite]:
    """Start every process (on the interpreter ``python``), wait until each is ready, yield; then stop them and
    drop the databases."""
    folder = Path(tempfile.mkdtemp(prefix="omi-bench-"))
    prefix = f"omi_bench_{uuid.uuid4().hex[:10]}"
    urls = asyncio.run(postgres_databases(postgres_url, prefix)) if postgres_url else sqlite_urls(folder)
    processes: dict[str, Process] = {}
    try:
        processes = suite(folder, urls, SERVICES, gateway_env={"OMI_GATEWAY_READ_TIMEOUT": "300"}, python=python)
        for name, process in processes.items():
            if name != "gateway":
                # Bulk imports and PDF renderings call other services for longer than a test allows.
                process.env[f"OMI_{PREFIXES[name]}_CALL_TIMEOUT"] = "120"
        for process in processes.values():
            process.start(wait=False)
        for process in processes.values():
            process.wait_ready(timeout=120)
        yield Suite(processes, admin_headers(folder / "keys"), urls, postgres_url, folder)
    finally:
        for process in processes.values():
            process.stop()
        if postgres_url:
            asyncio.run(drop_databases(postgres_url, urls))
