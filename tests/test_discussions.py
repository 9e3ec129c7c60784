"""Threads and posts: reading, writing, editing, deleting, personas and
carers, audiences, held posts, pictures, reactions, unread markers and
paging of long threads and long lists."""

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from kinwell.accounts.models import Delegation, Persona, User
from kinwell.communities import services as community_services
from kinwell.communities.models import Community
from kinwell.discussions import access, services
from kinwell.discussions.models import (
    DiscussionSettings,
    Post,
    PostImage,
    Reaction,
    Sanction,
    Thread,
)
from tests import factories
from tests.helpers import assert_bounded_queries, count_queries

Clients = Callable[[User], Client]


def thread_url(thread: Thread, query: str = "") -> str:
    return thread.get_absolute_url() + query


# Reading ----------------------------------------------------------------------


def test_visitor_reads_a_public_thread(
    community: Community, member: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(member, community, body="Rest **helps**.")
    page = visitor_client.get(thread_url(thread))
    assert page.status_code == 200
    assert b"Pacing on bad days" in page.content
    assert b"<strong>helps</strong>" in page.content
    listing = visitor_client.get(f"/c/{community.slug}/threads/")
    assert b"Pacing on bad days" in listing.content


def test_outsider_of_a_hidden_community_gets_404_everywhere(
    hidden_community: Community, member: User, outsider: User, client_for: Clients
) -> None:
    thread = factories.make_thread(member, hidden_community)
    post = thread.posts.get()
    client = client_for(outsider)
    for url in (
        f"/c/{hidden_community.slug}/threads/",
        thread_url(thread),
        f"/c/{hidden_community.slug}/p/{post.pk}/",
        f"/c/{hidden_community.slug}/p/{post.pk}/history",
        f"/c/{hidden_community.slug}/threads/new",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(thread_url(thread) + "reply", {"body": "hi"}).status_code == 404
    assert Post.objects.count() == 1


def test_members_only_community_is_closed_to_outsiders(
    organiser: User, member: User, outsider: User, client_for: Clients
) -> None:
    closed = factories.make_community(
        organiser, visibility="members", members=(member,)
    )
    thread = factories.make_thread(member, closed)
    client = client_for(outsider)
    assert client.get(f"/c/{closed.slug}/threads/").status_code == 403
    assert client.get(thread_url(thread)).status_code == 404
    assert client_for(member).get(thread_url(thread)).status_code == 200


def test_members_only_thread_in_a_public_community(
    community: Community,
    member: User,
    outsider: User,
    visitor_client: Client,
    client_for: Clients,
) -> None:
    thread = factories.make_thread(
        member, community, title="Just between us", audience="members"
    )
    for client in (visitor_client, client_for(outsider)):
        assert client.get(thread_url(thread)).status_code == 404
        listing = client.get(f"/c/{community.slug}/threads/")
        assert b"Just between us" not in listing.content
    assert (
        b"Just between us"
        in client_for(member).get(f"/c/{community.slug}/threads/").content
    )


# Writing ----------------------------------------------------------------------


def test_member_starts_a_thread_and_others_reply_with_a_quote(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    client = client_for(member)
    response = client.post(
        f"/c/{community.slug}/threads/new",
        {
            "title": "Brain fog at work",
            "body": "How do you explain it to a manager?",
            "audience": "everyone",
        },
    )
    thread = Thread.objects.get(title="Brain fog at work")
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    opening = thread.posts.get()
    quoting = client_for(moderator).get(thread_url(thread, f"?quote={opening.pk}"))
    assert b"&gt; How do you explain it to a manager?" in quoting.content
    client_for(moderator).post(
        thread_url(thread) + "reply",
        {
            "body": "> How do you explain it\n\nWith a letter.",
            "in_reply_to": opening.pk,
        },
    )
    answer = thread.posts.get(number=2)
    assert answer.in_reply_to == opening
    assert answer.author == moderator
    page = client.get(thread_url(thread, "?page=1"))
    assert b"In reply to" in page.content
    thread.refresh_from_db()
    assert thread.post_count == 2
    assert thread.first_reply_at == answer.created_at


def test_bad_input_changes_nothing(
    community: Community, member: User, client_for: Clients
) -> None:
    client = client_for(member)
    page = client.post(f"/c/{community.slug}/threads/new", {"title": "   ", "body": ""})
    assert page.status_code == 200
    assert b"Give the thread a title." in page.content
    assert b"Write something first." in page.content
    assert not Thread.objects.exists()


def test_preview_renders_without_saving(
    community: Community, member: User, client_for: Clients
) -> None:
    client = client_for(member)
    htmx = client.post(
        f"/c/{community.slug}/preview",
        {"body": "*gentle* <script>alert(1)</script>"},
        HTTP_HX_REQUEST="true",
    )
    assert b"<em>gentle</em>" in htmx.content
    assert b"<script>" not in htmx.content
    plain = client.post(
        f"/c/{community.slug}/threads/new",
        {"title": "Draft", "body": "*gentle*", "preview": "1"},
    )
    assert b"<em>gentle</em>" in plain.content
    assert not Thread.objects.exists()


def test_outsider_cannot_post(
    community: Community, outsider: User, member: User
) -> None:
    thread = factories.make_thread(member, community)
    with pytest.raises(PermissionDenied):
        services.reply(outsider, thread=thread, body="Hello")
    with pytest.raises(PermissionDenied):
        factories.make_thread(outsider, community)


def test_locked_thread_takes_no_replies(community: Community, member: User) -> None:
    thread = factories.make_thread(member, community)
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    with pytest.raises(PermissionDenied):
        services.reply(member, thread=thread, body="Still here")


def test_suspended_and_banned_members_cannot_post_until_it_ends(
    community: Community, member: User, moderator: User
) -> None:
    thread = factories.make_thread(moderator, community)
    suspension = Sanction.objects.create(
        community=community,
        user=member,
        kind=Sanction.Kind.SUSPENSION,
        reason="Cooling off",
        until=timezone.now() + timedelta(days=2),
    )
    with pytest.raises(PermissionDenied, match="suspended"):
        services.reply(member, thread=thread, body="Hello")
    suspension.until = timezone.now() - timedelta(minutes=1)
    suspension.save()
    services.reply(member, thread=thread, body="I'm back")
    Sanction.objects.create(
        community=community, user=member, kind=Sanction.Kind.BAN, reason="Spam"
    )
    with pytest.raises(PermissionDenied, match="banned"):
        services.reply(member, thread=thread, body="Hello again")


def test_posting_is_rate_limited_with_a_clear_page(
    community: Community, member: User, client_for: Clients
) -> None:
    thread = factories.make_thread(member, community)
    client = client_for(member)
    answers = [
        client.post(thread_url(thread) + "reply", {"body": f"Note {n}"}).status_code
        for n in range(services.POSTS_PER_TEN_MINUTES + 1)
    ]
    assert answers[-1] == 429
    assert answers.count(429) == 2  # the thread itself used one of the budget
    assert thread.posts.count() == services.POSTS_PER_TEN_MINUTES


# Personas and carers ------------------------------------------------------------


def test_anonymous_professional_persona_hides_the_account(
    community: Community, client_for: Clients, visitor_client: Client
) -> None:
    clinician = factories.make_verified_clinician("Dr Canary Realname")
    community_services.join_community(clinician, community=community)
    anonymous = Persona.objects.get(
        user=clinician, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL
    )
    thread = factories.make_thread(
        clinician, community, title="Ask a nurse", persona=anonymous
    )
    page = visitor_client.get(thread_url(thread))
    assert b"Verified nurse" in page.content
    assert b"Canary" not in page.content
    assert b"Realname" not in page.content


def test_professional_persona_needs_two_factor(community: Community) -> None:
    clinician = factories.make_verified_clinician()
    community_services.join_community(clinician, community=community)
    named = Persona.objects.get(user=clinician, kind=Persona.Kind.PROFESSIONAL)
    Authenticator.objects.filter(user=clinician).delete()
    with pytest.raises(PermissionDenied):
        factories.make_thread(clinician, community, persona=named)


def test_carer_posts_for_the_member_they_care_for(
    community: Community, member: User, carer: User, client_for: Clients
) -> None:
    delegation = Delegation.objects.get(carer=carer, member=member)
    client = client_for(carer)
    form = client.get(f"/c/{community.slug}/threads/new")
    assert b"Mo Member, as their carer" in form.content
    client.post(
        f"/c/{community.slug}/threads/new",
        {
            "title": "Mum's new medication",
            "body": "Writing this for Mo.",
            "audience": "everyone",
            "on_behalf_of": delegation.pk,
        },
    )
    post = Post.objects.get()
    assert post.author == member
    assert post.written_by == carer
    page = client.get(post.thread.get_absolute_url())
    assert b"Mo Member" in page.content
    assert b"written by Cass Carer as their carer" in page.content


def test_revoked_delegation_stops_posting_for(
    community: Community, member: User, carer: User
) -> None:
    delegation = Delegation.objects.get(carer=carer, member=member)
    from kinwell.accounts import services as account_services

    account_services.revoke_delegation(member, delegation=delegation)
    with pytest.raises(PermissionDenied):
        factories.make_thread(carer, community, on_behalf_of=delegation)


# Editing and deleting -----------------------------------------------------------


def test_author_edits_and_history_is_for_author_and_moderators(
    community: Community,
    member: User,
    moderator: User,
    outsider: User,
    client_for: Clients,
) -> None:
    thread = factories.make_thread(member, community, body="First words")
    post = thread.posts.get()
    client = client_for(member)
    client.post(
        f"/c/{community.slug}/p/{post.pk}/edit",
        {"body": "Better words", "title": "Pacing, again"},
    )
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.body == "Better words"
    assert post.edited_at is not None
    assert thread.title == "Pacing, again"
    page = client_for(outsider).get(thread_url(thread))
    assert b"edited" in page.content
    history = f"/c/{community.slug}/p/{post.pk}/history"
    assert b"First words" in client.get(history).content
    assert b"First words" in client_for(moderator).get(history).content
    assert client_for(outsider).get(history).status_code == 403
    assert (
        client_for(outsider)
        .post(f"/c/{community.slug}/p/{post.pk}/edit", {"body": "Vandal"})
        .status_code
        == 403
    )
    post.refresh_from_db()
    assert post.body == "Better words"


def test_author_deletes_a_post_and_its_words_are_gone(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    thread = factories.make_thread(moderator, community)
    mine = services.reply(member, thread=thread, body="Something I regret")
    services.edit_post(member, post=mine, body="Something I regret more")
    response = client_for(member).post(f"/c/{community.slug}/p/{mine.pk}/delete")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Post.Status.DELETED
    assert mine.body == ""
    assert not mine.revisions.exists()
    page = client_for(moderator).get(thread_url(thread))
    assert b"Deleted by the author." in page.content
    assert b"regret" not in page.content


def test_member_who_leaves_and_takes_their_posts(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    thread = factories.make_thread(moderator, community)
    services.reply(member, thread=thread, body="Mine to take")
    kept = services.reply(moderator, thread=thread, body="Stays")
    community_services.leave_community(member, community=community, keep_posts=False)
    taken = thread.posts.get(number=2)
    assert taken.status == Post.Status.DELETED
    assert taken.body == ""
    kept.refresh_from_db()
    assert kept.body == "Stays"


def test_member_who_leaves_and_keeps_their_posts_is_a_former_member(
    community: Community, member: User, moderator: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(moderator, community)
    services.reply(member, thread=thread, body="Left behind for others")
    community_services.leave_community(member, community=community, keep_posts=True)
    page = visitor_client.get(thread_url(thread))
    assert b"Left behind for others" in page.content
    assert b"a former member" in page.content
    assert b"Mo Member" not in page.content


# Held posts ---------------------------------------------------------------------


def test_new_members_first_posts_are_held(
    community: Community,
    member: User,
    moderator: User,
    outsider: User,
    client_for: Clients,
) -> None:
    DiscussionSettings.objects.create(community=community, hold_first_posts=1)
    open_thread = factories.make_thread(moderator, community)
    assert open_thread.status == Thread.Status.PUBLISHED
    held = services.reply(member, thread=open_thread, body="My very first post")
    assert held.status == Post.Status.HELD
    assert (
        b"My very first post"
        not in client_for(outsider).get(thread_url(open_thread)).content
    )
    assert (
        b"Waiting for a moderator"
        in client_for(member).get(thread_url(open_thread)).content
    )
    assert (
        b"My very first post"
        in client_for(moderator).get(thread_url(open_thread)).content
    )
    held.status = Post.Status.PUBLISHED
    held.save()
    assert services.reply(member, thread=open_thread, body="Now").status == "published"


def test_held_thread_is_listed_for_its_author_only(
    community: Community, member: User, outsider: User, client_for: Clients
) -> None:
    DiscussionSettings.objects.create(community=community, hold_first_posts=2)
    thread = factories.make_thread(member, community, title="Waiting thread")
    assert thread.status == Thread.Status.HELD
    assert client_for(outsider).get(thread_url(thread)).status_code == 404
    mine = client_for(member).get(f"/c/{community.slug}/threads/")
    assert b"Waiting thread" in mine.content
    assert b"Waiting for a moderator" in mine.content


# Pictures -------------------------------------------------------------------------


def _photo_with_location() -> SimpleUploadedFile:
    image = Image.new("RGB", (40, 30), "teal")
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0), 1: "N"}  # GPSInfo
    exif[0x010F] = "CanaryCamera"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def test_pictures_lose_their_exif_and_location(
    community: Community, member: User, client_for: Clients, settings: object
) -> None:
    client = client_for(member)
    client.post(
        f"/c/{community.slug}/threads/new",
        {
            "title": "My garden",
            "body": "Where I rest.",
            "audience": "everyone",
            "image": _photo_with_location(),
            "image_alt": "A bench under a tree",
        },
    )
    picture = PostImage.objects.get()
    stored = picture.image.open("rb").read()
    assert b"CanaryCamera" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()
    page = client.get(picture.post.thread.get_absolute_url())
    assert b'alt="A bench under a tree"' in page.content
    served = client.get(f"/c/{community.slug}/images/{picture.pk}")
    assert served.status_code == 200


def test_a_file_that_is_not_a_picture_is_refused(
    community: Community, member: User, client_for: Clients
) -> None:
    fake = SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")
    page = client_for(member).post(
        f"/c/{community.slug}/threads/new",
        {"title": "T", "body": "B", "audience": "everyone", "image": fake},
    )
    assert b"not a picture we can read" in page.content
    assert not Thread.objects.exists()


# Reactions --------------------------------------------------------------------------


def test_reaction_toggles_with_htmx_and_counts_show(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    thread = factories.make_thread(moderator, community)
    post = thread.posts.get()
    client = client_for(member)
    url = f"/c/{community.slug}/p/{post.pk}/react"
    first = client.post(url, {"kind": "strength"}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    assert b'aria-pressed="true">Sending strength <span class="count">1' in (
        first.content
    )
    assert b"<html" not in first.content
    who = client.get(f"/c/{community.slug}/p/{post.pk}/reactions")
    assert b"Mo Member" in who.content
    client.post(url, {"kind": "strength"}, HTTP_HX_REQUEST="true")
    assert not Reaction.objects.exists()


def test_no_reacting_to_your_own_post_or_as_a_visitor(
    community: Community, member: User, visitor_client: Client
) -> None:
    thread = factories.make_thread(member, community)
    post = thread.posts.get()
    with pytest.raises(ValidationError):
        services.toggle_reaction(member, post=post, kind="helpful")
    response = visitor_client.post(
        f"/c/{community.slug}/p/{post.pk}/react", {"kind": "helpful"}
    )
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Reaction.objects.exists()


def test_who_reacted_is_for_members(
    community: Community, member: User, outsider: User, client_for: Clients
) -> None:
    thread = factories.make_thread(member, community)
    post = thread.posts.get()
    response = client_for(outsider).get(f"/c/{community.slug}/p/{post.pk}/reactions")
    assert response.status_code == 403


# Unread, watching, tags ------------------------------------------------------------


def test_unread_markers_are_private_to_the_reader(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    thread = factories.make_thread(moderator, community)
    reader = client_for(member)
    reader.get(thread_url(thread))
    services.reply(moderator, thread=thread, body="Something new")
    listing = reader.get(f"/c/{community.slug}/threads/")
    assert b"1 unread" in listing.content
    page = reader.get(thread_url(thread))
    assert b'class="post unread" id="post-2"' in page.content
    assert b"1 unread" not in reader.get(f"/c/{community.slug}/threads/").content
    # Nobody else's view shows what the member has read.
    other = client_for(moderator).get(f"/c/{community.slug}/threads/")
    assert b"unread</span>" not in other.content


def test_new_since_last_visit(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    reader = client_for(member)
    reader.get(f"/c/{community.slug}/threads/")
    from kinwell.discussions.models import CommunityVisit

    CommunityVisit.objects.filter(user=member).update(
        visited_at=timezone.now() - timedelta(hours=3)
    )
    factories.make_thread(moderator, community, title="Fresh thread")
    listing = reader.get(f"/c/{community.slug}/threads/")
    assert b"New since your last visit" in listing.content


def test_watch_and_mute(community: Community, member: User, moderator: User) -> None:
    thread = factories.make_thread(moderator, community)
    services.set_subscription(member, thread=thread, level="muted")
    services.reply(member, thread=thread, body="Replying does not unmute")
    level = thread.subscriptions.get(user=member).level
    assert level == "muted"
    services.set_subscription(member, thread=thread, level=None)
    assert not thread.subscriptions.filter(user=member).exists()
    assert thread.subscriptions.get(user=moderator).level == "watching"


def test_tags_are_chosen_by_moderators_and_followed_by_members(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    client_for(moderator).post(f"/c/{community.slug}/tags/", {"name": "Sleep"})
    assert (
        client_for(member)
        .post(f"/c/{community.slug}/tags/", {"name": "Mine"})
        .status_code
        == 403
    )
    tag = community.tags.get()
    assert tag.slug == "sleep"
    thread = factories.make_thread(member, community, title="Naps", tags=[tag])
    factories.make_thread(member, community, title="Untagged")
    listing = client_for(member).get(f"/c/{community.slug}/threads/?tag=sleep")
    assert b"Naps" in listing.content
    assert b"Untagged" not in listing.content
    client_for(member).post(f"/c/{community.slug}/tags/sleep/follow", {"follow": "1"})
    assert tag.follows.filter(user=member).exists()
    assert thread.tags.get() == tag


def test_a_page_number_int_cannot_read_is_the_first_page(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    # "²" is a digit to str.isdigit(), but int() refuses it.
    thread = factories.make_thread(moderator, community)
    page = client_for(member).get(thread_url(thread, "?page=²"))
    assert page.status_code == 200
    assert thread.title.encode() in page.content


# Long threads, long lists -----------------------------------------------------------


def test_a_thread_of_2000_replies_pages_in_a_fixed_number_of_queries(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    thread = factories.make_thread(moderator, community)
    factories.make_replies(member, thread, 2000)
    client = client_for(member)
    last = client.get(thread_url(thread, "?page=last"))
    assert b"Reply 2001" in last.content  # the opening post is number 1
    assert b"Page 101 of 101." in last.content
    middle = client.get(thread_url(thread, "?page=50"))
    assert b"Reply 981" in middle.content
    assert b"Reply 1000" in middle.content
    assert b"Reply 1001" not in middle.content

    pages_seen = iter(range(1, 200))
    assert_bounded_queries(
        lambda: client.get(thread_url(thread, f"?page={next(pages_seen)}")),
        lambda n: None,
        max_queries=28,
    )


def test_thread_page_queries_do_not_grow_with_posts(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    thread = factories.make_thread(moderator, community)
    client = client_for(member)

    def add(n: int) -> None:
        for _ in range(n):
            post = services.reply(moderator, thread=thread, body="With a reaction")
            Reaction.objects.create(
                post=post, community=community, user=member, kind="helpful"
            )
        thread.refresh_from_db()

    url = thread_url(thread, "?page=1")
    client.get(url)  # warm caches (content types, the session)
    # Each count is the reader's first view after new posts (which also
    # remembers how far they read); the next view of the same page is less.
    add(3)
    few = count_queries(lambda: client.get(url))
    add(9)
    many = count_queries(lambda: client.get(url))
    assert few == many <= 28, (few, many)
    assert count_queries(lambda: client.get(url)) < many


def test_a_community_of_10000_threads_lists_them(
    community: Community, member: User, client_for: Clients
) -> None:
    persona = Persona.objects.get(user=member, kind=Persona.Kind.PERSONAL)
    start = timezone.now() - timedelta(days=400)

    def add(n: int) -> None:
        base = Thread.objects.count()
        threads = Thread.objects.bulk_create(
            Thread(
                community=community,
                title=f"Thread {base + i}",
                author=member,
                post_count=1,
                created_at=start + timedelta(minutes=base + i),
                last_posted_at=start + timedelta(minutes=base + i),
            )
            for i in range(n)
        )
        Post.objects.bulk_create(
            Post(
                community=community,
                thread=thread,
                number=1,
                author=member,
                persona=persona,
                body="Hello",
                body_html="<p>Hello</p>",
            )
            for thread in threads
        )

    client = client_for(member)
    assert_bounded_queries(
        lambda: client.get(f"/c/{community.slug}/threads/?page=2"),
        add,
        max_queries=22,
        rows=2500,
    )
    assert Thread.objects.count() == 10000
    last = client.get(f"/c/{community.slug}/threads/?page=334")
    assert b"Page 334 of 334." in last.content
    assert b"Thread 0<" in last.content


@pytest.mark.parametrize("visibility", ["public", "members"])
@pytest.mark.parametrize("audience", ["everyone", "members"])
@pytest.mark.parametrize("status", ["published", "held", "hidden"])
def test_readers_of_a_thread_are_who_visible_threads_lets_read(
    community: Community,
    organiser: User,
    moderator: User,
    member: User,
    outsider: User,
    visibility: str,
    audience: str,
    status: str,
) -> None:
    """The bulk rule (telling watchers) and the one-reader rule agree."""
    community.visibility = visibility
    community.save(update_fields=["visibility"])
    thread = factories.make_thread(member, community, audience=audience)
    Thread.objects.filter(pk=thread.pk).update(status=status)
    thread.refresh_from_db()
    people = [organiser, moderator, member, outsider]
    one_by_one = {
        person.pk
        for person in people
        if access.visible_threads(person, Community.objects.get(pk=community.pk))
        .filter(pk=thread.pk)
        .exists()
    }
    assert access.readers_of(thread, [p.pk for p in people]) == one_by_one


@pytest.mark.parametrize("minutes", [0, 1, 59, 61, 1439, 1441, 10_079, 44_000, 600_000])
def test_the_list_says_how_long_ago_as_django_does(minutes: int) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.timesince import timesince

    from kinwell.discussions.items import _ago

    moment = timezone.now() - timedelta(minutes=minutes, seconds=13)
    assert _ago(moment) == timesince(moment)
