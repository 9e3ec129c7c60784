"""Treatment courses, their evaluations and the personal charts
(kinwell.tracking.views.treatments)."""

from django.urls import URLPattern, path

from kinwell.tracking.views import treatments

urlpatterns: list[URLPattern] = [
    path("tracking/treatments/", treatments.treatment_list, name="treatments"),
    path("tracking/treatments/<int:course_id>/", treatments.course, name="course"),
    path(
        "tracking/treatments/<int:course_id>/edit/",
        treatments.edit_course,
        name="edit_course",
    ),
    path(
        "tracking/treatments/<int:course_id>/stop/",
        treatments.stop_course,
        name="stop_course",
    ),
    path(
        "tracking/treatments/<int:course_id>/evaluate/",
        treatments.evaluate_course,
        name="evaluate_course",
    ),
    path(
        "tracking/treatments/<int:course_id>/delete/",
        treatments.delete_course,
        name="delete_course",
    ),
    path(
        "tracking/treatments/<int:course_id>/evaluations/<int:evaluation_id>/delete/",
        treatments.delete_evaluation,
        name="delete_evaluation",
    ),
    path("tracking/chart/", treatments.chart, name="chart"),
]
