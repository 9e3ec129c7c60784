"""A member's personal charts: the severity of each symptom they track, and
their mood, day by day over the last 3, 6 or 12 months, with the treatment
courses of the period shaded.

Drawn on the server as SVG: no script, no library, and they print. Each
chart is a picture of the table that follows it on the page
(templates/tracking/treatments/chart.html), so nobody needs the picture:
screen readers get its title and a description of what it shows. Nothing
is told by colour alone: the line is a line, a course is a hatched band
named above the chart, and the scale is in words.

The data and its words are in `series`, the drawing in `svg`, the rows of
the tables in `table`."""

from kinwell.tracking.charts.series import (
    DEFAULT_MONTHS,
    MONTH_CHOICES,
    Band,
    Charts,
    Period,
    Point,
    Row,
    Series,
    chart_title,
    course_words,
    period_for,
    personal_charts,
    table_rows,
)
from kinwell.tracking.charts.svg import draw_chart
from kinwell.tracking.charts.table import table_body

__all__ = [
    "DEFAULT_MONTHS",
    "MONTH_CHOICES",
    "Band",
    "Charts",
    "Period",
    "Point",
    "Row",
    "Series",
    "chart_title",
    "course_words",
    "draw_chart",
    "period_for",
    "personal_charts",
    "table_body",
    "table_rows",
]
