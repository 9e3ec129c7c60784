"""A community's catalogue: the generic conditions, symptoms and treatments
and the community's own, for whoever may read the community's content; its
own entries added, corrected and removed by its organisers. Each operation
makes the same access and service calls as the website
(kinwell.tracking.views.catalogue). No answer tells whether anyone records
an entry: a removed one is gone from every answer, whether it was deleted or
kept for members' records (kinwell.tracking.catalogue)."""

from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Router, Status
from ninja.pagination import paginate

from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.routers.communities import viewer
from kinwell.api.schemas.catalogue import EntryIn, EntryOut, EntryPatch
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.communities import access as community_access
from kinwell.communities.models import Community
from kinwell.tracking import access, catalogue

router = Router(tags=["catalogue"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]
Kind = Annotated[
    str,
    Path(
        pattern=r"^(conditions|symptoms|treatments)$",
        description="conditions, symptoms or treatments",
    ),
]

PUBLIC = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)


def _fields(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """What the service takes for `kind`: its codes, and for treatments the
    kind of treatment; a code the kind does not carry is refused by it."""
    kept = {"name", "description", *catalogue.code_fields(kind)}
    if kind == "treatments":
        kept.add("treatment_kind")
    fields = {name: value for name, value in given.items() if name in kept}
    fields |= {
        name: value for name, value in given.items() if value and name not in kept
    }
    return fields


def _entry(community: Community, kind: str, entry_id: int) -> Any:
    entries = catalogue.current_entries(kind)
    return access.get_entry_for_organiser(community, entries, entry_id)


@router.get(
    "/communities/{slug}/catalogue/{kind}",
    response={200: list[EntryOut], **PUBLIC},
    auth=None,
    summary="The generic entries and the community's own, by name",
)
@paginate(Pagination)
def list_catalogue_entries(
    request: HttpRequest, slug: Slug, kind: Kind
) -> QuerySet[Any]:
    community = access.get_community_for_catalogue(viewer(request), slug)
    return catalogue.entries_for(community, kind).select_related("community")


@router.post(
    "/communities/{slug}/catalogue/{kind}",
    response={201: EntryOut, **WRITE},
    summary="Add an entry of the community's own (organisers)",
)
def add_catalogue_entry(
    request: HttpRequest, slug: Slug, kind: Kind, payload: EntryIn
) -> Status[Any]:
    user = current_user(request)
    community, _ = community_access.get_community_for_organiser(user, slug)
    given = payload.model_dump(exclude_unset=True)
    given.setdefault("treatment_kind", "")
    entry = catalogue.add_entry(
        user, community=community, kind=kind, **_fields(kind, given)
    )
    return Status(201, entry)


@router.patch(
    "/communities/{slug}/catalogue/{kind}/{entry_id}",
    response={200: EntryOut, **WRITE},
    summary="Correct an entry of the community's own (organisers)",
    description="The description, codes and kind of treatment may change; "
    "the name may not (a different name is refused).",
)
def update_catalogue_entry(
    request: HttpRequest,
    slug: Slug,
    kind: Kind,
    entry_id: ObjectId,
    payload: EntryPatch,
) -> Any:
    user = current_user(request)
    community, _ = community_access.get_community_for_organiser(user, slug)
    entry = _entry(community, kind, entry_id)
    current: dict[str, Any] = {"description": entry.description}
    current |= {field: getattr(entry, field) for field in catalogue.code_fields(kind)}
    if kind == "treatments":
        current["treatment_kind"] = entry.kind
    changes = payload.model_dump(exclude_unset=True)
    current |= {name: value for name, value in changes.items() if value is not None}
    return catalogue.update_entry(user, entry=entry, **_fields(kind, current))


@router.delete(
    "/communities/{slug}/catalogue/{kind}/{entry_id}",
    response={204: None, **WRITE},
    summary="Remove an entry of the community's own from the catalogue (organisers)",
    description="Members' records that name it keep it; nobody can choose it "
    "any more. The answer is the same whether or not anyone records it.",
)
def delete_catalogue_entry(
    request: HttpRequest, slug: Slug, kind: Kind, entry_id: ObjectId
) -> Status[None]:
    user = current_user(request)
    community, _ = community_access.get_community_for_organiser(user, slug)
    catalogue.remove_entry(user, entry=_entry(community, kind, entry_id))
    return Status(204, None)
