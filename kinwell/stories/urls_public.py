from django.urls import URLPattern, path, register_converter
from django.urls.converters import SlugConverter

from kinwell.lib.visitor_pages import same_for_every_visitor
from kinwell.stories.feeds import OrganisationFeed, ServiceFeed
from kinwell.stories.views import public


class OrganisationSlugConverter(SlugConverter):
    """An organisation's slug, but not "new": services/new/ is the form for
    a new organisation (urls_directory), which these routes come before."""

    regex = r"(?!new/)[-a-zA-Z0-9_]+"


register_converter(OrganisationSlugConverter, "organisation")

urlpatterns: list[URLPattern] = [
    path("services/", public.organisations, name="organisations"),
    path("services/<organisation:org>/", public.organisation, name="organisation"),
    path(
        "services/<organisation:org>/statistics/",
        public.organisation_statistics,
        name="organisation_statistics",
    ),
    path(
        "services/<organisation:org>/feed/",
        same_for_every_visitor(OrganisationFeed()),
        name="organisation_feed",
    ),
    path(
        "services/<organisation:org>/<int:service_id>/",
        public.service,
        name="service",
    ),
    path(
        "services/<organisation:org>/<int:service_id>/statistics/",
        public.service_statistics,
        name="service_statistics",
    ),
    path(
        "services/<organisation:org>/<int:service_id>/feed/",
        same_for_every_visitor(ServiceFeed()),
        name="service_feed",
    ),
    path("stories/", public.story_list, name="list"),
    path("stories/transparency/", public.transparency, name="transparency"),
]
