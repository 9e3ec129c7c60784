"""Moderation in the open: flags, the queue, moderator actions on posts and
threads, sanctions, held posts, the public log and the health panel."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import OuterRef
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from kinwell import settings as kinwell_settings
from kinwell.accounts.models import User
from kinwell.communities.health import health_panel
from kinwell.communities.models import Cluster, Community, Membership
from kinwell.discussions import hooks
from kinwell.discussions import services as discussion_services
from kinwell.discussions.models import (
    Flag,
    ModerationAction,
    Post,
    PostRevision,
    Sanction,
    Thread,
)
from kinwell.discussions.moderation import sanctions, services
from kinwell.discussions.moderation.queries import urgent_flag_on
from kinwell.discussions.moderation.support import support_resources
from tests import factories
from tests.helpers import assert_bounded_queries

Clients = Callable[[User], Client]


def start(author: User, community: Community, title: str = "Mornings") -> Thread:
    return discussion_services.start_thread(
        author, community=community, title=title, body="How are your mornings?"
    )


def opening(thread: Thread) -> Post:
    return thread.posts.get(number=1)


def url(community: Community, rest: str = "") -> str:
    return f"/c/{community.slug}/moderation/{rest}"


@pytest.fixture
def thread(community: Community, organiser: User) -> Thread:
    return start(organiser, community)


# Flags -------------------------------------------------------------------


def test_member_flags_a_post_and_the_moderators_see_it_in_the_queue(
    community: Community,
    thread: Thread,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    post = opening(thread)
    response = client_for(member).post(
        url(community, f"posts/{post.pk}/flag"),
        {"reason": "misinformation", "note": "This cure is not real."},
    )
    assert response.status_code == 302
    flag = Flag.objects.get(post=post)
    assert (flag.reporter, flag.reason, flag.status) == (
        member,
        Flag.Reason.MISINFORMATION,
        Flag.Status.OPEN,
    )
    queue = client_for(moderator).get(url(community))
    assert queue.status_code == 200
    assert "Medical misinformation" in queue.content.decode()
    assert "This cure is not real." in queue.content.decode()
    assert member.public_name in queue.content.decode()


def test_a_moderator_is_not_told_who_flagged_their_own_post(
    community: Community, moderator: User, member: User, client_for: Clients
) -> None:
    post = opening(start(moderator, community))
    services.flag_post(member, post=post, reason="harassment")
    queue = client_for(moderator).get(url(community)).content.decode()
    assert "Harassment" in queue
    assert member.public_name not in queue


def test_self_harm_flag_is_urgent_first_and_tells_the_moderators(
    community: Community,
    organiser: User,
    member: User,
    carer: User,
    moderator: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    older = opening(start(organiser, community, "Older"))
    newer = opening(start(organiser, community, "Newer"))
    services.flag_post(carer, post=older, reason="spam")
    with_captured_mail = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        services.flag_post(member, post=newer, reason="self_harm")
    queue = client_for(moderator).get(url(community)).content.decode()
    assert queue.index("Risk of self-harm") < queue.index("Spam")
    assert "Urgent" in queue
    sent = mail.outbox[with_captured_mail:]
    assert len(sent) == 1
    assert set(sent[0].to) == {organiser.email, moderator.email}
    # The email says where to look, and nothing about the post or its author.
    assert "Newer" not in sent[0].body
    assert f"/c/{community.slug}/moderation/" in sent[0].body


def test_a_member_cannot_flag_their_own_post(
    community: Community, member: User, client_for: Clients
) -> None:
    post = opening(start(member, community))
    response = client_for(member).post(
        url(community, f"posts/{post.pk}/flag"), {"reason": "spam"}
    )
    assert response.status_code == 200
    assert "You cannot flag your own post." in response.content.decode()
    assert not Flag.objects.exists()


def test_one_open_flag_per_member_per_post(
    community: Community, thread: Thread, member: User, client_for: Clients
) -> None:
    post = opening(thread)
    services.flag_post(member, post=post, reason="spam")
    response = client_for(member).post(
        url(community, f"posts/{post.pk}/flag"), {"reason": "harassment"}
    )
    assert "already flagged this post" in response.content.decode()
    assert Flag.objects.count() == 1


def test_flag_needs_a_known_reason(
    community: Community, thread: Thread, member: User, client_for: Clients
) -> None:
    response = client_for(member).post(
        url(community, f"posts/{opening(thread).pk}/flag"), {"reason": "boring"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Flag.objects.exists()


def test_flagging_is_rate_limited_with_a_clear_message(
    community: Community, organiser: User, member: User, client_for: Clients
) -> None:
    posts = [
        opening(start(organiser, community, f"Thread {n}"))
        for n in range(services.FLAGS_PER_PERIOD + 1)
    ]
    client = client_for(member)
    for post in posts[:-1]:
        client.post(url(community, f"posts/{post.pk}/flag"), {"reason": "spam"})
    response = client.post(
        url(community, f"posts/{posts[-1].pk}/flag"), {"reason": "spam"}
    )
    assert response.status_code == 429
    assert "please wait a few minutes" in response.content.decode()
    assert Flag.objects.count() == services.FLAGS_PER_PERIOD


def test_someone_outside_a_public_community_cannot_flag(
    thread: Thread, outsider: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.flag_post(outsider, post=opening(thread), reason="spam")


def test_urgent_flags_are_open_self_harm_flags_only(
    community: Community, organiser: User, member: User
) -> None:
    urgent = opening(start(organiser, community, "One"))
    other = opening(start(organiser, community, "Two"))
    services.flag_post(member, post=urgent, reason="self_harm")
    services.flag_post(member, post=other, reason="spam")
    marked = Post.objects.filter(pk__in=[urgent.pk, other.pk]).annotate(
        urgent=urgent_flag_on(OuterRef("pk"))
    )
    assert {post.pk for post in marked if post.urgent} == {urgent.pk}


def test_support_partial_lists_the_installation_resources(thread: Thread) -> None:
    html = render_to_string(
        "discussions/moderation/_support.html",
        {"post": opening(thread), "support_resources": support_resources()},
    )
    assert "Samaritans" in html
    assert "116 123" in html
    assert "NHS 111" in html
    assert "999" in html


def test_support_resources_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "KINWELL_SUPPORT_RESOURCES",
        '[{"name": "Lifeline", "contact": "13 11 14", "url": "https://x.example"}]',
    )
    assert kinwell_settings.support_resources_from_env() == [
        {"contact": "13 11 14", "name": "Lifeline", "url": "https://x.example"}
    ]
    monkeypatch.setenv("KINWELL_SUPPORT_RESOURCES", '{"name": "not a list"}')
    with pytest.raises(ImproperlyConfigured):
        kinwell_settings.support_resources_from_env()


def test_post_tools_offer_flagging_to_members_and_tools_to_moderators(
    community: Community,
    thread: Thread,
    member: User,
    organiser: User,
    client_for: Clients,
) -> None:
    post = opening(thread)
    flag_page = f"/c/{community.slug}/moderation/posts/{post.pk}/flag"
    as_member = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert f'href="{flag_page}"' in as_member
    assert "Hide" not in as_member
    as_author = client_for(organiser).get(thread.get_absolute_url()).content.decode()
    assert flag_page not in as_author
    context = {"post": post, "thread": thread, "community": community}
    tools = render_to_string(
        "discussions/moderation/_post_tools.html", {**context, "can_moderate": True}
    )
    assert "Hide" in tools
    assert "Remove personal information" in tools
    tools = render_to_string(
        "discussions/moderation/_thread_tools.html", {**context, "can_moderate": True}
    )
    assert "Lock" in tools
    assert "Pin" in tools
    assert "Close" in tools


# Acting on posts ---------------------------------------------------------


def test_hiding_a_post_needs_a_reason_acts_on_flags_and_is_logged_unsigned(
    community: Community,
    thread: Thread,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    post = opening(thread)
    services.flag_post(member, post=post, reason="harassment")
    client = client_for(moderator)
    path = url(community, f"posts/{post.pk}/")
    refused = client.post(path, {"action": "hide", "reason": ""})
    assert "Give a reason" in refused.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    client.post(path, {"action": "hide", "reason": "Unkind to a member"})
    post.refresh_from_db()
    assert (post.status, post.hidden_reason) == (
        Post.Status.HIDDEN,
        "Unkind to a member",
    )
    assert Flag.objects.get(post=post).status == Flag.Status.ACTED_ON
    log = client_for(member).get(url(community, "log/")).content.decode()
    assert "Hid a post" in log
    assert "Unkind to a member" in log
    assert "A moderator" in log
    assert moderator.public_name not in log


def test_a_signed_action_names_the_moderator_in_the_log(
    community: Community, thread: Thread, moderator: User, visitor_client: Client
) -> None:
    services.set_thread_state(
        moderator, thread=thread, state="pin", reason="Welcome", signed=True
    )
    log = visitor_client.get(url(community, "log/")).content.decode()
    assert "Pinned a thread" in log
    assert moderator.public_name in log


def test_a_hidden_post_can_be_shown_again(thread: Thread, moderator: User) -> None:
    post = opening(thread)
    services.hide_post(moderator, post=post, reason="Checking")
    thread.refresh_from_db()
    assert thread.status == Thread.Status.HIDDEN
    services.unhide_post(moderator, post=post)
    post.refresh_from_db()
    thread.refresh_from_db()
    assert (post.status, post.hidden_reason) == (Post.Status.PUBLISHED, "")
    assert thread.status == Thread.Status.PUBLISHED


def test_removing_personal_information_keeps_no_copy_of_it(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    thread = start(member, community)
    post = opening(thread)
    discussion_services.edit_post(
        member, post=post, body="My neighbour Jo Bloggs at 4 Elm Road helps me."
    )
    discussion_services.edit_post(
        member, post=post, body="Jo Bloggs at 4 Elm Road helps me a lot."
    )
    assert PostRevision.objects.filter(post=post).count() == 2
    response = client_for(moderator).post(
        url(community, f"posts/{post.pk}/redact"),
        {"body": "A neighbour helps me a lot.", "reason": "Removed an address"},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body == "A neighbour helps me a lot."
    assert "Elm Road" not in post.body_html
    assert not PostRevision.objects.filter(post=post).exists()
    entry = ModerationAction.objects.get(action=ModerationAction.Action.EDIT)
    assert entry.reason == "Removed an address"
    assert entry.get_action_display() == "Removed personal information from a post"


def test_a_moderator_cannot_act_outside_their_community(
    thread: Thread, outsider: User, member: User, client_for: Clients
) -> None:
    factories.give_totp(outsider)
    other = factories.make_community(outsider, name="Elsewhere")
    post = opening(thread)
    response = client_for(outsider).post(
        url(other, f"posts/{post.pk}/"), {"action": "hide", "reason": "Mine now"}
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        services.hide_post(member, post=post, reason="Not a moderator")
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


# Held posts --------------------------------------------------------------


def test_new_members_posts_wait_until_approved_then_they_post_freely(
    community: Community,
    organiser: User,
    member: User,
    moderator: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    announced: list[int] = []
    monkeypatch.setattr(hooks, "post_published", [announced.append])
    response = client_for(organiser).post(
        url(community, "settings/"), {"hold_first_posts": "1"}
    )
    assert response.status_code == 302
    thread = start(member, community, "My first thread")
    post = opening(thread)
    assert (thread.status, post.status) == (Thread.Status.HELD, Post.Status.HELD)
    queue = client_for(moderator).get(url(community)).content.decode()
    assert "My first thread" in queue
    with django_capture_on_commit_callbacks(execute=True):
        client_for(moderator).post(
            url(community, f"posts/{post.pk}/"), {"action": "approve"}
        )
    thread.refresh_from_db()
    post.refresh_from_db()
    assert (thread.status, post.status) == (
        Thread.Status.PUBLISHED,
        Post.Status.PUBLISHED,
    )
    assert announced == [post.pk]
    second = start(member, community, "Second")
    assert second.status == Thread.Status.PUBLISHED


def test_approving_a_held_reply_counts_as_the_first_reply(
    community: Community, organiser: User, member: User, moderator: User
) -> None:
    thread = start(organiser, community)
    services.set_hold_first_posts(organiser, community=community, count=1)
    held = discussion_services.reply(member, thread=thread, body="Me too.")
    thread.refresh_from_db()
    assert held.status == Post.Status.HELD
    assert thread.first_reply_at is None
    services.approve_post(moderator, post=held)
    thread.refresh_from_db()
    assert thread.first_reply_at == held.created_at


def test_declining_a_held_post_keeps_it_from_everyone_with_a_reason(
    community: Community, organiser: User, member: User, moderator: User
) -> None:
    services.set_hold_first_posts(organiser, community=community, count=1)
    post = opening(start(member, community))
    services.reject_held_post(moderator, post=post, reason="Advertising")
    post.refresh_from_db()
    assert (post.status, post.hidden_reason) == (Post.Status.HIDDEN, "Advertising")
    assert ModerationAction.objects.get().action == ModerationAction.Action.REJECT


def test_only_organisers_set_the_hold_count(
    community: Community, moderator: User, client_for: Clients
) -> None:
    response = client_for(moderator).post(
        url(community, "settings/"), {"hold_first_posts": "3"}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.set_hold_first_posts(moderator, community=community, count=3)


# Threads -----------------------------------------------------------------


def test_lock_pin_and_close_threads(
    community: Community,
    thread: Thread,
    moderator: User,
    member: User,
    client_for: Clients,
) -> None:
    client = client_for(moderator)
    for state in ("lock", "pin", "close"):
        client.post(url(community, f"threads/{thread.pk}/state"), {"state": state})
    thread.refresh_from_db()
    assert thread.is_locked
    assert thread.is_pinned
    assert thread.is_closed
    with pytest.raises(PermissionDenied):
        discussion_services.reply(member, thread=thread, body="Hello?")
    client.post(url(community, f"threads/{thread.pk}/state"), {"state": "unlock"})
    client.post(url(community, f"threads/{thread.pk}/state"), {"state": "reopen"})
    thread.refresh_from_db()
    assert thread.accepts_replies
    actions = list(
        ModerationAction.objects.order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["lock", "pin", "close", "unlock", "reopen"]


def test_members_cannot_lock_threads(
    community: Community, thread: Thread, member: User, client_for: Clients
) -> None:
    response = client_for(member).post(
        url(community, f"threads/{thread.pk}/state"), {"state": "lock"}
    )
    assert response.status_code == 403
    thread.refresh_from_db()
    assert not thread.is_locked


def _cluster_of(*communities: Community) -> None:
    cluster = Cluster.objects.create(name="Long COVID", slug="long-covid")
    Community.objects.filter(pk__in=[c.pk for c in communities]).update(cluster=cluster)
    for community in communities:
        community.refresh_from_db()


def test_moving_a_thread_takes_everything_with_it(
    community: Community,
    organiser: User,
    member: User,
    moderator: User,
    client_for: Clients,
) -> None:
    sibling = factories.make_community(
        organiser, name="Long COVID Evenings", moderators=(moderator,)
    )
    _cluster_of(community, sibling)
    thread = start(organiser, community)
    reply = discussion_services.reply(member, thread=thread, body="Same here.")
    discussion_services.toggle_reaction(organiser, post=reply, kind="thank_you")
    services.flag_post(member, post=opening(thread), reason="other")
    response = client_for(moderator).post(
        url(community, f"threads/{thread.pk}/move"),
        {"to": sibling.pk, "reason": "Fits the evenings group"},
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert (thread.community, thread.moved_from) == (sibling, community)
    assert set(
        Post.objects.filter(thread=thread).values_list("community", flat=True)
    ) == {sibling.pk}
    assert reply.reactions.get().community_id == sibling.pk
    assert Flag.objects.get().community_id == sibling.pk
    entry = ModerationAction.objects.get(action=ModerationAction.Action.MOVE)
    assert entry.community == community
    assert "Long COVID Evenings" in entry.reason


def test_a_thread_never_moves_somewhere_more_open_or_unmoderated(
    organiser: User, moderator: User
) -> None:
    private = factories.make_community(
        organiser, visibility="members", moderators=(moderator,)
    )
    public = factories.make_community(organiser, moderators=(moderator,))
    elsewhere = factories.make_community(organiser, visibility="members")
    _cluster_of(private, public, elsewhere)
    thread = start(organiser, private)
    for to in (public, elsewhere):
        with pytest.raises(Exception, match=r"more open|moderate too"):
            services.move_thread(moderator, thread=thread, to=to, reason="Try")
    assert services.move_destinations(moderator, private) == []
    thread.refresh_from_db()
    assert thread.community == private


# Sanctions ---------------------------------------------------------------


def test_a_suspended_member_cannot_post_until_it_is_lifted(
    community: Community,
    thread: Thread,
    member: User,
    moderator: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(moderator).post(
            url(community, "sanctions/"),
            {
                "member": member.pk,
                "kind": "suspension",
                "days": "3",
                "reason": "Cooling off after an argument",
            },
        )
    assert response.status_code == 302
    sanction = Sanction.objects.get(user=member)
    assert sanction.is_in_force
    with pytest.raises(PermissionDenied, match="suspended"):
        discussion_services.reply(member, thread=thread, body="Let me explain")
    assert mail.outbox[-1].to == [member.email]
    assert "Cooling off after an argument" in mail.outbox[-1].body
    client_for(moderator).post(url(community, f"sanctions/{sanction.pk}/lift"))
    sanction.refresh_from_db()
    assert not sanction.is_in_force
    discussion_services.reply(member, thread=thread, body="Sorry, all.")


def test_the_log_never_names_the_sanctioned_member(
    community: Community, member: User, moderator: User, client_for: Clients
) -> None:
    sanctions.ban_member(moderator, community=community, member=member, reason="Spam")
    sanctions.warn_member(
        moderator, community=community, member=member, reason="Be kind"
    )
    log = client_for(moderator).get(url(community, "log/")).content.decode()
    assert "Banned a member" in log
    assert "Warned a member" in log
    assert member.public_name not in log


def test_moderators_cannot_sanction_organisers_or_each_other(
    community: Community, organiser: User, moderator: User
) -> None:
    other = factories.make_user("Other Moderator")
    Membership.objects.create(
        community=community, user=other, role=Membership.Role.MODERATOR
    )
    for target in (organiser, other):
        with pytest.raises(PermissionDenied):
            sanctions.ban_member(
                moderator, community=community, member=target, reason="No"
            )
    assert not Sanction.objects.exists()


def test_a_suspension_must_end_in_the_future(
    community: Community, member: User, moderator: User
) -> None:
    with pytest.raises(Exception, match="future"):
        sanctions.suspend_member(
            moderator,
            community=community,
            member=member,
            until=timezone.now() - timedelta(hours=1),
            reason="Late",
        )


# Reading the log ---------------------------------------------------------


def test_the_log_is_open_to_visitors_of_a_public_community(
    community: Community, thread: Thread, moderator: User, visitor_client: Client
) -> None:
    services.set_thread_state(moderator, thread=thread, state="lock", reason="Heated")
    response = visitor_client.get(url(community, "log/"))
    assert response.status_code == 200
    assert "Heated" in response.content.decode()
    assert thread.title in response.content.decode()


def test_the_log_hides_titles_of_threads_the_reader_cannot_open(
    community: Community, organiser: User, moderator: User, visitor_client: Client
) -> None:
    private = discussion_services.start_thread(
        organiser,
        community=community,
        title="Members only plans",
        body="Just us.",
        audience="members",
    )
    services.set_thread_state(moderator, thread=private, state="pin")
    log = visitor_client.get(url(community, "log/")).content.decode()
    assert "Pinned a thread" in log
    assert "Members only plans" not in log


def test_the_log_of_other_communities_is_for_members(
    hidden_community: Community, organiser: User, outsider: User, client_for: Clients
) -> None:
    members_only = factories.make_community(organiser, visibility="members")
    assert client_for(outsider).get(url(members_only, "log/")).status_code == 403
    assert client_for(outsider).get(url(hidden_community, "log/")).status_code == 404
    assert client_for(organiser).get(url(hidden_community, "log/")).status_code == 200


def test_the_queue_is_for_moderators_with_two_factor_authentication(
    community: Community, member: User, client_for: Clients
) -> None:
    assert client_for(member).get(url(community)).status_code == 403
    untrusted = factories.make_user("Moe Without Totp")
    Membership.objects.create(
        community=community, user=untrusted, role=Membership.Role.MODERATOR
    )
    response = client_for(untrusted).get(url(community))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_the_queue_and_log_take_a_bounded_number_of_queries(
    community: Community,
    organiser: User,
    moderator: User,
    client_for: Clients,
) -> None:
    client = client_for(moderator)
    reporters = [factories.make_user(f"Reporter {n}") for n in range(20)]
    for reporter in reporters:
        Membership.objects.create(community=community, user=reporter)
    made = iter(range(1000))

    def add_rows(count: int) -> None:
        for _ in range(count):
            cache.clear()  # the rate limits are not what this test is about
            n = next(made)
            post = opening(start(organiser, community, f"Thread {n}"))
            services.flag_post(reporters[n % 20], post=post, reason="spam")
            services.set_thread_state(moderator, thread=post.thread, state="pin")

    assert_bounded_queries(lambda: client.get(url(community)), add_rows, max_queries=20)
    assert_bounded_queries(
        lambda: client.get(url(community, "log/")), add_rows, max_queries=20
    )


# The health panel --------------------------------------------------------


def test_health_panel_shows_flags_unanswered_newcomers_and_first_replies(
    community: Community, organiser: User, member: User, moderator: User
) -> None:
    newcomer = factories.make_user("Nia Newcomer")
    Membership.objects.create(community=community, user=newcomer)
    start(newcomer, community, "Nobody answered me")
    Membership.objects.filter(community=community, user=member).update(
        joined_at=timezone.now() - timedelta(days=60)
    )
    start(member, community, "An old hand's question")
    answered = start(organiser, community, "Answered")
    Thread.objects.filter(pk=answered.pk).update(
        first_reply_at=answered.created_at + timedelta(hours=3)
    )
    services.flag_post(member, post=opening(answered), reason="self_harm")
    sections = {section.title: section for section in health_panel(community)}
    figures = {figure.label: figure for figure in sections["Discussions"].figures}
    assert figures["Open flags"].value == 1
    assert figures["Open flags"].note == "1 urgent"
    # The organiser joined today too, but their thread has its answer.
    assert figures["Threads by new members with no reply yet"].value == 1
    assert figures["Median time to a first reply"].value == "3 hours"
    assert sections["Discussions"].notices


# On the thread page ------------------------------------------------------


def test_the_thread_page_shows_help_beside_a_post_flagged_for_self_harm(
    community: Community,
    thread: Thread,
    member: User,
    carer: User,
    client_for: Clients,
) -> None:
    page = client_for(carer).get(thread.get_absolute_url()).content.decode()
    assert "Samaritans" not in page
    flag_page = f"/c/{community.slug}/moderation/posts/{opening(thread).pk}/flag"
    assert flag_page in page
    assert "Risk of self-harm" in client_for(carer).get(flag_page).content.decode()
    services.flag_post(member, post=opening(thread), reason="self_harm")
    page = client_for(carer).get(thread.get_absolute_url()).content.decode()
    assert "Samaritans" in page
    assert "116 123" in page


def test_the_thread_page_gives_moderators_their_tools(
    thread: Thread, moderator: User, client_for: Clients
) -> None:
    page = client_for(moderator).get(thread.get_absolute_url()).content.decode()
    assert f"/moderation/threads/{thread.pk}/state" in page
    assert f"/moderation/posts/{opening(thread).pk}/redact" in page
