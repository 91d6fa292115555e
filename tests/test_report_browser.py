"""The demo's published report seen in a real browser (headless Debian Chromium, driven over the
DevTools protocol) and its PDF rendered to images (pdftoppm): no console errors, Chart 1's bars drawn,
pages not blank. Screenshots are kept under the test's temporary folder.

Chromium and poppler-utils are installed with apt-get where missing under CI=true; elsewhere the
test is skipped, saying what is missing."""

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import websockets
from PIL import Image

from tests.reporting_helpers import PUBLISHED, draft

pytestmark = pytest.mark.browser
IN_CI = os.environ.get("CI", "").lower() == "true"
TOOLS = {"chromium": "chromium", "pdftoppm": "poppler-utils"}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-port=0",
]


def _tools() -> dict[str, str]:
    """The browser and pdftoppm, installed under CI where missing; otherwise a skip naming what is missing."""
    missing = [package for tool, package in TOOLS.items() if shutil.which(tool) is None]
    if missing and IN_CI:
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        installed = subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=False, capture_output=True, text=True)
        assert installed.returncode == 0, f"apt-get install {' '.join(missing)} failed: {installed.stderr[-2000:]}"
    elif missing:
        pytest.skip(f"{', '.join(missing)} not installed (CI=true installs them with apt-get); the browser test is skipped")
    found = {tool: shutil.which(tool) for tool in TOOLS}
    assert all(found.values()), found
    return {tool: str(path) for tool, path in found.items()}


class DevTools:
    """A minimal DevTools protocol client: commands answered by id, events kept."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.next_id = 0
        self.events: list[dict] = []

    async def send(self, method: str, **params) -> dict:
        self.next_id += 1
        number = self.next_id
        await self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), 60))
            if message.get("id") == number:
                assert "error" not in message, message
                return message.get("result", {})
            self.events.append(message)

    async def until(self, event: str) -> None:
        if any(e.get("method") == event for e in self.events):
            return
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), 60))
            self.events.append(message)
            if message.get("method") == event:
                return


async def _page_socket(browser: subprocess.Popen) -> str:
    """The DevTools address Chromium prints, then the websocket of its first page."""
    line = ""
    for _ in range(400):
        line = await asyncio.to_thread(browser.stderr.readline)
        if "DevTools listening on" in line:
            break
    found = re.search(r"ws://[^\s]+", line)
    assert found, f"Chromium did not print its DevTools address: {line!r}"
    port = found.group(0).split(":")[2].split("/")[0]
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(50):
            pages = [t for t in (await client.get(f"http://127.0.0.1:{port}/json/list")).json() if t["type"] == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            await asyncio.sleep(0.1)
    raise AssertionError("Chromium opened no page")


async def _look_in_chromium(chromium: str, page: Path, profile: Path, screenshot: Path) -> tuple[list[dict], list[float]]:
    browser = await asyncio.to_thread(
        subprocess.Popen,
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1200,900", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        async with websockets.connect(await _page_socket(browser), max_size=2**26) as socket:
            tools = DevTools(socket)
            for domain in ("Page", "Runtime", "Log"):
                await tools.send(f"{domain}.enable")
            await tools.send("Page.navigate", url=page.as_uri())
            await tools.until("Page.loadEventFired")
            widths = await tools.send(
                "Runtime.evaluate",
                expression="JSON.stringify(Array.from(document.querySelectorAll('#chart1 rect.bar'))"
                ".map(r => r.getBoundingClientRect().width))",
                returnByValue=True,
            )
            metrics = await tools.send("Page.getLayoutMetrics")
            size = metrics["cssContentSize"]
            shot = await tools.send(
                "Page.captureScreenshot",
                format="png",
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1},
            )
            await asyncio.to_thread(screenshot.write_bytes, base64.b64decode(shot["data"]))
            errors = [
                e
                for e in tools.events
                if e.get("method") == "Runtime.exceptionThrown"
                or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
                or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
            ]
            return errors, json.loads(widths["result"]["value"])
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()


def _not_blank(path: Path) -> None:
    with Image.open(path) as image:
        grey = image.convert("L")
        darkest, lightest = grey.getextrema()
        inked = sum(grey.histogram()[:200])
    assert darkest < 100 and lightest > 200, f"{path.name} has no contrast ({darkest}-{lightest})"
    assert inked > 500, f"{path.name} is nearly blank ({inked} dark pixels)"


async def test_the_published_report_in_a_browser_and_as_page_images(gw, tmp_path):
    tools = _tools()
    made = await draft(gw)
    await made.send_for_comment()
    await made.publish()
    base = f"/api/v1/inspections/{made.inspection}/report"
    page = tmp_path / "report.html"
    page.write_bytes((await gw.get(base, params={"format": "html"})).content)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes((await gw.get(base, params={"format": "pdf"})).content)

    screenshot = tmp_path / "report.png"
    errors, widths = await _look_in_chromium(tools["chromium"], page, tmp_path / "profile", screenshot)
    assert errors == []
    assert len(widths) == len(PUBLISHED) + 3  # a bar per criterion and per section
    assert all(width > 0 for width in widths)
    _not_blank(screenshot)

    await asyncio.to_thread(
        subprocess.run,
        [tools["pdftoppm"], "-png", "-r", "60", "-f", "1", "-l", "4", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 4
    for image in pages:
        _not_blank(image)
