"""What the circle services share: the errors, the rate limits, and the
lookups every change makes again inside its transaction."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError

from kinwell.accounts.models import User
from kinwell.circles.models import Circle, CircleMembership, Device, Epoch, KeyWrap
from kinwell.lib import ratelimit

CHANGES_PER_TEN_MINUTES = 120
MESSAGES_PER_MINUTE = 30
REPORTS_PER_HOUR = 20
MAX_LABEL = 80


class EpochConflict(ValidationError):
    """Another member's device started a key period first: the client reloads
    the circle and tries again (the API answers 409)."""

    def __init__(self) -> None:
        super().__init__("The circle's keys changed meanwhile; reload and try again.")


def limit_changes(actor: User) -> None:
    ratelimit.check(
        "circle-change", actor.pk, limit=CHANGES_PER_TEN_MINUTES, period=600
    )


def limit_messages(actor: User) -> None:
    ratelimit.check("circle-message", actor.pk, limit=MESSAGES_PER_MINUTE, period=60)


def limit_reports(actor: User) -> None:
    ratelimit.check("circle-report", actor.pk, limit=REPORTS_PER_HOUR, period=3600)


def locked_circle(circle: Circle) -> Circle:
    """The circle's row, locked until the transaction ends: key periods and
    messages are checked against its current epoch one at a time."""
    found = (
        # Only the circle's row: posts to circles must not queue up behind
        # the community's row, which joining and leaving lock.
        Circle.objects.select_for_update(of=("self",))
        .select_related("community")
        .filter(pk=circle.pk)
        .first()
    )
    if found is None:
        raise ValidationError("This circle no longer exists.")
    return found


def seat_of(actor: User, circle: Circle) -> CircleMembership | None:
    found = CircleMembership.objects.filter(circle=circle, user=actor).first()
    if found is not None:
        found.circle = circle
        found.user = actor
    return found


def joined_seat(actor: User, circle: Circle) -> CircleMembership:
    """`actor`'s membership of `circle`, which must be joined."""
    found = seat_of(actor, circle)
    if found is None or found.state != CircleMembership.State.JOINED:
        raise PermissionDenied("This is for the circle's members.")
    return found


def own_active_key(
    actor: User, device: Device | None, field: str, *, browser_only: bool = False
) -> Device:
    """`device`, if it is one of `actor`'s active keys (a browser or, unless
    `browser_only`, their recovery key)."""
    fresh = None
    if device is not None:
        fresh = Device.objects.filter(pk=device.pk, user=actor).first()
    if fresh is None or fresh.state != Device.State.ACTIVE:
        raise ValidationError({field: "Use one of your own active devices."})
    if browser_only and fresh.kind != Device.Kind.BROWSER:
        raise ValidationError({field: "Use one of your own browser devices."})
    return fresh


def store_wraps(device: Device, wraps: Iterable[tuple[Epoch, str]]) -> int:
    """Wrapped epoch keys for `device`, skipping epochs it has one for (a
    re-wrap is a retry). Returns how many were added."""
    pairs = list(wraps)
    have = set(
        KeyWrap.objects.filter(
            device=device, epoch__in=[epoch for epoch, _ in pairs]
        ).values_list("epoch_id", flat=True)
    )
    rows = [
        KeyWrap(
            community_id=epoch.community_id,
            epoch=epoch,
            device=device,
            wrapped=wrapped,
        )
        for epoch, wrapped in pairs
        if epoch.pk not in have
    ]
    # A concurrent retry may have stored some meanwhile: the constraint keeps
    # one of each, and the retry does not fail for it.
    KeyWrap.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def storable(text: str) -> bool:
    """Text a database can store: no NUL, no lone surrogate (which JSON can
    carry as an escape, and UTF-8 cannot encode)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require_distinct(values: list[int], field: str, what: str) -> None:
    if len(set(values)) != len(values):
        raise ValidationError({field: f"{what} appears twice."})
