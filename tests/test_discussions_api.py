"""The discussions API, through HTTP, as each persona."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from kinwell.accounts.models import Delegation, Persona, User
from kinwell.communities import services as community_services
from kinwell.communities.models import Community, Membership
from kinwell.discussions import services
from kinwell.discussions.models import (
    DiscussionSettings,
    Post,
    Reaction,
    Tag,
    TagFollow,
    Thread,
    ThreadSubscription,
)
from kinwell.discussions.pages import POSTS_PER_PAGE
from tests import factories
from tests.helpers import assert_bounded_queries, assert_error, send

ClientFor = Callable[[User], Client]


def threads_path(community: Community) -> str:
    return f"/communities/{community.slug}/threads"


def thread_path(thread: Thread) -> str:
    return f"/communities/{thread.community.slug}/threads/{thread.pk}"


def post_path(post: Post) -> str:
    return f"/communities/{post.community.slug}/posts/{post.pk}"


def start(author: User, community: Community, **fields: Any) -> Thread:
    fields = {"title": "Pacing tips", "body": "What helps you pace?", **fields}
    return services.start_thread(author, community=community, **fields)


def opening(thread: Thread) -> Post:
    return Post.objects.get(thread=thread, number=1)


def anonymous_persona(user: User) -> Persona:
    return Persona.objects.get(user=user, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL)


def members_only(organiser: User, *members: User) -> Community:
    return factories.make_community(
        organiser, visibility=Community.Visibility.MEMBERS_ONLY, members=members
    )


# Threads -------------------------------------------------------------------


def test_member_starts_a_thread_and_everyone_reads_it(
    community: Community, member: User, client_for: ClientFor
) -> None:
    Tag.objects.create(community=community, name="Sleep", slug="sleep")
    response = send(
        client_for(member),
        "post",
        threads_path(community),
        {
            "title": "  Sleep   and pacing ",
            "body": "**Bold** and <script>alert(1)</script>",
            "content_warning": "mentions insomnia",
            "tags": ["sleep"],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["title"] == "Sleep and pacing"
    assert created["tags"] == ["sleep"]
    assert created["post_count"] == 1
    assert created["status"] == "published"

    listed = send(Client(), "get", threads_path(community)).json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == created["id"]
    assert listed["items"][0]["content_warning"] == "mentions insomnia"

    page = send(Client(), "get", f"{threads_path(community)}/{created['id']}").json()
    assert (page["page"], page["page_count"], page["can_reply"]) == (1, 1, False)
    first = page["posts"][0]
    assert first["number"] == 1
    assert first["author"] == member.public_name
    assert first["persona"]["kind"] == "personal"
    assert first["body"].startswith("**Bold**")
    assert "<strong>Bold</strong>" in first["body_html"]
    assert "<script" not in first["body_html"]
    assert first["written_by"] is None


def test_thread_list_filters_by_tag(
    community: Community, member: User, client_for: ClientFor
) -> None:
    sleep = Tag.objects.create(community=community, name="Sleep", slug="sleep")
    tagged = start(member, community, tags=[sleep])
    start(member, community, title="Untagged")
    listed = send(client_for(member), "get", threads_path(community) + "?tag=sleep")
    assert [item["id"] for item in listed.json()["items"]] == [tagged.pk]
    bad = send(client_for(member), "get", threads_path(community) + "?tag=no%20way")
    assert_error(bad, 422, "invalid")


def test_outsiders_of_a_hidden_community_get_404_everywhere(
    hidden_community: Community, member: User, outsider: User, client_for: ClientFor
) -> None:
    thread = start(member, hidden_community)
    post = opening(thread)
    for client in (Client(), client_for(outsider)):
        for method, path, body in [
            ("get", threads_path(hidden_community), None),
            ("get", thread_path(thread), None),
            ("get", f"/communities/{hidden_community.slug}/tags", None),
        ]:
            assert_error(send(client, method, path, body), 404, "not_found")
    outside = client_for(outsider)
    for method, path, body in [
        ("post", threads_path(hidden_community), {"title": "x", "body": "y"}),
        ("post", thread_path(thread) + "/posts", {"body": "Hello"}),
        ("patch", post_path(post), {"body": "Changed"}),
        ("delete", post_path(post), None),
        ("post", post_path(post) + "/reactions/me_too", None),
        ("get", post_path(post) + "/reactions", None),
        ("put", thread_path(thread) + "/subscription", {"level": "watching"}),
    ]:
        assert_error(send(outside, method, path, body), 404, "not_found")
    assert Post.objects.filter(thread=thread).count() == 1
    assert not Reaction.objects.exists()
    assert not ThreadSubscription.objects.filter(user=outsider).exists()


def test_outsiders_of_a_members_only_community_read_no_thread(
    organiser: User, member: User, outsider: User, client_for: ClientFor
) -> None:
    closed = members_only(organiser, member)
    thread = start(member, closed)
    outside = client_for(outsider)
    # They may know the community exists (403), never its threads (404).
    assert_error(send(outside, "get", threads_path(closed)), 403, "forbidden")
    assert_error(send(Client(), "get", threads_path(closed)), 403, "forbidden")
    assert_error(send(outside, "get", thread_path(thread)), 404, "not_found")
    assert_error(send(Client(), "get", thread_path(thread)), 404, "not_found")
    reply = send(outside, "post", thread_path(thread) + "/posts", {"body": "Hi"})
    assert_error(reply, 404, "not_found")
    assert send(client_for(member), "get", thread_path(thread)).status_code == 200


def test_members_audience_thread_is_invisible_to_non_members(
    community: Community, member: User, outsider: User, client_for: ClientFor
) -> None:
    private = start(member, community, title="Just us", audience="members")
    public = start(member, community, title="Everyone")
    for client in (Client(), client_for(outsider)):
        listed = send(client, "get", threads_path(community)).json()
        assert [item["id"] for item in listed["items"]] == [public.pk]
        assert_error(send(client, "get", thread_path(private)), 404, "not_found")
        reactions = send(client, "get", post_path(opening(private)) + "/reactions")
        assert reactions.status_code in (401, 404)
    listed = send(client_for(member), "get", threads_path(community)).json()
    assert {item["id"] for item in listed["items"]} == {private.pk, public.pk}


def test_non_members_may_not_start_threads_or_reply(
    community: Community, member: User, outsider: User, client_for: ClientFor
) -> None:
    thread = start(member, community)
    outside = client_for(outsider)
    new = send(outside, "post", threads_path(community), {"title": "a", "body": "b"})
    assert_error(new, 403, "forbidden")
    reply = send(outside, "post", thread_path(thread) + "/posts", {"body": "Hi"})
    assert_error(reply, 403, "forbidden")
    anonymous = send(Client(), "post", threads_path(community), {"title": "a"})
    assert_error(anonymous, 401, "unauthenticated")
    assert Thread.objects.count() == 1
    assert Post.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": "", "body": "Text"}, 422, "title"),
        ({"title": "Title", "body": ""}, 422, "body"),
        ({"title": "Title", "body": "x" * 20001}, 422, "body"),
        ({"title": "Title", "body": "Text", "audience": "friends"}, 422, "audience"),
        ({"title": "Title", "body": "Text", "tags": ["unknown"]}, 400, "tags"),
        ({"title": "Title", "body": "Text", "persona": "nobodys"}, 400, "persona"),
        ({"title": "Title", "body": "Text", "on_behalf_of": 999}, 400, "on_behalf_of"),
        ({"title": "   ", "body": "Text"}, 400, "title"),
        ({"title": "Title", "body": "Text", "colour": "red"}, 422, "colour"),
    ],
)
def test_bad_threads_change_nothing(
    community: Community,
    member: User,
    client_for: ClientFor,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = send(client_for(member), "post", threads_path(community), body)
    error = assert_error(response, status, "invalid")
    assert field in error["fields"]
    assert not Thread.objects.exists()
    assert not Post.objects.exists()


def test_another_persons_persona_cannot_be_used(
    community: Community, member: User, clinician: User, client_for: ClientFor
) -> None:
    theirs = anonymous_persona(clinician).public_id
    body = {"title": "Borrowed", "body": "Text", "persona": theirs}
    response = send(client_for(member), "post", threads_path(community), body)
    assert_error(response, 400, "invalid")
    assert not Thread.objects.exists()


# Posts ---------------------------------------------------------------------


def test_reply_edit_and_delete(
    community: Community, member: User, moderator: User, client_for: ClientFor
) -> None:
    thread = start(member, community)
    client = client_for(moderator)
    response = send(
        client,
        "post",
        thread_path(thread) + "/posts",
        {"body": "Try", "in_reply_to": 1},
    )
    assert response.status_code == 201, response.content
    reply = response.json()
    assert (reply["number"], reply["in_reply_to"]) == (2, 1)
    post = Post.objects.get(pk=reply["id"])

    edited = send(client, "patch", post_path(post), {"body": "Try *this*"})
    assert edited.status_code == 200, edited.content
    assert "<em>this</em>" in edited.json()["body_html"]
    assert edited.json()["edited_at"] is not None
    not_theirs = send(client_for(member), "patch", post_path(post), {"body": "Mine"})
    assert_error(not_theirs, 403, "forbidden")

    assert_error(send(client_for(member), "delete", post_path(post)), 403, "forbidden")
    assert send(client, "delete", post_path(post)).status_code == 204
    page = send(client_for(member), "get", thread_path(thread)).json()
    gone = page["posts"][1]
    assert gone["status"] == "deleted"
    assert (
        gone["body"] is gone["body_html"] is gone["author"] is gone["persona"] is None
    )


def test_bad_replies_change_nothing(
    community: Community, member: User, client_for: ClientFor
) -> None:
    thread = start(member, community)
    client = client_for(member)
    path = thread_path(thread) + "/posts"
    assert_error(send(client, "post", path, {"body": ""}), 422, "invalid")
    error = assert_error(
        send(client, "post", path, {"body": "Hi", "in_reply_to": 7}), 400, "invalid"
    )
    assert "in_reply_to" in error["fields"]
    assert_error(
        send(client, "post", path, {"body": "Hi", "images": []}), 422, "invalid"
    )
    assert Post.objects.count() == 1
    thread.refresh_from_db()
    assert thread.post_count == 1


def test_opening_post_edit_changes_the_title(
    community: Community, member: User, client_for: ClientFor
) -> None:
    thread = start(member, community)
    response = send(
        client_for(member),
        "patch",
        post_path(opening(thread)),
        {"body": "Better words", "title": "Better title"},
    )
    assert response.status_code == 200, response.content
    thread.refresh_from_db()
    assert thread.title == "Better title"


def test_posting_too_fast_is_429_in_the_error_shape(
    community: Community, member: User, client_for: ClientFor
) -> None:
    thread = start(member, community)  # one post counts towards the limit
    client = client_for(member)
    path = thread_path(thread) + "/posts"
    for number in range(services.POSTS_PER_TEN_MINUTES - 1):
        response = send(client, "post", path, {"body": f"Reply {number}"})
        assert response.status_code == 201, response.content
    refused = send(client, "post", path, {"body": "One too many"})
    assert_error(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) > 0
    assert Post.objects.count() == services.POSTS_PER_TEN_MINUTES


def test_held_posts_are_seen_by_their_author_only(
    community: Community,
    member: User,
    organiser: User,
    outsider: User,
    client_for: ClientFor,
) -> None:
    DiscussionSettings.objects.create(community=community, hold_first_posts=1)
    thread = start(organiser, community)
    response = send(
        client_for(member), "post", thread_path(thread) + "/posts", {"body": "Hi"}
    )
    assert response.json()["status"] == "held"
    mine = send(client_for(member), "get", thread_path(thread)).json()
    assert [post["status"] for post in mine["posts"]] == ["published", "held"]
    theirs = send(client_for(outsider), "get", thread_path(thread)).json()
    assert [post["number"] for post in theirs["posts"]] == [1]


# Who is speaking -------------------------------------------------------------


def test_anonymous_persona_never_reveals_the_account(
    community: Community, clinician: User, member: User, client_for: ClientFor
) -> None:
    Membership.objects.create(community=community, user=clinician)
    persona = anonymous_persona(clinician)
    response = send(
        client_for(clinician),
        "post",
        threads_path(community),
        {"title": "Ask a nurse", "body": "Ask away.", "persona": persona.public_id},
    )
    assert response.status_code == 201, response.content
    thread = Thread.objects.get(pk=response.json()["id"])
    services.toggle_reaction(member, post=opening(thread), kind="helpful")
    answers = [
        response,
        send(client_for(member), "get", thread_path(thread)),
        send(Client(), "get", thread_path(thread)),
        send(Client(), "get", threads_path(community)),
    ]
    for answer in answers:
        text = answer.content.decode()
        assert clinician.display_name not in text
        assert clinician.email not in text
        assert '"user_id"' not in text
        assert '"author_id"' not in text
        assert '"email"' not in text
    post = answers[1].json()["posts"][0]
    assert post["author"] == persona.badge
    assert post["persona"] == {
        "public_id": persona.public_id,
        "kind": "anonymous",
        "label": persona.badge,
        "badge": persona.badge,
    }
    assert set(post) == {
        "id",
        "number",
        "status",
        "author",
        "persona",
        "written_by",
        "body",
        "body_html",
        "in_reply_to",
        "images",
        "reactions",
        "my_reactions",
        "created_at",
        "edited_at",
    }


def test_carer_posts_for_the_member(
    community: Community, member: User, carer: User, client_for: ClientFor
) -> None:
    thread = start(member, community)
    delegation = Delegation.objects.get(member=member, carer=carer)
    response = send(
        client_for(carer),
        "post",
        thread_path(thread) + "/posts",
        {"body": "Written for Mo", "on_behalf_of": delegation.pk},
    )
    assert response.status_code == 201, response.content
    reply = response.json()
    assert reply["author"] == member.public_name
    assert reply["written_by"] == carer.public_name
    assert Post.objects.get(pk=reply["id"]).author == member


def test_posts_of_people_who_left_show_a_former_member(
    community: Community, member: User, organiser: User, client_for: ClientFor
) -> None:
    thread = start(member, community)
    community_services.leave_community(member, community=community, keep_posts=True)
    post = send(client_for(organiser), "get", thread_path(thread)).json()["posts"][0]
    assert post["author"] == "a former member"
    assert post["persona"] is None
    assert member.public_name not in json.dumps(post)
    assert post["body"] == "What helps you pace?"


# The thread page ---------------------------------------------------------------


def test_thread_pages_are_the_websites_pages(
    community: Community, member: User, moderator: User, client_for: ClientFor
) -> None:
    thread = start(member, community)
    for number in range(POSTS_PER_PAGE + 2):
        cache.clear()  # the posting rate limit is not under test here
        services.reply(moderator, thread=thread, body=f"Reply {number}")
    client = client_for(member)
    first = send(client, "get", thread_path(thread)).json()
    assert first["page_count"] == 2
    assert [p["number"] for p in first["posts"]] == list(range(1, POSTS_PER_PAGE + 1))
    second = send(client, "get", thread_path(thread) + "?page=2").json()
    assert [p["number"] for p in second["posts"]] == [21, 22, 23]
    beyond = send(client, "get", thread_path(thread) + "?page=99").json()
    assert beyond["page"] == 2
    assert_error(send(client, "get", thread_path(thread) + "?page=0"), 422, "invalid")


def test_thread_page_runs_a_fixed_number_of_queries(
    community: Community,
    member: User,
    carer: User,
    clinician: User,
    moderator: User,
    client_for: ClientFor,
) -> None:
    Membership.objects.create(community=community, user=clinician)
    thread = start(moderator, community)
    delegation = Delegation.objects.get(member=member, carer=carer)
    anonymous = anonymous_persona(clinician)
    client = client_for(member)

    def add_posts(count: int) -> None:
        for number in range(count):
            cache.clear()  # the posting rate limit is not under test here
            writer = [clinician, carer, moderator][number % 3]
            post = services.reply(
                writer,
                thread=thread,
                body=f"Post **{number}**",
                persona=anonymous if writer == clinician else None,
                on_behalf_of=delegation if writer == carer else None,
                in_reply_to=opening(thread),
            )
            if post.author != member:
                services.toggle_reaction(member, post=post, kind="thank_you")
            services.toggle_reaction(organiser_of(community), post=post, kind="me_too")
        # Both counts are of a page the member has read to its end, as the
        # website's are: seeing new posts adds the one query that marks them.
        grown = Thread.objects.get(pk=thread.pk)
        services.mark_read(member, thread=grown, up_to=grown.post_count)

    assert_bounded_queries(
        lambda: send(client, "get", thread_path(thread)), add_posts, max_queries=22
    )


def organiser_of(community: Community) -> User:
    return Membership.objects.get(community=community, role="organiser").user


# Reactions -----------------------------------------------------------------


def test_reactions_add_and_remove_idempotently(
    community: Community, member: User, moderator: User, client_for: ClientFor
) -> None:
    post = opening(start(moderator, community))
    client = client_for(member)
    path = post_path(post) + "/reactions/strength"
    for _ in range(2):
        added = send(client, "post", path)
        assert added.status_code == 200, added.content
        assert added.json() == {
            "reactions": {"strength": 1},
            "my_reactions": ["strength"],
        }
    assert Reaction.objects.count() == 1
    for _ in range(2):
        removed = send(client, "delete", path)
        assert removed.json() == {"reactions": {}, "my_reactions": []}
    assert not Reaction.objects.exists()
    assert_error(
        send(client, "post", post_path(post) + "/reactions/love"), 422, "invalid"
    )


def test_no_reacting_to_your_own_post_or_as_an_outsider(
    community: Community, member: User, outsider: User, client_for: ClientFor
) -> None:
    post = opening(start(member, community))
    path = post_path(post) + "/reactions/me_too"
    assert_error(send(client_for(member), "post", path), 400, "invalid")
    assert_error(send(client_for(outsider), "post", path), 403, "forbidden")
    assert not Reaction.objects.exists()


def test_who_reacted_is_for_members(
    community: Community,
    member: User,
    moderator: User,
    outsider: User,
    client_for: ClientFor,
) -> None:
    post = opening(start(moderator, community))
    services.toggle_reaction(member, post=post, kind="helpful")
    path = post_path(post) + "/reactions"
    listed = send(client_for(moderator), "get", path).json()
    assert listed == {
        "items": [{"kind": "helpful", "name": member.public_name}],
        "count": 1,
    }
    assert_error(send(client_for(outsider), "get", path), 403, "forbidden")
    assert_error(send(Client(), "get", path), 401, "unauthenticated")
    page = send(client_for(member), "get", thread_path(post.thread)).json()
    assert page["posts"][0]["reactions"] == {"helpful": 1}
    assert page["posts"][0]["my_reactions"] == ["helpful"]


def test_imported_reactions_name_nobody(
    community: Community, moderator: User, client_for: ClientFor
) -> None:
    post = opening(start(moderator, community))
    # An imported archive counts reactions without saying whose.
    Reaction.objects.create(post=post, community=community, user=None, kind="me_too")
    listed = send(client_for(moderator), "get", post_path(post) + "/reactions")
    assert listed.json()["items"] == [
        {"kind": "me_too", "name": "Someone in the community this was imported from"}
    ]


# Watching and tags -------------------------------------------------------------


def test_watch_mute_and_back_to_the_default(
    community: Community, member: User, moderator: User, client_for: ClientFor
) -> None:
    thread = start(moderator, community)
    client = client_for(member)
    path = thread_path(thread) + "/subscription"
    for level in ("muted", "watching", None):
        response = send(client, "put", path, {"level": level})
        assert response.json() == {"level": level}
        assert send(client, "get", thread_path(thread)).json()["subscription"] == level
    assert_error(send(client, "put", path, {"level": "loud"}), 422, "invalid")
    assert_error(send(client, "put", path, {}), 422, "invalid")
    assert not ThreadSubscription.objects.filter(user=member).exists()


def test_moderators_make_tags_and_members_follow_them(
    community: Community, member: User, moderator: User, client_for: ClientFor
) -> None:
    path = f"/communities/{community.slug}/tags"
    made = send(client_for(moderator), "post", path, {"name": "Fatigue  Diary"})
    assert made.status_code == 201, made.content
    assert made.json() == {
        "slug": "fatigue-diary",
        "name": "Fatigue Diary",
        "following": False,
    }
    again = send(client_for(moderator), "post", path, {"name": "Fatigue diary"})
    assert_error(again, 400, "invalid")
    refused = send(client_for(member), "post", path, {"name": "Mine"})
    assert_error(refused, 403, "forbidden")
    assert Tag.objects.count() == 1

    client = client_for(member)
    followed = send(client, "put", f"{path}/fatigue-diary/follow")
    assert followed.json()["following"] is True
    assert send(client, "get", path).json()["items"][0]["following"] is True
    assert send(Client(), "get", path).json()["items"][0]["following"] is False
    assert send(client, "delete", f"{path}/fatigue-diary/follow").status_code == 200
    assert not TagFollow.objects.exists()
    assert_error(send(client, "put", f"{path}/nothing/follow"), 404, "not_found")

    assert_error(send(client, "delete", f"{path}/fatigue-diary"), 403, "forbidden")
    assert (
        send(client_for(moderator), "delete", f"{path}/fatigue-diary").status_code
        == 204
    )
    assert not Tag.objects.exists()
