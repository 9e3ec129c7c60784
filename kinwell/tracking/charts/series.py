"""What the personal charts show, read in four queries: the period, each
symptom's daily severity and the mood as series on a 0-4 scale in words, the
treatment courses overlapping the period, and the same data as table rows
and sentences for the chart's description."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.tracking.models import CheckIn, SymptomScore, TrackedSymptom
from kinwell.tracking.models import TreatmentCourse as Course
from kinwell.tracking.models.records import Mood, Severity

MONTH_CHOICES = (3, 6, 12)
DEFAULT_MONTHS = 3
SEVERITY_WORDS = tuple(str(label) for label in Severity.labels)
MOOD_WORDS = tuple(str(label) for label in Mood.labels)


# The data -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    months: int
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Band:
    """A treatment course, as far as it falls in the period."""

    course_id: int
    treatment: str
    started_on: date
    stopped_on: date | None
    first: date
    last: date

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Point:
    day: date
    value: int


@dataclass(frozen=True)
class Series:
    """One chart: a symptom's severity or the mood, on a 0-4 scale in words."""

    subject: str
    scale: tuple[str, ...]
    points: tuple[Point, ...]
    symptom_id: int | None = None

    @property
    def is_mood(self) -> bool:
        return self.symptom_id is None


@dataclass(frozen=True)
class Row:
    """One line of a chart's table."""

    day: date
    value: int
    words: str
    treatments: tuple[str, ...]


@dataclass(frozen=True)
class Charts:
    period: Period
    symptoms: list[Series]
    mood: Series
    bands: list[Band]


def period_for(months: int, today: date | None = None) -> Period:
    """The `months` months up to and including today."""
    end = today or timezone.localdate()
    return Period(months, _months_before(end, months) + timedelta(days=1), end)


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    following = date(year + month // 12, month % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def personal_charts(owner: User, months: int) -> Charts:
    """Everything the chart page draws, in four queries whatever the number
    of symptoms, days and courses: symptoms tracked, scores, moods, courses."""
    period = period_for(months)
    bands = _bands(owner, period)
    return Charts(period, _symptom_series(owner, period), _mood(owner, period), bands)


def _symptom_series(owner: User, period: Period) -> list[Series]:
    names = dict(
        TrackedSymptom.objects.filter(user=owner, started_on__lte=period.end)
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=period.start))
        .values_list("symptom_id", "symptom__name")
    )
    points: dict[int, list[Point]] = {symptom_id: [] for symptom_id in names}
    scores = (
        SymptomScore.objects.filter(user=owner, day__range=(period.start, period.end))
        .values_list("symptom_id", "symptom__name", "day", "severity")
        .order_by("day", "symptom_id")
    )
    for symptom_id, name, day, severity in scores:
        names.setdefault(symptom_id, name)
        points.setdefault(symptom_id, []).append(Point(day, severity))
    ordered = sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
    return [
        Series(name, SEVERITY_WORDS, tuple(points[symptom_id]), symptom_id)
        for symptom_id, name in ordered
    ]


def _mood(owner: User, period: Period) -> Series:
    moods = (
        CheckIn.objects.filter(
            user=owner, day__range=(period.start, period.end), mood__isnull=False
        )
        .values_list("day", "mood")
        .order_by("day")
    )
    return Series(
        "Mood",
        MOOD_WORDS,
        tuple(Point(day, mood) for day, mood in moods if mood is not None),
    )


def _bands(owner: User, period: Period) -> list[Band]:
    courses = (
        Course.objects.filter(user=owner, started_on__lte=period.end)
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=period.start))
        .select_related("treatment")
        .order_by("started_on", "pk")
    )
    return [
        Band(
            course.pk,
            course.treatment.name,
            course.started_on,
            course.stopped_on,
            max(course.started_on, period.start),
            min(course.stopped_on or period.end, period.end),
        )
        for course in courses
    ]


def table_rows(series: Series, bands: list[Band]) -> list[Row]:
    """The chart's data as its table lists it: each day rated, in words,
    with the treatments of that day."""
    return [
        Row(
            point.day,
            point.value,
            series.scale[point.value],
            tuple(band.treatment for band in bands if band.covers(point.day)),
        )
        for point in series.points
    ]


# Words ----------------------------------------------------------------------


def day_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def course_words(band: Band) -> str:
    if band.stopped_on is None:
        return f"{band.treatment}, from {day_label(band.started_on)}, current"
    return (
        f"{band.treatment}, from {day_label(band.started_on)} "
        f"to {day_label(band.stopped_on)}"
    )


def chart_title(series: Series, period: Period) -> str:
    what = "Mood" if series.is_mood else f"Severity of {series.subject}"
    return f"{what}, the last {period.months} months"


def chart_description(series: Series, period: Period, bands: list[Band]) -> str:
    span = f"From {day_label(period.start)} to {day_label(period.end)}"
    points = series.points
    if not points:
        summary = f"{span}, no check-in rated it."
    else:
        values = [point.value for point in points]
        last = points[-1]
        summary = (
            f"{span}, rated on {len(points)} "
            f"day{'' if len(points) == 1 else 's'}: lowest "
            f"{series.scale[min(values)].lower()}, highest "
            f"{series.scale[max(values)].lower()}; on "
            f"{day_label(last.day)}, the last day rated, "
            f"{series.scale[last.value].lower()}."
        )
    if bands:
        courses = "; ".join(course_words(band) for band in bands)
        summary += f" Treatment courses shaded: {courses}."
    else:
        summary += " No treatment course in this period."
    return summary + " “Show the numbers”, after the chart, gives every day."
