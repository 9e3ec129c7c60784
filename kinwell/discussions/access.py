"""The only door to threads and posts.

Who may read a thread follows from the community (public: anyone; members
only and hidden: members), the thread's audience (members only), and its
state (a held or hidden thread is for its author and the moderators). Anyone
who may not read a thread gets Http404, so its existence leaks nowhere."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities import access as community_access
from kinwell.communities.models import MODERATING_ROLES, Community, Membership
from kinwell.discussions.models import (
    Post,
    PostImage,
    Reaction,
    Sanction,
    Tag,
    Thread,
)
from kinwell.lib.changes import remembered_until_changed


def _is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def membership(user: Any, community: Community) -> Membership | None:
    """The reader's membership, looked up once per community object: a
    thread page asks several times (may they read, post, moderate?)."""
    if not _is_signed_in(user):
        return None
    known: dict[int, Membership | None] = community.__dict__.setdefault(
        "_memberships_seen", {}
    )
    if user.pk not in known:
        # Asked on every page a member opens, so kept until anything changes
        # (a ban, a new role, leaving): the generation moves at each.
        known[user.pk] = remembered_until_changed(
            f"membership:{community.pk}:{user.pk}",
            lambda: _membership_with_sanction(user, community),
        )
    return known[user.pk]


def _membership_with_sanction(user: Any, community: Community) -> Membership | None:
    # Whether a suspension or ban is in force comes along: posting asks.
    return (
        Membership.objects.filter(community=community, user=user)
        .annotate(sanctioned=Exists(_sanctions_in_force(user, community)))
        .first()
    )


def is_moderator(user: Any, community: Community) -> bool:
    found = membership(user, community)
    return found is not None and found.can_moderate


def thread_filter(user: Any, community: Community) -> Q:
    """The threads of `community` that `user` may read, as a filter. The
    caller has checked that `user` may read the community's content."""
    found = membership(user, community)
    if found is not None and found.can_moderate:
        return Q(community=community)
    shown = Q(community=community, status=Thread.Status.PUBLISHED)
    if found is None:
        shown &= Q(audience=Thread.Audience.EVERYONE)
        return shown
    return shown | Q(community=community, author=user, status=Thread.Status.HELD)


def readers_of(thread: Thread, user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` may read `thread`: the rule of visible_threads,
    for many readers at once, in one query at most (telling the watchers of
    a long thread must not ask for each of them)."""
    ids = set(user_ids)
    community = thread.community
    published = thread.status == Thread.Status.PUBLISHED
    open_to_all = (
        community.visibility == Community.Visibility.PUBLIC
        and thread.audience == Thread.Audience.EVERYONE
    )
    if published and open_to_all:
        return ids
    roles = dict(
        Membership.objects.filter(community=community, user_id__in=ids).values_list(
            "user_id", "role"
        )
    )
    if published:
        return set(roles)
    readers = {user_id for user_id, role in roles.items() if role in MODERATING_ROLES}
    if thread.status == Thread.Status.HELD and thread.author_id in roles:
        readers.add(thread.author_id)
    return readers


def can_read(user: Any, community: Community) -> bool:
    """Public communities are read by anyone; the others by members only."""
    if community.visibility == Community.Visibility.PUBLIC:
        return True
    return membership(user, community) is not None


def visible_threads(user: Any, community: Community) -> QuerySet[Thread]:
    """The thread list of `community` for `user`: nothing if they may not
    read it."""
    if not can_read(user, community):
        return Thread.objects.none()
    return Thread.objects.filter(thread_filter(user, community))


def readable_posts_filter(user: Any, *, via: str = "") -> Q:
    """The posts `user` may read in every community at once, as a filter on
    a query that reaches a post through `via` ("" on posts themselves,
    "post__" on rows that point at one): published posts of published
    threads; in a public community those of threads for everyone, and all of
    them in the communities `user` belongs to. The rule of visible_threads
    and visible_posts for a reader who does not moderate, for whole lists
    (search, notifications) in one query."""
    shown = Q(
        **{
            f"{via}status": Post.Status.PUBLISHED,
            f"{via}thread__status": Thread.Status.PUBLISHED,
        }
    )
    open_to_all = Q(
        **{
            f"{via}community__visibility": Community.Visibility.PUBLIC,
            f"{via}thread__audience": Thread.Audience.EVERYONE,
        }
    )
    if not _is_signed_in(user):
        return shown & open_to_all
    member_of = Membership.objects.filter(user=user).values("community_id")
    return shown & (open_to_all | Q(**{f"{via}community_id__in": member_of}))


def get_thread_for_user(user: Any, slug: str, thread_id: int) -> Thread:
    community = community_access.get_community_for_user(
        user, slug, with_relations=False
    )
    thread = get_object_or_404(visible_threads(user, community), pk=thread_id)
    # The same community object, so what was learnt about the reader's
    # membership is not asked again.
    thread.community = community
    return thread


def visible_posts(user: Any, thread: Thread) -> QuerySet[Post]:
    """Every numbered post of a readable thread. Held posts are in it only
    for their author and moderators; hidden and deleted ones are in it for
    everyone, shown as a line saying so (the numbering stays whole)."""
    posts = Post.objects.filter(thread=thread)
    if is_moderator(user, thread.community):
        return posts
    if not _is_signed_in(user):
        return posts.exclude(status=Post.Status.HELD)
    return posts.exclude(Q(status=Post.Status.HELD) & ~Q(author=user))


def get_post_for_user(user: Any, slug: str, post_id: int) -> Post:
    community = community_access.get_community_for_user(user, slug)
    post = get_object_or_404(
        Post.objects.select_related("thread", "community"),
        pk=post_id,
        community=community,
    )
    thread = get_thread_for_user(user, slug, post.thread_id)
    if not visible_posts(user, thread).filter(pk=post.pk).exists():
        raise Http404("No such post")
    post.thread = thread
    return post


def _sanctions_in_force(user: User, community: Community) -> QuerySet[Sanction]:
    return Sanction.objects.filter(
        community=community,
        user=user,
        kind__in=[Sanction.Kind.SUSPENSION, Sanction.Kind.BAN],
        lifted_at__isnull=True,
    ).filter(Q(until__isnull=True) | Q(until__gt=timezone.now()))


def sanction_in_force(user: User, community: Community) -> Sanction | None:
    return _sanctions_in_force(user, community).order_by("-created_at").first()


def require_may_post(user: User, community: Community) -> Membership:
    """Members post; suspended and banned members do not, until it ends."""
    found = membership(user, community)
    if found is None:
        raise PermissionDenied("Only members of the community can post in it.")
    if getattr(found, "sanctioned", True):
        sanction = sanction_in_force(user, community)
        if sanction is not None:
            raise PermissionDenied(_sanction_message(sanction))
    return found


def _sanction_message(sanction: Sanction) -> str:
    if sanction.kind == Sanction.Kind.BAN:
        return "You have been banned from posting in this community."
    until = timezone.localtime(sanction.until).strftime("%-d %B %Y, %H:%M")
    return f"You are suspended from posting in this community until {until}."


def can_post(user: Any, community: Community) -> bool:
    if not _is_signed_in(user):
        return False
    try:
        require_may_post(user, community)
    except PermissionDenied:
        return False
    return True


def can_reply(user: Any, thread: Thread) -> bool:
    if not thread.accepts_replies or thread.status != Thread.Status.PUBLISHED:
        return False
    return can_post(user, thread.community)


def can_edit(user: Any, post: Post) -> bool:
    """Authors edit and delete their own posts while they are not hidden.
    (A carer edits what they wrote for someone.)"""
    if not _is_signed_in(user) or post.status in (
        Post.Status.HIDDEN,
        Post.Status.DELETED,
    ):
        return False
    return user.pk in (post.author_id, post.written_by_id)


def can_see_history(user: Any, post: Post) -> bool:
    return can_edit(user, post) or is_moderator(user, post.community)


def tags_of(community: Community) -> QuerySet[Tag]:
    return Tag.objects.filter(community=community).order_by("name")


def get_tag(community: Community, slug: str) -> Tag:
    return get_object_or_404(Tag, community=community, slug=slug)


def who_reacted(post: Post) -> QuerySet[Reaction]:
    """Who reacted to a post, for readers who may see the post (members can
    see who reacted; the people are shown by their personal name only)."""
    return (
        Reaction.objects.filter(post=post)
        .select_related("user")
        .order_by("kind", "created_at")
    )


def get_image_for_user(user: Any, slug: str, image_id: int) -> PostImage:
    """A post's picture, for whoever may read the post."""
    community = community_access.get_community_for_user(user, slug)
    picture = get_object_or_404(
        PostImage.objects.select_related("post"), pk=image_id, community=community
    )
    post = get_post_for_user(user, slug, picture.post_id)
    if post.status != Post.Status.PUBLISHED and not can_see_history(user, post):
        raise Http404("No such picture")
    return picture
