"""Charts of community insights, drawn on the server as SVG: no script, and
they print. Each is a picture of the table that follows it on the page, so
nobody needs the picture: screen readers get its title and a summary, and
every bar carries its figure in words beside it, so nothing is told by
length or colour alone. A figure that is not shown gets no bar, only its
words ("fewer than 10").

Colours: bars in the site's accent (#1d5c63, 7.6:1 on white), their track
and text in dark greys, on a white ground whatever the page's theme."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from kinwell.tracking.insights.reading import Share, SymptomRow
from kinwell.tracking.models.records import Severity

INK = "#1b2426"
BAR = "#1d5c63"
TRACK = "#4a5759"
GROUND = "#ffffff"

WIDTH = 640
ROW = 52
SIDE = 12
BAR_WIDTH = 380
TOP_SEVERITY = max(Severity.values)


@dataclass(frozen=True)
class Bar:
    label: str
    fraction: float | None  # of the track; None draws no bar
    words: str


def ranking_chart(rows: Sequence[SymptomRow], *, chart_id: str) -> SafeString:
    """The ranked symptoms, each bar its burden on the 0 to 4 scale."""
    bars = [
        Bar(
            row.name,
            (row.burden or 0) / TOP_SEVERITY,
            f"{row.burden} of {TOP_SEVERITY}, {row.members.words} members",
        )
        for row in rows
    ]
    title = "Symptoms ranked by how severe members rate them"
    if not rows:
        desc = "No symptom is reported by enough members to be ranked yet."
    else:
        desc = (
            f"{len(rows)} symptom{'' if len(rows) == 1 else 's'} ranked. "
            f"Most burdensome: {rows[0].name}, rated {rows[0].burden} of "
            f"{TOP_SEVERITY} on average. The table that follows gives each."
        )
    return bar_chart(bars, chart_id=chart_id, title=title, desc=desc)


def shares_chart(shares: Sequence[Share], *, chart_id: str, title: str) -> SafeString:
    """One bar per answer, as long as its count against the largest."""
    largest = max((share.members.value or 0 for share in shares), default=0)
    bars = [
        Bar(
            share.label,
            (share.members.value / largest)
            if share.members.value is not None and largest
            else None,
            f"{share.members.words} members",
        )
        for share in shares
    ]
    desc = "; ".join(f"{share.label}: {share.members.words}" for share in shares)
    return bar_chart(bars, chart_id=chart_id, title=title, desc=f"{desc}.")


def bar_chart(
    bars: Sequence[Bar], *, chart_id: str, title: str, desc: str
) -> SafeString:
    height = ROW * len(bars) + 8
    parts = [_bar(index, bar) for index, bar in enumerate(bars)]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {} {}" '
        'aria-labelledby="{}-title {}-desc" class="chart" '
        'font-family="system-ui, sans-serif">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<rect width="100%" height="100%" fill="{}"/>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        GROUND,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


def _bar(index: int, bar: Bar) -> SafeString:
    top = 8 + index * ROW
    length = BAR_WIDTH * min(max(bar.fraction or 0, 0), 1)
    filled = (
        format_html(
            '<rect x="{}" y="{}" width="{}" height="18" fill="{}"/>',
            SIDE,
            top + 20,
            _n(length),
            BAR,
        )
        if bar.fraction is not None
        else ""
    )
    return format_html(
        '<g><text x="{}" y="{}" font-size="14" fill="{}">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="18" fill="none" stroke="{}"/>{}'
        '<text x="{}" y="{}" font-size="14" fill="{}">{}</text></g>',
        SIDE,
        top + 14,
        INK,
        bar.label,
        SIDE,
        top + 20,
        BAR_WIDTH,
        TRACK,
        filled,
        SIDE + BAR_WIDTH + 8,
        top + 34,
        INK,
        bar.words,
    )


def _n(value: float) -> str:
    """A coordinate, short: 12.5, not 12.500000001."""
    return f"{value:.1f}".removesuffix(".0")
