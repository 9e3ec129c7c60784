"""The communities pages: the directory, a community's page, joining and
leaving, members and roles, join requests, invitation links, settings, the
health panel, clusters, and "Your communities"."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import add_service_errors
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.communities import access, services
from kinwell.communities.forks.provenance import fork_provenance
from kinwell.communities.forms import (
    AnswerForm,
    ClusterChoiceForm,
    CommunityForm,
    CommunitySettingsForm,
    DecisionForm,
    InviteLinkForm,
    JoinForm,
    LeaveForm,
    NewClusterForm,
    RoleForm,
    SearchForm,
)
from kinwell.communities.health import health_panel
from kinwell.communities.models import Community, JoinRequest, Membership
from kinwell.lib.forms import first_message, posted
from kinwell.lib.fragments import render_each
from kinwell.lib.markdown import render_markdown
from kinwell.lib.visitor_pages import same_for_every_visitor

PAGE_SIZE = 50


def _page(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# Finding communities -------------------------------------------------------


def directory_card(community: Community, members: int) -> dict[str, Any]:
    """What the directory shows of a community, for its cached fragment."""
    return {
        "url": community.get_absolute_url(),
        "name": community.name,
        "topic": community.topic,
        "description": Truncator(community.description).words(30, truncate=" …"),
        "members": members,
        "visibility": community.get_visibility_display(),
        "cluster": community.cluster.name if community.cluster else "",
    }


@same_for_every_visitor
def directory(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page = _page(request, access.directory(request.user, query))
    sizes = access.member_counts(page.object_list)
    cards = [directory_card(c, sizes.get(c.pk, 0)) for c in page.object_list]
    context = {
        "form": form,
        "query": query,
        "page": page,
        "cards": render_each("communities/_directory_card.html", cards),
    }
    return render(request, "communities/directory.html", context)


@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    context = {
        "memberships": access.my_memberships(user),
        "requests": access.my_open_requests(user),
        "invitations": access.my_invitations(user),
    }
    return render(request, "communities/mine.html", context)


@login_required
def create(request: AuthenticatedRequest) -> HttpResponse:
    initial = {"visibility": "public", "join_policy": "open"}
    form = CommunityForm(posted(request), request.FILES or None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            community = services.create_community(request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Your community is ready. You are its first organiser."
            )
            return redirect(community)
    return render(request, "communities/create.html", {"form": form})


@same_for_every_visitor
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_community_for_user(request.user, slug)
    membership = access.membership_of(request.user, community)
    can_read = access.can_read_content(request.user, community)
    context = {
        "community": community,
        "membership": membership,
        "can_read": can_read,
        "charter": render_markdown(community.charter),
        "organisers": access.organisers_of(community) if can_read else [],
        "siblings": access.siblings_of(request.user, community),
        "join_state": access.join_state(request.user, community),
        "provenance": fork_provenance(request.user, community),
    }
    return render(request, "communities/detail.html", context)


def avatar(request: HttpRequest, slug: str) -> FileResponse:
    community = access.get_community_for_user(request.user, slug)
    if not community.avatar:
        raise Http404("No picture")
    return FileResponse(community.avatar.open("rb"), content_type="image/png")


@same_for_every_visitor
def cluster(request: HttpRequest, slug: str) -> HttpResponse:
    found, communities = access.get_cluster_for_user(request.user, slug)
    member_of = set()
    if request.user.is_authenticated:
        member_of = set(
            Membership.objects.filter(
                user=request.user, community__in=communities
            ).values_list("community_id", flat=True)
        )
    # What the cluster's members share (insights, later a library) is open to
    # visitors only when every listed community in it is public.
    shared_with_visitors = all(
        c.visibility == Community.Visibility.PUBLIC
        for c in communities
        if not c.is_hidden
    )
    context = {
        "cluster": found,
        "communities": communities,
        "member_of": member_of,
        "may_read_shared": bool(member_of) or shared_with_visitors,
    }
    return render(request, "communities/cluster.html", context)


# Joining and leaving -------------------------------------------------------


@login_required
def join(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community = access.get_community_for_user(request.user, slug)
    state = access.join_state(request.user, community)
    if state == "member":
        return redirect(community)
    form = JoinForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            joined = services.join_community(
                request.user, community=community, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _joined_message(joined))
            return redirect(community)
    context = {
        "community": community,
        "form": form,
        "join_state": state,
        "siblings": access.siblings_of(request.user, community),
    }
    return render(request, "communities/join.html", context)


def _joined_message(joined: Membership | JoinRequest) -> str:
    if isinstance(joined, Membership):
        return "Welcome. You are now a member."
    if joined.status == JoinRequest.Status.WAITING:
        return (
            "The community is full just now, so you are on its waiting list. "
            "We will email you when a place is free."
        )
    return "Thank you. The organisers will look at your request soon."


@login_required
def invite(request: AuthenticatedRequest, token: str) -> HttpResponse:
    link = access.get_invite_link_by_token(token)
    community = link.community
    if access.membership_of(request.user, community) is not None:
        return redirect(community)
    if request.method == "POST":
        try:
            joined = services.join_by_invite(request.user, link=link)
        except ValidationError as error:
            messages.error(request, first_message(error))
        else:
            messages.success(request, _joined_message(joined))
            return redirect(community)
    context = {"community": community, "link": link}
    return render(request, "communities/invite.html", context)


@login_required
def leave(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = access.get_community_for_member(request.user, slug)
    form = LeaveForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            services.leave_community(
                request.user, community=community, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"You have left {community.name}.")
            return redirect("communities:mine")
    context = {"community": community, "membership": membership, "form": form}
    return render(request, "communities/leave.html", context)


@login_required
@require_POST
def withdraw_request(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    join_request = access.get_own_join_request(request.user, request_id)
    try:
        services.withdraw_join_request(request.user, join_request=join_request)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, "You have withdrawn your request.")
    return redirect("communities:mine")


@login_required
@require_POST
def answer_invitation(
    request: AuthenticatedRequest, invitation_id: int
) -> HttpResponse:
    invitation = access.get_own_invitation(request.user, invitation_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please choose to accept or to decline.")
        return redirect("communities:mine")
    try:
        services.answer_invitation(
            request.user, invitation=invitation, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        done = (
            "Welcome. You are now a member."
            if form.cleaned_data["accept"]
            else ("You have declined the invitation.")
        )
        messages.success(request, done)
    return redirect("communities:mine")


# Members and roles ---------------------------------------------------------


@login_required
def members(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = access.get_community_for_member(request.user, slug)
    context = {
        "community": community,
        "membership": membership,
        "is_organiser": membership.role == Membership.Role.ORGANISER,
        "page": _page(request, access.members_of(community)),
        "roles": Membership.Role.choices,
    }
    return render(request, "communities/members.html", context)


@login_required
@require_POST
@mfa_gate
def set_role(request: AuthenticatedRequest, slug: str, user_id: int) -> HttpResponse:
    community, _ = access.get_community_for_organiser(request.user, slug)
    member = access.get_member(community, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose organiser, moderator or member.")
        return redirect("communities:members", slug)
    try:
        services.change_role(
            request.user, community=community, member=member, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, f"{member.public_name}'s role is saved.")
    return redirect("communities:members", slug)


@login_required
@require_POST
@mfa_gate
def transfer(request: AuthenticatedRequest, slug: str, user_id: int) -> HttpResponse:
    community, _ = access.get_community_for_organiser(request.user, slug)
    member = access.get_member(community, user_id)
    try:
        services.transfer_organiser(request.user, community=community, to=member)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(
            request, f"{member.public_name} is now an organiser. Thank you for all."
        )
    return redirect("communities:members", slug)


# Join requests and invitation links ----------------------------------------


@login_required
@mfa_gate
def requests(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = access.get_community_for_moderator(request.user, slug)
    page = _page(request, access.open_requests_of(community))
    context = {
        "community": community,
        "membership": membership,
        "page": page,
        "form": DecisionForm(),
    }
    return render(request, "communities/requests.html", context)


@login_required
@require_POST
@mfa_gate
def decide_request(
    request: AuthenticatedRequest, slug: str, request_id: int
) -> HttpResponse:
    community, _ = access.get_community_for_moderator(request.user, slug)
    join_request = access.get_join_request(community, request_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or decline.")
        return redirect("communities:requests", slug)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.decide_join_request(
            request.user,
            join_request=join_request,
            approve=approve,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        name = join_request.user.public_name
        done = f"{name} is now a member." if approve else f"{name} has been told."
        messages.success(request, done)
    return redirect("communities:requests", slug)


@login_required
@mfa_gate
def invite_links(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = access.get_community_for_moderator(request.user, slug)
    form = InviteLinkForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            services.create_invite_link(
                request.user, community=community, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "A new invitation link is ready to share.")
            return redirect("communities:invite_links", slug)
    links = [
        (link, request.build_absolute_uri(link.get_absolute_url()))
        for link in access.invite_links_of(community)[:PAGE_SIZE]
    ]
    context = {
        "community": community,
        "membership": membership,
        "form": form,
        "links": links,
    }
    return render(request, "communities/invite_links.html", context)


@login_required
@require_POST
@mfa_gate
def revoke_invite(
    request: AuthenticatedRequest, slug: str, link_id: int
) -> HttpResponse:
    community, _ = access.get_community_for_moderator(request.user, slug)
    link = access.get_invite_link(community, link_id)
    services.revoke_invite_link(request.user, link=link)
    messages.success(request, "The link no longer works.")
    return redirect("communities:invite_links", slug)


# Organisers ----------------------------------------------------------------


@login_required
@mfa_gate
def edit(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = access.get_community_for_organiser(request.user, slug)
    initial = {field: getattr(community, field) for field in services.EDITABLE_FIELDS}
    form = CommunitySettingsForm(
        posted(request), request.FILES or None, initial=initial
    )
    if form.is_bound and form.is_valid():
        try:
            services.update_community(
                request.user, community=community, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
            community.refresh_from_db()
        else:
            messages.success(request, "The community's settings are saved.")
            return redirect("communities:edit", community.slug)
    context = {"community": community, "membership": membership, "form": form}
    return render(request, "communities/edit.html", context)


@login_required
@mfa_gate
def cluster_settings(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = access.get_community_for_organiser(request.user, slug)
    clusters = services.clusters_organised_by(request.user)
    data = posted(request)
    action = data.get("action") if data else None
    choice = ClusterChoiceForm(
        data if action == "move" else None,
        clusters=clusters,
        initial={"cluster": community.cluster_id},
    )
    new = NewClusterForm(data if action == "create" else None)
    bound = choice if choice.is_bound else new
    if bound.is_bound and bound.is_valid() and _save_cluster(request, community, bound):
        messages.success(request, "The cluster is saved.")
        return redirect("communities:cluster_settings", slug)
    context = {
        "community": community,
        "membership": membership,
        "choice": choice,
        "new": new,
    }
    return render(request, "communities/cluster_settings.html", context)


def _save_cluster(
    request: AuthenticatedRequest, community: Community, form: Any
) -> bool:
    try:
        if isinstance(form, NewClusterForm):
            services.create_cluster(
                request.user, community=community, **form.cleaned_data
            )
        else:
            services.move_to_cluster(
                request.user, community=community, **form.cleaned_data
            )
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True


@login_required
@mfa_gate
def health(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    community, membership = access.get_community_for_organiser(request.user, slug)
    context = {
        "community": community,
        "membership": membership,
        "sections": health_panel(community),
    }
    return render(request, "communities/health.html", context)
