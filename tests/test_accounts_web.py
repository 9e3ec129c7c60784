"""The accounts pages, through HTTP, as each persona."""

import hashlib
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kinwell.accounts import services
from kinwell.accounts.consents import CONSENT_TEXTS, DECISION_TEXTS
from kinwell.accounts.middleware import ACTING_FOR_SESSION_KEY
from kinwell.accounts.models import (
    ApiToken,
    AuditEvent,
    ConsentRecord,
    Credential,
    Delegation,
    Persona,
    User,
)
from tests import factories
from tests.helpers import assert_bounded_queries

ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # allauth keeps login rate limits in the cache, which outlives a test.
    cache.clear()


def url(name: str, *args: object) -> str:
    return reverse(f"accounts:{name}", args=args)


def make_pending_credential(user: User, profession: str = "doctor") -> Credential:
    return services.submit_credential(
        user,
        profession=profession,
        registration_body="General Medical Council",
        registration_number="GMC1234567",
    )


def invite(member: User, carer: User, scopes: list[str] | None = None) -> Delegation:
    return services.invite_carer(
        member, carer_email=carer.email, scopes=scopes or [Delegation.Scope.POST]
    )


def log_in_for_real(user: User) -> Client:
    """Logs in through allauth's form, so allauth tracks the session."""
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302, response.content
    return client


# Who may open what --------------------------------------------------------------------

LOGIN_PAGES = [
    "profile",
    "accessibility",
    "personas",
    "credentials",
    "delegations",
    "consents",
    "data_access",
    "api_tokens",
    "verification_queue",
]


@pytest.mark.parametrize("name", LOGIN_PAGES)
def test_visitor_is_asked_to_log_in(visitor_client: Client, name: str, db: None):
    response = visitor_client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", [n for n in LOGIN_PAGES if n != "verification_queue"])
def test_member_sees_own_pages(client_for: ClientFor, member: User, name: str):
    response = client_for(member).get(url(name))
    assert response.status_code == 200
    assert response.content.count(b"<h1") == 1


@pytest.mark.parametrize(
    "name",
    ["accept_delegation", "decline_delegation", "revoke_delegation", "start_acting"],
)
def test_delegation_actions_are_post_only(
    client_for: ClientFor, member: User, carer: User, name: str
):
    delegation = Delegation.objects.get(member=member, carer=carer)
    response = client_for(carer).get(url(name, delegation.pk))
    assert response.status_code == 405


@pytest.mark.parametrize(
    "name",
    ["accept_delegation", "decline_delegation", "revoke_delegation", "start_acting"],
)
def test_outsider_gets_404_for_someone_elses_delegation(
    client_for: ClientFor, member: User, carer: User, outsider: User, name: str
):
    delegation = Delegation.objects.get(member=member, carer=carer)
    response = client_for(outsider).post(url(name, delegation.pk))
    assert response.status_code == 404
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACTIVE


def test_outsider_gets_404_for_someone_elses_token(
    client_for: ClientFor, member: User, outsider: User
):
    token, _ = services.create_api_token(member, name="Mine", scope="read")
    response = client_for(outsider).post(url("revoke_api_token", token.pk))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_outsider_gets_404_for_a_credential(
    client_for: ClientFor, member: User, outsider: User
):
    credential = make_pending_credential(member)
    response = client_for(outsider).get(url("review_credential", credential.pk))
    assert response.status_code == 404
    response = client_for(outsider).post(
        url("review_credential", credential.pk), {"decision": "approve"}
    )
    assert response.status_code == 404
    credential.refresh_from_db()
    assert credential.status == Credential.Status.PENDING


# Profile and accessibility ------------------------------------------------------------


def test_profile_saves(client_for: ClientFor, member: User):
    client = client_for(member)
    response = client.post(
        url("profile"),
        {"display_name": "Mo", "pronouns": "they/them", "bio": "Hello *there*"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Your profile is saved." in response.content
    member.refresh_from_db()
    assert (member.display_name, member.pronouns, member.bio) == (
        "Mo",
        "they/them",
        "Hello *there*",
    )


def test_profile_rejects_overlong_name_and_keeps_the_old_one(
    client_for: ClientFor, member: User
):
    response = client_for(member).post(
        url("profile"), {"display_name": "x" * 61, "pronouns": "", "bio": ""}
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert b'aria-invalid="true"' in response.content
    member.refresh_from_db()
    assert member.display_name == "Mo Member"


def test_accessibility_saves_and_applies(client_for: ClientFor, member: User):
    client = client_for(member)
    response = client.post(
        url("accessibility"),
        {"text_size": "large", "high_contrast": "on", "reduced_motion": "on"},
        follow=True,
    )
    assert b"text-large high-contrast reduced-motion" in response.content
    member.refresh_from_db()
    assert member.text_size == "large"
    assert member.high_contrast
    assert member.reduced_motion


def test_accessibility_rejects_unknown_text_size(client_for: ClientFor, member: User):
    response = client_for(member).post(url("accessibility"), {"text_size": "huge"})
    assert response.status_code == 200
    assert b"Choose one of the offered text sizes." in response.content
    member.refresh_from_db()
    assert member.text_size == "normal"


def test_accessibility_groups_text_sizes_in_a_fieldset(
    client_for: ClientFor, member: User
):
    content = client_for(member).get(url("accessibility")).content.decode()
    assert "<fieldset" in content
    assert "<legend>Text size</legend>" in content


# Personas -----------------------------------------------------------------------------


def test_personas_lists_own_personas_with_badges(
    client_for: ClientFor, clinician: User
):
    content = client_for(clinician).get(url("personas")).content.decode()
    for persona in clinician.personas.all():
        assert persona.get_absolute_url() in content
    assert content.count("Verified nurse") >= 2
    assert "Nothing Kinwell shows links it to you" in content


def test_personal_persona_page_shows_pronouns_and_sanitised_bio(
    visitor_client: Client, member: User
):
    services.update_profile(
        member,
        display_name="Mo Member",
        pronouns="she/her",
        bio="I like **walks**. <script>alert(1)</script>",
    )
    persona = member.personas.get(kind=Persona.Kind.PERSONAL)
    response = visitor_client.get(persona.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Mo Member</h1>" in content
    assert "she/her" in content
    assert "<strong>walks</strong>" in content
    assert "<script>alert" not in content


def test_named_professional_persona_shows_frozen_name_and_badge(
    visitor_client: Client, clinician: User
):
    persona = clinician.personas.get(kind=Persona.Kind.PROFESSIONAL)
    services.update_profile(
        clinician, display_name="Changed Later", pronouns="", bio=""
    )
    content = visitor_client.get(persona.get_absolute_url()).content.decode()
    assert "Dr Canary Realname, nurse" in content
    assert "Verified nurse" in content
    assert "Changed Later" not in content


def test_anonymous_persona_page_shows_only_the_badge(
    client_for: ClientFor, outsider: User
):
    clinician = factories.make_verified_clinician("Canary Displayname")
    services.update_profile(
        clinician,
        display_name="Canary Displayname",
        pronouns="canary/pronouns",
        bio="Canary biography text",
    )
    anonymous = clinician.personas.get(kind=Persona.Kind.ANONYMOUS_PROFESSIONAL)
    others = clinician.personas.exclude(pk=anonymous.pk)
    for client in (Client(), client_for(outsider)):
        response = client.get(anonymous.get_absolute_url())
        content = response.content.decode()
        assert response.status_code == 200
        assert "Verified nurse" in content
        assert 'class="avatar"' in content
        for canary in (
            "Canary Displayname",
            "canary/pronouns",
            "Canary biography",
            clinician.email,
            f"/{clinician.pk}/",
            clinician.date_joined.strftime("%Y"),
            *(persona.public_id for persona in others),
        ):
            assert canary not in content, canary


def test_unknown_persona_is_404(visitor_client: Client, db: None):
    assert visitor_client.get(url("persona", "nope")).status_code == 404


def test_persona_of_deactivated_account_is_404(visitor_client: Client, member: User):
    persona = member.personas.get()
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert visitor_client.get(persona.get_absolute_url()).status_code == 404


# Credentials --------------------------------------------------------------------------


def test_member_submits_a_credential(client_for: ClientFor, member: User):
    response = client_for(member).post(
        url("credentials"),
        {
            "profession": "midwife",
            "registration_body": "Nursing and Midwifery Council",
            "registration_number": "12A3456B",
        },
        follow=True,
    )
    assert b"A verifier will check your registration" in response.content
    credential = member.credentials.get()
    assert credential.status == Credential.Status.PENDING
    assert b"Waiting for a verifier" in response.content


def test_empty_credential_form_writes_nothing(client_for: ClientFor, member: User):
    response = client_for(member).post(
        url("credentials"),
        {"profession": "", "registration_body": "", "registration_number": ""},
    )
    assert response.status_code == 200
    assert b"Choose your profession." in response.content
    assert b"Enter your registration number." in response.content
    assert not Credential.objects.filter(user=member).exists()


def test_second_open_credential_for_a_profession_is_refused(
    client_for: ClientFor, member: User
):
    make_pending_credential(member)
    response = client_for(member).post(
        url("credentials"),
        {
            "profession": "doctor",
            "registration_body": "GMC",
            "registration_number": "1",
        },
    )
    assert response.status_code == 200
    assert b"You already have a credential for this profession." in response.content
    assert member.credentials.count() == 1


def test_own_credential_shows_decision_note(
    client_for: ClientFor, member: User, verifier: User
):
    credential = make_pending_credential(member)
    services.reject_credential(verifier, credential=credential, note="Number not found")
    content = client_for(member).get(url("credentials")).content
    assert b"Not verified" in content
    assert b"Number not found" in content


# Verification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["member", "outsider", "clinician", "administrator"]
)
def test_non_verifiers_get_404_from_the_queue(
    client_for: ClientFor, persona: str, request: pytest.FixtureRequest
):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(url("verification_queue")).status_code == 404


def test_verifier_without_mfa_is_sent_to_set_it_up(client_for: ClientFor, member: User):
    verifier = factories.make_user("New Verifier", is_verifier=True)
    credential = make_pending_credential(member)
    client = client_for(verifier)
    for response in (
        client.get(url("verification_queue")),
        client.get(url("review_credential", credential.pk)),
        client.post(url("review_credential", credential.pk), {"decision": "approve"}),
    ):
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    credential.refresh_from_db()
    assert credential.status == Credential.Status.PENDING
    page = client.get(reverse("home"))
    assert b"set up two-factor authentication first" in page.content


def test_queue_lists_pending_credentials(
    client_for: ClientFor, verifier: User, member: User, outsider: User
):
    pending = make_pending_credential(member)
    decided = make_pending_credential(outsider)
    services.reject_credential(verifier, credential=decided, note="No")
    content = client_for(verifier).get(url("verification_queue")).content.decode()
    assert url("review_credential", pending.pk) in content
    assert url("review_credential", decided.pk) not in content


def test_queue_runs_bounded_queries(client_for: ClientFor, verifier: User):
    client = client_for(verifier)
    professions = iter(Credential.Profession.values * 10)

    def add_rows(count: int) -> None:
        for _ in range(count):
            make_pending_credential(factories.make_user(), next(professions))

    assert_bounded_queries(
        lambda: client.get(url("verification_queue")), add_rows, max_queries=12
    )


def test_verifier_approves_and_personas_are_made(
    client_for: ClientFor, verifier: User, member: User
):
    credential = make_pending_credential(member)
    response = client_for(verifier).post(
        url("review_credential", credential.pk),
        {"decision": "approve", "note": "Checked on the register"},
        follow=True,
    )
    assert b"Your decision is saved" in response.content
    credential.refresh_from_db()
    assert credential.status == Credential.Status.APPROVED
    assert credential.decided_by == verifier
    kinds = set(credential.personas.values_list("kind", flat=True))
    assert kinds == {Persona.Kind.PROFESSIONAL, Persona.Kind.ANONYMOUS_PROFESSIONAL}


def test_reject_needs_a_note(client_for: ClientFor, verifier: User, member: User):
    credential = make_pending_credential(member)
    response = client_for(verifier).post(
        url("review_credential", credential.pk), {"decision": "reject", "note": " "}
    )
    assert response.status_code == 200
    assert b"Say why, so the person can put it right." in response.content
    credential.refresh_from_db()
    assert credential.status == Credential.Status.PENDING
    assert not AuditEvent.objects.filter(action__startswith="credential.rej").exists()


def test_verifier_cannot_decide_own_credential(client_for: ClientFor, verifier: User):
    credential = make_pending_credential(verifier)
    response = client_for(verifier).post(
        url("review_credential", credential.pk), {"decision": "approve"}
    )
    assert response.status_code == 200
    assert b"You cannot decide on your own credential." in response.content
    assert not credential.personas.exists()


def test_decided_credential_cannot_be_decided_again(
    client_for: ClientFor, verifier: User, member: User
):
    credential = make_pending_credential(member)
    page = client_for(verifier).get(url("review_credential", credential.pk))
    assert b'value="approve"' in page.content
    services.reject_credential(verifier, credential=credential, note="Not found")
    response = client_for(verifier).post(
        url("review_credential", credential.pk), {"decision": "approve"}
    )
    assert response.status_code == 200
    assert b"already been decided" in response.content
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REJECTED
    assert not credential.personas.exists()


def test_review_without_a_decision_is_an_error(
    client_for: ClientFor, verifier: User, member: User
):
    credential = make_pending_credential(member)
    response = client_for(verifier).post(url("review_credential", credential.pk), {})
    assert response.status_code == 200
    assert b"Choose approve or reject." in response.content


# Carers -------------------------------------------------------------------------------


def test_both_sides_see_the_delegation(
    client_for: ClientFor, member: User, carer: User
):
    member_page = client_for(member).get(url("delegations")).content.decode()
    carer_page = client_for(carer).get(url("delegations")).content.decode()
    assert "Cass Carer" in member_page
    assert "End this arrangement" in member_page
    assert "Mo Member" in carer_page
    assert "Act for Mo Member" in carer_page


def test_member_invites_a_carer(client_for: ClientFor, member: User, outsider: User):
    response = client_for(member).post(
        url("delegations"),
        {"carer_email": outsider.email, "scopes": ["post", "track"]},
        follow=True,
    )
    assert b"Invitation sent." in response.content
    delegation = Delegation.objects.get(member=member, carer=outsider)
    assert delegation.status == Delegation.Status.INVITED
    assert delegation.scopes == ["post", "track"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"carer_email": "", "scopes": ["post"]}, b"Enter your carer&#x27;s email"),
        ({"carer_email": "x@example.org", "scopes": []}, b"Choose at least one thing"),
        (
            {"carer_email": "x@example.org", "scopes": ["fly"]},
            b"Choose from the options",
        ),
    ],
)
def test_bad_invitation_writes_nothing(
    client_for: ClientFor, member: User, data: dict[str, object], message: bytes
):
    response = client_for(member).post(url("delegations"), data)
    assert response.status_code == 200
    assert message in response.content
    assert not Delegation.objects.filter(member=member).exists()


def test_invite_form_has_fieldset_for_scopes(client_for: ClientFor, member: User):
    content = client_for(member).get(url("delegations")).content.decode()
    assert "<fieldset" in content
    assert "What they may do for you" in content


def test_carer_accepts(client_for: ClientFor, member: User, outsider: User):
    delegation = invite(member, outsider)
    response = client_for(outsider).post(url("accept_delegation", delegation.pk))
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.ACTIVE


def test_carer_declines(client_for: ClientFor, member: User, outsider: User):
    delegation = invite(member, outsider)
    client_for(outsider).post(url("decline_delegation", delegation.pk))
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.DECLINED


def test_member_cannot_accept_for_the_carer(
    client_for: ClientFor, member: User, outsider: User
):
    delegation = invite(member, outsider)
    response = client_for(member).post(
        url("accept_delegation", delegation.pk), follow=True
    )
    assert b"Only the carer can do this." in response.content
    delegation.refresh_from_db()
    assert delegation.status == Delegation.Status.INVITED


def test_revoking_twice_explains_and_changes_nothing(
    client_for: ClientFor, member: User, carer: User
):
    delegation = Delegation.objects.get(member=member, carer=carer)
    client = client_for(member)
    client.post(url("revoke_delegation", delegation.pk))
    response = client.post(url("revoke_delegation", delegation.pk), follow=True)
    assert b"already ended" in response.content
    assert AuditEvent.objects.filter(action="delegation.revoked").count() == 1


def test_carer_acts_for_member(client_for: ClientFor, member: User, carer: User):
    delegation = Delegation.objects.get(member=member, carer=carer)
    client = client_for(carer)
    response = client.post(url("start_acting", delegation.pk), follow=True)
    assert client.session[ACTING_FOR_SESSION_KEY] == delegation.pk
    assert b"You are acting for <strong>Mo Member</strong>" in response.content
    response = client.post(url("stop_acting"), follow=True)
    assert ACTING_FOR_SESSION_KEY not in client.session
    assert b"You are acting for" not in response.content


def test_member_cannot_act_under_own_delegation(
    client_for: ClientFor, member: User, carer: User
):
    delegation = Delegation.objects.get(member=member, carer=carer)
    client = client_for(member)
    assert client.post(url("start_acting", delegation.pk)).status_code == 404
    assert ACTING_FOR_SESSION_KEY not in client.session


def test_invited_carer_cannot_act_yet(
    client_for: ClientFor, member: User, outsider: User
):
    delegation = invite(member, outsider)
    client = client_for(outsider)
    response = client.post(url("start_acting", delegation.pk), follow=True)
    assert b"once you have accepted their invitation" in response.content
    assert ACTING_FOR_SESSION_KEY not in client.session


def test_revoking_ends_acting_on_the_next_request(
    client_for: ClientFor, member: User, carer: User
):
    delegation = Delegation.objects.get(member=member, carer=carer)
    carer_client = client_for(carer)
    carer_client.post(url("start_acting", delegation.pk))
    assert b"You are acting for" in carer_client.get(url("profile")).content

    client_for(member).post(url("revoke_delegation", delegation.pk))

    response = carer_client.get(url("profile"))
    assert response.wsgi_request.acting_for is None  # type: ignore[attr-defined]
    assert b"You are acting for" not in response.content
    assert ACTING_FOR_SESSION_KEY not in carer_client.session


# Consents -----------------------------------------------------------------------------


def test_consents_page_shows_each_standing_purpose(client_for: ClientFor, member: User):
    content = client_for(member).get(url("consents")).content.decode()
    for purpose in CONSENT_TEXTS:
        assert url("set_consent", purpose) in content
    # One-off decisions are made where they arise (a fork), not switched here.
    for purpose in DECISION_TEXTS:
        assert url("set_consent", purpose) not in content
    assert "Count my symptom and treatment records" in content
    assert "You have not decided yet." in content


def test_give_then_withdraw_appends_records(client_for: ClientFor, member: User):
    client = client_for(member)
    client.post(url("set_consent", "research"), {"given": "yes"})
    first = ConsentRecord.objects.get(user=member)
    snapshot = (first.given, first.text_version, first.created_at, first.method)
    response = client.post(url("set_consent", "research"), {"given": "no"}, follow=True)
    assert b"You have withdrawn consent for: Research datasets." in response.content
    records = list(ConsentRecord.objects.filter(user=member).order_by("pk"))
    assert [record.given for record in records] == [True, False]
    first.refresh_from_db()
    assert (first.given, first.text_version, first.created_at, first.method) == snapshot
    assert services.current_consents(member)["research"] == records[1]
    assert b"Withdrawn or refused" in response.content
    assert b"Given" in response.content


def test_unknown_purpose_is_404(client_for: ClientFor, member: User):
    response = client_for(member).post(
        url("set_consent", "advertising"), {"given": "yes"}
    )
    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()


def test_consent_needs_yes_or_no(client_for: ClientFor, member: User):
    response = client_for(member).post(
        url("set_consent", "research"), {"given": "maybe"}, follow=True
    )
    assert b"Please choose to give or to withdraw" in response.content
    assert not ConsentRecord.objects.exists()


def test_set_consent_is_post_only(client_for: ClientFor, member: User):
    assert client_for(member).get(url("set_consent", "research")).status_code == 405


# Access to my data --------------------------------------------------------------------


def test_data_access_lists_verifier_decision_not_own_actions(
    client_for: ClientFor, verifier: User, member: User
):
    credential = make_pending_credential(member)
    services.approve_credential(verifier, credential=credential)
    content = client_for(member).get(url("data_access")).content.decode()
    assert "Vic Verifier" in content
    assert "Approved your professional credential" in content
    assert "Submitted a professional credential" not in content


def test_a_verifier_opening_my_credential_is_shown_to_me(
    client_for: ClientFor, verifier: User, member: User
):
    credential = make_pending_credential(member)
    page = client_for(verifier).get(url("review_credential", credential.pk))
    assert page.status_code == 200
    content = client_for(member).get(url("data_access")).content.decode()
    assert "Opened your professional credential to review it" in content


def test_data_access_shows_administrators_as_a_role(
    client_for: ClientFor, administrator: User, member: User
):
    response = client_for(administrator).get(
        reverse("admin:accounts_user_change", args=[member.pk])
    )
    assert response.status_code == 200
    content = client_for(member).get(url("data_access")).content.decode()
    assert "An administrator" in content
    assert "Ada Admin" not in content


def test_data_access_is_paginated_and_bounded(
    client_for: ClientFor, verifier: User, member: User
):
    client = client_for(member)

    def add_rows(count: int) -> None:
        for _ in range(count):
            credential = make_pending_credential(member)
            services.reject_credential(verifier, credential=credential, note="No")

    assert_bounded_queries(
        lambda: client.get(url("data_access")), add_rows, max_queries=10
    )
    add_rows(40)  # 60 decisions in all, so two pages
    first = client.get(url("data_access")).content.decode()
    assert first.count("Did not approve your professional credential") == 50
    second = client.get(url("data_access"), {"page": 2}).content.decode()
    assert second.count("Did not approve your professional credential") == 10


# API tokens ---------------------------------------------------------------------------


def test_token_is_shown_once_and_only_its_hash_is_kept(
    client_for: ClientFor, member: User
):
    client = client_for(member)
    response = client.post(url("api_tokens"), {"name": "My app", "scope": "read"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=member)
    raw = response.context["raw_token"]
    assert raw.startswith("kw_")
    assert raw.encode() in response.content
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.name, token.prefix, token.token_hash)
    assert raw.encode() not in client.get(url("api_tokens")).content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scope": "read"}, b"Give the token a name"),
        ({"name": "App", "scope": "admin"}, b"Choose read or write."),
        ({"name": "   ", "scope": "write"}, b"Give the token a name"),
    ],
)
def test_bad_token_request_writes_nothing(
    client_for: ClientFor, member: User, data: dict[str, str], message: bytes
):
    response = client_for(member).post(url("api_tokens"), data)
    assert response.status_code == 200
    assert message in response.content
    assert not ApiToken.objects.exists()


def test_member_revokes_a_token(client_for: ClientFor, member: User):
    token, _ = services.create_api_token(member, name="Old app", scope="write")
    response = client_for(member).post(url("revoke_api_token", token.pk), follow=True)
    assert "The token “Old app” no longer works." in response.content.decode()
    token.refresh_from_db()
    assert not token.is_active


# Sessions -----------------------------------------------------------------------------


def test_logout_ends_other_sessions(member: User):
    here, elsewhere = log_in_for_real(member), log_in_for_real(member)
    assert elsewhere.get(url("profile")).status_code == 200
    here.post(reverse("account_logout"))
    assert here.get(url("profile")).status_code == 302
    assert elsewhere.get(url("profile")).status_code == 302


def test_password_change_ends_other_sessions(member: User):
    from allauth.usersessions.models import UserSession

    here, elsewhere = log_in_for_real(member), log_in_for_real(member)
    response = here.post(
        reverse("account_change_password"),
        {
            "oldpassword": factories.PASSWORD,
            "password1": "another long calm passphrase",
            "password2": "another long calm passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get(url("profile")).status_code == 200
    assert elsewhere.get(url("profile")).status_code == 302
    assert len(UserSession.objects.purge_and_list(member)) == 1


# Admin --------------------------------------------------------------------------------


def test_staff_without_mfa_are_sent_to_set_it_up(client_for: ClientFor, db: None):
    staff = factories.make_user("Stan Staff", is_staff=True, is_superuser=True)
    response = client_for(staff).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_with_mfa_reach_the_admin(client_for: ClientFor, administrator: User):
    assert client_for(administrator).get(reverse("admin:index")).status_code == 200


def test_admin_login_goes_through_allauth(visitor_client: Client, db: None):
    response = visitor_client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_stale_copy_cannot_overturn_a_decision(verifier: User, member: User):
    credential = make_pending_credential(member)
    stale = Credential.objects.get(pk=credential.pk)
    services.reject_credential(verifier, credential=credential, note="Not found")
    with pytest.raises(ValidationError):
        services.approve_credential(verifier, credential=stale)
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REJECTED
    assert not credential.personas.exists()


def test_inviting_an_address_without_an_account_looks_the_same_and_waits(
    client_for: ClientFor, member: User, outsider: User
):
    client = client_for(member)
    unknown = client.post(
        url("delegations"),
        {"carer_email": "new.carer@example.org", "scopes": ["post"]},
        follow=True,
    )
    known = client.post(
        url("delegations"),
        {"carer_email": outsider.email, "scopes": ["post"]},
        follow=True,
    )
    # The member cannot tell which address has an account.
    assert unknown.status_code == known.status_code == 200
    assert b"Invitation sent" in unknown.content
    assert b"Invitation sent" in known.content
    waiting = Delegation.objects.get(
        member=member, invited_email="new.carer@example.org"
    )
    assert waiting.carer is None
    assert b"new.carer@example.org" in client.get(url("delegations")).content


def test_a_waiting_invitation_is_claimed_when_that_address_is_verified(member: User):
    from kinwell.accounts import services

    services.invite_carer(member, carer_email="Later@Example.org", scopes=["track"])
    newcomer = services.create_account("later@example.org", "x" * 16, display_name="L")
    delegation = Delegation.objects.get(member=member)
    assert delegation.carer == newcomer
    assert delegation.invited_email == ""
    services.accept_delegation(newcomer, delegation=delegation)
    assert Delegation.objects.get(member=member).allows("track")


def test_consents_page_lists_one_off_decisions_only_in_the_record(
    client_for: ClientFor, member: User
):
    services.record_consent(
        member,
        user=member,
        purpose=ConsentRecord.Purpose.FORK_POSTS,
        given=True,
        reference="fork_proposal:7",
    )
    response = client_for(member).get(url("consents"))
    assert response.status_code == 200
    assert (
        "Bring my past posts into a fork (Fork proposal 7)" in response.content.decode()
    )
