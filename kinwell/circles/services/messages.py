"""Messages, and reports of a message to the community's moderators.

A message is stored as its sender's browser made it. The server reads only
its header, to refuse what every client would refuse: another circle, a key
period that is not the current one, a device not on the current member list,
a counter that does not move forward. Posts to one circle are checked one at
a time under the lock of its row; the unique counter backs this up."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from kinwell.accounts.access import require_mfa
from kinwell.accounts.models import User
from kinwell.circles.models import Circle, Device, Epoch, Message, Report
from kinwell.circles.services import formats
from kinwell.circles.services.common import (
    EpochConflict,
    joined_seat,
    limit_messages,
    limit_reports,
    locked_circle,
    storable,
)
from kinwell.communities import access as community_access
from kinwell.lib import audit

MAX_REVEALED_TEXT = 20_000
MAX_REASON = 500


@transaction.atomic
def post_message(
    actor: User,
    *,
    circle: Circle,
    header: str,
    iv: str,
    ciphertext: str,
    signature: str,
) -> Message:
    """A message from one of `actor`'s browsers on the circle's current
    member list, in the current key period, with a counter above that
    device's last one in the circle."""
    limit_messages(actor)
    found = formats.parse_header(header)
    formats.iv(iv, "iv")
    formats.ciphertext(ciphertext, "ct")
    formats.signature(signature, "sig")
    if formats.wire_size(header, iv, ciphertext, signature) > formats.MAX_MESSAGE_BYTES:
        raise ValidationError("The message is too large: 600,000 bytes at most.")
    circle = locked_circle(circle)
    joined_seat(actor, circle)
    _check_header(actor, circle, found)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                community_id=circle.community_id,
                circle=circle,
                sender=actor,
                device_id=found.device,
                epoch=found.epoch,
                counter=found.counter,
                header=header,
                iv=iv,
                ciphertext=ciphertext,
                signature=signature,
            )
    except IntegrityError:
        raise _replayed() from None
    circle.last_message_at = message.created_at
    circle.save(update_fields=["last_message_at"])
    return message


def _check_header(actor: User, circle: Circle, header: formats.Header) -> None:
    if header.circle != circle.uid:
        raise formats.invalid("header", "The message header names another circle.")
    if header.epoch < circle.current_epoch:
        raise EpochConflict()
    if header.epoch > circle.current_epoch:
        raise formats.invalid("header", "The message names a key period to come.")
    device = Device.objects.filter(pk=header.device, user=actor).first()
    if (
        device is None
        or device.state != Device.State.ACTIVE
        or device.kind != Device.Kind.BROWSER
    ):
        raise formats.invalid("header", "Send from one of your own active devices.")
    current = Epoch.objects.get(circle=circle, number=circle.current_epoch)
    listed = formats.parse_roster(current.roster).member_of(device.pk)
    if listed is None or listed.user != actor.pk:
        raise formats.invalid(
            "header", "This device is not on the circle's current member list yet."
        )
    last = Message.objects.filter(circle=circle, device=device).aggregate(
        last=Max("counter")
    )["last"]
    if last is not None and header.counter <= last:
        raise _replayed()


def _replayed() -> ValidationError:
    return formats.invalid(
        "header",
        "This device has sent a message with this counter or a later one. Send it "
        "again with a higher counter.",
    )


@transaction.atomic
def report_message(
    actor: User, *, circle: Circle, message: Message, text: str, reason: str = ""
) -> Report:
    """A member reports a message of their circle to the community's
    moderators, revealing `text`, which they say the message says. Nothing
    else of the circle goes with it."""
    limit_reports(actor)
    joined_seat(actor, circle)
    if message.circle_id != circle.pk:
        raise ValidationError({"message": "This message is not in the circle."})
    if message.removed_at is not None:
        raise ValidationError({"message": "This message has been removed already."})
    if message.sender_id == actor.pk:
        raise ValidationError({"message": "You cannot report your own message."})
    text, reason = _report_text(text), _reason(reason)
    if Report.objects.filter(message=message, reporter=actor).exists():
        raise ValidationError({"message": "You have reported this message already."})
    try:
        with transaction.atomic():
            report = Report.objects.create(
                community_id=circle.community_id,
                circle=circle,
                message=message,
                reporter=actor,
                reason=reason,
                revealed_text=text,
            )
    except IntegrityError:
        raise ValidationError(
            {"message": "You have reported this message already."}
        ) from None
    audit.record(actor, "circles.report", report)
    return report


@transaction.atomic
def decide_report(actor: User, *, report: Report, remove_message: bool) -> Report:
    """A moderator of the community dismisses a report, or removes the
    message: its ciphertext is deleted, members see that it was removed, and
    every open report of it is settled with it."""
    _require_moderator(actor, report)
    report = (
        Report.objects.select_for_update().select_related("message").get(pk=report.pk)
    )
    if report.status != Report.Status.OPEN:
        raise ValidationError("This report has been dealt with already.")
    now = timezone.now()
    if remove_message:
        message = report.message
        message.ciphertext = ""
        message.removed_at = now
        message.save(update_fields=["ciphertext", "removed_at"])
        settled = Report.objects.filter(message=message, status=Report.Status.OPEN)
        status = Report.Status.REMOVED
    else:
        settled = Report.objects.filter(pk=report.pk)
        status = Report.Status.DISMISSED
    settled.update(status=status, decided_by=actor, decided_at=now)
    report.refresh_from_db()
    audit.record(actor, f"circles.report_{status}", report)
    return report


def _require_moderator(actor: User, report: Report) -> None:
    membership = community_access.membership_of(actor, report.community)
    if membership is None or not membership.can_moderate:
        raise PermissionDenied("This is for the community's organisers and moderators.")
    require_mfa(actor)


def _report_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "Include the text of the message you report."})
    if len(text) > MAX_REVEALED_TEXT:
        raise ValidationError(
            {"text": "The text is too long: 20,000 characters at most."}
        )
    if not storable(text):
        raise ValidationError(
            {"text": "The text has a character that cannot be stored."}
        )
    return text


def _reason(reason: str) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": "Keep the reason under 500 characters."})
    if not storable(reason):
        raise ValidationError(
            {"reason": "The reason has a character that cannot be stored."}
        )
    return reason
