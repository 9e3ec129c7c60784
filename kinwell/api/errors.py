"""The API's one error shape, `{"error": {"code", "message", "fields"?}}`, and
the handlers that turn every exception into it."""

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kinwell.accounts.access import MfaRequired
from kinwell.lib.ratelimit import RateLimited

logger = logging.getLogger("kinwell.api")

# Where a 400 comes from inside ninja: the body could not be parsed at all.
BAD_BODY_MESSAGE = "The request body is not valid JSON."


class InsufficientScope(PermissionDenied):
    """A read-only token tried to change something."""


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Schema):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error responses an operation declares, for its OpenAPI entry."""
    return dict.fromkeys(statuses, ErrorOut)


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = fields
    return {"error": detail}


def install(api: NinjaAPI) -> None:
    def respond(
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
    ) -> HttpResponse:
        body = error_body(code, message, fields)
        return api.create_response(request, body, status=status)

    def on_request_invalid(request: HttpRequest, exc: NinjaValidationError) -> Any:
        fields = _ninja_fields(exc.errors)
        return respond(
            request, 422, "invalid", "Check the fields and try again.", fields
        )

    def on_service_invalid(request: HttpRequest, exc: DjangoValidationError) -> Any:
        fields = _django_fields(exc)
        return respond(request, 400, "invalid", " ".join(exc.messages), fields)

    def on_not_found(request: HttpRequest, exc: Http404) -> Any:
        return respond(request, 404, "not_found", "Not found.")

    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> Any:
        return respond(request, 403, "forbidden", str(exc) or "You may not do this.")

    def on_mfa_required(request: HttpRequest, exc: MfaRequired) -> Any:
        return respond(request, 403, "mfa_required", str(exc))

    def on_insufficient_scope(request: HttpRequest, exc: InsufficientScope) -> Any:
        return respond(request, 403, "insufficient_scope", str(exc))

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> Any:
        response = respond(
            request,
            401,
            "unauthenticated",
            "Sign in, or send a personal access token as 'Authorization: Bearer …'.",
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> Any:
        if exc.status_code == 400:
            return respond(request, 422, "invalid", BAD_BODY_MESSAGE)
        if exc.status_code == 403 and "CSRF" in exc.message:
            message = "The CSRF token is missing or wrong. Reload the page and retry."
            return respond(request, 403, "csrf_failed", message)
        return respond(request, exc.status_code, "error", exc.message)

    def on_rate_limited(request: HttpRequest, exc: RateLimited) -> Any:
        message = "Too many changes in a short time. Wait a moment and retry."
        response = respond(request, 429, "rate_limited", message)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def on_server_error(request: HttpRequest, exc: Exception) -> Any:
        # Method and path only: the body may hold health details.
        logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return respond(
            request, 500, "server_error", "Something went wrong on our side."
        )

    handlers: list[tuple[type[Exception], Callable[..., Any]]] = [
        (NinjaValidationError, on_request_invalid),
        (DjangoValidationError, on_service_invalid),
        (Http404, on_not_found),
        (PermissionDenied, on_forbidden),
        (MfaRequired, on_mfa_required),
        (InsufficientScope, on_insufficient_scope),
        (AuthenticationError, on_unauthenticated),
        (HttpError, on_http_error),
        (RateLimited, on_rate_limited),
        (Exception, on_server_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def _ninja_fields(errors: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ["body", "payload", "name"] -> "name"; ["query", "limit"] -> "limit"
        parts = loc[2:] if loc[:1] == ["body"] else loc[1:]
        name = ".".join(parts) or (loc[0] if loc else "__all__")
        fields.setdefault(name, []).append(str(error.get("msg", "Invalid value.")))
    return fields


def _django_fields(exc: DjangoValidationError) -> dict[str, list[str]] | None:
    if not hasattr(exc, "error_dict"):
        return None
    return {name: list(messages) for name, messages in exc.message_dict.items()}


def json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Gives ninja's plain-text 405 the API's error shape."""

    @wraps(view)  # keeps csrf_exempt: tokens need no CSRF token
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        body = error_body("method_not_allowed", "This method is not allowed here.")
        replacement = JsonResponse(body, status=405)
        replacement["Allow"] = response["Allow"]
        return replacement

    return wrapper
