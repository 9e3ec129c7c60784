"""Notifications through the real services and pages: who is told about a
post and why, who never is, the bell and the list, the per-community
settings, and the emails (at once, and the daily digest) with their
one-click unsubscribe."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, Persona, User
from kinwell.communities.models import Community, Membership
from kinwell.discussions import services as discussions
from kinwell.discussions.models import DiscussionSettings, Post, Thread
from kinwell.discussions.moderation import services as moderation
from kinwell.notifications import services
from kinwell.notifications.context import unread
from kinwell.notifications.models import Notification, NotificationSettings
from tests import factories
from tests.helpers import assert_bounded_queries, count_queries

ClientFor = Callable[[User], Client]
Reason = Notification.Reason
Delivery = Notification.Delivery


@pytest.fixture
def on_commit(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[[Callable[[], Any]], Any]:
    """Runs a service as if its transaction committed: the fan-out runs in
    it on the immediate task backend, and the emails it queues on commit."""

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


Publish = Callable[[Callable[[], Any]], Any]


@pytest.fixture
def thread(community: Community, organiser: User, on_commit: Publish) -> Thread:
    thread: Thread = on_commit(
        lambda: discussions.start_thread(
            organiser,
            community=community,
            title="Pacing on bad days",
            body="What helps you pace?",
        )
    )
    mail.outbox.clear()
    return thread


def reply(
    on_commit: Publish, actor: User, thread: Thread, body: str, **kw: Any
) -> Post:
    post: Post = on_commit(
        lambda: discussions.reply(actor, thread=thread, body=body, **kw)
    )
    return post


def reasons(post: Post) -> dict[str, str]:
    return {
        n.user.display_name: n.reason
        for n in Notification.objects.filter(post=post).select_related("user")
    }


def opening(thread: Thread) -> Post:
    return Post.objects.get(thread=thread, number=1)


# Who is told ----------------------------------------------------------------


def test_reply_tells_the_thread_author_and_emails_them_at_once(
    thread: Thread, member: User, organiser: User, on_commit: Publish
) -> None:
    post = reply(on_commit, member, thread, "Short walks, then rest.")

    assert reasons(post) == {"Olu Organiser": Reason.THREAD_REPLY}
    notification = Notification.objects.get(post=post)
    assert notification.delivery == Delivery.AT_ONCE
    assert notification.actor_label == "Mo Member"
    [message] = mail.outbox
    assert message.to == [organiser.email]
    assert message.subject == "[Kinwell] Mo Member replied to your thread"
    assert "Pacing on bad days" in message.body
    assert "Long COVID Peer Support" in message.body


def test_the_author_of_a_post_is_never_told_of_it(
    thread: Thread, organiser: User, on_commit: Publish
) -> None:
    post = reply(on_commit, organiser, thread, "Thanks all, @olu-organiser here.")

    assert reasons(post) == {}
    assert mail.outbox == []


def test_reply_to_a_post_tells_its_author_as_a_reply_to_them(
    thread: Thread, member: User, moderator: User, on_commit: Publish
) -> None:
    first = reply(on_commit, member, thread, "I rest after lunch.")
    mail.outbox.clear()

    answer = reply(on_commit, moderator, thread, "Same here.", in_reply_to=first)

    assert reasons(answer) == {
        "Mo Member": Reason.REPLY,
        "Olu Organiser": Reason.THREAD_REPLY,
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [member.email, thread.author.email]  # type: ignore[union-attr]
    )


def test_mentions_tell_members_of_the_community_only(
    thread: Thread,
    member: User,
    moderator: User,
    outsider: User,
    on_commit: Publish,
) -> None:
    post = reply(
        on_commit,
        moderator,
        thread,
        "@mo-member have a look; @otto-outsider too. Not `@cass-carer` in code.",
    )

    assert reasons(post) == {
        "Mo Member": Reason.MENTION,
        "Olu Organiser": Reason.THREAD_REPLY,
    }
    mentioned = mail.outbox[[m.to[0] for m in mail.outbox].index(member.email)]
    assert mentioned.subject == "[Kinwell] Mina Moderator mentioned you"


def test_a_handle_two_members_share_mentions_nobody(
    thread: Thread, community: Community, moderator: User, on_commit: Publish
) -> None:
    for _ in range(2):
        twin = factories.make_user("Sam Same")
        Membership.objects.create(community=community, user=twin)

    post = reply(on_commit, moderator, thread, "Hello @sam-same")

    assert "Sam Same" not in reasons(post)


def test_anonymous_professional_stays_their_badge_and_cannot_be_mentioned(
    community: Community,
    clinician: User,
    member: User,
    on_commit: Publish,
    client_for: ClientFor,
) -> None:
    Membership.objects.create(community=community, user=clinician)
    anonymous = Persona.objects.get(
        user=clinician, kind=Persona.Kind.ANONYMOUS_PROFESSIONAL
    )
    thread = on_commit(
        lambda: discussions.start_thread(
            clinician,
            community=community,
            title="Ask a nurse",
            body="Questions welcome.",
            persona=anonymous,
        )
    )
    mail.outbox.clear()

    post = reply(on_commit, member, thread, "Thanks @verified-nurse!")
    answer = reply(on_commit, clinician, thread, "You are welcome.", persona=anonymous)

    # The clinician hears of the reply to their thread, privately...
    assert reasons(post) == {"Dr Canary Realname": Reason.THREAD_REPLY}
    # ...and the member sees only the badge, on the site and by email.
    notification = Notification.objects.get(post=answer, user=member)
    assert notification.actor_label == "Verified nurse"
    page = client_for(member).get(reverse("notifications:list")).content.decode()
    assert "Verified nurse" in page
    assert "Canary" not in page
    to_others = [m for m in mail.outbox if m.to != [clinician.email]]
    assert all("Canary" not in f"{m.subject} {m.body}" for m in to_others)


def test_watchers_followers_and_community_watchers_get_the_digest(
    thread: Thread,
    community: Community,
    member: User,
    moderator: User,
    carer: User,
    on_commit: Publish,
) -> None:
    tag = discussions.create_tag(moderator, community=community, name="Pacing")
    tagged = on_commit(
        lambda: discussions.start_thread(
            moderator, community=community, title="Tagged", body="Hi", tags=[tag]
        )
    )
    discussions.follow_tag(member, tag=tag, follow=True)
    services.update_settings(
        carer,
        community=community,
        email_replies=True,
        digest=True,
        watch_community=True,
    )
    discussions.set_subscription(member, thread=thread, level="watching")

    in_watched = reply(on_commit, moderator, thread, "A reply")
    in_tagged = reply(on_commit, thread.author, tagged, "Another")  # type: ignore[arg-type]

    assert reasons(in_watched) == {
        "Olu Organiser": Reason.THREAD_REPLY,
        "Mo Member": Reason.WATCHED_THREAD,
        "Cass Carer": Reason.WATCHED_COMMUNITY,
    }
    assert reasons(in_tagged) == {
        "Mina Moderator": Reason.THREAD_REPLY,
        "Mo Member": Reason.FOLLOWED_TAG,
        "Cass Carer": Reason.WATCHED_COMMUNITY,
    }
    digest = Notification.objects.filter(delivery=Delivery.DIGEST)
    assert {n.user.display_name for n in digest} == {"Mo Member", "Cass Carer"}


def test_people_who_muted_the_thread_hear_nothing_even_when_mentioned(
    thread: Thread, member: User, organiser: User, moderator: User, on_commit: Publish
) -> None:
    discussions.set_subscription(organiser, thread=thread, level="muted")
    discussions.set_subscription(member, thread=thread, level="muted")

    post = reply(on_commit, moderator, thread, "@mo-member what do you think?")

    assert reasons(post) == {}
    assert mail.outbox == []


def test_nobody_who_may_not_read_the_thread_is_told(
    community: Community,
    organiser: User,
    moderator: User,
    outsider: User,
    member: User,
    on_commit: Publish,
) -> None:
    tag = discussions.create_tag(moderator, community=community, name="Sleep")
    discussions.follow_tag(outsider, tag=tag, follow=True)
    discussions.follow_tag(member, tag=tag, follow=True)

    for_members = on_commit(
        lambda: discussions.start_thread(
            organiser,
            community=community,
            title="Members only",
            body="Hi",
            tags=[tag],
            audience=Thread.Audience.MEMBERS,
        )
    )
    for_all = on_commit(
        lambda: discussions.start_thread(
            organiser, community=community, title="For all", body="Hi", tags=[tag]
        )
    )

    assert reasons(opening(for_members)) == {"Mo Member": Reason.FOLLOWED_TAG}
    assert reasons(opening(for_all)) == {
        "Mo Member": Reason.FOLLOWED_TAG,
        "Otto Outsider": Reason.FOLLOWED_TAG,
    }


def test_a_member_who_left_a_members_only_community_is_not_told(
    organiser: User, member: User, moderator: User, on_commit: Publish
) -> None:
    private = factories.make_community(
        organiser, visibility="members", members=(member, moderator)
    )
    thread = on_commit(
        lambda: discussions.start_thread(
            member, community=private, title="Mine", body="Hi"
        )
    )
    Membership.objects.filter(community=private, user=member).delete()

    post = reply(on_commit, moderator, thread, "Reply @mo-member")

    assert reasons(post) == {}


def test_held_posts_are_told_only_once_approved(
    thread: Thread,
    community: Community,
    member: User,
    moderator: User,
    organiser: User,
    on_commit: Publish,
) -> None:
    DiscussionSettings.objects.create(community=community, hold_first_posts=1)

    held = reply(on_commit, member, thread, "My first post")

    assert held.status == Post.Status.HELD
    assert not Notification.objects.filter(post=held).exists()
    assert mail.outbox == []
    on_commit(lambda: moderation.approve_post(moderator, post=held))
    assert reasons(held) == {"Olu Organiser": Reason.THREAD_REPLY}
    assert [m.to for m in mail.outbox] == [[organiser.email]]


def test_telling_twice_of_one_post_tells_nobody_twice(
    thread: Thread, member: User, on_commit: Publish
) -> None:
    post = reply(on_commit, member, thread, "Once")

    on_commit(lambda: services.post_published(post.pk))

    assert Notification.objects.filter(post=post).count() == 1
    assert len(mail.outbox) == 1


def test_a_post_hidden_before_the_email_goes_is_not_emailed(
    thread: Thread, member: User, moderator: User, on_commit: Publish
) -> None:
    post = reply(on_commit, member, thread, "Something")
    notification = Notification.objects.get(post=post)
    Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
    moderation.hide_post(moderator, post=post, reason="Off topic")
    mail.outbox.clear()

    assert services.take_at_once(notification.pk) is None
    assert mail.outbox == []


# The bell and the list -------------------------------------------------------


def test_bell_shows_the_unread_count_with_a_label(
    thread: Thread,
    member: User,
    organiser: User,
    on_commit: Publish,
    client_for: ClientFor,
) -> None:
    reply(on_commit, member, thread, "One")
    reply(on_commit, member, thread, "Two")

    page = client_for(organiser).get("/").content.decode()

    assert 'aria-label="Notifications (2 unread)"' in page
    assert "Notifications (2)" in page


def test_anonymous_visitors_see_no_bell(visitor_client: Client, db: None) -> None:
    page = visitor_client.get("/").content.decode()

    assert reverse("notifications:list") not in page
    assert reverse("search:search") in page


def test_list_shows_newest_first_and_marks_unread(
    thread: Thread,
    member: User,
    organiser: User,
    on_commit: Publish,
    client_for: ClientFor,
) -> None:
    reply(on_commit, member, thread, "First")
    second = reply(on_commit, member, thread, "Second")
    services.mark_read(organiser, notification=Notification.objects.get(post=second))

    response = client_for(organiser).get(reverse("notifications:list"))

    page = response.content.decode()
    items = list(response.context["page"])
    assert [n.post_id for n in items] == [second.pk, second.pk - 1]
    assert page.count("notification-unread") == 1
    assert page.count("notification-read") == 1
    # never the post's text
    assert "Second" not in page
    assert "First" not in page


def test_opening_a_notification_marks_it_read_and_goes_to_the_post(
    thread: Thread,
    member: User,
    organiser: User,
    on_commit: Publish,
    client_for: ClientFor,
) -> None:
    post = reply(on_commit, member, thread, "Open me")
    notification = Notification.objects.get(post=post)

    response = client_for(organiser).get(
        reverse("notifications:open", args=[notification.pk])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "discussions:post", args=[thread.community.slug, post.pk]
    )
    notification.refresh_from_db()
    assert notification.is_read


def test_someone_elses_notification_is_404(
    thread: Thread,
    member: User,
    outsider: User,
    on_commit: Publish,
    client_for: ClientFor,
) -> None:
    post = reply(on_commit, member, thread, "Not yours")
    notification = Notification.objects.get(post=post)

    response = client_for(outsider).get(
        reverse("notifications:open", args=[notification.pk])
    )

    assert response.status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read


def test_mark_all_read(
    thread: Thread,
    member: User,
    organiser: User,
    on_commit: Publish,
    client_for: ClientFor,
) -> None:
    reply(on_commit, member, thread, "One")
    reply(on_commit, member, thread, "Two")
    client = client_for(organiser)

    response = client.post(reverse("notifications:read_all"))

    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "Notifications (0)" in client.get("/").content.decode()


def test_reading_a_thread_reads_its_notifications(
    thread: Thread, member: User, organiser: User, on_commit: Publish
) -> None:
    reply(on_commit, member, thread, "One")
    other = on_commit(
        lambda: discussions.start_thread(
            member, community=thread.community, title="Other", body="Hi"
        )
    )
    reply(on_commit, organiser, other, "Elsewhere")

    assert services.mark_thread_read(organiser, thread=thread) == 1
    assert services.mark_thread_read(member, thread=thread) == 0
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_mark_all_read_needs_post(organiser: User, client_for: ClientFor) -> None:
    assert (
        client_for(organiser).get(reverse("notifications:read_all")).status_code == 405
    )


def test_a_hidden_post_leaves_the_list_and_the_count(
    thread: Thread,
    member: User,
    moderator: User,
    organiser: User,
    on_commit: Publish,
    client_for: ClientFor,
) -> None:
    post = reply(on_commit, member, thread, "Soon hidden")
    moderation.hide_post(moderator, post=post, reason="Personal information")

    client = client_for(organiser)

    assert "Notifications (0)" in client.get("/").content.decode()
    assert list(client.get(reverse("notifications:list")).context["page"]) == []


def _notifications_for(user: User, community: Community) -> Callable[[int], None]:
    author = factories.make_user()
    Membership.objects.create(community=community, user=author)
    own = discussions.start_thread(
        user, community=community, title="Mine", body="Start"
    )

    def add(rows: int) -> None:
        for _ in range(rows):
            post = Post.objects.create(
                community=community,
                thread=own,
                number=own.post_count + 1,
                author=author,
                body="x",
                body_html="x",
            )
            own.post_count += 1
            own.save(update_fields=["post_count"])
            services.notify_about_post(post.pk)

    return add


def test_list_runs_a_fixed_number_of_queries(
    community: Community, organiser: User, client_for: ClientFor
) -> None:
    client = client_for(organiser)

    assert_bounded_queries(
        lambda: client.get(reverse("notifications:list")),
        _notifications_for(organiser, community),
        # session, user and its session record (7); the page count, the
        # page, and the bell
        max_queries=10,
    )


def test_telling_watchers_asks_once_however_many_there_are(
    community: Community, thread: Thread, member: User, on_commit: Publish
) -> None:
    community.visibility = Community.Visibility.MEMBERS_ONLY
    community.save(update_fields=["visibility"])
    post = reply(on_commit, member, thread, "A reply for the watchers.")

    def add_watchers(count: int) -> None:
        for _ in range(count):
            watcher = factories.make_user()
            Membership.objects.create(community=community, user=watcher)
            discussions.set_subscription(watcher, thread=thread, level="watching")

    def tell() -> object:
        Notification.objects.filter(post=post).delete()
        return services.notify_about_post(post.pk)

    assert_bounded_queries(tell, add_watchers, max_queries=14)
    assert Notification.objects.filter(post=post).count() == 20 + 1


def test_the_bell_costs_one_query_with_nothing_unread_and_two_with_any(
    community: Community, organiser: User, rf: RequestFactory
) -> None:
    add = _notifications_for(organiser, community)
    request = rf.get("/")
    request.user = organiser

    bell = unread(request)["unread_notifications"]
    assert count_queries(partial(str, bell)) == 1
    assert str(bell) == "0"
    for rows in (2, 6):
        add(rows)
        bell = unread(request)["unread_notifications"]
        assert count_queries(partial(str, bell)) == 2
    assert str(unread(request)["unread_notifications"]) == "8"


# Settings ------------------------------------------------------------------


def test_settings_page_lists_each_community_with_defaults(
    community: Community,
    hidden_community: Community,
    member: User,
    client_for: ClientFor,
) -> None:
    response = client_for(member).get(reverse("notifications:settings"))

    page = response.content.decode()
    assert "Long COVID Peer Support" in page
    assert "Hidden Canary Circle" in page
    form = response.context["form"]
    assert form[f"{community.pk}-email_replies"].value() is True
    assert form[f"{community.pk}-digest"].value() is True
    assert form[f"{community.pk}-watch_community"].value() is False


def test_saving_settings_turns_emails_off_but_keeps_the_bell(
    thread: Thread,
    community: Community,
    hidden_community: Community,
    member: User,
    organiser: User,
    on_commit: Publish,
    client_for: ClientFor,
) -> None:
    client = client_for(organiser)
    response = client.post(
        reverse("notifications:settings"),
        {f"{community.pk}-digest": "on", f"{community.pk}-watch_community": "on"},
    )
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=organiser, community=community)
    assert (saved.email_replies, saved.digest, saved.watch_community) == (
        False,
        True,
        True,
    )

    post = reply(on_commit, member, thread, "Hi")

    assert Notification.objects.get(post=post).delivery == Delivery.IN_APP
    assert mail.outbox == []


def test_settings_are_for_members_only(community: Community, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        services.update_settings(
            outsider,
            community=community,
            email_replies=False,
            digest=False,
            watch_community=True,
        )
    assert not NotificationSettings.objects.exists()


def test_pages_need_login(visitor_client: Client, db: None) -> None:
    for name in ("list", "settings"):
        response = visitor_client.get(reverse(f"notifications:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# Unsubscribe ---------------------------------------------------------------


def test_unsubscribe_page_asks_first_then_stops_the_emails(
    thread: Thread,
    community: Community,
    member: User,
    organiser: User,
    on_commit: Publish,
) -> None:
    token = services.unsubscribe_token(organiser, community=community)
    link = reverse("notifications:unsubscribe", args=[token])
    client = Client()

    page = client.get(link)

    assert page.status_code == 200
    assert "Long COVID Peer Support" in page.content.decode()
    assert not NotificationSettings.objects.exists()
    assert client.post(link).status_code == 200
    assert not NotificationSettings.objects.get(
        user=organiser, community=community
    ).email_replies
    reply(on_commit, member, thread, "Hi")
    assert mail.outbox == []


def test_one_click_unsubscribe_works_without_a_csrf_token(
    community: Community, organiser: User
) -> None:
    token = services.unsubscribe_token(organiser, community=community)
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("notifications:unsubscribe", args=[token]),
        {"List-Unsubscribe": "One-Click"},
    )

    assert response.status_code == 200
    assert not NotificationSettings.objects.get(user=organiser).email_replies


def test_a_forged_or_tampered_token_is_404(
    community: Community, organiser: User
) -> None:
    token = services.unsubscribe_token(organiser, community=community)
    for bad in ("nonsense", token[:-2] + "xx"):
        link = reverse("notifications:unsubscribe", args=[bad])
        assert Client().get(link).status_code == 404
        assert Client().post(link).status_code == 404
    assert not NotificationSettings.objects.exists()


def test_digest_unsubscribe_withdraws_the_consent(member: User) -> None:
    digests = ConsentRecord.Purpose.EMAIL_DIGESTS
    account_services.record_consent(member, user=member, purpose=digests, given=True)
    link = reverse(
        "notifications:unsubscribe", args=[services.unsubscribe_token(member)]
    )

    assert "daily digest" in Client().get(link).content.decode()
    Client().post(link)

    assert not account_services.has_consented(member, digests)


# Digest --------------------------------------------------------------------


@pytest.fixture
def watching_member(thread: Thread, member: User) -> User:
    account_services.record_consent(
        member, user=member, purpose=ConsentRecord.Purpose.EMAIL_DIGESTS, given=True
    )
    discussions.set_subscription(member, thread=thread, level="watching")
    return member


def test_digest_goes_once_with_titles_and_links_but_no_post_text(
    thread: Thread, watching_member: User, moderator: User, on_commit: Publish
) -> None:
    reply(on_commit, moderator, thread, "My private symptom story")
    mail.outbox.clear()

    assert services.queue_digests() == 1

    [message] = mail.outbox
    assert message.to == [watching_member.email]
    assert message.subject == "[Kinwell] Your daily digest: 1 new post"
    assert "Pacing on bad days" in message.body
    assert "symptom" not in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    assert services.queue_digests() == 0


def test_no_digest_without_the_consent_or_for_a_community_turned_off(
    thread: Thread,
    community: Community,
    member: User,
    moderator: User,
    on_commit: Publish,
) -> None:
    discussions.set_subscription(member, thread=thread, level="watching")
    reply(on_commit, moderator, thread, "One")
    mail.outbox.clear()

    services.queue_digests()
    assert mail.outbox == []

    account_services.record_consent(
        member, user=member, purpose=ConsentRecord.Purpose.EMAIL_DIGESTS, given=True
    )
    services.update_settings(
        member,
        community=community,
        email_replies=True,
        digest=False,
        watch_community=False,
    )
    reply(on_commit, moderator, thread, "Two")
    mail.outbox.clear()
    services.queue_digests()
    assert mail.outbox == []


def test_read_items_are_left_out_of_the_digest(
    thread: Thread, watching_member: User, moderator: User, on_commit: Publish
) -> None:
    reply(on_commit, moderator, thread, "Seen already")
    services.mark_all_read(watching_member)
    mail.outbox.clear()

    assert services.queue_digests() == 0
    assert mail.outbox == []
