"""Sign-up and password reset over HTTP, with mail delivered to a real SMTP
server (aiosmtpd): the same path mail takes in production, minus the relay."""

import re
from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from kinwell.accounts.models import Persona, User
from tests.factories import PASSWORD, make_user
from tests.smtp import Mailbox, body_of, link_in, running_smtp_server

CONFIRM_LINK = r"/accounts/confirm-email/[-:\w]+/"
RESET_LINK = r"/accounts/password/reset/key/[0-9A-Za-z]+-.+/"


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:
    with running_smtp_server() as (mailbox, port):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        }
        yield mailbox


def logged_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def log_in(client: Client, email: str, password: str) -> None:
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.django_db
def test_signup_is_verified_through_the_email_the_smtp_server_received(
    mailbox: Mailbox,
) -> None:
    email = "new.person@example.org"
    client = Client()

    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert logged_in_user_id(client) is None, "unverified people are not logged in"
    [message] = mailbox.to(email)
    assert message["Subject"].startswith("[Kinwell] ")
    link = link_in(message, CONFIRM_LINK)

    # The link opens a page with a button: following it changes nothing.
    assert client.get(link).status_code == 200
    assert not EmailAddress.objects.get(email=email).verified
    response = client.post(link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email=email).verified
    user = User.objects.get(email=email)
    assert logged_in_user_id(client) == user.pk
    assert Persona.objects.filter(user=user, kind=Persona.Kind.PERSONAL).exists()
    fresh = Client()
    log_in(fresh, email, PASSWORD)
    assert logged_in_user_id(fresh) == user.pk


@pytest.mark.django_db
def test_unverified_person_cannot_log_in_and_is_sent_a_new_link(
    mailbox: Mailbox,
) -> None:
    email = "not.yet@example.org"
    Client().post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    client = Client()

    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert logged_in_user_id(client) is None
    assert len(mailbox.to(email)) >= 1


@pytest.mark.django_db
def test_password_reset_email_arrives_and_its_link_sets_a_new_password(
    mailbox: Mailbox,
) -> None:
    user = make_user("Reset Person")
    new_password = "another calm and long passphrase"
    client = Client()

    response = client.post("/accounts/password/reset/", {"email": user.email})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    [message] = mailbox.to(user.email)
    assert "health" not in body_of(message).lower()
    link = link_in(message, RESET_LINK)
    # allauth swaps the key in the URL for one kept in the session, so the
    # key does not leak through the Referer header of the form page.
    response = client.get(link)
    assert response.status_code == 302
    form_url = response["Location"]
    assert client.get(form_url).status_code == 200
    response = client.post(
        form_url, {"password1": new_password, "password2": new_password}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/key/done/"
    user.refresh_from_db()
    assert user.check_password(new_password)
    fresh = Client()
    log_in(fresh, user.email, new_password)
    assert logged_in_user_id(fresh) == user.pk


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_reveals_nothing(
    mailbox: Mailbox,
) -> None:
    response = Client().post(
        "/accounts/password/reset/", {"email": "nobody@example.org"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    # With enumeration prevention on, allauth tells the address it has no account.
    for message in mailbox.to("nobody@example.org"):
        assert not re.search(RESET_LINK, body_of(message))
