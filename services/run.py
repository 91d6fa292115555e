"""`make run`: all five processes under honcho (logs prefixed, Ctrl-C stops them all), URLs printed once ready."""

import os
import sys
import threading
import time
from pathlib import Path

import httpx
from honcho.environ import parse_procfile
from honcho.manager import Manager
from honcho.printer import Printer

from services.gateway.settings import GatewaySettings
from shared.tokens import ensure_keys

PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"


def _announce_when_ready(settings: GatewaySettings, stop: threading.Event) -> None:
    gateway = f"http://{settings.host}:{settings.port}"
    deadline = time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if httpx.get(f"{gateway}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        stop.wait(0.5)
    else:
        if not stop.is_set():
            print("the gateway did not become ready within 120 s; see the logs above", file=sys.stderr, flush=True)
        return
    lines = (
        [
            "",
            "Offender Management Inspection platform is ready:",
            f"  gateway   {gateway}",
            f"  API docs  {gateway}/docs",
            f"  OpenAPI   {gateway}/openapi.json",
            "  a token   make token ROLE=admin (every /api/v1 path needs one)",
        ]
        + [f"  {name:<15} {url}" for name, url in sorted(settings.services.model_dump().items())]
        + ["Ctrl-C stops everything.", ""]
    )
    print("\n".join(lines), flush=True)


def main() -> None:
    settings = GatewaySettings()
    if settings.auth.mode == "embedded":
        ensure_keys(settings.auth.keys_dir)  # before any service starts reading it
    manager = Manager(Printer(sys.stdout))
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    for name, entry in parse_procfile(PROCFILE.read_text()).processes.items():
        manager.add_process(name, entry.replace("python ", f"{sys.executable} ", 1), env=environment)
    stop = threading.Event()
    announcer = threading.Thread(target=_announce_when_ready, args=(settings, stop), daemon=True)
    announcer.start()
    try:
        manager.loop()
    finally:
        stop.set()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
