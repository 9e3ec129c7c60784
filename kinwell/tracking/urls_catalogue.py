"""A community's catalogue (kinwell.tracking.views.catalogue)."""

from django.urls import URLPattern, path, register_converter

from kinwell.tracking.views import catalogue


class CatalogueKindConverter:
    regex = "conditions|symptoms|treatments"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CatalogueKindConverter, "catalogue_kind")

ENTRIES = "c/<slug:slug>/catalogue/<catalogue_kind:kind>/"

urlpatterns: list[URLPattern] = [
    path("c/<slug:slug>/catalogue/", catalogue.catalogue_page, name="catalogue"),
    path(f"{ENTRIES}new/", catalogue.add_entry, name="add_entry"),
    path(f"{ENTRIES}<int:entry_id>/", catalogue.edit_entry, name="edit_entry"),
    path(
        f"{ENTRIES}<int:entry_id>/delete/",
        catalogue.delete_entry,
        name="delete_entry",
    ),
]
