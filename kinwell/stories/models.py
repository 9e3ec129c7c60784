"""Organisations and their service trees, the staff who belong to them, and
care stories: what a patient or carer tells a service, who on its staff read
it, how they answered and what changed.

Stories belong to no community: they are about services, which every
installation shares. A story is public only once a story moderator has
published it; its criticality is for staff and moderators alone."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kinwell.lib.urls import cached_reverse

# A story at or above this criticality counts as critical in the public
# statistics ("the share of critical stories that led to a change").
CRITICAL = 3


class OrganisationQuerySet(QuerySet["Organisation"]):
    def matching(self, query: str) -> "OrganisationQuerySet":
        """By name, place or national code, as the directory searches."""
        query = query.strip()
        if not query:
            return self
        return self.filter(
            Q(name__icontains=query)
            | Q(location__icontains=query)
            | Q(code__iexact=query)
        )


class Organisation(models.Model):
    """The root of a service tree: a trust, a practice, a hospice, a charity."""

    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=80, unique=True)
    code = models.CharField("national code", max_length=20, blank=True)
    location = models.CharField(max_length=160, blank=True)
    description = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[OrganisationQuerySet] = OrganisationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="one_organisation_per_code"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return cached_reverse("stories:organisation", self.slug)


class Service(models.Model):
    """A node of an organisation's tree: a site, a department or a service.

    `path` lists the ids from the top of the tree down to this node
    ("/4/17/"), so a subtree is one indexed `startswith`."""

    class Kind(models.TextChoices):
        SITE = "site", "Site"
        DEPARTMENT = "department", "Department"
        SERVICE = "service", "Service"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="services"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(max_length=160)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.CharField("national code", max_length=20, blank=True)
    location = models.CharField(max_length=160, blank=True)
    path = models.CharField(max_length=255, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "parent", "name"],
                name="one_service_name_per_parent",
            ),
            models.UniqueConstraint(
                fields=["organisation", "name"],
                condition=Q(parent__isnull=True),
                name="one_top_service_name_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return cached_reverse("stories:service", self.organisation.slug, self.pk)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def subtree(self) -> "QuerySet[Service]":
        return Service.objects.filter(path__startswith=self.path)


class StaffMembership(models.Model):
    """Someone on an organisation's staff, as far as stories go. Granted by
    an organisation admin (or, for the first, an installation administrator)."""

    class Role(models.TextChoices):
        READER = "reader", "Reader: alerts and reports"
        RESPONDER = "responder", "Responder: also replies and marks changes"
        ADMIN = "admin", "Organisation admin: also manages staff and services"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="staff"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    job_title = models.CharField(max_length=100)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="one_staff_role_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_title} at {self.organisation}"

    @property
    def may_respond(self) -> bool:
        return self.role in (self.Role.RESPONDER, self.Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Feeling(models.TextChoices):
    """The feelings a storyteller may tag a story with."""

    LISTENED_TO = "listened-to", "Listened to"
    RESPECTED = "respected", "Respected"
    REASSURED = "reassured", "Reassured"
    SAFE = "safe", "Safe"
    GRATEFUL = "grateful", "Grateful"
    CONFUSED = "confused", "Confused"
    ANXIOUS = "anxious", "Anxious"
    IGNORED = "ignored", "Ignored"
    FRUSTRATED = "frustrated", "Frustrated"
    ANGRY = "angry", "Angry"


class StoryQuerySet(QuerySet["Story"]):
    def published(self) -> "StoryQuerySet":
        return self.filter(status=Story.Status.PUBLISHED)

    def about(self, service: Service) -> "StoryQuerySet":
        """Stories about `service` or anything below it, each once."""
        return self.filter(
            pk__in=StoryService.objects.filter(
                service__path__startswith=service.path
            ).values("story_id")
        )

    def cards(self) -> "StoryQuerySet":
        """Published stories, newest first, with what a story card shows:
        the author (for the signature), the services with their
        organisations, the number of published replies and whether a
        confirmed change was planned or made. Two queries however many
        stories: the stories and their services."""
        replies = StaffReply.objects.filter(
            story=OuterRef("pk"), status=StaffReply.Status.PUBLISHED
        )
        confirmed = replies.filter(change_confirmed_at__isnull=False)
        reply_count = replies.order_by().values("story").annotate(n=Count("pk"))
        services = Service.objects.select_related("organisation").order_by("name")
        return (
            self.published()
            .select_related("author")
            .prefetch_related(Prefetch("services", queryset=services))
            .annotate(
                reply_count=Coalesce(
                    Subquery(reply_count.values("n"), output_field=IntegerField()),
                    Value(0),
                ),
                change_made=Exists(confirmed.filter(change=StaffReply.Change.MADE)),
                change_planned=Exists(
                    confirmed.filter(change=StaffReply.Change.PLANNED)
                ),
            )
            .order_by("-published_at", "-pk")
        )

    def about_organisation(self, organisation: Organisation) -> "StoryQuerySet":
        return self.filter(
            pk__in=StoryService.objects.filter(
                service__organisation=organisation
            ).values("story_id")
        )


class Story(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for a moderator"
        RETURNED = "returned", "Returned to you with a note"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Not published"
        WITHDRAWN = "withdrawn", "Withdrawn by its author"

    class AuthorRole(models.TextChoices):
        PATIENT = "patient", "Patient"
        CARER = "carer", "Carer"
        RELATIVE = "relative", "Relative or friend"
        STAFF_FOR_PATIENT = "staff", "A member of staff, for a patient who agreed"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stories"
    )
    author_role = models.CharField(max_length=10, choices=AuthorRole.choices)
    # Shown instead of the author's name unless they choose to be named.
    pseudonym = models.CharField(max_length=60)
    show_name = models.BooleanField(default=False)
    title = models.CharField(max_length=200)
    what_happened = models.TextField(max_length=20000)
    what_was_good = models.TextField(max_length=5000, blank=True)
    what_could_be_better = models.TextField(max_length=5000, blank=True)
    # The three texts above, through the one Markdown pipeline, kept together.
    body_html = models.TextField(editable=False)
    feelings = models.JSONField(default=list, blank=True)
    services = models.ManyToManyField(
        Service, through="StoryService", related_name="stories"
    )
    # The discussion post the story began as, when it did.
    source_post = models.ForeignKey(
        "discussions.Post",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    # 0 (nothing wrong) to 5 (severe harm); set by a moderator, seen only by
    # staff and moderators.
    criticality = models.PositiveSmallIntegerField(null=True, blank=True)
    # The moderator's note when a story is returned or not published.
    moderator_note = models.TextField(max_length=2000, blank=True)
    # Whether staff job titles show beside "read by N staff".
    show_reader_titles = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[StoryQuerySet] = StoryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["status", "-published_at"], name="story_list"),
            models.Index(fields=["author", "-created_at"], name="story_author"),
        ]

    def __str__(self) -> str:
        return f"Story {self.pk}"

    def get_absolute_url(self) -> str:
        return cached_reverse("stories:story", self.pk)

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.RETURNED)

    @property
    def is_critical(self) -> bool:
        return self.criticality is not None and self.criticality >= CRITICAL

    @property
    def signature(self) -> str:
        """Who the story is by, as the site shows it."""
        name = self.author.display_name if self.show_name else ""
        role = self.AuthorRole(self.author_role).label.split(",")[0].lower()
        return f"{name or self.pseudonym}, {role}"


class StoryService(models.Model):
    story = models.ForeignKey(Story, on_delete=models.CASCADE)
    service = models.ForeignKey(Service, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["story", "service"], name="one_link_per_story_and_service"
            )
        ]

    def __str__(self) -> str:
        return f"Story {self.story_id} about service {self.service_id}"


class Redaction(models.Model):
    """A change a moderator proposes to a story's text (a name, a date, a
    detail that could identify someone). It applies only once the author
    accepts it."""

    class Field(models.TextChoices):
        TITLE = "title", "Title"
        WHAT_HAPPENED = "what_happened", "What happened"
        WHAT_WAS_GOOD = "what_was_good", "What was good"
        WHAT_COULD_BE_BETTER = "what_could_be_better", "What could be better"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for the author"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="redactions"
    )
    field = models.CharField(max_length=24, choices=Field.choices)
    original = models.CharField(max_length=500)
    replacement = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Redaction {self.pk}"


class Reason(models.TextChoices):
    """Why a story was returned, not published or withdrawn: counted on the
    public transparency page."""

    NAMES_PATIENT = "names-patient", "It names a patient"
    NAMES_STAFF = "names-staff", "It names staff in a critical story"
    IDENTIFYING = "identifying", "It has identifying dates or details"
    NOT_CARE = "not-care", "It is not about an experience of care"
    ABUSIVE = "abusive", "It is abusive or defamatory"
    DUPLICATE = "duplicate", "It repeats another story"
    UNCLEAR = "unclear", "It needs more detail to be understood"
    AUTHOR_CHOICE = "author-choice", "The author chose to"
    OTHER = "other", "Another reason"


class StoryDecision(models.Model):
    """Each step of a story's moderation and life, as the transparency page
    counts them. Holds the reason, never the story's text."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        PUBLISHED = "published", "Published"
        RETURNED = "returned", "Returned to the author"
        REJECTED = "rejected", "Not published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["action", "reason"], name="story_decisions")]

    def __str__(self) -> str:
        return f"{self.action} {self.story_id}"


class StoryRead(models.Model):
    """A staff member opened a published story (members' reads are never
    recorded). The job title is kept as it was when they read."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+"
    )
    job_title = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="one_read_per_staff")
        ]

    def __str__(self) -> str:
        return f"Read of story {self.story_id}"


class StaffReply(models.Model):
    """A staff member's public answer to a story, for their organisation."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a moderator"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Not published"

    class Change(models.TextChoices):
        NONE = "", "No change"
        PLANNED = "planned", "Change planned"
        MADE = "made", "Change made"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="replies")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    job_title = models.CharField(max_length=100)
    body = models.TextField(max_length=10000)
    body_html = models.TextField(editable=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    change = models.CharField(
        max_length=8, choices=Change.choices, default=Change.NONE, blank=True
    )
    change_description = models.TextField(max_length=2000, blank=True)
    # A change counts (in the statistics, and shows as such) once a
    # moderator confirmed it.
    change_confirmed_at = models.DateTimeField(null=True, blank=True)
    moderator_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "staff replies"
        indexes = [
            models.Index(fields=["story", "status", "published_at"]),
            models.Index(fields=["status", "created_at"], name="reply_queue"),
        ]

    def __str__(self) -> str:
        return f"Reply {self.pk}"

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def change_confirmed(self) -> bool:
        return bool(self.change) and self.change_confirmed_at is not None


class HelpfulRating(models.Model):
    """Someone signed in found a reply helpful (the storyteller among them)."""

    reply = models.ForeignKey(
        StaffReply, on_delete=models.CASCADE, related_name="ratings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reply", "user"], name="one_helpful_rating_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"Helpful rating of reply {self.reply_id}"


class Echo(models.Model):
    """Someone says "I've experienced this too": one per person and story."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="echoes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["story", "user"], name="one_echo_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"Echo of story {self.story_id}"


class StaffAlert(models.Model):
    """A staff member asks to hear of new stories about part of their
    organisation (the whole of it when `service` is empty)."""

    class Delivery(models.TextChoices):
        AT_ONCE = "at_once", "By email at once"
        DIGEST = "digest", "In a daily digest by email"

    staff = models.ForeignKey(
        StaffMembership, on_delete=models.CASCADE, related_name="alerts"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    min_criticality = models.PositiveSmallIntegerField(default=0)
    delivery = models.CharField(
        max_length=8, choices=Delivery.choices, default=Delivery.AT_ONCE
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Alert {self.pk}"


class AlertDelivery(models.Model):
    """A story an alert matched: sent at once, or waiting for the digest.
    One per staff member and story, however many of their alerts match."""

    staff = models.ForeignKey(
        StaffMembership, on_delete=models.CASCADE, related_name="deliveries"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    delivery = models.CharField(max_length=8, choices=StaffAlert.Delivery.choices)
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "story"], name="one_alert_per_staff_and_story"
            )
        ]
        indexes = [models.Index(fields=["delivery", "emailed_at"], name="alert_digest")]

    def __str__(self) -> str:
        return f"Alert of story {self.story_id}"
