"""The only door to sensitive account objects. Outsiders get Http404, so they
never learn that a thing exists; people who may see but not act get
PermissionDenied."""

from typing import Any

from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from kinwell.accounts.models import (
    ApiToken,
    AuditEvent,
    Credential,
    Delegation,
    Persona,
    User,
)
from kinwell.lib import audit


class MfaRequired(PermissionDenied):
    """The user holds powers that need two-factor authentication first."""


def has_mfa(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(
        Authenticator.objects.filter(
            user=user,
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
        ).exists()
    )


def holds_powers(user: Any) -> bool:
    """Administrators, verifiers, researchers and verified professionals must
    use two-factor authentication before they use their powers. (Community
    moderators and service staff join this list with their features.)"""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(
        user.is_staff
        or user.is_superuser
        or user.is_verifier
        or user.is_researcher
        or user.credentials.filter(status=Credential.Status.APPROVED).exists()
    )


def require_mfa(user: Any) -> None:
    if not has_mfa(user):
        raise MfaRequired(
            "Set up two-factor authentication to use this. It keeps the people "
            "who rely on you safe."
        )


def get_persona_for_user(user: Any, public_id: str) -> Persona:
    """Personas are public identities; a missing one is a 404 like any other."""
    return get_object_or_404(
        Persona.objects.select_related("user", "credential"),
        public_id=public_id,
        user__is_active=True,
    )


def get_own_persona(user: User, public_id: str) -> Persona:
    return get_object_or_404(
        Persona.objects.select_related("credential"),
        public_id=public_id,
        user=user,
    )


def get_posting_persona(user: User, public_id: str | None) -> Persona:
    """The persona `user` may post as. Professional personas need two-factor."""
    if not public_id:
        return Persona.objects.get(user=user, kind=Persona.Kind.PERSONAL)
    persona = get_own_persona(user, public_id)
    if persona.is_professional:
        require_mfa(user)
    return persona


def credentials_for_review(user: User) -> QuerySet[Credential]:
    _require_verifier(user)
    return Credential.objects.select_related("user").order_by("submitted_at")


def get_credential_for_verifier(user: User, credential_id: int) -> Credential:
    """A credential for a verifier to review. Opening it is a sensitive read of
    another person's data, so it is recorded for their "Access to my data"."""
    _require_verifier(user)
    credential = (
        Credential.objects.select_related("user").filter(pk=credential_id).first()
    )
    if credential is None:
        raise Http404("No such credential")
    audit.record(user, "credential.view", credential, subject=credential.user)
    return credential


def get_own_credential(user: User, credential_id: int) -> Credential:
    return get_object_or_404(Credential.objects, pk=credential_id, user=user)


def _require_verifier(user: Any) -> None:
    if not getattr(user, "is_verifier", False):
        raise Http404("Not found")
    require_mfa(user)


def delegations_for_user(user: User) -> QuerySet[Delegation]:
    return (
        Delegation.objects.filter(Q(member=user) | Q(carer=user))
        .select_related("member", "carer")
        .order_by("-created_at")
    )


def get_delegation_for_user(user: User, delegation_id: int) -> Delegation:
    return get_object_or_404(delegations_for_user(user), pk=delegation_id)


def get_active_delegation(carer: Any, delegation_id: int | None) -> Delegation | None:
    if not delegation_id or not getattr(carer, "is_authenticated", False):
        return None
    return (
        Delegation.objects.select_related("member")
        .filter(pk=delegation_id, carer=carer, status=Delegation.Status.ACTIVE)
        .first()
    )


def can_act_for(carer: Any, member: User, scope: str) -> bool:
    if scope not in Delegation.Scope.values:
        return False
    return Delegation.objects.filter(
        carer=carer,
        member=member,
        status=Delegation.Status.ACTIVE,
        **{f"may_{scope}": True},
    ).exists()


def accesses_to_my_data(user: User) -> QuerySet[AuditEvent]:
    """Every recorded access to `user`'s data by anyone else."""
    return (
        AuditEvent.objects.filter(subject=user)
        .exclude(actor=user)
        .select_related("actor")
        .order_by("-created_at")
    )


def get_own_token(user: User, token_id: int) -> ApiToken:
    return get_object_or_404(ApiToken.objects, pk=token_id, user=user)
