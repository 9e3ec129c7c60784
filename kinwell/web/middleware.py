from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kinwell.lib.ratelimit import RateLimited


class RateLimitMiddleware:
    """Turns a RateLimited raised by any service into a calm 429 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
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
