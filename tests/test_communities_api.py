"""The communities API, through HTTP, as each persona."""

from collections.abc import Callable

from django.test import Client

from kinwell.accounts.models import AuditEvent, User
from kinwell.communities import services
from kinwell.communities.models import (
    Community,
    InviteLink,
    JoinRequest,
    Membership,
)
from tests import factories
from tests.helpers import assert_bounded_queries, assert_error, send

API = "/api/v1"
ClientFor = Callable[[User], Client]


def by_request(organiser: User, moderator: User) -> Community:
    return factories.make_community(
        organiser, join_policy="request", moderators=(moderator,)
    )


# The directory and each community ------------------------------------------


def test_directory_is_open_to_visitors_and_never_lists_hidden(
    community: Community,
    hidden_community: Community,
    member: User,
    client_for: ClientFor,
) -> None:
    for client in (Client(), client_for(member)):
        body = send(client, "get", "/communities").json()
        slugs = [item["slug"] for item in body["items"]]
        assert slugs == [community.slug]
        assert body["count"] == 1


def test_directory_search(community: Community) -> None:
    found = send(Client(), "get", "/communities?q=peer").json()["items"]
    assert [item["slug"] for item in found] == [community.slug]
    assert send(Client(), "get", "/communities?q=zebra").json()["items"] == []


def test_directory_runs_bounded_queries(db: None) -> None:
    organiser = factories.make_user()

    def add(count: int) -> None:
        for _ in range(count):
            community = factories.make_community(organiser)
            services.create_cluster(organiser, community=community, name="C")

    assert_bounded_queries(
        lambda: send(Client(), "get", "/communities"), add, max_queries=3
    )


def test_hidden_community_is_404_to_outsiders_and_visitors(
    hidden_community: Community, outsider: User, member: User, client_for: ClientFor
) -> None:
    path = f"/communities/{hidden_community.slug}"
    assert_error(send(Client(), "get", path), 404, "not_found")
    assert_error(send(client_for(outsider), "get", path), 404, "not_found")
    body = send(client_for(member), "get", path).json()
    assert body["your_role"] == "member"
    assert body["join_state"] == "member"


def test_token_holder_sees_their_hidden_community(
    hidden_community: Community, member: User
) -> None:
    from kinwell.accounts import services as account_services

    _, raw = account_services.create_api_token(member, name="app", scope="read")
    response = Client().get(
        f"{API}/communities/{hidden_community.slug}",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 200
    wrong = Client().get(
        f"{API}/communities/{hidden_community.slug}",
        headers={"Authorization": "Bearer kw_wrong"},
    )
    assert_error(wrong, 401, "unauthenticated")


def test_members_only_outsider_sees_no_organisers(
    organiser: User, outsider: User, client_for: ClientFor
) -> None:
    community = factories.make_community(organiser, visibility="members")
    body = send(client_for(outsider), "get", f"/communities/{community.slug}").json()
    assert body["organisers"] == []
    assert body["charter"].startswith("## Purpose")
    assert_error(
        send(client_for(outsider), "get", f"/communities/{community.slug}/members"),
        403,
        "forbidden",
    )


def test_create_and_patch_a_community(outsider: User, client_for: ClientFor) -> None:
    from tests.factories import give_totp

    client = client_for(outsider)
    response = send(client, "post", "/communities", {"name": "Tinnitus Talk"})
    assert response.status_code == 201
    slug = response.json()["slug"]
    assert slug == "tinnitus-talk"
    # Organiser powers need two-factor authentication first.
    patch = send(client, "patch", f"/communities/{slug}", {"size_cap": 40})
    assert_error(patch, 403, "mfa_required")
    give_totp(outsider)
    patch = send(client, "patch", f"/communities/{slug}", {"size_cap": 40})
    assert patch.json()["size_cap"] == 40
    assert patch.json()["name"] == "Tinnitus Talk"


def test_bad_input_writes_nothing(outsider: User, client_for: ClientFor) -> None:
    client = client_for(outsider)
    error = assert_error(
        send(client, "post", "/communities", {"name": "", "visibility": "loud"}),
        422,
        "invalid",
    )
    assert {"name", "visibility"} <= set(error["fields"])
    assert not Community.objects.exists()


def test_size_cap_above_the_instance_maximum_is_400(
    organiser: User, community: Community, client_for: ClientFor
) -> None:
    response = send(
        client_for(organiser),
        "patch",
        f"/communities/{community.slug}",
        {"size_cap": 151},
    )
    error = assert_error(response, 400, "invalid")
    assert "size_cap" in error["fields"]


# Joining, leaving, roles ---------------------------------------------------


def test_join_an_open_community_and_leave(
    community: Community, outsider: User, client_for: ClientFor
) -> None:
    client = client_for(outsider)
    joined = send(client, "post", f"/communities/{community.slug}/join", {})
    assert joined.json() == {"status": "member", "request_id": None}
    again = send(client, "post", f"/communities/{community.slug}/join", {})
    assert_error(again, 400, "invalid")
    left = send(
        client, "post", f"/communities/{community.slug}/leave", {"keep_posts": False}
    )
    assert left.status_code == 204
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def test_request_and_decide(
    organiser: User, moderator: User, outsider: User, client_for: ClientFor
) -> None:
    community = by_request(organiser, moderator)
    asked = send(
        client_for(outsider),
        "post",
        f"/communities/{community.slug}/requests",
        {"answer": "Hello"},
    ).json()
    assert asked["status"] == "pending"
    mod = client_for(moderator)
    listed = send(mod, "get", f"/communities/{community.slug}/requests").json()
    assert [item["id"] for item in listed["items"]] == [asked["request_id"]]
    decide = f"/communities/{community.slug}/requests/{asked['request_id']}/decide"
    assert_error(send(mod, "post", decide, {"approve": False}), 400, "invalid")
    decided = send(mod, "post", decide, {"approve": True}).json()
    assert decided["status"] == "approved"
    assert Membership.objects.filter(community=community, user=outsider).exists()
    assert AuditEvent.objects.filter(action="join_request.approved").exists()


def test_role_changes_are_for_organisers(
    community: Community,
    organiser: User,
    moderator: User,
    member: User,
    client_for: ClientFor,
) -> None:
    path = f"/communities/{community.slug}/members/{member.pk}/role"
    assert_error(
        send(client_for(moderator), "post", path, {"role": "organiser"}),
        403,
        "forbidden",
    )
    body = send(client_for(organiser), "post", path, {"role": "moderator"}).json()
    assert body["role"] == "moderator"
    own = f"/communities/{community.slug}/members/{organiser.pk}/role"
    assert_error(
        send(client_for(organiser), "post", own, {"role": "member"}), 400, "invalid"
    )


def test_members_list_runs_bounded_queries(
    community: Community, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)

    def add(count: int) -> None:
        for _ in range(count):
            Membership.objects.create(community=community, user=factories.make_user())

    assert_bounded_queries(
        lambda: send(client, "get", f"/communities/{community.slug}/members"),
        add,
        max_queries=12,
    )


# Invitation links ----------------------------------------------------------


def test_invite_links_make_use_and_revoke(
    hidden_community: Community,
    organiser: User,
    outsider: User,
    client_for: ClientFor,
) -> None:
    client = client_for(organiser)
    path = f"/communities/{hidden_community.slug}/invite-links"
    made = send(client, "post", path, {"days": 3, "max_uses": 2})
    assert made.status_code == 201
    token = made.json()["token"]
    accepted = send(client_for(outsider), "post", f"/invites/{token}/accept")
    assert accepted.json()["status"] == "member"
    assert send(client, "get", path).json()["items"][0]["uses"] == 1
    link_id = made.json()["id"]
    assert send(client, "delete", f"{path}/{link_id}").status_code == 204
    late = send(client_for(factories.make_user()), "post", f"/invites/{token}/accept")
    assert_error(late, 400, "invalid")
    assert InviteLink.objects.get().revoked_at is not None


def test_bad_invite_link_input_is_422(
    community: Community, organiser: User, client_for: ClientFor
) -> None:
    response = send(
        client_for(organiser),
        "post",
        f"/communities/{community.slug}/invite-links",
        {"days": 0, "max_uses": 2},
    )
    assert_error(response, 422, "invalid")
    assert not InviteLink.objects.exists()


def test_unknown_invite_token_is_404(outsider: User, client_for: ClientFor) -> None:
    response = send(client_for(outsider), "post", "/invites/nothing-here/accept")
    assert_error(response, 404, "not_found")


# Clusters and your communities ---------------------------------------------


def test_cluster_lists_only_visible_siblings(
    community: Community, hidden_community: Community, organiser: User
) -> None:
    cluster = services.create_cluster(organiser, community=community, name="UK")
    services.move_to_cluster(organiser, community=hidden_community, cluster=cluster)
    body = send(Client(), "get", f"/clusters/{cluster.slug}").json()
    assert [c["slug"] for c in body["communities"]] == [community.slug]


def test_my_communities_include_hidden_ones(
    community: Community,
    hidden_community: Community,
    member: User,
    client_for: ClientFor,
) -> None:
    body = send(client_for(member), "get", "/me/communities").json()
    slugs = sorted(item["community"]["slug"] for item in body["items"])
    assert slugs == sorted([community.slug, hidden_community.slug])


def test_waiting_list_in_the_api(organiser: User, client_for: ClientFor) -> None:
    community = factories.make_community(organiser)
    community.size_cap = 2
    community.save(update_fields=["size_cap"])
    first, second = factories.make_user(), factories.make_user()
    assert (
        send(
            client_for(first), "post", f"/communities/{community.slug}/join", {}
        ).json()["status"]
        == "member"
    )
    waiting = send(
        client_for(second), "post", f"/communities/{community.slug}/join", {}
    ).json()
    assert waiting["status"] == "waiting"
    assert JoinRequest.objects.get(pk=waiting["request_id"]).status == "waiting"
