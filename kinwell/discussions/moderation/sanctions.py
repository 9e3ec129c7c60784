"""Warnings, suspensions and bans in one community, and lifting them.

Suspensions and bans are enforced where members post
(kinwell.discussions.access.require_may_post); a warning only informs.
The member concerned is told by email and never named in the log."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities import access as community_access
from kinwell.communities.models import Community, Membership
from kinwell.discussions.models import ModerationAction, Sanction
from kinwell.discussions.moderation.record import (
    log_action,
    render_email,
    require_moderator,
    required_reason,
)
from kinwell.lib import mail

MAX_SUSPENSION_DAYS = 365
Action = ModerationAction.Action


@transaction.atomic
def warn_member(
    actor: User,
    *,
    community: Community,
    member: User,
    reason: str,
    signed: bool = False,
) -> Sanction:
    """A warning is recorded and sent to the member; it does not stop them."""
    return _sanction(
        actor, community, member, Sanction.Kind.WARNING, None, reason, signed
    )


@transaction.atomic
def suspend_member(
    actor: User,
    *,
    community: Community,
    member: User,
    until: datetime,
    reason: str,
    signed: bool = False,
) -> Sanction:
    """The member may read but not post or react until `until`. (They can
    still flag posts: flags are how members keep each other safe.)"""
    now = timezone.now()
    if until <= now:
        raise ValidationError({"until": "Choose a time in the future."})
    if (until - now).days > MAX_SUSPENSION_DAYS:
        raise ValidationError(
            {"until": f"Suspend for at most {MAX_SUSPENSION_DAYS} days; or ban."}
        )
    return _sanction(
        actor, community, member, Sanction.Kind.SUSPENSION, until, reason, signed
    )


@transaction.atomic
def ban_member(
    actor: User,
    *,
    community: Community,
    member: User,
    reason: str,
    signed: bool = False,
) -> Sanction:
    """The member may no longer post here, until a moderator lifts the ban."""
    return _sanction(actor, community, member, Sanction.Kind.BAN, None, reason, signed)


SANCTION_ACTIONS = {
    Sanction.Kind.WARNING: Action.WARN,
    Sanction.Kind.SUSPENSION: Action.SUSPEND,
    Sanction.Kind.BAN: Action.BAN,
}


def _sanction(
    actor: User,
    community: Community,
    member: User,
    kind: str,
    until: datetime | None,
    reason: str,
    signed: bool,
) -> Sanction:
    own = require_moderator(actor, community)
    _check_may_sanction(own, community, member)
    sanction = Sanction.objects.create(
        community=community,
        user=member,
        kind=kind,
        reason=required_reason(reason),
        until=until,
        created_by=actor,
    )
    action = SANCTION_ACTIONS[Sanction.Kind(kind)]
    log_action(actor, community, action, reason=reason, signed=signed, subject=member)
    _tell_member(sanction, community)
    return sanction


def _check_may_sanction(own: Membership, community: Community, member: User) -> None:
    if member.pk == own.user_id:
        raise ValidationError("You cannot sanction yourself.")
    target = community_access.membership_of(member, community)
    if target is None:
        raise ValidationError("This person is not a member of the community.")
    if target.role == Membership.Role.ORGANISER or (
        target.can_moderate and own.role != Membership.Role.ORGANISER
    ):
        raise PermissionDenied(
            "Only organisers can sanction a moderator, and nobody an organiser."
        )


def _tell_member(sanction: Sanction, community: Community) -> None:
    what = {
        Sanction.Kind.WARNING: "A moderator has sent you a warning",
        Sanction.Kind.SUSPENSION: "You are suspended from posting",
        Sanction.Kind.BAN: "You are banned from posting",
    }[Sanction.Kind(sanction.kind)]
    context = {"what": what, "sanction": sanction, "community": community}
    body = render_email("sanction.txt", context)
    mail.send_after_commit(f"{what} in {community.name}", body, [sanction.user.email])


@transaction.atomic
def lift_sanction(
    actor: User, *, sanction: Sanction, reason: str = "", signed: bool = False
) -> Sanction:
    require_moderator(actor, sanction.community)
    if not sanction.is_in_force:
        raise ValidationError("This sanction is not in force.")
    sanction.lifted_at = timezone.now()
    sanction.save(update_fields=["lifted_at"])
    log_action(
        actor,
        sanction.community,
        Action.LIFT,
        reason=reason,
        signed=signed,
        subject=sanction.user,
    )
    return sanction
