"""Where a community came from and which forks came from it, as far as the
viewer may know: a hidden community appears only to its members."""

from dataclasses import dataclass
from typing import Any

from kinwell.communities.models import Community


@dataclass(frozen=True)
class Provenance:
    community: Community
    forked_from: Community | None
    forks: list[Community]


def fork_provenance(user: Any, community: Community) -> Provenance:
    """For templates/communities/forks/_provenance.html. Two queries."""
    visible = Community.objects.visible_to(user)
    forked_from = None
    if community.forked_from_id is not None:
        forked_from = visible.filter(pk=community.forked_from_id).first()
    forks = list(visible.filter(forked_from=community).order_by("forked_at", "pk"))
    return Provenance(community=community, forked_from=forked_from, forks=forks)
