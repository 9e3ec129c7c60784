"""One member's tracking, simulated day by day: the conditions they name,
the symptoms they rate, the treatment courses they try and how they judge
them, and their check-ins.

How someone feels moves smoothly: a slow shared level (an autoregressive
walk), now and then a flare that fades over a week, a drift over the
months, and each treatment's relief, which builds over weeks after starting
and fades after stopping. Each symptom rates that level from its own
baseline, with a little day-to-day noise. Check-ins come in streaks with
gaps: most people check in for a while, pause, come back, and in time stop;
a committed few go on for years. The rows are made here with their ids, so
scores point at their check-in and side effects at their evaluation without
reading anything back; the caller inserts them in bulk."""

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from kinwell.seeding.tracking_courses import courses, evaluations, relief
from kinwell.seeding.tracking_members import (
    Catalogue,
    Habit,
    Life,
    Member,
    Rows,
    rating,
)
from kinwell.tracking.models import (
    CheckIn,
    MemberCondition,
    SymptomScore,
    TrackedSymptom,
)

PERSISTENCE = 0.96  # of the shared level from one day to the next
LEVEL_NOISE = 0.16
DAY_NOISE = 0.35
FLARE_CHANCE = 1 / 50
FLARE = 1.3
FLARE_KEEPS = 0.8
NO_MOOD = 0.08
NOTE = 0.035
FLARE_NOTE = "Flare. Staying in bed."
SWAPPED_SYMPTOM = 0.12
# Short notes, as people leave them.
NOTES = (
    "Bad night.",
    "Overdid it yesterday; paying for it today.",
    "Better after a rest day.",
    "Hospital appointment today, wiped out after.",
    "Hot weather, everything worse.",
    "Started the new dose.",
    "Good day. Walked to the shop and back.",
    "Flare. Staying in bed.",
    "Busy week at work.",
    "Slept badly, woke at four.",
    "Quiet day, kept it gentle.",
    "Visitors over, lovely but tiring.",
    "Forgot my evening tablets.",
    "Much better than last week.",
    "Cold coming on, I think.",
    "Managed a short walk.",
    "Period pain on top of everything.",
    "Stressful phone call with the benefits office.",
    "GP review, no changes.",
    "Tried the new routine, too early to tell.",
)


@dataclass
class Tracked:
    symptom_id: int
    started: int  # day index from the first day
    stopped: int | None
    baseline: float
    response: float  # how much of a treatment's relief this symptom feels

    def rated_on(self, index: int) -> bool:
        return self.started <= index and (self.stopped is None or index < self.stopped)


def live(rng: random.Random, life: Life, catalogue: Catalogue, rows: Rows) -> None:
    """Appends one member's records to `rows`."""
    member = Member(rng, life, catalogue, rows)
    _conditions(member)
    tracked = _tracked(member)
    made = courses(member)
    for course in made:
        evaluations(member, course)
    if life.habit is not None:
        days = _check_in_days(member, life.habit)
        _check_ins(member, tracked, relief(member, made), days)


# Conditions and symptoms ----------------------------------------------------------


def _conditions(member: Member) -> None:
    rng, life = member.rng, member.life
    names = list(life.profile.conditions[:1])
    if len(life.profile.conditions) > 1 and rng.random() < 0.45:
        names = [rng.choice(life.profile.conditions[1:])]
    if rng.random() < 0.25 and life.profile.alongside:
        other = rng.choice(life.profile.alongside)
        if other not in names:
            names.append(other)
    for name in names:
        # First symptoms a few years back; a diagnosis often a year or more later.
        onset = life.first_day - timedelta(days=int(rng.lognormvariate(6.9, 0.9)))
        diagnosed: date | None = onset + timedelta(
            days=int(rng.lognormvariate(5.5, 1.0))
        )
        if rng.random() < 0.15 or (diagnosed and diagnosed > life.last_day):
            diagnosed = None
        member.rows.conditions.append(
            MemberCondition(
                user_id=life.user_id,
                condition_id=member.pk("condition", name),
                onset_on=None if rng.random() < 0.1 else onset,
                diagnosed_on=diagnosed,
                created_at=member.at(life.first_day),
            )
        )


def _tracked(member: Member) -> list[Tracked]:
    """The symptoms they rate, the common ones more often; now and then one
    is swapped for another part of the way through."""
    rng, life = member.rng, member.life
    pool = life.profile.symptoms
    count = min(rng.randint(*life.symptoms), len(pool))
    # Weighted sampling without replacement: a random key each, the top win.
    keys = {name: rng.random() ** (1 + 0.4 * i) for i, name in enumerate(pool)}
    ranked = sorted(pool, key=lambda name: -keys[name])
    level = rng.gauss(2.1, 0.5)
    tracked = [_symptom(member, name, level, 0) for name in ranked[:count]]
    if count < len(pool) and member.span > 90 and rng.random() < SWAPPED_SYMPTOM:
        switch = rng.randrange(30, member.span - 30)
        tracked[-1].stopped = switch
        tracked.append(_symptom(member, ranked[count], level, switch))
    member.rows.tracked_symptoms += [
        TrackedSymptom(
            user_id=life.user_id,
            symptom_id=t.symptom_id,
            started_on=life.first_day + timedelta(days=t.started),
            stopped_on=None
            if t.stopped is None
            else life.first_day + timedelta(days=t.stopped),
        )
        for t in tracked
    ]
    return tracked


def _symptom(member: Member, name: str, level: float, started: int) -> Tracked:
    rng = member.rng
    rank = member.life.profile.symptoms.index(name)
    return Tracked(
        symptom_id=member.pk("symptom", name),
        started=started,
        stopped=None,
        baseline=level + rng.gauss(0, 0.45) - 0.1 * rank,
        response=rng.uniform(0.4, 1.0),
    )


# Check-ins --------------------------------------------------------------------------


def _check_in_days(member: Member, habit: Habit) -> list[int]:
    """Streaks with a missed day here and there, gaps between them, and in
    time (for most) an end."""
    rng, span = member.rng, member.span
    days: list[int] = []
    day = rng.randrange(3)
    while day < span:
        streak = max(
            1, int(rng.lognormvariate(math.log(habit.streak), habit.streak_spread))
        )
        days += [
            d
            for d in range(day, min(span, day + streak))
            if rng.random() >= habit.missed
        ]
        day += streak
        if rng.random() < habit.gives_up:
            break
        day += max(1, int(rng.lognormvariate(math.log(habit.gap), habit.gap_spread)))
    return days


def _check_ins(
    member: Member, tracked: list[Tracked], relief: list[float], days: list[int]
) -> None:
    rng, life, rows = member.rng, member.life, member.rows
    gauss, chance = rng.gauss, rng.random
    drift = rng.gauss(-0.0004, 0.0006)  # most improve a little over the months
    level = flare = 0.0
    wanted = iter(days)
    next_day = next(wanted, None)
    for index in range(days[-1] + 1 if days else 0):
        level = PERSISTENCE * level + gauss(0, LEVEL_NOISE)
        flare = flare + FLARE if chance() < FLARE_CHANCE else flare * FLARE_KEEPS
        if index != next_day:
            continue
        next_day = next(wanted, None)
        shared = level + flare + drift * index
        values = [
            (
                t.symptom_id,
                t.baseline + shared - relief[index] * t.response + gauss(0, DAY_NOISE),
            )
            for t in tracked
            if t.rated_on(index)
        ]
        day = life.first_day + timedelta(days=index)
        check_in = _check_in(member, day, values, flare)
        rows.check_ins.append(check_in)
        # Positional: a model made from positional values (as the ORM makes
        # rows it reads) takes half the time, and there are millions of these.
        # The order is the model's: id, check_in, user, symptom, day, severity
        # (the stubs expect objects where positional values are raw ids).
        rows.symptom_scores += [
            SymptomScore(None, check_in.pk, life.user_id, pk, day, rating(value))  # type: ignore[misc]
            for pk, value in values
        ]


def _check_in(
    member: Member, day: date, values: list[tuple[int, float]], flare: float
) -> CheckIn:
    rng, rows = member.rng, member.rows
    average = sum(value for _, value in values) / max(1, len(values))
    mood = (
        None
        if rng.random() < NO_MOOD
        else rating(3.4 - 0.7 * average + rng.gauss(0, 0.55))
    )
    note = ""
    if flare > 1 and rng.random() < 0.1:
        note = FLARE_NOTE
    elif rng.random() < NOTE:
        note = rng.choice(NOTES)
    user_id = member.life.user_id
    # Positional, as scores are: id, user, day, mood, note, recorded_by,
    # recorded_at.
    check_in = CheckIn(
        rows.next_check_in,  # type: ignore[misc]
        user_id,
        day,
        mood,
        note,
        user_id,
        member.at(day),
    )
    rows.next_check_in += 1
    return check_in
