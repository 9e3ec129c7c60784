"""What the circle browser tests share: people taking the steps a member
takes on the circle pages, and the recorders that look for a canary string
everywhere the server could have kept or seen it (every table and column of
the test database, every log record, every request body and URL)."""

import io
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Request,
    Response,
    expect,
)

from kinwell.accounts.models import User
from kinwell.circles.models import Circle, Device

# Key derivation (600,000 PBKDF2 rounds), several epochs, polling: slower
# than a plain page.
SLOW_MS = 30_000


# Steps a member takes ------------------------------------------------------------


def set_up_device(page: Page, label: str = "") -> None:
    """The keys page, first device of this person: active at once."""
    page.goto("/circles/keys/")
    if label:
        page.get_by_label("A name for this device").fill(label)
    page.get_by_role("button", name="Set up this device", exact=True).click()
    expect(page.locator("#circle-this-device")).to_contain_text(
        "is set up for circles", timeout=SLOW_MS
    )


def create_circle(page: Page, slug: str, name: str, purpose: str = "") -> str:
    """Creates a circle from the new-circle page; returns its uid."""
    page.goto(f"/c/{slug}/circles/new/")
    page.get_by_label("Name").fill(name)
    if purpose:
        page.get_by_label("Purpose (optional)").fill(purpose)
    page.get_by_role("button", name="Create the circle").click()
    page.wait_for_url(re.compile(r"/circles/[A-Za-z0-9_-]{10,}/$"), timeout=SLOW_MS)
    expect(page.locator("h1")).to_have_text(name, timeout=SLOW_MS)
    return page.url.rstrip("/").rsplit("/", 1)[1]


def open_circle(page: Page, uid: str) -> None:
    page.goto(f"/circles/{uid}/")
    expect(page.locator("#circle-status")).not_to_contain_text(
        "Opening the circle", timeout=SLOW_MS
    )


def invite(page: Page, uid: str, person: User) -> None:
    """The admin's server form on the circle's page, signed by the admin's
    browser as it is sent (the script enables the button once it can)."""
    open_circle(page, uid)
    page.get_by_label("Member of the community").select_option(label=person.public_name)
    with page.expect_navigation():
        page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".messages")).to_contain_text("is invited")


def accept_invitation(page: Page, slug: str) -> None:
    page.goto(f"/c/{slug}/circles/")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Accept")).first.click()
    expect(page.locator(".messages")).to_contain_text("You accepted")


def wait_until_can_read(page: Page, uid: str, person: User) -> None:
    """Opens the circle (an admin's browser signs accepted members in as it
    opens it) until `person` holds the keys."""
    open_circle(page, uid)
    expect(
        page.locator(f'#circle-readers li[data-user="{person.pk}"]')
    ).to_contain_text("can read, on", timeout=SLOW_MS)


def post_message(page: Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send to the circle").click()
    expect(page.locator("#circle-status")).to_have_text(
        "Your message was sent.", timeout=SLOW_MS
    )


def messages(page: Page) -> Any:
    return page.locator("#circle-messages")


def current_epoch(uid: str) -> int:
    return Circle.objects.get(uid=uid).current_epoch


def browser_devices(user: User) -> list[Device]:
    return list(
        Device.objects.filter(user=user, kind=Device.Kind.BROWSER).order_by("pk")
    )


def local_store(page: Page, name: str) -> Any:
    """A value of this browser's circle key store (IndexedDB), as JSON."""
    return page.evaluate(
        """async (name) => {
            const value = await window.KinwellCircleCrypto.keyStore.get(name);
            return value === undefined ? null : JSON.parse(JSON.stringify(value));
        }""",
        name,
    )


def narrate(page: Page, who: str) -> None:
    """Prints (shown with a failing test's output) script errors, console
    messages and refused requests. The app itself logs nothing."""

    def on_error(error: Error) -> None:
        print(f"{who}: page error: {error}")

    def on_console(message: ConsoleMessage) -> None:
        print(f"{who}: console {message.type}: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            print(f"{who}: {response.status} for {response.url}")

    page.on("pageerror", on_error)
    page.on("console", on_console)
    page.on("response", on_response)


# Where a canary could be found ----------------------------------------------------


@dataclass
class Recorder:
    """Everything the browsers sent and the server heard and logged."""

    browser_bodies: list[tuple[str, str]] = field(default_factory=list)
    server_bodies: list[tuple[str, bytes]] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("request", self._on_request)

    def _on_request(self, request: Request) -> None:
        try:
            body = request.post_data or ""
        except UnicodeDecodeError:  # a binary body: keep it as bytes' repr
            body = repr(request.post_data_buffer)
        self.browser_bodies.append((request.url, body))

    def assert_never_saw(self, canary: str) -> None:
        for url, body in self.browser_bodies:
            assert canary not in url, f"canary in a request URL: {url}"
            assert canary not in body, f"canary in a request body to {url}"
        for path, raw in self.server_bodies:
            assert canary not in path, f"canary in a request path: {path}"
            assert canary.encode() not in raw, (
                f"canary in the body the server got for {path}"
            )
        for line in self.log_lines:
            assert canary not in line, f"canary in a log line: {line[:200]}"


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines = lines
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.lines.append(f"{text} {record.args!r}")


@contextmanager
def recording_logs(lines: list[str]) -> Iterator[None]:
    """Every logger at DEBUG, to a handler on the root logger (and on any
    logger that does not pass records up), SQL included."""
    handler = _ListHandler(lines)
    root = logging.getLogger()
    loggers = [root] + [
        item
        for item in logging.root.manager.loggerDict.values()
        if isinstance(item, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    isolated = [logger for logger in loggers[1:] if not logger.propagate]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    # The site's own console handler stays at its usual level, so a failing
    # test's output is not buried under SQL.
    quiet = [(existing, existing.level) for existing in root.handlers]
    for existing, _ in quiet:
        existing.setLevel(max(existing.level, logging.INFO))
    root.addHandler(handler)
    for logger in isolated:
        logger.addHandler(handler)
    debug_cursors = [(conn, conn.force_debug_cursor) for conn in connections.all()]
    for conn, _ in debug_cursors:
        conn.force_debug_cursor = True
    try:
        yield
    finally:
        for conn, before in debug_cursors:
            conn.force_debug_cursor = before
        root.removeHandler(handler)
        for existing, level in quiet:
            existing.setLevel(level)
        for logger in isolated:
            logger.removeHandler(handler)
        for logger, level in levels:
            logger.setLevel(level)


@contextmanager
def recording_server_bodies(
    live_server: Any, bodies: list[tuple[str, bytes]]
) -> Iterator[None]:
    """Wraps the live server's WSGI application (for this test only) to keep
    a copy of every request's path and body, as the server received them."""
    httpd = live_server.thread.httpd
    application: Callable[..., Iterable[bytes]] = httpd.get_app()

    def recording(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", "")
        bodies.append((path, body))
        return application(environ, start_response)

    httpd.set_app(recording)
    try:
        yield
    finally:
        httpd.set_app(application)


@contextmanager
def serialised_server(live_server: Any) -> Iterator[None]:
    """Lets the live server answer one request at a time, for this test.

    With SQLite in memory, the live server's threads share one database
    connection; two browsers' requests at once (a page polling while another
    person acts) would interleave inside it, and a read could come back empty
    while another thread commits. Real deployments have a connection per
    thread, so this changes nothing the tests are about."""
    httpd = live_server.thread.httpd
    application: Callable[..., Iterable[bytes]] = httpd.get_app()
    lock = threading.Lock()

    def one_at_a_time(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with lock:
            result = application(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    httpd.set_app(one_at_a_time)
    try:
        yield
    finally:
        httpd.set_app(application)


def database_values() -> Iterator[tuple[str, str, object]]:
    """(table, column, value) of every cell of every table in the test
    database: SQLite's virtual full-text tables and their shadow tables
    included."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = [row[0] for row in cursor.fetchall()]
        else:
            tables = connection.introspection.table_names(cursor, include_views=False)
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    yield table, column, value


def assert_not_in_database(canary: str) -> int:
    """Fails if `canary` is in any cell; returns how many cells were read."""
    needle = canary.encode()
    cells = 0
    for table, column, value in database_values():
        cells += 1
        if isinstance(value, memoryview):
            value = bytes(value)
        if isinstance(value, bytes):
            assert needle not in value, f"canary in {table}.{column}"
        elif value is not None:
            assert canary not in str(value), f"canary in {table}.{column}"
    return cells
