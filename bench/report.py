"""The report's speed on the demo inspection (163 cases, every part written): a draft as HTML
(assembled and rendered on each request) and as PDF – unchanged (the kept rendering) and after a
change (rendered again) – and the published report in each format (frozen bytes, read once published).
Targets: draft HTML 250 ms, published 20 ms, draft PDF 3 s.

Each measure is warmed up first, then repeated; each row also has the reporting process's CPU time per
request (its PDF worker included; the kernel counts in 10 ms ticks, so summed over the series)."""

import time
from collections.abc import Awaitable, Callable

import httpx

from bench.proc import children, cpu_seconds
from bench.table import Row, timed
from demo import generate
from demo.run import Api, Demo, load_report

TARGETS_MS = {"draft_html": 250.0, "published": 20.0, "draft_pdf": 3000.0}


def _cpu_ms(pid: int | None) -> float:
    return 0.0 if pid is None else 1000 * sum(cpu_seconds(p) for p in [pid, *children(pid)])


async def _timed(
    client: httpx.AsyncClient,
    url: str,
    repeat: int,
    pid: int | None,
    before: Callable[[int], Awaitable[None]] | None = None,
    **params: str,
) -> tuple[list[float], float]:
    """Wall-clock milliseconds of each request, and the reporting process's mean CPU milliseconds per request."""
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
    return timings, cpu / repeat


async def measure(gateway: str, headers: dict[str, str], repeat: int, reporting_pid: int | None = None) -> list[Row]:
    rows: list[Row] = []

    def add(name: str, measured: tuple[list[float], float], target: float) -> None:
        row = timed("report", name, measured[0], target)
        if reporting_pid is not None:
            row.cpu_ms_per_request = {"reporting": round(measured[1], 2)}
        rows.append(row)

    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=300) as client:
        demo = Demo(Api(client), generate.load(), load_report(), gateway, out=lambda _line: None)
        for step in ("plan", "assess", "questionnaires", "grades", "narrative"):
            await getattr(demo, step)()
        url = f"/api/v1/inspections/{demo.inspection}/report"

        async def change(number: int) -> None:
            """A new word in the draft (its next steps), so its PDF must be rendered again."""
            paragraphs = [*demo.report["next_steps"], f"Revision {number}."]
            await demo.api.put_guarded(f"/api/v1/inspections/{demo.inspection}/narrative/next_steps", {"paragraphs": paragraphs})

        pid = reporting_pid
        await _timed(client, url, 3, pid, format="html")  # warm up (templates, catalogue, fonts, the PDF worker)
        await _timed(client, url, 1, pid, format="pdf")
        add("report, draft, HTML (163 cases)", await _timed(client, url, repeat, pid, format="html"), TARGETS_MS["draft_html"])
        add("report, draft, PDF, unchanged", await _timed(client, url, repeat, pid, format="pdf"), TARGETS_MS["draft_pdf"])
        changed = await _timed(client, url, max(3, repeat // 6), pid, before=change, format="pdf")
        add("report, draft, PDF, after a change", changed, TARGETS_MS["draft_pdf"])
        await demo.send_for_comment()
        await demo.publish()
        for kind in ("json", "html", "pdf"):
            await _timed(client, url, 3, pid, format=kind)
            published = await _timed(client, url, repeat, pid, format=kind)
            add(f"report, published, {kind.upper()}", published, TARGETS_MS["published"])
    return rows
