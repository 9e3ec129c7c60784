from django.urls import path

from kinwell.communities.archive import views

urlpatterns = [
    path("c/<slug:slug>/export/", views.export, name="export"),
    path(
        "c/<slug:slug>/export/<int:export_id>/",
        views.export_status,
        name="export_status",
    ),
    path(
        "c/<slug:slug>/export/<int:export_id>/download",
        views.export_download,
        name="export_download",
    ),
    path("communities/import/", views.import_community, name="import"),
]
