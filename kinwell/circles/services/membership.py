"""Circles and who is in them: creating a circle, inviting, accepting,
declining, leaving; a member who leaves the community leaves its circles.

Each change to who holds a seat locks the circle's row, so it is counted
against the limit of 50 and checked against a new member list one at a time.
Removing a member is a new key period (kinwell.circles.services.epochs)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.circles.models import (
    MAX_CIRCLE_MEMBERS,
    SEATED_STATES,
    Circle,
    CircleMembership,
    Device,
    Epoch,
)
from kinwell.circles.services import formats
from kinwell.circles.services.common import (
    joined_seat,
    limit_changes,
    locked_circle,
    own_active_key,
    seat_of,
)
from kinwell.circles.services.epochs import EpochPost, check_epoch, save_epoch
from kinwell.communities import access as community_access
from kinwell.communities.models import Community, Departure
from kinwell.lib import audit

State = CircleMembership.State


@transaction.atomic
def create_circle(
    actor: User,
    *,
    community: Community,
    uid: str,
    roster: str,
    signer: Device,
    signature: str,
    sealed_meta: str,
    wraps: list[tuple[int, str]],
) -> Circle:
    """A circle of `community` with `actor` as its admin and only member, and
    its first key period. The client chooses `uid` (16 random bytes), since
    the signed member list names it."""
    limit_changes(actor)
    _require_community_member(actor, community)
    uid = formats.circle_uid(uid)
    circle = Circle(community=community, uid=uid, created_by=actor)
    seat = CircleMembership(
        community=community,
        circle=circle,
        user=actor,
        role=CircleMembership.Role.ADMIN,
        state=State.JOINED,
        joined_at=timezone.now(),
    )
    post = EpochPost(1, roster, signer, signature, sealed_meta, wraps)
    check_epoch(actor, circle, post, seats={actor.pk: seat}, previous=None)
    try:
        with transaction.atomic():
            circle.save()
    except IntegrityError:
        raise ValidationError(
            {"uid": "This circle id is taken. Make another."}
        ) from None
    seat.circle = circle
    seat.save()
    save_epoch(circle, post)
    audit.record(actor, "circles.create", circle)
    return circle


@transaction.atomic
def invite_to_circle(
    actor: User,
    *,
    circle: Circle,
    invitee: User,
    signer: Device | None,
    signature: str,
) -> CircleMembership:
    """An admin invites a member of the circle's community who holds no seat
    in it. Invitations count against the limit of 50.

    The admin's browser device on the current member list signs the
    invitation with the current key period (the server keeps the signature
    and does not check it): an admin's browser signs into the next member
    list only people an admin's device invited, so a seat the server made up
    gets no keys."""
    limit_changes(actor)
    circle = locked_circle(circle)
    if not joined_seat(actor, circle).is_admin:
        raise PermissionDenied("Only the circle's admins can invite people.")
    signer = _invitation_signer(actor, circle, signer, signature)
    if community_access.membership_of(invitee, circle.community) is None:
        raise ValidationError({"user": "Only members of the community can be invited."})
    seat = seat_of(invitee, circle)
    if seat is not None and seat.state in SEATED_STATES:
        raise ValidationError(
            {"user": "This person is in the circle or invited already."}
        )
    seated = CircleMembership.objects.filter(circle=circle, state__in=SEATED_STATES)
    if seated.count() >= MAX_CIRCLE_MEMBERS:
        raise ValidationError(f"A circle has at most {MAX_CIRCLE_MEMBERS} members.")
    seat = seat or CircleMembership(
        community=circle.community, circle=circle, user=invitee
    )
    seat.role = CircleMembership.Role.MEMBER
    seat.state = State.INVITED
    seat.invited_by = actor
    seat.invited_at = timezone.now()
    seat.invitation_signer = signer
    seat.invitation_signature = signature
    seat.invitation_epoch = circle.current_epoch
    seat.joined_at = seat.ended_at = None
    seat.save()
    audit.record(actor, "circles.invite", seat, subject=invitee)
    return seat


def _invitation_signer(
    actor: User, circle: Circle, signer: Device | None, signature: str
) -> Device:
    """`signer`, if it is `actor`'s browser device listed under them, as an
    admin, on the current member list, and `signature` looks like one."""
    if signer is None or not signature:
        raise ValidationError(
            "The invitation must be signed by your browser: circles need "
            "JavaScript. Turn it on and invite again."
        )
    signer = own_active_key(actor, signer, "signer", browser_only=True)
    formats.signature(signature, "signature", "The invitation's signature")
    current = Epoch.objects.get(circle=circle, number=circle.current_epoch)
    member = formats.parse_roster(current.roster).member_of(signer.pk)
    if member is None or member.user != actor.pk or not member.admin:
        raise ValidationError(
            {
                "signer": "Sign the invitation with your device on the circle's "
                "current member list. Open the circle on that device and try again."
            }
        )
    return signer


@transaction.atomic
def accept_circle_invitation(
    actor: User, *, membership: CircleMembership
) -> CircleMembership:
    """The invitee accepts. They join when an admin's device next signs them
    into the member list."""
    seat = _own_seat(actor, membership, (State.INVITED,))
    if community_access.membership_of(actor, seat.circle.community) is None:
        raise ValidationError("Only members of the community can join its circles.")
    return _set_state(seat, State.ACCEPTED)


@transaction.atomic
def decline_circle_invitation(
    actor: User, *, membership: CircleMembership
) -> CircleMembership:
    seat = _own_seat(actor, membership, (State.INVITED,))
    return _set_state(seat, State.DECLINED, ended=True)


@transaction.atomic
def leave_circle(actor: User, *, membership: CircleMembership) -> CircleMembership:
    """A member leaves at any time. The next key period, which any staying
    member's device starts, leaves them out."""
    seat = _own_seat(actor, membership, (State.ACCEPTED, State.JOINED))
    if seat.is_admin and seat.state == State.JOINED:
        _require_another_admin(seat)
    seat = _set_state(seat, State.LEFT, ended=True)
    audit.record(actor, "circles.leave", seat, subject=actor)
    return seat


@transaction.atomic
def leave_circles_of_community(user: User, community: Community) -> None:
    """Someone who leaves a community leaves its circles: invitations are
    declined, seats left."""
    now = timezone.now()
    seats = CircleMembership.objects.filter(community=community, user=user)
    seats.filter(state=State.INVITED).update(state=State.DECLINED, ended_at=now)
    seats.filter(state__in=[State.ACCEPTED, State.JOINED]).update(
        state=State.LEFT, ended_at=now
    )


def leave_circles_on_departure(departure: Departure) -> None:
    """The hook of leaving a community (communities.services.DEPARTURE_HOOKS)."""
    leave_circles_of_community(departure.user, departure.community)


def _require_another_admin(seat: CircleMembership) -> None:
    """The last admin may not leave others behind with nobody who can invite
    or remove; alone, they may."""
    others = CircleMembership.objects.filter(
        circle_id=seat.circle_id, state=State.JOINED
    ).exclude(pk=seat.pk)
    if others.exists() and not others.filter(role=CircleMembership.Role.ADMIN).exists():
        raise ValidationError(
            "You are the circle's only admin. Make someone else an admin first."
        )


def _require_community_member(actor: User, community: Community) -> None:
    if community_access.membership_of(actor, community) is None:
        raise PermissionDenied("Circles are for members of the community.")


def _own_seat(
    actor: User, membership: CircleMembership, states: tuple[str, ...]
) -> CircleMembership:
    limit_changes(actor)
    circle = locked_circle(membership.circle)
    seat = seat_of(actor, circle)
    if seat is None or seat.pk != membership.pk:
        raise PermissionDenied("This is not your place in the circle.")
    if seat.state not in states:
        raise ValidationError(_wrong_state_message(seat.state))
    return seat


def _wrong_state_message(state: str) -> str:
    if state == State.INVITED:
        return "Accept or decline the invitation first."
    if state in (State.ACCEPTED, State.JOINED):
        return "You are in this circle already."
    return "You are no longer in this circle."


def _set_state(
    seat: CircleMembership, state: str, *, ended: bool = False
) -> CircleMembership:
    seat.state = state
    fields = ["state"]
    if ended:
        seat.ended_at = timezone.now()
        fields.append("ended_at")
    seat.save(update_fields=fields)
    return seat
