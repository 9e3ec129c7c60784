"""A member's conditions, the symptoms they track and their daily check-ins:
one function per change, shared by the website, the API, imports and the
demo data.

The actor is whoever makes the change: the member, or a carer acting for
them with the "track for me" scope (the views and the API decide that through
kinwell.tracking.access; the services check it again, so no caller can skip
it). A carer without "read my private data" records a new day's check-in
but never replaces or deletes one: they would be changing what they may not
see. A carer's changes are audited for the member's "Access to my data".
Every change tells the insights computation that the member's figures moved;
it never recomputes anything itself."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kinwell.accounts.access import can_act_for
from kinwell.accounts.models import Delegation, User
from kinwell.communities.models import Membership
from kinwell.tracking.access import may_see_records, record_carer_access
from kinwell.tracking.insights.refresh import note_change
from kinwell.tracking.models import (
    CheckIn,
    Condition,
    MemberCondition,
    Symptom,
    SymptomScore,
    TrackedSymptom,
)
from kinwell.tracking.models.records import Mood, Severity

EARLIEST_DAY = date(1900, 1, 1)
NOTE_LIMIT = 2000
# More than anyone rates each day; a bound on what one request may write.
MAX_TRACKED = 40


# What a member may use ---------------------------------------------------------


def visible_catalogue[T: models.Model](owner: User, model: type[T]) -> QuerySet[T]:
    """The catalogue entries of `model` (Condition, Symptom or Treatment) that
    `owner` may use: the generic set and the additions of every community
    they belong to, never another community's. Only to choose from: an entry
    organisers removed is left out, though records naming it keep it."""
    communities = Membership.objects.filter(user=owner).values("community_id")
    return model._default_manager.filter(
        Q(community__isnull=True) | Q(community_id__in=communities),
        retired_at__isnull=True,
    )


def visible_symptoms(owner: User) -> QuerySet[Symptom]:
    return visible_catalogue(owner, Symptom)


def tracked_symptoms(owner: User) -> QuerySet[TrackedSymptom]:
    """What `owner` tracks now, by symptom name."""
    return (
        TrackedSymptom.objects.filter(user=owner, stopped_on__isnull=True)
        .select_related("symptom")
        .order_by("symptom__name", "pk")
    )


def stopped_symptoms(owner: User, *, limit: int = 20) -> list[Symptom]:
    """Symptoms `owner` once tracked and tracks no more, most recently
    stopped first (at most `limit`)."""
    tracking = TrackedSymptom.objects.filter(user=owner)
    current = tracking.filter(stopped_on__isnull=True).values("symptom_id")
    stopped = (
        tracking.filter(stopped_on__isnull=False)
        .exclude(symptom_id__in=current)
        .select_related("symptom")
        .order_by("-stopped_on", "-pk")
    )
    found: dict[int, Symptom] = {}
    for tracked in stopped[: limit * 3]:
        found.setdefault(tracked.symptom_id, tracked.symptom)
    return list(found.values())[:limit]


def member_conditions(owner: User) -> QuerySet[MemberCondition]:
    return (
        MemberCondition.objects.filter(user=owner)
        .select_related("condition")
        .order_by("condition__name", "pk")
    )


def check_in_of(owner: User, day: date) -> CheckIn | None:
    """`owner`'s check-in of `day`, with its scores, or None."""
    return with_scores(CheckIn.objects.filter(user=owner, day=day)).first()


def with_scores(check_ins: QuerySet[CheckIn]) -> QuerySet[CheckIn]:
    """Check-ins with their scores (each with its symptom, by name) and who
    recorded them: three queries for any number of check-ins."""
    scores = SymptomScore.objects.select_related("symptom").order_by(
        "symptom__name", "pk"
    )
    return check_ins.select_related("recorded_by").prefetch_related(
        Prefetch("scores", queryset=scores)
    )


def symptoms_for_day(owner: User, day: date) -> list[Symptom]:
    """The symptoms a check-in of `day` rates: those tracked now, those
    tracked on that day, and any the day's check-in already rated, by name."""
    ids = _allowed_symptom_ids(owner, day)
    return list(Symptom.objects.filter(pk__in=ids).order_by("name", "pk"))


def _allowed_symptom_ids(owner: User, day: date) -> set[int]:
    open_or_on_day = Q(stopped_on__isnull=True) | (
        Q(started_on__lte=day) & Q(stopped_on__gte=day)
    )
    tracked = TrackedSymptom.objects.filter(open_or_on_day, user=owner)
    rated = SymptomScore.objects.filter(user=owner, day=day)
    return set(tracked.values_list("symptom_id", flat=True)) | set(
        rated.values_list("symptom_id", flat=True)
    )


# Conditions --------------------------------------------------------------------


@transaction.atomic
def add_condition(
    actor: User,
    *,
    owner: User,
    condition: Condition,
    onset_on: date | None = None,
    diagnosed_on: date | None = None,
) -> MemberCondition:
    """Records that `owner` lives with `condition`, with the dates they know."""
    _require_writer(actor, owner)
    if not visible_catalogue(owner, Condition).filter(pk=condition.pk).exists():
        raise ValidationError({"condition": "Choose a condition from the list."})
    if MemberCondition.objects.filter(user=owner, condition=condition).exists():
        raise ValidationError(
            {"condition": f"{condition.name} is already on the list."}
        )
    dates = _clean_condition_dates(onset_on, diagnosed_on)
    try:
        # A savepoint: the same condition added twice at once (a double
        # submission) meets the constraint, and is refused like any other.
        with transaction.atomic():
            recorded = MemberCondition.objects.create(
                user=owner, condition=condition, **dates
            )
    except IntegrityError:
        raise ValidationError(
            {"condition": f"{condition.name} is already on the list."}
        ) from None
    _changed(actor, owner, "tracking.condition_add", recorded)
    return recorded


@transaction.atomic
def update_condition(
    actor: User,
    *,
    member_condition: MemberCondition,
    onset_on: date | None,
    diagnosed_on: date | None,
) -> MemberCondition:
    owner = member_condition.user
    _require_writer(actor, owner)
    dates = _clean_condition_dates(onset_on, diagnosed_on)
    member_condition.onset_on = dates["onset_on"]
    member_condition.diagnosed_on = dates["diagnosed_on"]
    member_condition.save(update_fields=["onset_on", "diagnosed_on"])
    _changed(actor, owner, "tracking.condition_edit", member_condition)
    return member_condition


@transaction.atomic
def remove_condition(actor: User, *, member_condition: MemberCondition) -> None:
    owner = member_condition.user
    _require_writer(actor, owner)
    _changed(actor, owner, "tracking.condition_remove", member_condition)
    member_condition.delete()


def _clean_condition_dates(
    onset_on: date | None, diagnosed_on: date | None
) -> dict[str, date | None]:
    errors: dict[str, str] = {}
    for field, value in (("onset_on", onset_on), ("diagnosed_on", diagnosed_on)):
        problem = _day_problem(value) if value is not None else None
        if problem:
            errors[field] = problem
    if errors:
        raise ValidationError(errors)
    return {"onset_on": onset_on, "diagnosed_on": diagnosed_on}


# Tracked symptoms --------------------------------------------------------------


@transaction.atomic
def track_symptom(actor: User, *, owner: User, symptom: Symptom) -> TrackedSymptom:
    """`owner` rates `symptom` from today on. Tracking one already tracked
    changes nothing; one stopped today simply carries on."""
    _require_writer(actor, owner)
    if not visible_symptoms(owner).filter(pk=symptom.pk).exists():
        raise ValidationError({"symptom": "Choose a symptom from the list."})
    current = TrackedSymptom.objects.filter(user=owner, symptom=symptom)
    existing = current.filter(stopped_on__isnull=True).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    stopped_today = current.filter(stopped_on=today).order_by("-pk").first()
    if stopped_today is None and _open_count(owner) >= MAX_TRACKED:
        raise ValidationError(
            f"You can track up to {MAX_TRACKED} symptoms. Stop one first."
        )
    try:
        # A savepoint: a double submission tracks the symptom twice at once;
        # the constraint refuses the second, which answers with the first.
        with transaction.atomic():
            tracked = _start_tracking(owner, symptom, stopped_today, today)
    except IntegrityError:
        return current.get(stopped_on__isnull=True)
    _changed(actor, owner, "tracking.symptom_track", tracked)
    return tracked


def _start_tracking(
    owner: User, symptom: Symptom, stopped_today: TrackedSymptom | None, today: date
) -> TrackedSymptom:
    if stopped_today is not None:
        stopped_today.stopped_on = None
        stopped_today.save(update_fields=["stopped_on"])
        return stopped_today
    return TrackedSymptom.objects.create(user=owner, symptom=symptom, started_on=today)


@transaction.atomic
def track_symptoms(
    actor: User, *, owner: User, symptoms: Iterable[Symptom]
) -> list[TrackedSymptom]:
    """Several at once (the first check-in's "choose your symptoms"): all or
    none."""
    return [track_symptom(actor, owner=owner, symptom=s) for s in symptoms]


@transaction.atomic
def stop_tracking(actor: User, *, tracked: TrackedSymptom) -> TrackedSymptom:
    """`owner` no longer rates the symptom. Past scores stay."""
    owner = tracked.user
    _require_writer(actor, owner)
    if tracked.stopped_on is not None:
        return tracked
    tracked.stopped_on = timezone.localdate()
    tracked.save(update_fields=["stopped_on"])
    _changed(actor, owner, "tracking.symptom_stop", tracked)
    return tracked


def _open_count(owner: User) -> int:
    return TrackedSymptom.objects.filter(user=owner, stopped_on__isnull=True).count()


# Check-ins ---------------------------------------------------------------------


@transaction.atomic
def record_check_in(
    actor: User,
    *,
    owner: User,
    day: date,
    scores: Mapping[int, int],
    mood: int | None,
    note: str,
) -> CheckIn:
    """`owner`'s check-in of `day` (symptom id -> severity 0-4), recorded by
    `actor`. A second check-in on the same day replaces the first one's
    mood, note and scores, unless `actor` is a carer who may not read: they
    record, never see or change what is recorded, so the day is refused.
    Nothing is written unless all of it is valid."""
    _require_writer(actor, owner)
    cleaned = _clean_check_in(owner, day, scores, mood, note)
    check_in, created = CheckIn.objects.select_for_update().get_or_create(
        user=owner, day=day, defaults={**cleaned, "recorded_by": actor}
    )
    if not created:
        if not may_see_records(actor, owner):
            raise ValidationError(day_taken_message(owner))
        _replace(check_in, actor, cleaned)
    SymptomScore.objects.bulk_create(
        SymptomScore(
            check_in=check_in, user=owner, symptom_id=symptom_id, day=day, severity=s
        )
        for symptom_id, s in sorted(scores.items())
    )
    _changed(actor, owner, "tracking.check_in", check_in)
    return check_in


def _replace(check_in: CheckIn, actor: User, cleaned: dict[str, Any]) -> None:
    for field, value in {**cleaned, "recorded_by": actor}.items():
        setattr(check_in, field, value)
    check_in.recorded_at = timezone.now()
    check_in.save(update_fields=[*cleaned, "recorded_by", "recorded_at"])
    check_in.scores.all().delete()


def has_check_in(owner: User, day: date) -> bool:
    """Whether `day` is checked in: all a carer who may only record learns
    of it, so as not to try in vain."""
    return CheckIn.objects.filter(user=owner, day=day).exists()


def day_taken_message(owner: User) -> str:
    name = owner.public_name
    return (
        f"{name} already has a check-in for this day. Your arrangement with "
        f"{name} lets you record for them, not see or change what is recorded, "
        "so it stays as it is."
    )


@transaction.atomic
def delete_check_in(actor: User, *, check_in: CheckIn) -> None:
    """Deleting needs the read scope as well: nobody knowingly deletes what
    they may not see."""
    owner = check_in.user
    _require_writer(actor, owner)
    if not may_see_records(actor, owner):
        raise PermissionDenied("You may delete only check-ins you may read.")
    _changed(actor, owner, "tracking.check_in_delete", check_in)
    check_in.delete()


def _clean_check_in(
    owner: User, day: date, scores: Mapping[int, int], mood: int | None, note: str
) -> dict[str, Any]:
    problem = _day_problem(day)
    if problem:
        raise ValidationError({"day": problem})
    if mood is not None and (_not_int(mood) or mood not in Mood.values):
        raise ValidationError({"mood": "Choose your mood from the five offered."})
    note = _clean_note(note)
    _check_scores(owner, day, scores)
    if not scores and mood is None and not note:
        raise ValidationError(
            "Rate at least one symptom, choose your mood or write a note."
        )
    return {"mood": mood, "note": note}


def _check_scores(owner: User, day: date, scores: Mapping[int, int]) -> None:
    for symptom_id, severity in scores.items():
        if _not_int(symptom_id) or _not_int(severity):
            raise ValidationError({"scores": "Scores are whole numbers."})
        if severity not in Severity.values:
            raise ValidationError(
                {"scores": "Each severity is 0 (none) to 4 (very severe)."}
            )
    if scores and not set(scores) <= _allowed_symptom_ids(owner, day):
        raise ValidationError(
            {"scores": "Rate only the symptoms you track (or tracked that day)."}
        )


def _clean_note(note: str) -> str:
    if not isinstance(note, str):
        raise ValidationError({"note": "The note is text."})
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"note": f"Keep the note under {NOTE_LIMIT} characters."})
    if "\x00" in note:
        raise ValidationError({"note": "The note holds a character we cannot keep."})
    return note


def _not_int(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int)


def _day_problem(day: object) -> str | None:
    """Why `day` cannot be recorded, or None. Days run on the site's time zone."""
    if not isinstance(day, date) or hasattr(day, "hour"):
        return "Give a date."
    if day > timezone.localdate():
        return "This date is in the future."
    if day < EARLIEST_DAY:
        return "Give a date from 1900 on."
    return None


# Shared ------------------------------------------------------------------------


def _require_writer(actor: User, owner: User) -> None:
    """The member themselves, or their carer with the "track for me" scope."""
    if actor.pk == owner.pk:
        return
    if not can_act_for(actor, owner, Delegation.Scope.TRACK):
        raise PermissionDenied("You may not record for this member.")


def _changed(actor: User, owner: User, action: str, obj: models.Model) -> None:
    record_carer_access(actor, owner, action, obj)
    note_change(owner.pk)
