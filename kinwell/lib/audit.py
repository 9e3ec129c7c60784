"""Audit records: who read or changed what, and whose data it was.

Services call `record`; nothing else writes audit rows. Records carry ids and
action names, never the content itself."""

from collections.abc import Iterable
from typing import Any

from django.db import models

from kinwell.accounts.models import AuditEvent


def record(
    actor: Any,
    action: str,
    obj: models.Model,
    *,
    subject: Any = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        subject=subject,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        reason=reason[:200],
    )


def record_for_each(
    actor: Any,
    action: str,
    obj: models.Model,
    *,
    subjects: Iterable[Any],
    reason: str = "",
) -> None:
    """One record per subject, as `record` writes it, inserted in batches: a
    research release may include thousands of members."""
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                subject=subject,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                reason=reason[:200],
            )
            for subject in subjects
        ),
        batch_size=500,
    )
