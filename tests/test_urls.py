"""URLs made many at a time say what reverse() says."""

from django.urls import reverse

from kinwell.lib.urls import cached_reverse, numbered_urls


def test_numbered_urls_are_what_reverse_gives() -> None:
    for slug in ("fatigue-leeds", "long-covid-2026", "a1"):
        thread_url = numbered_urls("discussions:thread", slug)
        for number in (1, 7, 42, 987_654, 2**40):
            expected = reverse("discussions:thread", args=[slug, number])
            assert thread_url(number) == expected
            assert cached_reverse("discussions:thread", slug, number) == expected
