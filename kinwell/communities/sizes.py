"""How big a community may grow: the soft size cap and the waiting list.
Small groups are trusted groups (Dunbar's number, about 150)."""

from django.conf import settings

from kinwell.communities.models import DEFAULT_SIZE_CAP, Community, JoinRequest

# Join requests still waiting for something: a decision, or a free place.
OPEN_STATUSES = (JoinRequest.Status.PENDING, JoinRequest.Status.WAITING)


def instance_max_size() -> int:
    """The largest size cap any community here may have (set by the operator)."""
    return int(getattr(settings, "KINWELL_MAX_COMMUNITY_SIZE", DEFAULT_SIZE_CAP))


def size_cap_of(community: Community) -> int:
    return min(community.size_cap, instance_max_size())


def is_full(community: Community) -> bool:
    return community.memberships.count() >= size_cap_of(community)


def is_near_cap(member_count: int, cap: int) -> bool:
    return member_count * 5 >= cap * 4
