"""Every change to communities, memberships, join requests, invitations and
clusters. Shared by the web views, the API, the demo data and the commands.

Changes that touch how many people belong lock the community's row first, so
two joins at once cannot both take the last place under the size cap."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from kinwell.accounts.models import User
from kinwell.communities import access
from kinwell.communities.models import (
    DEFAULT_SIZE_CAP,
    Cluster,
    Community,
    Departure,
    InviteLink,
    JoinRequest,
    MemberInvitation,
    Membership,
)
from kinwell.communities.sizes import (
    OPEN_STATUSES,
    instance_max_size,
    is_full,
    is_near_cap,
    size_cap_of,
)
from kinwell.lib import audit, images, mail

MAX_AVATAR_BYTES = 2 * 1024 * 1024
AVATAR_SIZE = (512, 512)
MIN_SIZE_CAP = 2
MAX_INVITE_DAYS = 90
MAX_INVITE_USES = 500
Joined = Membership | JoinRequest
# Content features append a function here that takes away a departing
# member's posts when they chose not to leave them behind.
DEPARTURE_HOOKS: list[Callable[[Departure], None]] = []


# Communities ---------------------------------------------------------------


@transaction.atomic
def create_community(
    actor: User,
    *,
    name: str,
    topic: str = "",
    description: str = "",
    charter: str = "",
    visibility: str = Community.Visibility.PUBLIC,
    join_policy: str = Community.JoinPolicy.OPEN,
    join_question: str = "",
    avatar: Any = None,
) -> Community:
    """A new community, with `actor` as its first organiser."""
    community = Community(
        name=name.strip(),
        slug=_free_slug(Community, name),
        topic=topic.strip(),
        description=description.strip(),
        charter=charter.strip(),
        visibility=visibility,
        join_policy=join_policy,
        join_question=join_question.strip(),
        size_cap=min(DEFAULT_SIZE_CAP, instance_max_size()),
    )
    community.full_clean(exclude=["avatar"])
    if avatar:
        community.avatar.save("avatar.png", reencoded_avatar(avatar), save=False)
    community.save()
    Membership.objects.create(
        community=community, user=actor, role=Membership.Role.ORGANISER
    )
    return community


EDITABLE_FIELDS = (
    "name",
    "topic",
    "description",
    "charter",
    "visibility",
    "join_policy",
    "join_question",
    "size_cap",
)


@transaction.atomic
def update_community(
    actor: User,
    *,
    community: Community,
    avatar: Any = None,
    remove_avatar: bool = False,
    **changes: Any,
) -> Community:
    """Organisers change the community's page, rules and size cap. Fields left
    out keep their values."""
    _require_role(actor, community, Membership.Role.ORGANISER)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for field, value in changes.items():
        setattr(community, field, value.strip() if isinstance(value, str) else value)
    _check_size_cap(community.size_cap)
    community.full_clean(exclude=["avatar", "slug"])
    fields = list(changes)
    if remove_avatar and community.avatar:
        community.avatar.delete(save=False)
        fields.append("avatar")
    if avatar:
        community.avatar.save("avatar.png", reencoded_avatar(avatar), save=False)
        fields.append("avatar")
    community.save(update_fields=fields or None)
    return community


def _check_size_cap(size_cap: int) -> None:
    most = instance_max_size()
    if not MIN_SIZE_CAP <= size_cap <= most:
        raise ValidationError(
            {"size_cap": f"Choose a size between {MIN_SIZE_CAP} and {most}."}
        )


def reencoded_avatar(upload: Any) -> ContentFile[bytes]:
    picture, _ = images.reencoded(
        upload, field="avatar", max_bytes=MAX_AVATAR_BYTES, max_size=AVATAR_SIZE
    )
    return picture


def _free_slug(model: type[Community] | type[Cluster], name: str) -> str:
    base = slugify(name)[:50] or "community"
    slug, number = base, 1
    while model.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


# Joining -------------------------------------------------------------------


@transaction.atomic
def join_community(actor: User, *, community: Community, answer: str = "") -> Joined:
    """Joins an open community, asks to join a by-request one, or takes a place
    on the waiting list of a full one."""
    community = _locked(community)
    _require_not_member(actor, community)
    if community.join_policy == Community.JoinPolicy.INVITE:
        raise ValidationError(
            "This community welcomes new members by invitation link only."
        )
    if community.join_policy == Community.JoinPolicy.REQUEST:
        if community.join_question and not answer.strip():
            raise ValidationError({"answer": "Please answer the organisers' question."})
        return _open_request(actor, community, JoinRequest.Status.PENDING, answer)
    if is_full(community):
        return _open_request(actor, community, JoinRequest.Status.WAITING, "")
    return _admit(community, actor)


@transaction.atomic
def join_by_invite(actor: User, *, link: InviteLink) -> Joined:
    """Joins through an invitation link (or waits, if the community is full)."""
    community = _locked(link.community)
    link = InviteLink.objects.select_for_update().get(pk=link.pk)
    existing = Membership.objects.filter(community=community, user=actor).first()
    if existing is not None:
        return existing
    if not link.is_usable:
        raise ValidationError(
            "This invitation link no longer works. Ask the person who sent it "
            "for a new one."
        )
    link.uses += 1
    link.save(update_fields=["uses"])
    if is_full(community):
        waiting = _open_requests(actor, community).first()
        return waiting or _open_request(
            actor, community, JoinRequest.Status.WAITING, ""
        )
    _open_requests(actor, community).update(
        status=JoinRequest.Status.APPROVED, decided_at=timezone.now()
    )
    return _admit(community, actor)


@transaction.atomic
def withdraw_join_request(actor: User, *, join_request: JoinRequest) -> JoinRequest:
    join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if join_request.user_id != actor.pk:
        raise ValidationError("Only the person who asked can withdraw this.")
    if join_request.status not in OPEN_STATUSES:
        raise ValidationError("This request has already been answered.")
    join_request.status = JoinRequest.Status.WITHDRAWN
    join_request.decided_at = timezone.now()
    join_request.save(update_fields=["status", "decided_at"])
    return join_request


@transaction.atomic
def decide_join_request(
    actor: User, *, join_request: JoinRequest, approve: bool, reason: str = ""
) -> JoinRequest:
    """Organisers and moderators let someone in (even past the soft size cap:
    that is a person's decision) or decline, with a reason sent to them."""
    community = _locked(join_request.community)
    _require_role(actor, community, Membership.Role.MODERATOR)
    join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if join_request.status not in OPEN_STATUSES:
        raise ValidationError("This request has already been answered.")
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError(
            {"reason": "Please give a short reason. It is sent to the person."}
        )
    join_request.status = (
        JoinRequest.Status.APPROVED if approve else JoinRequest.Status.DECLINED
    )
    join_request.decided_by = actor
    join_request.decided_at = timezone.now()
    join_request.reason = reason[:500]
    join_request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    if approve:
        _admit(community, join_request.user)
    audit.record(
        actor,
        f"join_request.{join_request.status}",
        join_request,
        subject=join_request.user,
    )
    _notify_decision(join_request)
    return join_request


def _open_request(
    actor: User, community: Community, status: str, answer: str
) -> JoinRequest:
    return JoinRequest.objects.create(
        community=community, user=actor, status=status, answer=answer.strip()
    )


def _open_requests(user: User, community: Community) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(
        community=community, user=user, status__in=OPEN_STATUSES
    )


def _require_not_member(actor: User, community: Community) -> None:
    if Membership.objects.filter(community=community, user=actor).exists():
        raise ValidationError("You are already a member of this community.")
    waiting = _open_requests(actor, community).first()
    if waiting is not None:
        raise ValidationError(
            "You have already asked to join. We will email you when there is news."
        )


def _admit(
    community: Community, user: User, role: str = Membership.Role.MEMBER
) -> Membership:
    membership, _ = Membership.objects.get_or_create(
        community=community, user=user, defaults={"role": role}
    )
    _tell_organisers_if_near_cap(community)
    return membership


def _tell_organisers_if_near_cap(community: Community) -> None:
    """Organisers hear once, by email, that the community is nearly full."""
    if community.near_cap_notified_at is not None:
        return
    if not is_near_cap(community.memberships.count(), size_cap_of(community)):
        return
    community.near_cap_notified_at = timezone.now()
    community.save(update_fields=["near_cap_notified_at"])
    emails = list(
        User.objects.filter(
            memberships__community=community,
            memberships__role=Membership.Role.ORGANISER,
        ).values_list("email", flat=True)
    )
    body = _render("communities/email/near_cap.txt", {"community": community})
    mail.send_after_commit("A community you organise is nearly full", body, emails)


def _admit_next_waiting(community: Community) -> None:
    """When a place frees up, the first person on the waiting list comes in."""
    if is_full(community):
        return
    first = (
        JoinRequest.objects.select_for_update()
        .select_related("user")
        .filter(community=community, status=JoinRequest.Status.WAITING)
        .order_by("created_at", "pk")
        .first()
    )
    if first is None:
        return
    first.status = JoinRequest.Status.APPROVED
    first.decided_at = timezone.now()
    first.save(update_fields=["status", "decided_at"])
    _admit(community, first.user)
    _notify_decision(first)


# Leaving and roles ---------------------------------------------------------


@transaction.atomic
def leave_community(
    actor: User, *, community: Community, keep_posts: bool
) -> Departure:
    """A member leaves at any time; their posts stay (shown as by "a former
    member") or go, as they choose. The last organiser hands over first."""
    community = _locked(community)
    membership = Membership.objects.filter(community=community, user=actor).first()
    if membership is None:
        raise ValidationError("You are not a member of this community.")
    if membership.role == Membership.Role.ORGANISER and _organiser_count(community) < 2:
        raise ValidationError(
            "You are the only organiser. Make someone else an organiser first; "
            "then you can leave."
        )
    membership.delete()
    departure = Departure.objects.create(
        community=community, user=actor, keep_posts=keep_posts
    )
    for hook in DEPARTURE_HOOKS:
        hook(departure)
    audit.record(actor, "membership.leave", departure, subject=actor)
    _admit_next_waiting(community)
    return departure


@transaction.atomic
def change_role(
    actor: User, *, community: Community, member: User, role: str
) -> Membership:
    """Organisers promote and demote. There is always at least one organiser."""
    community = _locked(community)
    _require_role(actor, community, Membership.Role.ORGANISER)
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose organiser, moderator or member."})
    membership = Membership.objects.filter(community=community, user=member).first()
    if membership is None:
        raise ValidationError("This person is not a member of the community.")
    leaving_organisers = (
        membership.role == Membership.Role.ORGANISER
        and role != Membership.Role.ORGANISER
    )
    if leaving_organisers and _organiser_count(community) < 2:
        raise ValidationError(
            "A community always needs an organiser. Make someone else an "
            "organiser first."
        )
    return _set_role(actor, membership, role)


@transaction.atomic
def transfer_organiser(actor: User, *, community: Community, to: User) -> Membership:
    """Hands the organiser role to another member; `actor` becomes a member."""
    community = _locked(community)
    own = _require_role(actor, community, Membership.Role.ORGANISER)
    target = Membership.objects.filter(community=community, user=to).first()
    if target is None or target.pk == own.pk:
        raise ValidationError("Choose another member of the community.")
    new_organiser = _set_role(actor, target, Membership.Role.ORGANISER)
    _set_role(actor, own, Membership.Role.MEMBER)
    return new_organiser


def _set_role(actor: User, membership: Membership, role: str) -> Membership:
    old = membership.role
    if old == role:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        actor,
        "membership.role",
        membership,
        subject=membership.user,
        reason=f"{old} to {role}",
    )
    return membership


def _organiser_count(community: Community) -> int:
    return community.memberships.filter(role=Membership.Role.ORGANISER).count()


def _require_role(actor: User, community: Community, least: str) -> Membership:
    """The actor's membership, if their role is at least `least`."""
    membership = Membership.objects.filter(community=community, user=actor).first()
    allowed = {
        Membership.Role.ORGANISER: (Membership.Role.ORGANISER,),
        Membership.Role.MODERATOR: (
            Membership.Role.ORGANISER,
            Membership.Role.MODERATOR,
        ),
        Membership.Role.MEMBER: tuple(Membership.Role.values),
    }[Membership.Role(least)]
    if membership is None or membership.role not in allowed:
        raise PermissionDenied("You may not do this in this community.")
    return membership


def _locked(community: Community) -> Community:
    return Community.objects.select_for_update().get(pk=community.pk)


# Invitation links and invitations ------------------------------------------


@transaction.atomic
def create_invite_link(
    actor: User, *, community: Community, days: int, max_uses: int
) -> InviteLink:
    _require_role(actor, community, Membership.Role.MODERATOR)
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise ValidationError({"days": f"Choose between 1 and {MAX_INVITE_DAYS} days."})
    if not 1 <= max_uses <= MAX_INVITE_USES:
        raise ValidationError(
            {"max_uses": f"Choose between 1 and {MAX_INVITE_USES} uses."}
        )
    return InviteLink.objects.create(
        community=community,
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=days),
        max_uses=max_uses,
    )


@transaction.atomic
def revoke_invite_link(actor: User, *, link: InviteLink) -> InviteLink:
    _require_role(actor, link.community, Membership.Role.MODERATOR)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


@transaction.atomic
def answer_invitation(
    actor: User, *, invitation: MemberInvitation, accept: bool
) -> MemberInvitation:
    """Nobody is enrolled silently: an invited person joins when they accept."""
    invitation = MemberInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not access.is_invitation_for(invitation, actor):
        raise ValidationError("This invitation is for someone else.")
    if invitation.status != MemberInvitation.Status.PENDING:
        raise ValidationError("You have already answered this invitation.")
    invitation.status = (
        MemberInvitation.Status.ACCEPTED if accept else MemberInvitation.Status.DECLINED
    )
    invitation.answered_at = timezone.now()
    invitation.user = actor
    invitation.save(update_fields=["status", "answered_at", "user"])
    if accept:
        _admit(_locked(invitation.community), actor, invitation.role)
    return invitation


# Clusters ------------------------------------------------------------------


@transaction.atomic
def create_cluster(
    actor: User, *, community: Community, name: str, description: str = ""
) -> Cluster:
    """A new cluster, with `community` as its first member."""
    _require_role(actor, community, Membership.Role.ORGANISER)
    cluster = Cluster(
        name=name.strip(),
        slug=_free_slug(Cluster, name),
        description=description.strip(),
    )
    cluster.full_clean()
    cluster.save()
    community.cluster = cluster
    community.save(update_fields=["cluster"])
    return cluster


@transaction.atomic
def move_to_cluster(
    actor: User, *, community: Community, cluster: Cluster | None
) -> Community:
    """Puts the community in a cluster where `actor` already organises a
    community (so nobody can attach to strangers' clusters), or takes it out."""
    _require_role(actor, community, Membership.Role.ORGANISER)
    if (
        cluster is not None
        and not clusters_organised_by(actor).filter(pk=cluster.pk).exists()
    ):
        raise ValidationError(
            {"cluster": "Choose a cluster where you organise a community."}
        )
    community.cluster = cluster
    community.save(update_fields=["cluster"])
    return community


def clusters_organised_by(user: User) -> QuerySet[Cluster]:
    return (
        Cluster.objects.filter(
            communities__memberships__user=user,
            communities__memberships__role=Membership.Role.ORGANISER,
        )
        .distinct()
        .order_by("name")
    )


# Mail ----------------------------------------------------------------------


def _notify_decision(join_request: JoinRequest) -> None:
    """The person hears that there is news, never which community by name in
    the mail (belonging to one can say something about their health)."""
    body = _render("communities/email/join_decided.txt", {"join_request": join_request})
    mail.send_after_commit(
        "There is news about your request to join a community",
        body,
        [join_request.user.email],
    )


def _render(template: str, context: dict[str, object]) -> str:
    return render_to_string(template, {**context, "site_url": settings.SITE_URL})
