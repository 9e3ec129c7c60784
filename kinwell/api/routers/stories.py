"""Care stories: the public, read-only directory of organisations, published
stories and their statistics; telling and editing your own stories; replies,
helpful ratings and echoes. (Moderation, alerts and organisation admins are
in story_admin.py.) Each operation makes the same access and service calls
as the website (kinwell.stories.views)."""

from typing import Annotated, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from kinwell.accounts.models import User
from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.api.schemas.stories import (
    EchoOut,
    FiguresOut,
    HelpfulOut,
    OrganisationDetailOut,
    OrganisationOut,
    OwnStoryOut,
    PublicStoryOut,
    RedactionOut,
    ReplyOut,
    StaffReplyIn,
    StoryCardOut,
    StoryIn,
    StoryOut,
    StoryPatch,
)
from kinwell.discussions.models import Post
from kinwell.stories import access, replies, services, stats
from kinwell.stories.forms.stories import story_initial
from kinwell.stories.models import (
    HelpfulRating,
    Organisation,
    Redaction,
    Service,
    StaffReply,
    Story,
)

router = Router(tags=["stories"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
OrgSlug = Annotated[
    str,
    Path(max_length=max_length(Organisation, "slug"), pattern=r"^[-a-zA-Z0-9_]+$"),
]
OrgFilter = Annotated[
    str,
    Query(
        max_length=max_length(Organisation, "slug"),
        pattern=r"^[-a-zA-Z0-9_]*$",
        description="An organisation's slug: stories about any of its services.",
    ),
]
ServiceFilter = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_ID,
        description="A service's id: stories about it or anything below it.",
    ),
]
SearchText = Annotated[
    str,
    Query(
        max_length=120,
        pattern=r"^[^\x00]*$",
        description="Part of an organisation's name or location.",
    ),
]

PUBLIC = errors(404, 422)
READ = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)

# The public API answers every caller as the website answers a visitor.
VISITOR = AnonymousUser()


# Shared shapes -------------------------------------------------------------


def _services() -> QuerySet[Service]:
    return Service.objects.select_related("organisation").order_by("name")


def _waiting_redactions() -> QuerySet[Redaction]:
    """Redactions a moderator proposed that wait for the author's answer."""
    return Redaction.objects.filter(status=Redaction.Status.PROPOSED).order_by("pk")


def _with_services(stories: QuerySet[Story]) -> QuerySet[Story]:
    """With the services a story is about and their organisations, and the
    author (for the signature): three queries for a whole page."""
    return stories.select_related("author").prefetch_related(
        Prefetch("services", queryset=_services())
    )


def with_redactions(stories: QuerySet[Story]) -> QuerySet[Story]:
    """As `_with_services`, and the redactions waiting for the author as
    `story.redactions`."""
    return _with_services(stories).prefetch_related(
        Prefetch("redactions", queryset=_waiting_redactions())
    )


def _story_page(user: Any, story: Story) -> dict[str, Any]:
    """The story as its page shows it to `user`: the replies they may see
    (`access.visible_replies`), what changed, who read it, the echoes."""
    prefetch_related_objects([story], Prefetch("services", queryset=_services()))
    shown = replies.reply_list(user, story)
    summary = replies.read_summary(story)
    return {
        "id": story.pk,
        "title": story.title,
        "signature": story.signature,
        "author_role": story.author_role,
        "feelings": story.feelings,
        "services": list(story.services.all()),
        "published_at": story.published_at,
        "what_happened": story.what_happened,
        "what_was_good": story.what_was_good,
        "what_could_be_better": story.what_could_be_better,
        "body_html": story.body_html,
        "replies": shown,
        "changes": [_change(reply) for reply in shown if _counts(reply)],
        "reads": {
            "staff": summary.staff,
            "organisations": summary.organisations,
            "job_titles": list(summary.job_titles),
        },
        **replies.echo_state(user, story),
    }


def _counts(reply: StaffReply) -> bool:
    """A change shows as one once the reply is public and a moderator
    confirmed it (as on the website and in the statistics)."""
    return reply.is_public and reply.change_confirmed


def _change(reply: StaffReply) -> dict[str, Any]:
    return {
        "reply_id": reply.pk,
        "organisation_slug": reply.organisation.slug,
        "change": reply.change,
        "description": reply.change_description,
        "confirmed_at": reply.change_confirmed_at,
    }


# The public, read-only API -------------------------------------------------
# What a visitor sees on the website, whoever asks: published stories only,
# never a criticality, never an account.


@router.get(
    "/public/stories",
    response={200: list[StoryCardOut], **PUBLIC},
    auth=None,
    summary="Published stories, newest first",
)
@paginate(Pagination)
def list_public_stories(
    request: HttpRequest, organisation: OrgFilter = "", service: ServiceFilter = None
) -> QuerySet[Story]:
    stories = Story.objects.published()
    if organisation:
        stories = stories.about_organisation(access.get_organisation(organisation))
    if service is not None:
        stories = stories.about(get_object_or_404(Service, pk=service))
    return stories.cards()


@router.get(
    "/public/stories/{story_id}",
    response={200: PublicStoryOut, **PUBLIC},
    auth=None,
    summary="A published story, its published replies and what changed",
)
def get_public_story(request: HttpRequest, story_id: ObjectId) -> dict[str, Any]:
    story = access.get_story_for_user(VISITOR, story_id)
    return _story_page(VISITOR, story)


@router.get(
    "/public/organisations",
    response={200: list[OrganisationOut], **PUBLIC},
    auth=None,
    summary="The directory of organisations, by name",
)
@paginate(Pagination)
def list_organisations(
    request: HttpRequest, q: SearchText = ""
) -> QuerySet[Organisation]:
    return Organisation.objects.matching(q).order_by("name", "pk")


@router.get(
    "/public/organisations/{slug}",
    response={200: OrganisationDetailOut, **PUBLIC},
    auth=None,
    summary="An organisation and its service tree",
)
def get_organisation(request: HttpRequest, slug: OrgSlug) -> dict[str, Any]:
    organisation = access.get_organisation(slug)
    # By path: each parent comes before everything below it.
    tree = list(organisation.services.order_by("path"))
    return {
        **OrganisationOut.model_validate(organisation).model_dump(),
        "services": tree,
    }


@router.get(
    "/public/organisations/{slug}/statistics",
    response={200: FiguresOut, **PUBLIC},
    auth=None,
    summary="The statistics of an organisation's stories",
)
def organisation_statistics(request: HttpRequest, slug: OrgSlug) -> stats.Figures:
    return stats.organisation_figures(access.get_organisation(slug))


@router.get(
    "/public/services/{service_id}/statistics",
    response={200: FiguresOut, **PUBLIC},
    auth=None,
    summary="The statistics of a service and everything below it",
)
def service_statistics(request: HttpRequest, service_id: ObjectId) -> stats.Figures:
    return stats.service_figures(get_object_or_404(Service, pk=service_id))


# Telling a story -----------------------------------------------------------


def _chosen_services(ids: list[int]) -> list[Service]:
    found = list(Service.objects.filter(pk__in=ids).select_related("organisation"))
    if len(found) != len(set(ids)):
        raise ValidationError(
            {"services": "There is no service with one of these ids."}
        )
    return found


def _own_post(user: User, post_id: int | None) -> Post | None:
    """The discussion post a story starts from (access.get_own_post_for_story);
    a wrong id is a mistake in the request, not a page that is missing."""
    if post_id is None:
        return None
    try:
        return access.get_own_post_for_story(user, post_id)
    except Http404:
        refused = {"source_post": "Choose one of your own posts."}
        raise ValidationError(refused) from None


def own_story(story: Story) -> Story:
    """The story as saved, for its author or a moderator."""
    return with_redactions(Story.objects.all()).get(pk=story.pk)


@router.post("/stories", response={201: OwnStoryOut, **WRITE})
def tell_story(request: HttpRequest, payload: StoryIn) -> Status[Story]:
    """Tell a story about one or more services. A story moderator reads it
    before it is published."""
    user = current_user(request)
    fields = payload.model_dump(exclude={"services", "source_post"})
    story = services.tell_story(
        user,
        services=_chosen_services(payload.services),
        source_post=_own_post(user, payload.source_post),
        **fields,
    )
    return Status(201, own_story(story))


@router.get(
    "/me/stories",
    response={200: list[OwnStoryOut], **READ},
    summary="Your own stories, in any state, newest first",
)
@paginate(Pagination)
def list_my_stories(request: HttpRequest) -> QuerySet[Story]:
    stories = with_redactions(Story.objects.filter(author=current_user(request)))
    return stories.order_by("-created_at", "-pk")


@router.get(
    "/stories/{story_id}",
    response={200: StoryOut, **READ},
    summary="A story you may read (a staff member's read is recorded)",
)
def get_story(request: HttpRequest, story_id: ObjectId) -> dict[str, Any]:
    user = current_user(request)
    story = access.get_story_for_user(user, story_id)
    replies.record_read(user, story)
    page = _story_page(user, story)
    insider = story.author_id == user.pk or access.is_story_moderator(user)
    shown = [reply.pk for reply in page["replies"]]
    rated = HelpfulRating.objects.filter(user=user, reply_id__in=shown)
    return {
        **page,
        "status": story.status,
        "criticality": story.criticality
        if access.can_see_criticality(user, story)
        else None,
        "moderator_note": story.moderator_note if insider else None,
        "redactions": list(_waiting_redactions().filter(story=story))
        if insider
        else [],
        "is_author": story.author_id == user.pk,
        "helpful_replies": sorted(rated.values_list("reply_id", flat=True)),
        "can_reply": access.can_reply(user, story),
        "created_at": story.created_at,
        "submitted_at": story.submitted_at,
        "withdrawn_at": story.withdrawn_at,
    }


@router.patch(
    "/stories/{story_id}",
    response={200: OwnStoryOut, **WRITE},
    summary="Edit your own story while it is not published",
)
def edit_story(request: HttpRequest, story_id: ObjectId, payload: StoryPatch) -> Story:
    user = current_user(request)
    story = access.get_own_story(user, story_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"services"})
    chosen = (
        _chosen_services(payload.services)
        if payload.services is not None
        else list(story.services.all())
    )
    # What the website's edit form starts from.
    current = story_initial(story)
    # Null means "keep it", as if left out.
    current.update(
        {name: value for name, value in changes.items() if value is not None}
    )
    story = services.edit_story(user, story=story, services=chosen, **current)
    return own_story(story)


@router.post("/stories/{story_id}/withdraw", response={200: OwnStoryOut, **WRITE})
def withdraw_story(request: HttpRequest, story_id: ObjectId) -> Story:
    user = current_user(request)
    story = access.get_own_story(user, story_id)
    services.withdraw_story(user, story=story)
    return own_story(story)


@router.post(
    "/stories/{story_id}/redactions/{redaction_id}/accept",
    response={200: RedactionOut, **WRITE},
    summary="Accept a redaction a moderator proposed to your story",
)
def accept_redaction(
    request: HttpRequest, story_id: ObjectId, redaction_id: ObjectId
) -> Redaction:
    user = current_user(request)
    story = access.get_own_story(user, story_id)
    redaction = access.get_own_redaction(user, story, redaction_id)
    return services.accept_redaction(user, redaction=redaction)


@router.post(
    "/stories/{story_id}/redactions/{redaction_id}/decline",
    response={200: RedactionOut, **WRITE},
)
def decline_redaction(
    request: HttpRequest, story_id: ObjectId, redaction_id: ObjectId
) -> Redaction:
    user = current_user(request)
    story = access.get_own_story(user, story_id)
    redaction = access.get_own_redaction(user, story, redaction_id)
    return services.decline_redaction(user, redaction=redaction)


# Echoes, replies and helpful ratings ---------------------------------------


@router.post(
    "/stories/{story_id}/echo",
    response={200: EchoOut, **WRITE},
    summary="Say you experienced this too, or take it back (a toggle)",
)
def toggle_echo(request: HttpRequest, story_id: ObjectId) -> dict[str, Any]:
    user = current_user(request)
    story = access.get_story_for_user(user, story_id)
    if not story.is_public:
        raise Http404
    replies.toggle_echo(user, story=story)
    return replies.echo_state(user, story)


@router.post(
    "/stories/{story_id}/replies",
    response={201: ReplyOut, **WRITE},
    summary="Reply for your organisation (responders and organisation admins)",
)
def reply_to_story(
    request: HttpRequest, story_id: ObjectId, payload: StaffReplyIn
) -> Status[StaffReply]:
    user = current_user(request)
    story = access.get_story_for_user(user, story_id)
    access.responder_role(user, story)
    reply = replies.reply_to_story(user, story=story, **payload.model_dump())
    return Status(201, saved_reply(reply))


def saved_reply(reply: StaffReply) -> StaffReply:
    """The reply as saved, with its organisation and helpful count."""
    return (
        StaffReply.objects.select_related("organisation")
        .annotate(helpful_count=Count("ratings"))
        .get(pk=reply.pk)
    )


@router.post(
    "/replies/{reply_id}/helpful",
    response={200: HelpfulOut, **WRITE},
    summary="Find a reply helpful, or take it back (a toggle)",
)
def toggle_helpful(request: HttpRequest, reply_id: ObjectId) -> dict[str, Any]:
    user = current_user(request)
    reply = access.get_reply_for_user(user, reply_id)
    replies.toggle_helpful(user, reply=reply)
    state = replies.helpful_state(user, reply)
    return {
        "helpful": reply.pk in state["my_helpful"],
        "helpful_count": state["reply"].helpful_count,
    }
