"""The catalogue a community's organisers extend: adding, changing and
deleting their own conditions, symptoms and treatments. The generic entries
belong to the installation and are read-only here.

A name is unique, whatever its case, among the generic entries and the
community's own, so members never choose between two "Fatigue"s. A name
never changes once the entry is added: members' records name it, and a new
name would change what they recorded. Its description and codes may be
corrected.

Removing an entry deletes it if no record uses it, and otherwise retires
it: it stays for the records that name it and is offered for no new one.
Organisers see the same either way (the same message, the entry gone from
their pages and the API, its name free again), so nobody learns from the
catalogue whether anyone records something, consenting to be counted or
not."""

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities.models import Community, Membership
from kinwell.lib import audit, ratelimit
from kinwell.tracking.access import is_organiser
from kinwell.tracking.insights.refresh import note_community_change
from kinwell.tracking.models import (
    Condition,
    Evaluation,
    MemberCondition,
    SideEffect,
    Symptom,
    SymptomScore,
    TrackedSymptom,
    Treatment,
    TreatmentCourse,
)

type Entry = Condition | Symptom | Treatment
type EntryModel = type[Condition] | type[Symptom] | type[Treatment]

# The catalogue's three parts, as URLs and the API name them.
KINDS: dict[str, EntryModel] = {
    "conditions": Condition,
    "symptoms": Symptom,
    "treatments": Treatment,
}
KIND_LABELS = {
    "conditions": "Conditions",
    "symptoms": "Symptoms",
    "treatments": "Treatments",
}
MAX_OWN_ENTRIES = 500
CHANGES_PER_TEN_MINUTES = 60

# Shapes only: Kinwell does not look codes up in a terminology server.
CODE_PATTERNS = {
    "icd10_code": (
        re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?"),
        "An ICD-10 code looks like J45 or U09.9.",
    ),
    "snomed_code": (
        re.compile(r"[1-9][0-9]{5,17}"),
        "A SNOMED CT code is a number of 6 to 18 digits.",
    ),
    "atc_code": (
        re.compile(r"[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?"),
        "An ATC code looks like N02BE01.",
    ),
}


def model_for(kind: str) -> EntryModel:
    if kind not in KINDS:
        raise ValidationError({"kind": "Choose conditions, symptoms or treatments."})
    return KINDS[kind]


def kind_of(entry: Entry) -> str:
    return next(kind for kind, model in KINDS.items() if isinstance(entry, model))


def entries_for(community: Community, kind: str) -> QuerySet[Any]:
    """The generic entries and `community`'s own (never another's) still in
    the catalogue, by name."""
    model = model_for(kind)
    entries = model.objects.for_community(community).current()
    return entries.order_by(Lower("name"), "pk")


def current_entries(kind: str) -> QuerySet[Any]:
    """Every entry of `kind` still in the catalogue: a retired one is not
    found, for organisers as for anyone."""
    return model_for(kind).objects.current()


def code_fields(kind: str) -> list[str]:
    """The codes an entry of `kind` carries."""
    if kind == "treatments":
        return ["atc_code", "snomed_code"]
    return ["icd10_code", "snomed_code"]


# Changes by organisers ----------------------------------------------------------


@transaction.atomic
def add_entry(
    actor: User,
    *,
    community: Community,
    kind: str,
    name: str,
    description: str = "",
    treatment_kind: str = "",
    **codes: str,
) -> Entry:
    """A new entry of `community`'s own. `codes`: icd10_code and snomed_code
    (conditions, symptoms), atc_code and snomed_code (treatments)."""
    model = model_for(kind)
    _require_organiser(actor, community)
    _limit(actor)
    # One addition at a time per community, so that two cannot both find a
    # name (in another case) or a place under the limit free.
    Community.objects.select_for_update().filter(pk=community.pk).exists()
    if model.objects.filter(community=community).current().count() >= MAX_OWN_ENTRIES:
        raise ValidationError(
            f"A community can add at most {MAX_OWN_ENTRIES} {kind} of its own."
        )
    fields = {"name": _clean_name(kind, community, name)}
    fields |= _clean(kind, description, treatment_kind, codes)
    try:
        # A savepoint: the same name added twice at once (a double submit)
        # meets the database's constraint, and is refused like any other.
        with transaction.atomic():
            entry = model.objects.create(community=community, added_by=actor, **fields)
    except IntegrityError:
        raise ValidationError({"name": _name_taken(fields["name"])}) from None
    audit.record(actor, "catalogue.add", entry)
    note_community_change(community.pk)
    return entry


@transaction.atomic
def update_entry(
    actor: User,
    *,
    entry: Entry,
    name: str | None = None,
    description: str = "",
    treatment_kind: str = "",
    **codes: str,
) -> Entry:
    """Corrects an entry's description, codes and (for a treatment) kind.
    `name`, if given, must be the entry's own: names do not change."""
    community = _own_community(actor, entry)
    _limit(actor)
    if name is not None and " ".join(name.split()) != entry.name:
        raise ValidationError(
            {
                "name": "The name cannot be changed: members' records name it. "
                "Remove the entry and add a new one instead."
            }
        )
    kind = kind_of(entry)
    fields = _clean(kind, description, treatment_kind, codes)
    for field, value in fields.items():
        setattr(entry, field, value)
    entry.save(update_fields=list(fields))
    audit.record(actor, "catalogue.update", entry)
    note_community_change(community.pk)
    return entry


@transaction.atomic
def remove_entry(actor: User, *, entry: Entry) -> None:
    """Takes an entry out of the catalogue: deleted if no record uses it,
    else retired. The caller learns nothing of which (see the module's
    docstring), and the audit log records both alike."""
    community = _own_community(actor, entry)
    _limit(actor)
    # Locked: a record being written for it meanwhile waits, and is then
    # either seen here (the entry is retired) or refused by its foreign key;
    # deleting never takes a member's record with it.
    locked = type(entry).objects.select_for_update().get(pk=entry.pk)
    audit.record(actor, "catalogue.remove", locked)
    if is_in_use(locked):
        locked.retired_at = entry.retired_at = timezone.now()
        locked.save(update_fields=["retired_at"])
    else:
        locked.delete()
    note_community_change(community.pk)


def is_in_use(entry: Entry) -> bool:
    """Whether any record names `entry`. Never to be shown to anyone."""
    if isinstance(entry, Condition):
        return MemberCondition.objects.filter(condition=entry).exists()
    if isinstance(entry, Symptom):
        return (
            TrackedSymptom.objects.filter(symptom=entry).exists()
            or SymptomScore.objects.filter(symptom=entry).exists()
            or SideEffect.objects.filter(symptom=entry).exists()
        )
    return (
        TreatmentCourse.objects.filter(treatment=entry).exists()
        or Evaluation.objects.filter(treatment=entry).exists()
    )


def retired_in_records(owner: User, model: type[models.Model]) -> QuerySet[Any]:
    """Retired entries of `model` that `owner`'s own records name, among
    those they may see: an import of their records may still name them."""
    communities = Membership.objects.filter(user=owner).values("community_id")
    visible = Q(community__isnull=True) | Q(community_id__in=communities)
    return model._default_manager.filter(
        visible, named_in_records(model, [owner.pk]), retired_at__isnull=False
    )


def named_in_records(model: type[models.Model], user_ids: list[int]) -> Q:
    """Entries of `model` that the records of these members name."""
    sources: list[tuple[type[models.Model], str]]
    if model is Condition:
        sources = [(MemberCondition, "condition_id")]
    elif model is Symptom:
        sources = [
            (TrackedSymptom, "symptom_id"),
            (SymptomScore, "symptom_id"),
            (SideEffect, "symptom_id"),
        ]
    else:
        sources = [(TreatmentCourse, "treatment_id"), (Evaluation, "treatment_id")]
    named = Q()
    for source, column in sources:
        records = source._default_manager.filter(user_id__in=user_ids)
        named |= Q(pk__in=records.values(column))
    return named


def _clean(
    kind: str,
    description: str,
    treatment_kind: str,
    codes: dict[str, str],
) -> dict[str, Any]:
    fields: dict[str, Any] = {"description": _clean_description(description)}
    unknown = set(codes) - set(code_fields(kind))
    if unknown:
        raise ValidationError(f"{KIND_LABELS[kind]} carry no {', '.join(unknown)}.")
    fields |= {
        field: _clean_code(field, codes.get(field, "")) for field in code_fields(kind)
    }
    if kind == "treatments":
        if treatment_kind not in Treatment.Kind.values:
            raise ValidationError(
                {"treatment_kind": "Choose medicine, therapy, device or lifestyle."}
            )
        fields["kind"] = treatment_kind
    return fields


def _clean_name(kind: str, community: Community, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give it a name."})
    if len(name) > 120:
        raise ValidationError({"name": "Keep the name to 120 characters."})
    entries = model_for(kind).objects.for_community(community).current()
    if entries.filter(name__iexact=name).exists():
        raise ValidationError({"name": _name_taken(name)})
    return name


def _name_taken(name: str) -> str:
    return f'"{name}" is already in the catalogue. Choose another name.'


def _clean_description(description: str) -> str:
    description = description.strip()
    if len(description) > 500 or "\x00" in description:
        raise ValidationError(
            {"description": "Keep the description to 500 characters."}
        )
    return description


def _clean_code(field: str, code: str) -> str:
    code = code.strip().upper()
    pattern, message = CODE_PATTERNS[field]
    if code and not pattern.fullmatch(code):
        raise ValidationError({field: message})
    return code


def _require_organiser(actor: User, community: Community) -> None:
    if not is_organiser(actor, community):
        raise PermissionDenied("This is for the community's organisers.")


def _own_community(actor: User, entry: Entry) -> Community:
    if entry.community is None:
        raise PermissionDenied(
            "The generic entries are shared by every community and cannot be "
            "changed here."
        )
    _require_organiser(actor, entry.community)
    if entry.retired_at is not None:
        raise ValidationError("This is no longer in the catalogue.")
    return entry.community


def _limit(actor: User) -> None:
    ratelimit.check("catalogue", actor.pk, limit=CHANGES_PER_TEN_MINUTES, period=600)
