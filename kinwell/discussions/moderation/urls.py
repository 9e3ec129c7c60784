"""The moderation pages, in the "discussions" namespace (see
kinwell/discussions/urls.py); their names start with "moderation_"."""

from django.urls import path

from kinwell.discussions.moderation import views

BASE = "c/<slug:slug>/moderation/"

urlpatterns = [
    path(BASE, views.queue, name="moderation_queue"),
    path(f"{BASE}log/", views.log, name="moderation_log"),
    path(f"{BASE}sanctions/", views.sanctions, name="moderation_sanctions"),
    path(
        f"{BASE}sanctions/<int:sanction_id>/lift",
        views.lift_sanction,
        name="moderation_lift_sanction",
    ),
    path(f"{BASE}settings/", views.hold_settings, name="moderation_settings"),
    path(f"{BASE}posts/<int:post_id>/", views.moderate_post, name="moderation_post"),
    path(f"{BASE}posts/<int:post_id>/flag", views.flag, name="moderation_flag"),
    path(f"{BASE}posts/<int:post_id>/redact", views.redact, name="moderation_redact"),
    path(
        f"{BASE}flags/<int:flag_id>/dismiss",
        views.dismiss_flag,
        name="moderation_dismiss_flag",
    ),
    path(
        f"{BASE}threads/<int:thread_id>/state",
        views.thread_state,
        name="moderation_thread_state",
    ),
    path(
        f"{BASE}threads/<int:thread_id>/move",
        views.move_thread,
        name="moderation_move_thread",
    ),
]
