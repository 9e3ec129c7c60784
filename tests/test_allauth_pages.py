"""allauth's pages, through its real views, in Kinwell's layout: each one renders,
has one h1, labels every input, and runs no script the CSP would block."""

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from kinwell.accounts.models import User
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # allauth keeps login rate limits in the cache, which outlives a test.
    cache.clear()


class PageParts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1s = 0
        self.scripts: list[dict[str, str | None]] = []
        self.styled: list[str] = []
        self.inputs: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.labels_open = 0
        self.tabindexes: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found:
            self.styled.append(tag)
        if found.get("tabindex"):
            self.tabindexes.append(int(found["tabindex"] or 0))
        if tag == "h1":
            self.h1s += 1
        elif tag == "script":
            self.scripts.append(found)
        elif tag == "label":
            self.labels_open += 1
            if found.get("for"):
                self.label_for.add(found["for"] or "")
        elif tag in ("input", "select", "textarea"):
            self.inputs.append(
                {**found, "in_label": "yes" if self.labels_open else None}
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.labels_open -= 1


def check_page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    content: str = response.content.decode()
    parts = PageParts()
    parts.feed(content)
    assert 'class="skip-link"' in content, "not in Kinwell's layout"
    assert parts.h1s == 1
    assert not parts.styled, f"inline style attributes on {parts.styled}"
    assert all(index <= 0 for index in parts.tabindexes)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce is not None
    for script in parts.scripts:
        if script.get("type") == "application/json":
            continue  # data for scripts, never run, so the CSP does not apply
        assert script.get("nonce") == nonce.group(1), script
    for field in parts.inputs:
        if field.get("type") in ("hidden", "submit", "button"):
            continue
        labelled = field["in_label"] or field.get("id") in parts.label_for
        assert labelled or field.get("aria-label"), f"unlabelled input {field}"
    return content


def log_in(user: User, *, totp_secret: str = "") -> Client:
    """Logs in through allauth's forms, and confirms the password again."""
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    if totp_secret:
        assert response["Location"] == reverse("mfa_authenticate")
        response = client.post(
            reverse("mfa_authenticate"), {"code": totp_code(totp_secret)}
        )
        assert response.status_code == 302
    # Managing two-factor authentication asks for the password again first.
    response = client.post(
        reverse("account_reauthenticate"), {"password": factories.PASSWORD}
    )
    assert response.status_code == 302
    return client


def totp_code(secret: str) -> str:
    return factories.totp_code_now(secret)


ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
]


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_entrance_pages_render(visitor_client: Client, name: str, db: None):
    check_page(visitor_client.get(reverse(name)))


def test_login_page_uses_plain_words(visitor_client: Client, db: None):
    content = check_page(visitor_client.get(reverse("account_login")))
    assert "<h1>Log in</h1>" in content
    assert "Log in with a passkey" in content
    assert "mfa/js/webauthn.js" in content


def test_login_error_is_shown(visitor_client: Client, member: User):
    response = visitor_client.post(
        reverse("account_login"), {"login": member.email, "password": "wrong"}
    )
    content = check_page(response)
    assert "errorlist" in content


def test_signup_error_is_tied_to_its_field(visitor_client: Client, db: None):
    response = visitor_client.post(
        reverse("account_signup"),
        {"email": "not an email", "password1": "x", "password2": "y"},
    )
    content = check_page(response)
    assert 'aria-invalid="true"' in content
    assert 'id="id_email_error"' in content


def test_password_reset_from_key_renders(visitor_client: Client, member: User):
    key = default_token_generator.make_token(member)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(member), "key": key},
    )
    response = visitor_client.get(path, follow=True)
    content = check_page(response)
    assert 'name="password1"' in content


def test_email_confirmation_page_renders(visitor_client: Client, member: User):
    address = EmailAddress.objects.create(
        user=member, email="second@example.org", verified=False
    )
    key = EmailConfirmationHMAC(address).key
    content = check_page(
        visitor_client.get(reverse("account_confirm_email", args=[key]))
    )
    assert "second@example.org" in content


def test_verification_sent_renders_after_signup(visitor_client: Client, db: None):
    response = visitor_client.post(
        reverse("account_signup"),
        {
            "email": "new@example.org",
            "password1": "a long and calm new passphrase",
            "password2": "a long and calm new passphrase",
        },
        follow=True,
    )
    content = check_page(response)
    assert reverse("account_email_verification_sent") in [
        url for url, _ in response.redirect_chain
    ]
    assert "Verify Your Email Address" in content


MEMBER_PAGES = [
    "account_logout",
    "account_email",
    "account_change_password",
    "account_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_list_webauthn",
    "mfa_add_webauthn",
    "usersessions_list",
]


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_account_pages_render_for_a_member(member: User, name: str):
    check_page(log_in(member).get(reverse(name)))


def test_totp_activation_page_has_a_described_qr_code(member: User):
    content = check_page(log_in(member).get(reverse("mfa_activate_totp")))
    assert 'alt="QR code for your authenticator app"' in content
    assert 'id="authenticator_secret"' in content


@pytest.fixture
def totp_user(db: None) -> tuple[User, str]:
    user = factories.make_user("Tess Totp")
    return user, factories.give_totp(user)


@pytest.mark.parametrize(
    "name",
    [
        "mfa_index",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_reauthenticate",
    ],
)
def test_mfa_pages_render_for_a_user_with_totp(totp_user: tuple[User, str], name: str):
    user, secret = totp_user
    client = log_in(user, totp_secret=secret)
    if name == "mfa_view_recovery_codes":
        client.post(reverse("mfa_generate_recovery_codes"))
    check_page(client.get(reverse(name)))


def test_mfa_authenticate_page_renders(totp_user: tuple[User, str]):
    user, _ = totp_user
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    content = check_page(client.get(reverse("mfa_authenticate")))
    assert 'name="code"' in content


def test_sessions_page_lists_sessions_and_ends_the_others(member: User):
    here, elsewhere = log_in(member), log_in(member)
    content = check_page(here.get(reverse("usersessions_list")))
    assert "<h1>Your sessions</h1>" in content
    assert "This device" in content
    assert "127.0.0.1" in content
    assert "Log out of all other sessions" in content
    here.post(reverse("usersessions_list"))
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302
    assert here.get(reverse("accounts:profile")).status_code == 200


def test_email_change_keeps_its_pending_form_hidden_without_inline_style(
    member: User,
):
    client = log_in(member)
    response = client.post(
        reverse("account_email"),
        {"email": "new@example.org", "action_add": ""},
        follow=True,
    )
    content = check_page(response)
    assert re.search(r'<form hidden\s+id="pending-email"', content)
    assert 'value="new@example.org"' in content
