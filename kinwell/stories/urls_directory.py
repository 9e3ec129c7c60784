from django.urls import URLPattern, path

from kinwell.stories.views import directory

MANAGE = "services/<slug:org>/manage/"

urlpatterns: list[URLPattern] = [
    path("services/new/", directory.new_organisation, name="new_organisation"),
    path(MANAGE, directory.manage, name="manage"),
    path(f"{MANAGE}edit/", directory.edit_organisation, name="edit_organisation"),
    path(f"{MANAGE}services/new/", directory.new_service, name="new_service"),
    path(
        f"{MANAGE}services/<int:service_id>/",
        directory.edit_service,
        name="edit_service",
    ),
    path(
        f"{MANAGE}services/<int:service_id>/delete/",
        directory.delete_service,
        name="delete_service",
    ),
    path(f"{MANAGE}staff/", directory.manage_staff, name="manage_staff"),
    path(f"{MANAGE}staff/<int:staff_id>/", directory.edit_staff, name="edit_staff"),
    path(
        f"{MANAGE}staff/<int:staff_id>/remove/",
        directory.remove_staff,
        name="remove_staff",
    ),
]
