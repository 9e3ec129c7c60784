"""Copies a community's discussions into its fork (docs/forks.md).

The fork gets the original's tags and its published threads, each post in
its place and with its number, so every conversation keeps its shape. Only
members who chose to bring their posts along come with their words (and
their pictures); everyone else's post is a placeholder with no text, no
author and no attachments, and a thread they opened keeps a placeholder
title. Held posts stay behind (never published); hidden and deleted posts
stay placeholders saying so. Reactions, reading and watching, flags and
the moderation log stay with the original, which is read and never changed.

Rows are inserted in batches and only maps of ids are kept in memory, so a
community of 100,000 posts forks in a bounded amount of memory."""

from collections.abc import Iterable, Iterator

from django.db.models import Model, QuerySet

from kinwell.communities.archive.kinds import CHUNK_SIZE
from kinwell.communities.forks import copiers
from kinwell.communities.models import Community
from kinwell.discussions.models import Post, PostImage, Tag, Thread
from kinwell.lib.markdown import render_markdown

PLACEHOLDER_AUTHOR = "a member of the original community"
PLACEHOLDER_BODY = "*A post by a member who did not bring their posts along.*"
PLACEHOLDER_TITLE = (
    "A conversation started by a member who did not bring their posts along"
)


def _batches[M: Model](rows: Iterable[M]) -> Iterator[list[M]]:
    batch: list[M] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


@copiers.register
def copy_discussions(
    original: Community, fork: Community, consenting_user_ids: frozenset[int]
) -> None:
    tags = _copy_tags(original, fork)
    threads = _copy_threads(original, fork, consenting_user_ids, tags)
    posts = _copy_posts(original, fork, consenting_user_ids, threads)
    _link_replies(original, posts)
    _copy_images(original, fork, consenting_user_ids, posts)


def _copy_tags(original: Community, fork: Community) -> dict[int, int]:
    """Old tag pk -> new tag pk."""
    old = list(Tag.objects.filter(community=original).order_by("pk"))
    new = Tag.objects.bulk_create(
        Tag(community=fork, name=tag.name, slug=tag.slug, created_at=tag.created_at)
        for tag in old
    )
    return {before.pk: after.pk for before, after in zip(old, new, strict=True)}


def _copy_threads(
    original: Community,
    fork: Community,
    consenting: frozenset[int],
    tags: dict[int, int],
) -> dict[int, int]:
    """Old thread pk -> new thread pk, for the published threads."""
    rows = (
        Thread.objects.filter(community=original, status=Thread.Status.PUBLISHED)
        .order_by("pk")
        .prefetch_related("tags")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    copied: dict[int, int] = {}
    for batch in _batches(rows):
        new = Thread.objects.bulk_create(
            _thread_copy(thread, fork, consenting) for thread in batch
        )
        links = []
        for before, after in zip(batch, new, strict=True):
            copied[before.pk] = after.pk
            links += [
                Thread.tags.through(thread_id=after.pk, tag_id=tags[tag.pk])
                for tag in before.tags.all()
            ]
        Thread.tags.through.objects.bulk_create(links)
    return copied


def _thread_copy(thread: Thread, fork: Community, consenting: frozenset[int]) -> Thread:
    brought = thread.author_id in consenting
    return Thread(
        community=fork,
        title=thread.title if brought else PLACEHOLDER_TITLE,
        author_id=thread.author_id if brought else None,
        audience=thread.audience,
        content_warning=thread.content_warning,
        is_pinned=thread.is_pinned,
        is_locked=thread.is_locked,
        is_closed=thread.is_closed,
        post_count=thread.post_count,
        created_at=thread.created_at,
        last_posted_at=thread.last_posted_at,
        first_reply_at=thread.first_reply_at,
    )


def _copy_posts(
    original: Community,
    fork: Community,
    consenting: frozenset[int],
    threads: dict[int, int],
) -> dict[int, int]:
    """Old post pk -> new post pk."""
    rows = _copied_posts(original).order_by("pk").iterator(chunk_size=CHUNK_SIZE)
    placeholder_html = str(render_markdown(PLACEHOLDER_BODY))
    copied: dict[int, int] = {}
    for batch in _batches(rows):
        new = Post.objects.bulk_create(
            _post_copy(post, fork, consenting, threads, placeholder_html)
            for post in batch
        )
        copied.update(
            (before.pk, after.pk) for before, after in zip(batch, new, strict=True)
        )
    return copied


def _copied_posts(original: Community) -> "QuerySet[Post]":
    return Post.objects.filter(
        community=original, thread__status=Thread.Status.PUBLISHED
    ).exclude(status=Post.Status.HELD)


def _post_copy(
    post: Post,
    fork: Community,
    consenting: frozenset[int],
    threads: dict[int, int],
    placeholder_html: str,
) -> Post:
    copy = Post(
        community=fork,
        thread_id=threads[post.thread_id],
        number=post.number,
        status=post.status,
        created_at=post.created_at,
        edited_at=post.edited_at,
    )
    if post.status != Post.Status.PUBLISHED:
        copy.body = copy.body_html = ""  # hidden or deleted: the line says so
    elif post.author_id in consenting:
        copy.body, copy.body_html = post.body, post.body_html
    else:
        copy.body, copy.body_html = "", placeholder_html
    if post.author_id in consenting:
        copy.author_id, copy.persona_id = post.author_id, post.persona_id
        if post.written_by_id in consenting:
            copy.written_by_id = post.written_by_id
    else:
        copy.placeholder_author = PLACEHOLDER_AUTHOR
    return copy


def _link_replies(original: Community, posts: dict[int, int]) -> None:
    """Points each reply at the copy of the post it answers. Done after every
    post is in, since a reply may answer a post of the same batch."""
    replies = (
        _copied_posts(original)
        .filter(in_reply_to__isnull=False)
        .values_list("pk", "in_reply_to_id")
        .order_by("pk")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    links = (
        Post(pk=posts[pk], in_reply_to_id=posts[target])
        for pk, target in replies
        if target in posts
    )
    for batch in _batches(links):
        Post.objects.bulk_update(batch, ["in_reply_to"])


def _copy_images(
    original: Community,
    fork: Community,
    consenting: frozenset[int],
    posts: dict[int, int],
) -> None:
    """The pictures of the posts that came with their words. The copies share
    the original's re-encoded files, which nothing changes in place."""
    rows = (
        PostImage.objects.filter(
            community=original,
            post__thread__status=Thread.Status.PUBLISHED,
            post__status=Post.Status.PUBLISHED,
            post__author_id__in=consenting,
        )
        .order_by("pk")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    copies = (
        PostImage(
            post_id=posts[image.post_id],
            community=fork,
            image=image.image.name,
            alt_text=image.alt_text,
            width=image.width,
            height=image.height,
            created_at=image.created_at,
        )
        for image in rows
        if image.post_id in posts
    )
    for batch in _batches(copies):
        PostImage.objects.bulk_create(batch)
