"""Export and import of a member's tracking records, and records carried over
from an imported community archive (kinwell.tracking.views.io)."""

from django.urls import URLPattern, path

from kinwell.tracking.views import io

urlpatterns: list[URLPattern] = [
    path("tracking/export/", io.export, name="export"),
    path("tracking/export/tracking.zip", io.export_csv, name="export_csv"),
    path("tracking/export/tracking.fhir.json", io.export_fhir, name="export_fhir"),
    path("tracking/import/", io.import_records, name="import"),
    path("tracking/import/format/", io.import_format, name="import_format"),
    path(
        "tracking/import/<int:pending_id>/confirm/",
        io.confirm_import,
        name="import_confirm",
    ),
    path(
        "tracking/import/<int:pending_id>/cancel/",
        io.cancel_import,
        name="import_cancel",
    ),
    path("tracking/carried-over/", io.held, name="held"),
    path(
        "tracking/carried-over/<int:held_id>/review/",
        io.review_held,
        name="held_review",
    ),
    path(
        "tracking/carried-over/<int:held_id>/discard/",
        io.discard_held,
        name="held_discard",
    ),
]
