"""Moderation of posts and threads: flags, held posts, hiding and redacting
posts, thread states and moves, and the hold count. Shared by the web views
and the API. (Warnings, suspensions and bans: sanctions.py.)

Each moderator action writes one line of the community's moderation log
(ModerationAction), which its members can read: the action and the reason,
and the moderator's name only if they chose to sign (see record.py)."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities import access as community_access
from kinwell.communities.models import Community, Membership
from kinwell.discussions import hooks
from kinwell.discussions import services as discussion_services
from kinwell.discussions.models import (
    DiscussionSettings,
    Flag,
    ModerationAction,
    Post,
    PostImage,
    PostRevision,
    Reaction,
    ReadState,
    Thread,
    ThreadSubscription,
)
from kinwell.discussions.moderation.record import (
    log_action,
    render_email,
    require_moderator,
    required_reason,
)
from kinwell.lib import audit, mail, ratelimit

FLAGS_PER_PERIOD = 10
FLAG_PERIOD = 600
FLAG_LIMIT_MESSAGE = (
    "You have flagged many posts in a short time. The moderators have them "
    "all; please wait a few minutes before flagging another."
)
MAX_HOLD_FIRST_POSTS = 20
REDACTED_REASON = "Removed personal information"
Action = ModerationAction.Action

# What each thread state change sets, and how the log names it.
THREAD_STATES: dict[str, tuple[str, bool, str]] = {
    "lock": ("is_locked", True, Action.LOCK),
    "unlock": ("is_locked", False, Action.UNLOCK),
    "pin": ("is_pinned", True, Action.PIN),
    "unpin": ("is_pinned", False, Action.UNPIN),
    "close": ("is_closed", True, Action.CLOSE),
    "reopen": ("is_closed", False, Action.REOPEN),
}
# How open a community is: a thread never moves to a more open sibling,
# so nobody reads it who could not before.
OPENNESS = {
    Community.Visibility.PUBLIC: 2,
    Community.Visibility.MEMBERS_ONLY: 1,
    Community.Visibility.HIDDEN: 0,
}


# Flags -------------------------------------------------------------------


@transaction.atomic
def flag_post(actor: User, *, post: Post, reason: str, note: str = "") -> Flag:
    """A member tells the moderators about a post. A flag for risk of
    self-harm is urgent: it tops the queue, the moderators are emailed, and
    the post shows where to find help."""
    if community_access.membership_of(actor, post.community) is None:
        raise PermissionDenied("Only members of the community can flag posts.")
    if reason not in Flag.Reason.values:
        raise ValidationError({"reason": "Choose why you are flagging the post."})
    if actor.pk in (post.author_id, post.written_by_id):
        raise ValidationError("You cannot flag your own post.")
    if post.status in (Post.Status.DELETED, Post.Status.HIDDEN):
        raise ValidationError("This post is no longer shown, so it needs no flag.")
    ratelimit.check("flag", actor.pk, limit=FLAGS_PER_PERIOD, period=FLAG_PERIOD)
    if Flag.objects.filter(post=post, reporter=actor, status=Flag.Status.OPEN):
        raise ValidationError(
            "You have already flagged this post. The moderators will look at it."
        )
    flag = Flag.objects.create(
        post=post,
        community_id=post.community_id,
        reporter=actor,
        reason=reason,
        note=note.strip()[:1000],
    )
    audit.record(actor, "flag.create", flag)
    if flag.is_urgent:
        _tell_moderators_of_urgent_flag(post.community)
    return flag


def _tell_moderators_of_urgent_flag(community: Community) -> None:
    # No content and no names: the email only says where to look.
    recipients = list(
        User.objects.filter(
            memberships__community=community,
            memberships__role__in=[
                Membership.Role.ORGANISER,
                Membership.Role.MODERATOR,
            ],
        ).values_list("email", flat=True)
    )
    body = render_email("urgent_flag.txt", {"community": community})
    mail.send_after_commit("An urgent flag needs a moderator", body, recipients)


@transaction.atomic
def dismiss_flag(
    actor: User, *, flag: Flag, reason: str = "", signed: bool = False
) -> Flag:
    """The moderator looked and the post stays as it is."""
    require_moderator(actor, flag.community)
    if flag.status != Flag.Status.OPEN:
        raise ValidationError("This flag has already been dealt with.")
    _resolve(Flag.objects.filter(pk=flag.pk), actor, Flag.Status.DISMISSED)
    flag.refresh_from_db()
    log_action(
        actor,
        flag.community,
        Action.DISMISS,
        reason=reason,
        signed=signed,
        post=flag.post,
    )
    return flag


def _resolve(flags: QuerySet[Flag], actor: User, status: str) -> None:
    flags.filter(status=Flag.Status.OPEN).update(
        status=status, resolved_at=timezone.now(), resolved_by=actor
    )


def _act_on_flags(actor: User, post: Post) -> None:
    """Acting on a post answers every open flag on it."""
    _resolve(Flag.objects.filter(post=post), actor, Flag.Status.ACTED_ON)


# Posts -------------------------------------------------------------------


@transaction.atomic
def approve_post(
    actor: User, *, post: Post, reason: str = "", signed: bool = False
) -> Post:
    """A held post goes out, as if just written: the thread is bumped and
    the people who follow along are told."""
    require_moderator(actor, post.community)
    post = _locked_post(post)
    if post.status != Post.Status.HELD:
        raise ValidationError("This post is not waiting for approval.")
    post.status = Post.Status.PUBLISHED
    post.save(update_fields=["status"])
    thread = Thread.objects.select_for_update().get(pk=post.thread_id)
    if post.is_opening:
        thread.status = Thread.Status.PUBLISHED
        thread.save(update_fields=["status"])
    else:
        thread.save(
            update_fields=discussion_services.note_published_reply(thread, post)
        )
    _act_on_flags(actor, post)
    log_action(
        actor, post.community, Action.APPROVE, reason=reason, signed=signed, post=post
    )
    discussion_services.announce(post)
    return post


@transaction.atomic
def reject_held_post(
    actor: User, *, post: Post, reason: str, signed: bool = False
) -> Post:
    """A held post is declined: it stays hidden, with the reason, which its
    author can read."""
    require_moderator(actor, post.community)
    post = _locked_post(post)
    if post.status != Post.Status.HELD:
        raise ValidationError("This post is not waiting for approval.")
    _set_hidden(post, required_reason(reason))
    _act_on_flags(actor, post)
    log_action(
        actor, post.community, Action.REJECT, reason=reason, signed=signed, post=post
    )
    return post


@transaction.atomic
def hide_post(actor: User, *, post: Post, reason: str, signed: bool = False) -> Post:
    """The post is replaced, for everyone but its author and the moderators,
    by a line saying a moderator hid it and why."""
    require_moderator(actor, post.community)
    post = _locked_post(post)
    if post.status != Post.Status.PUBLISHED:
        raise ValidationError("Only a published post can be hidden.")
    _set_hidden(post, required_reason(reason))
    _act_on_flags(actor, post)
    log_action(
        actor, post.community, Action.HIDE, reason=reason, signed=signed, post=post
    )
    return post


@transaction.atomic
def unhide_post(
    actor: User, *, post: Post, reason: str = "", signed: bool = False
) -> Post:
    require_moderator(actor, post.community)
    post = _locked_post(post)
    if post.status != Post.Status.HIDDEN:
        raise ValidationError("This post is not hidden.")
    post.status, post.hidden_reason = Post.Status.PUBLISHED, ""
    post.save(update_fields=["status", "hidden_reason"])
    if post.is_opening:
        post.thread.status = Thread.Status.PUBLISHED
        post.thread.save(update_fields=["status"])
    log_action(
        actor, post.community, Action.UNHIDE, reason=reason, signed=signed, post=post
    )
    return post


def _set_hidden(post: Post, reason: str) -> None:
    post.status, post.hidden_reason = Post.Status.HIDDEN, reason
    post.save(update_fields=["status", "hidden_reason"])
    if post.is_opening:
        post.thread.status = Thread.Status.HIDDEN
        post.thread.save(update_fields=["status"])


@transaction.atomic
def redact_post(
    actor: User,
    *,
    post: Post,
    body: str,
    reason: str = REDACTED_REASON,
    signed: bool = False,
) -> Post:
    """A moderator edits personal information out of a post. The old text
    is not kept anywhere: not as a revision, and earlier revisions (which
    may hold the same details) go too. The log says what was done."""
    require_moderator(actor, post.community)
    post = _locked_post(post)
    if post.status == Post.Status.DELETED:
        raise ValidationError("This post has been deleted by its author.")
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Leave the rest of the post in place."})
    if len(body) > 20000:
        raise ValidationError({"body": "Keep a post under 20,000 characters."})
    if body == post.body:
        raise ValidationError({"body": "Nothing was changed."})
    PostRevision.objects.filter(post=post).delete()
    post.body, post.body_html = body, discussion_services.cook(body)
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    _act_on_flags(actor, post)
    reason = reason.strip() or REDACTED_REASON
    log_action(
        actor, post.community, Action.EDIT, reason=reason, signed=signed, post=post
    )
    return post


def _locked_post(post: Post) -> Post:
    return (
        Post.objects.select_for_update()
        .select_related("thread", "community")
        .get(pk=post.pk)
    )


# What a moderator can do to a post with a reason, by name (web and API).
POST_ACTIONS: dict[str, Callable[..., Post]] = {
    "approve": approve_post,
    "reject": reject_held_post,
    "hide": hide_post,
    "unhide": unhide_post,
}


# Threads -----------------------------------------------------------------


@transaction.atomic
def set_thread_state(
    actor: User, *, thread: Thread, state: str, reason: str = "", signed: bool = False
) -> Thread:
    """Lock or unlock, pin or unpin, close or reopen a thread."""
    require_moderator(actor, thread.community)
    if state not in THREAD_STATES:
        raise ValidationError({"state": "Choose what to do with the thread."})
    field, value, action = THREAD_STATES[state]
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if getattr(thread, field) == value:
        raise ValidationError(f"The thread is already {_state_word(state)}.")
    setattr(thread, field, value)
    thread.save(update_fields=[field])
    log_action(
        actor, thread.community, action, reason=reason, signed=signed, thread=thread
    )
    return thread


def _state_word(state: str) -> str:
    return {"reopen": "open", "pin": "pinned", "unpin": "unpinned"}.get(
        state, f"{state}ed"
    )


@transaction.atomic
def move_thread(
    actor: User, *, thread: Thread, to: Community, reason: str, signed: bool = False
) -> Thread:
    """Moves a thread, with everything in it, to a sibling community of the
    same cluster that the moderator also moderates and that is no more open
    than where it was."""
    source = thread.community
    require_moderator(actor, source)
    _check_destination(actor, source, to)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    thread.community, thread.moved_from = to, source
    thread.save(update_fields=["community", "moved_from"])
    # Tags belong to a community; the new one has its own.
    thread.tags.clear()
    posts = Post.objects.filter(thread=thread)
    posts.update(community=to)
    PostRevision.objects.filter(post__in=posts).update(community=to)
    PostImage.objects.filter(post__in=posts).update(community=to)
    Reaction.objects.filter(post__in=posts).update(community=to)
    Flag.objects.filter(post__in=posts).update(community=to)
    ReadState.objects.filter(thread=thread).update(community=to)
    ThreadSubscription.objects.filter(thread=thread).update(community=to)
    for listener in hooks.thread_moved:
        listener(thread, to)
    log_action(
        actor,
        source,
        Action.MOVE,
        reason=_move_reason(required_reason(reason), to),
        signed=signed,
        thread=thread,
    )
    return thread


def _move_reason(reason: str, to: Community) -> str:
    # The log of a listed community never names a hidden one.
    if to.is_hidden:
        return reason
    return f"{reason} (moved to {to.name})"


def _check_destination(actor: User, source: Community, to: Community) -> None:
    if to.pk == source.pk or to.cluster_id is None:
        raise ValidationError({"to": "Choose a sibling community."})
    if to.cluster_id != source.cluster_id:
        raise ValidationError({"to": "A thread can only move within its cluster."})
    if not community_access.can_moderate(actor, to):
        raise ValidationError(
            {"to": "You can only move a thread to a community you moderate too."}
        )
    if (
        OPENNESS[Community.Visibility(to.visibility)]
        > OPENNESS[Community.Visibility(source.visibility)]
    ):
        raise ValidationError(
            {
                "to": "That community is more open than this one: people who "
                "could not read the thread would be able to."
            }
        )


def move_destinations(actor: User, community: Community) -> list[Community]:
    """The siblings a thread of `community` may move to, for the form."""
    if community.cluster_id is None:
        return []
    found = Community.objects.filter(
        cluster_id=community.cluster_id,
        memberships__user=actor,
        memberships__role__in=[Membership.Role.ORGANISER, Membership.Role.MODERATOR],
    ).exclude(pk=community.pk)
    most_open = OPENNESS[Community.Visibility(community.visibility)]
    return [
        sibling
        for sibling in found.order_by("name")
        if OPENNESS[Community.Visibility(sibling.visibility)] <= most_open
    ]


# Settings ----------------------------------------------------------------


@transaction.atomic
def set_hold_first_posts(
    actor: User, *, community: Community, count: int
) -> DiscussionSettings:
    """Organisers choose how many of a new member's first posts wait for a
    moderator (0: none)."""
    own = require_moderator(actor, community)
    if own.role != Membership.Role.ORGANISER:
        raise PermissionDenied("This is for the community's organisers.")
    if not 0 <= count <= MAX_HOLD_FIRST_POSTS:
        raise ValidationError(
            {"hold_first_posts": f"Choose between 0 and {MAX_HOLD_FIRST_POSTS}."}
        )
    found, _ = DiscussionSettings.objects.update_or_create(
        community=community, defaults={"hold_first_posts": count}
    )
    audit.record(actor, "discussions.settings", found, reason=f"hold {count}")
    return found
