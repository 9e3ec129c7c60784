"""Forks, through the website: proposing, choosing, commenting, confirming and
withdrawing, as each persona."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import AuditEvent, ConsentRecord, User
from kinwell.communities.forks import copiers, services
from kinwell.communities.forks.demo import load_demo
from kinwell.communities.forks.provenance import fork_provenance
from kinwell.communities.models import (
    Cluster,
    Community,
    ForkChoice,
    ForkComment,
    ForkProposal,
    Membership,
)
from tests import factories
from tests.helpers import assert_bounded_queries

ClientFor = Callable[[User], Client]


def url(name: str, *args: object) -> str:
    return reverse(f"communities:{name}", args=args)


def proposal_urls(proposal: ForkProposal) -> dict[str, str]:
    slug, pk = proposal.community.slug, proposal.pk
    return {
        name: url(name, slug, pk)
        for name in (
            "fork_proposal",
            "choose_fork",
            "comment_fork",
            "confirm_fork",
            "withdraw_fork",
        )
    }


def propose(
    proposer: User, community: Community, *, slug: str = "evening-group", **extra: Any
) -> ForkProposal:
    fields = {
        "name": "Evening group",
        "slug": slug,
        "reason": "Some of us can only talk **in the evening**.",
        "charter": "## Purpose\n\nSupport each other in the evening.",
        "bring_posts": False,
        **extra,
    }
    return services.propose_fork(proposer, community=community, **fields)


def end_notice(proposal: ForkProposal) -> None:
    # The notice period is days long; the tests move its end instead of waiting.
    proposal.confirmable_at = timezone.now() - timedelta(minutes=1)
    proposal.save(update_fields=["confirmable_at"])


def portability_records(user: User) -> list[bool]:
    """The member's fork-posts decisions in the ledger, oldest first."""
    return list(
        ConsentRecord.objects.filter(
            user=user, purpose=ConsentRecord.Purpose.FORK_POSTS
        )
        .order_by("created_at", "pk")
        .values_list("given", flat=True)
    )


# Proposing -------------------------------------------------------------------


def test_propose_page_prefills_the_original_charter(
    community: Community, member: User, client_for: ClientFor
) -> None:
    response = client_for(member).get(url("propose_fork", community.slug))
    assert response.status_code == 200
    assert response.context["form"]["charter"].value() == community.charter
    assert response.content.count(b"<h1") == 1


def test_member_proposes_a_fork_and_every_other_member_is_told(
    community: Community,
    member: User,
    organiser: User,
    client_for: ClientFor,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(
            url("propose_fork", community.slug),
            {
                "name": "Evening group",
                "slug": "evening-group",
                "reason": "Quieter evenings.",
                "charter": "Be kind in the evening.",
                "bring_posts": "on",
            },
        )
    proposal = ForkProposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("fork_proposal", community.slug, proposal.pk)
    assert proposal.proposer == member
    assert proposal.status == ForkProposal.Status.OPEN
    assert proposal.charter == "Be kind in the evening."
    notice = timedelta(days=community.fork_notice_days)
    assert proposal.confirmable_at == proposal.created_at + notice
    choice = ForkChoice.objects.get(proposal=proposal)
    assert (choice.user, choice.joins, choice.bring_posts) == (member, True, True)
    assert portability_records(member) == [True]
    others = set(
        Membership.objects.filter(community=community)
        .exclude(user=member)
        .values_list("user__email", flat=True)
    )
    assert sorted(tuple(m.to) for m in mailoutbox) == sorted((e,) for e in others)
    for message in mailoutbox:
        assert message.subject == "[Kinwell] A member has proposed a fork"
        assert community.name not in message.body
        assert "Quieter evenings" not in message.body
        assert url("fork_proposal", community.slug, proposal.pk) in message.body


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Give the new community a name."),
        ({"slug": "Not a slug!"}, "slug", "Use only lower-case letters"),
        ({"reason": ""}, "reason", "Say why you propose the fork."),
        ({"name": "x" * 121}, "name", "at most 120 characters"),
    ],
)
def test_bad_proposal_shows_errors_and_writes_nothing(
    community: Community,
    member: User,
    client_for: ClientFor,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = {"name": "Evening group", "slug": "evening", "reason": "Why", **fields}
    response = client_for(member).post(url("propose_fork", community.slug), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not ForkProposal.objects.exists()
    assert not ConsentRecord.objects.filter(user=member).exists()


def test_a_web_address_already_in_use_is_refused_clearly(
    community: Community, member: User, client_for: ClientFor
) -> None:
    data = {"name": "Copy", "slug": community.slug, "reason": "Why"}
    response = client_for(member).post(url("propose_fork", community.slug), data)
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [
        "Another community already uses this web address. Choose another one."
    ]
    assert not ForkProposal.objects.exists()
    assert not ForkChoice.objects.exists()


def test_two_open_proposals_cannot_share_a_web_address(
    community: Community, member: User, carer: User
) -> None:
    propose(member, community, slug="evenings")
    with pytest.raises(ValidationError) as raised:
        propose(carer, community, slug="evenings")
    assert "open fork proposal already uses" in str(raised.value)
    assert ForkProposal.objects.count() == 1


# Choosing --------------------------------------------------------------------


def test_member_chooses_to_join_and_bring_posts_and_can_change_their_mind(
    community: Community, member: User, carer: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    client = client_for(carer)
    choose = url("choose_fork", community.slug, proposal.pk)
    response = client.post(choose, {"joins": "yes", "bring_posts": "yes"})
    assert response.status_code == 302
    choice = ForkChoice.objects.get(proposal=proposal, user=carer)
    assert (choice.joins, choice.bring_posts) == (True, True)
    assert choice.community == community
    assert portability_records(carer) == [True]

    client.post(choose, {"joins": "yes", "bring_posts": "no"})
    client.post(choose, {"joins": "no", "bring_posts": "no"})
    choice.refresh_from_db()
    assert (choice.joins, choice.bring_posts) == (False, False)
    # The ledger gains a record when the decision about posts changes, not on
    # every save.
    assert portability_records(carer) == [True, False]
    assert ForkChoice.objects.filter(proposal=proposal, user=carer).count() == 1


def test_the_choice_shows_on_the_page_and_in_the_form(
    community: Community, member: User, carer: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    services.choose_fork(carer, proposal=proposal, joins=True, bring_posts=False)
    response = client_for(carer).get(url("fork_proposal", community.slug, proposal.pk))
    assert response.context["choice_form"]["joins"].value() == "yes"
    assert response.context["choice_form"]["bring_posts"].value() == "no"
    assert b"You will join the new community" in response.content
    assert b"your past posts stay here" in response.content


def test_incomplete_choice_shows_errors_and_writes_nothing(
    community: Community, member: User, carer: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    response = client_for(carer).post(
        url("choose_fork", community.slug, proposal.pk), {"joins": "maybe"}
    )
    assert response.status_code == 200
    errors = response.context["choice_form"].errors
    assert errors["joins"] == ["Choose yes or no."]
    assert errors["bring_posts"] == ["Choose whether your past posts come along."]
    assert not ForkChoice.objects.filter(user=carer).exists()
    assert portability_records(carer) == []


def test_choices_cannot_change_after_the_proposal_closes(
    community: Community, member: User, carer: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    services.withdraw_fork(member, proposal=proposal)
    response = client_for(carer).post(
        url("choose_fork", community.slug, proposal.pk),
        {"joins": "yes", "bring_posts": "yes"},
    )
    assert response.status_code == 200
    assert "proposal is closed" in str(response.context["choice_form"].errors)
    assert not ForkChoice.objects.filter(user=carer).exists()


# Comments --------------------------------------------------------------------


def test_organisers_comment_and_comments_go_through_the_markdown_pipeline(
    community: Community, member: User, organiser: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    response = client_for(organiser).post(
        url("comment_fork", community.slug, proposal.pk),
        {"body": "I would *rather* we stayed. <script>alert(1)</script>"},
    )
    assert response.status_code == 302
    comment = ForkComment.objects.get()
    assert (comment.author, comment.community) == (organiser, community)
    page = client_for(member).get(url("fork_proposal", community.slug, proposal.pk))
    assert b"<em>rather</em>" in page.content
    assert b"<script>alert(1)" not in page.content
    assert b"<strong>in the evening</strong>" in page.content


def test_empty_comment_is_refused(
    community: Community, member: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    response = client_for(member).post(
        url("comment_fork", community.slug, proposal.pk), {"body": "  "}
    )
    assert response.status_code == 200
    assert response.context["comment_form"].errors["body"] == [
        "Write a comment before sending it."
    ]
    assert not ForkComment.objects.exists()


# Withdrawing and confirming -----------------------------------------------------


def test_only_the_proposer_can_withdraw(
    community: Community, member: User, organiser: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    urls = proposal_urls(proposal)
    response = client_for(organiser).post(urls["withdraw_fork"], follow=True)
    assert b"Only the member who proposed this fork can withdraw it." in (
        response.content
    )
    proposal.refresh_from_db()
    assert proposal.status == ForkProposal.Status.OPEN

    client_for(member).post(urls["withdraw_fork"])
    proposal.refresh_from_db()
    assert proposal.status == ForkProposal.Status.WITHDRAWN
    assert AuditEvent.objects.filter(action="fork.withdraw", actor=member).exists()


def test_organisers_cannot_confirm_or_block(
    community: Community, member: User, organiser: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    end_notice(proposal)
    client_for(organiser).post(proposal_urls(proposal)["confirm_fork"])
    proposal.refresh_from_db()
    assert proposal.status == ForkProposal.Status.OPEN
    client_for(member).post(proposal_urls(proposal)["confirm_fork"])
    proposal.refresh_from_db()
    assert proposal.status == ForkProposal.Status.CONFIRMED


def test_confirming_during_the_notice_period_is_refused(
    community: Community, member: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    response = client_for(member).post(
        proposal_urls(proposal)["confirm_fork"], follow=True
    )
    assert b"The notice period is still running" in response.content
    assert Community.objects.count() == 1
    proposal.refresh_from_db()
    assert proposal.status == ForkProposal.Status.OPEN


def test_confirming_needs_the_proposer_to_join(
    community: Community, member: User
) -> None:
    proposal = propose(member, community)
    services.choose_fork(member, proposal=proposal, joins=False, bring_posts=False)
    end_notice(proposal)
    with pytest.raises(ValidationError, match="Choose to join"):
        services.confirm_fork(member, proposal=proposal)
    assert Community.objects.count() == 1


def test_confirming_when_the_address_was_taken_meanwhile_is_refused(
    community: Community, member: User, organiser: User
) -> None:
    proposal = propose(member, community)
    end_notice(proposal)
    Community.objects.create(name="Someone else", slug=proposal.slug)
    with pytest.raises(ValidationError, match="now uses this proposal's web address"):
        services.confirm_fork(member, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == ForkProposal.Status.OPEN


def test_confirmed_fork_has_provenance_settings_and_the_members_who_joined(
    community: Community,
    member: User,
    carer: User,
    organiser: User,
    moderator: User,
    client_for: ClientFor,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    cluster = Cluster.objects.create(name="Long COVID", slug="long-covid")
    community.cluster = cluster
    community.join_policy = Community.JoinPolicy.REQUEST
    community.size_cap = 40
    community.description = "Peer support."
    community.save(update_fields=["cluster", "join_policy", "size_cap", "description"])
    proposal = propose(member, community)
    services.choose_fork(carer, proposal=proposal, joins=True, bring_posts=True)
    services.choose_fork(moderator, proposal=proposal, joins=False, bring_posts=True)
    end_notice(proposal)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(proposal_urls(proposal)["confirm_fork"])

    assert response.status_code == 302
    fork = Community.objects.get(slug="evening-group")
    assert fork.forked_from == community
    assert fork.forked_at is not None
    assert fork.charter == proposal.charter
    assert (fork.name, fork.topic, fork.description) == (
        "Evening group",
        community.topic,
        "Peer support.",
    )
    assert (fork.visibility, fork.join_policy, fork.size_cap, fork.cluster) == (
        community.visibility,
        Community.JoinPolicy.REQUEST,
        40,
        cluster,
    )
    roles = dict(fork.memberships.values_list("user__email", "role"))
    assert roles == {
        member.email: Membership.Role.ORGANISER,
        carer.email: Membership.Role.MEMBER,
    }
    proposal.refresh_from_db()
    assert proposal.status == ForkProposal.Status.CONFIRMED
    assert proposal.fork == fork
    assert proposal.confirmed_at == fork.forked_at
    # The original is unchanged.
    community.refresh_from_db()
    assert community.forked_from is None
    assert community.memberships.count() == 4
    assert [m.to for m in mailoutbox] == [[carer.email]]
    assert mailoutbox[0].subject == "[Kinwell] The fork you chose to join now exists"


def test_members_who_left_the_original_are_not_carried_into_the_fork(
    community: Community, member: User, carer: User
) -> None:
    proposal = propose(member, community)
    services.choose_fork(carer, proposal=proposal, joins=True, bring_posts=False)
    Membership.objects.filter(community=community, user=carer).delete()
    end_notice(proposal)
    fork = services.confirm_fork(member, proposal=proposal)
    assert list(fork.memberships.values_list("user", flat=True)) == [member.pk]


def test_confirmed_and_withdrawn_proposals_stay_closed(
    community: Community, member: User
) -> None:
    proposal = propose(member, community)
    end_notice(proposal)
    services.confirm_fork(member, proposal=proposal)
    for change in (services.confirm_fork, services.withdraw_fork):
        with pytest.raises(ValidationError, match="already closed"):
            change(member, proposal=proposal)
    with pytest.raises(ValidationError, match="Comments are closed"):
        services.comment_on_fork(member, proposal=proposal, body="Late")
    assert Community.objects.count() == 2


def test_copiers_get_the_members_who_bring_their_posts(
    community: Community, member: User, carer: User, moderator: User
) -> None:
    calls: list[tuple[Community, Community, frozenset[int]]] = []

    def copy(original: Community, fork: Community, ids: frozenset[int]) -> None:
        calls.append((original, fork, ids))

    copiers.register(copy)
    try:
        proposal = propose(member, community, bring_posts=True)
        services.choose_fork(carer, proposal=proposal, joins=False, bring_posts=True)
        services.choose_fork(
            moderator, proposal=proposal, joins=True, bring_posts=False
        )
        end_notice(proposal)
        fork = services.confirm_fork(member, proposal=proposal)
    finally:
        copiers.unregister(copy)
    assert calls == [(community, fork, frozenset({member.pk, carer.pk}))]


# Who may see what ------------------------------------------------------------


def test_outsiders_of_a_hidden_community_get_404_on_every_fork_url(
    hidden_community: Community, member: User, outsider: User, client_for: ClientFor
) -> None:
    proposal = propose(member, hidden_community)
    client = client_for(outsider)
    urls = proposal_urls(proposal)
    for path in (
        url("forks", hidden_community.slug),
        url("propose_fork", hidden_community.slug),
        urls["fork_proposal"],
    ):
        assert client.get(path).status_code == 404, path
    for name in ("choose_fork", "comment_fork", "confirm_fork", "withdraw_fork"):
        assert client.post(urls[name]).status_code == 404, name
    assert ForkProposal.objects.get().status == ForkProposal.Status.OPEN


def test_outsiders_of_a_listed_community_get_403_on_every_fork_url(
    community: Community, member: User, outsider: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    client = client_for(outsider)
    urls = proposal_urls(proposal)
    for path in (
        url("forks", community.slug),
        url("propose_fork", community.slug),
        urls["fork_proposal"],
    ):
        assert client.get(path).status_code == 403, path
    for name in ("choose_fork", "comment_fork", "confirm_fork", "withdraw_fork"):
        assert client.post(urls[name], {"body": "x"}).status_code == 403, name
    assert not ForkComment.objects.exists()


def test_a_proposal_is_reached_only_through_its_own_community(
    community: Community,
    hidden_community: Community,
    member: User,
    client_for: ClientFor,
) -> None:
    proposal = propose(member, hidden_community)
    response = client_for(member).get(url("fork_proposal", community.slug, proposal.pk))
    assert response.status_code == 404


def test_visitors_are_asked_to_log_in(community: Community, member: User) -> None:
    proposal = propose(member, community)
    response = Client().get(proposal_urls(proposal)["fork_proposal"])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# Pages -----------------------------------------------------------------------


def test_forks_page_lists_proposals_and_links_to_propose(
    community: Community, member: User, organiser: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    response = client_for(organiser).get(url("forks", community.slug))
    assert response.status_code == 200
    content = response.content.decode()
    assert url("propose_fork", community.slug) in content
    assert url("fork_proposal", community.slug, proposal.pk) in content
    assert "1 member joining so far" in content


def test_forks_page_runs_a_bounded_number_of_queries(
    community: Community, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    numbers = iter(range(1000))

    def add(rows: int) -> None:
        for _ in range(rows):
            proposal = propose(member, community, slug=f"fork-{next(numbers)}")
            end_notice(proposal)
            services.confirm_fork(member, proposal=proposal)

    assert_bounded_queries(
        lambda: client.get(url("forks", community.slug)), add, max_queries=12
    )


def test_proposal_page_runs_a_bounded_number_of_queries(
    community: Community, member: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    client = client_for(member)
    path = url("fork_proposal", community.slug, proposal.pk)

    def add(rows: int) -> None:
        for _ in range(rows):
            person = factories.make_user()
            Membership.objects.create(community=community, user=person)
            services.choose_fork(
                person, proposal=proposal, joins=True, bring_posts=True
            )
            services.comment_on_fork(person, proposal=proposal, body="I'm in.")

    assert_bounded_queries(lambda: client.get(path), add, max_queries=14)


def test_provenance_links_the_fork_and_the_original_both_ways(
    community: Community, member: User, organiser: User, client_for: ClientFor
) -> None:
    proposal = propose(member, community)
    end_notice(proposal)
    fork = services.confirm_fork(member, proposal=proposal)

    original_page = client_for(organiser).get(url("forks", community.slug))
    assert "Forks of this community" in original_page.content.decode()
    assert fork.name in original_page.content.decode()
    fork_page = client_for(member).get(url("forks", fork.slug))
    text = " ".join(re.sub(r"<[^>]+>", "", fork_page.content.decode()).split())
    assert f"Forked from {community.name} on" in text


def test_provenance_hides_hidden_forks_from_people_outside_them(
    hidden_community: Community, member: User, organiser: User
) -> None:
    proposal = propose(member, hidden_community)
    end_notice(proposal)
    fork = services.confirm_fork(member, proposal=proposal)
    assert fork.is_hidden
    assert fork_provenance(member, hidden_community).forks == [fork]
    assert fork_provenance(organiser, hidden_community).forks == []
    html = render_to_string(
        "communities/forks/_provenance.html",
        {"provenance": fork_provenance(organiser, hidden_community)},
    )
    assert fork.name not in html
    assert fork_provenance(member, fork).forked_from == hidden_community


def test_demo_makes_a_confirmed_fork_once(db: None) -> None:
    people = {
        f"{name}@demo.kinwell.test": factories.make_user(
            name.title(), email=f"{name}@demo.kinwell.test"
        )
        for name in ("alex", "casey", "nia", "val")
    }
    made = load_demo(people)
    assert made
    fork = Community.objects.get(slug="demo-fatigue-evenings")
    assert fork.forked_from is not None
    assert fork.forked_from.slug == "demo-fatigue-support"
    assert load_demo(people) == []
    assert Community.objects.count() == 2


def test_a_fork_decision_is_referenced_and_leaves_standing_consent_alone(
    community: Community, member: User
) -> None:
    from kinwell.accounts import services as account_services

    account_services.record_consent(
        member, user=member, purpose=ConsentRecord.Purpose.PORTABILITY, given=True
    )
    proposal = services.propose_fork(
        member,
        community=community,
        name="Mornings",
        slug="mornings",
        reason="Earlier meetings.",
        charter=community.charter,
        bring_posts=False,
    )
    decision = ConsentRecord.objects.get(
        user=member, purpose=ConsentRecord.Purpose.FORK_POSTS
    )
    assert decision.reference == f"fork_proposal:{proposal.pk}"
    assert decision.given is False
    assert account_services.has_consented(member, ConsentRecord.Purpose.PORTABILITY)


def test_the_original_and_the_fork_link_to_each_other(
    community: Community, member: User, outsider: User, client_for: ClientFor
) -> None:
    proposal = services.propose_fork(
        member,
        community=community,
        name="Quiet Hours",
        slug="quiet-hours",
        reason="A calmer pace.",
        charter=community.charter,
        bring_posts=True,
    )
    end_notice(proposal)
    fork = services.confirm_fork(member, proposal=proposal)
    original_page = client_for(outsider).get(f"/c/{community.slug}/").content.decode()
    fork_page = client_for(outsider).get(f"/c/{fork.slug}/").content.decode()
    assert f'href="/c/{fork.slug}/"' in original_page
    assert f'href="/c/{community.slug}/"' in fork_page
    assert "Forked from" in fork_page
