"""The report's speed on the demo inspection (163 cases, every part written): a draft as HTML
(assembled and rendered on each request) and as PDF, and the published report in each format
(frozen bytes, read once published). Targets: draft HTML 250 ms, published 20 ms, draft PDF 3 s."""

import time

import httpx

from bench.table import Row, timed
from demo import generate
from demo.run import Api, Demo, load_report

TARGETS_MS = {"draft_html": 250.0, "published": 20.0, "draft_pdf": 3000.0}


async def _timed(client: httpx.AsyncClient, url: str, repeat: int, **params: str) -> list[float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(url, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return timings


async def measure(gateway: str, headers: dict[str, str], repeat: int) -> list[Row]:
    async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=300) as client:
        demo = Demo(Api(client), generate.load(), load_report(), gateway, out=lambda _line: None)
        for step in ("plan", "assess", "questionnaires", "grades", "narrative"):
            await getattr(demo, step)()
        url = f"/api/v1/inspections/{demo.inspection}/report"
        await _timed(client, url, 2, format="html")  # warm up (templates, catalogue, fonts)
        await _timed(client, url, 1, format="pdf")
        rows: list[tuple[str, list[float], float | None]] = [
            ("report, draft, HTML (163 cases)", await _timed(client, url, repeat, format="html"), TARGETS_MS["draft_html"]),
            (
                "report, draft, PDF (163 cases)",
                await _timed(client, url, max(1, repeat // 6), format="pdf"),
                TARGETS_MS["draft_pdf"],
            ),
        ]
        await demo.send_for_comment()
        await demo.publish()
        for kind in ("json", "html", "pdf"):
            await _timed(client, url, 2, format=kind)
            rows.append(
                (f"report, published, {kind.upper()}", await _timed(client, url, repeat, format=kind), TARGETS_MS["published"])
            )
    return [timed("report", name, spent, target) for name, spent, target in rows]
