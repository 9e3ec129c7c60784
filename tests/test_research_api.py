"""Research access in the API: the same rules as the website, in the API's
one error shape. Non-researchers get 404, as on the website."""

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kinwell.accounts.models import ApiToken, User
from kinwell.accounts.services import create_api_token
from kinwell.communities.models import Community
from kinwell.tracking.models import DataRelease, DatasetRequest
from kinwell.tracking.research import release
from tests import research_helpers as rh
from tests.helpers import API, assert_error, send

Clients = Callable[[User], Client]
BODY = {
    "community": "",
    "title": "Fatigue over a year",
    "institution": "University of Leeds",
    "purpose": rh.PURPOSE_TEXT,
}


@pytest.fixture
def scientist(db: None) -> User:
    return rh.make_researcher()


@pytest.fixture
def approved(scientist: User, organiser: User, community: Community) -> DatasetRequest:
    return rh.approved_request(
        scientist, community, organiser, privacy_budget=rh.BUDGET
    )


def _body(to: Community, **fields: Any) -> dict[str, Any]:
    return BODY | {"community": to.slug} | fields


# Asking ----------------------------------------------------------------------------


def test_researcher_asks_and_lists_their_requests(
    client_for: Clients, scientist: User, community: Community
) -> None:
    client = client_for(scientist)
    response = send(
        client,
        "post",
        "/research/requests",
        _body(community, include_notes=True, period_from="2026-01-01"),
    )
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["status"] == "pending"
    assert made["community"] == community.slug
    assert made["researcher_name"] == "Rae Researcher"
    assert made["include_notes"] is True
    assert made["period_from"] == "2026-01-01"
    assert made["releases"] == []
    listed = send(client, "get", "/research/requests").json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == made["id"]


@pytest.mark.parametrize("persona", ["member", "organiser", "outsider"])
def test_non_researchers_get_404(
    request: pytest.FixtureRequest,
    client_for: Clients,
    community: Community,
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert_error(
        send(client, "post", "/research/requests", _body(community)), 404, "not_found"
    )
    assert_error(send(client, "get", "/research/requests"), 404, "not_found")
    assert not DatasetRequest.objects.exists()


def test_researcher_without_two_factor_is_told(
    client_for: Clients, community: Community
) -> None:
    unsecured = rh.make_researcher("Una Unsecured", totp=False)
    response = send(
        client_for(unsecured), "post", "/research/requests", _body(community)
    )
    assert_error(response, 403, "mfa_required")


def test_visitors_must_sign_in(visitor_client: Client) -> None:
    assert_error(
        send(visitor_client, "get", "/research/requests"), 401, "unauthenticated"
    )


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"purpose": "Short."}, 400, "purpose"),
        ({"community": "no-such-community"}, 400, "community"),
        ({"privacy_budget": 11}, 422, "privacy_budget"),
        ({"period_from": "01/02/2026"}, 422, "period_from"),
        ({"title": ""}, 422, "title"),
        ({"surprise": True}, 422, "surprise"),
        (
            {
                "include_conditions": False,
                "include_check_ins": False,
                "include_treatments": False,
            },
            400,
            "include_conditions",
        ),
    ],
)
def test_bad_requests_are_refused_in_the_error_shape(
    client_for: Clients,
    scientist: User,
    community: Community,
    fields: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = send(
        client_for(scientist), "post", "/research/requests", _body(community, **fields)
    )
    error = assert_error(response, status, "invalid")
    assert field in error["fields"]
    assert not DatasetRequest.objects.exists()


def test_a_hidden_community_cannot_be_asked(
    client_for: Clients, scientist: User, hidden_community: Community
) -> None:
    response = send(
        client_for(scientist), "post", "/research/requests", _body(hidden_community)
    )
    assert assert_error(response, 400, "invalid")["fields"] == {
        "community": ["Choose a community you can see."]
    }


# Seeing and deciding --------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("scientist", 200),
        ("organiser", 200),
        ("moderator", 404),
        ("member", 404),
        ("outsider", 404),
    ],
)
def test_a_request_is_for_its_researcher_and_organisers(
    request: pytest.FixtureRequest,
    client_for: Clients,
    scientist: User,
    community: Community,
    persona: str,
    status: int,
) -> None:
    made = rh.make_request(scientist, community)
    client = client_for(request.getfixturevalue(persona))
    response = send(client, "get", f"/research/requests/{made.pk}")
    assert response.status_code == status


def test_organisers_approve_and_refuse(
    client_for: Clients, scientist: User, organiser: User, community: Community
) -> None:
    one = rh.make_request(scientist, community, title="One")
    two = rh.make_request(scientist, community, title="Two")
    client = client_for(organiser)
    approved = send(
        client, "post", f"/research/requests/{one.pk}/approve", {"note": ""}
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by_name"] == "Olu Organiser"
    refused = send(client, "post", f"/research/requests/{two.pk}/refuse", {"note": ""})
    assert assert_error(refused, 400, "invalid")["fields"] == {
        "note": ["Say why, so the researcher understands."]
    }
    refused = send(
        client, "post", f"/research/requests/{two.pk}/refuse", {"note": "Too broad."}
    )
    assert refused.json()["status"] == "refused"
    again = send(client, "post", f"/research/requests/{one.pk}/approve", {})
    assert_error(again, 400, "invalid")


def test_researchers_cannot_decide_and_members_are_told_nothing(
    client_for: Clients, scientist: User, member: User, community: Community
) -> None:
    made = rh.make_request(scientist, community)
    path = f"/research/requests/{made.pk}/approve"
    assert_error(send(client_for(scientist), "post", path, {}), 404, "not_found")
    assert_error(send(client_for(member), "post", path, {}), 404, "not_found")


def test_researcher_withdraws(
    client_for: Clients, scientist: User, community: Community
) -> None:
    made = rh.make_request(scientist, community)
    response = send(
        client_for(scientist), "post", f"/research/requests/{made.pk}/withdraw"
    )
    assert response.json()["status"] == "withdrawn"


def test_the_communitys_requests_are_for_its_organisers(
    client_for: Clients,
    scientist: User,
    organiser: User,
    member: User,
    community: Community,
) -> None:
    rh.make_request(scientist, community)
    path = f"/communities/{community.slug}/research/requests"
    listed = send(client_for(organiser), "get", path)
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert_error(send(client_for(member), "get", path), 403, "forbidden")


# Releases --------------------------------------------------------------------------


def test_researcher_releases_and_downloads(
    client_for: Clients,
    scientist: User,
    organiser: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    client = client_for(scientist)
    response = send(
        client, "post", f"/research/requests/{approved.pk}/releases", {"kind": "csv"}
    )
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["member_count"] == 1
    assert made["members"] == "fewer than 10"
    assert made["file"] == f"{API}/research/releases/{made['id']}/file"
    download = client.get(made["file"])
    assert download.status_code == 200
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == made["sha256"]
    seen = send(client_for(organiser), "get", f"/research/requests/{approved.pk}")
    (theirs,) = seen.json()["releases"]
    assert theirs["member_count"] is None
    assert theirs["file"] is None
    assert theirs["sha256"] is None
    assert_error(client_for(organiser).get(made["file"]), 404, "not_found")


def test_private_counts_through_the_api(
    client_for: Clients,
    scientist: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    client = client_for(scientist)
    path = f"/research/requests/{approved.pk}/releases"
    made = send(client, "post", path, {"kind": "dp_counts", "epsilon": 0.6})
    assert made.status_code == 201, made.content
    assert made.json()["epsilon"] == "0.600"
    over = send(client, "post", path, {"kind": "dp_counts", "epsilon": 0.5})
    assert "exceed the privacy budget" in assert_error(over, 400, "invalid")["message"]
    assert DataRelease.objects.count() == 1


def test_release_of_an_unapproved_request_is_refused(
    client_for: Clients, scientist: User, community: Community
) -> None:
    made = rh.make_request(scientist, community)
    response = send(
        client_for(scientist),
        "post",
        f"/research/requests/{made.pk}/releases",
        {"kind": "csv"},
    )
    assert_error(response, 400, "invalid")


def test_read_tokens_cannot_release(
    scientist: User, community: Community, approved: DatasetRequest
) -> None:
    _, raw = create_api_token(scientist, name="Analysis", scope=ApiToken.Scope.READ)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = send(
        client, "post", f"/research/requests/{approved.pk}/releases", {"kind": "csv"}
    )
    assert_error(response, 403, "insufficient_scope")
    assert send(client, "get", f"/research/requests/{approved.pk}").status_code == 200


# The register ------------------------------------------------------------------------


def test_the_register_is_public_for_a_public_community(
    visitor_client: Client,
    scientist: User,
    community: Community,
    approved: DatasetRequest,
) -> None:
    rh.consent(rh.Tracked(community, "Pat Person").user)
    release.release_dataset(scientist, request=approved, kind="csv")
    response = send(
        visitor_client, "get", f"/communities/{community.slug}/data-releases"
    )
    assert response.status_code == 200
    (entry,) = response.json()
    assert entry["title"] == approved.title
    assert entry["researcher_name"] == "Rae Researcher"
    assert entry["institution"] == "University of Leeds"
    assert entry["privacy_budget"] == "1.000"
    assert entry["releases"][0]["members"] == "fewer than 10"
    assert "member_count" not in entry["releases"][0]


def test_the_register_of_a_hidden_community_is_404_for_outsiders(
    visitor_client: Client,
    client_for: Clients,
    member: User,
    hidden_community: Community,
) -> None:
    path = f"/communities/{hidden_community.slug}/data-releases"
    assert_error(send(visitor_client, "get", path), 404, "not_found")
    assert send(client_for(member), "get", path).status_code == 200
