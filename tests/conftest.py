"""Persona fixtures, shared by every test. Each is a real account made through
the services. Community roles (organiser, moderator) and service staff gain
their powers in the features that give them; until then they are members."""

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from kinwell.accounts.models import Delegation, User
from kinwell.communities.models import Community
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member(db: None) -> User:
    return factories.make_user("Mo Member")


@pytest.fixture
def carer(db: None, member: User) -> User:
    carer = factories.make_user("Cass Carer")
    factories.make_delegation(
        member,
        carer,
        [Delegation.Scope.POST, Delegation.Scope.TRACK, Delegation.Scope.READ],
    )
    return carer


@pytest.fixture
def organiser(db: None) -> User:
    user = factories.make_user("Olu Organiser")
    factories.give_totp(user)
    return user


@pytest.fixture
def moderator(db: None) -> User:
    user = factories.make_user("Mina Moderator")
    factories.give_totp(user)
    return user


@pytest.fixture
def clinician(db: None) -> User:
    return factories.make_verified_clinician()


@pytest.fixture
def service_staff(db: None) -> User:
    user = factories.make_user("Sam Staff")
    factories.give_totp(user)
    return user


@pytest.fixture
def researcher(db: None) -> User:
    return factories.make_user("Rae Researcher", is_researcher=True)


@pytest.fixture
def verifier(db: None) -> User:
    user = factories.make_user("Vic Verifier", is_verifier=True)
    factories.give_totp(user)
    return user


@pytest.fixture
def administrator(db: None) -> User:
    user = factories.make_user("Ada Admin", is_staff=True, is_superuser=True)
    factories.give_totp(user)
    return user


@pytest.fixture
def outsider(db: None) -> User:
    return factories.make_user("Otto Outsider")


@pytest.fixture
def visitor_client() -> Client:
    """An anonymous visitor."""
    return Client()


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def community(
    db: None, organiser: User, moderator: User, member: User, carer: User
) -> Community:
    """A public, open community: organiser, moderator, member and carer belong;
    outsider and the others do not."""
    return factories.make_community(
        organiser,
        name="Long COVID Peer Support",
        moderators=(moderator,),
        members=(member, carer),
    )


@pytest.fixture
def hidden_community(db: None, organiser: User, member: User) -> Community:
    """A hidden, invite-only community of the organiser and the member."""
    return factories.make_community(
        organiser,
        name="Hidden Canary Circle",
        visibility="hidden",
        join_policy="invite",
        members=(member,),
    )
