"""'Your sessions' is kept up to date without a database write on every page."""

from allauth.usersessions.models import UserSession
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kinwell.accounts.middleware import SEEN_SESSION_KEY
from kinwell.accounts.models import User
from tests import factories


def usersession_writes(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return sum(
        1
        for query in queries.captured_queries
        if "usersessions_usersession" in query["sql"]
        and query["sql"].startswith(("UPDATE", "INSERT"))
    )


def test_activity_is_written_once_then_every_five_minutes(member: User) -> None:
    client = Client()
    client.force_login(member)
    assert usersession_writes(client) == 1
    assert UserSession.objects.filter(user=member).count() == 1
    assert usersession_writes(client) == 0
    assert usersession_writes(client) == 0

    session = client.session
    key, _ = session[SEEN_SESSION_KEY]
    session[SEEN_SESSION_KEY] = [key, 0]  # last seen long ago
    session.save()
    assert usersession_writes(client) == 1
    assert usersession_writes(client) == 0


def test_the_first_page_after_signing_in_writes_nothing_more(member: User) -> None:
    client = Client()
    signed_in = client.post(
        "/accounts/login/", {"login": member.email, "password": factories.PASSWORD}
    )
    assert signed_in.status_code == 302
    assert UserSession.objects.filter(user=member).count() == 1
    assert usersession_writes(client) == 0
