"""URLs of things listed many times over on one page (threads, personas)."""

from collections.abc import Callable
from functools import lru_cache

from django.urls import reverse


@lru_cache(maxsize=20_000)
def cached_reverse(name: str, *args: str | int) -> str:
    """reverse(), remembered: a URL depends only on its name and arguments
    while the server runs, and reverse() is slow next to a dict lookup."""
    return reverse(name, args=args)


# A number no real id reaches, standing in for the id while reversing.
_STAND_IN = 987_654_321_987_654_321


def numbered_urls(name: str, *args: str | int) -> Callable[[int], str]:
    """URLs that differ only in their last argument, a number (the threads
    of one list): reverse() once with a stand-in, then each number is put in
    its place. The int converter writes a number as its digits, so this is
    what reverse() would give."""
    head, _, tail = reverse(name, args=[*args, _STAND_IN]).rpartition(str(_STAND_IN))
    return lambda number: f"{head}{int(number)}{tail}"
