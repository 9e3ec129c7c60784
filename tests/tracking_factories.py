"""Small helpers that make tracking data: catalogue entries straight into
their tables (as the generic set and organisers' additions are), members'
records through the real services (kinwell.tracking.checkins)."""

import itertools
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.tracking import checkins
from kinwell.tracking.models import (
    CheckIn,
    Condition,
    MemberCondition,
    Symptom,
    TrackedSymptom,
    Treatment,
)

_numbers = itertools.count(1)


def make_symptom(name: str = "", *, community: Any = None) -> Symptom:
    """A symptom of the generic set (or of `community`); an existing one of
    that name is reused (the generic set is loaded by a migration)."""
    symptom, _ = Symptom.objects.get_or_create(
        name=name or f"Test symptom {next(_numbers)}", community=community
    )
    return symptom


def make_condition(name: str = "", *, community: Any = None) -> Condition:
    condition, _ = Condition.objects.get_or_create(
        name=name or f"Test condition {next(_numbers)}", community=community
    )
    return condition


def make_treatment(
    name: str = "", *, community: Any = None, kind: str = Treatment.Kind.MEDICINE
) -> Treatment:
    treatment, _ = Treatment.objects.get_or_create(
        name=name or f"Test treatment {next(_numbers)}",
        community=community,
        defaults={"kind": kind},
    )
    return treatment


def track(owner: User, *symptoms: Symptom, actor: User | None = None) -> None:
    """`owner` rates `symptoms` from today on."""
    checkins.track_symptoms(actor or owner, owner=owner, symptoms=symptoms)


def track_since(owner: User, symptom: Symptom, started_on: date) -> TrackedSymptom:
    """A tracking that began on a past day (the services start them today)."""
    tracked = TrackedSymptom.objects.get(
        user=owner, symptom=symptom, stopped_on__isnull=True
    )
    tracked.started_on = started_on
    tracked.save(update_fields=["started_on"])
    return tracked


def check_in(
    owner: User,
    scores: dict[Symptom, int] | None = None,
    *,
    day: date | None = None,
    days_ago: int = 0,
    mood: int | None = 2,
    note: str = "",
    actor: User | None = None,
) -> CheckIn:
    """A check-in through the real service; the symptoms must be tracked."""
    when = day or timezone.localdate() - timedelta(days=days_ago)
    return checkins.record_check_in(
        actor or owner,
        owner=owner,
        day=when,
        scores={symptom.pk: severity for symptom, severity in (scores or {}).items()},
        mood=mood,
        note=note,
    )


def add_condition(
    owner: User, condition: Condition | None = None, **dates: date | None
) -> MemberCondition:
    return checkins.add_condition(
        owner, owner=owner, condition=condition or make_condition(), **dates
    )
