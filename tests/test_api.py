"""The /api/v1 endpoints, through HTTP, as each persona."""

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from kinwell.accounts import services
from kinwell.accounts.access import MfaRequired
from kinwell.accounts.consents import CONSENT_TEXTS
from kinwell.accounts.models import (
    ApiToken,
    AuditEvent,
    ConsentRecord,
    Credential,
    Delegation,
    Persona,
    User,
)
from kinwell.lib import audit
from tests import factories
from tests.helpers import assert_bounded_queries, assert_error, send

API = "/api/v1"
ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    # Rate-limit counters live in the cache and are keyed by user id, which
    # the next test's users reuse.
    cache.clear()
    yield
    cache.clear()


# Me ------------------------------------------------------------------------


def test_me_shows_the_signed_in_account(member: User, client_for: ClientFor) -> None:
    response = client_for(member).get(f"{API}/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": member.pk,
        "email": member.email,
        "display_name": "Mo Member",
        "pronouns": "",
        "bio": "",
        "accessibility": {
            "text_size": "normal",
            "high_contrast": False,
            "reduced_motion": False,
        },
        "roles": {"is_verifier": False, "is_researcher": False, "is_staff": False},
        "has_mfa": False,
    }


def test_me_shows_roles_and_two_factor(verifier: User, client_for: ClientFor) -> None:
    body = client_for(verifier).get(f"{API}/me").json()

    assert body["roles"]["is_verifier"] is True
    assert body["has_mfa"] is True


def test_profile_patch_changes_only_the_fields_sent(
    member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    response = send(client, "patch", "/me/profile", {"pronouns": " they/them "})

    assert response.status_code == 200
    assert response.json()["pronouns"] == "they/them"
    member.refresh_from_db()
    assert (member.display_name, member.pronouns) == ("Mo Member", "they/them")


def test_too_long_profile_is_refused_and_nothing_written(
    member: User, client_for: ClientFor
) -> None:
    body = {"display_name": "New name", "bio": "x" * 1001}
    response = send(client_for(member), "patch", "/me/profile", body)

    error = assert_error(response, 422, "invalid")
    assert "bio" in error["fields"]
    member.refresh_from_db()
    assert member.display_name == "Mo Member"


def test_accessibility_patch(member: User, client_for: ClientFor) -> None:
    body = {"text_size": "larger", "reduced_motion": True}
    response = send(client_for(member), "patch", "/me/accessibility", body)

    assert response.status_code == 200
    assert response.json()["accessibility"] == {
        "text_size": "larger",
        "high_contrast": False,
        "reduced_motion": True,
    }
    member.refresh_from_db()
    assert member.text_size == User.TextSize.LARGER


def test_unknown_text_size_is_refused(member: User, client_for: ClientFor) -> None:
    response = send(
        client_for(member), "patch", "/me/accessibility", {"text_size": "huge"}
    )

    error = assert_error(response, 422, "invalid")
    assert "text_size" in error["fields"]
    member.refresh_from_db()
    assert member.text_size == User.TextSize.NORMAL


# Personas ------------------------------------------------------------------


def test_my_personas_lists_every_persona_of_mine(
    clinician: User, client_for: ClientFor
) -> None:
    body = client_for(clinician).get(f"{API}/me/personas").json()

    assert body["count"] == 3
    kinds = {item["kind"]: item for item in body["items"]}
    assert set(kinds) == {"personal", "professional", "anonymous"}
    assert kinds["anonymous"]["label"] == "Verified nurse"
    assert kinds["anonymous"]["badge"] == "Verified nurse"


def test_public_persona_of_a_member(member: User, visitor_client: Client) -> None:
    persona = Persona.objects.get(user=member)

    response = visitor_client.get(f"{API}/personas/{persona.public_id}")

    assert response.status_code == 200
    assert response.json() == {
        "public_id": persona.public_id,
        "kind": "personal",
        "label": "Mo Member",
        "badge": "",
    }


def test_anonymous_persona_reveals_nothing_about_its_account(
    clinician: User, outsider: User, client_for: ClientFor
) -> None:
    anonymous = Persona.objects.get(
        user=clinician, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL
    )
    others = Persona.objects.filter(user=clinician).exclude(pk=anonymous.pk)

    response = client_for(outsider).get(f"{API}/personas/{anonymous.public_id}")

    assert response.status_code == 200
    assert response.json() == {
        "public_id": anonymous.public_id,
        "kind": "anonymous",
        "label": "Verified nurse",
        "badge": "Verified nurse",
    }
    text = response.content.decode()
    canaries = [
        clinician.display_name,
        "Canary",
        "Realname",
        clinician.email,
        *(persona.public_id for persona in others),
    ]
    for canary in canaries:
        assert canary not in text
    assert str(clinician.pk) not in json.dumps(
        {k: v for k, v in response.json().items() if k != "public_id"}
    )


def test_unknown_persona_is_404(member: User, client_for: ClientFor) -> None:
    response = client_for(member).get(f"{API}/personas/nosuchpersona")

    assert_error(response, 404, "not_found")


def test_persona_of_a_deactivated_account_is_404(
    member: User, visitor_client: Client
) -> None:
    persona = Persona.objects.get(user=member)
    member.is_active = False
    member.save(update_fields=["is_active"])

    response = visitor_client.get(f"{API}/personas/{persona.public_id}")

    assert_error(response, 404, "not_found")


# Credentials ---------------------------------------------------------------


def test_submit_credential(member: User, client_for: ClientFor) -> None:
    client = client_for(member)
    body = {
        "profession": "midwife",
        "registration_body": "Nursing and Midwifery Council",
        "registration_number": " 12A3456 ",
    }

    response = send(client, "post", "/me/credentials", body)

    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "pending"
    assert created["registration_number"] == "12A3456"
    listed = client.get(f"{API}/me/credentials").json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]


def test_second_open_credential_for_a_profession_is_400(
    clinician: User, client_for: ClientFor
) -> None:
    body = {
        "profession": "nurse",
        "registration_body": "NMC",
        "registration_number": "999",
    }

    response = send(client_for(clinician), "post", "/me/credentials", body)

    error = assert_error(response, 400, "invalid")
    assert "profession" in error["fields"]
    assert Credential.objects.filter(user=clinician).count() == 1


def test_credential_with_unknown_profession_writes_nothing(
    member: User, client_for: ClientFor
) -> None:
    body = {
        "profession": "wizard",
        "registration_body": "Guild",
        "registration_number": "1",
    }

    response = send(client_for(member), "post", "/me/credentials", body)

    assert_error(response, 422, "invalid")
    assert not Credential.objects.filter(user=member).exists()


def test_credentials_list_only_my_own(
    clinician: User, member: User, client_for: ClientFor
) -> None:
    body = client_for(member).get(f"{API}/me/credentials").json()

    assert body == {"items": [], "count": 0}


# Delegations ---------------------------------------------------------------


def test_delegations_are_listed_from_both_sides(
    member: User, carer: User, client_for: ClientFor
) -> None:
    mine = client_for(member).get(f"{API}/me/delegations").json()["items"]
    theirs = client_for(carer).get(f"{API}/me/delegations").json()["items"]

    assert len(mine) == len(theirs) == 1
    assert mine[0]["id"] == theirs[0]["id"]
    assert (mine[0]["role"], theirs[0]["role"]) == ("member", "carer")
    assert mine[0]["member_name"] == "Mo Member"
    assert mine[0]["carer_name"] == "Cass Carer"
    assert set(mine[0]["scopes"]) == {"post", "track", "read"}
    assert mine[0]["status"] == "active"


def test_invite_accept_and_revoke(member: User, client_for: ClientFor) -> None:
    friend = factories.make_user("Fran Friend")
    body = {"carer_email": friend.email.upper(), "scopes": ["track"]}

    invited = send(client_for(member), "post", "/me/delegations", body)
    assert invited.status_code == 201
    delegation_id = invited.json()["id"]
    assert invited.json()["status"] == "invited"

    path = f"/me/delegations/{delegation_id}"
    accepted = send(client_for(friend), "post", f"{path}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "active"
    assert accepted.json()["role"] == "carer"

    revoked = send(client_for(member), "post", f"{path}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert Delegation.objects.get(pk=delegation_id).status == Delegation.Status.REVOKED


def test_invited_carer_may_decline(member: User, client_for: ClientFor) -> None:
    friend = factories.make_user()
    delegation = services.invite_carer(
        member, carer_email=friend.email, scopes=["read"]
    )

    response = send(
        client_for(friend), "post", f"/me/delegations/{delegation.pk}/decline"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "declined"


def test_member_cannot_accept_their_own_invitation(
    member: User, client_for: ClientFor
) -> None:
    friend = factories.make_user()
    delegation = services.invite_carer(
        member, carer_email=friend.email, scopes=["read"]
    )

    response = send(
        client_for(member), "post", f"/me/delegations/{delegation.pk}/accept"
    )

    assert_error(response, 400, "invalid")
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.INVITED


@pytest.mark.parametrize("action", ["accept", "decline", "revoke"])
def test_outsider_gets_404_for_another_persons_delegation(
    action: str, member: User, carer: User, outsider: User, client_for: ClientFor
) -> None:
    delegation = Delegation.objects.get(member=member, carer=carer)

    response = send(
        client_for(outsider), "post", f"/me/delegations/{delegation.pk}/{action}"
    )

    assert_error(response, 404, "not_found")
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACTIVE


def test_invite_to_unknown_email_waits_without_revealing_it(
    member: User, client_for: ClientFor
) -> None:
    body = {"carer_email": "nobody@example.org", "scopes": ["read"]}

    response = send(client_for(member), "post", "/me/delegations", body)

    assert response.status_code == 201
    assert response.json()["carer_name"] == "nobody@example.org"
    waiting = Delegation.objects.get(member=member)
    assert waiting.carer is None
    assert waiting.invited_email == "nobody@example.org"


def test_invite_to_yourself_is_400_and_writes_nothing(
    member: User, client_for: ClientFor
) -> None:
    body = {"carer_email": member.email, "scopes": ["read"]}

    response = send(client_for(member), "post", "/me/delegations", body)

    error = assert_error(response, 400, "invalid")
    assert "carer_email" in error["fields"]
    assert not Delegation.objects.filter(member=member).exists()


def test_invite_without_scopes_is_refused(member: User, client_for: ClientFor) -> None:
    friend = factories.make_user()
    body = {"carer_email": friend.email, "scopes": []}

    response = send(client_for(member), "post", "/me/delegations", body)

    error = assert_error(response, 422, "invalid")
    assert "scopes" in error["fields"]
    assert not Delegation.objects.filter(member=member).exists()


# Consents ------------------------------------------------------------------


def test_consents_show_every_purpose_undecided(
    member: User, client_for: ClientFor
) -> None:
    body = client_for(member).get(f"{API}/me/consents").json()

    assert [row["purpose"] for row in body] == list(CONSENT_TEXTS)
    research = next(row for row in body if row["purpose"] == "research")
    assert research["title"] == CONSENT_TEXTS["research"].title
    assert research["text_version"] == CONSENT_TEXTS["research"].version
    assert research["given"] is None
    assert research["decided_at"] is None


def test_recording_consent_appends_to_the_ledger(
    member: User, client_for: ClientFor
) -> None:
    client = client_for(member)

    first = send(client, "post", "/me/consents", {"purpose": "research", "given": True})
    second = send(
        client, "post", "/me/consents", {"purpose": "research", "given": False}
    )

    assert first.status_code == second.status_code == 201
    assert first.json()["method"] == "api"
    state = {row["purpose"]: row for row in client.get(f"{API}/me/consents").json()}
    assert state["research"]["given"] is False
    assert (
        state["research"]["decided_text_version"] == CONSENT_TEXTS["research"].version
    )
    history = client.get(f"{API}/me/consents/history").json()
    assert history["count"] == 2
    assert [item["given"] for item in history["items"]] == [False, True]
    assert history["items"][0]["recorded_by_name"] == "Mo Member"


def test_unknown_consent_purpose_writes_nothing(
    member: User, client_for: ClientFor
) -> None:
    body = {"purpose": "advertising", "given": True}

    response = send(client_for(member), "post", "/me/consents", body)

    assert_error(response, 422, "invalid")
    assert not ConsentRecord.objects.filter(user=member).exists()


def test_consent_history_is_only_mine(
    member: User, outsider: User, client_for: ClientFor
) -> None:
    services.record_consent(member, user=member, purpose="research", given=True)

    body = client_for(outsider).get(f"{API}/me/consents/history").json()

    assert body == {"items": [], "count": 0}


# Access to my data ---------------------------------------------------------


def test_data_access_lists_what_others_did_with_my_data(
    member: User, carer: User, client_for: ClientFor
) -> None:
    body = client_for(member).get(f"{API}/me/data-access").json()

    actions = {(item["actor_name"], item["action"]) for item in body["items"]}
    assert ("Cass Carer", "delegation.accept") in actions
    # My own actions are not "access by others".
    assert all(item["actor_name"] != "Mo Member" for item in body["items"])


def test_data_access_of_someone_else_is_not_shown(
    member: User, carer: User, client_for: ClientFor
) -> None:
    body = client_for(carer).get(f"{API}/me/data-access").json()

    assert body["count"] == 0


# Tokens --------------------------------------------------------------------


def test_create_token_shows_the_raw_value_once(
    member: User, client_for: ClientFor
) -> None:
    client = client_for(member)

    response = send(
        client, "post", "/me/tokens", {"name": "My script", "scope": "read"}
    )

    assert response.status_code == 201
    created = response.json()
    assert created["token"].startswith("kw_")
    assert created["prefix"] == created["token"][:10]
    token = ApiToken.objects.get(pk=created["id"])
    assert token.token_hash == services.hash_token(created["token"])
    listed = client.get(f"{API}/me/tokens").json()
    assert listed["count"] == 1
    assert "token" not in listed["items"][0]
    assert created["token"] not in json.dumps(listed)


def test_blank_token_name_is_400(member: User, client_for: ClientFor) -> None:
    body = {"name": "   ", "scope": "write"}

    response = send(client_for(member), "post", "/me/tokens", body)

    error = assert_error(response, 400, "invalid")
    assert "name" in error["fields"]
    assert not ApiToken.objects.exists()


def test_revoke_token(member: User, client_for: ClientFor) -> None:
    token, _raw = services.create_api_token(member, name="old", scope="read")

    response = client_for(member).delete(f"{API}/me/tokens/{token.pk}")

    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(
    member: User, outsider: User, client_for: ClientFor
) -> None:
    token, _raw = services.create_api_token(member, name="mine", scope="read")

    response = client_for(outsider).delete(f"{API}/me/tokens/{token.pk}")

    assert_error(response, 404, "not_found")
    token.refresh_from_db()
    assert token.revoked_at is None


# Pagination and query bounds -----------------------------------------------


def test_lists_are_paginated(member: User, client_for: ClientFor) -> None:
    for number in range(3):
        services.create_api_token(member, name=f"t{number}", scope="read")
    client = client_for(member)

    page = client.get(f"{API}/me/tokens?limit=2&offset=2").json()

    assert page["count"] == 3
    assert [item["name"] for item in page["items"]] == ["t0"]


@pytest.mark.parametrize(
    "query", ["limit=101", "limit=0", "offset=-1", "limit=x", "offset=0.0", "limit=5.0"]
)
def test_out_of_range_page_is_refused(
    query: str, member: User, client_for: ClientFor
) -> None:
    response = client_for(member).get(f"{API}/me/tokens?{query}")

    assert_error(response, 422, "invalid")


def _add_delegations(member: User, rows: int) -> None:
    for _ in range(rows):
        carer = factories.make_user()
        factories.make_delegation(member, carer, ["read"])


def _add_consents(member: User, rows: int) -> None:
    for number in range(rows):
        services.record_consent(
            member, user=member, purpose="research", given=bool(number % 2)
        )


def _add_accesses(member: User, rows: int) -> None:
    other = factories.make_user()
    for _ in range(rows):
        audit.record(other, "test.read", member, subject=member)


def _add_tokens(member: User, rows: int) -> None:
    for number in range(rows):
        services.create_api_token(member, name=f"t{number}", scope="read")


def _add_credentials(member: User, rows: int) -> None:
    for _ in range(rows):
        Credential.objects.create(
            user=member,
            profession="doctor",
            registration_body="GMC",
            registration_number="1",
            status=Credential.Status.REJECTED,
        )


def _add_personas(member: User, rows: int) -> None:
    for _ in range(rows):
        Persona.objects.create(user=member, kind=Persona.Kind.PROFESSIONAL, name="Dr M")


@pytest.mark.parametrize(
    ("path", "add"),
    [
        ("/me/personas", _add_personas),
        ("/me/credentials", _add_credentials),
        ("/me/delegations", _add_delegations),
        ("/me/consents", _add_consents),
        ("/me/consents/history", _add_consents),
        ("/me/data-access", _add_accesses),
        ("/me/tokens", _add_tokens),
    ],
)
def test_list_queries_are_bounded(
    path: str,
    add: Callable[[User, int], None],
    member: User,
    client_for: ClientFor,
) -> None:
    client = client_for(member)

    def fetch() -> None:
        response = client.get(f"{API}{path}?limit=100")
        assert response.status_code == 200

    assert_bounded_queries(fetch, lambda rows: add(member, rows), max_queries=10)


# Errors --------------------------------------------------------------------


def test_unknown_api_path_is_404_json(member: User, client_for: ClientFor) -> None:
    assert_error(client_for(member).get(f"{API}/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_json(member: User, client_for: ClientFor) -> None:
    response = send(client_for(member), "put", "/me/tokens", {})

    assert_error(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_unreadable_json_is_422(member: User, client_for: ClientFor) -> None:
    response = client_for(member).post(
        f"{API}/me/consents", data="{not json", content_type="application/json"
    )

    assert_error(response, 422, "invalid")
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "5",
        '{"bio": "fine", "is_staff": true}',
        '{"reduced_motion": 0}',
        '{"bio": "nul\\u0000byte"}',
    ],
)
def test_malformed_bodies_are_refused_and_write_nothing(
    body: str, member: User, client_for: ClientFor
) -> None:
    path = "/me/accessibility" if "motion" in body else "/me/profile"
    response = client_for(member).patch(
        f"{API}{path}", data=body, content_type="application/json"
    )

    assert_error(response, 422, "invalid")
    member.refresh_from_db()
    assert (member.bio, member.is_staff, member.reduced_motion) == ("", False, False)


def test_missing_body_is_422(member: User, client_for: ClientFor) -> None:
    response = client_for(member).post(f"{API}/me/consents")

    assert_error(response, 422, "invalid")


def test_unexpected_failure_is_500_json_and_logs_no_body(
    member: User,
    client_for: ClientFor,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "update_profile", explode)
    body = {"bio": "my private diagnosis"}

    with caplog.at_level(logging.ERROR, logger="kinwell.api"):
        response = send(client_for(member), "patch", "/me/profile", body)

    assert_error(response, 500, "server_error")
    assert "boom" not in response.content.decode()
    assert "PATCH /api/v1/me/profile" in caplog.text
    assert "my private diagnosis" not in caplog.text


def test_mfa_required_has_its_own_code(
    member: User, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def needs_mfa(*args: object, **kwargs: object) -> None:
        raise MfaRequired("Set up two-factor authentication to use this.")

    monkeypatch.setattr(services, "submit_credential", needs_mfa)
    body = {"profession": "nurse", "registration_body": "N", "registration_number": "1"}

    response = send(client_for(member), "post", "/me/credentials", body)

    assert_error(response, 403, "mfa_required")


def test_writes_are_rate_limited(
    member: User, client_for: ClientFor, settings: Any
) -> None:
    settings.KINWELL_WRITES_PER_MINUTE = 2
    client = client_for(member)
    body = {"purpose": "research", "given": True}

    statuses = [
        send(client, "post", "/me/consents", body).status_code for _ in range(2)
    ]
    refused = send(client, "post", "/me/consents", body)

    assert statuses == [201, 201]
    assert_error(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) >= 1
    assert ConsentRecord.objects.filter(user=member).count() == 2
    # Reads are not limited.
    assert client.get(f"{API}/me/consents").status_code == 200


def test_audit_events_of_my_own_are_not_listed(
    member: User, client_for: ClientFor
) -> None:
    audit.record(member, "self.read", member, subject=member)

    body = client_for(member).get(f"{API}/me/data-access").json()

    assert body["count"] == 0
    assert AuditEvent.objects.filter(subject=member).exists()


def test_a_one_off_decision_cannot_be_switched_through_the_consents_endpoint(
    member: User, client_for: ClientFor
) -> None:
    body = {"purpose": "fork_posts", "given": True}

    response = send(client_for(member), "post", "/me/consents", body)

    error = assert_error(response, 400, "invalid")
    assert "purpose" in error["fields"]
    assert not ConsentRecord.objects.filter(user=member).exists()
