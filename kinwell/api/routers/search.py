"""Search: the same query as the website's search page, for whatever the
caller may read (a visitor finds public threads only)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from kinwell.api.errors import errors
from kinwell.api.routers.communities import viewer
from kinwell.api.schemas.search import SearchIn, SearchOut, hit_out
from kinwell.search.results import Criteria, find, hits

router = Router(tags=["search"])


@router.get(
    "/search",
    response={200: SearchOut, **errors(400, 401, 422)},
    auth=None,
    summary="Threads and posts you may read that hold the words, best first",
)
def search(request: HttpRequest, filters: Query[SearchIn]) -> dict[str, Any]:
    criteria = Criteria.from_text(
        filters.q,
        community=filters.community,
        tag=filters.tag,
        author=filters.author,
        since=filters.since,
        until=filters.until,
    )
    found = find(viewer(request), criteria)
    page = list(found[filters.offset : filters.offset + filters.limit])
    return {
        "count": found.count(),
        "more": not found.exact,
        "items": [hit_out(hit) for hit in hits(page, criteria.terms)],
    }
