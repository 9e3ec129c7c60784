"""The only door to communities and what belongs to them.

Hidden communities do not exist for anyone outside them: every function here
answers Http404 to an outsider, whatever the URL or the API path. People who
may see a community but not act get PermissionDenied."""

from collections.abc import Iterable
from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404

from kinwell.accounts.access import require_mfa
from kinwell.accounts.models import User
from kinwell.communities.models import (
    Cluster,
    Community,
    CommunityQuerySet,
    ForkProposal,
    InviteLink,
    JoinRequest,
    MemberInvitation,
    Membership,
)
from kinwell.communities.sizes import OPEN_STATUSES, is_full
from kinwell.lib.changes import remembered_until_changed


def membership_of(user: Any, community: Community) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(community=community, user=user).first()


def get_community_for_user(
    user: Any, slug: str, *, with_relations: bool = True
) -> Community:
    """A community whose existence `user` may know, or Http404. Its cluster
    and the community it was forked from come with it, unless the caller
    shows neither (a thread page, which is read far more than any other)."""
    found = Community.objects.visible_to(user)
    if with_relations:
        found = found.select_related("cluster", "forked_from")
    return get_object_or_404(found, slug=slug)


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


MEMBER_COUNT_SECONDS = 60


def member_counts(communities: Iterable[Community]) -> dict[int, int]:
    """How many members each community has, for the directory: a page of
    communities counted in one query (not every community's memberships
    grouped), and remembered for that page, since counting is most of the
    directory's work. The key holds the generation of changes, so a join or
    a departure is counted at once; the timeout only lets unused counts go."""
    ids = sorted(community.pk for community in communities)
    return remembered_until_changed(
        "member-counts:" + ",".join(map(str, ids)),
        lambda: _count_members(ids),
        seconds=MEMBER_COUNT_SECONDS,
    )


def _count_members(ids: list[int]) -> dict[int, int]:
    rows = (
        Membership.objects.filter(community_id__in=ids)
        .values_list("community_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {i: 0 for i in ids} | dict(rows.values_list("community_id", "n"))


def get_fork_proposal_for_user(user: Any, slug: str, proposal_id: int) -> ForkProposal:
    """Fork proposals are for the original community's members."""
    community, _ = get_community_for_member(user, slug)
    return get_object_or_404(
        ForkProposal.objects.select_related("proposer", "community", "fork"),
        pk=proposal_id,
        community=community,
    )


# Lookups inside a community -----------------------------------------------
# Lookups below a check made in kinwell.communities.access: each takes the
# community the caller was allowed, so nothing is found outside it.


def get_join_request(community: Community, request_id: int) -> JoinRequest:
    return get_object_or_404(
        JoinRequest.objects.select_related("user", "community"),
        pk=request_id,
        community=community,
    )


def get_own_join_request(user: User, request_id: int) -> JoinRequest:
    return get_object_or_404(
        JoinRequest.objects.select_related("community"),
        pk=request_id,
        user=user,
    )


def get_invite_link(community: Community, link_id: int) -> InviteLink:
    return get_object_or_404(
        InviteLink.objects.select_related("community"),
        pk=link_id,
        community=community,
    )


def get_invite_link_by_token(token: str) -> InviteLink:
    """Whoever holds the token may see which community it opens: that is
    what the link is for, even for a hidden community."""
    return get_object_or_404(
        InviteLink.objects.select_related("community", "community__cluster"),
        token=token,
    )


def _invitations_for(user: User) -> QuerySet[MemberInvitation]:
    """Invitations addressed to the account, or to one of its verified email
    addresses (an imported community's members are invited by email)."""
    verified = (
        EmailAddress.objects.filter(user=user, verified=True)
        .annotate(address=Lower("email"))
        .values("address")
    )
    return MemberInvitation.objects.filter(
        Q(user=user) | Q(user__isnull=True, email__in=verified)
    )


def is_invitation_for(invitation: MemberInvitation, user: User) -> bool:
    return _invitations_for(user).filter(pk=invitation.pk).exists()


def get_own_invitation(user: User, invitation_id: int) -> MemberInvitation:
    return get_object_or_404(
        _invitations_for(user).select_related("community"),
        pk=invitation_id,
    )


def get_member(community: Community, user_id: int) -> User:
    membership = (
        Membership.objects.select_related("user")
        .filter(community=community, user_id=user_id)
        .first()
    )
    if membership is None:
        raise Http404("No such member")
    return membership.user


def get_cluster_for_user(user: Any, slug: str) -> tuple[Cluster, list[Community]]:
    """A cluster and the communities in it that `user` may know of; a cluster
    with none of those does not exist for them."""
    cluster = Cluster.objects.filter(slug=slug).first()
    communities = (
        list(
            Community.objects.visible_to(user).filter(cluster=cluster).order_by("name")
        )
        if cluster
        else []
    )
    if cluster is None or not communities:
        raise Http404("No such cluster")
    return cluster, communities


def siblings_of(user: Any, community: Community) -> list[Community]:
    if community.cluster_id is None:
        return []
    return list(
        Community.objects.visible_to(user)
        .filter(cluster_id=community.cluster_id)
        .exclude(pk=community.pk)
        .order_by("name")
    )


def organisers_of(community: Community) -> list[User]:
    return list(
        User.objects.filter(
            memberships__community=community,
            memberships__role=Membership.Role.ORGANISER,
        ).order_by("display_name", "pk")
    )


def members_of(community: Community) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(community=community)
        .select_related("user")
        .order_by("role", "user__display_name", "pk")
    )


def my_memberships(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("community", "community__cluster")
        .order_by("community__name")
    )


def my_open_requests(user: User) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(user=user, status__in=OPEN_STATUSES)
        .select_related("community")
        .order_by("-created_at")
    )


def my_invitations(user: User) -> QuerySet[MemberInvitation]:
    return (
        _invitations_for(user)
        .filter(status=MemberInvitation.Status.PENDING)
        .select_related("community")
        .order_by("-created_at")
    )


def open_requests_of(community: Community) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(community=community, status__in=OPEN_STATUSES)
        .select_related("user")
        .order_by("status", "created_at", "pk")
    )


def invite_links_of(community: Community) -> QuerySet[InviteLink]:
    return (
        InviteLink.objects.filter(community=community)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def join_state(user: Any, community: Community) -> str:
    """What the join button should say: member, pending, waiting, invite,
    full or open (a by-request community is "open" to asking)."""
    if getattr(user, "is_authenticated", False):
        if Membership.objects.filter(community=community, user=user).exists():
            return "member"
        waiting = JoinRequest.objects.filter(
            community=community, user=user, status__in=OPEN_STATUSES
        ).values_list("status", flat=True)
        status = waiting.first()
        if status is not None:
            return str(status)
    if community.join_policy == Community.JoinPolicy.INVITE:
        return "invite"
    if community.join_policy == Community.JoinPolicy.OPEN and is_full(community):
        return "full"
    return "open"
