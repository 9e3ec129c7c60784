"""The circle pages, namespace "circles", mounted at the site root. Each page
is a shell the pinned circle scripts fill in (kinwell/circles/scripts.py);
what the server can render without reading a circle (members, invitations,
reports) it renders itself."""

from django.urls import path

from kinwell.circles import views

app_name = "circles"

COMMUNITY = "c/<slug:slug>/"

urlpatterns = [
    path(f"{COMMUNITY}circles/", views.circle_list, name="list"),
    path(f"{COMMUNITY}circles/new/", views.new_circle, name="new"),
    path(
        f"{COMMUNITY}moderation/circle-reports/",
        views.reports,
        name="reports",
    ),
    path(
        f"{COMMUNITY}moderation/circle-reports/<int:report_id>/decide",
        views.decide_report,
        name="report_decide",
    ),
    path("circles/keys/", views.keys, name="keys"),
    path("circles/<slug:uid>/", views.detail, name="detail"),
    path("circles/<slug:uid>/invite", views.invite, name="invite"),
    path("circles/<slug:uid>/accept", views.accept, name="accept"),
    path("circles/<slug:uid>/decline", views.decline, name="decline"),
    path("circles/<slug:uid>/leave", views.leave, name="leave"),
]
