"""A confirmed fork gets copies of the original's conversations: the words of
members who brought their posts along, placeholders for everyone else's,
and the original unchanged."""

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kinwell.accounts.models import User
from kinwell.communities.forks import services as fork_services
from kinwell.communities.models import Community
from kinwell.discussions import services
from kinwell.discussions.copier import (
    PLACEHOLDER_AUTHOR,
    PLACEHOLDER_BODY,
    PLACEHOLDER_TITLE,
)
from kinwell.discussions.models import Post, PostImage, Reaction, Thread
from kinwell.lib.markdown import render_markdown
from tests import factories
from tests.test_forks import end_notice, propose


def picture() -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(data, "PNG")
    return SimpleUploadedFile("p.png", data.getvalue(), content_type="image/png")


def snapshot(community: Community) -> list[tuple[Any, ...]]:
    posts = Post.objects.filter(community=community).order_by("pk")
    return list(
        posts.values_list(
            "pk", "thread_id", "number", "author_id", "body", "status", "in_reply_to"
        )
    )


def fork_of(community: Community, member: User, carer: User) -> Community:
    """Confirms a fork to which the member brings their posts and the carer
    does not (the carer joins all the same)."""
    proposal = propose(member, community, bring_posts=True)
    fork_services.choose_fork(carer, proposal=proposal, joins=True, bring_posts=False)
    end_notice(proposal)
    return fork_services.confirm_fork(member, proposal=proposal)


def test_fork_copies_threads_with_placeholders_and_the_original_is_unchanged(
    community: Community, organiser: User, member: User, carer: User
) -> None:
    tag = services.create_tag(organiser, community=community, name="Sleep")
    first = factories.make_thread(
        member,
        community,
        title="Sleep after a crash",
        body="Naps help me.",
        tags=[tag],
        images=[services.Attachment(file=picture(), alt_text="My notes")],
    )
    opening = first.posts.get(number=1)
    worry = services.reply(
        carer, thread=first, body="My own worry", in_reply_to=opening
    )
    services.reply(member, thread=first, body="I hear you", in_reply_to=worry)
    services.toggle_reaction(carer, post=opening, kind="thank_you")
    hidden = services.reply(member, thread=first, body="Oversharing")
    Post.objects.filter(pk=hidden.pk).update(status=Post.Status.HIDDEN)
    held = services.reply(member, thread=first, body="Not yet approved")
    Post.objects.filter(pk=held.pk).update(status=Post.Status.HELD)
    factories.make_thread(carer, community, title="The carer's own thread")
    held_thread = factories.make_thread(member, community, title="Held thread")
    Thread.objects.filter(pk=held_thread.pk).update(status=Thread.Status.HELD)
    before = snapshot(community)

    fork = fork_of(community, member, carer)

    assert snapshot(community) == before
    assert Thread.objects.filter(community=community).count() == 3
    copied = Thread.objects.filter(community=fork).order_by("pk")
    assert [t.title for t in copied] == ["Sleep after a crash", PLACEHOLDER_TITLE]
    mine, theirs = copied
    assert [t.slug for t in mine.tags.all()] == ["sleep"]
    assert mine.tags.get().community == fork
    assert (mine.author, theirs.author) == (member, None)
    posts = {post.number: post for post in mine.posts.all()}
    assert sorted(posts) == [1, 2, 3, 4]  # the held post stays behind
    assert (posts[1].author, posts[1].body) == (member, "Naps help me.")
    assert posts[1].body_html == opening.body_html
    placeholder = posts[2]
    assert (placeholder.author, placeholder.persona, placeholder.body) == (
        None,
        None,
        "",
    )
    assert placeholder.placeholder_author == PLACEHOLDER_AUTHOR
    assert placeholder.body_html == str(render_markdown(PLACEHOLDER_BODY))
    assert placeholder.in_reply_to == posts[1]
    assert posts[3].in_reply_to == posts[2]
    assert (posts[4].status, posts[4].body) == (Post.Status.HIDDEN, "")
    (image,) = PostImage.objects.filter(community=fork)
    assert (image.post, image.alt_text) == (posts[1], "My notes")
    assert not Reaction.objects.filter(community=fork).exists()
    (carer_opening,) = theirs.posts.all()
    assert (carer_opening.body, carer_opening.author) == ("", None)
    everything = "".join(
        Post.objects.filter(community=fork).values_list("body", flat=True)
    )
    assert "worry" not in everything
    assert "Oversharing" not in everything


def test_a_fork_without_conversations_copies_nothing(
    community: Community, member: User, carer: User
) -> None:
    fork = fork_of(community, member, carer)
    assert not Thread.objects.filter(community=fork).exists()


def test_replies_across_insert_batches_point_at_their_copies(
    community: Community, member: User, carer: User
) -> None:
    thread = factories.make_thread(member, community)
    factories.make_replies(member, thread, 4500)
    opening = thread.posts.get(number=1)
    Post.objects.filter(thread=thread, number__gt=1).update(in_reply_to=opening)
    fork = fork_of(community, member, carer)
    copies = Post.objects.filter(community=fork)
    assert copies.count() == 4501
    copied_opening = copies.get(number=1)
    assert copies.filter(in_reply_to=copied_opening).count() == 4500
    assert Post.objects.filter(community=community, in_reply_to=opening).count() == 4500
