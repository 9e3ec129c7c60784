"""Who hears about what: in-app notifications, mail at once and the digest.

`post_published` is the one way in from discussions: it runs in the
transaction that makes a post visible to readers (a new thread, a reply, a held
post approved) and queues the work for the background worker, so publishing
never waits on it and the task commits with the post."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities import access as community_access
from kinwell.communities.models import Community
from kinwell.discussions import access as discussion_access
from kinwell.discussions.mentions import mentioned_members
from kinwell.discussions.models import Post, TagFollow, Thread, ThreadSubscription
from kinwell.lib import audit
from kinwell.notifications import tasks
from kinwell.notifications.models import Notification, NotificationSettings

Reason = Notification.Reason
Delivery = Notification.Delivery
# Reasons worth an email at once; the others wait for the daily digest.
PERSONAL = frozenset({Reason.MENTION, Reason.REPLY, Reason.THREAD_REPLY})
# A digest tells of the last few days at most: a member who turns the digest
# back on is not sent a month of old news.
DIGEST_WINDOW = timedelta(days=3)


def post_published(post_id: int) -> None:
    """Called on commit once a post is visible: the fan-out runs on the worker."""
    tasks.notify_about_post.enqueue(post_id)


def on_thread_read(reader: User, thread: Thread) -> None:
    mark_thread_read(reader, thread=thread)


def on_thread_moved(thread: Thread, to: Community) -> None:
    """A moved thread's notifications move with it, so they are judged by
    the community the thread is in now."""
    Notification.objects.filter(thread=thread).update(community=to)


# Fan-out -------------------------------------------------------------------


@transaction.atomic
def notify_about_post(post_id: int) -> list[Notification]:
    """Creates the in-app notifications for a published post and queues the
    emails due at once. Safe to run twice: nobody is told twice of one post."""
    post = _published_post(post_id)
    if post is None:
        return []
    reasons = _reasons(post)
    preferences = _preferences(list(reasons), post.community)
    notifications = [
        Notification(
            user_id=user_id,
            community=post.community,
            thread=post.thread,
            post=post,
            reason=reason,
            actor_label=_actor_label(post),
            delivery=_delivery(reason, preferences.get(user_id)),
        )
        for user_id, reason in reasons.items()
    ]
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(post=post, user_id__in=list(reasons)).filter(
            emailed_at__isnull=True, delivery=Delivery.AT_ONCE
        )
    )
    for notification in created:
        _send_at_once_after_commit(notification.pk)
    return created


def _send_at_once_after_commit(notification_id: int) -> None:
    transaction.on_commit(
        lambda: tasks.send_notification_email.enqueue(notification_id)
    )


def _published_post(post_id: int) -> Post | None:
    """The post, if it is still published in a published thread: a post
    hidden before the worker got to it is told to nobody."""
    return (
        Post.objects.select_related(
            "thread__community",
            "in_reply_to",
            "persona__user",
            "persona__credential",
        )
        .filter(
            pk=post_id,
            status=Post.Status.PUBLISHED,
            thread__status=Thread.Status.PUBLISHED,
        )
        .first()
    )


def _reasons(post: Post) -> dict[int, str]:
    """Who is told about `post`, each for the most important reason that
    applies, leaving out its author, people who muted the thread and anyone
    who may not read it."""
    candidates: dict[int, str] = {}
    for reason, user_ids in _candidates(post):
        for user_id in user_ids:
            candidates.setdefault(user_id, reason)
    left_out = {post.author_id, post.written_by_id} | _muted(post.thread)
    active = User.objects.filter(
        pk__in=[pk for pk in candidates if pk not in left_out], is_active=True
    ).values_list("pk", flat=True)
    readers = discussion_access.readers_of(post.thread, active)
    return {user_id: candidates[user_id] for user_id in readers}


def _candidates(post: Post) -> list[tuple[str, list[int]]]:
    thread = post.thread
    replied_to = post.in_reply_to.author_id if post.in_reply_to else None
    return [
        (Reason.MENTION, [u.pk for u in mentioned_members(post.body, post.community)]),
        (Reason.REPLY, [replied_to] if replied_to else []),
        (
            Reason.THREAD_REPLY,
            [thread.author_id] if thread.author_id and not post.is_opening else [],
        ),
        (Reason.WATCHED_THREAD, _watchers(thread)),
        (Reason.FOLLOWED_TAG, _tag_followers(thread)),
        (Reason.WATCHED_COMMUNITY, _community_watchers(post.community)),
    ]


def _watchers(thread: Thread) -> list[int]:
    return list(
        ThreadSubscription.objects.filter(
            thread=thread, level=ThreadSubscription.Level.WATCHING
        ).values_list("user_id", flat=True)
    )


def _muted(thread: Thread) -> set[int | None]:
    return set(
        ThreadSubscription.objects.filter(
            thread=thread, level=ThreadSubscription.Level.MUTED
        ).values_list("user_id", flat=True)
    )


def _tag_followers(thread: Thread) -> list[int]:
    return list(
        TagFollow.objects.filter(tag__threads=thread)
        .values_list("user_id", flat=True)
        .distinct()
    )


def _community_watchers(community: Community) -> list[int]:
    return list(
        NotificationSettings.objects.filter(
            community=community, watch_community=True
        ).values_list("user_id", flat=True)
    )


def _preferences(
    user_ids: list[int], community: Community
) -> dict[int, NotificationSettings]:
    rows = NotificationSettings.objects.filter(
        community=community, user_id__in=user_ids
    )
    return {row.user_id: row for row in rows}


def _delivery(reason: str, preference: NotificationSettings | None) -> str:
    chosen = preference or NotificationSettings()
    if reason in PERSONAL:
        return Delivery.AT_ONCE if chosen.email_replies else Delivery.IN_APP
    return Delivery.DIGEST if chosen.digest else Delivery.IN_APP


def _actor_label(post: Post) -> str:
    """The post's author as readers see it: a persona's label (an anonymous
    professional is only their badge), or an imported post's placeholder."""
    if post.persona is not None:
        return post.persona.label[:80]
    return post.placeholder_author[:80] or "A member"


# Reading -------------------------------------------------------------------


@transaction.atomic
def mark_read(actor: User, *, notification: Notification) -> Notification:
    if notification.user_id != actor.pk:
        raise PermissionDenied("This is someone else's notification.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(actor: User, *, ids: list[int] | None = None) -> int:
    """Marks `actor`'s unread notifications read: all of them, or those of
    `ids` (ids of anyone else's are ignored). Returns how many changed."""
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def mark_thread_read(actor: User, *, thread: Thread) -> int:
    """Reading a thread reads what it was notified of. Most page views have
    nothing to mark, and a read costs less than a write (which on SQLite
    waits for every other writer)."""
    unread = Notification.objects.filter(
        user=actor, thread=thread, read_at__isnull=True
    )
    if not unread.exists():
        return 0
    return unread.update(read_at=timezone.now())


# Settings ------------------------------------------------------------------


@transaction.atomic
def update_settings(
    actor: User,
    *,
    community: Community,
    email_replies: bool,
    digest: bool,
    watch_community: bool,
) -> NotificationSettings:
    """A member's choices for one of their communities."""
    if community_access.membership_of(actor, community) is None:
        raise PermissionDenied("These settings are for members of the community.")
    row, _ = NotificationSettings.objects.update_or_create(
        user=actor,
        community=community,
        defaults={
            "email_replies": email_replies,
            "digest": digest,
            "watch_community": watch_community,
            "updated_at": timezone.now(),
        },
    )
    return row


# Unsubscribing -------------------------------------------------------------

UNSUBSCRIBE_SALT = "kinwell.notifications.unsubscribe"


@dataclass(frozen=True)
class Unsubscribe:
    """What one unsubscribe link stops: the emails at once of one community,
    or the daily digest."""

    user: User
    kind: str  # "replies" or "digest"
    community: Community | None

    @property
    def description(self) -> str:
        if self.community is None:
            return "the daily digest"
        return f"emails about replies and mentions in {self.community.name}"


def unsubscribe_token(user: User, *, community: Community | None = None) -> str:
    """A signed token, no login needed; it holds ids only and never expires,
    as an old email's link must still work."""
    kind = "replies" if community is not None else "digest"
    payload = {"u": user.pk, "k": kind, "c": community.pk if community else None}
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> Unsubscribe:
    """What a token stops, or Http404 for a token this site did not sign."""
    try:
        payload: dict[str, Any] = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user = User.objects.get(pk=payload["u"])
        community = Community.objects.get(pk=payload["c"]) if payload["c"] else None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404("This link is not valid.") from None
    except (User.DoesNotExist, Community.DoesNotExist):
        raise Http404("This link is not valid.") from None
    if payload["k"] not in ("replies", "digest"):
        raise Http404("This link is not valid.")
    return Unsubscribe(user=user, kind=payload["k"], community=community)


@transaction.atomic
def unsubscribe(token: str) -> Unsubscribe:
    """Stops what the token names; doing it twice changes nothing more."""
    found = read_unsubscribe_token(token)
    user = found.user
    if found.community is not None:
        NotificationSettings.objects.update_or_create(
            user=user,
            community=found.community,
            defaults={"email_replies": False, "updated_at": timezone.now()},
        )
    elif account_services.has_consented(user, ConsentRecord.Purpose.EMAIL_DIGESTS):
        account_services.record_consent(
            user, user=user, purpose=ConsentRecord.Purpose.EMAIL_DIGESTS, given=False
        )
    audit.record(user, f"notifications.unsubscribe.{found.kind}", user, subject=user)
    return found


# Digest --------------------------------------------------------------------


def queue_digests() -> int:
    """Queues one digest for each member with news waiting; the worker sends
    them. Run daily (`kinwell manage send_digests`). Returns how many."""
    user_ids = list(
        _pending_digest_items()
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    for user_id in user_ids:
        tasks.send_digest.enqueue(user_id)
    return len(user_ids)


def _pending_digest_items() -> Any:
    return Notification.objects.filter(
        delivery=Delivery.DIGEST,
        emailed_at__isnull=True,
        read_at__isnull=True,
        created_at__gte=timezone.now() - DIGEST_WINDOW,
    )


@transaction.atomic
def take_digest(user: User) -> list[Notification]:
    """What `user`'s digest tells of now, marked as emailed. Items of
    communities whose digest they turned off, or all items if they withdrew
    their consent to digests, stay on the site only."""
    pending = _pending_digest_items().filter(user=user)
    if not user.is_active or not account_services.has_consented(
        user, ConsentRecord.Purpose.EMAIL_DIGESTS
    ):
        pending.update(delivery=Delivery.IN_APP)
        return []
    turned_off = NotificationSettings.objects.filter(user=user, digest=False).values(
        "community_id"
    )
    pending.filter(community_id__in=turned_off).update(delivery=Delivery.IN_APP)
    items = list(
        Notification.objects.readable_by(user)
        .filter(pk__in=pending.values("pk"))
        .select_related("community", "thread")
        .order_by("community__name", "thread_id", "created_at")
    )
    Notification.objects.filter(pk__in=[item.pk for item in items]).update(
        emailed_at=timezone.now()
    )
    return items


# Email at once -------------------------------------------------------------


@transaction.atomic
def take_at_once(notification_id: int) -> Notification | None:
    """The notification to email now, marked as emailed; None if it was
    emailed already, its reader turned these emails off since, or may no
    longer read the post (hidden, or they left a members-only community)."""
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("user", "community", "thread", "post")
        .filter(
            pk=notification_id,
            delivery=Delivery.AT_ONCE,
            emailed_at__isnull=True,
        )
        .first()
    )
    if notification is None or not _still_wanted(notification):
        return None
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return notification


def _still_wanted(notification: Notification) -> bool:
    user = notification.user
    preference = NotificationSettings.objects.filter(
        user=user, community=notification.community
    ).first()
    if not user.is_active or (preference and not preference.email_replies):
        return False
    thread = notification.thread
    return user.pk in discussion_access.readers_of(thread, [user.pk]) and (
        Notification.objects.readable_by(user).filter(pk=notification.pk).exists()
    )
