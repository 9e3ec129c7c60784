"""Access rules for discussions, on the website and in the API (see
tests/access_matrix.py). The moderation pages have their own module.

The matrix asks about a hidden community of the organiser, moderator, member
and carer, made through the services, with a tag and a thread the member
started; the moderator replied with a picture. Everyone else, the anonymous
visitor included, must not learn that any of it exists: 404, except where
signing in comes first (a login redirect, or the API's 401). Among members,
only the author edits and deletes a post, the author and the moderators see
its history, and the moderators make and remove tags. (Public and
members-only communities are covered in tests/test_discussions_api.py.)"""

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.discussions import services
from kinwell.discussions.models import Post, Tag
from kinwell.discussions.services import Attachment
from tests import factories
from tests.access_matrix import (
    BAD_REQUEST,
    FORBIDDEN,
    MEMBERS,
    MODERATORS,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Answers,
    Outcome,
    Rule,
    api,
    everyone,
    given,
    signed_in,
    status,
)

CREATED = status(201)
NO_CONTENT = status(204)


def members(outcome: Outcome, **overrides: Outcome) -> Answers:
    """Members get `outcome`; everyone else signed in 404, visitors a login."""
    return signed_in(NOT_FOUND, **given(MEMBERS, outcome, **overrides))


def open_members(outcome: Outcome, **overrides: Outcome) -> Answers:
    """For pages with no login required: visitors get 404 like outsiders."""
    return members(outcome, anonymous=NOT_FOUND, **overrides)


def api_members(outcome: Outcome, **overrides: Outcome) -> Answers:
    return api(NOT_FOUND, **given(MEMBERS, outcome, **overrides))


def api_open_members(outcome: Outcome, **overrides: Outcome) -> Answers:
    """Operations visitors may call (on a public community): here 404."""
    return api_members(outcome, anonymous=NOT_FOUND, **overrides)


def only(
    roles: tuple[str, ...], outcome: Outcome, other: Outcome
) -> dict[str, Outcome]:
    """Of the members, `roles` get `outcome` and the rest `other`."""
    return {role: outcome if role in roles else other for role in MEMBERS}


POST_ONLY = signed_in(NOT_ALLOWED)
API_NOT_ALLOWED = everyone(NOT_ALLOWED)
COMMUNITY = "/c/{discussion_community}"
THREAD = COMMUNITY + "/t/{discussion_thread}"
POST = COMMUNITY + "/p/{discussion_post}"
API = "/api/v1/communities/{discussion_community}"
API_THREAD = API + "/threads/{discussion_thread}"
# The member's own opening post, and the moderator's reply they react to.
API_POST = API + "/posts/{discussion_post}"
API_REPLY = API + "/posts/{discussion_reply}"

WEB_RULES: list[Rule] = [
    Rule(
        "c/<slug:slug>/threads/",
        url=COMMUNITY + "/threads/",
        get=open_members(OK),
    ),
    Rule(
        "c/<slug:slug>/threads/new",
        url=COMMUNITY + "/threads/new",
        get=members(OK),
        post=members(OK),  # an empty form comes back with its errors
    ),
    Rule(
        "c/<slug:slug>/preview",
        url=COMMUNITY + "/preview",
        get=signed_in(NOT_ALLOWED),
        post=members(OK),
    ),
    Rule("c/<slug:slug>/t/<int:thread_id>/", url=THREAD + "/", get=open_members(OK)),
    Rule(
        "c/<slug:slug>/t/<int:thread_id>/reply",
        url=THREAD + "/reply",
        get=POST_ONLY,
        post=members(OK),
    ),
    Rule(
        "c/<slug:slug>/t/<int:thread_id>/notifications",
        url=THREAD + "/notifications",
        get=POST_ONLY,
        post=members(OK),
    ),
    Rule("c/<slug:slug>/p/<int:post_id>/", url=POST + "/", get=open_members(OK)),
    Rule(
        "c/<slug:slug>/p/<int:post_id>/edit",
        url=POST + "/edit",
        get=members(FORBIDDEN, member=OK),
        post=members(FORBIDDEN, member=OK),
    ),
    Rule(
        "c/<slug:slug>/p/<int:post_id>/delete",
        url=POST + "/delete",
        get=members(FORBIDDEN, member=OK),
        post=members(FORBIDDEN, member=OK),
    ),
    Rule(
        "c/<slug:slug>/p/<int:post_id>/history",
        url=POST + "/history",
        get=open_members(OK, carer=FORBIDDEN),
    ),
    Rule(
        "c/<slug:slug>/p/<int:post_id>/react",
        url=POST + "/react",
        get=POST_ONLY,
        post=members(OK),
    ),
    Rule(
        "c/<slug:slug>/p/<int:post_id>/reactions",
        url=POST + "/reactions",
        get=members(OK),
    ),
    Rule(
        "c/<slug:slug>/images/<int:image_id>",
        url=COMMUNITY + "/images/{discussion_image}",
        get=open_members(OK),
    ),
    Rule(
        "c/<slug:slug>/tags/",
        url=COMMUNITY + "/tags/",
        get=members(OK),
        post=members(OK),  # an empty name comes back with its error
    ),
    Rule(
        "c/<slug:slug>/tags/<slug:tag>/follow",
        url=COMMUNITY + "/tags/{discussion_tag}/follow",
        get=POST_ONLY,
        post=members(OK),
    ),
    Rule(
        "c/<slug:slug>/tags/<slug:tag>/delete",
        url=COMMUNITY + "/tags/{discussion_tag}/delete",
        get=POST_ONLY,
        post=members(OK, **only(MODERATORS, OK, FORBIDDEN)),
    ),
]

API_RULES: list[Rule] = [
    Rule(
        "api/v1/communities/<slug>/threads",
        url=API + "/threads",
        get=api_open_members(OK),
        post=api_members(CREATED),
        json={"title": "Matrix question", "body": "Does anyone else?"},
    ),
    Rule(
        "api/v1/communities/<slug>/threads/<thread_id>",
        url=API_THREAD,
        get=api_open_members(OK),
    ),
    Rule(
        "api/v1/communities/<slug>/threads/<thread_id>/posts",
        url=API_THREAD + "/posts",
        get=API_NOT_ALLOWED,
        post=api_members(CREATED),
        json={"body": "Me too."},
    ),
    Rule(
        "api/v1/communities/<slug>/threads/<thread_id>/subscription",
        url=API_THREAD + "/subscription",
        get=API_NOT_ALLOWED,
        put=api_members(OK),
        json={"level": "muted"},
    ),
    Rule(
        "api/v1/communities/<slug>/posts/<post_id>",
        url=API_POST,
        get=API_NOT_ALLOWED,
        patch=api_members(FORBIDDEN, member=OK),
        delete=api_members(FORBIDDEN, member=NO_CONTENT),
        json={"body": "Edited through the API."},
    ),
    Rule(  # nobody reacts to their own post: the moderator wrote this one
        "api/v1/communities/<slug>/posts/<post_id>/reactions/<kind>",
        url=API_REPLY + "/reactions/thank_you",
        get=API_NOT_ALLOWED,
        post=api_members(OK, moderator=BAD_REQUEST),
        delete=api_members(OK),
    ),
    Rule(
        "api/v1/communities/<slug>/posts/<post_id>/reactions",
        url=API_REPLY + "/reactions",
        get=api_members(OK),
    ),
    Rule(
        "api/v1/communities/<slug>/tags",
        url=API + "/tags",
        get=api_open_members(OK),
        post=api_members(FORBIDDEN, **only(MODERATORS, CREATED, FORBIDDEN)),
        json={"name": "Matrix new tag"},
    ),
    Rule(
        "api/v1/communities/<slug>/tags/<tag>",
        url=API + "/tags/{discussion_tag}",
        get=API_NOT_ALLOWED,
        delete=api_members(FORBIDDEN, **only(MODERATORS, NO_CONTENT, FORBIDDEN)),
    ),
    Rule(
        "api/v1/communities/<slug>/tags/<tag>/follow",
        url=API + "/tags/{discussion_tag}/follow",
        get=API_NOT_ALLOWED,
        put=api_members(OK),
        delete=api_members(OK),
    ),
]

RULES: list[Rule] = WEB_RULES + API_RULES


def world_values(users: dict[str, User]) -> dict[str, Any]:
    community = factories.make_community(
        users["organiser"],
        name="Matrix discussions",
        visibility=Community.Visibility.HIDDEN,
        join_policy=Community.JoinPolicy.INVITE,
        moderators=(users["moderator"],),
        members=(users["member"], users["carer"]),
    )
    tag = Tag.objects.create(community=community, name="Matrix sleep", slug="sleep")
    thread = services.start_thread(
        users["member"],
        community=community,
        title="Matrix pacing",
        body="What helps you pace?",
        tags=[tag],
    )
    reply = services.reply(
        users["moderator"],
        thread=thread,
        body="This chart helps me.",
        images=[Attachment(_picture(), "A pacing chart")],
    )
    return {
        "discussion_community": community.slug,
        "discussion_thread": thread.pk,
        "discussion_post": Post.objects.get(thread=thread, number=1).pk,
        "discussion_reply": reply.pk,
        "discussion_image": reply.images.get().pk,
        "discussion_tag": tag.slug,
    }


def _picture() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, format="PNG")
    return SimpleUploadedFile("chart.png", out.getvalue(), "image/png")
