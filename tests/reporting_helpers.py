"""Shared by the report rendering tests: the demo inspection driven through the gateway, and readers
of the rendered report (HTML parsed, Chart 1 as XML, PDF text)."""

import io
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser

import httpx
import tinyhtml5
from pypdf import PdfReader
from sqlalchemy import select

from demo import generate
from demo.run import Api, Demo, load_report
from services.cases import models as cases_models

SVG = "{http://www.w3.org/2000/svg}"
PUBLISHED = {
    "1.1": 73, "1.2": 65, "1.3": 71, "1.4": 70, "1.5": 55,
    "2.1": 58, "2.2": 67, "2.3": 68, "2.4": 76, "2.5": 69, "2.6": 84, "2.7": 66,
    "3.1": 60, "3.2": 62,
}  # fmt: skip
GRADES = {
    "4.1": "satisfactorily_met", "4.2": "satisfactorily_met", "4.3": "partly_met",
    "4.4": "partly_met", "4.5": "partly_met", "4.6": "satisfactorily_met",
}  # fmt: skip


async def answer_no_everywhere(stack, inspection_id: str) -> None:
    """Every assessment of an inspection rewritten to "no", as a correction in the cases database
    (its API refuses changes once the inspection is published): a later change to the figures."""
    async with stack.apps["cases"].state.sessionmaker() as session:
        row = await session.get(cases_models.Inspection, uuid.UUID(inspection_id))
        row.sample_revision += 1
        stored = (
            await session.scalars(select(cases_models.Assessment).where(cases_models.Assessment.inspection_id == row.id))
        ).all()
        for assessment in stored:
            assessment.answers = {k: "no" for k in assessment.answers}
            assessment.revision, assessment.updated_at = row.sample_revision, datetime.now(UTC)
        await session.commit()


DRAFT_STEPS = ("plan", "assess", "scores", "questionnaires", "grades", "narrative")


def demo(gw: httpx.AsyncClient) -> Demo:
    return Demo(Api(gw), generate.load(), load_report(), str(gw.base_url), out=lambda _line: None)


async def draft(gw: httpx.AsyncClient) -> Demo:
    """The demo inspection with everything written, its report still a draft."""
    made = demo(gw)
    for step in DRAFT_STEPS:
        await getattr(made, step)()
    return made


def parse_html(page: str) -> ET.Element:
    """The page parsed as HTML5 (a parse error fails the test)."""
    document: ET.Element = tinyhtml5.parse(page, namespace_html_elements=False)
    return document


def chart_one(page: str) -> ET.Element:
    """Chart 1's SVG, parsed as XML on its own (it must be well-formed)."""
    found = re.search(r'<svg [^>]*id="chart1".*?</svg>', page, flags=re.S)
    assert found, "Chart 1 is missing from the page"
    return ET.fromstring(found.group(0))


def bars(svg: ET.Element) -> dict[str, float]:
    """Chart 1's bars: data-id -> drawn width."""
    drawn = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    return {rect.get("data-id", ""): float(rect.get("width", "0")) for rect in drawn}


def svg_texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in svg.iter(f"{SVG}text")]


def pdf_text(body: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(body))
    return reader, "\n".join(page.extract_text() or "" for page in reader.pages)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Balanced(HTMLParser):
    """Fails on a closing tag that does not close the element open at that point."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # <x/> opens and closes

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}> at {self.getpos()}")
            return
        self.open.pop()


def check_balanced(page: str) -> None:
    """Every element of the page closed, in order (html.parser, strict about nesting)."""
    parser = _Balanced()
    parser.feed(page)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert parser.open == [], parser.open
