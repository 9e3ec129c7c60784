"""Care stories, for those with powers: story moderation, staff alerts, and
organisation admins' service trees and staff. Each operation makes the same
access and service calls as the website (kinwell.stories.views)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from kinwell.api.auth import current_user
from kinwell.api.pagination import Pagination
from kinwell.api.routers.stories import (
    READ,
    WRITE,
    ObjectId,
    OrgSlug,
    own_story,
    saved_reply,
    with_redactions,
)
from kinwell.api.schemas.stories import (
    AlertIn,
    AlertOut,
    CriticalityIn,
    ModerationStoryOut,
    RedactionIn,
    RedactionOut,
    ReplyOut,
    ReplyPublishIn,
    ReplyQueueOut,
    ReplyRejectIn,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    StaffIn,
    StaffOut,
    StaffPatch,
    StoryPublishIn,
    StoryRejectIn,
    StoryReturnIn,
)
from kinwell.stories import access, alerts, directory, replies, services
from kinwell.stories.models import (
    Organisation,
    Redaction,
    Service,
    StaffAlert,
    StaffMembership,
    StaffReply,
    Story,
)

router = Router(tags=["stories"])


# Story moderation ----------------------------------------------------------


@router.get(
    "/moderation/stories",
    response={200: list[ModerationStoryOut], **READ},
    summary="Stories waiting for a moderator, oldest first",
)
@paginate(Pagination)
def list_waiting_stories(request: HttpRequest) -> QuerySet[Story]:
    user = current_user(request)
    access.require_story_moderator(user)
    stories = access.readable_stories(user).filter(status=Story.Status.SUBMITTED)
    return with_redactions(stories).order_by("submitted_at", "pk")


@router.get(
    "/moderation/story-replies",
    response={200: ReplyQueueOut, **READ},
    summary="Staff replies waiting for a moderator, and changes to confirm",
)
def reply_queue(request: HttpRequest) -> dict[str, list[StaffReply]]:
    access.require_story_moderator(current_user(request))
    queue = replies.reply_queue()
    waiting = [*queue["waiting_replies"], *queue["waiting_changes"]]
    prefetch_related_objects(waiting, "ratings")
    return queue


@router.post("/stories/{story_id}/publish", response={200: ModerationStoryOut, **WRITE})
def publish_story(
    request: HttpRequest, story_id: ObjectId, payload: StoryPublishIn
) -> Story:
    user = current_user(request)
    story = access.get_story_for_moderator(user, story_id)
    services.publish_story(user, story=story, criticality=payload.criticality)
    return own_story(story)


@router.post(
    "/stories/{story_id}/return",
    response={200: ModerationStoryOut, **WRITE},
    summary="Return a story to its author with a note",
)
def return_story(
    request: HttpRequest, story_id: ObjectId, payload: StoryReturnIn
) -> Story:
    user = current_user(request)
    story = access.get_story_for_moderator(user, story_id)
    services.return_story(user, story=story, reason=payload.reason, note=payload.note)
    return own_story(story)


@router.post(
    "/stories/{story_id}/reject",
    response={200: ModerationStoryOut, **WRITE},
    summary="Refuse to publish a story",
)
def reject_story(
    request: HttpRequest, story_id: ObjectId, payload: StoryRejectIn
) -> Story:
    user = current_user(request)
    story = access.get_story_for_moderator(user, story_id)
    services.reject_story(user, story=story, reason=payload.reason, note=payload.note)
    return own_story(story)


@router.put(
    "/stories/{story_id}/criticality", response={200: ModerationStoryOut, **WRITE}
)
def set_criticality(
    request: HttpRequest, story_id: ObjectId, payload: CriticalityIn
) -> Story:
    user = current_user(request)
    story = access.get_story_for_moderator(user, story_id)
    services.set_criticality(user, story=story, criticality=payload.criticality)
    return own_story(story)


@router.post(
    "/stories/{story_id}/redactions",
    response={201: RedactionOut, **WRITE},
    summary="Propose a redaction; it applies once the author accepts it",
)
def propose_redaction(
    request: HttpRequest, story_id: ObjectId, payload: RedactionIn
) -> Status[Redaction]:
    user = current_user(request)
    story = access.get_story_for_moderator(user, story_id)
    redaction = services.propose_redaction(user, story=story, **payload.model_dump())
    return Status(201, redaction)


@router.post("/replies/{reply_id}/publish", response={200: ReplyOut, **WRITE})
def publish_reply(
    request: HttpRequest, reply_id: ObjectId, payload: ReplyPublishIn
) -> StaffReply:
    user = current_user(request)
    reply = access.get_reply_for_moderator(user, reply_id)
    replies.publish_reply(user, reply=reply, confirm_change=payload.confirm_change)
    return saved_reply(reply)


@router.post("/replies/{reply_id}/reject", response={200: ReplyOut, **WRITE})
def reject_reply(
    request: HttpRequest, reply_id: ObjectId, payload: ReplyRejectIn
) -> StaffReply:
    user = current_user(request)
    reply = access.get_reply_for_moderator(user, reply_id)
    replies.reject_reply(user, reply=reply, note=payload.note)
    return saved_reply(reply)


@router.post(
    "/replies/{reply_id}/confirm-change",
    response={200: ReplyOut, **WRITE},
    summary="Confirm the change planned or made that a reply marks",
)
def confirm_change(request: HttpRequest, reply_id: ObjectId) -> StaffReply:
    user = current_user(request)
    reply = access.get_reply_for_moderator(user, reply_id)
    replies.confirm_change(user, reply=reply)
    return saved_reply(reply)


# Staff alerts --------------------------------------------------------------


@router.get(
    "/me/staff-alerts",
    response={200: list[AlertOut], **READ},
    summary="Your alerts of new stories, at every organisation you are staff of",
)
@paginate(Pagination)
def list_alerts(request: HttpRequest) -> QuerySet[StaffAlert]:
    user = current_user(request)
    access.require_staff(user)
    return (
        StaffAlert.objects.filter(staff__user=user)
        .select_related("staff__organisation")
        .order_by("created_at", "pk")
    )


@router.post("/me/staff-alerts", response={201: AlertOut, **WRITE})
def add_alert(request: HttpRequest, payload: AlertIn) -> Status[StaffAlert]:
    user = current_user(request)
    access.require_staff(user)
    organisation = Organisation.objects.filter(slug=payload.organisation).first()
    staff = access.staff_role(user, organisation) if organisation else None
    if organisation is None or staff is None:
        message = "You are not on the staff of this organisation."
        raise ValidationError({"organisation": message})
    service = None
    if payload.service is not None:
        service = organisation.services.filter(pk=payload.service).first()
        if service is None:
            message = "The organisation has no service with this id."
            raise ValidationError({"service": message})
    alert = alerts.add_alert(
        user,
        staff=staff,
        service=service,
        min_criticality=payload.min_criticality,
        delivery=payload.delivery,
    )
    return Status(201, alert)


@router.delete("/me/staff-alerts/{alert_id}", response={204: None, **WRITE})
def remove_alert(request: HttpRequest, alert_id: ObjectId) -> Status[None]:
    user = current_user(request)
    access.require_staff(user)
    alert = get_object_or_404(
        StaffAlert.objects.select_related("staff"), pk=alert_id, staff__user=user
    )
    alerts.remove_alert(user, alert=alert)
    return Status(204, None)


# Organisation admins: the service tree and the staff -----------------------


def _parent(organisation: Organisation, parent_id: int | None) -> Service | None:
    if parent_id is None:
        return None
    found = organisation.services.filter(pk=parent_id).first()
    if found is None:
        message = "The organisation has no service with this id."
        raise ValidationError({"parent": message})
    return found


@router.post("/organisations/{slug}/services", response={201: ServiceOut, **WRITE})
def add_service(
    request: HttpRequest, slug: OrgSlug, payload: ServiceIn
) -> Status[Service]:
    user = current_user(request)
    organisation = access.get_organisation_for_admin(user, slug)
    service = directory.add_service(
        user,
        organisation=organisation,
        parent=_parent(organisation, payload.parent),
        name=payload.name,
        kind=payload.kind,
        code=payload.code,
        location=payload.location,
    )
    return Status(201, service)


@router.patch(
    "/organisations/{slug}/services/{service_id}",
    response={200: ServiceOut, **WRITE},
    summary="Rename, re-describe or move a service (with everything below it)",
)
def update_service(
    request: HttpRequest, slug: OrgSlug, service_id: ObjectId, payload: ServicePatch
) -> Service:
    user = current_user(request)
    organisation = access.get_organisation_for_admin(user, slug)
    service = access.get_service(organisation, service_id)
    moved = "parent" in payload.model_fields_set
    return directory.update_service(
        user,
        service=service,
        name=payload.name if payload.name is not None else service.name,
        kind=payload.kind or service.kind,
        code=payload.code if payload.code is not None else service.code,
        location=payload.location if payload.location is not None else service.location,
        parent=_parent(organisation, payload.parent) if moved else service.parent,
    )


@router.delete(
    "/organisations/{slug}/services/{service_id}",
    response={204: None, **WRITE},
    summary="Remove a service with nothing below it and no stories",
)
def remove_service(
    request: HttpRequest, slug: OrgSlug, service_id: ObjectId
) -> Status[None]:
    user = current_user(request)
    organisation = access.get_organisation_for_admin(user, slug)
    directory.remove_service(user, service=access.get_service(organisation, service_id))
    return Status(204, None)


def _membership(organisation: Organisation, staff_id: int) -> StaffMembership:
    return get_object_or_404(
        StaffMembership.objects.select_related("user"),
        organisation=organisation,
        pk=staff_id,
    )


@router.get("/organisations/{slug}/staff", response={200: list[StaffOut], **READ})
@paginate(Pagination)
def list_staff(request: HttpRequest, slug: OrgSlug) -> QuerySet[StaffMembership]:
    organisation = access.get_organisation_for_admin(current_user(request), slug)
    return organisation.staff.select_related("user").order_by("job_title", "pk")


@router.post(
    "/organisations/{slug}/staff",
    response={201: StaffOut, **WRITE},
    summary="Add someone with an account to the organisation's staff",
)
def add_staff(
    request: HttpRequest, slug: OrgSlug, payload: StaffIn
) -> Status[StaffMembership]:
    user = current_user(request)
    organisation = access.get_organisation_for_admin(user, slug)
    staff = directory.add_staff(user, organisation=organisation, **payload.model_dump())
    return Status(201, staff)


@router.patch(
    "/organisations/{slug}/staff/{staff_id}", response={200: StaffOut, **WRITE}
)
def change_staff(
    request: HttpRequest, slug: OrgSlug, staff_id: ObjectId, payload: StaffPatch
) -> StaffMembership:
    user = current_user(request)
    organisation = access.get_organisation_for_admin(user, slug)
    staff = _membership(organisation, staff_id)
    return directory.change_staff(
        user,
        staff=staff,
        role=payload.role or staff.role,
        job_title=payload.job_title or staff.job_title,
    )


@router.delete("/organisations/{slug}/staff/{staff_id}", response={204: None, **WRITE})
def remove_staff(
    request: HttpRequest, slug: OrgSlug, staff_id: ObjectId
) -> Status[None]:
    user = current_user(request)
    organisation = access.get_organisation_for_admin(user, slug)
    directory.remove_staff(user, staff=_membership(organisation, staff_id))
    return Status(204, None)
