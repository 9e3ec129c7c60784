"""The discussion pages, namespace "discussions", mounted at the site root
beside the community pages they belong to."""

from django.urls import include, path

from kinwell.discussions import views

app_name = "discussions"

urlpatterns = [
    path("c/<slug:slug>/threads/", views.threads, name="threads"),
    path("c/<slug:slug>/threads/new", views.new_thread, name="new_thread"),
    path("c/<slug:slug>/preview", views.preview, name="preview"),
    path("c/<slug:slug>/t/<int:thread_id>/", views.thread, name="thread"),
    path("c/<slug:slug>/t/<int:thread_id>/reply", views.reply, name="reply"),
    path(
        "c/<slug:slug>/t/<int:thread_id>/notifications",
        views.subscribe,
        name="subscribe",
    ),
    path("c/<slug:slug>/p/<int:post_id>/", views.post, name="post"),
    path("c/<slug:slug>/p/<int:post_id>/edit", views.edit_post, name="edit_post"),
    path("c/<slug:slug>/p/<int:post_id>/delete", views.delete_post, name="delete_post"),
    path("c/<slug:slug>/p/<int:post_id>/history", views.history, name="history"),
    path("c/<slug:slug>/p/<int:post_id>/react", views.react, name="react"),
    path(
        "c/<slug:slug>/p/<int:post_id>/reactions",
        views.who_reacted,
        name="who_reacted",
    ),
    path("c/<slug:slug>/images/<int:image_id>", views.image, name="image"),
    path("c/<slug:slug>/tags/", views.tags, name="tags"),
    path("c/<slug:slug>/tags/<slug:tag>/follow", views.follow_tag, name="follow_tag"),
    path("c/<slug:slug>/tags/<slug:tag>/delete", views.delete_tag, name="delete_tag"),
    path("", include("kinwell.discussions.moderation.urls")),
]
