"""Small helpers that make test data through the real services."""

import itertools
import time
from typing import TYPE_CHECKING, Any

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)

from kinwell.accounts import services
from kinwell.accounts.models import Credential, Delegation, User

if TYPE_CHECKING:
    from kinwell.communities.models import Community
    from kinwell.discussions.models import Thread

PASSWORD = "a calm and long test passphrase"
_numbers = itertools.count(1)


def make_user(name: str = "", *, email: str = "", **flags: bool) -> User:
    number = next(_numbers)
    user = services.create_account(
        email or f"person{number}@example.org",
        PASSWORD,
        display_name=name or f"Person {number}",
    )
    if flags:
        for field, value in flags.items():
            setattr(user, field, value)
        user.save(update_fields=list(flags))
    return user


def give_totp(user: User) -> str:
    """Activates TOTP for `user` and returns the secret, to make codes with."""
    secret = str(generate_totp_secret())
    TOTP.activate(user, secret)
    return secret


def totp_code_now(secret: str, *, periods_ahead: int = 0) -> str:
    """The code an authenticator app shows for `secret`. Near the end of a
    30-second period it waits for the next one, so the server, checking a
    moment later, never sees a code that has just expired."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    counter = int(time.time()) // period + periods_ahead
    return str(format_hotp_value(hotp_value(secret, counter)))


def make_verified_clinician(
    name: str = "Dr Canary Realname", profession: str = Credential.Profession.NURSE
) -> User:
    user = make_user(name)
    give_totp(user)
    verifier = make_user("Verifier for clinician", is_verifier=True)
    give_totp(verifier)
    credential = services.submit_credential(
        user,
        profession=profession,
        registration_body="Nursing and Midwifery Council",
        registration_number=f"NMC{next(_numbers):06d}",
    )
    services.approve_credential(verifier, credential=credential)
    return user


def make_delegation(member: User, carer: User, scopes: list[str]) -> Delegation:
    delegation = services.invite_carer(member, carer_email=carer.email, scopes=scopes)
    return services.accept_delegation(carer, delegation=delegation)


def make_community(
    organiser: User,
    *,
    name: str = "",
    visibility: str = "public",
    join_policy: str = "open",
    moderators: tuple[User, ...] = (),
    members: tuple[User, ...] = (),
) -> "Community":
    """A community with its people in their roles."""
    from kinwell.communities.models import Community, Membership

    number = next(_numbers)
    community = Community.objects.create(
        name=name or f"Community {number}",
        slug=f"community-{number}",
        topic="Long COVID",
        charter="## Purpose\n\nSupport each other.",
        visibility=visibility,
        join_policy=join_policy,
    )
    roles = [(organiser, Membership.Role.ORGANISER)]
    roles += [(user, Membership.Role.MODERATOR) for user in moderators]
    roles += [(user, Membership.Role.MEMBER) for user in members]
    for user, role in roles:
        Membership.objects.create(community=community, user=user, role=role)
    return community


def make_thread(
    author: User,
    community: "Community",
    *,
    title: str = "Pacing on bad days",
    body: str = "What helps you on a bad day?",
    **options: Any,
) -> "Thread":
    """A thread started through the real service."""
    from kinwell.discussions.services import start_thread

    return start_thread(author, community=community, title=title, body=body, **options)


def make_replies(author: User, thread: "Thread", count: int) -> None:
    """`count` replies by `author`, written straight into the tables (for
    long threads in tests of paging; the services are tested on their own)."""
    from kinwell.accounts.models import Persona
    from kinwell.discussions.models import Post, Thread

    persona = Persona.objects.get(user=author, kind=Persona.Kind.PERSONAL)
    thread.refresh_from_db()
    first = thread.post_count + 1
    Post.objects.bulk_create(
        Post(
            community_id=thread.community_id,
            thread=thread,
            number=number,
            author=author,
            persona=persona,
            body=f"Reply {number}",
            body_html=f"<p>Reply {number}</p>",
        )
        for number in range(first, first + count)
    )
    Thread.objects.filter(pk=thread.pk).update(post_count=first + count - 1)
    thread.refresh_from_db()
