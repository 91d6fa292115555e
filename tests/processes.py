"""Real processes for fault tests: the services and the gateway as their own uvicorn processes on free
loopback ports (as `make run` starts them, one process each so one can be killed or stopped alone), on
SQLite files or fresh PostgreSQL databases; and tiny stand-in services for failures a real one cannot stage."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.tokens import AuthSettings, ensure_keys
from tests.helpers import bearer

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = {"cases": "CASES", "questionnaires": "QUESTIONNAIRES", "scoring": "SCORING", "reporting": "REPORTING"}
# What each service calls, by the setting naming it.
CALLS = {
    "cases": {"SCORING_URL": "scoring", "QUESTIONNAIRES_URL": "questionnaires", "REPORTING_URL": "reporting"},
    "questionnaires": {"CASES_URL": "cases"},
    "scoring": {"CASES_URL": "cases"},
    "reporting": {"CASES_URL": "cases", "SCORING_URL": "scoring", "QUESTIONNAIRES_URL": "questionnaires"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    """One process, started again as often as needed with the same command, environment and port."""

    name: str
    argv: list[str]
    env: dict[str, str]
    url: str
    log: Path
    ready_path: str = "/readyz"
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, wait: bool = True) -> None:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None and self.popen.poll() is None, f"{self.name} stopped; see {self.log}"
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not become ready in {timeout} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, whatever it was doing."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as an orchestrator stops a pod; the exit code once the process has stopped."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            try:
                self.terminate(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def suite(
    folder: Path,
    database_urls: dict[str, str],
    services: tuple[str, ...],
    gateway_env: dict[str, str] | None = None,
    python: str = sys.executable,
) -> dict[str, Process]:
    """Processes (not started) for ``services`` and the gateway routing to them; other routes lead nowhere.
    ``python``: the interpreter they run on (the benchmark's has no dev extras, as in the image)."""
    ports = {name: free_port() for name in [*PREFIXES, "gateway"]}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    base = {k: v for k, v in os.environ.items() if not k.startswith("OMI_")} | {"PYTHONUNBUFFERED": "1"}
    base |= auth_env(folder)
    processes = {}
    for name in services:
        prefix = f"OMI_{PREFIXES[name]}_"
        env = base | {
            f"{prefix}PORT": str(ports[name]),
            f"{prefix}DATABASE_URL": database_urls[name],
            f"{prefix}LOG_LEVEL": "WARNING",
            f"{prefix}CALL_TIMEOUT": "5",
        }
        env |= {prefix + setting: url[callee] for setting, callee in CALLS.get(name, {}).items()}
        processes[name] = Process(name, [python, "-m", f"services.{name}"], env, url[name], folder / f"{name}.log")
    # Load tests send many requests as one subject: the rate limit is not what they measure.
    env = base | {"OMI_GATEWAY_PORT": str(ports["gateway"]), "OMI_GATEWAY_LOG_LEVEL": "WARNING"}
    env |= {"OMI_GATEWAY_RATE_LIMIT": "1000000/minute"}
    env |= {f"OMI_GATEWAY_SERVICES__{prefix}": url[name] for name, prefix in PREFIXES.items()}
    processes["gateway"] = Process(
        "gateway",
        [python, "-m", "services.gateway"],
        env | (gateway_env or {}),
        url["gateway"],
        folder / "gateway.log",
        ready_path="/healthz",
    )
    return processes


def auth_env(folder: Path) -> dict[str, str]:
    """The embedded token keys of a suite of processes, made under ``folder``."""
    ensure_keys(folder / "keys")
    return {"OMI_AUTH_KEYS_DIR": str(folder / "keys")}


def admin_headers(keys_dir: Path) -> dict[str, str]:
    """An admin's bearer token for a suite of processes whose embedded keys are in ``keys_dir``."""
    return bearer(AuthSettings(keys_dir=keys_dir), "test-admin", "admin", 24)


def admin_headers_of(process: "Process") -> dict[str, str]:
    return admin_headers(Path(process.env["OMI_AUTH_KEYS_DIR"]))


def sqlite_urls(folder: Path) -> dict[str, str]:
    return {name: f"sqlite+aiosqlite:///{folder / name}.db" for name in PREFIXES}


async def postgres_databases(admin_url: str, prefix: str) -> dict[str, str]:
    """Fresh databases, one per service (``<prefix>_<service>``), on the server of ``admin_url``."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    urls = {}
    try:
        async with admin.connect() as connection:
            for name in PREFIXES:
                database = f"{prefix}_{name}"
                await connection.execute(text(f'CREATE DATABASE "{database}"'))
                urls[name] = make_url(admin_url).set(database=database).render_as_string(hide_password=False)
    finally:
        await admin.dispose()
    return urls


async def drop_databases(admin_url: str, urls: dict[str, str]) -> None:
    """Drop the databases of ``urls``, connections to them closed first."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            for url in urls.values():
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def stand_in(app: str, folder: Path) -> Process:
    """A stand-in service from this module (``app``: a factory's name) under uvicorn, like a real one."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", f"tests.processes:{app}", "--factory", "--port", str(port), "--log-level", "warning"]
    return Process(app, argv, dict(os.environ), f"http://127.0.0.1:{port}", folder / f"{app}.log", ready_path="/healthz")


def dying_service() -> FastAPI:
    """A service that reads a request whole, then dies before answering (as on SIGKILL or an OOM kill)."""
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.api_route("/api/v1/{path:path}", methods=["GET", "POST", "PUT"])
    async def die(request: Request) -> None:
        await request.body()
        os.kill(os.getpid(), signal.SIGKILL)

    return app
