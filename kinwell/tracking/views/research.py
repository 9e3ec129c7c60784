"""The research pages: a researcher's requests and releases, the
organisers' review of requests to their community, each community's public
data-release register, and how research access works, in plain words."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.communities.access import get_community_for_organiser
from kinwell.lib.forms import first_message, posted
from kinwell.lib.visitor_pages import same_for_every_visitor
from kinwell.tracking.forms.research import (
    DatasetRequestForm,
    DecisionForm,
    EndApprovalForm,
    ReleaseForm,
)
from kinwell.tracking.models import DatasetRequest
from kinwell.tracking.research import access, privacy, register, release, services

Status = DatasetRequest.Status
PAGE_SIZE = 50

# A researcher's requests ------------------------------------------------------


@login_required
@mfa_gate
@require_http_methods(["GET", "POST"])
def research(request: AuthenticatedRequest) -> HttpResponse:
    requests = access.requests_of(request.user)
    form = DatasetRequestForm(posted(request), researcher=request.user)
    if form.is_bound and form.is_valid():
        try:
            made = services.request_dataset(request.user, **form.request_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "Your request is with the community's organisers. We will "
                "email you when they decide.",
            )
            return redirect("tracking:research_request", made.pk)
    context = {
        "requests": requests,
        "form": form,
        "privacy_available": privacy.available(),
    }
    return render(request, "tracking/research/research.html", context)


@login_required
@mfa_gate
@require_GET
def research_request(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    found = access.get_request_for_user(request.user, request_id)
    return render(
        request, "tracking/research/request.html", _request_context(request, found)
    )


def _request_context(
    request: AuthenticatedRequest, found: DatasetRequest, **forms: Any
) -> dict[str, Any]:
    user = request.user
    is_own = found.researcher_id == user.pk and access.is_researcher(user)
    is_organiser = access.is_organiser_of(user, found.community)
    return {
        "dataset_request": found,
        "entry": register.entry_for(found),
        "is_own": is_own,
        "is_organiser": is_organiser,
        "may_release": is_own and found.status == Status.APPROVED,
        "release_form": forms.get("release_form") or ReleaseForm(request=found),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "end_form": forms.get("end_form") or EndApprovalForm(),
        "remaining_budget": privacy.remaining_budget(found),
        "offers_counts": privacy.may_release(found),
    }


@login_required
@mfa_gate
@require_POST
def withdraw(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    found = access.get_request_for_researcher(request.user, request_id)
    try:
        services.withdraw_request(request.user, request=found)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, "You have withdrawn the request.")
    return redirect("tracking:research_request", found.pk)


@login_required
@mfa_gate
@require_POST
def release_view(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    found = access.get_request_for_researcher(request.user, request_id)
    form = ReleaseForm(request.POST, request=found)
    if form.is_valid():
        try:
            made = release.release_dataset(
                request.user,
                request=found,
                kind=form.cleaned_data["kind"],
                epsilon=form.cleaned_data.get("epsilon"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"The dataset is ready: release {made.pk}, below."
            )
            return redirect("tracking:research_request", found.pk)
    context = _request_context(request, found, release_form=form)
    return render(request, "tracking/research/request.html", context, status=400)


@login_required
@mfa_gate
@require_GET
def download(request: AuthenticatedRequest, release_id: int) -> HttpResponse:
    path, name = release.open_release_for_download(request.user, release_id)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]


# The organisers' review -------------------------------------------------------


@login_required
@mfa_gate
@require_GET
def review(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = get_community_for_organiser(request.user, slug)
    requests = DatasetRequest.objects.filter(community=community).select_related(
        "researcher", "decided_by", "community"
    )
    pending = (
        requests.filter(status=Status.PENDING)
        .prefetch_related("releases")
        .order_by("created_at", "pk")
    )
    decided = requests.exclude(status=Status.PENDING).order_by("-decided_at", "-pk")
    context = {
        "community": community,
        "membership": membership,
        "pending": [_pending_item(found) for found in pending],
        "page": Paginator(decided, PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "tracking/research/review.html", context)


def _pending_item(found: DatasetRequest) -> dict[str, Any]:
    return {
        "request": found,
        "entry": register.entry_for(found),
        # Each request's form on one page: its fields need their own ids.
        "form": DecisionForm(auto_id=f"id_request{found.pk}_%s"),
    }


@login_required
@mfa_gate
@require_POST
def decide(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    found = access.get_request_for_organiser(request.user, request_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == DecisionForm.APPROVE
        act = services.approve_request if approve else services.refuse_request
        try:
            act(request.user, request=found, note=form.cleaned_data["note"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            verb = "approved" if approve else "refused"
            messages.success(request, f"You have {verb} the request.")
            return redirect("tracking:research_review", found.community.slug)
    context = _request_context(request, found, decision_form=form)
    return render(request, "tracking/research/request.html", context, status=400)


@login_required
@mfa_gate
@require_POST
def end_approval(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    found = access.get_request_for_organiser(request.user, request_id)
    form = EndApprovalForm(request.POST)
    if form.is_valid():
        try:
            services.refuse_request(
                request.user, request=found, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Nothing more can be released from it.")
            return redirect("tracking:research_request", found.pk)
    context = _request_context(request, found, end_form=form)
    return render(request, "tracking/research/request.html", context, status=400)


# The public register ----------------------------------------------------------


@same_for_every_visitor
@require_GET
def data_releases(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_for_register_reader(request.user, slug)
    context = {"community": community, "entries": register.register_of(community)}
    return render(request, "tracking/research/data_releases.html", context)


@same_for_every_visitor
@require_GET
def about(request: HttpRequest) -> HttpResponse:
    context = {"privacy_available": privacy.available()}
    return render(request, "tracking/research/about.html", context)
