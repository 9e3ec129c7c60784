"""Community insights: a community's and a cluster's figures, a treatment's
evaluation, and how the figures are made."""

from django.urls import URLPattern, path

from kinwell.tracking.views import insights

urlpatterns: list[URLPattern] = [
    path("c/<slug:slug>/insights/", insights.community_insights, name="insights"),
    path(
        "c/<slug:slug>/insights/treatments/<int:treatment_id>/",
        insights.treatment_insights,
        name="treatment_insights",
    ),
    path(
        "clusters/<slug:slug>/insights/",
        insights.cluster_insights,
        name="cluster_insights",
    ),
    path(
        "clusters/<slug:slug>/insights/treatments/<int:treatment_id>/",
        insights.cluster_treatment_insights,
        name="cluster_treatment_insights",
    ),
    path("insights/how-we-count/", insights.insight_rules, name="insight_rules"),
]
