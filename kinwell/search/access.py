"""What a searcher may find: the discussions' reading rules, for every
community at once and in SQL, so nothing they may not read is ever matched,
counted or shown.

The rules are those of kinwell.discussions.access and
kinwell.communities.access.can_read_content: public communities are read by
anyone, members-only and hidden ones by their members; a thread for members
only is read by members; and search shows published posts of published
threads alone (held, hidden and deleted text is for its author and the
moderators, on the thread's own page)."""

from typing import Any

from django.db.models import F, Q, QuerySet

from kinwell.communities.models import Community, Membership
from kinwell.discussions.access import readable_posts_filter
from kinwell.discussions.models import Post


def _member_of(user: Any) -> QuerySet[Membership, int] | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user).values_list("community_id", flat=True)


def readable_communities(user: Any) -> QuerySet[Community]:
    """Communities whose content `user` may read."""
    public = Q(visibility=Community.Visibility.PUBLIC)
    member_of = _member_of(user)
    if member_of is None:
        return Community.objects.filter(public)
    return Community.objects.filter(public | Q(pk__in=member_of))


def searchable_posts(user: Any) -> QuerySet[Post]:
    """Every post `user` may find. A post whose thread lives in another
    community than the post (a move half done) is left out."""
    return Post.objects.filter(
        readable_posts_filter(user), thread__community_id=F("community_id")
    )
