"""URLs of things listed many times over on one page (threads, personas)."""

from functools import lru_cache

from django.urls import reverse


@lru_cache(maxsize=20_000)
def cached_reverse(name: str, *args: str | int) -> str:
    """reverse(), remembered: a URL depends only on its name and arguments
    while the server runs, and reverse() is slow next to a dict lookup."""
    return reverse(name, args=args)
