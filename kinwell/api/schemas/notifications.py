"""Shapes of the notifications API. No rules here; those live in
kinwell.notifications.access and kinwell.notifications.services."""

from datetime import datetime
from typing import Annotated

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from kinwell.api.schemas.fields import MAX_ID, InputSchema, enum_schema, one_of
from kinwell.notifications.access import CommunitySettings
from kinwell.notifications.models import Notification

Reason = Annotated[str, one_of(Notification.Reason), enum_schema(Notification.Reason)]
# Ids one request may mark: a page of the list is at most 100.
MAX_IDS = 100


class NotificationOut(Schema):
    """Who did what, where: never what the post says."""

    id: int
    reason: Reason
    summary: str
    actor: str
    community_slug: str
    community_name: str
    thread_id: int
    thread_title: str
    post_id: int
    post_url: str
    created_at: datetime
    read: bool

    @staticmethod
    def resolve_actor(notification: Notification) -> str:
        return notification.actor_label

    @staticmethod
    def resolve_community_slug(notification: Notification) -> str:
        return notification.community.slug

    @staticmethod
    def resolve_community_name(notification: Notification) -> str:
        return notification.community.name

    @staticmethod
    def resolve_thread_title(notification: Notification) -> str:
        return notification.thread.title

    @staticmethod
    def resolve_post_url(notification: Notification) -> str:
        return reverse(
            "discussions:post",
            args=[notification.community.slug, notification.post_id],
        )

    @staticmethod
    def resolve_read(notification: Notification) -> bool:
        return notification.is_read


class MarkReadIn(InputSchema):
    """`ids` to mark those; left out or null, every unread one."""

    # Not strict: JSON's 20.0 is the integer 20 (but 20.5 is refused).
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID, strict=False)]] | None = Field(
        None, max_length=MAX_IDS
    )


class MarkedOut(Schema):
    marked: int
    unread: int


class SettingsIn(InputSchema):
    email_replies: bool
    digest: bool
    watch_community: bool


class SettingsOut(Schema):
    community_slug: str
    community_name: str
    email_replies: bool
    digest: bool
    watch_community: bool


def settings_out(row: CommunitySettings) -> SettingsOut:
    return SettingsOut(
        community_slug=row.community.slug,
        community_name=row.community.name,
        email_replies=row.settings.email_replies,
        digest=row.settings.digest,
        watch_community=row.settings.watch_community,
    )
