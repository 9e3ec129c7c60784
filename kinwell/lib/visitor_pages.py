"""Pages that every visitor sees alike, made once and shared among visitors.

Most people who read a health community arrive from a search engine and
are not signed in; they all see the same thread page. Such a page is kept
in the "pages" cache and answered from it until anything a visitor could
see changes: the key holds kinwell.lib.changes' generation, which grows
after every committed write. The timeout (KINWELL_VISITOR_PAGE_SECONDS)
bounds how far relative dates ("3 hours ago") can lag, and changes made
where Kinwell cannot see them (SQL typed into the database by hand).

A page is shared only when nothing in it can belong to one reader:
- the request is a plain GET from a visitor: no cookie but the CSRF one,
  no Authorization header, not an htmx request, no query parameter but
  those the pages read (SHARED_PARAMETERS);
- its view is marked `@same_for_every_visitor`;
- the answer is a 200 that sets no cookie, carries no CSRF token, shows or
  queues no message and changes no session.
Signed-in members never get a shared page. The CSP nonce is the one value a
shared page must not share: it is stored as a placeholder and each answer
gets its own, as the Content-Security-Policy header does."""

import hashlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from kinwell.lib.changes import generation

logger = logging.getLogger(__name__)

NONCE_PLACEHOLDER = b"\x00csp-nonce\x00"
# The query parameters the shared pages read. A URL with any other is made
# afresh: anyone could otherwise fill the cache with `?junk=1`, `?junk=2`...
SHARED_PARAMETERS = frozenset({"page", "tag", "q"})
# Larger pages are rare and cheap to skip.
LARGEST_SHARED_PAGE = 512 * 1024


def same_for_every_visitor[View: Callable[..., HttpResponse]](view: View) -> View:
    """Marks a view whose page, for a visitor, depends only on its URL."""
    view.same_for_every_visitor = True  # type: ignore[attr-defined]
    return view


def forget_shared_pages() -> None:
    """A new start may bring new templates or settings: the pages shared
    with visitors by an earlier server are not shared again."""
    generation.advance()


class VisitorPageMiddleware:
    """Last in MIDDLEWARE, so every other middleware (CSP, CSRF, security
    headers, rate limits) does its work on shared pages too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timeout = settings.KINWELL_VISITOR_PAGE_SECONDS
        if not timeout or not _from_a_visitor(request):
            return self.get_response(request)
        store = caches["pages"]
        try:
            key = _key(request)
            kept = store.get(key)
        except Exception:  # the cache is down: visitors still get the page
            logger.exception("shared pages: the cache could not be read")
            return self.get_response(request)
        if kept is not None:
            return _answer(request, *kept)
        response = self.get_response(request)
        if _shareable(request, response):
            try:
                store.set(key, _keepable(request, response), timeout)
            except Exception:
                logger.exception("shared pages: the cache could not be written")
        return response


def _from_a_visitor(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and all(name == settings.CSRF_COOKIE_NAME for name in request.COOKIES)
        and "HTTP_AUTHORIZATION" not in request.META
        and "HTTP_HX_REQUEST" not in request.META
        and SHARED_PARAMETERS.issuperset(request.GET)
        and all(len(values) == 1 for _, values in request.GET.lists())
    )


def _key(request: HttpRequest) -> str:
    # In one order, so that ?tag=x&page=2 and ?page=2&tag=x are one page.
    query = urlencode(sorted(request.GET.items()))
    url = f"{request.get_host()}{request.path}?{query}"
    digest = hashlib.blake2b(url.encode(), digest_size=20).hexdigest()
    return f"page:{generation.current()}:{digest}"


def _shareable(request: HttpRequest, response: HttpResponse) -> bool:
    view = request.resolver_match.func if request.resolver_match else None
    return (
        getattr(view, "same_for_every_visitor", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and len(response.content) <= LARGEST_SHARED_PAGE
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.session.modified
        and not len(messages.get_messages(request))
    )


def _keepable(
    request: HttpRequest, response: HttpResponse
) -> tuple[bytes, dict[str, str]]:
    content = response.content
    nonce = getattr(request, "_csp_nonce", None)
    if nonce:  # made for this page, so it appears in it
        content = content.replace(str(nonce).encode(), NONCE_PLACEHOLDER)
    return content, dict(response.headers)


def _answer(
    request: HttpRequest, content: bytes, headers: dict[str, Any]
) -> HttpResponse:
    if NONCE_PLACEHOLDER in content:
        nonce = str(request._csp_nonce)  # type: ignore[attr-defined]
        content = content.replace(NONCE_PLACEHOLDER, nonce.encode())
    response = HttpResponse(content, headers=headers)
    # As a page made afresh says (it read the session): a cache between
    # here and the reader must not give it to someone signed in.
    patch_vary_headers(response, ["Cookie"])
    return response
