"""Atom feeds of the stories published about an organisation or a service,
for anyone to follow in a feed reader. Published stories only, as their
public page shows them: never a criticality, never a draft."""

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.feedgenerator import Atom1Feed

from kinwell.stories import access
from kinwell.stories.models import Organisation, Service, Story, StoryQuerySet

FEED_SIZE = 30


class _StoryFeed[Subject: (Organisation, Service)](Feed[Story, Subject]):
    feed_type = Atom1Feed

    def stories_about(self, obj: Subject) -> StoryQuerySet:
        raise NotImplementedError

    def items(self, obj: Subject) -> QuerySet[Story]:
        return (
            self.stories_about(obj)
            .published()
            .select_related("author")
            .order_by("-published_at", "-pk")[:FEED_SIZE]
        )

    def title(self, obj: Subject) -> str:
        return f"Care stories about {obj.name}"

    def link(self, obj: Subject) -> str:
        return obj.get_absolute_url()

    def subtitle(self, obj: Subject) -> str:
        return f"The latest stories published about {obj.name}, newest first."

    def item_title(self, item: Story) -> str:
        return item.title

    def item_link(self, item: Story) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Story) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Story) -> datetime | None:
        return item.published_at

    def item_author_name(self, item: Story) -> str:
        return item.signature

    def item_description(self, item: Story) -> str:
        # Already through the one Markdown pipeline and sanitised; the feed
        # escapes it as Atom's type="html" summary wants.
        return item.body_html


class OrganisationFeed(_StoryFeed[Organisation]):
    def get_object(self, request: HttpRequest, org: str) -> Organisation:  # type: ignore[override]
        return access.get_organisation(org)

    def stories_about(self, obj: Organisation) -> StoryQuerySet:
        return Story.objects.about_organisation(obj)


class ServiceFeed(_StoryFeed[Service]):
    def get_object(  # type: ignore[override]
        self, request: HttpRequest, org: str, service_id: int
    ) -> Service:
        organisation = access.get_organisation(org)
        found = access.get_service(organisation, service_id)
        found.organisation = organisation
        return found

    def title(self, obj: Service) -> str:
        return f"Care stories about {obj.name}, {obj.organisation.name}"

    def stories_about(self, obj: Service) -> StoryQuerySet:
        return Story.objects.about(obj)
