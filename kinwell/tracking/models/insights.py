"""Community insights as published: figures computed in the background,
already suppressed and rounded, so a page view only reads one row."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class InsightSnapshot(models.Model):
    """The published figures of one community or one cluster at one time.
    Pages show the newest; older ones are kept briefly, then pruned."""

    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    cluster = models.ForeignKey(
        "communities.Cluster",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    computed_at = models.DateTimeField(default=timezone.now)
    figures = models.JSONField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(community__isnull=True) ^ Q(cluster__isnull=True),
                name="insight_for_community_or_cluster",
            )
        ]
        indexes = [
            models.Index(fields=["community", "-computed_at"]),
            models.Index(fields=["cluster", "-computed_at"]),
        ]

    def __str__(self) -> str:
        return f"Insight snapshot {self.pk}"


class InsightState(models.Model):
    """When the tracking of a community's counted members last changed, and
    when its insights were last worked out. A write of tracking data marks
    the row (kinwell.tracking.insights.refresh); the background job works
    out again every community marked since its last computation, at most
    once every few minutes however many check-ins arrive."""

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Insight state {self.pk}"

    @property
    def is_due(self) -> bool:
        if self.changed_at is None:
            return False
        return self.computed_at is None or self.changed_at > self.computed_at
