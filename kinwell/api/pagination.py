from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from kinwell.api.schemas.fields import WholeNumber

MAX_LIMIT = 100
# Far beyond any real list, and small enough for every database's OFFSET.
MAX_OFFSET = 1_000_000_000


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`, at most 100 items a page; answers `{items, count}`."""

    class Input(Schema):
        limit: WholeNumber = Field(20, ge=1, le=MAX_LIMIT)
        offset: WholeNumber = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
