"""The plain values each post of a thread page and each row of a thread list
shows, for kinwell.lib.fragments: the fragment templates see these dicts
and nothing else, so a dict is a complete cache key for its HTML."""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.timesince import timesince

from kinwell.discussions.bylines import byline_html, byline_of_row
from kinwell.discussions.models import Post, Reaction, Thread
from kinwell.lib.fragments import CSRF_PLACEHOLDER

REACTION_LABELS = dict(Reaction.Kind.choices)


def _when(moment: Any) -> dict[str, str]:
    local = timezone.localtime(moment)
    return {"iso": local.isoformat(), "text": dateformat.format(local, "j M Y, H:i")}


def _ago(moment: datetime) -> str:
    """How long ago, in Django's words ("3 days, 2 hours"), to the minute."""
    return _minutes_ago((timezone.now() - moment) // timedelta(minutes=1))


@lru_cache(maxsize=4096)
def _minutes_ago(minutes: int) -> str:
    # Saying it costs a tenth of a millisecond (translations, plurals), and a
    # list of 30 rows says it 30 times; each distinct number is said once.
    now = timezone.now()
    return timesince(now - timedelta(minutes=minutes), now)


def reactions_item(
    slug: str, post_pk: int, counts: dict[str, int], mine: set[str], can_react: bool
) -> dict[str, Any]:
    """A post's four reactions: buttons for members, counts for others."""
    return {
        "pk": post_pk,
        "slug": slug,
        "can_react": can_react,
        "csrf": CSRF_PLACEHOLDER,
        "reactions": [
            {
                "kind": kind,
                "label": label,
                "count": counts.get(kind, 0),
                "pressed": kind in mine,
            }
            for kind, label in REACTION_LABELS.items()
        ],
    }


def post_item(post: Post, view: dict[str, Any]) -> dict[str, Any]:
    """One post as this reader sees it. `view` holds what the page knows of
    the reader: slug, reactions and mine, is_member, can_reply,
    can_moderate, last_read, urgent_ids, page_count."""
    slug = view["slug"]
    own = getattr(post, "is_own", False)
    published = post.status == Post.Status.PUBLISHED
    show_text = post.status != Post.Status.DELETED and (
        post.status != Post.Status.HIDDEN or own or view["can_moderate"]
    )
    can_edit = getattr(post, "can_edit", False)
    item: dict[str, Any] = {
        "pk": post.pk,
        "slug": slug,
        "number": post.number,
        "byline": str(byline_html(post)),
        "created": _when(post.created_at),
        "edited": post.edited_at is not None,
        "history": can_edit or view["can_moderate"],
        "unread": bool(view["last_read"]) and post.number > view["last_read"],
        "status": post.status,
        "hidden_reason": post.hidden_reason,
        "show_text": show_text,
        "reply_to": _reply_to(post) if published else None,
    }
    if show_text:
        item |= _text(post, slug, view)
        item["actions"] = _actions(post, view, can_edit=can_edit, own=own)
    return item


def _reply_to(post: Post) -> dict[str, Any] | None:
    number = getattr(post, "reply_to_number", None)
    if post.in_reply_to_id is None or number is None:
        return None
    return {"number": number, "pk": post.in_reply_to_id}


def _text(post: Post, slug: str, view: dict[str, Any]) -> dict[str, Any]:
    published = post.status == Post.Status.PUBLISHED
    return {
        "body_html": post.body_html,
        "support": settings.KINWELL_SUPPORT_RESOURCES
        if post.pk in view["urgent_ids"]
        else None,
        "images": [
            {
                "pk": picture.pk,
                "alt": picture.alt_text,
                "width": picture.width,
                "height": picture.height,
            }
            for picture in post.images.all()
        ],
        "reactions": reactions_item(
            slug,
            post.pk,
            view["reactions"].get(post.pk, {}),
            view["mine"].get(post.pk, set()),
            view["can_reply"],
        )
        if published
        else None,
    }


def _actions(
    post: Post, view: dict[str, Any], *, can_edit: bool, own: bool
) -> dict[str, Any]:
    published = post.status == Post.Status.PUBLISHED
    member = view["is_member"] and published
    return {
        "quote_page": view["page_count"] if view["can_reply"] and published else 0,
        "who": member,
        "flag": member and not own,
        "edit": can_edit,
        # Its author may turn a post into a care story (not a carer who
        # wrote it for them: the story would be the member's to tell).
        "story": published and own and post.written_by_id is None,
    }


def thread_row(row: dict[str, Any], thread_url: Callable[[int], str]) -> dict[str, Any]:
    """One row of a community's thread list, as the reader sees it, from a
    row of kinwell.discussions.pages.thread_list."""
    replies = row["post_count"] - 1
    return {
        "url": thread_url(row["pk"]),
        "title": row["title"],
        "pinned": row["is_pinned"],
        "locked": row["is_locked"],
        "closed": row["is_closed"],
        "status": row["status"],
        "members_only": row["audience"] == Thread.Audience.MEMBERS,
        "content_warning": bool(row["content_warning"]),
        "new": row.get("is_new", False),
        "unread": row.get("unread", 0),
        "byline": str(byline_of_row(row, "opening__"))
        if row["opening__id"] is not None
        else "",
        "replies": f"{replies} repl{'y' if replies == 1 else 'ies'}",
        "last_iso": row["last_posted_at"].isoformat(),
        "last_ago": _ago(row["last_posted_at"]),
        "tags": row["tags"],
    }
