"""Pieces of a page rendered once for each distinct thing they show, then
taken from a cache: a post as a visitor sees it, a row of a thread list, a
form field with its label (kinwell.lib.forms).

A fragment's template is given one dict of plain values, `item`, and nothing
else (no request, no user, no context processors), so that dict is the whole
of what the fragment can show, and its digest is a complete cache key: a
change to anything shown is a different key, never a stale page. Values that
must not be shared between readers, such as the CSRF token, stay out of the
dict as a placeholder that is filled in after the cache."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

CSRF_PLACEHOLDER = "\x00csrf\x00"
# Fragments are cheap to make again and keyed by content, so each server
# process keeps its own (see CACHES["fragments"] in settings).
TIMEOUT = 24 * 60 * 60


def _key(template: str, item: dict[str, Any]) -> str:
    material = json.dumps([template, item], sort_keys=True, default=str)
    return "fragment:" + hashlib.blake2b(material.encode(), digest_size=20).hexdigest()


def render_each(
    template: str,
    items: list[dict[str, Any]],
    *,
    csrf_token: Callable[[], str] = str,
) -> list[SafeString]:
    """`template` rendered for each item, from the cache where it can be.
    `csrf_token` is asked for only if a piece has a form, so that a page
    without one carries no token (kinwell.lib.visitor_pages)."""
    store = caches["fragments"]
    keys = [_key(template, item) for item in items]
    found: dict[str, str] = store.get_many(keys)
    made: dict[str, str] = {}
    pieces = []
    for key, item in zip(keys, items, strict=True):
        html = found.get(key) or made.get(key)
        if html is None:
            html = made[key] = render_to_string(template, {"item": item})
        if CSRF_PLACEHOLDER in html:
            html = html.replace(CSRF_PLACEHOLDER, csrf_token())
        pieces.append(html)
    if made:
        store.set_many(made, TIMEOUT)
    return [mark_safe(piece) for piece in pieces]  # noqa: S308 - rendered by a template


def remembered(material: Any, make: Callable[[], str]) -> SafeString:
    """The HTML `make` returns, kept under the digest of `material`, which
    must hold everything that HTML shows."""
    store = caches["fragments"]
    key = _key("remembered", material)
    html: str | None = store.get(key)
    if html is None:
        html = make()
        store.set(key, html, TIMEOUT)
    return mark_safe(html)  # noqa: S308 - made by a template
