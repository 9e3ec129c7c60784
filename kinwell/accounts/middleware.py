import time
from collections.abc import Callable

from allauth.usersessions.models import UserSession
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse

from kinwell.accounts.access import get_active_delegation

ACTING_FOR_SESSION_KEY = "kinwell_acting_for"


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the account looked up at once instead of lazily. Every
    request asks whom it is from anyway (session_activity_middleware), and a
    page then reads the user hundreds of times, each through the lazy
    wrapper: a few percent of a thread page."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = auth_middleware.get_user(request)


def acting_for_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Sets request.acting_for to the delegation a carer is acting under.

    A revoked delegation stops working on the next request, whatever the
    session says."""

    def middleware(request: HttpRequest) -> HttpResponse:
        delegation_id = request.session.get(ACTING_FOR_SESSION_KEY)
        delegation = get_active_delegation(request.user, delegation_id)
        if delegation_id and delegation is None:
            del request.session[ACTING_FOR_SESSION_KEY]
        request.acting_for = delegation  # type: ignore[attr-defined]
        return get_response(request)

    return middleware


SEEN_SESSION_KEY = "kinwell_seen"
SEEN_EVERY_SECONDS = 300


def session_activity_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Keeps "Your sessions" (allauth's user sessions) up to date at most every
    five minutes per session, rather than with a database write on every page
    (which would queue every reader behind one writer on SQLite)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        session = request.session
        if request.user.is_authenticated and session.session_key:
            seen = session.get(SEEN_SESSION_KEY) or ["", 0]
            stale = int(time.time()) - int(seen[1]) >= SEEN_EVERY_SECONDS
            if seen[0] != session.session_key or stale:
                UserSession.objects.create_from_request(request)
                note_seen(request)
        return get_response(request)

    return middleware


def note_seen(request: HttpRequest, **kwargs: object) -> None:
    """The session's activity is on record as of now. Also connected to
    allauth's `user_logged_in`, on which allauth records the new session, so
    that the first page after signing in writes nothing more."""
    session = request.session
    if session.session_key:
        session[SEEN_SESSION_KEY] = [session.session_key, int(time.time())]
