from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kinwell.lib.ratelimit import RateLimited, limit_writes

# The API counts writes itself, after it knows who holds the token; allauth
# limits its own account pages (logins, resets, email changes) more tightly.
_COUNTED_ELSEWHERE = ("/api/", "/accounts/")


class RateLimitMiddleware:
    """Limits each account's changes through the website, and turns a
    RateLimited raised anywhere into a calm 429 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_COUNTED_ELSEWHERE)
        ):
            try:
                limit_writes(request.method or "GET", user.pk)
            except RateLimited as refused:
                return self._refuse(request, refused)
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
        return self._refuse(request, exception)

    def _refuse(self, request: HttpRequest, exception: RateLimited) -> HttpResponse:
        response = render(
            request,
            "429.html",
            {
                "retry_after": exception.retry_after,
                "retry_minutes": -(-exception.retry_after // 60),
            },
            status=429,
        )
        response["Retry-After"] = str(exception.retry_after)
        return response
