"""The core communities pages (namespace "communities", see urls.py)."""

from django.urls import path

from kinwell.communities import views

urlpatterns = [
    path("communities/", views.directory, name="directory"),
    path("communities/mine/", views.mine, name="mine"),
    path("communities/new/", views.create, name="create"),
    path(
        "communities/invitations/<int:invitation_id>/answer",
        views.answer_invitation,
        name="answer_invitation",
    ),
    path(
        "communities/requests/<int:request_id>/withdraw",
        views.withdraw_request,
        name="withdraw_request",
    ),
    path("c/<slug:slug>/", views.detail, name="detail"),
    path("c/<slug:slug>/avatar", views.avatar, name="avatar"),
    path("c/<slug:slug>/join", views.join, name="join"),
    path("c/<slug:slug>/leave", views.leave, name="leave"),
    path("c/<slug:slug>/members/", views.members, name="members"),
    path("c/<slug:slug>/members/<int:user_id>/role", views.set_role, name="set_role"),
    path(
        "c/<slug:slug>/members/<int:user_id>/transfer",
        views.transfer,
        name="transfer",
    ),
    path("c/<slug:slug>/requests/", views.requests, name="requests"),
    path(
        "c/<slug:slug>/requests/<int:request_id>/decide",
        views.decide_request,
        name="decide_request",
    ),
    path("c/<slug:slug>/invites/", views.invite_links, name="invite_links"),
    path(
        "c/<slug:slug>/invites/<int:link_id>/revoke",
        views.revoke_invite,
        name="revoke_invite",
    ),
    path("c/<slug:slug>/settings/", views.edit, name="edit"),
    path(
        "c/<slug:slug>/settings/cluster",
        views.cluster_settings,
        name="cluster_settings",
    ),
    path("c/<slug:slug>/health/", views.health, name="health"),
    path("join/<str:token>/", views.invite, name="invite"),
    path("clusters/<slug:slug>/", views.cluster, name="cluster"),
]
