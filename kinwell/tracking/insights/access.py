"""Who may read community insights.

A community's insights are part of its content: whoever may read its posts
may read them (communities.access.can_read_content). Outsiders of a hidden
community get 404, as for everything in it; outsiders of a members-only
community get 403.

A cluster's insights count the members of its listed communities together.
Anyone may read them when every one of those communities is public;
otherwise only members of the cluster's communities may, since they
include members-only communities' figures. People who may not know of the
cluster at all get 404."""

from typing import Any

from django.core.exceptions import PermissionDenied

from kinwell.communities import access as community_access
from kinwell.communities.models import Cluster, Community, Membership

FOR_MEMBERS = "These insights are for members of the community."
FOR_CLUSTER_MEMBERS = "These insights are for members of the cluster's communities."


def get_community_for_insights(user: Any, slug: str) -> Community:
    community = community_access.get_community_for_user(user, slug)
    if not community_access.can_read_content(user, community):
        raise PermissionDenied(FOR_MEMBERS)
    return community


def get_cluster_for_insights(user: Any, slug: str) -> tuple[Cluster, list[Community]]:
    """The cluster and the communities in it `user` may know of."""
    cluster, communities = community_access.get_cluster_for_user(user, slug)
    if not can_read_cluster_insights(user, cluster):
        raise PermissionDenied(FOR_CLUSTER_MEMBERS)
    return cluster, communities


def can_read_cluster_insights(user: Any, cluster: Cluster) -> bool:
    """For templates linking to a cluster's insights (one or two queries)."""
    counted = Community.objects.listed().filter(cluster=cluster)
    if not counted.exclude(visibility=Community.Visibility.PUBLIC).exists():
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(user=user, community__cluster=cluster).exists()
