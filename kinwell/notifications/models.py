"""What a member is told about: one notification per post and reader, and
each member's choices for each community they belong to.

A notification holds ids and the label the post was published under, never
the post's text, so the list, the API and the emails carry no health details
beyond the thread's title."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from kinwell.communities.models import Community
from kinwell.discussions.access import readable_posts_filter
from kinwell.discussions.models import Post, Thread


class NotificationQuerySet(QuerySet["Notification"]):
    def readable_by(self, user: Any) -> "NotificationQuerySet":
        """`user`'s notifications about posts they may still read. A post
        hidden later, or a members-only thread after the member left, drops
        out of the list and the count."""
        return self.filter(readable_posts_filter(user, via="post__"), user=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def newest_first(self) -> "NotificationQuerySet":
        return self.order_by("-created_at", "-pk")


class Notification(models.Model):
    class Reason(models.TextChoices):
        # In order of importance: a reader told about a post for several
        # reasons gets one notification, for the first that applies.
        MENTION = "mention", "mentioned you"
        REPLY = "reply", "replied to you"
        THREAD_REPLY = "thread_reply", "replied to your thread"
        WATCHED_THREAD = "thread", "posted in a thread you watch"
        FOLLOWED_TAG = "tag", "posted with a tag you follow"
        WATCHED_COMMUNITY = "community", "posted in a community you watch"

    class Delivery(models.TextChoices):
        IN_APP = "in_app", "Only on the site"
        AT_ONCE = "at_once", "By email at once"
        DIGEST = "digest", "In the daily digest"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    # Who the post is by, as the site showed it when it was published: an
    # anonymous professional persona stays its badge, never a name.
    actor_label = models.CharField(max_length=80)
    delivery = models.CharField(
        max_length=8, choices=Delivery.choices, default=Delivery.IN_APP
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[NotificationQuerySet] = NotificationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "post"], name="one_notification_per_post"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_list"),
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["delivery", "emailed_at"], name="notification_digest"),
        ]

    def __str__(self) -> str:
        return f"Notification {self.pk}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def summary(self) -> str:
        return f"{self.actor_label} {self.get_reason_display()}"


class NotificationSettings(models.Model):
    """One member's choices for one community. No row means the defaults:
    email at once for replies and mentions, digest on, not watching."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    email_replies = models.BooleanField(
        "Email me at once about replies to me and mentions", default=True
    )
    digest = models.BooleanField(
        "Include this community in my daily digest", default=True
    )
    watch_community = models.BooleanField(
        "Tell me about every new post in this community", default=False
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"], name="one_notification_settings_row"
            )
        ]

    def __str__(self) -> str:
        return f"NotificationSettings {self.pk}"
