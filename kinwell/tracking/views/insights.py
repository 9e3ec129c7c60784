"""The community insights pages. Each reads one stored snapshot (computed
in the background, already suppressed and rounded) and computes nothing:
kinwell.tracking.insights explains how the figures are made. A page that
finds no snapshot, or an old one, asks for a computation and says so."""

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kinwell.communities.models import Community
from kinwell.lib.visitor_pages import same_for_every_visitor
from kinwell.tracking.insights import charts, refresh
from kinwell.tracking.insights.access import (
    get_cluster_for_insights,
    get_community_for_insights,
)
from kinwell.tracking.insights.figures import (
    MIN_COUNT,
    MIN_TREATMENT_MEMBERS,
    ROUND_TO,
)
from kinwell.tracking.insights.reading import Insights, latest_for

RULES = {
    "min_count": MIN_COUNT,
    "round_to": ROUND_TO,
    "min_treatment_members": MIN_TREATMENT_MEMBERS,
}


@same_for_every_visitor
def community_insights(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_community_for_insights(request.user, slug)
    insights = latest_for(community=community)
    refresh.request_if_needed([community.pk], _computed_at(insights))
    context = {"community": community, **_overview(insights, "community")}
    return render(request, "tracking/insights/overview.html", context)


@same_for_every_visitor
def cluster_insights(request: HttpRequest, slug: str) -> HttpResponse:
    cluster, communities = get_cluster_for_insights(request.user, slug)
    insights = latest_for(cluster=cluster)
    refresh.request_if_needed(_listed_ids(communities), _computed_at(insights))
    context = {
        "cluster": cluster,
        "communities": [each for each in communities if not each.is_hidden],
        **_overview(insights, "cluster"),
    }
    return render(request, "tracking/insights/overview.html", context)


@same_for_every_visitor
def treatment_insights(
    request: HttpRequest, slug: str, treatment_id: int
) -> HttpResponse:
    community = get_community_for_insights(request.user, slug)
    context = {
        "community": community,
        **_evaluation(latest_for(community=community), treatment_id),
    }
    return render(request, "tracking/insights/treatment.html", context)


@same_for_every_visitor
def cluster_treatment_insights(
    request: HttpRequest, slug: str, treatment_id: int
) -> HttpResponse:
    cluster, _ = get_cluster_for_insights(request.user, slug)
    context = {
        "cluster": cluster,
        **_evaluation(latest_for(cluster=cluster), treatment_id),
    }
    return render(request, "tracking/insights/treatment.html", context)


@same_for_every_visitor
def insight_rules(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/insights/rules.html", {"rules": RULES})


def _overview(insights: Insights | None, scope: str) -> dict[str, Any]:
    context: dict[str, Any] = {"insights": insights, "scope": scope, "rules": RULES}
    if insights is not None:
        context["ranking_chart"] = charts.ranking_chart(
            insights.ranked, chart_id="chart-ranking"
        )
    return context


def _evaluation(insights: Insights | None, treatment_id: int) -> dict[str, Any]:
    """A treatment's evaluation, or Http404: not in the catalogue, or fewer
    than MIN_TREATMENT_MEMBERS counted members with a course of it."""
    evaluation = insights.evaluation(treatment_id) if insights else None
    if insights is None or evaluation is None:
        raise Http404("No evaluation of this treatment")
    name = evaluation.treatment.name
    return {
        "insights": insights,
        "evaluation": evaluation,
        "rules": RULES,
        "effectiveness_chart": charts.shares_chart(
            evaluation.effectiveness,
            chart_id="chart-effectiveness",
            title=f"How members rate the effectiveness of {name}",
        ),
        "standing_chart": charts.shares_chart(
            evaluation.standing,
            chart_id="chart-standing",
            title=f"Members still taking {name}, and why others stopped",
        ),
    }


def _computed_at(insights: Insights | None) -> datetime | None:
    return insights.computed_at if insights else None


def _listed_ids(communities: list[Community]) -> list[int]:
    return [each.pk for each in communities if not each.is_hidden]
