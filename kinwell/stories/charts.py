"""Charts of the public figures, drawn on the server as SVG: no script, no
library, and they print. Each chart is a picture of a table that follows it
on the page (templates/stories/public/_charts.html), so nobody needs the
picture: screen readers get its title and description, and every bar carries
its number in words, so nothing is told by colour alone.

Colours: bars in the site's accent (#1d5c63, 7.6:1 on white) and text in its
ink (#1b2426), on a white ground whatever the page's theme."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from kinwell.stories.stats import MIN_CRITICAL, Figures

INK = "#1b2426"
BAR = "#1d5c63"
TRACK = "#4a5759"
GROUND = "#ffffff"

WIDTH = 640
MONTHS_HEIGHT = 240
# Room above the tallest bar for its number, and below the bars for months.
TOP, BOTTOM, SIDE = 28, 44, 12
SHARE_ROW = 58
SHARE_BAR_WIDTH = 420


@dataclass(frozen=True)
class ShareRow:
    """One share, as the chart draws it and the table lists it."""

    label: str
    part: int | None
    whole: int | None
    share: float | None
    note: str = ""

    @property
    def percent(self) -> str:
        return "" if self.share is None else f"{round(self.share * 100)}%"

    @property
    def in_words(self) -> str:
        if self.share is None:
            return self.note
        if self.part is None:
            return self.percent
        return f"{self.percent} ({self.part} of {self.whole})"


def share_rows(figures: Figures) -> list[ShareRow]:
    empty = "No published stories yet"
    stories = figures.stories
    rows = [
        ShareRow("Responded to", figures.responded, stories, figures.responded_share),
        ShareRow(
            "Change planned, not yet made",
            figures.changes_planned,
            stories,
            figures.planned_share,
        ),
        ShareRow("Change made", figures.changes_made, stories, figures.made_share),
    ]
    rows = [row if stories else ShareRow(row.label, 0, 0, None, empty) for row in rows]
    # Only the share of critical stories: their number is not public.
    critical = ShareRow(
        "Critical stories that led to a change",
        None,
        None,
        figures.critical_changed_share,
        f"Not shown (fewer than {MIN_CRITICAL} critical stories)",
    )
    return [*rows, critical]


def month_label(month: date) -> str:
    return month.strftime("%b %Y")


def months_chart(
    per_month: list[tuple[date, int]], *, chart_id: str, subject: str
) -> SafeString:
    """Vertical bars, one a month, each with its count above it."""
    tallest = max([count for _, count in per_month] or [0])
    slot = (WIDTH - 2 * SIDE) / max(len(per_month), 1)
    room = MONTHS_HEIGHT - TOP - BOTTOM
    bars = []
    for index, (month, count) in enumerate(per_month):
        height = room * count / tallest if tallest else 0
        bars.append(_month_bar(index, slot, height, month, count))
    baseline = MONTHS_HEIGHT - BOTTOM
    axis = format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
        SIDE,
        baseline,
        WIDTH - SIDE,
        baseline,
        TRACK,
    )
    title = f"Stories published each month about {subject}"
    return _svg(chart_id, MONTHS_HEIGHT, title, _months_desc(per_month), [axis, *bars])


def _month_bar(
    index: int, slot: float, height: float, month: date, count: int
) -> SafeString:
    baseline = MONTHS_HEIGHT - BOTTOM
    x = SIDE + index * slot
    middle = x + slot / 2
    return format_html(
        '<g><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="14" fill="{}">{}</text>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{}">'
        '<tspan x="{}" dy="0">{}</tspan><tspan x="{}" dy="14">{}</tspan></text></g>',
        _n(x + slot * 0.2),
        _n(baseline - height),
        _n(slot * 0.6),
        _n(height),
        BAR,
        _n(middle),
        _n(baseline - height - 6),
        INK,
        count,
        _n(middle),
        baseline + 18,
        INK,
        _n(middle),
        month.strftime("%b"),
        _n(middle),
        month.strftime("%Y") if month.month == 1 or index == 0 else "",
    )


def _months_desc(per_month: list[tuple[date, int]]) -> str:
    if not per_month:
        return "No months to show."
    total = sum(count for _, count in per_month)
    first, last = month_label(per_month[0][0]), month_label(per_month[-1][0])
    if not total:
        return f"No stories were published from {first} to {last}."
    busiest, most = max(per_month, key=lambda row: row[1])
    return (
        f"From {first} to {last}, {total} stor{'y' if total == 1 else 'ies'} "
        f"in all; the most, {most}, in {month_label(busiest)}. "
        "The table that follows gives every month."
    )


def shares_chart(rows: list[ShareRow], *, chart_id: str, subject: str) -> SafeString:
    """Horizontal bars, one a share, each on a track that marks 100%."""
    height = SHARE_ROW * len(rows) + 8
    bars = [_share_bar(index, row) for index, row in enumerate(rows)]
    title = f"What happened after stories about {subject}"
    desc = "; ".join(f"{row.label}: {row.in_words}" for row in rows) + "."
    return _svg(chart_id, height, title, desc, bars)


def _share_bar(index: int, row: ShareRow) -> SafeString:
    top = 8 + index * SHARE_ROW
    length = SHARE_BAR_WIDTH * (row.share or 0)
    return format_html(
        '<g><text x="{}" y="{}" font-size="14" fill="{}">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="20" fill="none" stroke="{}"/>'
        '<rect x="{}" y="{}" width="{}" height="20" fill="{}"/>'
        '<text x="{}" y="{}" font-size="14" fill="{}">{}</text></g>',
        SIDE,
        top + 14,
        INK,
        row.label,
        SIDE,
        top + 22,
        SHARE_BAR_WIDTH,
        TRACK,
        SIDE,
        top + 22,
        _n(length),
        BAR,
        SIDE + SHARE_BAR_WIDTH + 8,
        top + 37,
        INK,
        row.in_words if row.share is not None else "Not shown",
    )


def _svg(
    chart_id: str, height: int, title: str, desc: str, parts: Iterable[SafeString]
) -> SafeString:
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


def _n(value: float) -> str:
    """A coordinate, short: 12.5, not 12.500000001."""
    return f"{value:.1f}".removesuffix(".0")
