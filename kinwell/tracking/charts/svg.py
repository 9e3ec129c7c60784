"""The personal charts drawn as SVG: a step line of a series over the
period, the treatment courses as hatched bands each named in a lane above,
the scale in words on the left, the months below and a legend.

Colours: the line in the site's accent (#1d5c63, 7.6:1 on white), text in
its ink (#1b2426), bands hatched in grey, on a white ground whatever the
page's theme."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from kinwell.tracking.charts.series import (
    Band,
    Period,
    Point,
    Series,
    chart_description,
    chart_title,
)

# Check-ins further apart than this are not joined by the line: the member
# did not check in between, and the chart does not guess.
MAX_GAP_DAYS = 7

INK = "#1b2426"
LINE = "#1d5c63"
GRID = "#c9d3d5"
HATCH = "#7d8d90"
BAND = "#eef3f4"
GROUND = "#ffffff"

WIDTH = 640
LEFT, RIGHT = 100, 16
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = 160
LANE = 22
TOP = 10
AXIS = 40
LEGEND = 52


@dataclass(frozen=True)
class _Frame:
    """Where things go in one chart."""

    period: Period
    lanes: int

    @property
    def slot(self) -> float:
        return PLOT_WIDTH / self.period.days

    @property
    def plot_top(self) -> int:
        return TOP + self.lanes * LANE + (8 if self.lanes else 0)

    @property
    def plot_bottom(self) -> int:
        return self.plot_top + PLOT_HEIGHT

    @property
    def height(self) -> int:
        return self.plot_bottom + AXIS + LEGEND

    def x(self, day: date) -> float:
        return LEFT + (day - self.period.start).days * self.slot

    def y(self, value: int) -> float:
        return self.plot_bottom - value * PLOT_HEIGHT / 4


def draw_chart(
    series: Series, period: Period, bands: list[Band], *, chart_id: str
) -> SafeString:
    """A step line of the series over the period, the courses as hatched
    bands each named in a lane above, the scale in words on the left."""
    frame = _Frame(period, len(bands))
    parts = [
        _hatches(chart_id),
        *(_band(frame, band, index, chart_id) for index, band in enumerate(bands)),
        _scale(frame, series.scale),
        *_month_ticks(frame),
        _line(frame, series.points),
        *_markers(frame, series.points),
        _legend(frame, series, chart_id),
    ]
    title = chart_title(series, period)
    desc = chart_description(series, period, bands)
    return _svg(chart_id, frame.height, title, desc, parts)


# One hatching per course, in turn, so that overlapping courses cross-hatch
# and each band matches its named bar by pattern as well as by place.
HATCH_ANGLES = (45, -45, 0)


def _hatches(chart_id: str) -> SafeString:
    patterns = format_html_join(
        "",
        '<pattern id="{}-hatch-{}" width="8" height="8" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate({})">'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="{}" stroke-width="2"/>'
        "</pattern>",
        ((chart_id, index, angle, HATCH) for index, angle in enumerate(HATCH_ANGLES)),
    )
    return format_html("<defs>{}</defs>", patterns)


def _band(frame: _Frame, band: Band, index: int, chart_id: str) -> SafeString:
    left = frame.x(band.first)
    width = frame.x(band.last) + frame.slot - left
    lane_top = TOP + index * LANE
    hatch = f"{chart_id}-hatch-{index % len(HATCH_ANGLES)}"
    # A label near the right edge ends at its band rather than starting there.
    late = left > LEFT + PLOT_WIDTH * 0.6
    text_x, anchor = (left + width - 4, "end") if late else (left + 4, "start")
    return format_html(
        '<g><rect x="{}" y="{}" width="{}" height="{}" fill="{}" '
        'fill-opacity="0.6"/>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{})" '
        'fill-opacity="0.7"/>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="4 3"/>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="4 3"/>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}"/>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{})"/>'
        '<text x="{}" y="{}" text-anchor="{}" font-size="13" fill="{}" '
        'paint-order="stroke" stroke="{}" stroke-width="3">{}</text></g>',
        *_box(left, frame.plot_top, width, PLOT_HEIGHT),
        BAND,
        *_box(left, frame.plot_top, width, PLOT_HEIGHT),
        hatch,
        *_edge(left, frame),
        *_edge(left + width, frame),
        *_box(left, lane_top, width, LANE - 6),
        BAND,
        HATCH,
        *_box(left, lane_top, width, LANE - 6),
        hatch,
        _n(text_x),
        lane_top + 12,
        anchor,
        INK,
        GROUND,
        band.treatment,
    )


def _box(x: float, y: float, width: float, height: float) -> tuple[str, ...]:
    return (_n(x), _n(y), _n(width), _n(height))


def _edge(x: float, frame: _Frame) -> tuple[str, int, str, int, str]:
    return (_n(x), frame.plot_top, _n(x), frame.plot_bottom, HATCH)


def _scale(frame: _Frame, words: tuple[str, ...]) -> SafeString:
    rows = (
        (LEFT, _n(frame.y(value)), LEFT + PLOT_WIDTH, _n(frame.y(value)), GRID)
        for value in range(len(words))
    )
    lines = format_html_join(
        "", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', rows
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>',
        (
            (LEFT - 8, _n(frame.y(value) + 4), INK, word)
            for value, word in enumerate(words)
        ),
    )
    return format_html("<g>{}{}</g>", lines, labels)


def _month_ticks(frame: _Frame) -> list[SafeString]:
    period, ticks = frame.period, list[SafeString]()
    day = date(period.start.year, period.start.month, 1)
    while day <= period.end:
        if day >= period.start:
            ticks.append(_tick(frame, day, first=not ticks))
        day = (day + timedelta(days=32)).replace(day=1)
    return ticks


def _tick(frame: _Frame, day: date, *, first: bool) -> SafeString:
    x = _n(frame.x(day))
    bottom = frame.plot_bottom
    year = str(day.year) if first or day.month == 1 else ""
    return format_html(
        '<g><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{}">'
        '<tspan x="{}" dy="0">{}</tspan><tspan x="{}" dy="14">{}</tspan></text></g>',
        x,
        bottom,
        x,
        bottom + 6,
        INK,
        x,
        bottom + 20,
        INK,
        x,
        day.strftime("%b"),
        x,
        year,
    )


def _line(frame: _Frame, points: tuple[Point, ...]) -> SafeString:
    """Each rated day is a step as wide as a day; consecutive check-ins are
    joined, and a gap of more than MAX_GAP_DAYS breaks the line."""
    commands: list[str] = []
    previous: Point | None = None
    for point in points:
        x, y = frame.x(point.day), frame.y(point.value)
        joined = (
            previous is not None and (point.day - previous.day).days <= MAX_GAP_DAYS
        )
        commands.append(f"{'H' if joined else 'M'}{_n(x)}")
        if joined:
            commands.append(f"V{_n(y)}")
        else:
            commands[-1] += f" {_n(y)}"
        commands.append(f"H{_n(x + frame.slot)}")
        previous = point
    if not commands:
        return SafeString("")
    return format_html(
        '<path d="{}" fill="none" stroke="{}" stroke-width="3" '
        'stroke-linejoin="round"/>',
        " ".join(commands),
        LINE,
    )


def _markers(frame: _Frame, points: tuple[Point, ...]) -> list[SafeString]:
    """A dot on each rated day when days are wide enough to tell apart, and
    always on a day standing alone, which the line alone would hide."""
    marked = []
    for index, point in enumerate(points):
        if frame.period.days > 100 and not _alone(points, index):
            continue
        marked.append(
            format_html(
                '<circle cx="{}" cy="{}" r="4" fill="{}" stroke="{}"/>',
                _n(frame.x(point.day) + frame.slot / 2),
                _n(frame.y(point.value)),
                LINE,
                GROUND,
            )
        )
    return marked


def _alone(points: tuple[Point, ...], index: int) -> bool:
    day = points[index].day
    before = index > 0 and (day - points[index - 1].day).days <= MAX_GAP_DAYS
    after = (
        index + 1 < len(points) and (points[index + 1].day - day).days <= MAX_GAP_DAYS
    )
    return not (before or after)


def _legend(frame: _Frame, series: Series, chart_id: str) -> SafeString:
    top = frame.plot_bottom + AXIS
    what = "Mood" if series.is_mood else "Severity"
    return format_html(
        '<g font-size="12" fill="{}">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="3"/>'
        '<circle cx="{}" cy="{}" r="4" fill="{}" stroke="{}"/>'
        '<text x="{}" y="{}">{} on the days you checked in</text>'
        '<rect x="{}" y="{}" width="28" height="14" fill="url(#{}-hatch-0)" '
        'stroke="{}"/>'
        '<text x="{}" y="{}">A treatment course, named above the chart</text></g>',
        INK,
        LEFT,
        top + 8,
        LEFT + 28,
        top + 8,
        LINE,
        LEFT + 14,
        top + 8,
        LINE,
        GROUND,
        LEFT + 36,
        top + 12,
        what,
        LEFT,
        top + 26,
        chart_id,
        HATCH,
        LEFT + 36,
        top + 38,
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
