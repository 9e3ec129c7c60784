"""Who is counted: members of a community, with an active account, whose
latest decision on "community insights" is to give it, read from the
consent ledger at the moment of asking, so a withdrawal counts from the
next computation on."""

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from kinwell.accounts.models import ConsentRecord
from kinwell.communities.models import Membership

INSIGHTS = ConsentRecord.Purpose.COMMUNITY_INSIGHTS


def latest_insights_decision(user_field: str) -> Subquery:
    """The `given` of the newest community-insights record of the user in
    `user_field` of the outer query (null if they never decided)."""
    decisions = ConsentRecord.objects.filter(
        user_id=OuterRef(user_field), purpose=INSIGHTS
    ).order_by("-created_at", "-pk")
    return Subquery(decisions.values("given")[:1])


def counted_memberships(community_ids: list[int]) -> QuerySet[Membership]:
    """Memberships of the communities whose member consents now and whose
    account is active (a closed or suspended account counts nowhere)."""
    return (
        Membership.objects.filter(community_id__in=community_ids, user__is_active=True)
        .alias(consents=latest_insights_decision("user_id"))
        .filter(consents=True)
    )


def counted_members(community_ids: list[int]) -> dict[int, set[int]]:
    """Each counted member, with the communities (of those) they belong to."""
    found: dict[int, set[int]] = {}
    rows = counted_memberships(community_ids).values_list("user_id", "community_id")
    for user_id, community_id in rows.order_by():
        found.setdefault(user_id, set()).add(community_id)
    return found


def counted_user_ids(community_ids: list[int]) -> QuerySet[Membership, Any]:
    """The same members as a subquery, for filtering the records."""
    return counted_memberships(community_ids).values("user_id")


def communities_counting(user_id: int, *, consenting: bool) -> list[int]:
    """The communities `user_id` belongs to; with `consenting`, none unless
    they consent now (their records then count nowhere)."""
    memberships = Membership.objects.filter(user_id=user_id)
    if consenting:
        memberships = memberships.alias(
            consents=latest_insights_decision("user_id")
        ).filter(consents=True)
    return list(memberships.values_list("community_id", flat=True))
