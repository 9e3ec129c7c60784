"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port.

Use `running_smtp_server()` and point Django's SMTP backend at the port it
yields; every message the server accepts lands in `Mailbox.messages`."""

import logging
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
# aiosmtpd logs each connection at INFO from its own thread, which can outlive
# the test's log capture; only its warnings matter here.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Mailbox:
    """aiosmtpd handler that keeps what it receives. The server runs its own
    thread, so the list is guarded by a lock."""

    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    assert part is not None, "message has no text body"
    content = part.get_content()
    assert isinstance(content, str)
    return content


def link_in(message: EmailMessage, path_pattern: str) -> str:
    """The path of the first link in `message` whose path matches `path_pattern`
    (a regular expression). Fails if there is none."""
    body = body_of(message)
    for url in re.findall(r"https?://[^\s<>\"']+", body):
        path = re.sub(r"^https?://[^/]+", "", url)
        if re.fullmatch(path_pattern, path):
            return path
    raise AssertionError(f"no link matching {path_pattern!r} in:\n{body}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """Starts the server and yields (mailbox, port); stops it afterwards.

    aiosmtpd's Controller cannot listen on port 0 (it connects to its own port
    to check it started), so we ask the OS for a free port first and retry if
    another process takes it in between."""
    mailbox = Mailbox()
    for attempt in range(5):
        controller = Controller(mailbox, hostname=HOST, port=_free_port())
        try:
            controller.start()
        except OSError:
            if attempt == 4:
                raise
            continue
        break
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()
