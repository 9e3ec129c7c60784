"""The only door to communities and what belongs to them.

Hidden communities do not exist for anyone outside them: every function here
answers Http404 to an outsider, whatever the URL or the API path. People who
may see a community but not act get PermissionDenied."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kinwell.accounts.access import require_mfa
from kinwell.communities.models import (
    Community,
    CommunityQuerySet,
    ForkProposal,
    Membership,
)


def membership_of(user: Any, community: Community) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(community=community, user=user).first()


def get_community_for_user(user: Any, slug: str) -> Community:
    """A community whose existence `user` may know, or Http404."""
    community = (
        Community.objects.visible_to(user)
        .select_related("cluster", "forked_from")
        .filter(slug=slug)
        .first()
    )
    if community is None:
        raise Http404("No such community")
    return community


def can_read_content(user: Any, community: Community) -> bool:
    """Public communities are read by anyone; the others by members only."""
    if community.visibility == Community.Visibility.PUBLIC:
        return True
    return membership_of(user, community) is not None


def get_community_for_member(user: Any, slug: str) -> tuple[Community, Membership]:
    """A community `user` belongs to. Outsiders of a hidden community get 404;
    outsiders of a listed one get PermissionDenied (they may know it exists)."""
    community = get_community_for_user(user, slug)
    membership = membership_of(user, community)
    if membership is None:
        raise PermissionDenied("This is for members of the community.")
    return community, membership


def get_community_for_moderator(user: Any, slug: str) -> tuple[Community, Membership]:
    """Organisers and moderators, with two-factor authentication, may moderate."""
    community, membership = get_community_for_member(user, slug)
    if not membership.can_moderate:
        raise PermissionDenied("This is for the community's organisers and moderators.")
    require_mfa(user)
    return community, membership


def get_community_for_organiser(user: Any, slug: str) -> tuple[Community, Membership]:
    community, membership = get_community_for_member(user, slug)
    if membership.role != Membership.Role.ORGANISER:
        raise PermissionDenied("This is for the community's organisers.")
    require_mfa(user)
    return community, membership


def can_moderate(user: Any, community: Community) -> bool:
    membership = membership_of(user, community)
    return membership is not None and membership.can_moderate


def directory(user: Any, query: str = "") -> CommunityQuerySet:
    """The directory: listed communities only, hidden ones never, even to their
    own members (a hidden community is reached from "Your communities")."""
    found = Community.objects.listed().select_related("cluster")
    if query:
        found = found.filter(name__icontains=query) | found.filter(
            topic__icontains=query
        )
    return found.order_by("name")


def get_fork_proposal_for_user(user: Any, slug: str, proposal_id: int) -> ForkProposal:
    """Fork proposals are for the original community's members."""
    community, _ = get_community_for_member(user, slug)
    proposal = (
        ForkProposal.objects.select_related("proposer", "community", "fork")
        .filter(pk=proposal_id, community=community)
        .first()
    )
    if proposal is None:
        raise Http404("No such proposal")
    return proposal
