"""Researchers' requests for datasets, and every release made from them.

A release is recorded once for the community's public register and once per
included member in the audit log, so each member sees it on "Access to my
data"."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_salt() -> str:
    return secrets.token_hex(32)


class DatasetRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the organisers"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn"

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    researcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    institution = models.CharField(max_length=160)
    title = models.CharField(max_length=160)
    purpose = models.TextField(max_length=4000)
    include_conditions = models.BooleanField(default=True)
    include_check_ins = models.BooleanField(default=True)
    include_treatments = models.BooleanField(default=True)
    include_questionnaires = models.BooleanField(default=False)
    # Notes go in only for members who separately allowed their free text.
    include_notes = models.BooleanField(default=False)
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    # Empty: no differential-privacy counts for this request. Otherwise the
    # total privacy loss (epsilon) its counts may ever spend.
    privacy_budget = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True
    )
    privacy_spent = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=1000, blank=True)
    # Keys the per-member date shifts and pseudonyms; never shown or exported.
    salt = models.CharField(max_length=64, default=new_salt, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["community", "status", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class DataRelease(models.Model):
    class Kind(models.TextChoices):
        RECORDS_CSV = "csv", "De-identified records (CSV)"
        RECORDS_FHIR = "fhir", "De-identified records (FHIR R4)"
        PRIVATE_COUNTS = "dp_counts", "Counts with differential privacy"

    request = models.ForeignKey(
        DatasetRequest, on_delete=models.CASCADE, related_name="releases"
    )
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    released_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(default=timezone.now)
    member_count = models.PositiveIntegerField(default=0)
    record_count = models.PositiveIntegerField(default=0)
    epsilon = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    # Where the released file is kept, under the private data directory.
    file = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["community", "-released_at"])]

    def __str__(self) -> str:
        return f"Data release {self.pk}"

    @property
    def description_for_member(self) -> str:
        """What an included member reads on "Access to my data"."""
        researcher = (
            self.released_to.public_name if self.released_to else "a researcher"
        )
        how = (
            "Counted, with differential privacy, in figures from"
            if self.kind == self.Kind.PRIVATE_COUNTS
            else "Included, de-identified, in"
        )
        return (
            f"{how} the dataset \u201c{self.request.title}\u201d released to "
            f"{researcher} at {self.request.institution}"
        )

    @classmethod
    def describe_for_subjects(cls, object_ids: list[str]) -> dict[str, str]:
        """Plain words for the audit events about these releases, by release
        id: the page "Access to my data" asks each model in its events for
        them (kinwell.accounts.views.describe_events)."""
        ids = [int(value) for value in object_ids if value.isdigit()]
        releases = cls.objects.filter(pk__in=ids).select_related(
            "request", "released_to"
        )
        return {str(release.pk): release.description_for_member for release in releases}
