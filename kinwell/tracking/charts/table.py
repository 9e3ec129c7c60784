"""The rows of a chart's table, written here rather than by a template loop:
a year of daily ratings is hundreds of rows per symptom, and rendering each
through the template engine was most of the chart page's time."""

from datetime import date

from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from kinwell.tracking.charts.series import Row


def table_body(rows: list[Row]) -> SafeString:
    """`<tr>`s of the date, the rating in words and number, and the
    treatments of that day."""
    return format_html_join(
        "\n",
        '<tr><th scope="row"><time datetime="{}">{}</time></th>'
        "<td>{} ({} of 4)</td><td>{}</td></tr>",
        (
            (
                row.day.isoformat(),
                _day(row.day),
                row.words,
                row.value,
                ", ".join(row.treatments) or "None",
            )
            for row in rows
        ),
    )


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"
