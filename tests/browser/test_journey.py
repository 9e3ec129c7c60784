"""A person's first visit, in the browser: sign up, confirm the address from
the email, log in, turn on two-factor authentication, log out, and log in
again with an authenticator code. And the site without JavaScript."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from playwright.sync_api import Page, expect

from kinwell.accounts.models import Persona, User
from tests.browser.conftest import ContextFactory, LogIn, totp_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "first.visit@example.org"
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[-:\w]+/)")


def confirmation_path(address: str) -> str:
    # The live server runs in this process, so the locmem outbox sees its mail.
    for message in reversed(mail.outbox):
        if address in message.to:
            match = CONFIRM_LINK.search(str(message.body))
            assert match, f"no confirmation link in:\n{message.body}"
            return match.group(1)
    raise AssertionError(f"no email to {address} in {len(mail.outbox)} sent")


def submit(page: Page, field_name: str, value: str) -> None:
    field = page.locator(f"input[name={field_name}]")
    field.fill(value)
    with page.expect_navigation():
        field.press("Enter")


def sign_up(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password1]").fill(PASSWORD)
    submit(page, "password2", PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))


def confirm_email(page: Page) -> None:
    page.goto(confirmation_path(EMAIL))
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()


def turn_on_totp(page: Page, user: User) -> str:
    page.goto("/accounts/2fa/totp/activate/")
    # allauth first asks for the password again, then comes back here.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    submit(page, "password", PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.get_by_label("Authenticator secret").input_value()
    submit(page, "code", totp_code(secret))
    activated = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
    assert activated.exists(), f"TOTP not on; the page says: {page.inner_text('body')}"
    return secret


def log_in_with_password(page: Page) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(EMAIL)
    submit(page, "password", PASSWORD)


def log_out(page: Page) -> None:
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()


def test_sign_up_confirm_log_in_and_use_two_factor_authentication(
    page: Page, settings
) -> None:
    # The code used to switch TOTP on may not be used again; the next login is
    # made with the code an app would show 30 seconds later, which allauth
    # accepts with one period of tolerance.
    settings.MFA_TOTP_TOLERANCE = 1

    sign_up(page)
    user = User.objects.get(email=EMAIL)
    assert Persona.objects.filter(user=user, kind=Persona.Kind.PERSONAL).exists()
    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # not yet confirmed

    confirm_email(page)
    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/me/$"))  # confirming logged them in
    log_out(page)
    log_in_with_password(page)
    expect(page).not_to_have_url(re.compile(r"/accounts/"))

    secret = turn_on_totp(page, user)
    log_out(page)
    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    log_in_with_password(page)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    submit(page, "code", "000000" if totp_code(secret) != "000000" else "111111")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))  # refused
    submit(page, "code", totp_code(secret, periods_ahead=1))

    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_logging_in_and_reading_the_profile_work_without_javascript(
    member: User, new_context: ContextFactory, log_in: LogIn
) -> None:
    page = new_context(java_script_enabled=False).new_page()

    log_in(page, member.email)
    response = page.goto("/me/")

    assert response is not None
    assert response.status == 200
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_label("Display name")).to_have_value(member.display_name)


def test_logging_out_works_without_javascript(
    member: User, new_context: ContextFactory, log_in: LogIn
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, member.email)

    log_out(page)

    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
