"""The report in Welsh and English: every fixed text comes from the message catalogue, every message
has its Welsh translation, and a Welsh area's report renders (and publishes) in both languages."""

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

from services.reporting import catalogue
from shared.testing.factories import generated_rows
from tests.conftest import plan_inspection
from tests.reporting_helpers import check_balanced, parse_html, pdf_text

TEMPLATES = Path(__file__).resolve().parents[1] / "services" / "reporting" / "templates"
# Attributes whose values a reader sees or hears.
SHOWN_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "content", "summary"}


def _welsh():
    with catalogue.WELSH.open("rb") as handle:
        return read_po(handle, locale="cy")


def test_every_catalogue_message_has_a_welsh_translation():
    welsh = _welsh()
    untranslated = [m.id for m in welsh if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    missing = sorted(m for m in catalogue.expected() if welsh.get(m) is None)
    assert missing == [], "messages missing from the Welsh catalogue (run python -m services.reporting.catalogue)"
    # Placeholders agree between each message and its translation (babel's checkers).
    problems = [(m.id, errors) for m, errors in welsh.check() if errors]
    assert problems == []


def test_the_catalogue_holds_the_frameworks_words():
    welsh = _welsh()
    for text in ("Assessment and sentence planning", "Sentence planning", "Planned objectives are efficiently achieved."):
        assert welsh.get(text) is not None and welsh.get(text).string


class _FixedText(HTMLParser):
    """Text a template would show that does not come through the catalogue."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        if tag == "meta" and dict(attrs).get("name") == "viewport":
            return  # instructions to the browser, not text
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value and re.search(r"[A-Za-z]", value):
                self.found.append(f"{tag}[{name}]={value!r}")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and re.search(r"[A-Za-z]", data):
            self.found.append(data.strip())


def fixed_text(template: str) -> list[str]:
    """Letters left in a template once every Jinja expression, statement and comment is taken out."""
    stripped = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", "", template, flags=re.S)
    parser = _FixedText()
    parser.feed(stripped)
    parser.close()
    return parser.found


def test_no_fixed_text_in_the_templates_bypasses_the_catalogue():
    templates = sorted(TEMPLATES.glob("*.j2"))
    assert templates
    for path in templates:
        assert fixed_text(path.read_text(encoding="utf-8")) == [], path.name


def test_the_fixed_text_check_finds_text_outside_the_catalogue():
    assert fixed_text('<h2>{{ _("Summary") }}</h2><p title="Hello">{{ x }} Strengths</p>') == [
        "p[title]='Hello'",
        "Strengths",
    ]
    assert fixed_text('<p>{{ _("Summary") }} · – 73%</p>') == []


def _visible_text(page: str) -> str:
    root = parse_html(page)
    for style in root.iter("style"):
        style.text = ""
    return " ".join(" ".join(root.itertext()).split())


async def _welsh_draft(gw):
    inspection = await plan_inspection(gw, area="Gwent", country="wales")
    framework = (await gw.get("/api/v1/frameworks/omi-2008")).json()
    rows = generated_rows(framework, 12, seed=7)
    assert (await gw.post(f"/api/v1/inspections/{inspection['id']}/assessments:import", json={"rows": rows})).status_code == 200
    base = f"/api/v1/inspections/{inspection['id']}"
    texts = {
        "en": "Offender managers knew their cases well.",
        "cy": "Roedd rheolwyr troseddwyr yn adnabod eu hachosion yn dda.",
    }
    for lang, text in texts.items():
        response = await gw.put(
            f"{base}/narrative/summary", params={"lang": lang}, json={"paragraphs": [{"section": "1", "text": text}]}
        )
        assert response.status_code == 201, response.text
    grade = await gw.put(
        f"{base}/grades/4.1", json={"grade": "partly_met", "narrative": "Arweinyddiaeth yn gwella."}, params={"lang": "cy"}
    )
    assert grade.status_code in (200, 201), grade.text
    return inspection, texts


async def test_a_welsh_inspection_renders_in_both_languages(gw):
    inspection, texts = await _welsh_draft(gw)
    base = f"/api/v1/inspections/{inspection['id']}/report"
    welsh = await gw.get(base, params={"lang": "cy", "format": "html"})
    english = await gw.get(base, params={"lang": "en", "format": "html"})
    assert welsh.status_code == english.status_code == 200, welsh.text
    check_balanced(welsh.text)
    assert parse_html(welsh.text).get("lang") == "cy"
    assert parse_html(english.text).get("lang") == "en"
    shown = _visible_text(welsh.text)
    assert texts["cy"] in shown and texts["en"] not in shown
    assert "Crynodeb o'r sgorau" in shown and "Siart 1: Sgorio adrannau 1-3" in shown and "Wedi'i fodloni'n rhannol" in shown
    # No English fixed text left: every message whose Welsh differs is absent in English.
    left = [m.id for m in _welsh() if m.id and m.string != m.id and "%(" not in m.id and len(m.id) >= 8 and m.id in shown]
    assert left == []
    assert "Summary of scores" in _visible_text(english.text)
    # Accept-Language chooses among the versions there are.
    chosen = await gw.get(base, params={"format": "html"}, headers={"Accept-Language": "cy-GB, en;q=0.8"})
    assert parse_html(chosen.text).get("lang") == "cy"
    document = (await gw.get(base, params={"lang": "cy"})).json()
    assert document["lang"] == "cy"


async def test_a_welsh_report_publishes_in_both_languages(gw):
    inspection, texts = await _welsh_draft(gw)
    base = f"/api/v1/inspections/{inspection['id']}/report"
    for action in ("send-for-comment", "publish"):
        status = await gw.get(f"{base}/status")
        response = await gw.post(f"{base}:{action}", headers={"If-Match": status.headers["ETag"]})
        assert response.status_code == 200, response.text
    for lang in ("cy", "en"):
        pdf = await gw.get(base, params={"lang": lang, "format": "pdf"})
        assert pdf.status_code == 200
        reader, text = pdf_text(pdf.content)
        assert len(reader.pages) > 1
        assert texts[lang] in " ".join(text.split())
        html = await gw.get(base, params={"lang": lang, "format": "html"})
        assert parse_html(html.text).get("lang") == lang
        assert (await gw.get(base, params={"lang": lang, "format": "html"})).content == html.content
