"""The catalogue members track against: conditions, symptoms and treatments.

An entry with no community is the installation's generic set; an entry with a
community was added by that community's organisers and is seen only there.
Codes (ICD-10, SNOMED CT, ATC) are plain text: Kinwell records them for
researchers and FHIR exports, and does not validate them against a
terminology server.

An entry organisers remove while members have it in their records is
retired instead of deleted: it stays for those records and is offered for
no new one. Its name is free again for a new entry."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone


class CatalogueQuerySet[T: models.Model](QuerySet[T]):
    def for_community(self, community: Any) -> "CatalogueQuerySet[T]":
        """The generic entries and `community`'s own, never another's."""
        return self.filter(Q(community__isnull=True) | Q(community=community))

    def generic(self) -> "CatalogueQuerySet[T]":
        return self.filter(community__isnull=True)

    def current(self) -> "CatalogueQuerySet[T]":
        """Entries still in the catalogue: the ones members may choose."""
        return self.filter(retired_at__isnull=True)


class CatalogueEntry(models.Model):
    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    snomed_code = models.CharField("SNOMED CT code", max_length=20, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set when organisers removed it while records used it (never shown to
    # them: whether anyone records an entry is nobody's business).
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _unique_name(model: str) -> list[models.BaseConstraint]:
    # Names are unique within the generic set and within each community's
    # additions, without regard to case (compared through Lower in services),
    # among the entries still in the catalogue: a retired one's name may be
    # taken again.
    return [
        models.UniqueConstraint(
            fields=["community", "name"],
            condition=Q(community__isnull=False, retired_at__isnull=True),
            name=f"one_{model}_name_per_community",
        ),
        models.UniqueConstraint(
            fields=["name"],
            condition=Q(community__isnull=True, retired_at__isnull=True),
            name=f"one_generic_{model}_name",
        ),
    ]


class Condition(CatalogueEntry):
    icd10_code = models.CharField("ICD-10 code", max_length=10, blank=True)

    objects: ClassVar[CatalogueQuerySet["Condition"]] = CatalogueQuerySet.as_manager()  # type: ignore[assignment]

    class Meta(CatalogueEntry.Meta):
        constraints = _unique_name("condition")


class Symptom(CatalogueEntry):
    """Also the vocabulary of side effects."""

    icd10_code = models.CharField("ICD-10 code", max_length=10, blank=True)

    objects: ClassVar[CatalogueQuerySet["Symptom"]] = CatalogueQuerySet.as_manager()  # type: ignore[assignment]

    class Meta(CatalogueEntry.Meta):
        constraints = _unique_name("symptom")


class Treatment(CatalogueEntry):
    class Kind(models.TextChoices):
        MEDICINE = "medicine", "Medicine"
        THERAPY = "therapy", "Therapy"
        DEVICE = "device", "Device"
        LIFESTYLE = "lifestyle", "Lifestyle"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    atc_code = models.CharField("ATC code", max_length=10, blank=True)

    objects: ClassVar[CatalogueQuerySet["Treatment"]] = CatalogueQuerySet.as_manager()  # type: ignore[assignment]

    class Meta(CatalogueEntry.Meta):
        constraints = _unique_name("treatment")
