"""Who is calling: a browser session (with CSRF on unsafe methods) or a
personal access token (`Authorization: Bearer kw_…`, no CSRF: it is not a
cookie, so another site cannot make the browser send it)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from kinwell.accounts.models import ApiToken, User
from kinwell.accounts.services import hash_token
from kinwell.api.errors import InsufficientScope
from kinwell.lib import ratelimit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Recording every use would make each read a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


def limit_writes(request: HttpRequest, user: User) -> User:
    """Counts unsafe requests per account; raises RateLimited past the limit."""
    ratelimit.limit_writes(request.method or "GET", user.pk)
    return user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(
                token_hash=hash_token(token),
                revoked_at__isnull=True,
                user__is_active=True,
            )
            .first()
        )
        # A wrong or revoked token is refused outright, never passed on to the
        # session: the caller asked to be this token.
        if api_token is None:
            raise AuthenticationError()
        if (
            api_token.scope != ApiToken.Scope.WRITE
            and request.method not in SAFE_METHODS
        ):
            raise InsufficientScope("This token may only read. Make a write token.")
        _mark_used(api_token)
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return limit_writes(request, api_token.user)


class SessionAuth(APIKeyCookie):
    """Django's session. CSRF is checked (for unsafe methods) only once we know
    the session is signed in, so a stranger gets 401, not a CSRF complaint."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if not isinstance(user, User):
            return None
        return limit_writes(request, user)


def _mark_used(api_token: ApiToken) -> None:
    now = timezone.now()
    last = api_token.last_used_at
    if last is None or now - last >= LAST_USED_PRECISION:
        api_token.last_used_at = now
        api_token.save(update_fields=["last_used_at"])


def current_user(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


def require_session(request: HttpRequest) -> None:
    """Tokens may not mint or revoke tokens, so a leaked token cannot outlive
    its own revocation by making another."""
    if getattr(request, "api_token", None) is not None:
        raise PermissionDenied("Manage tokens from the website, signed in.")
