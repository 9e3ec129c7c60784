"""The notifications API, through HTTP: the list, marking read, and the
per-community settings, with the same rules as the website."""

from collections.abc import Callable

from django.test import Client

from kinwell.accounts.models import User
from kinwell.communities.models import Community, Membership
from kinwell.discussions import services as discussions
from kinwell.discussions.models import Post, Thread
from kinwell.notifications import services
from kinwell.notifications.models import Notification, NotificationSettings
from tests import factories
from tests.helpers import assert_bounded_queries, assert_error, send

ClientFor = Callable[[User], Client]


def thread_with_replies(community: Community, author: User, count: int) -> Thread:
    """A thread by `author` with `count` replies by someone else, each told."""
    thread = discussions.start_thread(
        author, community=community, title="Pacing", body="Tips?"
    )
    add_replies(thread, count)
    return thread


def add_replies(thread: Thread, count: int) -> None:
    replier = factories.make_user()
    Membership.objects.create(community=thread.community, user=replier)
    for _ in range(count):
        post = Post.objects.create(
            community=thread.community,
            thread=thread,
            number=thread.post_count + 1,
            author=replier,
            body="My private words",
            body_html="<p>My private words</p>",
        )
        thread.post_count += 1
        thread.save(update_fields=["post_count"])
        services.notify_about_post(post.pk)


def test_list_is_newest_first_and_never_carries_the_post_text(
    community: Community, organiser: User, client_for: ClientFor
) -> None:
    thread = thread_with_replies(community, organiser, 2)

    response = send(client_for(organiser), "get", "/me/notifications")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = body["items"][0]
    assert first["post_id"] > body["items"][1]["post_id"]
    assert first["reason"] == "thread_reply"
    assert first["thread_title"] == "Pacing"
    assert first["community_slug"] == community.slug
    assert first["post_url"] == f"/c/{community.slug}/p/{first['post_id']}/"
    assert first["read"] is False
    assert "private" not in response.content.decode()
    assert thread.pk == first["thread_id"]


def test_list_of_unread_only(
    community: Community, organiser: User, client_for: ClientFor
) -> None:
    thread_with_replies(community, organiser, 3)
    client = client_for(organiser)
    oldest = Notification.objects.order_by("pk").first()
    assert oldest is not None

    send(client, "post", "/me/notifications/read", {"ids": [oldest.pk]})

    body = send(client, "get", "/me/notifications?unread=true").json()
    assert body["count"] == 2
    assert oldest.pk not in [item["id"] for item in body["items"]]


def test_list_runs_bounded_queries(
    community: Community, organiser: User, client_for: ClientFor
) -> None:
    client = client_for(organiser)
    thread = thread_with_replies(community, organiser, 0)

    assert_bounded_queries(
        lambda: send(client, "get", "/me/notifications"),
        lambda rows: add_replies(thread, rows),
        max_queries=10,  # the session (7), the count and the page
    )


def test_mark_read_some_then_all_and_never_anyone_elses(
    community: Community, organiser: User, member: User, client_for: ClientFor
) -> None:
    thread_with_replies(community, organiser, 3)
    thread_with_replies(community, member, 1)
    mine = list(
        Notification.objects.filter(user=organiser).values_list("pk", flat=True)
    )
    theirs = Notification.objects.get(user=member)
    client = client_for(organiser)

    some = send(client, "post", "/me/notifications/read", {"ids": [mine[0], theirs.pk]})
    rest = send(client, "post", "/me/notifications/read", {})

    assert some.json() == {"marked": 1, "unread": 2}
    assert rest.json() == {"marked": 2, "unread": 0}
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_mark_read_refuses_bad_input(
    organiser: User, client_for: ClientFor, db: None
) -> None:
    client = client_for(organiser)

    assert_error(
        send(client, "post", "/me/notifications/read", {"ids": "all"}), 422, "invalid"
    )
    assert_error(
        send(client, "post", "/me/notifications/read", {"ids": [0]}), 422, "invalid"
    )
    assert_error(
        send(client, "post", "/me/notifications/read", {"ids": list(range(1, 200))}),
        422,
        "invalid",
    )


def test_settings_list_and_update(
    community: Community,
    hidden_community: Community,
    member: User,
    client_for: ClientFor,
) -> None:
    client = client_for(member)

    listed = send(client, "get", "/me/notification-settings").json()["items"]
    changed = send(
        client,
        "put",
        f"/me/notification-settings/{community.slug}",
        {"email_replies": False, "digest": True, "watch_community": True},
    )

    assert {item["community_slug"] for item in listed} == {
        community.slug,
        hidden_community.slug,
    }
    assert all(item["email_replies"] and item["digest"] for item in listed)
    assert changed.status_code == 200
    assert changed.json()["watch_community"] is True
    saved = NotificationSettings.objects.get(user=member, community=community)
    assert (saved.email_replies, saved.digest, saved.watch_community) == (
        False,
        True,
        True,
    )


def test_settings_of_a_community_you_are_not_in(
    community: Community,
    hidden_community: Community,
    outsider: User,
    client_for: ClientFor,
) -> None:
    client = client_for(outsider)
    body = {"email_replies": False, "digest": False, "watch_community": True}

    assert_error(
        send(client, "put", f"/me/notification-settings/{community.slug}", body),
        403,
        "forbidden",
    )
    assert_error(
        send(client, "put", f"/me/notification-settings/{hidden_community.slug}", body),
        404,
        "not_found",
    )
    assert not NotificationSettings.objects.exists()


def test_settings_need_every_choice_as_a_boolean(
    community: Community, member: User, client_for: ClientFor
) -> None:
    response = send(
        client_for(member),
        "put",
        f"/me/notification-settings/{community.slug}",
        {"email_replies": 0, "digest": True},
    )

    assert_error(response, 422, "invalid")
    assert not NotificationSettings.objects.exists()


def test_visitors_get_401(db: None) -> None:
    assert_error(send(Client(), "get", "/me/notifications"), 401, "unauthenticated")
    assert_error(
        send(Client(), "post", "/me/notifications/read", {}), 401, "unauthenticated"
    )
