"""Treatment courses as members live them: which they try, when they start
(some before they began tracking), whether and why they stop, how they judge
each course along the way and the side effects they report, and the relief
each brings, which the check-ins feel."""

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from kinwell.seeding.tracking_members import Life, Member, Plan, rating
from kinwell.seeding.tracking_treatments import TREATMENTS
from kinwell.tracking.models import Evaluation, SideEffect, TreatmentCourse

Stop = TreatmentCourse.StopReason
RELIEF = 1.3  # how far a treatment that fully helps lowers severity
RELIEF_FADES_DAYS = 14
# Several treatments together help less than the sum of each.
RELIEF_CAP = 1.6
ALREADY_TAKING = 0.35
UNEVALUATED = 0.25
# Nearly everyone in a devoted cohort tries its profile's first treatment.
SIGNATURE_TRIED = 0.95
OTHER_REASONS = (
    [Stop.BETTER, Stop.COST, Stop.ACCESS, Stop.ADVICE, Stop.OTHER],
    [30, 15, 15, 25, 15],
)
SEVERITIES = ([1, 2, 3], [50, 35, 15])
ADHERENCE = ([4, 3, 2, 1, 0], [45, 30, 15, 7, 3])
BURDEN = ([0, 1, 2, 3, 4], [30, 35, 20, 10, 5])
CB = Evaluation.CostBand
COST_BANDS = {
    "medicine": ([CB.NOTHING, CB.LOW, CB.MEDIUM, CB.HIGH, ""], [30, 40, 8, 4, 18]),
    "therapy": ([CB.NOTHING, CB.MEDIUM, CB.HIGH, ""], [55, 15, 12, 18]),
    "device": ([CB.LOW, CB.MEDIUM, CB.HIGH, ""], [35, 30, 15, 20]),
    "lifestyle": ([CB.NOTHING, CB.LOW, ""], [65, 15, 20]),
}

EVALUATION_NOTES = (
    "Hard to say yet.",
    "Helps most on bad days.",
    "Took a few weeks to notice anything.",
    "Worth it despite the side effects.",
    "Not sure it is doing anything.",
    "Makes a real difference to my evenings.",
    "Remembering it every day is the hard part.",
    "Cost adds up.",
)


@dataclass
class Course:
    row: TreatmentCourse
    kind: str
    helps: float  # 0 to 1: how much it helps this member
    side_effects: list[tuple[int, int]]  # (symptom id, severity)


def courses(member: Member) -> list[Course]:
    """The member's courses: those planned for them, or else those drawn
    from their profile (the more people try a treatment, the likelier)."""
    life = member.life
    if life.plans:
        made = [_planned(member, plan) for plan in life.plans]
    else:
        made = [
            _course(member, name, helps)
            for name, share, helps in life.profile.treatments
            if member.rng.random() < _chance(life, name, share)
        ]
    member.rows.treatment_courses += [course.row for course in made]
    return made


def _chance(life: Life, name: str, share: float) -> float:
    if name == life.signature:
        return SIGNATURE_TRIED
    return min(0.9, share * life.adoption)


def _course(member: Member, name: str, typical: float) -> Course:
    rng = member.rng
    kind = TREATMENTS[name]
    helps = min(1.0, max(0.0, rng.gauss(typical, 0.22)))
    effects = [
        (member.pk("symptom", symptom), rng.choices(*SEVERITIES)[0])
        for symptom, chance in kind.side_effects
        if rng.random() < chance
    ]
    started = _started(member)
    lasted, reason = _stopped(rng, kind.course_days, helps, effects)
    stopped = None if lasted is None else started + timedelta(days=lasted)
    return _made(member, name, helps, effects, (started, stopped, reason))


def _planned(member: Member, plan: Plan) -> Course:
    first = member.life.first_day
    effects = [(member.pk("symptom", s), severity) for s, severity in plan.side_effects]
    stopped = None if plan.stopped is None else first + timedelta(days=plan.stopped)
    started = first + timedelta(days=plan.started)
    return _made(
        member, plan.treatment, plan.helps, effects, (started, stopped, plan.reason)
    )


def _made(
    member: Member,
    name: str,
    helps: float,
    effects: list[tuple[int, int]],
    dates: tuple[date, date | None, str],
) -> Course:
    """The course's row; one that would stop after the last day is still
    going."""
    life, rows = member.life, member.rows
    started, stopped, reason = dates
    if stopped is not None and stopped > life.last_day:
        stopped, reason = None, ""
    kind = TREATMENTS[name]
    row = TreatmentCourse(
        id=rows.next_course,
        user_id=life.user_id,
        treatment_id=member.pk("treatment", name),
        started_on=started,
        stopped_on=stopped,
        dose=kind.dose,
        frequency=kind.frequency,
        stop_reason=reason,
        recorded_by_id=life.user_id,
        created_at=member.at(max(started, life.first_day)),
    )
    rows.next_course += 1
    return Course(row, kind.kind, helps, effects)


def _started(member: Member) -> date:
    """Some were already taking it when they began tracking."""
    rng, life = member.rng, member.life
    if rng.random() < ALREADY_TAKING:
        return life.first_day - timedelta(days=int(rng.lognormvariate(5.3, 0.8)))
    return life.first_day + timedelta(days=rng.randrange(max(1, member.span - 7)))


def _stopped(
    rng: random.Random, course_days: int, helps: float, effects: list[tuple[int, int]]
) -> tuple[int | None, str]:
    """How many days it lasted (None: still going) and why it stopped."""
    worst = max((severity for _, severity in effects), default=0)
    if course_days:
        if rng.random() < 0.1:
            early = Stop.SIDE_EFFECTS if worst >= 2 else rng.choice(OTHER_REASONS[0])
            return rng.randint(7, course_days), early
        return int(course_days * rng.uniform(0.8, 1.2)), Stop.FINISHED
    chance = 0.15 + (0.45 if helps < 0.25 else 0) + (0.1, 0.1, 0.2, 0.45)[worst]
    if rng.random() >= chance:
        return None, ""
    lasted = 7 + int(rng.lognormvariate(4.5, 0.8))
    if worst >= 2 and rng.random() < 0.7:
        return lasted, Stop.SIDE_EFFECTS
    if helps < 0.3 and rng.random() < 0.8:
        return lasted, Stop.NOT_WORKING
    return lasted, rng.choices(*OTHER_REASONS)[0]


def evaluations(member: Member, course: Course) -> None:
    """A first judgement after three to six weeks, then every few months,
    and often one when stopping."""
    rng, life, row = member.rng, member.life, course.row
    first, last = max(row.started_on, life.first_day), row.stopped_on or life.last_day
    every = life.habit is not None and life.habit.evaluates_every_course
    if last < first or (not every and rng.random() < UNEVALUATED):
        return
    days = []
    day, gap = row.started_on + timedelta(days=rng.randint(21, 42)), 60
    while day <= last:
        if day >= first:
            days.append(day)
        day, gap = day + timedelta(days=rng.randint(gap, 3 * gap)), gap + 30
    stopped = row.stopped_on
    if (
        stopped is not None
        and stopped >= first
        and stopped not in days
        and (every or rng.random() < 0.7)
    ):
        days.append(stopped)
    for day in days or ([last] if every else []):
        _evaluation(member, course, day)


def _evaluation(member: Member, course: Course, day: date) -> None:
    rng, rows, row = member.rng, member.rows, course.row
    effectiveness: int | None = rating(course.helps * 4 + rng.gauss(0, 0.6))
    if (day - row.started_on).days < 30 and rng.random() < 0.35:
        effectiveness = None  # too soon to tell
    worst = max((severity for _, severity in course.side_effects), default=0)
    evaluation = Evaluation(
        id=rows.next_evaluation,
        course_id=row.pk,
        user_id=row.user_id,
        treatment_id=row.treatment_id,
        evaluated_on=day,
        effectiveness=effectiveness,
        adherence=rng.choices(*ADHERENCE)[0] if rng.random() > 0.05 else None,
        burden=min(4, rng.choices(*BURDEN)[0] + (worst >= 2)),
        cost_band=rng.choices(*COST_BANDS[course.kind])[0],
        note=rng.choice(EVALUATION_NOTES) if rng.random() < 0.08 else "",
        recorded_by_id=row.user_id,
        created_at=member.at(day),
    )
    rows.next_evaluation += 1
    rows.evaluations.append(evaluation)
    rows.side_effects += [
        SideEffect(
            evaluation_id=evaluation.pk,
            user_id=row.user_id,
            treatment_id=row.treatment_id,
            symptom_id=symptom_id,
            severity=min(4, max(1, severity + rng.choice((-1, 0, 0, 1)))),
        )
        for symptom_id, severity in course.side_effects
        if rng.random() < 0.85
    ]


def relief(member: Member, courses: list[Course]) -> list[float]:
    """How much the treatments taken lower severity on each day: building
    over three weeks, fading over two after stopping, several together
    helping less than the sum of each."""
    life, span = member.life, member.span
    total = [0.0] * span
    for course in courses:
        start = (course.row.started_on - life.first_day).days
        stopped = course.row.stopped_on
        stop = span if stopped is None else (stopped - life.first_day).days
        full = course.helps * RELIEF
        for d in range(max(0, start), min(span, stop)):
            total[d] += full * min(1.0, (d - start + 1) / 21)
        reached = full * min(1.0, max(0, stop - start) / 21)
        for d in range(max(0, stop), min(span, stop + RELIEF_FADES_DAYS)):
            total[d] += reached * (1 - (d - stop + 1) / RELIEF_FADES_DAYS)
    return [RELIEF_CAP * (1 - math.exp(-value / RELIEF_CAP)) for value in total]
