"""Notification emails the way production sends them: the post commits, the
database-backed worker runs the fan-out and the sending, and a real SMTP
server on 127.0.0.1 receives the mail."""

import re
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test import Client

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.models import Community
from kinwell.discussions import services as discussions
from kinwell.discussions.models import Thread
from kinwell.notifications.models import Notification, NotificationSettings
from tests.smtp import Mailbox, body_of, link_in, running_smtp_server

UNSUBSCRIBE_LINK = r"/notifications/unsubscribe/[^/\s]+/"
OPEN_LINK = r"/notifications/\d+/"


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with running_smtp_server() as (mailbox, port):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        }
        yield mailbox


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")


def start(author: User, community: Community) -> Thread:
    return discussions.start_thread(
        author, community=community, title="Pacing on bad days", body="Tips?"
    )


@pytest.mark.django_db(transaction=True)
def test_a_reply_reaches_the_thread_author_through_the_worker_and_smtp(
    mailbox: Mailbox, community: Community, organiser: User, member: User
) -> None:
    thread = start(organiser, community)
    discussions.reply(member, thread=thread, body="My private symptom diary")

    # Committed and queued: nothing is sent until the worker runs.
    assert mailbox.messages == []
    assert not Notification.objects.exists()
    run_worker()

    [message] = mailbox.to(organiser.email)
    assert message["Subject"] == "[Kinwell] Mo Member replied to your thread"
    body = body_of(message)
    assert "Pacing on bad days" in body
    assert "Long COVID Peer Support" in body
    assert "symptom" not in body
    notification = Notification.objects.get(user=organiser)
    assert link_in(message, OPEN_LINK) == f"/notifications/{notification.pk}/"
    unsubscribe = link_in(message, UNSUBSCRIBE_LINK)
    assert message["List-Unsubscribe"] == f"<http://127.0.0.1:8000{unsubscribe}>"
    # As sent, not only as decoded: one unbroken <URL> mail programs can use.
    raw = dict(message.raw_items())["List-Unsubscribe"]
    assert raw == f"<http://127.0.0.1:8000{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The link needs no login: a page with a button, then it is done.
    client = Client()
    assert client.get(unsubscribe).status_code == 200
    assert not NotificationSettings.objects.exists()
    assert client.post(unsubscribe).status_code == 200
    discussions.reply(member, thread=thread, body="Anyone?")
    run_worker()

    assert len(mailbox.to(organiser.email)) == 1
    assert Notification.objects.filter(user=organiser).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_daily_digest_arrives_and_one_click_stops_it(
    mailbox: Mailbox,
    community: Community,
    organiser: User,
    member: User,
    moderator: User,
) -> None:
    digests = ConsentRecord.Purpose.EMAIL_DIGESTS
    account_services.record_consent(member, user=member, purpose=digests, given=True)
    thread = start(organiser, community)
    run_worker()
    discussions.set_subscription(member, thread=thread, level="watching")
    discussions.reply(moderator, thread=thread, body="Rest is my private plan")
    run_worker()
    assert mailbox.to(member.email) == []

    call_command("send_digests")
    run_worker()

    [digest] = mailbox.to(member.email)
    assert digest["Subject"] == "[Kinwell] Your daily digest: 1 new post"
    body = body_of(digest)
    assert "Mina Moderator posted in a thread you watch" in body
    assert "Pacing on bad days" in body
    assert "private plan" not in body
    # A mail program's own unsubscribe button: a POST to the header's URL.
    header = re.fullmatch(r"<https?://[^/]+(/.+)>", digest["List-Unsubscribe"])
    assert header is not None
    response = Client(enforce_csrf_checks=True).post(
        header.group(1),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not account_services.has_consented(member, digests)

    discussions.reply(moderator, thread=thread, body="More")
    run_worker()
    call_command("send_digests")
    run_worker()
    assert len(mailbox.to(member.email)) == 1
