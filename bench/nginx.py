"""nginx as the reference proxy: Debian's nginx started by the benchmark with its own generated config on a
free port (one worker, `proxy_pass` with upstream keep-alive), temp, pid and log files under its own folder."""

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.processes import free_port

CONFIG = """
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 100m;
    client_body_buffer_size 1m;
    upstream service {{
        server {host};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://service;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


@contextmanager
def proxy(upstream: str) -> Iterator[tuple[str, int]]:
    """nginx in front of ``upstream`` (http://host:port); yields its URL and its master's pid."""
    executable = binary()
    assert executable is not None, "nginx is not installed (make bench-tools)"
    folder = Path(tempfile.mkdtemp(prefix="omi-nginx-"))
    port = free_port()
    (folder / "nginx.conf").write_text(CONFIG.format(folder=folder, host=upstream.removeprefix("http://"), port=port))
    process = subprocess.Popen(
        [executable, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, f"nginx stopped; see {folder / 'error.log'}"
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)
        shutil.rmtree(folder, ignore_errors=True)
