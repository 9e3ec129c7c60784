"""Community insights: a community's and a cluster's figures and a
treatment's evaluation, read from the stored snapshot with the same access
calls as the website (kinwell.tracking.views.insights)."""

from datetime import datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Path, Router

from kinwell.api.errors import errors
from kinwell.api.routers.communities import viewer
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.api.schemas.insights import InsightsOut, TreatmentInsightsOut
from kinwell.communities.models import Cluster, Community
from kinwell.tracking.insights import refresh
from kinwell.tracking.insights.access import (
    get_cluster_for_insights,
    get_community_for_insights,
)
from kinwell.tracking.insights.figures import (
    MIN_COUNT,
    MIN_TREATMENT_MEMBERS,
    ROUND_TO,
    SMALL,
)
from kinwell.tracking.insights.reading import (
    Count,
    Insights,
    Share,
    TreatmentRow,
    latest_for,
)

router = Router(tags=["insights"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]
ClusterSlug = Annotated[str, Path(max_length=max_length(Cluster, "slug"))]

PUBLIC = errors(401, 403, 404, 422)
RULES = {
    "min_count": MIN_COUNT,
    "round_to": ROUND_TO,
    "min_treatment_members": MIN_TREATMENT_MEMBERS,
}


@router.get(
    "/communities/{slug}/insights",
    response={200: InsightsOut, **PUBLIC},
    auth=None,
    summary="A community's insights: members counted, symptoms, treatments",
)
def community_insights(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    community = get_community_for_insights(viewer(request), slug)
    insights = latest_for(community=community)
    refresh.request_if_needed([community.pk], _computed_at(insights))
    return _insights_out(insights)


@router.get(
    "/communities/{slug}/insights/treatments/{treatment_id}",
    response={200: TreatmentInsightsOut, **PUBLIC},
    auth=None,
    summary="A treatment's evaluation in a community",
)
def community_treatment_insights(
    request: HttpRequest, slug: Slug, treatment_id: ObjectId
) -> dict[str, Any]:
    community = get_community_for_insights(viewer(request), slug)
    return _evaluation_out(latest_for(community=community), treatment_id)


@router.get(
    "/clusters/{slug}/insights",
    response={200: InsightsOut, **PUBLIC},
    auth=None,
    summary="A cluster's insights, over the distinct members of its communities",
)
def cluster_insights(request: HttpRequest, slug: ClusterSlug) -> dict[str, Any]:
    cluster, communities = get_cluster_for_insights(viewer(request), slug)
    insights = latest_for(cluster=cluster)
    listed = [each.pk for each in communities if not each.is_hidden]
    refresh.request_if_needed(listed, _computed_at(insights))
    return _insights_out(insights)


@router.get(
    "/clusters/{slug}/insights/treatments/{treatment_id}",
    response={200: TreatmentInsightsOut, **PUBLIC},
    auth=None,
    summary="A treatment's evaluation in a cluster",
)
def cluster_treatment_insights(
    request: HttpRequest, slug: ClusterSlug, treatment_id: ObjectId
) -> dict[str, Any]:
    cluster, _ = get_cluster_for_insights(viewer(request), slug)
    return _evaluation_out(latest_for(cluster=cluster), treatment_id)


def _insights_out(insights: Insights | None) -> dict[str, Any]:
    if insights is None:
        return {
            "ready": False,
            "computed_at": None,
            "window_from": None,
            "window_to": None,
            "members": None,
            "symptoms": [],
            "treatments": [],
            "rules": RULES,
        }
    return {
        "ready": True,
        "computed_at": insights.computed_at,
        "window_from": insights.window[0],
        "window_to": insights.window[1],
        "members": _count(insights.members),
        "symptoms": [
            {
                "id": row.pk,
                "name": row.name,
                "rank": row.rank,
                "average_severity": row.burden,
                "members": _count(row.members),
            }
            for row in insights.symptoms
        ],
        "treatments": [_treatment(row) for row in insights.treatments],
        "rules": RULES,
    }


def _evaluation_out(insights: Insights | None, treatment_id: int) -> dict[str, Any]:
    evaluation = insights.evaluation(treatment_id) if insights else None
    if insights is None or evaluation is None:
        raise Http404("No evaluation of this treatment")
    return {
        "computed_at": insights.computed_at,
        "treatment": _treatment(evaluation.treatment),
        "effectiveness": [_share(share) for share in evaluation.effectiveness],
        "standing": [_share(share) for share in evaluation.standing],
        "side_effects": [
            {"id": row.pk, "name": row.name, "members": _count(row.members)}
            for row in evaluation.side_effects
        ],
        "rules": RULES,
    }


def _treatment(row: TreatmentRow) -> dict[str, Any]:
    return {
        "id": row.pk,
        "name": row.name,
        "kind": row.kind,
        "members": _count(row.members),
        "evaluated": row.evaluated,
    }


def _share(share: Share) -> dict[str, Any]:
    return {"key": share.key, "label": share.label, "members": _count(share.members)}


def _count(count: Count) -> dict[str, Any]:
    if not count.suppressed:
        return {"count": count.value, "suppressed": False, "reason": None}
    reason = f"fewer_than_{MIN_COUNT}" if count.state == SMALL else "withheld"
    return {"count": None, "suppressed": True, "reason": reason}


def _computed_at(insights: Insights | None) -> datetime | None:
    return insights.computed_at if insights else None
