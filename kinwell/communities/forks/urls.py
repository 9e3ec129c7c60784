"""The fork pages, in the "communities" namespace (see communities/urls.py)."""

from django.urls import path

from kinwell.communities.forks import views

urlpatterns = [
    path("c/<slug:slug>/forks/", views.forks, name="forks"),
    path("c/<slug:slug>/forks/new", views.propose_fork, name="propose_fork"),
    path(
        "c/<slug:slug>/forks/<int:proposal_id>/",
        views.fork_proposal,
        name="fork_proposal",
    ),
    path(
        "c/<slug:slug>/forks/<int:proposal_id>/choose",
        views.choose_fork,
        name="choose_fork",
    ),
    path(
        "c/<slug:slug>/forks/<int:proposal_id>/comment",
        views.comment_fork,
        name="comment_fork",
    ),
    path(
        "c/<slug:slug>/forks/<int:proposal_id>/confirm",
        views.confirm_fork,
        name="confirm_fork",
    ),
    path(
        "c/<slug:slug>/forks/<int:proposal_id>/withdraw",
        views.withdraw_fork,
        name="withdraw_fork",
    ),
]
