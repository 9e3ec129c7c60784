"""The public pages of care stories: the directory of organisations, an
organisation's and a service's pages, their statistics, the published
stories and the moderation transparency page.

Everything here is public and the same for every reader, so every page is
shared among visitors (kinwell.lib.visitor_pages). Only published stories
appear, and never a criticality: the figures that use it are aggregates
withheld below a threshold (kinwell.stories.stats)."""

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kinwell.lib.visitor_pages import same_for_every_visitor
from kinwell.stories import access, charts, stats
from kinwell.stories.forms.public import OrganisationSearchForm
from kinwell.stories.models import (
    Organisation,
    Service,
    Story,
    StoryService,
)

PAGE_SIZE = 20
LATEST_STORIES = 10


def _page(request: HttpRequest, items: Any) -> Page[Any]:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# Organisations and services ----------------------------------------------------


@same_for_every_visitor
def organisations(request: HttpRequest) -> HttpResponse:
    form = OrganisationSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page = _page(request, Organisation.objects.matching(query).order_by("name", "pk"))
    context = {
        "form": form,
        "query": query,
        "page": page,
        "rows": _directory_rows(list(page.object_list)),
    }
    return render(request, "stories/public/organisations.html", context)


@same_for_every_visitor
def organisation(request: HttpRequest, org: str) -> HttpResponse:
    found = access.get_organisation(org)
    services = list(found.services.order_by("name"))
    for each in services:
        each.organisation = found  # their links need its slug, not a query each
    latest = Story.objects.about_organisation(found).cards()[:LATEST_STORIES]
    context = {
        "organisation": found,
        "tree": service_tree(services),
        "figures": stats.organisation_figures(found),
        "stories": list(latest),
    }
    return render(request, "stories/public/organisation.html", context)


@same_for_every_visitor
def service(request: HttpRequest, org: str, service_id: int) -> HttpResponse:
    found = _service(org, service_id)
    children = list(found.children.order_by("name"))
    for child in children:
        child.organisation = found.organisation
    context = {
        "organisation": found.organisation,
        "service": found,
        "ancestors": _ancestors(found),
        "children": children,
        "figures": stats.service_figures(found),
        "page": _page(request, Story.objects.about(found).cards()),
    }
    return render(request, "stories/public/service.html", context)


def _service(org: str, service_id: int) -> Service:
    """The service, in the organisation the URL names: Http404 otherwise."""
    organisation = access.get_organisation(org)
    found = access.get_service(organisation, service_id)
    found.organisation = organisation
    return found


def _ancestors(service: Service) -> list[Service]:
    ids = [int(part) for part in service.path.strip("/").split("/")[:-1]]
    found = Service.objects.filter(pk__in=ids, organisation=service.organisation_id)
    by_id = {above.pk: above for above in found}
    for above in by_id.values():
        above.organisation = service.organisation
    return [by_id[pk] for pk in ids if pk in by_id]


# Statistics ---------------------------------------------------------------------


@same_for_every_visitor
def organisation_statistics(request: HttpRequest, org: str) -> HttpResponse:
    found = access.get_organisation(org)
    figures = stats.organisation_figures(found)
    context = {"organisation": found, **_statistics(figures, found.name)}
    return render(request, "stories/public/statistics.html", context)


@same_for_every_visitor
def service_statistics(request: HttpRequest, org: str, service_id: int) -> HttpResponse:
    found = _service(org, service_id)
    figures = stats.service_figures(found)
    context = {
        "organisation": found.organisation,
        "service": found,
        **_statistics(figures, found.name),
    }
    return render(request, "stories/public/statistics.html", context)


def _statistics(figures: stats.Figures, subject: str) -> dict[str, Any]:
    rows = charts.share_rows(figures)
    return {
        "figures": figures,
        "share_rows": rows,
        "month_rows": [
            (charts.month_label(month), count) for month, count in figures.per_month
        ],
        "months_chart": charts.months_chart(
            figures.per_month, chart_id="chart-months", subject=subject
        ),
        "shares_chart": charts.shares_chart(
            rows, chart_id="chart-shares", subject=subject
        ),
    }


# Stories and moderation -----------------------------------------------------------


@same_for_every_visitor
def story_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, Story.objects.cards())
    return render(request, "stories/public/list.html", {"page": page})


@same_for_every_visitor
def transparency(request: HttpRequest) -> HttpResponse:
    context = {"transparency": stats.transparency()}
    return render(request, "stories/public/transparency.html", context)


# What the pages list ------------------------------------------------------------------


@dataclass
class TreeNode:
    service: Service
    children: list["TreeNode"] = field(default_factory=list)


def service_tree(services: list[Service]) -> list[TreeNode]:
    """An organisation's services as nested nodes, each level by name."""
    nodes = {each.pk: TreeNode(each) for each in services}
    roots: list[TreeNode] = []
    for each in services:
        parent = nodes.get(each.parent_id) if each.parent_id else None
        (parent.children if parent else roots).append(nodes[each.pk])
    return roots


@dataclass(frozen=True)
class DirectoryRow:
    organisation: Organisation
    services: int
    stories: int


def _directory_rows(organisations: list[Organisation]) -> list[DirectoryRow]:
    """Each organisation of a directory page with its number of services and
    of published stories: two grouped queries for the whole page."""
    ids = [organisation.pk for organisation in organisations]
    services = dict(
        Service.objects.filter(organisation__in=ids)
        .order_by()
        .values_list("organisation")
        .annotate(n=Count("pk"))
        .values_list("organisation", "n")
    )
    stories = dict(
        StoryService.objects.filter(
            service__organisation__in=ids, story__status=Story.Status.PUBLISHED
        )
        .order_by()
        .values_list("service__organisation")
        .annotate(n=Count("story", distinct=True))
        .values_list("service__organisation", "n")
    )
    return [
        DirectoryRow(each, services.get(each.pk, 0), stories.get(each.pk, 0))
        for each in organisations
    ]
