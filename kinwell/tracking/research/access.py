"""Who may see research requests and releases.

Researchers (User.is_researcher, given by an installation administrator)
see their own requests and download their own releases, with two-factor
authentication. A community's organisers see the requests made to their
community, to decide them, also with two-factor authentication. Everyone
else, members and moderators included, gets Http404: a request's existence
is confirmed only through the public data-release register, and only once
it is approved."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from kinwell.accounts.access import require_mfa
from kinwell.communities.access import (
    can_read_content,
    get_community_for_user,
    membership_of,
)
from kinwell.communities.models import Community, Membership
from kinwell.tracking.models import DataRelease, DatasetRequest


def is_researcher(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "is_researcher", False)
    )


def require_researcher(user: Any) -> None:
    """The research pages do not exist for anyone but researchers."""
    if not is_researcher(user):
        raise Http404("Not found")
    require_mfa(user)


def is_organiser_of(user: Any, community: Community) -> bool:
    membership = membership_of(user, community)
    return membership is not None and membership.role == Membership.Role.ORGANISER


def requests_of(researcher: Any) -> QuerySet[DatasetRequest]:
    require_researcher(researcher)
    return (
        DatasetRequest.objects.filter(researcher=researcher)
        .select_related("community", "decided_by")
        .order_by("-created_at", "-pk")
    )


def get_request_for_user(user: Any, request_id: int) -> DatasetRequest:
    """The request, for its researcher or an organiser of its community."""
    found = (
        DatasetRequest.objects.select_related("community", "researcher", "decided_by")
        .filter(pk=request_id)
        .first()
    )
    if found is None or not _may_see(user, found):
        raise Http404("Not found")
    require_mfa(user)
    return found


def _may_see(user: Any, found: DatasetRequest) -> bool:
    if is_researcher(user) and found.researcher_id == user.pk:
        return True
    return is_organiser_of(user, found.community)


def get_request_for_researcher(researcher: Any, request_id: int) -> DatasetRequest:
    """The researcher's own request; an organiser's view of it is not enough
    to act as its researcher."""
    require_researcher(researcher)
    found = get_request_for_user(researcher, request_id)
    if found.researcher_id != researcher.pk:
        raise Http404("Not found")
    return found


def get_request_for_organiser(user: Any, request_id: int) -> DatasetRequest:
    found = get_request_for_user(user, request_id)
    if not is_organiser_of(user, found.community):
        raise Http404("Not found")
    return found


def get_release_for_researcher(researcher: Any, release_id: int) -> DataRelease:
    """A release, for the researcher it was released to; Http404 for anyone
    else, the community's organisers included."""
    require_researcher(researcher)
    release = (
        DataRelease.objects.select_related("request", "community")
        .filter(pk=release_id, released_to=researcher)
        .first()
    )
    if release is None:
        raise Http404("Not found")
    return release


def get_community_for_register_reader(user: Any, slug: str) -> Community:
    """The data-release register is read by whoever may read the community's
    content: anyone for a public community, members otherwise."""
    community = get_community_for_user(user, slug)
    if not can_read_content(user, community):
        raise PermissionDenied("The data-release register is for members.")
    return community
