"""Every change to threads and posts, reactions, reading and watching, and
tags. Shared by the web views, the API, the demo data and the moderation
services.

A new post takes the next number in its thread under a row lock on the
thread, so two replies at once never share a number."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import slugify

from kinwell.accounts import access as account_access
from kinwell.accounts.models import Delegation, Persona, User
from kinwell.communities.models import Community, Departure, Membership
from kinwell.discussions import access, hooks
from kinwell.discussions.models import (
    CommunityVisit,
    DiscussionSettings,
    Post,
    PostImage,
    PostRevision,
    Reaction,
    ReadState,
    Tag,
    TagFollow,
    Thread,
    ThreadSubscription,
)
from kinwell.lib import audit, images, ratelimit
from kinwell.lib.markdown import render_markdown

if TYPE_CHECKING:
    from kinwell.discussions.pages import ThreadPage

MAX_IMAGES = 4
MAX_IMAGE_BYTES = 8 * images.MEGABYTE
IMAGE_SIZE = (1600, 1600)
MAX_TAGS = 5
POSTS_PER_TEN_MINUTES = 20
REACTIONS_PER_MINUTE = 60
# A visit to a thread list within this time of the last one is the same
# visit: "new since your last visit" should not reset on every click.
VISIT_GAP = timedelta(hours=1)


@dataclass(frozen=True)
class Attachment:
    file: Any
    alt_text: str = ""


@dataclass(frozen=True)
class Voice:
    """Who a post is by: the member it belongs to, the persona it shows,
    and the carer who wrote it for them, if one did."""

    author: User
    persona: Persona
    written_by: User | None = None


def cook(body: str) -> str:
    return str(render_markdown(body))


def announce(post: Post) -> None:
    """Tells the people who follow along. Listeners run inside the writing
    transaction, so what they record (a task in the database queue) commits
    with the post, in the same turn of SQLite's single writer."""
    for listener in hooks.post_published:
        listener(post.pk)


# Writing -------------------------------------------------------------------


def start_thread(
    actor: User,
    *,
    community: Community,
    title: str,
    body: str,
    persona: Persona | None = None,
    on_behalf_of: Delegation | None = None,
    tags: Iterable[Tag] = (),
    audience: str = Thread.Audience.EVERYONE,
    content_warning: str = "",
    images: Sequence[Attachment] = (),
) -> Thread:
    """A new thread with its opening post. A new member's first posts may
    wait for a moderator (the community's discussion settings say how many)."""
    voice = _voice(actor, community, persona, on_behalf_of)
    _limit_posting(actor)
    tags = _own_tags(community, tags)
    title = _clean_title(title)
    draft = _draft(body, images)
    if audience not in Thread.Audience.values:
        raise ValidationError({"audience": "Choose who can read the thread."})
    status = _first_status(voice.author, community)
    with transaction.atomic():
        now = timezone.now()
        thread = Thread.objects.create(
            community=community,
            title=title,
            author=voice.author,
            audience=audience,
            content_warning=content_warning.strip()[:200],
            status=status,
            post_count=1,
            created_at=now,
            last_posted_at=now,
        )
        thread.tags.set(tags)
        post = _write_post(thread, voice, draft, number=1, status=status)
        _watch(voice.author, thread)
        audit.record(actor, "thread.start", thread, subject=voice.author)
        if status == Post.Status.PUBLISHED:
            announce(post)
    return thread


def reply(
    actor: User,
    *,
    thread: Thread,
    body: str,
    persona: Persona | None = None,
    on_behalf_of: Delegation | None = None,
    in_reply_to: Post | None = None,
    images: Sequence[Attachment] = (),
) -> Post:
    voice = _voice(actor, thread.community, persona, on_behalf_of)
    _require_open(thread)
    _limit_posting(actor)
    draft = _draft(body, images)
    if in_reply_to is not None and in_reply_to.thread_id != thread.pk:
        raise ValidationError("You can only reply to a post in the same thread.")
    status = _first_status(voice.author, thread.community)
    with transaction.atomic():
        # Read again under the lock: the number, and a lock or closure that
        # came in meanwhile.
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        _require_open(thread)
        number = thread.post_count + 1
        post = _write_post(
            thread, voice, draft, number=number, status=status, in_reply_to=in_reply_to
        )
        thread.post_count = number
        fields = ["post_count"]
        if status == Post.Status.PUBLISHED:
            fields += note_published_reply(thread, post)
        thread.save(update_fields=fields)
        _watch(voice.author, thread)
        audit.record(actor, "post.reply", post, subject=voice.author)
        if status == Post.Status.PUBLISHED:
            announce(post)
    return post


def _require_open(thread: Thread) -> None:
    if not thread.accepts_replies or thread.status != Thread.Status.PUBLISHED:
        raise PermissionDenied("This thread is not taking replies.")


def note_published_reply(thread: Thread, post: Post) -> list[str]:
    """Bumps the thread for a reply that has become visible; returns the
    fields changed, for the caller's save. (Moderation calls this too, when
    it approves a held reply.)"""
    thread.last_posted_at = max(thread.last_posted_at, post.created_at)
    fields = ["last_posted_at"]
    if thread.first_reply_at is None and post.author_id != thread.author_id:
        thread.first_reply_at = post.created_at
        fields.append("first_reply_at")
    return fields


@transaction.atomic
def edit_post(actor: User, *, post: Post, body: str, title: str = "") -> Post:
    """The author changes their post; the old text goes to its history,
    which the author and the moderators can see."""
    if not access.can_edit(actor, post):
        raise PermissionDenied("Only the author can edit this post.")
    _limit_posting(actor)
    body = _clean_body(body)
    if title and post.is_opening:
        post.thread.title = _clean_title(title)
        post.thread.save(update_fields=["title"])
    if body != post.body:
        PostRevision.objects.create(
            post=post, community_id=post.community_id, body=post.body, edited_by=actor
        )
        post.body, post.body_html = body, cook(body)
        post.edited_at = timezone.now()
        post.save(update_fields=["body", "body_html", "edited_at"])
    audit.record(actor, "post.edit", post, subject=post.author)
    return post


@transaction.atomic
def delete_post(actor: User, *, post: Post) -> Post:
    """The author deletes their post: its words, history and pictures go, and
    the thread shows "deleted by the author" in its place."""
    if not access.can_edit(actor, post):
        raise PermissionDenied("Only the author can delete this post.")
    _erase(post)
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(status=Thread.Status.DELETED)
    audit.record(actor, "post.delete", post, subject=post.author)
    return post


def _erase(post: Post) -> None:
    post.revisions.all().delete()
    for picture in post.images.all():
        picture.image.delete(save=False)
        picture.delete()
    post.status = Post.Status.DELETED
    post.body = post.body_html = ""
    post.save(update_fields=["status", "body", "body_html"])


def take_away_posts(departure: Departure) -> None:
    """A member left and chose to take their posts with them."""
    if departure.keep_posts:
        return
    posts = Post.objects.filter(
        community_id=departure.community_id, author_id=departure.user_id
    ).exclude(status=Post.Status.DELETED)
    for post in posts.iterator(chunk_size=500):
        _erase(post)
    Thread.objects.filter(
        community_id=departure.community_id,
        author_id=departure.user_id,
        posts__number=1,
        posts__status=Post.Status.DELETED,
    ).update(status=Thread.Status.DELETED)


# Who is speaking ------------------------------------------------------------


def _voice(
    actor: User,
    community: Community,
    persona: Persona | None,
    on_behalf_of: Delegation | None,
) -> Voice:
    """A carer posting for a member speaks as the member's personal persona;
    anyone else as their own persona of choice (professional ones need
    two-factor authentication)."""
    if on_behalf_of is not None:
        delegation = _active_delegation(actor, on_behalf_of)
        member = delegation.member
        access.require_may_post(member, community)
        personal = Persona.objects.get(user=member, kind=Persona.Kind.PERSONAL)
        return Voice(author=member, persona=personal, written_by=actor)
    access.require_may_post(actor, community)
    public_id = persona.public_id if persona is not None else None
    return Voice(
        author=actor, persona=account_access.get_posting_persona(actor, public_id)
    )


def _active_delegation(actor: User, delegation: Delegation) -> Delegation:
    found = account_access.get_active_delegation(actor, delegation.pk)
    if found is None or not found.allows(Delegation.Scope.POST):
        raise PermissionDenied("You are not able to post for this person.")
    return found


def _first_status(author: User, community: Community) -> str:
    """Held while a plain member has fewer approved posts here than the
    community's hold count; organisers and moderators are never held."""
    hold = (
        DiscussionSettings.objects.filter(community=community)
        .values_list("hold_first_posts", flat=True)
        .first()
    )
    if not hold:
        return Post.Status.PUBLISHED
    membership = Membership.objects.get(community=community, user=author)
    if membership.can_moderate:
        return Post.Status.PUBLISHED
    published = Post.objects.filter(
        community=community, author=author, status=Post.Status.PUBLISHED
    ).count()
    return Post.Status.PUBLISHED if published >= hold else Post.Status.HELD


@dataclass(frozen=True)
class Picture:
    file: Any
    alt_text: str
    width: int
    height: int


@dataclass(frozen=True)
class Draft:
    """A post's text, cooked, and its pictures, re-encoded: made ready before
    the writing transaction, because SQLite lets one writer in at a time and
    nobody should wait while another post's Markdown or pictures are done."""

    body: str
    body_html: str
    pictures: list[Picture]


def _draft(body: str, attachments: Sequence[Attachment]) -> Draft:
    body = _clean_body(body)
    return Draft(body=body, body_html=cook(body), pictures=_reencode(attachments))


def _reencode(attachments: Sequence[Attachment]) -> list[Picture]:
    if len(attachments) > MAX_IMAGES:
        raise ValidationError({"images": f"Attach at most {MAX_IMAGES} pictures."})
    pictures = []
    for attachment in attachments:
        picture, (width, height) = images.reencoded(
            attachment.file,
            field="images",
            max_bytes=MAX_IMAGE_BYTES,
            max_size=IMAGE_SIZE,
        )
        alt_text = attachment.alt_text.strip()[:300]
        pictures.append(Picture(picture, alt_text, width, height))
    return pictures


def _write_post(
    thread: Thread,
    voice: Voice,
    draft: Draft,
    *,
    number: int,
    status: str,
    in_reply_to: Post | None = None,
) -> Post:
    post = Post.objects.create(
        community_id=thread.community_id,
        thread=thread,
        number=number,
        author=voice.author,
        persona=voice.persona,
        written_by=voice.written_by,
        body=draft.body,
        body_html=draft.body_html,
        in_reply_to=in_reply_to,
        status=status,
    )
    for picture in draft.pictures:
        PostImage.objects.create(
            post=post,
            community_id=post.community_id,
            image=picture.file,
            alt_text=picture.alt_text,
            width=picture.width,
            height=picture.height,
        )
    return post


def _limit_posting(actor: User) -> None:
    ratelimit.check("post", actor.pk, limit=POSTS_PER_TEN_MINUTES, period=600)


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": "Give the thread a title."})
    if len(title) > 200:
        raise ValidationError({"title": "Keep the title under 200 characters."})
    return title


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > 20000:
        raise ValidationError({"body": "Keep a post under 20,000 characters."})
    return body


def _own_tags(community: Community, tags: Iterable[Tag]) -> list[Tag]:
    chosen = list(tags)
    if len(chosen) > MAX_TAGS:
        raise ValidationError({"tags": f"Choose at most {MAX_TAGS} tags."})
    if any(tag.community_id != community.pk for tag in chosen):
        raise ValidationError({"tags": "Choose tags of this community."})
    return chosen


# Small steps ---------------------------------------------------------------


def toggle_reaction(actor: User, *, post: Post, kind: str) -> bool:
    """Adds the reaction, or takes it back if it was there; True if it is
    there now. Members react to other people's visible posts. (The checks
    come before the writing transaction, which holds SQLite's one writer.)"""
    if kind not in Reaction.Kind.values:
        raise ValidationError({"kind": "Choose one of the reactions."})
    access.require_may_post(actor, post.community)
    if post.status != Post.Status.PUBLISHED:
        raise PermissionDenied("You can react to published posts only.")
    if actor.pk in (post.author_id, post.written_by_id):
        raise ValidationError("You cannot react to your own post.")
    ratelimit.check("react", actor.pk, limit=REACTIONS_PER_MINUTE, period=60)
    with transaction.atomic():
        mine = Reaction.objects.filter(post=post, user=actor, kind=kind)
        taken_back, _ = mine.delete()
        if taken_back:
            return False
        Reaction.objects.create(
            post=post, community_id=post.community_id, user=actor, kind=kind
        )
    return True


def mark_page_read(actor: User, page: "ThreadPage") -> None:
    """The reader has seen `page` of a thread: how far they have read moves
    on, if the page takes them further."""
    if page.last_number_shown > page.last_read:
        mark_read(
            actor,
            thread=page.thread,
            up_to=page.last_number_shown,
            first_reading=not page.read_before,
        )


def mark_read(
    actor: User, *, thread: Thread, up_to: int, first_reading: bool = False
) -> None:
    """Remembers how far `actor` has read; never moves backwards. One query
    once the reader has a row; two for a `first_reading` (as the caller
    found), which makes the row first."""
    up_to = max(0, min(up_to, thread.post_count))
    if not first_reading and _move_read_marker(actor, thread, up_to):
        return
    # Another request of the same reader may make the row first: then this
    # one is ignored, and the marker moves on from theirs.
    ReadState.objects.bulk_create(
        [
            ReadState(
                user=actor,
                thread=thread,
                community_id=thread.community_id,
                last_read_number=up_to,
            )
        ],
        ignore_conflicts=True,
    )
    _move_read_marker(actor, thread, up_to)


def _move_read_marker(actor: User, thread: Thread, up_to: int) -> bool:
    moved = ReadState.objects.filter(user=actor, thread=thread).update(
        last_read_number=Greatest(F("last_read_number"), Value(up_to)),
        read_at=timezone.now(),
    )
    return bool(moved)


def record_visit(actor: User, *, community: Community) -> CommunityVisit:
    """The thread list was opened. The visit before this one (at least
    VISIT_GAP ago) is what "new since your last visit" compares with."""
    now = timezone.now()
    visit, created = CommunityVisit.objects.get_or_create(
        user=actor, community=community, defaults={"visited_at": now}
    )
    if not created and now - visit.visited_at >= VISIT_GAP:
        visit.previous_visit_at = visit.visited_at
        visit.visited_at = now
        visit.save(update_fields=["previous_visit_at", "visited_at"])
    return visit


def set_subscription(actor: User, *, thread: Thread, level: str | None) -> None:
    """Watch or mute a thread, or go back to the default (None)."""
    if level is None:
        ThreadSubscription.objects.filter(user=actor, thread=thread).delete()
        return
    if level not in ThreadSubscription.Level.values:
        raise ValidationError({"level": "Choose to watch or to mute."})
    ThreadSubscription.objects.update_or_create(
        user=actor,
        thread=thread,
        defaults={"level": level, "community_id": thread.community_id},
    )


def _watch(author: User, thread: Thread) -> None:
    """People watch the threads they start or reply in, unless they muted."""
    ThreadSubscription.objects.get_or_create(
        user=author,
        thread=thread,
        defaults={
            "level": ThreadSubscription.Level.WATCHING,
            "community_id": thread.community_id,
        },
    )


def follow_tag(actor: User, *, tag: Tag, follow: bool) -> None:
    if follow:
        TagFollow.objects.get_or_create(
            user=actor, tag=tag, defaults={"community_id": tag.community_id}
        )
    else:
        TagFollow.objects.filter(user=actor, tag=tag).delete()


# Tags -------------------------------------------------------------------------


@transaction.atomic
def create_tag(actor: User, *, community: Community, name: str) -> Tag:
    """Organisers and moderators choose the community's tags."""
    _require_moderator(actor, community)
    name = " ".join(name.split())[:40]
    slug = slugify(name)[:40]
    if not slug:
        raise ValidationError({"name": "Give the tag a name with letters in it."})
    if Tag.objects.filter(community=community, slug=slug).exists():
        raise ValidationError({"name": "The community already has this tag."})
    tag = Tag.objects.create(community=community, name=name, slug=slug)
    audit.record(actor, "tag.create", tag)
    return tag


@transaction.atomic
def delete_tag(actor: User, *, tag: Tag) -> None:
    _require_moderator(actor, tag.community)
    audit.record(actor, "tag.delete", tag)
    tag.delete()


def _require_moderator(actor: User, community: Community) -> None:
    if not access.is_moderator(actor, community):
        raise PermissionDenied("This is for the community's organisers and moderators.")
    account_access.require_mfa(actor)
