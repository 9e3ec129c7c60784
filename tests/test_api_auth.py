"""How the API knows who is calling: sessions with CSRF, and personal tokens."""

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kinwell.accounts import services
from kinwell.accounts.models import ApiToken, ConsentRecord, User
from tests.helpers import assert_error

API = "/api/v1"
CSRF_SECRET = "a" * 32
CONSENT = {"purpose": "research", "given": True}
ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def token_client(raw: str) -> Client:
    # enforce_csrf_checks: a token needs no CSRF token, even where one is enforced.
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})


def make_token(user: User, scope: str) -> tuple[ApiToken, str]:
    return services.create_api_token(user, name=f"{scope} token", scope=scope)


def post_json(client: Client, path: str, body: Any, **extra: Any) -> Any:
    return client.post(
        f"{API}{path}", data=json.dumps(body), content_type="application/json", **extra
    )


# No credentials -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/me"),
        ("get", "/me/tokens"),
        ("get", "/me/consents"),
        ("post", "/me/consents"),
        ("patch", "/me/profile"),
        ("delete", "/me/tokens/1"),
    ],
)
def test_anonymous_caller_gets_401(
    method: str, path: str, visitor_client: Client, db: None
) -> None:
    response = visitor_client.generic(
        method.upper(), f"{API}{path}", data="{}", content_type="application/json"
    )

    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_anonymous_post_gets_401_not_a_csrf_complaint(db: None) -> None:
    response = post_json(Client(enforce_csrf_checks=True), "/me/consents", CONSENT)

    assert_error(response, 401, "unauthenticated")


def test_openapi_schema_is_public(db: None, visitor_client: Client) -> None:
    response = visitor_client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Kinwell API"
    assert f"{API}/me" in schema["paths"]


def test_there_is_no_docs_page_loading_a_cdn(db: None, visitor_client: Client) -> None:
    assert visitor_client.get(f"{API}/docs").status_code == 404


# Sessions -------------------------------------------------------------------


def test_session_reads_need_no_csrf_token(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    assert client.get(f"{API}/me").json()["id"] == member.pk


def test_session_write_without_csrf_token_is_refused(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = post_json(client, "/me/consents", CONSENT)

    assert_error(response, 403, "csrf_failed")
    assert not ConsentRecord.objects.exists()


def test_session_write_with_wrong_csrf_token_is_refused(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.cookies["csrftoken"] = CSRF_SECRET

    response = post_json(client, "/me/consents", CONSENT, HTTP_X_CSRFTOKEN="b" * 32)

    assert_error(response, 403, "csrf_failed")
    assert not ConsentRecord.objects.exists()


def test_session_write_with_csrf_token_works(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.cookies["csrftoken"] = CSRF_SECRET

    response = post_json(client, "/me/consents", CONSENT, HTTP_X_CSRFTOKEN=CSRF_SECRET)

    assert response.status_code == 201
    assert ConsentRecord.objects.filter(user=member).count() == 1


# Tokens ---------------------------------------------------------------------


def test_read_token_reads_and_is_marked_used(member: User) -> None:
    token, raw = make_token(member, "read")

    response = token_client(raw).get(f"{API}/me")

    assert response.status_code == 200
    assert response.json()["id"] == member.pk
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_use_is_recorded_at_most_once_a_minute(member: User) -> None:
    token, raw = make_token(member, "read")
    client = token_client(raw)
    client.get(f"{API}/me")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    client.get(f"{API}/me")
    token.refresh_from_db()
    assert token.last_used_at == first_use

    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=5)
    )
    client.get(f"{API}/me")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > first_use


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/me/consents", CONSENT),
        ("patch", "/me/profile", {"bio": "changed"}),
        ("post", "/me/delegations/1/revoke", None),
    ],
)
def test_read_token_cannot_write(
    method: str, path: str, body: Any, member: User
) -> None:
    _token, raw = make_token(member, "read")

    response = token_client(raw).generic(
        method.upper(), f"{API}{path}", json.dumps(body), "application/json"
    )

    assert_error(response, 403, "insufficient_scope")
    member.refresh_from_db()
    assert member.bio == ""
    assert not ConsentRecord.objects.exists()


def test_write_token_writes_without_csrf(member: User) -> None:
    _token, raw = make_token(member, "write")

    response = post_json(token_client(raw), "/me/consents", CONSENT)

    assert response.status_code == 201
    record = ConsentRecord.objects.get(user=member)
    assert record.method == ConsentRecord.Method.API
    assert record.recorded_by == member


def test_revoked_token_is_401(member: User) -> None:
    token, raw = make_token(member, "write")
    services.revoke_api_token(member, token=token)

    assert_error(token_client(raw).get(f"{API}/me"), 401, "unauthenticated")


def test_unknown_token_is_401(db: None) -> None:
    response = token_client("kw_not-a-real-token").get(f"{API}/me")

    assert_error(response, 401, "unauthenticated")


def test_token_of_a_deactivated_account_is_401(member: User) -> None:
    _token, raw = make_token(member, "read")
    member.is_active = False
    member.save(update_fields=["is_active"])

    assert_error(token_client(raw).get(f"{API}/me"), 401, "unauthenticated")


def test_a_bad_token_does_not_fall_back_to_the_session(
    member: User, client_for: ClientFor
) -> None:
    client = client_for(member)

    response = client.get(f"{API}/me", headers={"Authorization": "Bearer kw_wrong"})

    assert_error(response, 401, "unauthenticated")


def test_token_acts_as_its_owner_not_the_session(
    member: User, outsider: User, client_for: ClientFor
) -> None:
    _token, raw = make_token(outsider, "read")
    client = client_for(member)

    response = client.get(f"{API}/me", headers={"Authorization": f"Bearer {raw}"})

    assert response.json()["id"] == outsider.pk


def test_a_token_cannot_make_or_revoke_tokens(member: User) -> None:
    token, raw = make_token(member, "write")
    client = token_client(raw)

    made = post_json(client, "/me/tokens", {"name": "another", "scope": "write"})
    revoked = client.delete(f"{API}/me/tokens/{token.pk}")

    assert_error(made, 403, "forbidden")
    assert_error(revoked, 403, "forbidden")
    assert ApiToken.objects.filter(user=member).count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_can_list_tokens(member: User) -> None:
    _token, raw = make_token(member, "read")

    response = token_client(raw).get(f"{API}/me/tokens")

    assert response.status_code == 200
    assert response.json()["count"] == 1
