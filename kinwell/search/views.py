"""The search page: a plain GET form, so it works without JavaScript and
every result page has an address."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kinwell.discussions.models import Post
from kinwell.search.forms import SearchForm
from kinwell.search.results import PER_PAGE, Criteria, find, hits


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Threads and posts the searcher may read that hold the words."""
    form = SearchForm(request.GET, user=request.user)
    context: dict[str, Any] = {"form": form, "searched": False}
    if form.is_valid() and form.cleaned_data["q"]:
        context.update(_results(request, form.criteria()))
    return render(request, "search/search.html", context)


def _results(request: HttpRequest, criteria: Criteria) -> dict[str, Any]:
    found = find(request.user, criteria)
    page: Page[Post] = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    others = request.GET.copy()
    others.pop("page", None)
    return {
        "searched": True,
        "page": page,
        # Beyond the window, the count is "more than" it.
        "more": not found.exact,
        "window": found.limit,
        "hits": hits(list(page.object_list), criteria.terms),
        "query_string": others.urlencode(),
    }
