"""The forks API, through HTTP, as each persona."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.forks import services
from kinwell.communities.models import (
    Community,
    ForkChoice,
    ForkComment,
    ForkProposal,
    Membership,
)
from tests import factories
from tests.helpers import assert_bounded_queries, assert_error, send

API = "/api/v1"
ClientFor = Callable[[User], Client]


def forks_path(community: Community) -> str:
    return f"/communities/{community.slug}/forks"


def propose(proposer: User, community: Community, slug: str = "evenings") -> Any:
    return services.propose_fork(
        proposer,
        community=community,
        name="Evenings",
        slug=slug,
        reason="Quieter evenings.",
        charter="Be kind.",
        bring_posts=False,
    )


def end_notice(proposal: ForkProposal) -> None:
    proposal.confirmable_at = timezone.now() - timedelta(minutes=1)
    proposal.save(update_fields=["confirmable_at"])


def test_member_proposes_and_the_charter_defaults_to_the_original(
    community: Community, member: User, client_for: ClientFor
) -> None:
    response = send(
        client_for(member),
        "post",
        forks_path(community),
        {"name": "Evenings", "slug": "evenings", "reason": "Quieter."},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["charter"] == community.charter
    assert body["status"] == "open"
    assert body["community"] == community.slug
    assert body["joining"] == 1
    assert body["fork"] is None
    record = ConsentRecord.objects.get(user=member)
    assert (record.purpose, record.given, record.method) == (
        ConsentRecord.Purpose.FORK_POSTS,
        False,
        ConsentRecord.Method.API,
    )


def test_bad_proposals_get_json_errors_and_write_nothing(
    community: Community, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    path = forks_path(community)
    invalid = send(client, "post", path, {"name": "", "slug": "no spaces!"})
    error = assert_error(invalid, 422, "invalid")
    assert {"name", "slug", "reason"} <= set(error["fields"])
    taken = send(
        client, "post", path, {"name": "A", "slug": community.slug, "reason": "B"}
    )
    assert assert_error(taken, 400, "invalid")["fields"]["slug"]
    assert not ForkProposal.objects.exists()
    assert not ConsentRecord.objects.filter(user=member).exists()


def test_list_and_detail(
    community: Community, member: User, carer: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    services.comment_on_fork(carer, proposal=proposal, body="Yes *please*")
    client = client_for(carer)
    listed = send(client, "get", forks_path(community)).json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == proposal.pk
    detail = send(client, "get", f"{forks_path(community)}/{proposal.pk}").json()
    assert detail["my_choice"] is None
    assert detail["comments"][0]["body_html"] == "<p>Yes <em>please</em></p>\n"
    assert detail["comments"][0]["author_name"] == carer.public_name


def test_choice_comment_confirm(
    community: Community, member: User, carer: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    path = f"{forks_path(community)}/{proposal.pk}"
    carer_client = client_for(carer)
    chosen = send(
        carer_client, "post", f"{path}/choice", {"joins": True, "bring_posts": True}
    )
    assert chosen.status_code == 200
    assert chosen.json()["bring_posts"] is True
    assert send(carer_client, "get", path).json()["my_choice"]["joins"] is True
    commented = send(carer_client, "post", f"{path}/comments", {"body": "Yes"})
    assert commented.status_code == 201
    assert ForkComment.objects.get().body == "Yes"

    too_soon = send(client_for(member), "post", f"{path}/confirm")
    assert "notice period" in assert_error(too_soon, 400, "invalid")["message"]
    end_notice(proposal)
    not_theirs = send(carer_client, "post", f"{path}/confirm")
    assert_error(not_theirs, 400, "invalid")
    confirmed = send(client_for(member), "post", f"{path}/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["fork"] == "evenings"
    fork = Community.objects.get(slug="evenings")
    assert set(fork.memberships.values_list("user", flat=True)) == {
        member.pk,
        carer.pk,
    }


def test_bad_choice_writes_nothing(
    community: Community, member: User, carer: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    path = f"{forks_path(community)}/{proposal.pk}/choice"
    response = send(client_for(carer), "post", path, {"joins": "yes"})
    assert_error(response, 422, "invalid")
    assert not ForkChoice.objects.filter(user=carer).exists()


def test_withdraw_only_by_the_proposer(
    community: Community, member: User, organiser: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    path = f"{forks_path(community)}/{proposal.pk}/withdraw"
    assert_error(send(client_for(organiser), "post", path), 400, "invalid")
    withdrawn = send(client_for(member), "post", path)
    assert withdrawn.json()["status"] == "withdrawn"


def test_outsiders_get_403_on_listed_and_404_on_hidden_communities(
    community: Community,
    hidden_community: Community,
    member: User,
    outsider: User,
    client_for: ClientFor,
) -> None:
    client = client_for(outsider)
    for found, code, status in (
        (community, "forbidden", 403),
        (hidden_community, "not_found", 404),
    ):
        proposal = propose(member, found, slug=f"fork-of-{found.slug}")
        path = f"{forks_path(found)}/{proposal.pk}"
        assert_error(send(client, "get", forks_path(found)), status, code)
        assert_error(send(client, "get", path), status, code)
        for action, body in (
            ("choice", {"joins": True, "bring_posts": True}),
            ("comments", {"body": "Hi"}),
            ("confirm", None),
            ("withdraw", None),
        ):
            assert_error(send(client, "post", f"{path}/{action}", body), status, code)
    assert not ForkChoice.objects.filter(user=outsider).exists()
    assert not ForkComment.objects.exists()


def test_list_runs_a_bounded_number_of_queries(
    community: Community, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    numbers = iter(range(1000))

    def add(rows: int) -> None:
        for _ in range(rows):
            proposal = propose(member, community, slug=f"fork-{next(numbers)}")
            end_notice(proposal)
            services.confirm_fork(member, proposal=proposal)

    assert_bounded_queries(
        lambda: send(client, "get", forks_path(community)), add, max_queries=12
    )


def test_detail_runs_a_bounded_number_of_queries(
    community: Community, member: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    client = client_for(member)

    def add(rows: int) -> None:
        for _ in range(rows):
            person = factories.make_user()
            Membership.objects.create(community=community, user=person)
            services.choose_fork(
                person, proposal=proposal, joins=True, bring_posts=True
            )
            services.comment_on_fork(person, proposal=proposal, body="In.")

    path = f"{forks_path(community)}/{proposal.pk}"
    assert_bounded_queries(lambda: send(client, "get", path), add, max_queries=14)
