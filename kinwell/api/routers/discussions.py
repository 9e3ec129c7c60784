"""Discussions: a community's threads, a thread's pages of posts, writing,
editing and deleting posts, reactions, watching threads and following tags.
Each operation makes the same access and service calls as the website
(kinwell.discussions.views); a thread's pages are the website's pages."""

from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from kinwell.accounts import access as account_access
from kinwell.accounts.models import Delegation, Persona, User
from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.routers.communities import viewer
from kinwell.api.schemas.discussions import (
    PostOut,
    PostPatch,
    ReactionsOut,
    ReactorOut,
    ReplyIn,
    SubscriptionIn,
    SubscriptionOut,
    TagIn,
    TagOut,
    ThreadIn,
    ThreadOut,
    ThreadPageOut,
    post_out,
)
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.communities import access as community_access
from kinwell.communities.models import Community
from kinwell.discussions import access, pages, services
from kinwell.discussions.models import Post, Reaction, Tag, TagFollow, Thread

router = Router(tags=["discussions"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]
TagSlug = Annotated[
    str, Path(max_length=max_length(Tag, "slug"), pattern=r"^[-a-zA-Z0-9_]+$")
]
Kind = Annotated[
    str,
    Path(
        pattern=f"^({'|'.join(Reaction.Kind.values)})$",
        description="me_too, thank_you, strength or helpful.",
    ),
]
TagFilter = Annotated[
    str, Query(max_length=max_length(Tag, "slug"), pattern=r"^[-a-zA-Z0-9_]*$")
]
PageNumber = Annotated[int, Query(ge=1, le=MAX_ID, description="20 posts a page.")]

READ = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)
PUBLIC = errors(401, 403, 404, 422)


# Threads -------------------------------------------------------------------


@router.get(
    "/communities/{slug}/threads",
    response={200: list[ThreadOut], **PUBLIC},
    auth=None,
    summary="A community's threads, pinned first, then the most recently active",
)
@paginate(Pagination)
def list_threads(
    request: HttpRequest, slug: Slug, tag: TagFilter = ""
) -> QuerySet[Thread]:
    user = viewer(request)
    community = community_access.get_community_for_user(user, slug)
    if not access.can_read(user, community):
        raise PermissionDenied("The discussions are for members of the community.")
    threads = access.visible_threads(user, community)
    if tag:
        threads = threads.filter(tags__slug=tag)
    # The website's order: pinned first, then the most recently active.
    return threads.order_by("-is_pinned", "-last_posted_at", "-pk").prefetch_related(
        "tags"
    )


@router.post("/communities/{slug}/threads", response={201: ThreadOut, **WRITE})
def start_thread(request: HttpRequest, slug: Slug, payload: ThreadIn) -> Status[Thread]:
    user = current_user(request)
    community, _ = community_access.get_community_for_member(user, slug)
    thread = services.start_thread(
        user,
        community=community,
        title=payload.title,
        body=payload.body,
        content_warning=payload.content_warning,
        tags=_tags(community, payload.tags),
        audience=payload.audience,
        persona=_persona(user, payload.persona),
        on_behalf_of=_delegation(user, payload.on_behalf_of),
    )
    return Status(201, thread)


def _tags(community: Community, slugs: list[str]) -> list[Tag]:
    found = list(access.tags_of(community).filter(slug__in=slugs))
    unknown = set(slugs) - {tag.slug for tag in found}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ValidationError({"tags": f"The community has no such tag: {names}."})
    return found


def _persona(user: User, public_id: str | None) -> Persona | None:
    if public_id is None:
        return None
    try:
        return account_access.get_own_persona(user, public_id)
    except Http404:
        raise ValidationError({"persona": "Choose one of your own personas."}) from None


def _delegation(user: User, delegation_id: int | None) -> Delegation | None:
    if delegation_id is None:
        return None
    found = account_access.get_active_delegation(user, delegation_id)
    if found is None:
        message = "You have no active delegation with this id."
        raise ValidationError({"on_behalf_of": message})
    return found


@router.get(
    "/communities/{slug}/threads/{thread_id}",
    response={200: ThreadPageOut, **PUBLIC},
    auth=None,
    summary="A thread and one page of its posts (20 a page, as on the website)",
)
def get_thread(
    request: HttpRequest, slug: Slug, thread_id: ObjectId, page: PageNumber = 1
) -> dict[str, Any]:
    user = viewer(request)
    thread = access.get_thread_for_user(user, slug, thread_id)
    shown = pages.thread_page(user, thread, page)
    if user.is_authenticated:
        services.mark_page_read(user, shown)
    return {
        "thread": thread,
        "page": shown.number,
        "page_count": shown.page_count,
        "posts": [
            post_out(post, shown.reactions.get(post.pk), shown.mine.get(post.pk))
            for post in shown.posts
        ],
        "subscription": shown.subscription or None,
        "can_reply": access.can_reply(user, thread),
    }


@router.put(
    "/communities/{slug}/threads/{thread_id}/subscription",
    response={200: SubscriptionOut, **WRITE},
    summary="Watch or mute a thread, or go back to the default (null)",
)
def set_subscription(
    request: HttpRequest, slug: Slug, thread_id: ObjectId, payload: SubscriptionIn
) -> dict[str, Any]:
    user = current_user(request)
    thread = access.get_thread_for_user(user, slug, thread_id)
    services.set_subscription(user, thread=thread, level=payload.level)
    return {"level": payload.level}


# Posts ---------------------------------------------------------------------


@router.post(
    "/communities/{slug}/threads/{thread_id}/posts",
    response={201: PostOut, **WRITE},
)
def reply(
    request: HttpRequest, slug: Slug, thread_id: ObjectId, payload: ReplyIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    thread = access.get_thread_for_user(user, slug, thread_id)
    post = services.reply(
        user,
        thread=thread,
        body=payload.body,
        in_reply_to=_answered(user, thread, payload.in_reply_to),
        persona=_persona(user, payload.persona),
        on_behalf_of=_delegation(user, payload.on_behalf_of),
    )
    return Status(201, post_out(post))


def _answered(user: User, thread: Thread, number: int | None) -> Post | None:
    """The post a reply answers, by its number in the thread."""
    if number is None:
        return None
    found = access.visible_posts(user, thread).filter(number=number).first()
    if found is None:
        raise ValidationError({"in_reply_to": "The thread has no post of this number."})
    return found


@router.patch("/communities/{slug}/posts/{post_id}", response={200: PostOut, **WRITE})
def edit_post(
    request: HttpRequest, slug: Slug, post_id: ObjectId, payload: PostPatch
) -> dict[str, Any]:
    user = current_user(request)
    post = access.get_post_for_user(user, slug, post_id)
    if not access.can_edit(user, post):
        raise PermissionDenied("Only the author can edit this post.")
    post = services.edit_post(
        user, post=post, body=payload.body, title=payload.title or ""
    )
    counts, mine = _reactions_of(user, post)
    return post_out(post, counts, mine)


@router.delete("/communities/{slug}/posts/{post_id}", response={204: None, **WRITE})
def delete_post(request: HttpRequest, slug: Slug, post_id: ObjectId) -> Status[None]:
    user = current_user(request)
    post = access.get_post_for_user(user, slug, post_id)
    if not access.can_edit(user, post):
        raise PermissionDenied("Only the author can delete this post.")
    services.delete_post(user, post=post)
    return Status(204, None)


# Reactions -----------------------------------------------------------------


def _reactions_of(user: User, post: Post) -> tuple[dict[str, int], set[str]]:
    found = pages.reactions(user, [post.pk])
    return found.counts.get(post.pk, {}), found.mine.get(post.pk, set())


def _set_reaction(
    request: HttpRequest, slug: str, post_id: int, kind: str, *, wanted: bool
) -> dict[str, Any]:
    """Adding a reaction you have, or taking back one you have not, changes
    nothing: the service only toggles, so it is called only for a change.
    Whoever may not react is refused either way, change or not."""
    user = current_user(request)
    post = access.get_post_for_user(user, slug, post_id)
    access.require_may_post(user, post.community)
    _, mine = _reactions_of(user, post)
    if (kind in mine) != wanted:
        services.toggle_reaction(user, post=post, kind=kind)
    counts, mine = _reactions_of(user, post)
    return {"reactions": counts, "my_reactions": sorted(mine)}


@router.post(
    "/communities/{slug}/posts/{post_id}/reactions/{kind}",
    response={200: ReactionsOut, **WRITE},
    summary="React to a post (again: no change)",
)
def add_reaction(
    request: HttpRequest, slug: Slug, post_id: ObjectId, kind: Kind
) -> dict[str, Any]:
    return _set_reaction(request, slug, post_id, kind, wanted=True)


@router.delete(
    "/communities/{slug}/posts/{post_id}/reactions/{kind}",
    response={200: ReactionsOut, **WRITE},
    summary="Take back a reaction (when there is none: no change)",
)
def remove_reaction(
    request: HttpRequest, slug: Slug, post_id: ObjectId, kind: Kind
) -> dict[str, Any]:
    return _set_reaction(request, slug, post_id, kind, wanted=False)


@router.get(
    "/communities/{slug}/posts/{post_id}/reactions",
    response={200: list[ReactorOut], **READ},
    summary="Who reacted to a post (members of the community)",
)
@paginate(Pagination)
def list_reactions(
    request: HttpRequest, slug: Slug, post_id: ObjectId
) -> QuerySet[Reaction]:
    user = current_user(request)
    post = access.get_post_for_user(user, slug, post_id)
    community_access.get_community_for_member(user, slug)
    return access.who_reacted(post)


# Tags ----------------------------------------------------------------------


@router.get(
    "/communities/{slug}/tags",
    response={200: list[TagOut], **PUBLIC},
    auth=None,
)
@paginate(Pagination)
def list_tags(request: HttpRequest, slug: Slug) -> QuerySet[Tag]:
    user = viewer(request)
    community = community_access.get_community_for_user(user, slug)
    if not access.can_read(user, community):
        raise PermissionDenied("The discussions are for members of the community.")
    following: Any = Value(False)
    if user.is_authenticated:
        follows = TagFollow.objects.filter(tag=OuterRef("pk"), user=user)
        following = Exists(follows)
    return access.tags_of(community).annotate(following=following)


@router.post("/communities/{slug}/tags", response={201: TagOut, **WRITE})
def create_tag(
    request: HttpRequest, slug: Slug, payload: TagIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    community, _ = community_access.get_community_for_member(user, slug)
    tag = services.create_tag(user, community=community, name=payload.name)
    return Status(201, _tag_out(tag, following=False))


def _tag_out(tag: Tag, *, following: bool) -> dict[str, Any]:
    return {"slug": tag.slug, "name": tag.name, "following": following}


@router.delete("/communities/{slug}/tags/{tag}", response={204: None, **WRITE})
def delete_tag(request: HttpRequest, slug: Slug, tag: TagSlug) -> Status[None]:
    user = current_user(request)
    community, _ = community_access.get_community_for_moderator(user, slug)
    services.delete_tag(user, tag=access.get_tag(community, tag))
    return Status(204, None)


def _follow(
    request: HttpRequest, slug: str, tag: str, *, follow: bool
) -> dict[str, Any]:
    user = current_user(request)
    community, _ = community_access.get_community_for_member(user, slug)
    found = access.get_tag(community, tag)
    services.follow_tag(user, tag=found, follow=follow)
    return _tag_out(found, following=follow)


@router.put("/communities/{slug}/tags/{tag}/follow", response={200: TagOut, **WRITE})
def follow_tag(request: HttpRequest, slug: Slug, tag: TagSlug) -> dict[str, Any]:
    return _follow(request, slug, tag, follow=True)


@router.delete("/communities/{slug}/tags/{tag}/follow", response={200: TagOut, **WRITE})
def unfollow_tag(request: HttpRequest, slug: Slug, tag: TagSlug) -> dict[str, Any]:
    return _follow(request, slug, tag, follow=False)
