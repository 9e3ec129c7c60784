"""The signed-in person's own account, personas, credentials, delegations,
consents, data-access log and tokens. Each operation makes the same access and
service calls as the website."""

from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Router, Status
from ninja.pagination import paginate

from kinwell.accounts import access, services
from kinwell.accounts.models import (
    ApiToken,
    AuditEvent,
    ConsentRecord,
    Credential,
    Delegation,
    Persona,
    User,
)
from kinwell.api.auth import current_user, require_session
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.schemas.accounts import (
    AccessibilityIn,
    ConsentIn,
    ConsentRecordOut,
    ConsentStateOut,
    CredentialIn,
    CredentialOut,
    DataAccessOut,
    DelegationIn,
    DelegationOut,
    MeOut,
    PersonaOut,
    ProfileIn,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    consent_states,
)
from kinwell.api.schemas.fields import MAX_ID, max_length

router = Router(tags=["accounts"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
PublicId = Annotated[str, Path(max_length=max_length(Persona, "public_id"))]

READ = errors(401)
LIST = errors(401, 422)
WRITE = errors(400, 401, 403, 422, 429)
WRITE_ONE = errors(400, 401, 403, 404, 422, 429)


# Me ------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **READ})
def get_me(request: HttpRequest) -> User:
    return current_user(request)


@router.patch("/me/profile", response={200: MeOut, **WRITE})
def update_my_profile(request: HttpRequest, payload: ProfileIn) -> User:
    user = current_user(request)
    return services.update_profile(
        user,
        display_name=_or(payload.display_name, user.display_name),
        pronouns=_or(payload.pronouns, user.pronouns),
        bio=_or(payload.bio, user.bio),
    )


@router.patch("/me/accessibility", response={200: MeOut, **WRITE})
def update_my_accessibility(request: HttpRequest, payload: AccessibilityIn) -> User:
    user = current_user(request)
    return services.update_accessibility(
        user,
        text_size=_or(payload.text_size, user.text_size),
        high_contrast=_or(payload.high_contrast, user.high_contrast),
        reduced_motion=_or(payload.reduced_motion, user.reduced_motion),
    )


def _or[T](given: T | None, current: T) -> T:
    """PATCH: a field left out (or null) keeps its value."""
    return current if given is None else given


# Personas ------------------------------------------------------------------


@router.get("/me/personas", response={200: list[PersonaOut], **LIST})
@paginate(Pagination)
def list_my_personas(request: HttpRequest) -> QuerySet[Persona]:
    user = current_user(request)
    return (
        Persona.objects.filter(user=user)
        .select_related("user", "credential")
        .order_by("pk")
    )


@router.get(
    "/personas/{public_id}",
    response={200: PersonaOut, **errors(404, 422)},
    auth=None,
    summary="A persona's public face (no sign-in needed)",
)
def get_persona(request: HttpRequest, public_id: PublicId) -> Persona:
    return access.get_persona_for_user(request.user, public_id)


# Credentials ---------------------------------------------------------------


@router.get("/me/credentials", response={200: list[CredentialOut], **LIST})
@paginate(Pagination)
def list_my_credentials(request: HttpRequest) -> QuerySet[Credential]:
    user = current_user(request)
    return Credential.objects.filter(user=user).order_by("-submitted_at", "-pk")


@router.post("/me/credentials", response={201: CredentialOut, **WRITE})
def submit_credential(
    request: HttpRequest, payload: CredentialIn
) -> Status[Credential]:
    credential = services.submit_credential(
        current_user(request),
        profession=payload.profession,
        registration_body=payload.registration_body,
        registration_number=payload.registration_number,
    )
    return Status(201, credential)


# Delegations ---------------------------------------------------------------


@router.get("/me/delegations", response={200: list[DelegationOut], **LIST})
@paginate(Pagination)
def list_my_delegations(request: HttpRequest) -> QuerySet[Delegation]:
    return access.delegations_for_user(current_user(request))


@router.post("/me/delegations", response={201: DelegationOut, **WRITE})
def invite_carer(request: HttpRequest, payload: DelegationIn) -> Status[Delegation]:
    delegation = services.invite_carer(
        current_user(request), carer_email=payload.carer_email, scopes=payload.scopes
    )
    return Status(201, delegation)


@router.post(
    "/me/delegations/{delegation_id}/accept", response={200: DelegationOut, **WRITE_ONE}
)
def accept_delegation(request: HttpRequest, delegation_id: ObjectId) -> Delegation:
    user = current_user(request)
    delegation = access.get_delegation_for_user(user, delegation_id)
    return services.accept_delegation(user, delegation=delegation)


@router.post(
    "/me/delegations/{delegation_id}/decline",
    response={200: DelegationOut, **WRITE_ONE},
)
def decline_delegation(request: HttpRequest, delegation_id: ObjectId) -> Delegation:
    user = current_user(request)
    delegation = access.get_delegation_for_user(user, delegation_id)
    return services.decline_delegation(user, delegation=delegation)


@router.post(
    "/me/delegations/{delegation_id}/revoke", response={200: DelegationOut, **WRITE_ONE}
)
def revoke_delegation(request: HttpRequest, delegation_id: ObjectId) -> Delegation:
    user = current_user(request)
    delegation = access.get_delegation_for_user(user, delegation_id)
    return services.revoke_delegation(user, delegation=delegation)


# Consents ------------------------------------------------------------------


@router.get("/me/consents", response={200: list[ConsentStateOut], **READ})
def list_my_consents(request: HttpRequest) -> list[dict[str, Any]]:
    return consent_states(services.current_consents(current_user(request)))


@router.post("/me/consents", response={201: ConsentRecordOut, **WRITE})
def record_consent(request: HttpRequest, payload: ConsentIn) -> Status[ConsentRecord]:
    user = current_user(request)
    record = services.record_consent(
        user,
        user=user,
        purpose=payload.purpose,
        given=payload.given,
        method=ConsentRecord.Method.API,
    )
    return Status(201, record)


@router.get("/me/consents/history", response={200: list[ConsentRecordOut], **LIST})
@paginate(Pagination)
def list_my_consent_history(request: HttpRequest) -> QuerySet[ConsentRecord]:
    return (
        ConsentRecord.objects.filter(user=current_user(request))
        .select_related("recorded_by")
        .order_by("-created_at", "-pk")
    )


# Access to my data ---------------------------------------------------------


@router.get("/me/data-access", response={200: list[DataAccessOut], **LIST})
@paginate(Pagination)
def list_accesses_to_my_data(request: HttpRequest) -> QuerySet[AuditEvent]:
    return access.accesses_to_my_data(current_user(request))


# Tokens --------------------------------------------------------------------


@router.get("/me/tokens", response={200: list[TokenOut], **LIST})
@paginate(Pagination)
def list_my_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=current_user(request)).order_by(
        "-created_at", "-pk"
    )


@router.post("/me/tokens", response={201: TokenCreatedOut, **WRITE})
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    require_session(request)
    token, raw = services.create_api_token(
        current_user(request), name=payload.name, scope=payload.scope
    )
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/me/tokens/{token_id}", response={204: None, **WRITE_ONE})
def revoke_token(request: HttpRequest, token_id: ObjectId) -> Status[None]:
    require_session(request)
    user = current_user(request)
    services.revoke_api_token(user, token=access.get_own_token(user, token_id))
    return Status(204, None)
