"""Threads and posts, reactions, what each reader has read and watches, and
the moderation that happens in the open: flags, sanctions and the log.

Every table carries `community_id` (posts too, though their thread knows it),
so lists and search filter by community without a join and a distributed
PostgreSQL can shard by community later."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import Persona
from kinwell.communities.models import Community
from kinwell.lib.urls import cached_reverse


class Tag(models.Model):
    """A tag the community chose; threads carry some, members follow some."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(max_length=40)
    slug = models.SlugField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "slug"], name="one_tag_slug_per_community"
            )
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Thread(models.Model):
    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone who can read the community"
        MEMBERS = "members", "Members of the community only"

    class Status(models.TextChoices):
        # A thread follows its opening post: held or hidden with it.
        PUBLISHED = "published", "Published"
        HELD = "held", "Waiting for a moderator"
        HIDDEN = "hidden", "Hidden by a moderator"
        DELETED = "deleted", "Deleted by the author"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="threads"
    )
    title = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="threads",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="threads")
    audience = models.CharField(
        max_length=10, choices=Audience.choices, default=Audience.EVERYONE
    )
    content_warning = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PUBLISHED
    )
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    is_closed = models.BooleanField(default=False)
    # The highest post number so far: posts are numbered 1, 2, 3... in their
    # thread, so a page of a long thread is a range of numbers on an index.
    post_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_posted_at = models.DateTimeField(default=timezone.now)
    # When the first reply by someone other than the author came (the health
    # panel's "time to first reply" and "unanswered threads").
    first_reply_at = models.DateTimeField(null=True, blank=True)
    moved_from = models.ForeignKey(
        Community,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["community", "status", "-is_pinned", "-last_posted_at"],
                name="thread_list",
            ),
            # A visitor's list (threads for everyone only): counted from the
            # index alone, and read in order without sorting.
            models.Index(
                fields=[
                    "community",
                    "status",
                    "audience",
                    "-is_pinned",
                    "-last_posted_at",
                    "-id",
                ],
                name="thread_list_for_everyone",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return cached_reverse("discussions:thread", self.community.slug, self.pk)

    @property
    def accepts_replies(self) -> bool:
        return not (self.is_locked or self.is_closed)


class Post(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HELD = "held", "Waiting for a moderator"
        HIDDEN = "hidden", "Hidden by a moderator"
        DELETED = "deleted", "Deleted by the author"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="posts"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField()
    # The member the post belongs to. When a carer writes it for them,
    # `written_by` is the carer and the post shows "by <carer> for <member>".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts_written_for_others",
    )
    # Copies made by a fork or an import, whose author is not here: shown as
    # this label ("a former member") instead of a persona.
    placeholder_author = models.CharField(max_length=80, blank=True)
    body = models.TextField(max_length=20000)
    body_html = models.TextField()
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PUBLISHED
    )
    hidden_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "number"], name="one_post_number_per_thread"
            )
        ]
        indexes = [
            models.Index(fields=["community", "author", "status"]),
            models.Index(fields=["community", "status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk}"

    def get_absolute_url(self) -> str:
        return cached_reverse("discussions:post", self.community.slug, self.pk)

    @property
    def is_opening(self) -> bool:
        return self.number == 1


class PostRevision(models.Model):
    """The text a post had before an edit. The author and moderators see
    the history; a moderator's edit to remove personal information is
    logged, and the removed text is not kept."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Revision {self.pk}"


class PostImage(models.Model):
    """A picture attached to a post, re-encoded on upload so that EXIF,
    location and anything else hidden in the file is gone."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    image = models.ImageField(upload_to="posts/%Y/%m/")
    alt_text = models.CharField(max_length=300, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Image {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("discussions:image", args=[self.community.slug, self.pk])


class Reaction(models.Model):
    class Kind(models.TextChoices):
        ME_TOO = "me_too", "Me too"
        THANK_YOU = "thank_you", "Thank you"
        STRENGTH = "strength", "Sending strength"
        HELPFUL = "helpful", "Helpful"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    # Empty for reactions that came with an imported archive, which carries
    # how many people reacted but never who.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reactions",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user", "kind"], name="one_reaction_of_a_kind"
            )
        ]

    def __str__(self) -> str:
        return f"Reaction {self.pk}"


class ReadState(models.Model):
    """How far one reader has read one thread. Private to the reader: no page,
    export or API shows anyone else's."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    last_read_number = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"], name="one_read_state_per_thread"
            )
        ]

    def __str__(self) -> str:
        return f"ReadState {self.pk}"


class CommunityVisit(models.Model):
    """When a reader last opened a community's thread list, and the visit
    before, so the list can mark what is "new since your last visit"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    visited_at = models.DateTimeField(default=timezone.now)
    previous_visit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"], name="one_visit_record_per_community"
            )
        ]

    def __str__(self) -> str:
        return f"CommunityVisit {self.pk}"


class ThreadSubscription(models.Model):
    class Level(models.TextChoices):
        WATCHING = "watching", "Watching: tell me about every reply"
        MUTED = "muted", "Muted: never tell me about this thread"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="subscriptions"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=Level.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"], name="one_subscription_per_thread"
            )
        ]

    def __str__(self) -> str:
        return f"ThreadSubscription {self.pk}"


class TagFollow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="follows")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tag"], name="one_follow_per_tag")
        ]

    def __str__(self) -> str:
        return f"TagFollow {self.pk}"


class DiscussionSettings(models.Model):
    """A community's own rules for discussions, kept beside the community."""

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="discussion_settings"
    )
    # A new member's first posts wait for a moderator until this many of
    # their posts have been approved; 0 means nobody is held.
    hold_first_posts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"DiscussionSettings {self.pk}"


# Moderation -------------------------------------------------------------------


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        HARASSMENT = "harassment", "Harassment"
        MISINFORMATION = "misinformation", "Medical misinformation"
        SELF_HARM = "self_harm", "Risk of self-harm"
        PERSONAL_INFO = "personal_info", "Personal information"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACTED_ON = "acted_on", "Acted on"
        DISMISSED = "dismissed", "Dismissed"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["community", "status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=Q(status="open"),
                name="one_open_flag_per_reporter",
            )
        ]

    def __str__(self) -> str:
        return f"Flag {self.pk}"

    @property
    def is_urgent(self) -> bool:
        return self.reason == self.Reason.SELF_HARM


class Sanction(models.Model):
    """A warning, a suspension for a period, or a ban from one community."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        SUSPENSION = "suspension", "Suspension"
        BAN = "ban", "Ban"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="sanctions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=300)
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["community", "user", "kind"])]

    def __str__(self) -> str:
        return f"Sanction {self.pk}"

    @property
    def is_in_force(self) -> bool:
        if self.lifted_at is not None or self.kind == self.Kind.WARNING:
            return False
        return self.until is None or self.until > timezone.now()


class ModerationActionQuerySet(QuerySet["ModerationAction"]):
    def for_log(self) -> "ModerationActionQuerySet":
        return self.select_related("moderator", "thread").order_by("-created_at", "-pk")


class ModerationAction(models.Model):
    """One line of a community's moderation log, which its members can read.
    It names the action and the reason, and the moderator only if they chose
    to sign; the member a sanction concerns is never named in it."""

    class Action(models.TextChoices):
        APPROVE = "approve", "Approved a held post"
        REJECT = "reject", "Declined a held post"
        HIDE = "hide", "Hid a post"
        UNHIDE = "unhide", "Restored a hidden post"
        EDIT = "edit", "Removed personal information from a post"
        LOCK = "lock", "Locked a thread"
        UNLOCK = "unlock", "Unlocked a thread"
        PIN = "pin", "Pinned a thread"
        UNPIN = "unpin", "Unpinned a thread"
        CLOSE = "close", "Closed a thread"
        REOPEN = "reopen", "Reopened a thread"
        MOVE = "move", "Moved a thread to a sibling community"
        DISMISS = "dismiss", "Dismissed a flag"
        WARN = "warn", "Warned a member"
        SUSPEND = "suspend", "Suspended a member"
        BAN = "ban", "Banned a member"
        LIFT = "lift", "Lifted a suspension or ban"

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="moderation_actions"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(max_length=300, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed = models.BooleanField(default=False)
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who a warning, suspension or ban concerned: kept for the moderators'
    # own records and never shown in the members' log.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[ModerationActionQuerySet] = ModerationActionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [models.Index(fields=["community", "-created_at"])]

    def __str__(self) -> str:
        return f"ModerationAction {self.pk}"

    @property
    def moderator_label(self) -> str:
        if self.signed and self.moderator is not None:
            return self.moderator.public_name
        return "A moderator"
