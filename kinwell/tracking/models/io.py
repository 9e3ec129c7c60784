"""Imports on their way in: an upload checked and waiting for the member to
confirm it, and tracking records that came with an imported community
archive, held until their member takes them in or discards them.

Both hold rows in the documented CSV format (docs/tracking-csv.md), so that
whatever their source, records reach a member's tracking through the one
validated import."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PendingImport(models.Model):
    """A file that passed the import check, kept until the member confirms
    it (or for a day at most). Confirming checks it again before writing."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=200)
    data = models.BinaryField()
    # Set when the records came from an archive: taken in, that set goes.
    held = models.ForeignKey(
        "tracking.HeldTracking",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["uploaded_by", "created_at"])]

    def __str__(self) -> str:
        return f"Pending import {self.pk}"


class HeldTracking(models.Model):
    """One member's tracking records from an imported community archive.

    Nobody is an account when an archive is imported: the records wait under
    the member's pseudonym, tied to the invitation addressed to them. Once
    they accept it, they may take the records into their tracking or discard
    them. `user` is set instead when the member is the importing organiser."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    member_ref = models.CharField(max_length=30)
    invitation = models.ForeignKey(
        "communities.MemberInvitation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "member_ref"], name="one_held_set_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"Held tracking records {self.pk}"


class HeldTrackingRow(models.Model):
    """One row of one CSV file of the format, as text by column."""

    held = models.ForeignKey(
        HeldTracking, on_delete=models.CASCADE, related_name="rows"
    )
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    file = models.CharField(max_length=40)
    data = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["held", "file", "id"])]

    def __str__(self) -> str:
        return f"Held tracking row {self.pk}"
