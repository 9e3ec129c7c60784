"""Access rules for moderation (see tests/access_matrix.py).

The matrix asks about a members-only community of the organiser, moderator,
member and carer: a thread by the organiser with a reply by the organiser,
an open flag by the member on the opening post, and a suspension of the
carer. Everyone else signed in is an outsider who may know the community
exists: 403 on its pages, 404 for its posts (they may not read them).
Moderator pages need the organiser or a moderator, with two-factor
authentication; the hold count is for organisers. (Public communities' logs
for visitors, and hidden communities' 404s: tests/test_moderation.py.)"""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.discussions import services as discussion_services
from kinwell.discussions.moderation import sanctions, services
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


def members(
    outcome: Outcome, *, others: Outcome = FORBIDDEN, **more: Outcome
) -> Answers:
    return signed_in(others, **given(MEMBERS, outcome, **more))


def moderators(outcome: Outcome, **more: Outcome) -> Answers:
    return signed_in(FORBIDDEN, **given(MODERATORS, outcome, **more))


def api_moderators(outcome: Outcome, **more: Outcome) -> Answers:
    return api(FORBIDDEN, **given(MODERATORS, outcome, **more))


POST_ONLY = signed_in(NOT_ALLOWED)
API_POST_ONLY = everyone(NOT_ALLOWED)
BASE = "/c/{mod_community}/moderation"
API_BASE = "/api/v1/communities/{mod_community}/moderation"
API_ROUTE = "api/v1/communities/<slug>/moderation"

RULES: list[Rule] = [
    Rule("c/<slug:slug>/moderation/", url=BASE + "/", get=moderators(OK)),
    Rule(
        "c/<slug:slug>/moderation/log/",
        url=BASE + "/log/",
        get=members(OK, anonymous=FORBIDDEN),
    ),
    Rule(
        "c/<slug:slug>/moderation/sanctions/",
        url=BASE + "/sanctions/",
        get=moderators(OK),
        post=moderators(OK),
    ),
    Rule(
        "c/<slug:slug>/moderation/sanctions/<int:sanction_id>/lift",
        url=BASE + "/sanctions/{mod_sanction}/lift",
        get=POST_ONLY,
        post=moderators(OK),
    ),
    Rule(
        "c/<slug:slug>/moderation/settings/",
        url=BASE + "/settings/",
        get=moderators(FORBIDDEN, organiser=OK),
        post=moderators(FORBIDDEN, organiser=OK),
    ),
    Rule(
        "c/<slug:slug>/moderation/posts/<int:post_id>/",
        url=BASE + "/posts/{mod_post}/",
        get=moderators(OK),
        post=moderators(OK),
    ),
    Rule(
        "c/<slug:slug>/moderation/posts/<int:post_id>/flag",
        url=BASE + "/posts/{mod_reply}/flag",
        get=members(OK, others=NOT_FOUND),
        post=members(OK, others=NOT_FOUND),
    ),
    Rule(
        "c/<slug:slug>/moderation/posts/<int:post_id>/redact",
        url=BASE + "/posts/{mod_post}/redact",
        get=moderators(OK),
        post=moderators(OK),
    ),
    Rule(
        "c/<slug:slug>/moderation/flags/<int:flag_id>/dismiss",
        url=BASE + "/flags/{mod_flag}/dismiss",
        get=POST_ONLY,
        post=moderators(OK),
    ),
    Rule(
        "c/<slug:slug>/moderation/threads/<int:thread_id>/state",
        url=BASE + "/threads/{mod_thread}/state",
        get=POST_ONLY,
        post=moderators(OK),
    ),
    Rule(
        "c/<slug:slug>/moderation/threads/<int:thread_id>/move",
        url=BASE + "/threads/{mod_thread}/move",
        get=moderators(OK),
        post=moderators(OK),
    ),
    # The API ---------------------------------------------------------------
    Rule(
        "api/v1/communities/<slug>/posts/<post_id>/flags",
        url="/api/v1/communities/{mod_community}/posts/{mod_reply}/flags",
        get=API_POST_ONLY,
        # The organiser wrote the post: nobody flags their own.
        post=api(
            NOT_FOUND,
            **{**dict.fromkeys(MEMBERS, status(201)), "organiser": BAD_REQUEST},
        ),
        json={"reason": "spam"},
    ),
    Rule(
        f"{API_ROUTE}/log",
        url=API_BASE + "/log",
        get=api(FORBIDDEN, anonymous=FORBIDDEN, **dict.fromkeys(MEMBERS, OK)),
    ),
    Rule(f"{API_ROUTE}/flags", url=API_BASE + "/flags", get=api_moderators(OK)),
    Rule(f"{API_ROUTE}/held", url=API_BASE + "/held", get=api_moderators(OK)),
    Rule(
        f"{API_ROUTE}/flags/<flag_id>/dismiss",
        url=API_BASE + "/flags/{mod_flag}/dismiss",
        get=API_POST_ONLY,
        post=api_moderators(OK),
    ),
    Rule(
        f"{API_ROUTE}/posts/<post_id>",
        url=API_BASE + "/posts/{mod_post}",
        get=API_POST_ONLY,
        post=api_moderators(OK),
        json={"action": "hide", "reason": "Off topic"},
    ),
    Rule(
        f"{API_ROUTE}/threads/<thread_id>",
        url=API_BASE + "/threads/{mod_thread}",
        get=API_POST_ONLY,
        post=api_moderators(OK),
        json={"action": "pin"},
    ),
    Rule(
        f"{API_ROUTE}/sanctions",
        url=API_BASE + "/sanctions",
        get=api_moderators(OK),
        # The body cannot name a member of the world; moderators get as far as
        # looking the account up among the members (tests/test_moderation_api.py
        # sanctions real ones).
        post=api_moderators(NOT_FOUND),
        json={"user_id": 2**62, "kind": "warning", "reason": "Be kind."},
    ),
    Rule(
        f"{API_ROUTE}/sanctions/<sanction_id>/lift",
        url=API_BASE + "/sanctions/{mod_sanction}/lift",
        get=API_POST_ONLY,
        post=api_moderators(OK),
    ),
    Rule(
        f"{API_ROUTE}/settings",
        url=API_BASE + "/settings",
        get=api_moderators(OK),
        put=api_moderators(FORBIDDEN, organiser=OK),
        json={"hold_first_posts": 2},
    ),
]


def world_values(users: dict[str, User]) -> dict[str, Any]:
    organiser = users["organiser"]
    community = factories.make_community(
        organiser,
        name="Matrix moderation community",
        visibility=Community.Visibility.MEMBERS_ONLY,
        moderators=(users["moderator"],),
        members=(users["member"], users["carer"]),
    )
    thread = discussion_services.start_thread(
        organiser, community=community, title="Welcome", body="Say hello."
    )
    opening = thread.posts.get(number=1)
    reply = discussion_services.reply(organiser, thread=thread, body="And welcome.")
    flag = services.flag_post(users["member"], post=opening, reason="other")
    sanction = sanctions.suspend_member(
        organiser,
        community=community,
        member=users["carer"],
        until=timezone.now() + timedelta(days=2),
        reason="A pause.",
    )
    return {
        "mod_community": community.slug,
        "mod_thread": thread.pk,
        "mod_post": opening.pk,
        "mod_reply": reply.pk,
        "mod_flag": flag.pk,
        "mod_sanction": sanction.pk,
    }
