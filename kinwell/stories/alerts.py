"""Staff alerts: a staff member asks to hear of new stories about part of
their organisation (a service and everything below it, or all of it) at or
above a criticality, by email at once or in a daily digest.

Each staff member hears of a story once, however many of their alerts match
it (one AlertDelivery per staff member and story). These emails go to staff,
who may see a story's title, services and criticality."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.lib import audit, mail
from kinwell.stories.models import (
    AlertDelivery,
    Service,
    StaffAlert,
    StaffMembership,
    Story,
    StoryService,
)
from kinwell.stories.replies import criticality_meaning

MAX_ALERTS = 50
MAX_CRITICALITY = 5


# Setting alerts -------------------------------------------------------------


@transaction.atomic
def add_alert(
    actor: User,
    *,
    staff: StaffMembership,
    service: Service | None,
    min_criticality: int,
    delivery: str,
) -> StaffAlert:
    """An alert for the actor's own staff membership, on a service of that
    organisation (or, with no service, the whole of it)."""
    if staff.user_id != actor.pk:
        raise PermissionDenied("You can set alerts for yourself only.")
    if service is not None and service.organisation_id != staff.organisation_id:
        raise ValidationError({"service": "Choose a service of your organisation."})
    if not 0 <= min_criticality <= MAX_CRITICALITY:
        raise ValidationError(
            {"min_criticality": f"Choose a criticality from 0 to {MAX_CRITICALITY}."}
        )
    if delivery not in StaffAlert.Delivery.values:
        raise ValidationError({"delivery": "Choose how you want to hear."})
    mine = StaffAlert.objects.filter(staff=staff)
    if mine.filter(service=service, min_criticality=min_criticality).exists():
        raise ValidationError("You already have this alert.")
    if mine.count() >= MAX_ALERTS:
        raise ValidationError(f"You can have at most {MAX_ALERTS} alerts here.")
    alert = StaffAlert.objects.create(
        staff=staff,
        service=service,
        min_criticality=min_criticality,
        delivery=delivery,
    )
    audit.record(actor, "story.alert.add", alert)
    return alert


@transaction.atomic
def remove_alert(actor: User, *, alert: StaffAlert) -> None:
    if alert.staff.user_id != actor.pk:
        raise PermissionDenied("You can remove your own alerts only.")
    audit.record(actor, "story.alert.remove", alert)
    alert.delete()


# A story is published --------------------------------------------------------


@transaction.atomic
def story_published(story: Story) -> None:
    """Finds the alerts the story matches and records one delivery for each
    staff member they belong to: emailed now for an "at once" alert, left
    for the digest otherwise. Safe to call twice: nobody hears twice."""
    links = list(
        StoryService.objects.filter(story=story).select_related("service__organisation")
    )
    paths = [link.service.path for link in links]
    organisation_ids = {link.service.organisation_id for link in links}
    alerts = (
        StaffAlert.objects.filter(
            staff__organisation_id__in=organisation_ids,
            min_criticality__lte=story.criticality or 0,
            staff__user__is_active=True,
        )
        .exclude(staff__user_id=story.author_id)
        .select_related("staff__user", "service")
        .order_by("staff_id", "pk")
    )
    chosen = _one_delivery_per_person(
        alert for alert in alerts if _matches(alert, paths)
    )
    already = set(
        AlertDelivery.objects.filter(story=story).values_list(
            "staff__user_id", flat=True
        )
    )
    for staff, delivery in chosen.values():
        if staff.user_id in already:
            continue
        _deliver(story, staff, delivery, links)


def _matches(alert: StaffAlert, paths: list[str]) -> bool:
    """An alert on a service matches stories about it or anything below it;
    one without a service matches the whole organisation."""
    if alert.service is None:
        return True
    return any(path.startswith(alert.service.path) for path in paths)


def _one_delivery_per_person(
    alerts: Iterable[StaffAlert],
) -> dict[int, tuple[StaffMembership, str]]:
    """For each person, the membership to deliver under and how: at once if
    any matching alert of theirs asks for it."""
    chosen: dict[int, tuple[StaffMembership, str]] = {}
    for alert in alerts:
        user_id = alert.staff.user_id
        staff, delivery = chosen.get(user_id, (alert.staff, alert.delivery))
        if alert.delivery == StaffAlert.Delivery.AT_ONCE:
            delivery = StaffAlert.Delivery.AT_ONCE
        chosen[user_id] = (staff, delivery)
    return chosen


def _deliver(
    story: Story, staff: StaffMembership, delivery: str, links: list[StoryService]
) -> None:
    at_once = delivery == StaffAlert.Delivery.AT_ONCE
    AlertDelivery.objects.create(
        staff=staff,
        story=story,
        delivery=delivery,
        emailed_at=timezone.now() if at_once else None,
    )
    if not at_once:
        return
    organisations = sorted({link.service.organisation.name for link in links})
    body = render_to_string(
        "stories/emails/alert.txt",
        {
            **_site(),
            "user": staff.user,
            "story": story,
            "organisations": " and ".join(organisations),
            "services": _service_names(link.service for link in links),
            "meaning": criticality_meaning(story.criticality),
        },
    )
    subject = f"New care story #{story.pk}: {story.title}"
    mail.send_after_commit(subject, body, [staff.user.email])


# The daily digest ----------------------------------------------------------------


def send_digests(now: datetime | None = None) -> int:
    """Sends each staff member one email listing every story waiting for
    their digest, and marks those emailed. Run daily (`kinwell manage
    send_digests`); running it twice sends nothing twice. Returns how many
    emails it sent."""
    now = now or timezone.now()
    waiting = (
        AlertDelivery.objects.filter(
            delivery=StaffAlert.Delivery.DIGEST,
            emailed_at__isnull=True,
            created_at__lte=now,
        )
        .select_related("staff__user", "story")
        .prefetch_related("story__services")
        .order_by("staff__user_id", "story__published_at", "pk")
    )
    by_person: dict[int, list[AlertDelivery]] = defaultdict(list)
    for delivery in waiting:
        by_person[delivery.staff.user_id].append(delivery)
    return sum(_send_digest(deliveries, now) for deliveries in by_person.values())


@transaction.atomic
def _send_digest(deliveries: list[AlertDelivery], now: datetime) -> int:
    """One person's digest. Claiming the deliveries still unsent, under a row
    lock, is the guard against a second run sending them again. Stories
    withdrawn since are dropped from it."""
    claimed = set(
        AlertDelivery.objects.select_for_update()
        .filter(
            pk__in=[delivery.pk for delivery in deliveries], emailed_at__isnull=True
        )
        .values_list("pk", flat=True)
    )
    AlertDelivery.objects.filter(pk__in=claimed).update(emailed_at=now)
    user = deliveries[0].staff.user
    stories = [d.story for d in deliveries if d.pk in claimed and d.story.is_public]
    if not stories or not user.is_active:
        return 0
    entries = [
        {
            "story": story,
            "services": _service_names(story.services.all()),
            "meaning": criticality_meaning(story.criticality),
        }
        for story in stories
    ]
    body = render_to_string(
        "stories/emails/digest.txt", {**_site(), "user": user, "entries": entries}
    )
    count = len(entries)
    subject = f"{count} new care {'story' if count == 1 else 'stories'} for you"
    mail.send_after_commit(subject, body, [user.email])
    return 1


def _service_names(services: Iterable[Service]) -> str:
    return ", ".join(sorted(service.name for service in services))


def _site() -> dict[str, Any]:
    return {"site_url": settings.SITE_URL, "site_name": settings.SITE_NAME}
