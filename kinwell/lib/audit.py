"""Audit records: who read or changed what, and whose data it was.

Services call `record`; nothing else writes audit rows. Records carry ids and
action names, never the content itself."""

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
