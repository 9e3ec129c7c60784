"""What every moderator action shares: the check that the actor moderates
the community, the reason members will read, and the line in the log.

The audit record names no subject, because a member's "access to my data"
page would show the moderator's name to them even when the moderator did
not sign the log."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string

from kinwell.accounts import access as account_access
from kinwell.accounts.models import User
from kinwell.communities import access as community_access
from kinwell.communities.models import Community, Membership
from kinwell.discussions.models import ModerationAction, Post, Thread
from kinwell.lib import audit

MAX_REASON = 250


def require_moderator(actor: User, community: Community) -> Membership:
    membership = community_access.membership_of(actor, community)
    if membership is None or not membership.can_moderate:
        raise PermissionDenied("This is for the community's organisers and moderators.")
    account_access.require_mfa(actor)
    return membership


def required_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason: members read it in the log."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": "Keep the reason under 250 characters."})
    return reason


def log_action(
    actor: User,
    community: Community,
    action: str,
    *,
    reason: str = "",
    signed: bool = False,
    thread: Thread | None = None,
    post: Post | None = None,
    subject: User | None = None,
) -> ModerationAction:
    if post is not None and thread is None:
        thread = post.thread
    entry = ModerationAction.objects.create(
        community=community,
        action=action,
        reason=reason.strip()[:300],
        moderator=actor,
        signed=signed,
        thread=thread,
        post=post,
        subject=subject,
    )
    audit.record(actor, f"moderation.{action}", entry)
    return entry


def render_email(template: str, context: dict[str, object]) -> str:
    return render_to_string(
        f"discussions/moderation/email/{template}",
        {**context, "site_url": settings.SITE_URL},
    )
