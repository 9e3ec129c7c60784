"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against
pytest-django's `live_server` (a real HTTP server in a thread of this process,
sharing the test database).

Fixtures: `browser` (one Chromium per test session); `context` and `page`
(fresh per test, so no cookies leak between tests); `new_context` for more
(a second person, JavaScript off). Logging in: `log_in` goes through the real
login form (and the two-factor step, given the secret); `log_in_by_cookie`
gives a context a session made by `Client.force_login`, for tests that are
not about logging in. `reauthenticate(page)` confirms the password, as
allauth asks before its security pages; `totp_code(secret)` is what an
authenticator app would show. A failing test leaves a screenshot under
test-results/ (ignored by git).

Mark browser tests with `@pytest.mark.browser`; `pytest -m "not browser"`
leaves them out."""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)

from kinwell.accounts.models import User
from tests import factories
from tests.factories import PASSWORD

# Playwright's sync API drives the browser from an asyncio event loop running
# in the test's own thread. Django sees that loop and refuses ORM calls from
# the thread (SynchronousOnlyOperation), although our test code is plain
# synchronous code that never runs inside a coroutine. The check is a false
# alarm here, so it is switched off for this test session. (The live server's
# own request threads have no event loop and are checked as usual.)
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    # Keep each phase's report on the test item, so `page` can tell at
    # teardown whether the test failed and take a screenshot.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Debian's Chromium: a downloaded browser would be an unreviewed binary.
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


class ContextFactory(Protocol):
    def __call__(self, **options: Any) -> BrowserContext: ...


@pytest.fixture
def new_context(browser: Browser, live_server: Any) -> Iterator[ContextFactory]:
    """Makes extra browser contexts (a second person, JavaScript off, ...),
    all closed at the end of the test."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options = {"base_url": live_server.url, "locale": "en-GB", **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def context(new_context: ContextFactory) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    if _failed(request.node) and not page.is_closed():
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)


def _failed(item: pytest.Item) -> bool:
    return any(
        getattr(item, f"report_{when}", None) is not None
        and getattr(item, f"report_{when}").failed
        for when in ("setup", "call")
    )


def totp_code(secret: str, *, periods_ahead: int = 0) -> str:
    """The code an authenticator app shows for `secret` now, or that many
    30-second periods from now."""
    return factories.totp_code_now(secret, periods_ahead=periods_ahead)


LogIn = Callable[..., None]


def log_in_through_form(
    page: Page, email: str, password: str = PASSWORD, *, totp_secret: str = ""
) -> None:
    """Logs in as a person does: the login form, then the authenticator code
    if the account has two-factor authentication."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    password_input = page.locator("input[name=password]")
    password_input.fill(password)
    with page.expect_navigation():
        password_input.press("Enter")
    assert "/accounts/login/" not in page.url, (
        f"login failed: {page.inner_text('main')}"
    )
    if "/accounts/2fa/authenticate/" in page.url:
        assert totp_secret, f"{email} has two-factor authentication: pass totp_secret"
        code_input = page.locator("input[name=code]")
        code_input.fill(totp_code(totp_secret))
        with page.expect_navigation():
            code_input.press("Enter")
        assert "/accounts/2fa/" not in page.url, (
            f"code refused: {page.inner_text('main')}"
        )


@pytest.fixture
def log_in() -> LogIn:
    return log_in_through_form


def reauthenticate(page: Page, password: str = PASSWORD) -> None:
    """Confirms the password again, as allauth asks before its security pages
    (two-factor, passkeys, password, email): a login alone does not count."""
    page.goto("/accounts/reauthenticate/")
    password_input = page.locator("input[name=password]")
    password_input.fill(password)
    with page.expect_navigation():
        password_input.press("Enter")


def log_in_with_cookie(context: BrowserContext, base_url: str, user: User) -> None:
    """Gives `context` a session for `user` made by `Client.force_login`.

    Quick, and skips the login form and two-factor authentication: use it
    where the login itself is not what the test is about."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


LogInByCookie = Callable[[BrowserContext, User], None]


@pytest.fixture
def log_in_by_cookie(live_server: Any) -> LogInByCookie:
    def log_in(context: BrowserContext, user: User) -> None:
        log_in_with_cookie(context, live_server.url, user)

    return log_in
