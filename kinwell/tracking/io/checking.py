"""What the import checks share: the member's catalogue by name, the record
of problems and skipped rows, and the records a valid upload will write."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.db.models import F
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.tracking.catalogue import retired_in_records
from kinwell.tracking.checkins import visible_catalogue
from kinwell.tracking.io import csv_format as fmt
from kinwell.tracking.io.upload import Problem, Row
from kinwell.tracking.models import Condition, Symptom, Treatment

T = TypeVar("T")


# The records a valid upload writes ------------------------------------------------


@dataclass(slots=True)
class ConditionItem:
    condition_id: int
    onset_on: date | None
    diagnosed_on: date | None


@dataclass(slots=True)
class TrackingItem:
    symptom_id: int
    started_on: date
    stopped_on: date | None


@dataclass(slots=True)
class DayItem:
    line: int
    day: date
    mood: int | None = None
    mood_line: int = 0
    note: str = ""
    note_line: int = 0
    scores: dict[int, int] = field(default_factory=dict)
    # A row of the day has a problem (reported there): say nothing more of it.
    failed: bool = False


@dataclass(slots=True)
class EvaluationItem:
    line: int
    evaluated_on: date
    effectiveness: int | None
    adherence: int | None
    burden: int | None
    cost_band: str
    note: str
    side_effects: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class CourseItem:
    line: int
    treatment_id: int
    started_on: date
    stopped_on: date | None
    dose: str
    frequency: str
    stop_reason: str
    skipped: bool = False
    evaluations: dict[int, EvaluationItem] = field(default_factory=dict)


@dataclass(slots=True)
class ResponseItem:
    questionnaire_id: int
    community_id: int
    answered_at: datetime
    score: Decimal
    answers: dict[int, int]


@dataclass
class Plan:
    conditions: list[ConditionItem] = field(default_factory=list)
    trackings: list[TrackingItem] = field(default_factory=list)
    # Symptoms rated in the check-ins that the member never tracked: they
    # start being tracked from the first day rated.
    new_trackings: list[TrackingItem] = field(default_factory=list)
    days: list[DayItem] = field(default_factory=list)
    courses: list[CourseItem] = field(default_factory=list)
    responses: list[ResponseItem] = field(default_factory=list)

    @property
    def written_courses(self) -> list[CourseItem]:
        return [course for course in self.courses if not course.skipped]


# The check's state ------------------------------------------------------------------


class Catalogue:
    """The entries a member may use, by name without regard to case: the
    generic one where a name is in both, else the oldest community entry.
    An entry organisers removed is found only if the member's own records
    already name it, and only where no entry in the catalogue has its name:
    their own records can go back in, nobody starts a new one with it."""

    def __init__(self, owner: User) -> None:
        self.owner = owner
        self._names: dict[type[models.Model], dict[str, tuple[int, str]]] = {}

    def find(self, model: type[models.Model], name: str) -> int | None:
        found = self._by_name(model).get(name.lower())
        return found[0] if found else None

    def name_of(self, model: type[models.Model], pk: int) -> str:
        for found_pk, name in self._by_name(model).values():
            if found_pk == pk:
                return name
        return ""

    def _by_name(self, model: type[models.Model]) -> dict[str, tuple[int, str]]:
        if model not in self._names:
            order = (F("community_id").asc(nulls_first=True), "pk")
            names: dict[str, tuple[int, str]] = {}
            for rows in (
                visible_catalogue(self.owner, model),
                retired_in_records(self.owner, model),
            ):
                for pk, name in rows.order_by(*order).values_list("pk", "name"):
                    names.setdefault(name.lower(), (pk, name))
            self._names[model] = names
        return self._names[model]


CATALOGUE_WORDS: dict[type[models.Model], str] = {
    Condition: "condition",
    Symptom: "symptom",
    Treatment: "treatment",
}


@dataclass
class Check:
    owner: User
    catalogue: Catalogue
    today: date = field(default_factory=timezone.localdate)
    now: datetime = field(default_factory=timezone.now)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    def problem(
        self, file: str, line: int | None, column: str | None, message: str
    ) -> None:
        self.problems.append(Problem(file, line, column, message))

    def skip(self, file: str, line: int, message: str) -> None:
        self.skipped.append(Problem(file, line, None, message))

    def row(self, file: str, row: Row) -> "RowCheck":
        return RowCheck(self, file, row)

    def read_day(self, text: str) -> date | None:
        return fmt.read_day(text, today=self.today)

    def read_moment(self, text: str) -> datetime:
        return fmt.read_moment(text, now=self.now)


class RowCheck:
    """Reads one row's cells, noting a problem for each bad one, so that a
    row with three mistakes reports all three."""

    def __init__(self, check: Check, file: str, row: Row) -> None:
        self.check = check
        self.file = file
        self.row = row
        self.ok = True

    @property
    def line(self) -> int:
        return self.row.line

    def fail(self, column: str | None, message: str) -> None:
        self.ok = False
        self.check.problem(self.file, self.row.line, column, message)

    def read(self, column: str, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(self.row[column])
        except fmt.CellError as error:
            self.fail(column, str(error))
            return None

    def required(self, column: str, parse: Callable[[str], T | None]) -> T | None:
        if not self.row[column]:
            self.fail(column, "This value is needed.")
            return None
        return self.read(column, parse)

    def entry(self, column: str, model: type[models.Model]) -> int | None:
        """The catalogue entry the cell names."""
        name = self.row[column]
        if not name:
            self.fail(column, f"Give the {CATALOGUE_WORDS[model]}'s name.")
            return None
        found = self.check.catalogue.find(model, name)
        if found is None:
            self.fail(
                column,
                f"There is no {CATALOGUE_WORDS[model]} called {name[:80]!r} in the "
                "list you can use (the general list and your communities' own).",
            )
        return found

    def text(self, column: str, limit: int) -> str:
        return self.read(column, lambda text: fmt.read_text(text, limit=limit)) or ""


def later_than(first: Any, then: Any) -> bool:
    return first is not None and then is not None and then < first
