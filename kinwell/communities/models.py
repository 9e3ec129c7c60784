"""Communities, their members and roles, clusters of siblings, and the records
that let a community be exported, imported and forked.

Every table that belongs to a community carries `community_id`, so a
distributed PostgreSQL can shard by community later."""

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from kinwell.lib.urls import cached_reverse

DEFAULT_SIZE_CAP = 150


def new_invite_token() -> str:
    return secrets.token_urlsafe(24)


class Cluster(models.Model):
    """Sibling communities around one condition or place. Conversation stays in
    each small community; the cluster is their shared commons (later: library,
    events), with a page listing the siblings."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("communities:cluster", args=[self.slug])


class CommunityQuerySet(QuerySet["Community"]):
    def listed(self) -> "CommunityQuerySet":
        """Communities the directory may show: never hidden ones."""
        return self.exclude(visibility=Community.Visibility.HIDDEN)

    def visible_to(self, user: Any) -> "CommunityQuerySet":
        """Communities whose existence `user` may know: listed ones, and hidden
        ones they belong to."""
        if not getattr(user, "is_authenticated", False):
            return self.listed()
        # EXISTS rather than a join: a join gives a row for every membership
        # of the community, which DISTINCT then has to fold back into one.
        member = Membership.objects.filter(community=OuterRef("pk"), user=user)
        return self.filter(~Q(visibility=Community.Visibility.HIDDEN) | Exists(member))


class Community(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: anyone can read"
        MEMBERS_ONLY = "members", "Members only: listed, content for members"
        HIDDEN = "hidden", "Hidden: not listed, by invitation only"

    class JoinPolicy(models.TextChoices):
        OPEN = "open", "Open: anyone can join"
        REQUEST = "request", "By request: organisers and moderators approve"
        INVITE = "invite", "By invitation link only"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    topic = models.CharField(
        max_length=120, blank=True, help_text="The condition or service it is about."
    )
    description = models.TextField(max_length=2000, blank=True)
    charter = models.TextField(
        max_length=20000,
        blank=True,
        help_text="Markdown: purpose, rules, and what happens to members' data.",
    )
    avatar = models.ImageField(upload_to="communities/avatars/", blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    join_policy = models.CharField(
        max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    join_question = models.CharField(
        max_length=300,
        blank=True,
        help_text="Asked of people who request to join (optional).",
    )
    size_cap = models.PositiveIntegerField(default=DEFAULT_SIZE_CAP)
    fork_notice_days = models.PositiveSmallIntegerField(
        default=7,
        help_text="Days a fork proposal stays open before it can be confirmed.",
    )
    cluster = models.ForeignKey(
        Cluster,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communities",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Organisers are told once when membership reaches 80% of the cap.
    near_cap_notified_at = models.DateTimeField(null=True, blank=True)
    # Provenance: where this community came from, if not made here from scratch.
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    forked_at = models.DateTimeField(null=True, blank=True)
    imported_from = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[CommunityQuerySet] = CommunityQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return cached_reverse("communities:detail", self.slug)

    @property
    def is_hidden(self) -> bool:
        return self.visibility == self.Visibility.HIDDEN


class Membership(models.Model):
    class Role(models.TextChoices):
        ORGANISER = "organiser", "Organiser"
        MODERATOR = "moderator", "Moderator"
        MEMBER = "member", "Member"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    last_active_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"], name="one_membership_per_community"
            )
        ]
        indexes = [models.Index(fields=["community", "role"])]

    def __str__(self) -> str:
        return f"Membership {self.pk}"

    @property
    def can_moderate(self) -> bool:
        return self.role in MODERATING_ROLES


MODERATING_ROLES = frozenset({Membership.Role.ORGANISER, Membership.Role.MODERATOR})


class Departure(models.Model):
    """A member who left, and whether their posts stay (as "a former member")
    or go. Content features read this when they show or export old posts."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="departures"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="departures"
    )
    keep_posts = models.BooleanField()
    left_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Departure {self.pk}"


class JoinRequest(models.Model):
    """A request to join a by-request community, or a place on the waiting
    list of a community at its size cap."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        WAITING = "waiting", "On the waiting list (the community is full)"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="join_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    answer = models.TextField(max_length=2000, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"],
                condition=Q(status__in=["pending", "waiting"]),
                name="one_open_join_request",
            )
        ]
        indexes = [models.Index(fields=["community", "status", "created_at"])]

    def __str__(self) -> str:
        return f"Join request {self.pk}"


class InviteLink(models.Model):
    """An unguessable link that lets people join, until it expires, is used up
    or is revoked."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="invite_links"
    )
    token = models.CharField(max_length=64, unique=True, default=new_invite_token)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    max_uses = models.PositiveIntegerField()
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invite link {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("communities:invite", args=[self.token])

    @property
    def is_usable(self) -> bool:
        return (
            self.revoked_at is None
            and self.uses < self.max_uses
            and self.expires_at > timezone.now()
        )


class MemberInvitation(models.Model):
    """An invitation to a person to (re)join, e.g. after an import: nobody is
    enrolled silently; they join when they accept."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="member_invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="community_invitations",
    )
    email = models.EmailField(blank=True)
    role = models.CharField(
        max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Member invitation {self.pk}"


class ForkProposal(models.Model):
    """A member's proposal to start a new community from this one."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed: the fork exists"
        WITHDRAWN = "withdrawn", "Withdrawn"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="fork_proposals"
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    reason = models.TextField(max_length=5000)
    charter = models.TextField(max_length=20000, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmable_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    fork = models.OneToOneField(
        Community,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
    )

    def __str__(self) -> str:
        return f"Fork proposal {self.pk}"


class ForkChoice(models.Model):
    """One member's answer to a fork proposal. The consent to bring past posts
    along is also written to the member's consent ledger."""

    proposal = models.ForeignKey(
        ForkProposal, on_delete=models.CASCADE, related_name="choices"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    joins = models.BooleanField()
    bring_posts = models.BooleanField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "user"], name="one_choice_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"Fork choice {self.pk}"


class ForkComment(models.Model):
    proposal = models.ForeignKey(
        ForkProposal, on_delete=models.CASCADE, related_name="comments"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Fork comment {self.pk}"


class ArchiveExport(models.Model):
    """An export running (or run) in the background, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Ready to download"
        FAILED = "failed", "Failed"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    done_records = models.PositiveIntegerField(default=0)
    total_records = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Export {self.pk}"

    @property
    def percent(self) -> int:
        if not self.total_records:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.done_records * 100 // self.total_records)
