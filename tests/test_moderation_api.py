"""The moderation API: flagging, the queue, acting on posts, threads and
members, the hold count and the log, with the website's rules."""

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.discussions import services as discussion_services
from kinwell.discussions.models import (
    DiscussionSettings,
    Flag,
    Post,
    Sanction,
    Thread,
)
from kinwell.discussions.moderation import sanctions, services
from tests import factories
from tests.helpers import assert_bounded_queries, assert_error, send

Clients = Callable[[User], Client]


@pytest.fixture
def thread(community: Community, organiser: User) -> Thread:
    return discussion_services.start_thread(
        organiser, community=community, title="Mornings", body="How are you?"
    )


def base(community: Community) -> str:
    return f"/communities/{community.slug}/moderation"


def test_member_flags_a_post(
    community: Community, thread: Thread, member: User, client_for: Clients
) -> None:
    post = thread.posts.get()
    response = send(
        client_for(member),
        "post",
        f"/communities/{community.slug}/posts/{post.pk}/flags",
        {"reason": "self_harm", "note": "Worried about them."},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["urgent"] is True
    assert body["status"] == "open"
    assert Flag.objects.get().reporter == member


def test_flag_refusals_have_the_error_shape(
    community: Community, thread: Thread, organiser: User, client_for: Clients
) -> None:
    path = f"/communities/{community.slug}/posts/{thread.posts.get().pk}/flags"
    own = send(client_for(organiser), "post", path, {"reason": "spam"})
    assert "own post" in assert_error(own, 400, "invalid")["message"]
    unknown = send(client_for(organiser), "post", path, {"reason": "dull"})
    assert_error(unknown, 422, "invalid")
    assert not Flag.objects.exists()


def test_flagging_too_often_gets_a_clear_429(
    community: Community, organiser: User, member: User, client_for: Clients
) -> None:
    client = client_for(member)
    for n in range(services.FLAGS_PER_PERIOD + 1):
        post = discussion_services.start_thread(
            organiser, community=community, title=f"T{n}", body="Hello"
        ).posts.get()
        response = send(
            client,
            "post",
            f"/communities/{community.slug}/posts/{post.pk}/flags",
            {"reason": "spam"},
        )
    error = assert_error(response, 429, "rate_limited")
    assert error["message"] == services.FLAG_LIMIT_MESSAGE
    assert int(response["Retry-After"]) > 0


def test_queue_lists_urgent_flags_first_for_moderators_only(
    community: Community,
    organiser: User,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    first, second = (
        discussion_services.start_thread(
            organiser, community=community, title=title, body="Hello"
        ).posts.get()
        for title in ("First", "Second")
    )
    services.flag_post(member, post=first, reason="spam")
    services.flag_post(member, post=second, reason="self_harm")
    response = send(client_for(moderator), "get", f"{base(community)}/flags")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["reason"] for item in items] == ["self_harm", "spam"]
    assert items[0]["post"]["thread_title"] == "Second"
    refused = send(client_for(member), "get", f"{base(community)}/flags")
    assert_error(refused, 403, "forbidden")


def test_held_posts_are_approved_through_the_api(
    community: Community,
    organiser: User,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    put = send(
        client_for(organiser),
        "put",
        f"{base(community)}/settings",
        {"hold_first_posts": 1},
    )
    assert put.json() == {"hold_first_posts": 1}
    post = discussion_services.start_thread(
        member, community=community, title="Hello all", body="I am new."
    ).posts.get()
    client = client_for(moderator)
    held = send(client, "get", f"{base(community)}/held").json()["items"]
    assert [item["id"] for item in held] == [post.pk]
    response = send(
        client, "post", f"{base(community)}/posts/{post.pk}", {"action": "approve"}
    )
    assert response.json()["status"] == "published"
    assert Thread.objects.get().status == Thread.Status.PUBLISHED


def test_only_organisers_change_the_hold_count(
    community: Community, moderator: User, client_for: Clients
) -> None:
    response = send(
        client_for(moderator),
        "put",
        f"{base(community)}/settings",
        {"hold_first_posts": 5},
    )
    assert_error(response, 403, "forbidden")
    assert not DiscussionSettings.objects.exists()


def test_hide_and_redact_through_the_api(
    community: Community,
    thread: Thread,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    post = thread.posts.get()
    services.flag_post(member, post=post, reason="personal_info")
    client = client_for(moderator)
    path = f"{base(community)}/posts/{post.pk}"
    no_reason = send(client, "post", path, {"action": "hide"})
    assert_error(no_reason, 400, "invalid")
    redacted = send(
        client, "post", path, {"action": "redact", "body": "How are [removed]?"}
    )
    assert redacted.json()["body"] == "How are [removed]?"
    assert Flag.objects.get().status == Flag.Status.ACTED_ON
    hidden = send(client, "post", path, {"action": "hide", "reason": "Off topic"})
    assert hidden.json()["status"] == "hidden"
    assert hidden.json()["hidden_reason"] == "Off topic"


def test_dismissing_a_flag(
    community: Community,
    thread: Thread,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    flag = services.flag_post(member, post=thread.posts.get(), reason="spam")
    response = send(
        client_for(moderator),
        "post",
        f"{base(community)}/flags/{flag.pk}/dismiss",
        {"reason": "Not spam", "signed": True},
    )
    assert response.json()["status"] == "dismissed"
    assert Post.objects.get().status == Post.Status.PUBLISHED


def test_thread_states_and_moves(
    community: Community,
    thread: Thread,
    organiser: User,
    moderator: User,
    client_for: Clients,
) -> None:
    client = client_for(moderator)
    path = f"{base(community)}/threads/{thread.pk}"
    locked = send(client, "post", path, {"action": "lock", "reason": "Heated"})
    assert locked.json()["is_locked"] is True
    again = send(client, "post", path, {"action": "lock"})
    assert "already locked" in assert_error(again, 400, "invalid")["message"]
    nowhere = send(client, "post", path, {"action": "move", "to": "nowhere"})
    assert_error(nowhere, 400, "invalid")
    assert Thread.objects.get().community == community


def test_sanctions_through_the_api(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    client = client_for(moderator)
    path = f"{base(community)}/sanctions"
    no_days = send(
        client,
        "post",
        path,
        {"user_id": member.pk, "kind": "suspension", "reason": "A pause"},
    )
    assert_error(no_days, 400, "invalid")
    made = send(
        client,
        "post",
        path,
        {"user_id": member.pk, "kind": "suspension", "days": 2, "reason": "A pause"},
    )
    assert made.status_code == 201
    assert made.json()["in_force"] is True
    listed = send(client, "get", path).json()["items"]
    assert [item["kind"] for item in listed] == ["suspension"]
    lifted = send(client, "post", f"{path}/{made.json()['id']}/lift", {})
    assert lifted.json()["in_force"] is False
    assert not Sanction.objects.get().is_in_force


def test_log_is_public_for_a_public_community_and_never_names_the_member(
    community: Community,
    thread: Thread,
    member: User,
    moderator: User,
    visitor_client: Client,
) -> None:
    services.set_thread_state(
        moderator, thread=thread, state="pin", reason="Welcome", signed=True
    )
    sanctions.warn_member(
        moderator, community=community, member=member, reason="Be kind"
    )
    response = send(visitor_client, "get", f"{base(community)}/log")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    warn, pin = body["items"]
    assert (warn["action"], warn["moderator"], warn["thread_id"]) == (
        "warn",
        "A moderator",
        None,
    )
    assert (pin["moderator"], pin["thread_title"]) == (
        moderator.public_name,
        "Mornings",
    )
    assert member.public_name not in response.content.decode()


def test_log_of_a_members_only_community_is_for_members(
    organiser: User, outsider: User, client_for: Clients, visitor_client: Client
) -> None:
    community = factories.make_community(organiser, visibility="members")
    path = f"{base(community)}/log"
    assert_error(send(client_for(outsider), "get", path), 403, "forbidden")
    assert_error(send(visitor_client, "get", path), 403, "forbidden")
    assert send(client_for(organiser), "get", path).status_code == 200


def test_log_takes_a_bounded_number_of_queries(
    community: Community, organiser: User, moderator: User, visitor_client: Client
) -> None:
    def add_rows(count: int) -> None:
        for n in range(count):
            cache.clear()  # the rate limits are not what this test is about
            made = discussion_services.start_thread(
                moderator, community=community, title=f"T{n}", body="Hi"
            )
            services.set_thread_state(moderator, thread=made, state="lock")

    def fetch() -> None:
        send(visitor_client, "get", f"{base(community)}/log?limit=100")

    assert_bounded_queries(fetch, add_rows, max_queries=12)
