"""The fork pages of a community: its proposals, proposing, and each proposal
with the members' choices and comments. For members of the community only."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.accounts.models import User
from kinwell.communities import access
from kinwell.communities.forks import services
from kinwell.communities.forks.forms import (
    ForkChoiceForm,
    ForkCommentForm,
    ProposeForkForm,
)
from kinwell.communities.forks.provenance import fork_provenance
from kinwell.communities.models import Community, ForkChoice, ForkProposal
from kinwell.lib.forms import first_message, posted
from kinwell.lib.markdown import render_markdown


@login_required
def forks(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, _ = access.get_community_for_member(request.user, slug)
    proposals = (
        ForkProposal.objects.filter(community=community)
        .select_related("proposer", "fork")
        .annotate(joining=Count("choices", filter=Q(choices__joins=True)))
        .order_by("-created_at", "-pk")
    )
    context = {
        "community": community,
        "proposals": proposals,
        "provenance": fork_provenance(request.user, community),
    }
    return render(request, "communities/forks/forks.html", context)


@login_required
def propose_fork(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, _ = access.get_community_for_member(request.user, slug)
    form = ProposeForkForm(posted(request), initial={"charter": community.charter})
    if form.is_bound and form.is_valid():
        try:
            proposal = services.propose_fork(
                request.user, community=community, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "Your proposal is open. Every member has been told, and each "
                "can choose whether to join.",
            )
            return redirect("communities:fork_proposal", slug, proposal.pk)
    context = {"community": community, "form": form}
    return render(request, "communities/forks/propose.html", context)


@login_required
def fork_proposal(
    request: AuthenticatedRequest, slug: str, proposal_id: int
) -> HttpResponse:
    proposal = access.get_fork_proposal_for_user(request.user, slug, proposal_id)
    return _proposal_page(request, proposal)


def _proposal_page(
    request: AuthenticatedRequest,
    proposal: ForkProposal,
    *,
    choice_form: ForkChoiceForm | None = None,
    comment_form: ForkCommentForm | None = None,
) -> HttpResponse:
    user = request.user
    choices = ForkChoice.objects.filter(proposal=proposal)
    mine = choices.filter(user=user).first()
    if choice_form is None:
        initial = {}
        if mine is not None:
            initial = {
                "joins": "yes" if mine.joins else "no",
                "bring_posts": "yes" if mine.bring_posts else "no",
            }
        choice_form = ForkChoiceForm(initial=initial)
    counts = choices.aggregate(
        joining=Count("pk", filter=Q(joins=True)),
        bringing_posts=Count("pk", filter=Q(bring_posts=True)),
    )
    comments = proposal.comments.select_related("author").order_by("created_at", "pk")
    context: dict[str, Any] = {
        "community": proposal.community,
        "proposal": proposal,
        "reason": render_markdown(proposal.reason),
        "charter": render_markdown(proposal.charter),
        "comments": [(c, render_markdown(c.body)) for c in comments],
        "my_choice": mine,
        "fork": _visible_fork(user, proposal),
        "counts": counts,
        "is_open": proposal.status == ForkProposal.Status.OPEN,
        "is_proposer": proposal.proposer_id == user.pk,
        "notice_over": proposal.confirmable_at <= timezone.now(),
        "choice_form": choice_form,
        "comment_form": comment_form or ForkCommentForm(),
    }
    return render(request, "communities/forks/proposal.html", context)


def _visible_fork(user: User, proposal: ForkProposal) -> Community | None:
    # The fork of a hidden community is hidden too: only its members see it.
    if proposal.fork_id is None:
        return None
    return Community.objects.visible_to(user).filter(pk=proposal.fork_id).first()


@login_required
@require_POST
def choose_fork(
    request: AuthenticatedRequest, slug: str, proposal_id: int
) -> HttpResponse:
    proposal = access.get_fork_proposal_for_user(request.user, slug, proposal_id)
    form = ForkChoiceForm(request.POST)
    if form.is_valid():
        try:
            services.choose_fork(request.user, proposal=proposal, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Your choice is saved. You can change it until confirmation."
            )
            return redirect("communities:fork_proposal", slug, proposal.pk)
    return _proposal_page(request, proposal, choice_form=form)


@login_required
@require_POST
def comment_fork(
    request: AuthenticatedRequest, slug: str, proposal_id: int
) -> HttpResponse:
    proposal = access.get_fork_proposal_for_user(request.user, slug, proposal_id)
    form = ForkCommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_on_fork(
                request.user, proposal=proposal, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your comment is posted.")
            return redirect("communities:fork_proposal", slug, proposal.pk)
    return _proposal_page(request, proposal, comment_form=form)


@login_required
@require_POST
def confirm_fork(
    request: AuthenticatedRequest, slug: str, proposal_id: int
) -> HttpResponse:
    proposal = access.get_fork_proposal_for_user(request.user, slug, proposal_id)
    try:
        services.confirm_fork(request.user, proposal=proposal)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(
            request,
            "The fork is confirmed: the new community exists, with the members "
            "who chose to join. This community is unchanged.",
        )
    return redirect("communities:fork_proposal", slug, proposal.pk)


@login_required
@require_POST
def withdraw_fork(
    request: AuthenticatedRequest, slug: str, proposal_id: int
) -> HttpResponse:
    proposal = access.get_fork_proposal_for_user(request.user, slug, proposal_id)
    try:
        services.withdraw_fork(request.user, proposal=proposal)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(
            request, "You have withdrawn the proposal. Nothing else changed."
        )
    return redirect("communities:fork_proposal", slug, proposal.pk)
