"""Shapes of a community's catalogue in the API. No rules here; those live
in kinwell.tracking.catalogue."""

from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from kinwell.api.schemas.fields import InputSchema, enum_schema, one_of
from kinwell.tracking.models import Treatment

TreatmentKind = Annotated[str, one_of(Treatment.Kind), enum_schema(Treatment.Kind)]


def _text(limit: int, default: Any = "") -> Any:
    return Field(default, max_length=limit, pattern=r"^[^\x00]*$")


class EntryOut(Schema):
    id: int
    name: str
    description: str
    community: str | None = Field(
        description="The slug of the community that added it; null for the "
        "generic set, which is read-only."
    )
    icd10_code: str = Field("", description="Conditions and symptoms; or empty.")
    snomed_code: str = ""
    atc_code: str = Field("", description="Treatments only; or empty.")
    kind: str | None = Field(
        None, description="Treatments only: medicine, therapy, device or lifestyle."
    )

    @staticmethod
    def resolve_community(entry: Any) -> str | None:
        return entry.community.slug if entry.community_id else None


class EntryIn(InputSchema):
    name: str = Field(min_length=1, max_length=120, pattern=r"^[^\x00]*$")
    description: str = _text(500)
    treatment_kind: TreatmentKind | None = Field(
        None, description="Treatments only (and for them required)."
    )
    icd10_code: str = _text(10)
    snomed_code: str = _text(20)
    atc_code: str = _text(10)


class EntryPatch(InputSchema):
    """Fields left out (or null) stay as they are. The name never changes:
    members' records name the entry."""

    name: str | None = Field(
        None,
        max_length=120,
        pattern=r"^[^\x00]*$",
        description="If given, the entry's own name; another is refused.",
    )
    description: str | None = _text(500, None)
    treatment_kind: TreatmentKind | None = None
    icd10_code: str | None = _text(10, None)
    snomed_code: str | None = _text(20, None)
    atc_code: str | None = _text(10, None)
