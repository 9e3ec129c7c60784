"""Moderation: flagging a post, the queue, acting on posts, threads and
members, the hold count, and the moderation log. Each operation makes the
same access and service calls as the website."""

from datetime import timedelta
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from kinwell.accounts.models import User
from kinwell.api.auth import current_user
from kinwell.api.errors import error_body, errors
from kinwell.api.pagination import Pagination
from kinwell.api.routers.communities import viewer
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.api.schemas.moderation import (
    DismissIn,
    FlagIn,
    FlagOut,
    HoldSettingsIn,
    HoldSettingsOut,
    LogPageOut,
    ModeratedPostOut,
    PostActionIn,
    QueuedFlagOut,
    SanctionIn,
    SanctionOut,
    ThreadActionIn,
    ThreadStateOut,
)
from kinwell.communities import access as community_access
from kinwell.communities.models import Community
from kinwell.discussions import access as discussion_access
from kinwell.discussions.models import (
    DiscussionSettings,
    Flag,
    Post,
    Sanction,
    Thread,
)
from kinwell.discussions.moderation import access, queries, sanctions, services
from kinwell.lib.ratelimit import RateLimited

router = Router(tags=["moderation"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]

READ = errors(401, 403, 404, 422)
PUBLIC = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)
BASE = "/communities/{slug}/moderation"


# Members -----------------------------------------------------------------


@router.post(
    "/communities/{slug}/posts/{post_id}/flags",
    response={201: FlagOut, **WRITE},
    summary="Flag a post for the moderators",
)
def flag_post(
    request: HttpRequest, slug: Slug, post_id: ObjectId, payload: FlagIn
) -> Status[Flag] | HttpResponse:
    user = current_user(request)
    post = discussion_access.get_post_for_user(user, slug, post_id)
    try:
        flag = services.flag_post(
            user, post=post, reason=payload.reason, note=payload.note
        )
    except RateLimited as limited:
        body = error_body("rate_limited", services.FLAG_LIMIT_MESSAGE)
        response = JsonResponse(body, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    return Status(201, flag)


@router.get(
    f"{BASE}/log",
    response={200: LogPageOut, **PUBLIC},
    auth=None,
    summary="The moderation log: members, and anyone for a public community",
)
def moderation_log(
    request: HttpRequest, slug: Slug, page: Query[Pagination.Input]
) -> dict[str, Any]:
    user = viewer(request)
    community = access.get_community_for_log_reader(user, slug)
    found = queries.log_of(community)
    entries = list(found[page.offset : page.offset + page.limit])
    readable = queries.readable_thread_ids(user, entries)
    items = [
        {
            "id": entry.pk,
            "action": entry.action,
            "description": entry.get_action_display(),
            "reason": entry.reason,
            "moderator": entry.moderator_label,
            "thread_id": entry.thread_id if entry.thread_id in readable else None,
            "thread_title": entry.thread.title
            if entry.thread_id in readable and entry.thread
            else None,
            "created_at": entry.created_at,
        }
        for entry in entries
    ]
    return {"items": items, "count": found.count()}


# The queue ----------------------------------------------------------------


@router.get(f"{BASE}/flags", response={200: list[QueuedFlagOut], **READ})
@paginate(Pagination)
def list_open_flags(request: HttpRequest, slug: Slug) -> QuerySet[Flag]:
    """Open flags, urgent ones (risk of self-harm) first."""
    community, _ = community_access.get_community_for_moderator(
        current_user(request), slug
    )
    return queries.open_flags(community)


@router.get(f"{BASE}/held", response={200: list[ModeratedPostOut], **READ})
@paginate(Pagination)
def list_held_posts(request: HttpRequest, slug: Slug) -> QuerySet[Post]:
    community, _ = community_access.get_community_for_moderator(
        current_user(request), slug
    )
    return queries.held_posts(community)


@router.post(f"{BASE}/flags/{{flag_id}}/dismiss", response={200: FlagOut, **WRITE})
def dismiss_flag(
    request: HttpRequest, slug: Slug, flag_id: ObjectId, payload: DismissIn
) -> Flag:
    user = current_user(request)
    flag = access.get_flag_for_moderator(user, slug, flag_id)
    return services.dismiss_flag(
        user, flag=flag, reason=payload.reason, signed=payload.signed
    )


@router.post(
    f"{BASE}/posts/{{post_id}}",
    response={200: ModeratedPostOut, **WRITE},
    summary="Approve, decline, hide, show again, or redact a post",
)
def act_on_post(
    request: HttpRequest, slug: Slug, post_id: ObjectId, payload: PostActionIn
) -> Post:
    user = current_user(request)
    post = access.get_post_for_moderator(user, slug, post_id)
    if payload.action == "redact":
        return services.redact_post(
            user,
            post=post,
            body=payload.body or "",
            reason=payload.reason or services.REDACTED_REASON,
            signed=payload.signed,
        )
    act = services.POST_ACTIONS[payload.action]
    return act(user, post=post, reason=payload.reason, signed=payload.signed)


@router.post(
    f"{BASE}/threads/{{thread_id}}",
    response={200: ThreadStateOut, **WRITE},
    summary="Lock, pin, close (or undo), or move a thread to a sibling",
)
def act_on_thread(
    request: HttpRequest, slug: Slug, thread_id: ObjectId, payload: ThreadActionIn
) -> Thread:
    user = current_user(request)
    thread, _ = access.get_thread_for_moderator(user, slug, thread_id)
    reason, signed = payload.reason, payload.signed
    if payload.action != "move":
        return services.set_thread_state(
            user, thread=thread, state=payload.action, reason=reason, signed=signed
        )
    to = Community.objects.visible_to(user).filter(slug=payload.to or "").first()
    if to is None:
        raise ValidationError({"to": "Choose a sibling community."})
    return services.move_thread(
        user, thread=thread, to=to, reason=reason, signed=signed
    )


# Members' sanctions and settings ------------------------------------------


@router.get(f"{BASE}/sanctions", response={200: list[SanctionOut], **READ})
@paginate(Pagination)
def list_sanctions(request: HttpRequest, slug: Slug) -> QuerySet[Sanction]:
    community, _ = community_access.get_community_for_moderator(
        current_user(request), slug
    )
    return queries.sanctions_of(community)


@router.post(f"{BASE}/sanctions", response={201: SanctionOut, **WRITE})
def create_sanction(
    request: HttpRequest, slug: Slug, payload: SanctionIn
) -> Status[Sanction]:
    user = current_user(request)
    community, _ = community_access.get_community_for_moderator(user, slug)
    member: User = community_access.get_member(community, payload.user_id)
    common: dict[str, Any] = {
        "community": community,
        "member": member,
        "reason": payload.reason,
        "signed": payload.signed,
    }
    if payload.kind == Sanction.Kind.WARNING:
        return Status(201, sanctions.warn_member(user, **common))
    if payload.kind == Sanction.Kind.BAN:
        return Status(201, sanctions.ban_member(user, **common))
    if payload.days is None:
        raise ValidationError({"days": "Say for how many days."})
    until = timezone.now() + timedelta(days=payload.days)
    return Status(201, sanctions.suspend_member(user, until=until, **common))


@router.post(
    f"{BASE}/sanctions/{{sanction_id}}/lift", response={200: SanctionOut, **WRITE}
)
def lift_sanction(
    request: HttpRequest, slug: Slug, sanction_id: ObjectId, payload: DismissIn
) -> Sanction:
    user = current_user(request)
    sanction = access.get_sanction_for_moderator(user, slug, sanction_id)
    return sanctions.lift_sanction(
        user, sanction=sanction, reason=payload.reason, signed=payload.signed
    )


@router.get(f"{BASE}/settings", response={200: HoldSettingsOut, **READ})
def get_hold_settings(request: HttpRequest, slug: Slug) -> dict[str, int]:
    community, _ = community_access.get_community_for_moderator(
        current_user(request), slug
    )
    found = DiscussionSettings.objects.filter(community=community).first()
    return {"hold_first_posts": found.hold_first_posts if found else 0}


@router.put(f"{BASE}/settings", response={200: HoldSettingsOut, **WRITE})
def set_hold_settings(
    request: HttpRequest, slug: Slug, payload: HoldSettingsIn
) -> DiscussionSettings:
    user = current_user(request)
    community, _ = community_access.get_community_for_organiser(user, slug)
    return services.set_hold_first_posts(
        user, community=community, count=payload.hold_first_posts
    )
