"""`make demo`: a complete synthetic West Midlands inspection, created through the public API of a
running stack, from planning to the published report. Each step prints one line as it goes.

Only the gateway's public endpoints are used (paths of ../shared/spec/api.md and the issues'
contracts); nothing here imports a service.
"""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from demo import generate, questionnaires
from shared.schemas.frameworks import Framework

REPORT_FILE = Path(__file__).parent / "west-midlands-2008-report.yaml"
REPO = Path(__file__).resolve().parents[1]


class DemoFailed(Exception):
    """A step the stack refused: the demo stops and says which and why."""


# The reader token the printed report links carry is valid this long (a browser session's worth).
READER_HOURS = 4


def token_from_make(role: str = "admin", hours: float | None = None) -> str | None:
    """A bearer token the way `make token` prints one (its last line), where this checkout has that target."""
    makefile = REPO / "Makefile"
    if not makefile.is_file() or "\ntoken:" not in makefile.read_text(encoding="utf-8"):
        return None
    command = ["make", "--no-print-directory", "-s", "token", f"ROLE={role}"] + ([f"HOURS={hours:g}"] if hours else [])
    result = subprocess.run(  # noqa: S603 - make from PATH with fixed arguments, as a person runs it
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return lines[-1].strip() if result.returncode == 0 and lines else None


def link(url: str, token: str | None) -> str:
    """A report URL a browser can open: the reader's token in it as `access_token` (RFC 6750 2.3), which the
    gateway takes on GET of a published report only; the response is private and not cached."""
    return f"{url}{'&' if '?' in url else '?'}access_token={token}" if token else url


@dataclass
class Api:
    """The gateway, with the demo's bearer token where there is one."""

    client: httpx.AsyncClient

    async def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kwargs: Any) -> httpx.Response:
        response = await self.client.request(method, path, **kwargs)
        if response.status_code not in expect:
            detail = response.text[:800]
            raise DemoFailed(f"{method} {path} answered {response.status_code}: {detail}")
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self.call(method, path, **kwargs)).json()

    async def put_guarded(self, path: str, body: Mapping[str, Any], params: Mapping[str, str] | None = None) -> httpx.Response:
        """PUT that creates or replaces: with If-Match of the current version when there is one."""
        current = await self.client.get(path, params=params)
        headers = {"If-Match": current.headers["ETag"]} if current.status_code == 200 and "ETag" in current.headers else {}
        return await self.call("PUT", path, json=body, params=params, headers=headers)


@dataclass
class Demo:
    api: Api
    data: dict[str, Any]
    report: dict[str, Any]
    base_url: str
    out: Callable[[str], None] = print
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def inspection(self) -> str:
        return str(self.state["inspection_id"])

    # --- the steps, in order ------------------------------------------------------------------

    async def plan(self) -> str:
        body = generate.inspection_body(self.data)
        inspection = await self.api.json("POST", "/api/v1/inspections", json=body)
        self.state["inspection_id"] = inspection["id"]
        return f"{inspection['area']}, fieldwork {inspection['fieldwork_start']}, id {inspection['id']}"

    async def assess(self) -> str:
        framework = Framework.model_validate(
            await self.api.json("GET", f"/api/v1/frameworks/{self.data['inspection']['framework_id']}")
        )
        rows = await asyncio.to_thread(generate.import_rows, self.data, framework)
        result = await self.api.json("POST", f"/api/v1/inspections/{self.inspection}/assessments:import", json={"rows": rows})
        if result["rejected"]:
            raise DemoFailed(f"{result['rejected']} rows rejected: {result['rows'][:3]}")
        return f"{result['created']} cases created and assessed"

    async def scores(self) -> str:
        scores = await self.api.json("GET", f"/api/v1/inspections/{self.inspection}/scores")
        shown = {c["id"]: generate.round_half_up(c["score"]) for c in scores["criteria"] if c["score"] is not None}
        wrong = {c: (shown.get(c), s) for c, s in self.data["scores"].items() if shown.get(c) != s}
        thread = generate.round_half_up(scores["roh_thread"]["score"])
        if wrong or thread != self.data["roh_thread"]:
            raise DemoFailed(f"live scores differ from the published ones: {wrong}, RoH thread {thread}")
        return f"14 criterion scores and the RoH thread ({thread}%) match the published report"

    async def questionnaires(self) -> str:
        counts = []
        for respondent, figures in self.report["questionnaires"].items():
            base = f"/api/v1/inspections/{self.inspection}/questionnaires/{respondent}"
            await self.api.put_guarded(base, {"sent": figures["sent"]})
            template = await self.api.json("GET", f"/api/v1/questionnaires/templates/{respondent}")
            answered = questionnaires.returns(template, figures["returned"], self.data["seed"], figures.get("answers"))
            await asyncio.gather(*(self.api.call("POST", f"{base}/returns", json={"answers": a}) for a in answered))
            counts.append(f"{respondent} {figures['returned']} of {figures['sent'] if figures['sent'] is not None else '?'}")
        return ", ".join(counts)

    async def grades(self) -> str:
        for criterion_id, grade in self.report["grades"].items():
            await self.api.put_guarded(f"/api/v1/inspections/{self.inspection}/grades/{criterion_id}", grade)
        return f"{len(self.report['grades'])} section 4 grades"

    async def narrative(self) -> str:
        lang = {"lang": self.report["lang"]}
        base = f"/api/v1/inspections/{self.inspection}"
        parts: dict[str, Any] = {
            "summary": {"paragraphs": self.report["summary"]},
            "recommendations": {"items": self.report["recommendations"]},
            "next_steps": {"paragraphs": self.report["next_steps"]},
            "good_practice": {"examples": self.report["good_practice"]},
            "service_users": {"groups": self.report["service_users"]},
        }
        for part, body in parts.items():
            await self.api.put_guarded(f"{base}/narrative/{part}", body, params=lang)
        for criterion_id, body in self.report["criteria"].items():
            await self.api.put_guarded(f"{base}/narrative/criteria/{criterion_id}", body, params=lang)
        await self.api.put_guarded(f"{base}/performance", self.report["performance"])
        await self.api.put_guarded(f"{base}/caseload", self.report["caseload"])
        return f"{len(parts)} parts, {len(self.report['criteria'])} criteria, performance data and caseload"

    async def _lifecycle(self, action: str) -> dict[str, Any]:
        path = f"/api/v1/inspections/{self.inspection}/report"
        state = await self.api.call("GET", f"{path}/status")
        result: dict[str, Any] = await self.api.json("POST", f"{path}:{action}", headers={"If-Match": state.headers["ETag"]})
        return result

    async def send_for_comment(self) -> str:
        state = await self._lifecycle("send-for-comment")
        return f"draft {state.get('draft_number', 1)} sent to the area"

    async def comment(self) -> str:
        path = f"/api/v1/inspections/{self.inspection}/report/comments"
        comment = await self.api.json("POST", path, json=self.report["comment"])
        await self.api.call(
            "PUT", f"{path}/{comment['id']}/answer", json={"outcome": "accepted", "note": "Noted in the final report."}
        )
        return f"comment on {comment['section']} recorded and answered"

    async def publish(self) -> str:
        state = await self._lifecycle("publish")
        return f"published, SHA-256 {str(state.get('sha256', ''))[:12]}"

    async def urls(self) -> str:
        report = f"{self.base_url}/api/v1/inspections/{self.inspection}/report"
        for accept in ("text/html", "application/pdf"):
            await self.api.call("GET", f"/api/v1/inspections/{self.inspection}/report", headers={"Accept": accept})
        self.state["urls"] = {"html": f"{report}?format=html", "pdf": f"{report}?format=pdf"}
        return "HTML and PDF served"

    def steps(self) -> list[tuple[str, Callable[[], Awaitable[str]]]]:
        return [
            ("plan the inspection", self.plan),
            ("import 163 cases with their assessments", self.assess),
            ("check the live scores", self.scores),
            ("questionnaires sent and returned", self.questionnaires),
            ("section 4 grades", self.grades),
            ("narrative, performance data, caseload", self.narrative),
            ("send the draft for comment", self.send_for_comment),
            ("record the area's comment", self.comment),
            ("publish", self.publish),
            ("fetch the published report", self.urls),
        ]

    async def run(self) -> dict[str, str]:
        steps = self.steps()
        started = time.monotonic()
        for number, (title, step) in enumerate(steps, start=1):
            began = time.monotonic()
            self.out(f"[{number:2}/{len(steps)}] {title} ...")
            outcome = await step()
            self.out(f"        {outcome} ({time.monotonic() - began:.1f} s)")
        self.out(f"done in {time.monotonic() - started:.1f} s")
        urls: dict[str, str] = self.state["urls"]
        return urls


def load_report() -> dict[str, Any]:
    report: dict[str, Any] = yaml.safe_load(REPORT_FILE.read_text(encoding="utf-8"))
    return report


async def _main(url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        try:
            (await client.get("/readyz")).raise_for_status()
        except httpx.HTTPError as exc:
            print(f"The stack is not ready at {url} ({exc}). Start it with `make run` in another terminal.", file=sys.stderr)
            return 2
        demo = Demo(Api(client), generate.load(), load_report(), url)
        try:
            urls = await demo.run()
        except DemoFailed as exc:
            print(f"demo stopped: {exc}", file=sys.stderr)
            return 1
    reader = os.environ.get("OMI_DEMO_READER_TOKEN") or token_from_make("reader", READER_HOURS)
    print(f"\nThe report, in HTML: {link(urls['html'], reader)}\nand as a PDF:        {link(urls['pdf'], reader)}")
    if reader:
        print(f"(the links carry a reader token valid {READER_HOURS} hours: keep them to yourself)")
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--url", default=os.environ.get("OMI_DEMO_URL", "http://127.0.0.1:8000"), help="the gateway")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.url, os.environ.get("OMI_DEMO_TOKEN") or token_from_make()))
