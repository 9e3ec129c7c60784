"""GET /api/v1/search: the search page's query, as JSON, for whatever the
caller may read."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kinwell.accounts import services as account_services
from kinwell.accounts.models import Persona, User
from kinwell.communities.models import Community, Membership
from kinwell.discussions import services
from kinwell.discussions.moderation import services as moderation
from kinwell.lib import ratelimit
from kinwell.search import results
from tests import factories
from tests.helpers import API, assert_bounded_queries, assert_error

Clients = Callable[[User], Client]
CANARY = "quokkacanary"
NOWHERE = "zzyzxnowhere"


def search(client: Client, q: str, **params: str | int) -> Any:
    response = client.get(f"{API}/search", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def token_client(user: User) -> Client:
    _token, raw = account_services.create_api_token(user, name="read", scope="read")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_a_hit_as_json(
    community: Community, member: User, organiser: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(
        member, community, title="Pacing <b>plans</b>", body="Rest & pace."
    )
    reply = services.reply(organiser, thread=thread, body="pacing helps me")
    body = search(visitor_client, "pacing")
    assert body["count"] == 2
    by_kind = {item["kind"]: item for item in body["items"]}
    opening = by_kind["thread"]
    assert opening["title_html"] == "<mark>Pacing</mark> &lt;b&gt;plans&lt;/b&gt;"
    assert opening["thread_id"] == thread.pk
    assert opening["community"] == community.slug
    assert opening["url"] == f"/c/{community.slug}/p/{thread.posts.get(number=1).pk}/"
    assert opening["author"] == member.display_name
    assert opening["persona"]["kind"] == "personal"
    answer = by_kind["post"]
    assert answer["post_id"] == reply.pk
    assert answer["number"] == 2
    assert answer["title_html"] is None
    assert answer["thread_title"] == "Pacing <b>plans</b>"
    assert "<mark>pacing</mark> helps me" in answer["snippet_html"]


def test_paging_with_limit_and_offset(
    community: Community, member: User, visitor_client: Client
) -> None:
    for number in range(5):
        factories.make_thread(member, community, title=f"Iron {number}")
    first = search(visitor_client, "iron", limit=2)
    rest = search(visitor_client, "iron", limit=10, offset=2)
    assert first["count"] == rest["count"] == 5
    seen = [item["post_id"] for item in first["items"] + rest["items"]]
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "x" * 201},
        {"q": "a\x00b"},
        {"q": "x", "limit": 0},
        {"q": "x", "limit": 101},
        {"q": "x", "offset": -1},
        {"q": "x", "since": "yesterday"},
    ],
)
def test_bad_input_is_a_422(
    params: dict[str, str | int], visitor_client: Client, db: None
) -> None:
    assert_error(visitor_client.get(f"{API}/search", params), 422, "invalid")


def test_dates_out_of_order_are_a_400(visitor_client: Client, db: None) -> None:
    params = {"q": "x", "since": "2026-02-02", "until": "2026-01-01"}
    error = assert_error(visitor_client.get(f"{API}/search", params), 400, "invalid")
    assert error["fields"] == {"until": ["Choose a date on or after the “From” date."]}


@pytest.mark.parametrize("q", ['"', "(a", "NEAR(a b)", "*", "a OR", "col:a", "'"])
def test_search_syntax_never_breaks_the_api(
    q: str, community: Community, member: User, visitor_client: Client
) -> None:
    factories.make_thread(member, community, body="a plain post")
    search(visitor_client, q)


def test_a_wrong_token_is_refused(visitor_client: Client, db: None) -> None:
    response = visitor_client.get(
        f"{API}/search", {"q": "x"}, headers={"Authorization": "Bearer kw_wrong"}
    )
    assert_error(response, 401, "unauthenticated")


def test_canaries_are_never_found_through_the_api(
    hidden_community: Community,
    community: Community,
    organiser: User,
    member: User,
    outsider: User,
    client_for: Clients,
) -> None:
    members_only = factories.make_community(
        organiser, visibility="members", join_policy="request", members=(member,)
    )
    factories.make_thread(member, hidden_community, title=CANARY, body=CANARY)
    factories.make_thread(member, members_only, title=CANARY, body=CANARY)
    factories.make_thread(member, community, title=CANARY, audience="members")
    thread = factories.make_thread(organiser, community, body="An open thread")
    hidden = services.reply(member, thread=thread, body=CANARY)
    moderation.hide_post(organiser, post=hidden, reason="Off topic")
    deleted = services.reply(member, thread=thread, body=CANARY)
    services.delete_post(member, post=deleted)
    other = factories.make_user("Otis Other")
    factories.make_community(organiser, members=(other,))
    callers = [
        Client(),
        client_for(outsider),
        token_client(outsider),
        client_for(other),
    ]
    for client in callers:
        for scope in ({}, {"community": hidden_community.slug}):
            assert search(client, CANARY, **scope) == {
                "items": [],
                "count": 0,
                "more": False,
            }
            assert search(client, NOWHERE, **scope) == {
                "items": [],
                "count": 0,
                "more": False,
            }
    assert search(client_for(member), CANARY)["count"] == 3
    assert search(token_client(member), CANARY)["count"] == 3


def test_author_filter_by_an_anonymous_persona(
    community: Community, clinician: User, visitor_client: Client
) -> None:
    Membership.objects.create(community=community, user=clinician)
    anonymous = Persona.objects.get(
        user=clinician, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL
    )
    factories.make_thread(clinician, community, body="statins", persona=anonymous)
    factories.make_thread(clinician, community, body="statins at home")
    body = search(visitor_client, "statins", author=anonymous.public_id)
    assert body["count"] == 1
    item = body["items"][0]
    assert item["persona"]["public_id"] == anonymous.public_id
    assert item["author"] == anonymous.badge
    assert clinician.display_name not in str(body)


def test_the_api_runs_a_fixed_number_of_queries(
    community: Community, member: User, visitor_client: Client
) -> None:
    def add_rows(count: int) -> None:
        with ratelimit.suspended():
            for number in range(count):
                thread = factories.make_thread(
                    member, community, title=f"Salt {number}"
                )
                services.reply(member, thread=thread, body="salt intake")

    assert_bounded_queries(
        lambda: visitor_client.get(f"{API}/search", {"q": "salt", "limit": "100"}),
        add_rows,
        max_queries=3,
    )


def test_the_window_of_newest_matches(
    hidden_community: Community,
    community: Community,
    member: User,
    visitor_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the newest matches are ranked and paged (here five); newer ones
    the caller may not read take no place among them and are not counted."""
    monkeypatch.setattr(results, "WINDOW", 5)
    with ratelimit.suspended():
        for number in range(7):
            factories.make_thread(member, community, title=f"Iron {number}")
        for _ in range(6):
            factories.make_thread(member, hidden_community, title=f"Iron {CANARY}")
    first = search(visitor_client, "iron", limit=3)
    rest = search(visitor_client, "iron", limit=10, offset=3)
    assert first["count"] == rest["count"] == 5
    assert first["more"] is rest["more"] is True
    seen = [item["thread_title"] for item in first["items"] + rest["items"]]
    assert sorted(seen) == [f"Iron {number}" for number in range(2, 7)]
    assert search(visitor_client, "iron", offset=5)["items"] == []
    assert CANARY not in str(first) + str(rest)
