"""Fixed-window rate limits on writes, kept in the cache (Redis at scale).

Limits expire on their own: nobody is ever locked out for good."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests")
        self.retry_after = retry_after


_local = threading.local()


@contextmanager
def suspended() -> Iterator[None]:
    """No limits inside: for the operator's own bulk writes (demo data,
    seeding), which go through the same services as people do."""
    _local.suspended = True
    try:
        yield
    finally:
        _local.suspended = False


def check(action: str, key: str | int, *, limit: int, period: int) -> None:
    """Counts one hit of `action` by `key`; raises RateLimited past `limit`
    hits within the current `period` seconds."""
    if getattr(_local, "suspended", False):
        return
    window = int(time.time() // period)
    cache_key = f"ratelimit:{action}:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        hits = 1
    if hits > limit:
        retry_after = period - int(time.time()) % period
        raise RateLimited(retry_after)


def limit_writes(method: str, user_id: int) -> None:
    """One budget of changes per account per minute, shared by the website and
    the API, so neither is a way around the other."""
    if method not in SAFE_METHODS:
        check("write", user_id, limit=settings.KINWELL_WRITES_PER_MINUTE, period=60)
