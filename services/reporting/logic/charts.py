"""The report's charts as inline SVG, drawn server-side: Chart 1 (scores with intervals and national
means) and small horizontal bar charts (sample composition, questionnaire answers).

Pure: typed data in, an SVG string out (valid XML, no script). Every label is given already
formatted and translated by the caller; this module draws, it never formats a figure."""

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "font-family=\"'DejaVu Sans', Arial, sans-serif\""


@dataclass(frozen=True)
class ScoreBar:
    """One bar of Chart 1: a criterion's or a section's score on 0-100."""

    id: str
    label: str
    score: float | None
    display: str
    interval: tuple[float, float] | None = None
    national: float | None = None
    national_display: str | None = None
    section: bool = False


@dataclass(frozen=True)
class ChartText:
    """The chart's fixed words, from the message catalogue."""

    title: str
    description: str
    score: str
    interval: str
    national: str
    not_applicable: str


@dataclass(frozen=True)
class CountBar:
    """One bar of a small chart: a count, its share of the scale and its label."""

    label: str
    value: float
    display: str
    compare: float | None = None
    compare_display: str | None = None


def _attr(value: str) -> str:
    return quoteattr(value)


def _clamp(value: float) -> float:
    return min(100.0, max(0.0, value))


def score_chart(bars: Sequence[ScoreBar], text: ChartText, chart_id: str = "chart1") -> str:
    """Chart 1: a horizontal bar per criterion and section, whole-percent labels, 95% interval
    whiskers and national mean markers; a legend below."""
    label_width, plot_width, row, top = 380.0, 330.0, 22.0, 34.0
    width = label_width + plot_width + 60.0
    height = top + row * len(bars) + 54.0
    x0 = label_width

    def x(value: float) -> float:
        return x0 + plot_width * _clamp(value) / 100.0

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart score-chart" id={_attr(chart_id)} '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT} font-size="11">',
        f'<title id="{chart_id}-title">{escape(text.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(text.description)}</desc>',
    ]
    # Scale: gridlines every 20 points, labelled along the top.
    for tick in range(0, 101, 20):
        parts.append(
            f'<line class="grid" x1="{x(tick):.1f}" y1="{top - 6:.1f}" x2="{x(tick):.1f}" '
            f'y2="{top + row * len(bars):.1f}" stroke="#c8c8c8" stroke-width="0.6"/>'
        )
        parts.append(f'<text x="{x(tick):.1f}" y="{top - 10:.1f}" text-anchor="middle" fill="#444">{tick}%</text>')
    for number, bar in enumerate(bars):
        y = top + row * number
        middle = y + row / 2
        weight = ' font-weight="bold"' if bar.section else ""
        parts.append(f'<g class="row" data-id={_attr(bar.id)}>')
        parts.append(
            f'<text class="label" x="{x0 - 8:.1f}" y="{middle + 4:.1f}" text-anchor="end"{weight}>{escape(bar.label)}</text>'
        )
        if bar.score is None:
            parts.append(
                f'<text class="value" x="{x0 + 4:.1f}" y="{middle + 4:.1f}" fill="#444">{escape(text.not_applicable)}</text>'
            )
            parts.append("</g>")
            continue
        fill = "#1d4f73" if bar.section else "#4f86b5"
        parts.append(
            f'<rect class="bar" data-id={_attr(bar.id)} x="{x0:.1f}" y="{y + 4:.1f}" '
            f'width="{max(x(bar.score) - x0, 0.5):.1f}" height="{row - 8:.1f}" fill="{fill}">'
            f"<title>{escape(bar.label)}: {escape(bar.display)}</title></rect>"
        )
        value_x = x(bar.score)
        if bar.interval is not None:
            low, high = x(bar.interval[0]), x(bar.interval[1])
            value_x = max(value_x, high)
            parts.append(
                f'<g class="whisker" stroke="#111" stroke-width="1">'
                f'<line x1="{low:.1f}" y1="{middle:.1f}" x2="{high:.1f}" y2="{middle:.1f}"/>'
                f'<line x1="{low:.1f}" y1="{middle - 4:.1f}" x2="{low:.1f}" y2="{middle + 4:.1f}"/>'
                f'<line x1="{high:.1f}" y1="{middle - 4:.1f}" x2="{high:.1f}" y2="{middle + 4:.1f}"/></g>'
            )
        if bar.national is not None:
            n = x(bar.national)
            value_x = max(value_x, n + 5)
            parts.append(
                f'<path class="national" d="M {n:.1f} {middle - 6:.1f} L {n + 5:.1f} {middle:.1f} '
                f'L {n:.1f} {middle + 6:.1f} L {n - 5:.1f} {middle:.1f} Z" fill="#e0a030" stroke="#7a5200" stroke-width="0.8">'
                f"<title>{escape(text.national)}: {escape(bar.national_display or '')}</title></path>"
            )
        parts.append(f'<text class="value" x="{value_x + 6:.1f}" y="{middle + 4:.1f}"{weight}>{escape(bar.display)}</text>')
        parts.append("</g>")
    legend_y = top + row * len(bars) + 26
    parts.append(
        f'<g class="legend" transform="translate({x0:.1f} {legend_y:.1f})">'
        f'<rect x="0" y="-9" width="14" height="10" fill="#4f86b5"/>'
        f'<text x="20" y="0">{escape(text.score)}</text>'
        f'<line x1="100" y1="-4" x2="124" y2="-4" stroke="#111"/><line x1="100" y1="-8" x2="100" y2="0" stroke="#111"/>'
        f'<line x1="124" y1="-8" x2="124" y2="0" stroke="#111"/>'
        f'<text x="130" y="0">{escape(text.interval)}</text>'
        f'<path d="M 246 -10 L 251 -4 L 246 2 L 241 -4 Z" fill="#e0a030" stroke="#7a5200" stroke-width="0.8"/>'
        f'<text x="258" y="0">{escape(text.national)}</text></g>'
    )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: Sequence[CountBar], title: str, chart_id: str, scale: float, compare_label: str | None = None) -> str:
    """A small horizontal bar chart: one bar per value, its label beside it; where a bar has a
    comparison (e.g. the standard mix), a thin outlined bar below it shows that."""
    label_width, plot_width = 220.0, 240.0
    row = 30.0 if any(b.compare is not None for b in bars) else 20.0
    top = 8.0
    legend = 22.0 if compare_label else 0.0
    height = top + row * len(bars) + legend + 6
    width = label_width + plot_width + 70
    scale = scale or 1.0

    def w(value: float) -> float:
        return plot_width * max(0.0, min(value, scale)) / scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" id={_attr(chart_id)} '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="100%" role="img" aria-labelledby="{chart_id}-title" '
        f'{FONT} font-size="11">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for number, bar in enumerate(bars):
        y = top + row * number
        parts.append(
            f'<text x="{label_width - 8:.1f}" y="{y + 12:.1f}" text-anchor="end">{escape(bar.label)}</text>'
            f'<rect class="bar" x="{label_width:.1f}" y="{y + 2:.1f}" width="{max(w(bar.value), 0.5):.1f}" height="13" '
            f'fill="#4f86b5"/>'
            f'<text class="value" x="{label_width + w(bar.value) + 5:.1f}" y="{y + 12:.1f}">{escape(bar.display)}</text>'
        )
        if bar.compare is not None:
            parts.append(
                f'<rect class="compare" x="{label_width:.1f}" y="{y + 17:.1f}" width="{max(w(bar.compare), 0.5):.1f}" '
                f'height="7" fill="none" stroke="#1d4f73" stroke-width="1"/>'
                f'<text class="value" x="{label_width + w(bar.compare) + 5:.1f}" y="{y + 24:.1f}" font-size="9" '
                f'fill="#1d4f73">{escape(bar.compare_display or "")}</text>'
            )
    if compare_label:
        y = top + row * len(bars) + 10
        parts.append(
            f'<rect x="{label_width:.1f}" y="{y:.1f}" width="14" height="7" fill="none" stroke="#1d4f73"/>'
            f'<text x="{label_width + 20:.1f}" y="{y + 7:.1f}" font-size="10">{escape(compare_label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
