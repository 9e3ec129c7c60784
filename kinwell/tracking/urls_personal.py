"""A member's own tracking: the home, check-ins, conditions and tracked
symptoms (kinwell.tracking.views.personal)."""

from django.urls import URLPattern, path

from kinwell.tracking.views import personal

urlpatterns: list[URLPattern] = [
    path("tracking/", personal.home, name="home"),
    path("tracking/check-in/", personal.check_in, name="check_in"),
    path("tracking/check-ins/", personal.check_ins, name="check_ins"),
    path(
        "tracking/check-ins/<int:check_in_id>/delete/",
        personal.delete_check_in,
        name="delete_check_in",
    ),
    path("tracking/conditions/", personal.conditions, name="conditions"),
    path(
        "tracking/conditions/<int:record_id>/edit/",
        personal.edit_condition,
        name="edit_condition",
    ),
    path(
        "tracking/conditions/<int:record_id>/remove/",
        personal.remove_condition,
        name="remove_condition",
    ),
    path("tracking/symptoms/", personal.symptoms, name="symptoms"),
    path("tracking/symptoms/track/", personal.track_symptoms, name="track_symptoms"),
    path(
        "tracking/symptoms/<int:tracked_id>/stop/",
        personal.stop_tracking,
        name="stop_tracking",
    ),
]
