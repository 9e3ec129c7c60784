"""The accounts pages: a person's own settings, carers, consents, the record of
who touched their data, public persona pages and the verifiers' queue."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kinwell.accounts import access, services
from kinwell.accounts.consents import CONSENT_TEXTS
from kinwell.accounts.decorators import mfa_gate
from kinwell.accounts.forms import (
    AccessibilityForm,
    ApiTokenForm,
    ConsentForm,
    CredentialForm,
    InviteCarerForm,
    ProfileForm,
    ReviewCredentialForm,
    add_service_errors,
)
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.accounts.middleware import ACTING_FOR_SESSION_KEY
from kinwell.accounts.models import AuditEvent, Credential, Delegation, Persona, User
from kinwell.lib.forms import first_message, posted
from kinwell.lib.markdown import render_markdown

PAGE_SIZE = 50
DelegationChange = Callable[..., Delegation]


# Profile and settings --------------------------------------------------------


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    initial = {
        "display_name": user.display_name,
        "pronouns": user.pronouns,
        "bio": user.bio,
    }
    form = ProfileForm(posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.update_profile(user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            user.refresh_from_db(fields=["display_name", "pronouns", "bio"])
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    personal = user.personas.filter(kind=Persona.Kind.PERSONAL).first()
    context = {"form": form, "personal": personal}
    return render(request, "accounts/profile.html", context)


@login_required
def accessibility(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    initial = {
        "text_size": user.text_size,
        "high_contrast": user.high_contrast,
        "reduced_motion": user.reduced_motion,
    }
    form = AccessibilityForm(posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.update_accessibility(user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your display settings are saved.")
            return redirect("accounts:accessibility")
    return render(request, "accounts/accessibility.html", {"form": form})


@login_required
def personas(request: AuthenticatedRequest) -> HttpResponse:
    own = request.user.personas.select_related("user", "credential").order_by(
        "created_at", "pk"
    )
    return render(request, "accounts/personas.html", {"personas": own})


def persona(request: HttpRequest, public_id: str) -> HttpResponse:
    found = access.get_persona_for_user(request.user, public_id)
    context = {"profile": _public_profile(found)}
    return render(request, "accounts/persona.html", context)


def _public_profile(persona: Persona) -> dict[str, Any]:
    """Only what a persona's public page may show. Built here, field by field,
    so the template of an anonymous persona never holds the account at all."""
    shown: dict[str, Any] = {
        "label": persona.label,
        "badge": persona.badge,
        "is_anonymous": persona.is_anonymous,
        "is_professional": persona.is_professional,
    }
    if persona.kind == Persona.Kind.PERSONAL:
        shown["pronouns"] = persona.user.pronouns
        shown["bio"] = render_markdown(persona.user.bio)
    return shown


# Credentials -----------------------------------------------------------------


@login_required
def credentials(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = CredentialForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            services.submit_credential(user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "Thank you. A verifier will check your registration; "
                "we will email you when it is done.",
            )
            return redirect("accounts:credentials")
    own = user.credentials.order_by("-submitted_at", "-pk")
    context = {"form": form, "credentials": own}
    return render(request, "accounts/credentials.html", context)


@login_required
@mfa_gate
def verification_queue(request: AuthenticatedRequest) -> HttpResponse:
    pending = access.credentials_for_review(request.user).filter(
        status=Credential.Status.PENDING
    )
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/verification_queue.html", {"page": page})


@login_required
@mfa_gate
def review_credential(
    request: AuthenticatedRequest, credential_id: int
) -> HttpResponse:
    credential = access.get_credential_for_verifier(request.user, credential_id)
    form = ReviewCredentialForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            _decide(request.user, credential, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
            credential.refresh_from_db()
        else:
            messages.success(request, "Your decision is saved and the person is told.")
            return redirect("accounts:verification_queue")
    context = {"credential": credential, "form": form}
    return render(request, "accounts/review_credential.html", context)


def _decide(
    verifier: User, credential: Credential, *, decision: str, note: str
) -> None:
    if decision == "approve":
        services.approve_credential(verifier, credential=credential, note=note)
    else:
        services.reject_credential(verifier, credential=credential, note=note)


# Carers ------------------------------------------------------------------------


@login_required
def delegations(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = InviteCarerForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            services.invite_carer(user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "Invitation sent. Nothing changes until they accept, "
                "and you can cancel it at any time.",
            )
            return redirect("accounts:delegations")
    both = list(access.delegations_for_user(user))
    context = {
        "form": form,
        "my_carers": [d for d in both if d.member_id == user.pk],
        "i_care_for": [d for d in both if d.carer_id == user.pk],
    }
    return render(request, "accounts/delegations.html", context)


def _change_delegation(
    request: AuthenticatedRequest,
    delegation_id: int,
    change: DelegationChange,
    done: str,
) -> HttpResponse:
    delegation = access.get_delegation_for_user(request.user, delegation_id)
    try:
        change(request.user, delegation=delegation)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, done)
    return redirect("accounts:delegations")


@login_required
@require_POST
def accept_delegation(
    request: AuthenticatedRequest, delegation_id: int
) -> HttpResponse:
    done = "You have accepted. You can now act for them from this page."
    return _change_delegation(request, delegation_id, services.accept_delegation, done)


@login_required
@require_POST
def decline_delegation(
    request: AuthenticatedRequest, delegation_id: int
) -> HttpResponse:
    done = "You have declined the invitation. Nothing else has changed."
    return _change_delegation(request, delegation_id, services.decline_delegation, done)


@login_required
@require_POST
def revoke_delegation(
    request: AuthenticatedRequest, delegation_id: int
) -> HttpResponse:
    done = "The arrangement has ended. It stopped working straight away."
    return _change_delegation(request, delegation_id, services.revoke_delegation, done)


@login_required
@require_POST
def start_acting(request: AuthenticatedRequest, delegation_id: int) -> HttpResponse:
    delegation = access.get_delegation_for_user(request.user, delegation_id)
    if delegation.carer_id != request.user.pk:
        # Acting is the carer's side of a delegation; members have no such page.
        raise Http404("No such delegation")
    active = access.get_active_delegation(request.user, delegation.pk)
    if active is None:
        messages.error(
            request,
            "You can act for someone once you have accepted their invitation, "
            "and until the arrangement ends.",
        )
        return redirect("accounts:delegations")
    request.session[ACTING_FOR_SESSION_KEY] = active.pk
    messages.success(
        request,
        f"You are now acting for {active.member.public_name}. "
        "What you do is shown as done by you for them.",
    )
    return redirect("home")


@login_required
@require_POST
def stop_acting(request: AuthenticatedRequest) -> HttpResponse:
    request.session.pop(ACTING_FOR_SESSION_KEY, None)
    messages.success(request, "You are no longer acting for anyone.")
    return redirect("accounts:delegations")


# Consents ------------------------------------------------------------------------


@login_required
def consents(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    current = [
        {"text": CONSENT_TEXTS[purpose], "record": record}
        for purpose, record in services.current_consents(user).items()
    ]
    history = user.consents.select_related("recorded_by").order_by("-created_at", "-pk")
    context = {"current": current, "history": history}
    return render(request, "accounts/consents.html", context)


@login_required
@require_POST
def set_consent(request: AuthenticatedRequest, purpose: str) -> HttpResponse:
    text = CONSENT_TEXTS.get(purpose)
    if text is None:
        raise Http404("No such purpose")
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please choose to give or to withdraw your consent.")
        return redirect("accounts:consents")
    given = form.cleaned_data["given"] == "yes"
    user = request.user
    try:
        services.record_consent(user, user=user, purpose=purpose, given=given)
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        verb = "given" if given else "withdrawn"
        messages.success(
            request, f"Thank you. You have {verb} consent for: {text.title}."
        )
    return redirect("accounts:consents")


# Access to my data -------------------------------------------------------------------


@login_required
def data_access(request: AuthenticatedRequest) -> HttpResponse:
    events = access.accesses_to_my_data(request.user)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    describe_events(page.object_list)
    return render(request, "accounts/data_access.html", {"page": page})


def describe_events(events: Iterable[AuditEvent]) -> None:
    """Gives events a `description` in plain words where the model they are
    about offers one (`describe_for_subjects(object_ids) -> {id: words}`),
    such as a research release naming its dataset, researcher and
    institution: one query per kind of object, however many events. The
    apps that own those models depend on accounts, not the other way round,
    so they are found by name."""
    by_type: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        event.description = ""  # type: ignore[attr-defined]
        by_type[event.object_type].append(event)
    for label, group in by_type.items():
        describe = _describer(label)
        if describe is None:
            continue
        words = describe([event.object_id for event in group])
        for event in group:
            event.description = words.get(event.object_id, "")  # type: ignore[attr-defined]


def _describer(label: str) -> Callable[[list[str]], dict[str, str]] | None:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    return getattr(model, "describe_for_subjects", None)


# API tokens --------------------------------------------------------------------------


@never_cache  # the response that shows a new token must not be kept anywhere
@login_required
def api_tokens(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = ApiTokenForm(posted(request))
    raw_token = None
    if form.is_bound and form.is_valid():
        try:
            _, raw_token = services.create_api_token(user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = ApiTokenForm()
    tokens = user.api_tokens.order_by("-created_at", "-pk")
    context = {"form": form, "tokens": tokens, "raw_token": raw_token}
    return render(request, "accounts/api_tokens.html", context)


@login_required
@require_POST
def revoke_api_token(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = access.get_own_token(request.user, token_id)
    services.revoke_api_token(request.user, token=token)
    messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect("accounts:api_tokens")
