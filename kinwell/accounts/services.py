"""Every change to accounts, personas, credentials, delegations, consents and
tokens. Shared by the web views, the API and the commands."""

import hashlib
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kinwell.accounts.consents import CONSENT_TEXTS, DECISION_TEXTS, text_for
from kinwell.accounts.models import (
    ApiToken,
    ConsentRecord,
    Credential,
    Delegation,
    Persona,
    User,
)
from kinwell.lib import audit, mail


@transaction.atomic
def ensure_personal_persona(user: User) -> Persona:
    persona, _ = Persona.objects.get_or_create(user=user, kind=Persona.Kind.PERSONAL)
    return persona


@transaction.atomic
def create_account(
    email: str, password: str, *, display_name: str = "", verified: bool = True
) -> User:
    """An account made outside sign-up (demo data, commands, tests)."""
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email, password, display_name=display_name)
    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=verified
    )
    ensure_personal_persona(user)
    if verified:
        claim_carer_invitations(user, email=user.email)
    return user


@transaction.atomic
def update_profile(actor: User, *, display_name: str, pronouns: str, bio: str) -> User:
    actor.display_name = display_name.strip()
    actor.pronouns = pronouns.strip()
    actor.bio = bio.strip()
    actor.full_clean(exclude=["password", "email"])
    actor.save(update_fields=["display_name", "pronouns", "bio"])
    return actor


@transaction.atomic
def update_accessibility(
    actor: User, *, text_size: str, high_contrast: bool, reduced_motion: bool
) -> User:
    if text_size not in User.TextSize.values:
        raise ValidationError({"text_size": "Choose one of the offered text sizes."})
    actor.text_size = text_size
    actor.high_contrast = high_contrast
    actor.reduced_motion = reduced_motion
    actor.save(update_fields=["text_size", "high_contrast", "reduced_motion"])
    return actor


# Credentials ---------------------------------------------------------------


@transaction.atomic
def submit_credential(
    actor: User, *, profession: str, registration_body: str, registration_number: str
) -> Credential:
    credential = Credential(
        user=actor,
        profession=profession,
        registration_body=registration_body.strip(),
        registration_number=registration_number.strip(),
    )
    credential.full_clean(exclude=["user"])
    if Credential.objects.filter(
        user=actor,
        profession=profession,
        status__in=[Credential.Status.PENDING, Credential.Status.APPROVED],
    ).exists():
        raise ValidationError(
            {"profession": "You already have a credential for this profession."}
        )
    credential.save()
    audit.record(actor, "credential.submit", credential, subject=actor)
    return credential


@transaction.atomic
def approve_credential(
    verifier: User, *, credential: Credential, note: str = ""
) -> Credential:
    _decide(verifier, credential, Credential.Status.APPROVED, note)
    name = credential.user.display_name or "A member"
    Persona.objects.create(
        user=credential.user,
        kind=Persona.Kind.PROFESSIONAL,
        credential=credential,
        name=f"{name}, {credential.get_profession_display().lower()}",
    )
    Persona.objects.create(
        user=credential.user,
        kind=Persona.Kind.ANONYMOUS_PROFESSIONAL,
        credential=credential,
    )
    return credential


@transaction.atomic
def reject_credential(
    verifier: User, *, credential: Credential, note: str
) -> Credential:
    if not note.strip():
        raise ValidationError({"note": "Say why, so the person can put it right."})
    return _decide(verifier, credential, Credential.Status.REJECTED, note)


def _decide(
    verifier: User, credential: Credential, status: str, note: str
) -> Credential:
    # Read the status again under a row lock: the caller's copy may be stale, and
    # two verifiers deciding at once must not both win.
    current = (
        Credential.objects.select_for_update()
        .filter(pk=credential.pk)
        .values_list("status", flat=True)
        .first()
    )
    if current != Credential.Status.PENDING:
        raise ValidationError("This credential has already been decided.")
    if credential.user_id == verifier.pk:
        raise ValidationError("You cannot decide on your own credential.")
    credential.status = status
    credential.decided_by = verifier
    credential.decided_at = timezone.now()
    credential.decision_note = note.strip()[:500]
    credential.save(
        update_fields=["status", "decided_by", "decided_at", "decision_note"]
    )
    audit.record(verifier, f"credential.{status}", credential, subject=credential.user)
    _notify(
        credential.user,
        "Your professional credential has been reviewed",
        "accounts/email/credential_decided.txt",
        {"credential": credential},
    )
    return credential


# Delegation ----------------------------------------------------------------


def _clean_scopes(scopes: Iterable[str]) -> set[str]:
    chosen = set(scopes)
    if not chosen:
        raise ValidationError({"scopes": "Choose at least one thing they may do."})
    unknown = chosen - set(Delegation.Scope.values)
    if unknown:
        raise ValidationError({"scopes": "Unknown scope."})
    return chosen


@transaction.atomic
def invite_carer(
    member: User, *, carer_email: str, scopes: Iterable[str]
) -> Delegation:
    """Invites a carer by email. The answer is the same whether or not the address
    has an account: on a health site, having an account is itself private."""
    chosen = _clean_scopes(scopes)
    email = carer_email.strip().lower()
    if email == member.email.lower():
        raise ValidationError({"carer_email": "You cannot be your own carer."})
    carer = User.objects.filter(email__iexact=email, is_active=True).first()
    try:
        with transaction.atomic():
            delegation = Delegation.objects.create(
                member=member,
                carer=carer,
                invited_email="" if carer else email,
                **{
                    f"may_{scope}": scope in chosen for scope in Delegation.Scope.values
                },
            )
    except IntegrityError:
        raise ValidationError(
            {"carer_email": "You have already invited this person."}
        ) from None
    audit.record(member, "delegation.invite", delegation, subject=member)
    _send_invitation(delegation, email)
    return delegation


def _send_invitation(delegation: Delegation, email: str) -> None:
    template = "delegation_invited" if delegation.carer else "delegation_invited_signup"
    body = render_to_string(
        f"accounts/email/{template}.txt",
        {"delegation": delegation, "site_url": settings.SITE_URL},
    )
    mail.send_after_commit("Someone has asked you to be their carer", body, [email])


@transaction.atomic
def claim_carer_invitations(user: User, *, email: str) -> int:
    """Gives a newly verified address the invitations that were waiting for it."""
    return (
        Delegation.objects.filter(
            invited_email__iexact=email,
            carer__isnull=True,
            status=Delegation.Status.INVITED,
        )
        .exclude(member=user)
        .update(carer=user, invited_email="")
    )


@transaction.atomic
def accept_delegation(carer: User, *, delegation: Delegation) -> Delegation:
    _require_party(delegation, carer, "carer")
    _require_status(delegation, Delegation.Status.INVITED)
    delegation.status = Delegation.Status.ACTIVE
    delegation.accepted_at = timezone.now()
    delegation.save(update_fields=["status", "accepted_at"])
    audit.record(carer, "delegation.accept", delegation, subject=delegation.member)
    return delegation


@transaction.atomic
def decline_delegation(carer: User, *, delegation: Delegation) -> Delegation:
    _require_party(delegation, carer, "carer")
    _require_status(delegation, Delegation.Status.INVITED)
    return _end_delegation(carer, delegation, Delegation.Status.DECLINED)


@transaction.atomic
def revoke_delegation(actor: User, *, delegation: Delegation) -> Delegation:
    """Either side may end a delegation; it stops working at once."""
    if actor.pk not in (delegation.member_id, delegation.carer_id):
        raise ValidationError("Only the member or the carer can end this.")
    if delegation.status not in (Delegation.Status.INVITED, Delegation.Status.ACTIVE):
        raise ValidationError("This delegation has already ended.")
    return _end_delegation(actor, delegation, Delegation.Status.REVOKED)


def _end_delegation(actor: User, delegation: Delegation, status: str) -> Delegation:
    delegation.status = status
    delegation.ended_at = timezone.now()
    delegation.save(update_fields=["status", "ended_at"])
    audit.record(actor, f"delegation.{status}", delegation, subject=delegation.member)
    return delegation


def _require_party(delegation: Delegation, user: User, side: str) -> None:
    if getattr(delegation, f"{side}_id") != user.pk:
        raise ValidationError(f"Only the {side} can do this.")


def _require_status(delegation: Delegation, status: str) -> None:
    if delegation.status != status:
        raise ValidationError("This invitation is no longer open.")


# Consent -------------------------------------------------------------------


# Features whose data a consent governs append a function here, called with
# each new decision (community insights recompute without a withdrawn member).
CONSENT_HOOKS: list[Callable[[ConsentRecord], None]] = []


@transaction.atomic
def record_consent(
    actor: User,
    *,
    user: User,
    purpose: str,
    given: bool,
    method: str = ConsentRecord.Method.WEB,
    reference: str = "",
) -> ConsentRecord:
    """Appends a decision to `user`'s ledger. One-off decisions (a fork's posts)
    need a reference to what they are about; standing consents have none."""
    wording = text_for(purpose)
    if wording is None:
        raise ValidationError({"purpose": "Unknown purpose."})
    if (purpose in DECISION_TEXTS) != bool(reference):
        raise ValidationError(
            {"purpose": "This decision is made where it arises, not here."}
            if purpose in DECISION_TEXTS
            else {"purpose": "A standing consent is not about one thing."}
        )
    if actor.pk != user.pk:
        # A carer may record a decision only with the member's "read my private
        # data" trust; the ledger keeps who pressed the button.
        from kinwell.accounts.access import can_act_for

        if not can_act_for(actor, user, Delegation.Scope.READ):
            raise ValidationError("You cannot change this person's consents.")
        method = ConsentRecord.Method.CARER
    record = ConsentRecord.objects.create(
        user=user,
        purpose=purpose,
        text_version=wording.version,
        given=given,
        method=method,
        recorded_by=actor,
        reference=reference[:60],
    )
    for hook in CONSENT_HOOKS:
        hook(record)
    return record


def current_consents(user: User) -> dict[str, ConsentRecord | None]:
    """The latest decision for each standing purpose, or None where there is none."""
    latest: dict[str, ConsentRecord | None] = dict.fromkeys(CONSENT_TEXTS)
    records = ConsentRecord.objects.filter(user=user, purpose__in=list(CONSENT_TEXTS))
    for record in records.order_by("created_at", "pk"):
        latest[record.purpose] = record
    return latest


def has_consented(user: User, purpose: str) -> bool:
    record = (
        ConsentRecord.objects.filter(user=user, purpose=purpose)
        .order_by("-created_at", "-pk")
        .first()
    )
    return bool(record and record.given)


# API tokens ----------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(actor: User, *, name: str, scope: str) -> tuple[ApiToken, str]:
    """Returns the token and its raw value, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name you will recognise."})
    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": "Choose read or write."})
    raw = settings.KINWELL_API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name[:60],
        scope=scope,
        token_hash=hash_token(raw),
        prefix=raw[:10],
    )
    audit.record(actor, "api_token.create", token, subject=actor)
    return token, raw


@transaction.atomic
def revoke_api_token(actor: User, *, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "api_token.revoke", token, subject=actor)
    return token


# Sessions ------------------------------------------------------------------


def end_other_sessions(user: User, *, keep_session_key: str | None) -> int:
    """Ends every session of `user` except the one being kept."""
    from allauth.usersessions.models import UserSession

    ended = 0
    for session in UserSession.objects.purge_and_list(user):
        if session.session_key != keep_session_key:
            session.end()
            ended += 1
    return ended


# Mail ----------------------------------------------------------------------


def _notify(
    user: User, subject: str, template: str, context: dict[str, object]
) -> None:
    """Mail after commit; the text says what happened, never health details."""
    body = render_to_string(
        template, {**context, "user": user, "site_url": settings.SITE_URL}
    )
    mail.send_after_commit(subject, body, [user.email])
