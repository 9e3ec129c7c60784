"""A member's own tracking: check-ins, conditions, tracked symptoms and the
catalogue entries they may use. Each operation makes the same access and
service calls as the website (kinwell.tracking.views.personal).

Every path takes `?delegation=<id>`: a carer acting for a member under that
delegation. Reading needs its "read my private data" scope, recording its
"track for me" scope. With "track for me" alone, a carer records and never
reads: a check-in for a day of the last seven that has none (replacing or
deleting one needs the read scope too), and the names of the symptoms rated
now, which they must see to rate them."""

from datetime import date
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import HttpRequest
from ninja import Path, Router, Status
from ninja.pagination import paginate

from kinwell.accounts.models import User
from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.schemas.fields import MAX_ID, DelegationId
from kinwell.api.schemas.tracking import (
    CatalogueEntryOut,
    CheckInIn,
    CheckInOut,
    ConditionIn,
    ConditionPatch,
    MemberConditionOut,
    NewCheckInIn,
    TrackedSymptomOut,
    TrackIn,
)
from kinwell.tracking import access, checkins
from kinwell.tracking.models import (
    CheckIn,
    Condition,
    MemberCondition,
    Symptom,
    TrackedSymptom,
    Treatment,
)

router = Router(tags=["tracking"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
DayPath = Annotated[
    str, Path(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD")
]
Kind = Annotated[
    str,
    Path(
        pattern=r"^(conditions|symptoms|treatments)$",
        description="conditions, symptoms or treatments",
    ),
]

READ = errors(401, 403, 404, 422)
# A day written well but not in the calendar (2024-02-30) is a 400.
READ_DAY = errors(400, 401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)
CATALOGUE: dict[str, type[Condition] | type[Symptom] | type[Treatment]] = {
    "conditions": Condition,
    "symptoms": Symptom,
    "treatments": Treatment,
}


def _acting(request: HttpRequest, delegation: int | None) -> tuple[User, Any]:
    user = current_user(request)
    return user, access.delegation_for_api(user, delegation)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"day": "There is no such date."}) from None


def _saved(check_in: CheckIn) -> CheckIn:
    return checkins.with_scores(CheckIn.objects.filter(pk=check_in.pk)).get()


# Check-ins -----------------------------------------------------------------------


@router.get(
    "/me/tracking/check-ins",
    response={200: list[CheckInOut], **READ},
    summary="Check-ins, newest first",
)
@paginate(Pagination)
def list_check_ins(
    request: HttpRequest, delegation: DelegationId = None
) -> QuerySet[CheckIn]:
    user, acting_for = _acting(request, delegation)
    owner = access.reading_owner(user, acting_for, page="check_ins")
    rows = checkins.with_scores(CheckIn.objects.filter(user=owner))
    return rows.order_by("-day", "-pk")


@router.post(
    "/me/tracking/check-ins",
    response={200: CheckInOut, 201: CheckInOut, **WRITE},
    summary="Check in for a day (201), or replace that day's check-in (200)",
    description="A carer without the read scope may only check in for a day "
    "that has no check-in (400 if it has one).",
)
def post_check_in(
    request: HttpRequest, payload: NewCheckInIn, delegation: DelegationId = None
) -> Status[CheckIn]:
    return _record(request, payload.day, payload, delegation)


@router.get(
    "/me/tracking/check-ins/{day}",
    response={200: CheckInOut, **READ_DAY},
    summary="The check-in of one day",
)
def get_check_in(
    request: HttpRequest, day: DayPath, delegation: DelegationId = None
) -> CheckIn:
    user, acting_for = _acting(request, delegation)
    owner = access.records_owner(user, acting_for, scope=access.READ)
    found = access.own_or_404(checkins.check_in_of(owner, _day(day)), owner)
    access.record_carer_access(user, owner, "tracking.view_check_in", found)
    return found


@router.put(
    "/me/tracking/check-ins/{day}",
    response={200: CheckInOut, 201: CheckInOut, **WRITE},
    summary="Record the check-in of one day, replacing any",
    description="A carer without the read scope may only check in for a day "
    "that has no check-in (400 if it has one).",
)
def put_check_in(
    request: HttpRequest,
    day: DayPath,
    payload: CheckInIn,
    delegation: DelegationId = None,
) -> Status[CheckIn]:
    return _record(request, _day(day), payload, delegation)


def _record(
    request: HttpRequest, day: date, payload: CheckInIn, delegation: int | None
) -> Status[CheckIn]:
    user, acting_for = _acting(request, delegation)
    owner = access.check_in_owner(user, acting_for, day, scope=access.TRACK)
    scores = {score.symptom: score.severity for score in payload.scores}
    if len(scores) != len(payload.scores):
        raise ValidationError({"scores": "Rate each symptom once."})
    existed = CheckIn.objects.filter(user=owner, day=day).exists()
    check_in = checkins.record_check_in(
        user,
        owner=owner,
        day=day,
        scores=scores,
        mood=payload.mood,
        note=payload.note,
    )
    return Status(200 if existed else 201, _saved(check_in))


@router.delete(
    "/me/tracking/check-ins/{day}",
    response={204: None, **WRITE},
    summary="Delete the check-in of one day",
    description="A carer needs both scopes: one deletes only what one may read.",
)
def delete_check_in(
    request: HttpRequest, day: DayPath, delegation: DelegationId = None
) -> Status[None]:
    user, acting_for = _acting(request, delegation)
    owner = access.changing_owner(user, acting_for)
    found = CheckIn.objects.filter(user=owner, day=_day(day)).first()
    checkins.delete_check_in(user, check_in=access.own_or_404(found, owner))
    return Status(204, None)


# Conditions ----------------------------------------------------------------------


def _conditions(owner: User) -> QuerySet[MemberCondition]:
    return checkins.member_conditions(owner).select_related("condition__community")


@router.get(
    "/me/tracking/conditions",
    response={200: list[MemberConditionOut], **READ},
    summary="Conditions, by name",
)
@paginate(Pagination)
def list_conditions(
    request: HttpRequest, delegation: DelegationId = None
) -> QuerySet[MemberCondition]:
    user, acting_for = _acting(request, delegation)
    return _conditions(access.reading_owner(user, acting_for, page="conditions"))


@router.post(
    "/me/tracking/conditions",
    response={201: MemberConditionOut, **WRITE},
    summary="Add a condition, with the dates known",
)
def add_condition(
    request: HttpRequest, payload: ConditionIn, delegation: DelegationId = None
) -> Status[MemberCondition]:
    user, acting_for = _acting(request, delegation)
    # As on the website, conditions are changed where they are shown: both scopes.
    access.records_owner(user, acting_for, scope=access.READ)
    owner = access.records_owner(user, acting_for, scope=access.TRACK)
    condition = Condition.objects.filter(pk=payload.condition).first()
    if condition is None:
        raise ValidationError({"condition": "There is no condition with this id."})
    added = checkins.add_condition(
        user,
        owner=owner,
        condition=condition,
        onset_on=payload.onset_on,
        diagnosed_on=payload.diagnosed_on,
    )
    return Status(201, _conditions(owner).get(pk=added.pk))


@router.get(
    "/me/tracking/conditions/{record_id}",
    response={200: MemberConditionOut, **READ},
)
def get_condition(
    request: HttpRequest, record_id: ObjectId, delegation: DelegationId = None
) -> MemberCondition:
    user, acting_for = _acting(request, delegation)
    owner = access.reading_owner(user, acting_for, page="conditions")
    return access.own_or_404(_conditions(owner).filter(pk=record_id).first(), owner)


@router.patch(
    "/me/tracking/conditions/{record_id}",
    response={200: MemberConditionOut, **WRITE},
    summary="Change a condition's dates",
)
def update_condition(
    request: HttpRequest,
    record_id: ObjectId,
    payload: ConditionPatch,
    delegation: DelegationId = None,
) -> MemberCondition:
    user, acting_for = _acting(request, delegation)
    access.records_owner(user, acting_for, scope=access.READ)
    found = access.get_member_condition_for_user(
        user, acting_for, record_id, scope=access.TRACK
    )
    dates = {"onset_on": found.onset_on, "diagnosed_on": found.diagnosed_on}
    dates |= payload.model_dump(include=payload.model_fields_set)
    checkins.update_condition(user, member_condition=found, **dates)
    return _conditions(found.user).get(pk=found.pk)


@router.delete(
    "/me/tracking/conditions/{record_id}",
    response={204: None, **WRITE},
    summary="Remove a condition",
)
def remove_condition(
    request: HttpRequest, record_id: ObjectId, delegation: DelegationId = None
) -> Status[None]:
    user, acting_for = _acting(request, delegation)
    access.records_owner(user, acting_for, scope=access.READ)
    found = access.get_member_condition_for_user(
        user, acting_for, record_id, scope=access.TRACK
    )
    checkins.remove_condition(user, member_condition=found)
    return Status(204, None)


# Tracked symptoms ----------------------------------------------------------------


def _tracking(owner: User) -> QuerySet[TrackedSymptom]:
    return TrackedSymptom.objects.filter(user=owner).select_related(
        "symptom__community"
    )


@router.get(
    "/me/tracking/symptoms",
    response={200: list[TrackedSymptomOut], **READ},
    summary="The symptoms rated at each check-in, by name",
    description="With `include_stopped`, also those no longer rated, newest "
    "first after the current ones. A carer with only the track scope gets "
    "the current ones (what they rate), without their start dates.",
)
@paginate(Pagination)
def list_symptoms(
    request: HttpRequest,
    delegation: DelegationId = None,
    include_stopped: bool = False,
) -> QuerySet[TrackedSymptom] | list[TrackedSymptom]:
    user, acting_for = _acting(request, delegation)
    if include_stopped:
        owner = access.reading_owner(user, acting_for, page="symptoms")
        rows = _tracking(owner)
    else:
        owner = access.rating_owner(user, acting_for, page="symptoms")
        rows = _tracking(owner).filter(stopped_on__isnull=True)
    current_first = F("stopped_on").desc(nulls_first=True)
    rows = rows.order_by(current_first, "symptom__name", "pk")
    if access.may_read(user, acting_for):
        return rows
    # At most checkins.MAX_TRACKED rows: a list is fine.
    return [_as_seen(user, acting_for, tracked) for tracked in rows]


def _as_seen(user: User, acting_for: Any, tracked: TrackedSymptom) -> TrackedSymptom:
    """`tracked` as `user` may see it: a carer who may only record needs to
    know which symptom to rate, not since when the member rates it."""
    if not access.may_read(user, acting_for):
        tracked.started_on = None  # type: ignore[assignment]
    return tracked


@router.post(
    "/me/tracking/symptoms",
    response={200: TrackedSymptomOut, 201: TrackedSymptomOut, **WRITE},
    summary="Rate a symptom at each check-in from today (200 if already rated)",
)
def track_symptom(
    request: HttpRequest, payload: TrackIn, delegation: DelegationId = None
) -> Status[TrackedSymptom]:
    user, acting_for = _acting(request, delegation)
    owner = access.records_owner(user, acting_for, scope=access.TRACK)
    symptom = Symptom.objects.filter(pk=payload.symptom).first()
    if symptom is None:
        raise ValidationError({"symptom": "There is no symptom with this id."})
    already = _tracking(owner).filter(symptom=symptom, stopped_on__isnull=True)
    existed = already.exists()
    tracked = checkins.track_symptom(user, owner=owner, symptom=symptom)
    shown = _as_seen(user, acting_for, _tracking(owner).get(pk=tracked.pk))
    return Status(200 if existed else 201, shown)


@router.post(
    "/me/tracking/symptoms/{tracked_id}/stop",
    response={200: TrackedSymptomOut, **WRITE},
    summary="Stop rating a symptom; its past ratings stay",
)
def stop_tracking(
    request: HttpRequest, tracked_id: ObjectId, delegation: DelegationId = None
) -> TrackedSymptom:
    user, acting_for = _acting(request, delegation)
    found = access.get_tracked_symptom_for_user(
        user, acting_for, tracked_id, scope=access.TRACK
    )
    checkins.stop_tracking(user, tracked=found)
    return _as_seen(user, acting_for, _tracking(found.user).get(pk=found.pk))


# The catalogue a member may use --------------------------------------------------


@router.get(
    "/me/tracking/catalogue/{kind}",
    response={200: list[CatalogueEntryOut], **READ},
    summary="The conditions, symptoms or treatments the member may use, by name",
    description="The generic set and the additions of every community the "
    "member belongs to.",
)
@paginate(Pagination)
def list_catalogue(
    request: HttpRequest, kind: Kind, delegation: DelegationId = None
) -> QuerySet[Any]:
    user, acting_for = _acting(request, delegation)
    owner = access.rating_owner(user, acting_for, page="catalogue")
    entries = checkins.visible_catalogue(owner, CATALOGUE[kind])
    return entries.select_related("community").order_by("name", "pk")
