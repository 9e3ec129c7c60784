"""Who is simulated, and where their rows go: how they check in, the
catalogue they use, what their life holds, the rows waiting for their bulk
insert with the ids handed out so far."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from kinwell.seeding.tracking_profiles import Profile
from kinwell.tracking.models import (
    CheckIn,
    Evaluation,
    MemberCondition,
    SideEffect,
    SymptomScore,
    TrackedSymptom,
    TreatmentCourse,
)


@dataclass(frozen=True)
class Habit:
    """How someone checks in: streaks and gaps in days (lognormal medians
    and spreads), the chance of missing a day within a streak, and of
    stopping for good after a streak."""

    streak: float
    streak_spread: float
    gap: float
    gap_spread: float
    missed: float
    gives_up: float
    evaluates_every_course: bool = False


# Most people: a few weeks at a time, and most stop within months.
OCCASIONAL = Habit(12, 1.1, 4, 1.2, 0.1, 0.22)
# A research-minded cohort: months at a time, short breaks, for years.
DEVOTED = Habit(60, 0.8, 2, 0.8, 0.04, 0.0, evaluates_every_course=True)


@dataclass(frozen=True)
class Catalogue:
    """Entry ids by kind ("condition", "symptom", "treatment") and name: the
    generic set, and each community's own additions."""

    generic: dict[str, dict[str, int]]
    local: dict[int, dict[str, dict[str, int]]] = field(default_factory=dict)

    def pk(self, kind: str, name: str, community_id: int | None) -> int:
        own = self.local.get(community_id or 0, {}).get(kind, {})
        return own[name] if name in own else self.generic[kind][name]


@dataclass(frozen=True)
class Plan:
    """A treatment course decided beforehand, in days from the first day."""

    treatment: str
    started: int
    stopped: int | None = None
    reason: str = ""
    helps: float = 0.5
    side_effects: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Life:
    user_id: int
    # Whose catalogue additions they use.
    community_id: int | None
    profile: Profile
    first_day: date
    last_day: date
    habit: Habit | None  # None: set up tracking, never checked in
    symptoms: tuple[int, int]  # how many they rate, at least and at most
    # How readily they try treatments: 1 for most people.
    adoption: float = 1.0
    # The treatment nearly everyone around them tries, if any.
    signature: str = ""
    # Courses decided beforehand instead of drawn from the profile.
    plans: tuple[Plan, ...] = ()


@dataclass
class Rows:
    """Rows waiting for their bulk insert, in foreign-key order, and the
    next id of each table whose rows others point at."""

    next_check_in: int
    next_course: int
    next_evaluation: int
    conditions: list[MemberCondition] = field(default_factory=list)
    tracked_symptoms: list[TrackedSymptom] = field(default_factory=list)
    treatment_courses: list[TreatmentCourse] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    side_effects: list[SideEffect] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    symptom_scores: list[SymptomScore] = field(default_factory=list)

    def insert(self, count: Callable[[str, int], None], batch: int = 2000) -> None:
        for name, rows in vars(self).items():
            if isinstance(rows, list) and rows:
                type(rows[0]).objects.bulk_create(rows, batch_size=batch)
                count(name.replace("_", " "), len(rows))
                rows.clear()

    @property
    def waiting(self) -> int:
        return len(self.symptom_scores) + len(self.check_ins)


@dataclass
class Member:
    """The one being simulated, and where their rows go."""

    rng: random.Random
    life: Life
    catalogue: Catalogue
    rows: Rows

    @property
    def span(self) -> int:
        return (self.life.last_day - self.life.first_day).days + 1

    def pk(self, kind: str, name: str) -> int:
        return self.catalogue.pk(kind, name, self.life.community_id)

    def at(self, day: date) -> datetime:
        """An evening moment of `day`, when most people check in."""
        minutes = self.rng.randrange(300)
        return datetime.combine(day, time(18), UTC) + timedelta(minutes=minutes)


def rating(value: float) -> int:
    """A 0-4 rating from a continuous value."""
    return min(4, max(0, round(value)))
