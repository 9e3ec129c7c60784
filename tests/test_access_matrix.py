"""The project's access gate: every URL pattern has a rule in
tests/access_matrix.py, and every role gets exactly the answer the rule says.
See that module's docstring for how to add a row."""

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import decrypt
from allauth.mfa.webauthn.internal.auth import WebAuthn
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import resolve
from fido2.cose import ES256
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)

from kinwell.accounts import services
from kinwell.accounts.models import (
    ApiToken,
    ConsentRecord,
    Credential,
    Delegation,
    Persona,
    User,
)
from tests import factories
from tests.access_matrix import (
    NOT_ALLOWED,
    OK,
    ROLES,
    Pattern,
    Rule,
    project_patterns,
    rules_for,
    signed_in,
)
from tests.access_matrix import (
    RULES as CORE_RULES,
)
from tests.access_rules import FEATURES


def test_every_url_pattern_has_exactly_one_rule() -> None:
    missing, doubled = [], []
    for pattern in project_patterns():
        claimed = rules_for(pattern, RULES)
        if not claimed:
            missing.append(f"    Rule({pattern.route!r}, get=...),  # {pattern}")
        elif len(claimed) > 1:
            routes = ", ".join(repr(rule.route) for rule in claimed)
            doubled.append(f"    {pattern} is claimed by {routes}")
    assert not missing, (
        "These URL patterns have no rule in tests/access_matrix.py. Add one per "
        "pattern, saying what each role gets:\n" + "\n".join(missing)
    )
    assert not doubled, "Each pattern needs exactly one rule:\n" + "\n".join(doubled)


def test_every_rule_matches_a_url_pattern() -> None:
    patterns = project_patterns()
    stale = [
        rule.route
        for rule in RULES
        if not any(rule.claims(pattern) for pattern in patterns)
    ]
    assert not stale, f"Rules for routes that no longer exist: {stale}"


def test_rules_that_refuse_get_check_the_method_they_allow() -> None:
    # A 405 to GET says nothing about who may POST; the rule must say that too.
    incomplete = [
        rule.route
        for rule in RULES
        if NOT_ALLOWED in rule.get.values()
        and not any(method != "GET" for method, _ in rule.checks())
    ]
    assert not incomplete, (
        f"Rules answering 405 to GET with no other method: {incomplete}"
    )


# Every role, against every pattern ------------------------------------------


@dataclass
class World:
    """The accounts and objects the parametrised URLs point at."""

    users: dict[str, User]
    values: dict[str, Any]

    def client(self, role: str) -> Client:
        client = Client()
        if role != "anonymous":
            log_in(client, self.users[role])
        return client


def log_in(client: Client, user: User) -> None:
    """Logs in through allauth's form (and its two-factor step, where the
    account has one), then confirms the password again: allauth's security
    pages (MFA, passkeys, password) first ask for that, and we want their
    own answers, not only the request to reauthenticate."""
    password = factories.PASSWORD
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": password}
    )
    if response.get("Location", "").startswith("/accounts/2fa/authenticate/"):
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_now(user)})
    assert response.status_code == 302, f"login of {user} failed"
    assert client.session.get("_auth_user_id") == str(user.pk), f"{user} not logged in"
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, f"reauthentication of {user} failed"


def totp_now(user: User) -> str:
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return factories.totp_code_now(decrypt(totp.data["secret"]))


def passkey_for(user: User, name: str) -> Authenticator:
    """A WebAuthn authenticator as allauth stores it after registration: a
    registration response made with fido2 for a fresh P-256 key."""
    credential_id = f"{name}-credential".encode()
    key = ec.generate_private_key(ec.SECP256R1())
    credential = AttestedCredentialData.create(
        b"\0" * 16, credential_id, ES256.from_cryptography_key(key.public_key())
    )
    authenticator_data = AuthenticatorData.create(
        hashlib.sha256(b"localhost").digest(),
        AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT,
        0,
        credential,
    )
    response = RegistrationResponse(
        raw_id=credential_id,
        response=AuthenticatorAttestationResponse(
            client_data=CollectedClientData.create(
                type="webauthn.create", challenge=b"c" * 16, origin="http://localhost"
            ),
            attestation_object=AttestationObject.create("none", authenticator_data, {}),
        ),
    )
    return WebAuthn.add(user, name, json.loads(json.dumps(dict(response)))).instance


RULES = CORE_RULES + [rule for feature in FEATURES for rule in feature.RULES]


@pytest.fixture
def world(request: pytest.FixtureRequest, db: None) -> World:
    users = {
        role: request.getfixturevalue(role) for role in ROLES if role != "anonymous"
    }
    member, carer, clinician = users["member"], users["carer"], users["clinician"]
    applicant = factories.make_user("Pat Applicant")
    credential = services.submit_credential(
        applicant,
        profession=Credential.Profession.DOCTOR,
        registration_body="General Medical Council",
        registration_number="GMC0000001",
    )
    token, _ = services.create_api_token(
        member, name="diary", scope=ApiToken.Scope.WRITE
    )
    services.record_consent(
        member, user=member, purpose=ConsentRecord.Purpose.RESEARCH, given=True
    )
    newcomer = services.create_account(
        "newcomer@example.org", factories.PASSWORD, verified=False
    )
    passkey = passkey_for(users["verifier"], "Desk key")
    RecoveryCodes.activate(users["verifier"])
    anonymous_persona = Persona.objects.get(
        user=clinician, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL
    )
    Group.objects.create(name="Volunteers")
    values = {
        "delegation": Delegation.objects.get(member=member, carer=carer).pk,
        "token": token.pk,
        "purpose": ConsentRecord.Purpose.RESEARCH.value,
        "credential": credential.pk,
        "anonymous_persona": anonymous_persona.public_id,
        "persona_pk": anonymous_persona.pk,
        "persona_type": ContentType.objects.get_for_model(Persona).pk,
        "passkey": passkey.pk,
        "email_key": EmailConfirmationHMAC(EmailAddress.objects.get(user=newcomer)).key,
        "reset_key": (
            f"{user_pk_to_url_str(member)}-{default_token_generator.make_token(member)}"
        ),
        "admin_objects": admin_objects(),
    }
    for feature in FEATURES:
        values.update(feature.world_values(users))
    return World(users=users, values=values)


def admin_objects() -> dict[str, Any]:
    """A real row of each model in the admin, by 'app_label.model_name'."""
    rows = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            rows[f"{model._meta.app_label}.{model._meta.model_name}"] = first.pk
    return rows


Answer = HttpResponseBase | str


def ask(client: Client, method: str, path: str, rule: Rule) -> Answer:
    """One request, rolled back and with the client's cookies restored, so
    that no check changes what the next one sees."""
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            response = send(client, method, path, rule)
            transaction.set_rollback(True)
    except Exception as error:  # reported as the answer
        return f"an exception: {error!r}"
    finally:
        client.cookies = cookies
        cache.clear()  # rate-limit counters
    return response


def send(client: Client, method: str, path: str, rule: Rule) -> HttpResponseBase:
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        body = json.dumps(dict(rule.json or {}))
        return client.generic(method, path, body, content_type="application/json")
    return client.generic(method, path)


def describe(answer: Answer) -> str:
    if isinstance(answer, str):
        return answer
    location = answer.get("Location")
    return f"{answer.status_code}" + (f" to {location}" if location else "")


def check_pattern(
    pattern: Pattern, rule: Rule, role: str, world: World, client: Client
) -> list[str]:
    path = rule.path(pattern, world.values)
    route = resolve(urlsplit(path).path).route
    if route != pattern.route:
        return [f"{pattern}: the rule's url {path} is served by {route!r} instead"]
    failures = []
    for method, answers in rule.checks():
        expected = answers[role]
        answer = ask(client, method, path, rule)
        if isinstance(answer, str) or not expected.matches(answer):
            failures.append(
                f"{role} {method} {path}  [{pattern}]\n"
                f"    expected {expected}, got {describe(answer)}"
            )
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_each_role_as_the_matrix_says(
    role: str, world: World
) -> None:
    client = world.client(role)
    failures: list[str] = []
    for pattern in project_patterns():
        claimed = rules_for(pattern, RULES)
        if len(claimed) == 1:  # the tests above report the others
            failures += check_pattern(pattern, claimed[0], role, world, client)
    assert not failures, (
        f"{len(failures)} answers differ from tests/access_matrix.py for {role}:\n"
        + "\n".join(failures)
    )


def test_answers_builders_reject_unknown_roles() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        signed_in(OK, membr=OK)
