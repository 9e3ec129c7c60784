"""Shapes of the accounts API: what goes in, what comes out. No rules here;
those live in kinwell.accounts.access and kinwell.accounts.services."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from kinwell.accounts import access
from kinwell.accounts.consents import CONSENT_TEXTS
from kinwell.accounts.models import (
    ApiToken,
    AuditEvent,
    ConsentRecord,
    Credential,
    Delegation,
    Persona,
    User,
)
from kinwell.api.schemas.fields import (
    InputSchema,
    enum_schema,
    one_of,
    optional_text,
    text,
)

TextSize = Annotated[str, one_of(User.TextSize), enum_schema(User.TextSize)]
PersonaKind = Annotated[str, one_of(Persona.Kind), enum_schema(Persona.Kind)]
Profession = Annotated[
    str, one_of(Credential.Profession), enum_schema(Credential.Profession)
]
CredentialStatus = Annotated[
    str, one_of(Credential.Status), enum_schema(Credential.Status)
]
DelegationScope = Annotated[
    str, one_of(Delegation.Scope), enum_schema(Delegation.Scope)
]
DelegationStatus = Annotated[
    str, one_of(Delegation.Status), enum_schema(Delegation.Status)
]
ConsentPurpose = Annotated[
    str, one_of(ConsentRecord.Purpose), enum_schema(ConsentRecord.Purpose)
]
ConsentMethod = Annotated[
    str, one_of(ConsentRecord.Method), enum_schema(ConsentRecord.Method)
]
TokenScope = Annotated[str, one_of(ApiToken.Scope), enum_schema(ApiToken.Scope)]


# Me ------------------------------------------------------------------------


class AccessibilityOut(Schema):
    text_size: TextSize
    high_contrast: bool
    reduced_motion: bool


class RolesOut(Schema):
    is_verifier: bool
    is_researcher: bool
    is_staff: bool


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    pronouns: str
    bio: str
    accessibility: AccessibilityOut
    roles: RolesOut
    has_mfa: bool

    @staticmethod
    def resolve_accessibility(user: User) -> User:
        return user

    @staticmethod
    def resolve_roles(user: User) -> User:
        return user

    @staticmethod
    def resolve_has_mfa(user: User) -> bool:
        return access.has_mfa(user)


class ProfileIn(InputSchema):
    display_name: str | None = optional_text(User, "display_name")
    pronouns: str | None = optional_text(User, "pronouns")
    bio: str | None = optional_text(User, "bio")


class AccessibilityIn(InputSchema):
    text_size: TextSize | None = None
    high_contrast: bool | None = None
    reduced_motion: bool | None = None


# Personas and credentials --------------------------------------------------


class PersonaOut(Schema):
    """The whole public face of a persona. An anonymous professional persona
    must stay unlinkable to its account, so nothing else is ever added here."""

    public_id: str
    kind: PersonaKind
    label: str
    badge: str


class CredentialOut(Schema):
    id: int
    profession: Profession
    registration_body: str
    registration_number: str
    status: CredentialStatus
    submitted_at: datetime
    decided_at: datetime | None
    decision_note: str


class CredentialIn(InputSchema):
    profession: Profession
    registration_body: str = text(Credential, "registration_body", min_length=1)
    registration_number: str = text(Credential, "registration_number", min_length=1)


# Delegations ---------------------------------------------------------------


class DelegationOut(Schema):
    id: int
    role: Literal["member", "carer"] = Field(
        description="Your side of this delegation."
    )
    member_name: str
    carer_name: str
    scopes: list[DelegationScope]
    status: DelegationStatus
    created_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None

    @staticmethod
    def resolve_role(delegation: Delegation, context: dict[str, Any]) -> str:
        viewer = context["request"].auth
        return "member" if delegation.member_id == viewer.pk else "carer"

    @staticmethod
    def resolve_member_name(delegation: Delegation) -> str:
        return delegation.member.public_name

    @staticmethod
    def resolve_carer_name(delegation: Delegation) -> str:
        return delegation.carer_label


class DelegationIn(InputSchema):
    carer_email: str = text(User, "email", min_length=3)
    scopes: list[DelegationScope] = Field(
        min_length=1, max_length=len(Delegation.Scope.values)
    )


# Consents ------------------------------------------------------------------


class ConsentStateOut(Schema):
    purpose: ConsentPurpose
    title: str
    text: str
    text_version: str = Field(description="The version of the text shown now.")
    given: bool | None = Field(description="Null until a decision is recorded.")
    decided_at: datetime | None
    decided_text_version: str | None


class ConsentIn(InputSchema):
    purpose: ConsentPurpose
    given: bool


class ConsentRecordOut(Schema):
    id: int
    purpose: ConsentPurpose
    reference: str = Field(
        description="What a one-off decision is about, e.g. 'fork_proposal:12'."
    )
    given: bool
    text_version: str
    method: ConsentMethod
    recorded_by_name: str | None
    created_at: datetime

    @staticmethod
    def resolve_recorded_by_name(record: ConsentRecord) -> str | None:
        return record.recorded_by.public_name if record.recorded_by else None


def consent_states(latest: dict[str, ConsentRecord | None]) -> list[dict[str, Any]]:
    """One row per purpose, from services.current_consents."""
    rows = []
    for purpose, record in latest.items():
        wording = CONSENT_TEXTS[purpose]
        rows.append(
            {
                "purpose": purpose,
                "title": wording.title,
                "text": wording.text,
                "text_version": wording.version,
                "given": record.given if record else None,
                "decided_at": record.created_at if record else None,
                "decided_text_version": record.text_version if record else None,
            }
        )
    return rows


# Access to my data ---------------------------------------------------------


class DataAccessOut(Schema):
    id: int
    actor_name: str | None = Field(description="Null if the account was deleted.")
    action: str
    object_type: str
    object_id: str
    reason: str
    created_at: datetime

    @staticmethod
    def resolve_actor_name(event: AuditEvent) -> str | None:
        return event.actor.public_name if event.actor else None


# Tokens --------------------------------------------------------------------


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="Shown this once; only its hash is kept.")


class TokenIn(InputSchema):
    name: str = text(ApiToken, "name", min_length=1)
    scope: TokenScope
