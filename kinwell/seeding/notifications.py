"""Notifications the discussions seeder picked out (replies to someone, or
in their thread), most already read; and some members' own settings."""

import random
from datetime import timedelta

from kinwell.notifications.models import Notification, NotificationSettings
from kinwell.seeding.registry import Context, NotificationSeed

READ = 0.7
OWN_SETTINGS = 0.05


def seed_notifications(context: Context) -> None:
    rng = context.rng
    seeds = context.notifications
    for start in range(0, len(seeds), context.scale.batch):
        rows = [
            _notification(rng, seed)
            for seed in seeds[start : start + context.scale.batch]
        ]
        Notification.objects.bulk_create(rows)
        context.count("notifications", len(rows))
    context.notifications = []
    _settings(context)


def _notification(rng: random.Random, seed: NotificationSeed) -> Notification:
    read = rng.random() < READ
    return Notification(
        user_id=seed.user_id,
        community_id=seed.community_id,
        thread_id=seed.thread_id,
        post_id=seed.post_id,
        reason=seed.reason,
        actor_label=seed.actor_label,
        created_at=seed.created_at,
        read_at=seed.created_at + timedelta(hours=rng.randint(1, 72)) if read else None,
    )


def _settings(context: Context) -> None:
    """A few members changed the defaults: no digest, no mail at once, or
    watching the whole community."""
    rng = context.rng
    rows = [
        NotificationSettings(
            user_id=user_id,
            community_id=community.id,
            email_replies=rng.random() < 0.5,
            digest=rng.random() < 0.5,
            watch_community=rng.random() < 0.2,
            updated_at=community.created_at,
        )
        for community in context.communities
        for user_id in community.member_ids
        if rng.random() < OWN_SETTINGS
    ]
    NotificationSettings.objects.bulk_create(rows, batch_size=context.scale.batch)
    context.count("notification settings", len(rows))
