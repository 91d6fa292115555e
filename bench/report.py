"""The report's speed on the demo inspection (163 cases, every part written): a draft as HTML
(assembled and rendered on each request) and as PDF – unchanged (the kept rendering) and after a
change (rendered again) – and the published report in each format (frozen bytes, read once published).
Targets: draft HTML 250 ms, published 20 ms, draft PDF 3 s.

Each measure is warmed up first, then repeated; besides the wall-clock rows, the reporting process's
CPU time per request (utime + stime from /proc) is shown, steadier than wall-clock on a busy machine."""

import os
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

from demo import generate
from demo.run import Api, Demo, load_report
from shared.tokens import AuthSettings, ensure_keys, sign

TARGETS_MS = {"draft_html": 250.0, "published": 20.0, "draft_pdf": 3000.0}
Row = tuple[str, list[float], float | None]


def _listening_pid(url: str) -> int | None:
    """The local process listening on ``url``'s port (None where /proc cannot tell)."""
    port = urlsplit(url).port
    try:
        inodes = {
            fields[9]
            for table in ("/proc/net/tcp", "/proc/net/tcp6")
            for fields in (line.split() for line in open(table).read().splitlines()[1:])  # noqa: SIM115
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A"
        }
    except OSError:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return int(pid)
    return None


def _reporting_pid(gateway: str) -> int | None:
    """The reporting process of this suite: the gateway's environment names its URL."""
    pid = _listening_pid(gateway)
    if pid is None:
        return None
    with open(f"/proc/{pid}/environ", "rb") as environ:
        variables = dict(item.split(b"=", 1) for item in environ.read().split(b"\0") if b"=" in item)
    url = variables.get(b"OMI_GATEWAY_SERVICES__REPORTING")
    return _listening_pid(url.decode()) if url else None


def _cpu_ms(pid: int | None) -> float:
    """CPU milliseconds spent so far by ``pid`` and the processes it started (its PDF worker)."""
    if pid is None:
        return 0.0
    stats: dict[int, list[str]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                stats[int(entry)] = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
    family, grown = {pid}, True
    while grown:
        more = {p for p, fields in stats.items() if int(fields[1]) in family} - family
        family |= more
        grown = bool(more)
    ticks = sum(int(stats[p][11]) + int(stats[p][12]) for p in family if p in stats)
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


async def _timed(
    client: httpx.AsyncClient,
    url: str,
    repeat: int,
    pid: int | None,
    before: Callable[[int], Awaitable[None]] | None = None,
    **params: str,
) -> tuple[list[float], list[float]]:
    """Wall-clock milliseconds of each request, and the reporting process's mean CPU milliseconds per
    request (the kernel counts CPU in 10 ms ticks: summed over the series, then divided)."""
    timings, cpu = [], 0.0
    for number in range(repeat):
        if before is not None:
            await before(number)
        spent = _cpu_ms(pid)
        started = time.perf_counter()
        response = await client.get(url, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        cpu += _cpu_ms(pid) - spent
        assert response.status_code == 200, response.text[:300]
    return timings, [cpu / repeat]


async def measure(gateway: str, repeat: int) -> list[Row]:
    auth = AuthSettings()
    ensure_keys(auth.keys_dir)
    headers = {"Authorization": f"Bearer {sign(auth, 'bench-report', 'admin')}"}
    pid = _reporting_pid(gateway)
    rows: list[Row] = []

    def add(name: str, measured: tuple[list[float], list[float]], target: float | None) -> None:
        rows.append((name, measured[0], target))
        if pid is not None:
            rows.append(("  reporting CPU per request (mean, worker included)", measured[1], None))

    async with httpx.AsyncClient(base_url=gateway, timeout=300, headers=headers) as client:
        demo = Demo(Api(client), generate.load(), load_report(), gateway, out=lambda _line: None)
        for step in ("plan", "assess", "questionnaires", "grades", "narrative"):
            await getattr(demo, step)()
        url = f"/api/v1/inspections/{demo.inspection}/report"

        async def change(number: int) -> None:
            """A new word in the draft (its next steps), so its PDF must be rendered again."""
            paragraphs = [*demo.report["next_steps"], f"Revision {number}."]
            await demo.api.put_guarded(f"/api/v1/inspections/{demo.inspection}/narrative/next_steps", {"paragraphs": paragraphs})

        pdf_repeat = max(3, repeat // 6)
        await _timed(client, url, 3, pid, format="html")  # warm up (templates, catalogue, fonts, the PDF worker)
        await _timed(client, url, 1, pid, format="pdf")
        add("report, draft, HTML (163 cases)", await _timed(client, url, repeat, pid, format="html"), TARGETS_MS["draft_html"])
        add("report, draft, PDF, unchanged", await _timed(client, url, repeat, pid, format="pdf"), TARGETS_MS["draft_pdf"])
        add(
            "report, draft, PDF, after a change",
            await _timed(client, url, pdf_repeat, pid, before=change, format="pdf"),
            TARGETS_MS["draft_pdf"],
        )
        await demo.send_for_comment()
        await demo.publish()
        for kind in ("json", "html", "pdf"):
            await _timed(client, url, 3, pid, format=kind)
            measured = await _timed(client, url, repeat, pid, format=kind)
            add(f"report, published, {kind.upper()}", measured, TARGETS_MS["published"])
    return rows
