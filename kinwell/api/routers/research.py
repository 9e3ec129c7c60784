"""Research access: researchers' dataset requests and releases, organisers'
decisions, and each community's public data-release register. Each
operation makes the same access and service calls as the website
(kinwell.tracking.views.research).

Research operations are for researchers (User.is_researcher) and the
organisers of the community asked, both with two-factor authentication;
anyone else gets 404, as on the website."""

from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Path, Router, Status
from ninja.pagination import paginate

from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.routers.communities import viewer
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.api.schemas.research import (
    DatasetDecisionIn,
    DatasetRequestIn,
    DatasetRequestOut,
    RegisterEntryOut,
    ReleaseIn,
    ReleaseOut,
)
from kinwell.communities.access import get_community_for_organiser
from kinwell.communities.models import Community
from kinwell.tracking.models import DataRelease, DatasetRequest
from kinwell.tracking.research import access, register, release, services

router = Router(tags=["research"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]

READ = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)
PUBLIC = errors(401, 403, 404, 422)


def _release_out(found: DataRelease, *, insider: bool) -> dict[str, Any]:
    """A release as `found`'s researcher sees it (`insider`), or as anyone
    else allowed to see its request does."""
    file = reverse("api:research_release_file", args=[found.pk])
    return {
        "id": found.pk,
        "kind": found.kind,
        "released_at": found.released_at,
        "members": register.published_count(found.member_count),
        "member_count": found.member_count if insider else None,
        "record_count": found.record_count if insider else None,
        "epsilon": found.epsilon,
        "sha256": found.sha256 if insider else None,
        "file": file if insider and found.file else None,
    }


PLAIN_FIELDS = (
    "title",
    "institution",
    "purpose",
    "include_conditions",
    "include_check_ins",
    "include_treatments",
    "include_questionnaires",
    "include_notes",
    "period_from",
    "period_to",
    "privacy_budget",
    "privacy_spent",
    "status",
    "decided_at",
    "decision_note",
    "created_at",
)


def _request_out(user: Any, found: DatasetRequest) -> dict[str, Any]:
    insider = found.researcher_id == user.pk
    releases = register.entry_for(found).releases
    decider = found.decided_by
    return {
        "id": found.pk,
        **{field: getattr(found, field) for field in PLAIN_FIELDS},
        "community": found.community.slug,
        "researcher_name": found.researcher.public_name,
        "decided_by_name": decider.public_name if decider else None,
        "releases": [_release_out(line.release, insider=insider) for line in releases],
    }


class ShapedPage:
    """Requests as the paginator slices them, each page shaped by
    `_request_out` for the caller (who may be their researcher or not)."""

    def __init__(self, user: Any, requests: QuerySet[DatasetRequest]) -> None:
        self.user = user
        self.requests = requests.select_related(
            "community", "researcher", "decided_by"
        ).prefetch_related("releases")

    def __len__(self) -> int:
        return self.requests.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        return [_request_out(self.user, found) for found in self.requests[index]]


def _decimal(number: float | None) -> Decimal | None:
    # Through its shortest text: 0.1 stays 0.1, not 0.1000000000000000055...
    return None if number is None else Decimal(repr(number))


# A researcher's requests ------------------------------------------------------


@router.get("/research/requests", response={200: list[DatasetRequestOut], **READ})
@paginate(Pagination)
def list_my_dataset_requests(request: HttpRequest) -> Any:
    user = current_user(request)
    return ShapedPage(user, access.requests_of(user))


@router.post("/research/requests", response={201: DatasetRequestOut, **WRITE})
def request_dataset(request: HttpRequest, payload: DatasetRequestIn) -> Status[Any]:
    user = current_user(request)
    access.require_researcher(user)
    fields = payload.model_dump()
    community = services.find_community(user, fields.pop("community"))
    fields["privacy_budget"] = _decimal(fields["privacy_budget"])
    made = services.request_dataset(user, community=community, **fields)
    return Status(201, _request_out(user, made))


@router.get(
    "/research/requests/{request_id}", response={200: DatasetRequestOut, **READ}
)
def get_dataset_request(request: HttpRequest, request_id: ObjectId) -> dict[str, Any]:
    user = current_user(request)
    return _request_out(user, access.get_request_for_user(user, request_id))


@router.post(
    "/research/requests/{request_id}/withdraw",
    response={200: DatasetRequestOut, **WRITE},
)
def withdraw_dataset_request(
    request: HttpRequest, request_id: ObjectId
) -> dict[str, Any]:
    user = current_user(request)
    found = access.get_request_for_researcher(user, request_id)
    return _request_out(user, services.withdraw_request(user, request=found))


@router.post(
    "/research/requests/{request_id}/approve",
    response={200: DatasetRequestOut, **WRITE},
)
def approve_dataset_request(
    request: HttpRequest, request_id: ObjectId, payload: DatasetDecisionIn
) -> dict[str, Any]:
    user = current_user(request)
    found = access.get_request_for_organiser(user, request_id)
    decided = services.approve_request(user, request=found, note=payload.note)
    return _request_out(user, decided)


@router.post(
    "/research/requests/{request_id}/refuse",
    response={200: DatasetRequestOut, **WRITE},
)
def refuse_dataset_request(
    request: HttpRequest, request_id: ObjectId, payload: DatasetDecisionIn
) -> dict[str, Any]:
    user = current_user(request)
    found = access.get_request_for_organiser(user, request_id)
    decided = services.refuse_request(user, request=found, note=payload.note)
    return _request_out(user, decided)


@router.post(
    "/research/requests/{request_id}/releases",
    response={201: ReleaseOut, **WRITE},
)
def release_dataset(
    request: HttpRequest, request_id: ObjectId, payload: ReleaseIn
) -> Status[Any]:
    user = current_user(request)
    found = access.get_request_for_researcher(user, request_id)
    made = release.release_dataset(
        user, request=found, kind=payload.kind, epsilon=_decimal(payload.epsilon)
    )
    return Status(201, _release_out(made, insider=True))


@router.get(
    "/research/releases/{release_id}/file",
    response={200: None, **READ},
    url_name="research_release_file",
    summary="The released file (a zip, or JSON for private counts)",
)
def get_release_file(request: HttpRequest, release_id: ObjectId) -> FileResponse:
    path, name = release.open_release_for_download(current_user(request), release_id)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"
    return response


# A community's requests and register --------------------------------------------


@router.get(
    "/communities/{slug}/research/requests",
    response={200: list[DatasetRequestOut], **READ},
)
@paginate(Pagination)
def list_community_dataset_requests(request: HttpRequest, slug: Slug) -> Any:
    user = current_user(request)
    community, _ = get_community_for_organiser(user, slug)
    requests = DatasetRequest.objects.filter(community=community)
    return ShapedPage(user, requests.order_by("-created_at", "-pk"))


@router.get(
    "/communities/{slug}/data-releases",
    response={200: list[RegisterEntryOut], **PUBLIC},
    auth=None,
    summary="The community's public data-release register",
)
def list_data_releases(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    community = access.get_community_for_register_reader(viewer(request), slug)
    return [_register_out(entry) for entry in register.register_of(community)]


def _register_out(entry: register.RegisterEntry) -> dict[str, Any]:
    found = entry.request
    return {
        "id": found.pk,
        "title": found.title,
        "purpose": found.purpose,
        "researcher_name": found.researcher.public_name,
        "institution": found.institution,
        "status": found.status,
        "decided_at": found.decided_at,
        "contents": entry.contents,
        "period": entry.period,
        "privacy_budget": found.privacy_budget,
        "privacy_spent": found.privacy_spent,
        "releases": [
            {
                "id": line.release.pk,
                "kind": line.release.kind,
                "released_at": line.release.released_at,
                "members": line.members,
                "epsilon": line.release.epsilon,
            }
            for line in entry.releases
        ],
    }
