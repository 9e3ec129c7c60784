"""Research access (kinwell.tracking.views.research), in the `tracking`
namespace."""

from django.urls import URLPattern, path

from kinwell.tracking.views import research

urlpatterns: list[URLPattern] = [
    path("research/", research.research, name="research"),
    path("research/how-it-works/", research.about, name="research_about"),
    path(
        "research/requests/<int:request_id>/",
        research.research_request,
        name="research_request",
    ),
    path(
        "research/requests/<int:request_id>/withdraw/",
        research.withdraw,
        name="research_withdraw",
    ),
    path(
        "research/requests/<int:request_id>/releases/",
        research.release_view,
        name="research_release",
    ),
    path(
        "research/requests/<int:request_id>/decide/",
        research.decide,
        name="research_decide",
    ),
    path(
        "research/requests/<int:request_id>/end/",
        research.end_approval,
        name="research_end",
    ),
    path(
        "research/releases/<int:release_id>/download",
        research.download,
        name="research_download",
    ),
    path("c/<slug:slug>/research/", research.review, name="research_review"),
    path("c/<slug:slug>/data-releases/", research.data_releases, name="data_releases"),
]
