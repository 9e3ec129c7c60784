"""The tracking CSV format (docs/tracking-csv.md): its files, their columns,
and how each value is written and read. The export and the import share these
definitions, so that whatever Kinwell exports, it imports again."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import models
from django.utils import timezone

from kinwell.tracking.models import Evaluation, TreatmentCourse
from kinwell.tracking.models.records import Mood, Severity

MEMBER_COLUMN = "member"
EARLIEST_DAY = date(1900, 1, 1)
NAME_LIMIT = 120
NOTE_LIMIT = 2000
DOSE_LIMIT = 60


@dataclass(frozen=True)
class FileFormat:
    name: str
    # In the order the export writes them.
    columns: tuple[str, ...]
    # The header must name these.
    required: frozenset[str]
    # Written by the export for the reader's benefit; the import ignores them.
    informative: frozenset[str] = frozenset()

    @property
    def known(self) -> frozenset[str]:
        return frozenset(self.columns) | {MEMBER_COLUMN}


def _file(name: str, columns: str, required: str, informative: str = "") -> FileFormat:
    return FileFormat(
        name=name,
        columns=tuple(columns.split()),
        required=frozenset(required.split()),
        informative=frozenset(informative.split()) | {MEMBER_COLUMN},
    )


CONDITIONS = _file(
    "conditions.csv",
    "condition onset_on diagnosed_on icd10_code snomed_code",
    "condition",
    "icd10_code snomed_code",
)
SYMPTOMS = _file(
    "symptoms.csv",
    "symptom started_on stopped_on snomed_code",
    "symptom started_on",
    "snomed_code",
)
CHECK_INS = _file("check_ins.csv", "day symptom severity mood note", "day")
COURSES = _file(
    "courses.csv",
    "course treatment started_on stopped_on dose frequency stop_reason kind "
    "atc_code snomed_code",
    "course treatment started_on",
    "kind atc_code snomed_code",
)
EVALUATIONS = _file(
    "evaluations.csv",
    "evaluation course evaluated_on effectiveness adherence burden cost_band note",
    "evaluation course evaluated_on",
)
SIDE_EFFECTS = _file(
    "side_effects.csv", "evaluation symptom severity", "evaluation symptom severity"
)
RESPONSES = _file(
    "questionnaire_responses.csv",
    "response community questionnaire answered_at question answer question_text score",
    "response community questionnaire answered_at question answer",
    "question_text score",
)
FILES: dict[str, FileFormat] = {
    f.name: f
    for f in (
        CONDITIONS,
        SYMPTOMS,
        CHECK_INS,
        COURSES,
        EVALUATIONS,
        SIDE_EFFECTS,
        RESPONSES,
    )
}


# Writing -----------------------------------------------------------------------


def day_text(day: date | None, shift_days: int = 0) -> str:
    if day is None:
        return ""
    return (day + timedelta(days=shift_days)).isoformat()


def moment_text(moment: datetime, shift_days: int = 0) -> str:
    """A date and time in the site's time zone, with its offset, to the second."""
    local = timezone.localtime(moment + timedelta(days=shift_days))
    return local.replace(microsecond=0).isoformat()


def number_text(value: int | None) -> str:
    return "" if value is None else str(value)


# Reading -----------------------------------------------------------------------


class CellError(ValueError):
    """A value that cannot be read; the message says why, in plain words."""


def normalise_header(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lstrip("\ufeff").strip().lower())


def _words(text: str) -> str:
    return " ".join(re.sub(r"[_-]+", " ", text).lower().split())


def _scale(choices: type[models.IntegerChoices]) -> dict[str, int]:
    scale = {_words(str(label)): int(value) for value, label in choices.choices}
    scale |= {str(value): int(value) for value in choices.values}
    return scale


def _codes(choices: type[models.TextChoices]) -> dict[str, str]:
    found = {_words(str(label)): str(value) for value, label in choices.choices}
    return found | {_words(str(value)): str(value) for value in choices.values}


SCALES: Mapping[str, Mapping[str, int]] = {
    "severity": _scale(Severity),
    "mood": _scale(Mood),
    "effectiveness": _scale(Evaluation.Effectiveness),
    "adherence": _scale(Evaluation.Adherence),
    "burden": _scale(Evaluation.Burden),
}
CODES: Mapping[str, Mapping[str, str]] = {
    "cost_band": _codes(Evaluation.CostBand),
    "stop_reason": _codes(TreatmentCourse.StopReason),
}


def read_scale(column: str, text: str) -> int | None:
    """A 0-4 scale value, as a number or in words ("moderate"); None if empty."""
    if not text:
        return None
    found = SCALES[column].get(_words(text))
    if found is None:
        words = ", ".join(k for k in SCALES[column] if not k.isdigit())
        raise CellError(f"{text[:40]!r} is not 0 to 4 or one of: {words}.")
    return found


def read_code(column: str, text: str) -> str:
    """One of a fixed list of answers, by its code or its words; "" if empty."""
    if not text:
        return ""
    found = CODES[column].get(_words(text))
    if found is None:
        allowed = ", ".join(sorted(set(CODES[column].values())))
        raise CellError(f"{text[:40]!r} is not one of: {allowed}.")
    return found


def read_day(text: str, *, today: date) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text[:40]!r} is not a date as YYYY-MM-DD.") from None
    if day > today:
        raise CellError(f"{day.isoformat()} is in the future.")
    if day < EARLIEST_DAY:
        raise CellError("Give a date from 1900 on.")
    return day


def read_moment(text: str, *, now: datetime) -> datetime:
    """A date and time (ISO 8601); without an offset, the site's time zone.
    A date alone means noon of that day."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(
            f"{text[:40]!r} is not a date and time such as 2026-03-01T09:30:00."
        ) from None
    if len(text) == 10:
        moment = moment.replace(hour=12)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now:
        raise CellError("This date and time is in the future.")
    if moment.date() < EARLIEST_DAY:
        raise CellError("Give a date from 1900 on.")
    return moment


def read_whole_number(text: str) -> int:
    if not re.fullmatch(r"\d{1,9}", text):
        raise CellError(f"{text[:40]!r} is not a whole number.")
    return int(text)


def read_text(text: str, *, limit: int) -> str:
    if len(text) > limit:
        raise CellError(f"Keep this under {limit} characters.")
    return text
