"""The report as a person reads it: the report document rendered to HTML (Jinja2 templates, charts
as inline SVG) and to PDF (WeasyPrint), in the document's language.

Renders the document as it is: every figure shown is one the document carries (its `display`
strings); only bar lengths are drawn from the unrounded scores."""

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from services.reporting.logic import charts, formats, i18n

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
Document = Mapping[str, Any]


def unavailable(value: object) -> bool:
    """A part a service could not give while the draft was assembled (`{"unavailable": "<service>"}`)."""
    return isinstance(value, Mapping) and "unavailable" in value


def _labeller(table: Mapping[str, str], gettext: Callable[[str], str]) -> Callable[[object], str]:
    """A value shown as its catalogue wording (a value the table does not know is shown as it is)."""

    def label(value: object) -> str:
        text = str(value)
        return gettext(table[text]) if text in table else text

    return label


@cache
def environment(lang: i18n.Lang) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = i18n.translations(lang)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    gettext: Callable[[str], str] = translations.gettext
    env.tests["unavailable"] = unavailable
    for name, table in (
        ("grade", i18n.GRADES),
        ("conclusion", i18n.CONCLUSIONS),
        ("value", i18n.VALUES),
        ("group", i18n.GROUPS),
        ("attribute", i18n.ATTRIBUTES),
    ):
        env.filters[name] = _labeller(table, gettext)
    # The framework's titles and statements are data in English; the catalogue holds their Welsh.
    env.filters["framework_text"] = gettext
    env.filters |= formats.filters(lang)
    return env


class _Text:
    """Messages of the catalogue, formatted the way the templates' newstyle gettext formats them
    (always %-formatted with the given values, so a literal % is written %%)."""

    def __init__(self, lang: i18n.Lang) -> None:
        self.gettext = i18n.translations(lang).gettext

    def __call__(self, message: str, **values: object) -> str:
        return self.gettext(message) % values


def _gettext(lang: i18n.Lang) -> _Text:
    return _Text(lang)


def chart_one(document: Document, lang: i18n.Lang) -> Markup | None:
    """Chart 1 of the document's summary of scores (None where scoring was unavailable)."""
    chart = document["summary_of_scores"]["chart"]
    if unavailable(chart):
        return None
    _ = _gettext(lang)
    bars = []
    for bar in chart:
        section = bar["kind"] == "section"
        title = _.gettext(bar["title"])
        label = _("Section %(id)s: %(title)s", id=bar["id"], title=title) if section else f"{bar['id']} {title}"
        national = bar.get("national_mean")
        interval = bar.get("interval")
        bars.append(
            charts.ScoreBar(
                id=bar["id"],
                label=label,
                score=bar["score"],
                display=bar["display"],
                interval=(interval[0], interval[1]) if interval else None,
                national=national if isinstance(national, int | float) else None,
                national_display=bar.get("national_display") if isinstance(bar.get("national_display"), str) else None,
                section=section,
            )
        )
    text = charts.ChartText(
        title=_("Chart 1: Scoring of sections 1-3"),
        description=_(
            "A bar for each criterion of sections 1 to 3 and for each section, labelled with its score in whole percent; "
            "a whisker shows the 95%% interval and a diamond the national mean where there is one. "
            "The same figures are in the table that follows."
        ),
        score=_("Score"),
        interval=_("95%% interval"),
        national=_("National mean"),
        not_applicable=_("n/a"),
    )
    return Markup(charts.score_chart(bars, text))  # noqa: S704 - built from escaped parts in charts


def sample_chart(document: Document, lang: i18n.Lang) -> Markup | None:
    """The sample's case types against the standard mix."""
    sample = document["appendices"]["sample"]
    if unavailable(sample):
        return None
    _ = _gettext(lang)
    counts: Mapping[str, int] = sample["counts"].get("case_type", {})
    mix: Mapping[str, int] = sample["mix"]["case_types"]
    bars = [
        charts.CountBar(
            label=_.gettext(i18n.VALUES[case_type]),
            value=float(counts.get(case_type, 0)),
            display=str(counts.get(case_type, 0)),
            compare=float(mix.get(case_type, 0)),
            compare_display=str(mix.get(case_type, 0)),
        )
        for case_type in ("licence", "community", "custody")
    ]
    scale = float(max([b.value for b in bars] + [b.compare or 0.0 for b in bars] + [1.0]))
    title = _("The sample by case type, against the mix it was drawn to")
    return Markup(charts.bar_chart(bars, title, "sample-chart", scale, _("Mix")))  # noqa: S704 - escaped in charts


def questionnaire_charts(figures: Mapping[str, Any], lang: i18n.Lang) -> list[tuple[Mapping[str, Any], Markup]]:
    """A small bar chart per question with option counts (percentages of those who answered)."""
    _ = _gettext(lang)
    made: list[tuple[Mapping[str, Any], Markup]] = []
    for number, question in enumerate(figures.get("questions", [])):
        options: Sequence[Mapping[str, Any]] = question.get("options") or []
        if not options:
            continue
        bars = [
            charts.CountBar(
                label=_.gettext(i18n.VALUES[o["value"]]) if o["value"] in i18n.VALUES else str(o["value"]),
                value=float(o["count"]),
                display=str(o["count"]),
            )
            for o in options
        ]
        scale = float(max(question.get("answered") or 0, max(b.value for b in bars), 1.0))
        svg = charts.bar_chart(bars, question["text"], f"chart-q-{figures['respondent']}-{number}", scale)
        made.append((question, Markup(svg)))  # noqa: S704 - escaped in charts
    return made


def html(document: Document) -> str:
    """The whole report as one self-contained HTML page (styles inline, charts inline)."""
    lang: i18n.Lang = document["lang"]
    env = environment(lang)
    template = env.get_template("report.html.j2")
    return template.render(
        doc=document,
        lang=lang,
        chart_one=chart_one(document, lang),
        sample_chart=sample_chart(document, lang),
        questionnaire_charts=lambda figures: questionnaire_charts(figures, lang),
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),  # noqa: S704 - our own stylesheet
    )


def pdf(document: Document, page: str | None = None) -> bytes:
    """The report as an A4 PDF with a table of contents, page numbers and its metadata set."""
    import weasyprint  # imported when a PDF is made: it loads Pango, which only this needs

    source = page if page is not None else html(document)
    rendered = weasyprint.HTML(string=source, base_url=str(TEMPLATES)).render()
    facts = document["inspection"]
    metadata = rendered.metadata
    _ = _gettext(document["lang"])
    if not unavailable(facts):
        metadata.title = _("Offender Management Inspection: %(area)s", area=facts["area"])
        metadata.description = _(
            "A report on offender management in %(area)s, fieldwork from %(date)s",
            area=facts["area"],
            date=facts["fieldwork_start"],
        )
        metadata.custom = {"Area": facts["area"], "Fieldwork": str(facts["fieldwork_start"])}
        metadata.keywords = [facts["area"], str(facts["fieldwork_start"])]
        metadata.created = str(document.get("published_at") or document["generated_at"])
    metadata.authors = [_("HM Inspectorate of Probation")]
    metadata.lang = document["lang"]
    out = BytesIO()
    rendered.write_pdf(out, custom_metadata=True)
    return out.getvalue()
