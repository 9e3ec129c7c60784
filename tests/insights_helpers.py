"""Many members and their records, written straight into the tables: the
insights tests need a hundred members or more (and the benchmark hundreds
of thousands of scores), far more than the services make in good time.
Where a test is about consent itself, it goes through the real ledger
service (`decide`)."""

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.utils import timezone

from kinwell.accounts.models import ConsentRecord, User
from kinwell.accounts.services import record_consent
from kinwell.communities.models import Community, Membership
from kinwell.tracking.models import (
    CheckIn,
    Evaluation,
    SideEffect,
    Symptom,
    SymptomScore,
    Treatment,
    TreatmentCourse,
)

INSIGHTS = ConsentRecord.Purpose.COMMUNITY_INSIGHTS
_numbers = itertools.count(1)


def make_people(
    count: int, *communities: Community, consent: bool | None = True
) -> list[User]:
    """`count` members of each of `communities`; with `consent` True or
    False, a decision on community insights recorded for each."""
    users = User.objects.bulk_create(
        [
            User(email=f"counted-{next(_numbers)}@example.org", password="!")
            for _ in range(count)
        ]
    )
    join(users, *communities)
    if consent is not None:
        ConsentRecord.objects.bulk_create(
            [
                ConsentRecord(
                    user=user,
                    purpose=INSIGHTS,
                    text_version="2026-11",
                    given=consent,
                    method=ConsentRecord.Method.WEB,
                    recorded_by=user,
                )
                for user in users
            ]
        )
    return users


def join(users: Iterable[User], *communities: Community) -> None:
    Membership.objects.bulk_create(
        [
            Membership(community=community, user=user)
            for community in communities
            for user in users
        ]
    )


def decide(user: User, given: bool) -> ConsentRecord:
    return record_consent(user, user=user, purpose=INSIGHTS, given=given)


def rate(
    users: Sequence[User],
    symptom: Symptom,
    severities: Sequence[int] = (2,),
    *,
    last_day: date | None = None,
) -> None:
    """Each of `users` rates `symptom` on consecutive days ending
    `last_day` (today), one day per severity in `severities`."""
    end = last_day or timezone.localdate()
    days = [end - timedelta(days=offset) for offset in range(len(severities))]
    ids = [user.pk for user in users]
    CheckIn.objects.bulk_create(
        [CheckIn(user_id=pk, day=day) for pk in ids for day in days],
        ignore_conflicts=True,
        batch_size=5000,
    )
    check_ins = CheckIn.objects.filter(user_id__in=ids, day__in=days)
    by_key = {
        (user_id, day): pk
        for pk, user_id, day in check_ins.values_list("pk", "user_id", "day")
    }
    SymptomScore.objects.bulk_create(
        [
            SymptomScore(
                check_in_id=by_key[(pk, day)],
                user_id=pk,
                symptom_id=symptom.pk,
                day=day,
                severity=severity,
            )
            for pk in ids
            for day, severity in zip(days, severities, strict=True)
        ],
        batch_size=5000,
    )


def take(
    users: Sequence[User],
    treatment: Treatment,
    *,
    started_on: date | None = None,
    stopped_on: date | None = None,
    reason: str = "",
    effectiveness: int | None = None,
    side_effects: Sequence[Symptom] = (),
) -> None:
    """A course of `treatment` for each of `users`, evaluated if
    `effectiveness` or `side_effects` are given."""
    start = started_on or timezone.localdate() - timedelta(days=30)
    courses = TreatmentCourse.objects.bulk_create(
        [
            TreatmentCourse(
                user=user,
                treatment=treatment,
                started_on=start,
                stopped_on=stopped_on,
                stop_reason=reason,
            )
            for user in users
        ]
    )
    if effectiveness is None and not side_effects:
        return
    evaluations = Evaluation.objects.bulk_create(
        [
            Evaluation(
                course=course,
                user_id=course.user_id,
                treatment=treatment,
                effectiveness=effectiveness,
            )
            for course in courses
        ]
    )
    SideEffect.objects.bulk_create(
        [
            SideEffect(
                evaluation=evaluation,
                user_id=evaluation.user_id,
                treatment=treatment,
                symptom=symptom,
                severity=2,
            )
            for evaluation in evaluations
            for symptom in side_effects
        ]
    )


def symptom(name: str, *, community: Community | None = None) -> Symptom:
    found, _ = Symptom.objects.get_or_create(name=name, community=community)
    return found


def treatment(name: str, *, community: Community | None = None) -> Treatment:
    found, _ = Treatment.objects.get_or_create(
        name=name, community=community, defaults={"kind": Treatment.Kind.MEDICINE}
    )
    return found
