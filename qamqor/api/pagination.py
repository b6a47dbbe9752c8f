from ninja import Field, Schema
from ninja.conf import settings
from ninja.pagination import LimitOffsetPagination

# Far beyond any list here, and far below the 64-bit limit on OFFSET in SQLite and PostgreSQL: an unbounded offset
# such as 10**28 reached the database and ended in a server error.
MAX_OFFSET = 10**9


class Pagination(LimitOffsetPagination):
    """?limit=&offset= paging answering {"items": [...], "count": n}, with both numbers bounded."""

    class Input(Schema):
        limit: int = Field(settings.PAGINATION_PER_PAGE, ge=1, le=settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
