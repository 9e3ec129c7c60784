"""Communities through the website, as each persona: the directory, a
community's page, joining and leaving, roles, join requests, invitation
links, the size cap and its waiting list, clusters and the health panel."""

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from kinwell.accounts.models import AuditEvent, User
from kinwell.communities import access, services
from kinwell.communities.models import (
    Cluster,
    Community,
    Departure,
    InviteLink,
    JoinRequest,
    MemberInvitation,
    Membership,
)
from tests import factories
from tests.helpers import assert_bounded_queries

ClientFor = Callable[[User], Client]


def url(name: str, *args: object) -> str:
    return reverse(f"communities:{name}", args=args)


def png_bytes(*, exif: bool = False, size: tuple[int, int] = (40, 40)) -> bytes:
    image = Image.new("RGB", size, "teal")
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "Canary Camera Maker"  # Make
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def add_members(community: Community, count: int) -> list[User]:
    people = [factories.make_user() for _ in range(count)]
    for person in people:
        Membership.objects.create(community=community, user=person)
    return people


def by_request(organiser: User, moderator: User, **kwargs: Any) -> Community:
    community = factories.make_community(
        organiser, join_policy="request", moderators=(moderator,), **kwargs
    )
    community.join_question = "What brings you here?"
    community.save(update_fields=["join_question"])
    return community


def ask_to_join(user: User, community: Community) -> JoinRequest:
    join_request = services.join_community(user, community=community, answer="Hi")
    assert isinstance(join_request, JoinRequest)
    return join_request


# The directory -------------------------------------------------------------


def test_directory_lists_listed_communities_and_never_hidden_ones(
    client_for: ClientFor,
    member: User,
    community: Community,
    hidden_community: Community,
) -> None:
    members_only = factories.make_community(
        factories.make_user(), name="Members Only Lounge", visibility="members"
    )
    for client in (Client(), client_for(member)):
        page = client.get(url("directory")).content.decode()
        assert community.name in page
        assert members_only.name in page
        assert hidden_community.name not in page


def test_directory_searches_by_name_and_condition(
    community: Community, db: None
) -> None:
    other = factories.make_community(factories.make_user(), name="Asthma Friends")
    other.topic = "Asthma"
    other.save(update_fields=["topic"])
    by_name = Client().get(url("directory"), {"q": "peer"}).content.decode()
    assert community.name in by_name
    assert other.name not in by_name
    by_topic = Client().get(url("directory"), {"q": "asthma"}).content.decode()
    assert other.name in by_topic
    assert community.name not in by_topic
    nothing = Client().get(url("directory"), {"q": "zebra"}).content.decode()
    assert "No community matches" in nothing


def test_directory_runs_bounded_queries(db: None) -> None:
    organiser = factories.make_user()

    def add(count: int) -> None:
        for _ in range(count):
            factories.make_community(organiser, members=(factories.make_user(),))

    def fetch() -> object:
        cache.clear()  # member counts are remembered for a minute; count them
        return Client().get(url("directory"))

    assert_bounded_queries(fetch, add, max_queries=4)


def test_directory_member_counts_are_remembered_until_a_change(
    community: Community,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cache.clear()
    before = access.member_counts([community])[community.pk]
    with django_assert_num_queries(0):
        assert access.member_counts([community])[community.pk] == before
    newcomer = factories.make_user()
    with django_capture_on_commit_callbacks(execute=True):
        Membership.objects.create(community=community, user=newcomer)
    assert access.member_counts([community])[community.pk] == before + 1


# A community's page --------------------------------------------------------


def test_public_page_shows_charter_organisers_and_join(
    community: Community, organiser: User
) -> None:
    page = Client().get(url("detail", community.slug)).content.decode()
    assert "<h3>Purpose</h3>" in page  # the charter, through the Markdown pipeline
    assert organiser.public_name in page
    assert url("join", community.slug) in page


def test_charter_is_sanitised(community: Community) -> None:
    community.charter = "<script>alert(1)</script> [x](javascript:alert(1))"
    community.save(update_fields=["charter"])
    page = Client().get(url("detail", community.slug)).content.decode()
    assert "<script>alert" not in page
    assert 'href="javascript' not in page


def test_members_only_outsider_sees_about_and_charter_but_no_members(
    client_for: ClientFor, outsider: User, organiser: User, member: User
) -> None:
    community = factories.make_community(
        organiser, visibility="members", members=(member,)
    )
    client = client_for(outsider)
    page = client.get(url("detail", community.slug)).content.decode()
    assert "<h3>Purpose</h3>" in page
    assert organiser.public_name not in page
    assert client.get(url("members", community.slug)).status_code == 403


HIDDEN_PAGES = [
    ("detail", "get"),
    ("join", "get"),
    ("join", "post"),
    ("leave", "get"),
    ("members", "get"),
    ("requests", "get"),
    ("invite_links", "get"),
    ("edit", "get"),
    ("health", "get"),
    ("avatar", "get"),
]


@pytest.mark.parametrize(("name", "method"), HIDDEN_PAGES)
def test_hidden_community_is_404_to_outsiders(
    client_for: ClientFor,
    outsider: User,
    hidden_community: Community,
    name: str,
    method: str,
) -> None:
    client = client_for(outsider)
    response = getattr(client, method)(url(name, hidden_community.slug))
    assert response.status_code == 404
    assert hidden_community.name not in response.content.decode()


def test_hidden_community_is_open_to_its_members(
    client_for: ClientFor, member: User, hidden_community: Community
) -> None:
    response = client_for(member).get(url("detail", hidden_community.slug))
    assert response.status_code == 200


def test_provenance_links_to_a_visible_original(
    community: Community, hidden_community: Community
) -> None:
    fork = factories.make_community(factories.make_user(), name="The Fork")
    fork.forked_from = community
    fork.forked_at = timezone.now()
    fork.imported_from = "kinwell.example.org"
    fork.imported_at = timezone.now()
    fork.save()
    page = Client().get(url("detail", fork.slug)).content.decode()
    assert f'href="{url("detail", community.slug)}"' in page
    assert "Imported from kinwell.example.org" in page
    fork.forked_from = hidden_community
    fork.save(update_fields=["forked_from"])
    page = Client().get(url("detail", fork.slug)).content.decode()
    assert "Forked from another community" in page
    assert hidden_community.name not in page


# Starting a community ------------------------------------------------------


def community_form(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Fatigue Friends North",
        "topic": "ME/CFS",
        "description": "Gentle company.",
        "charter": "## Rules\n\nBe kind.",
        "visibility": "public",
        "join_policy": "open",
        "join_question": "",
        **overrides,
    }


def test_anyone_signed_in_can_start_a_community(
    client_for: ClientFor, outsider: User
) -> None:
    response = client_for(outsider).post(url("create"), community_form())
    community = Community.objects.get(name="Fatigue Friends North")
    assert response.status_code == 302
    assert response["Location"] == url("detail", community.slug)
    assert Membership.objects.get(community=community).user == outsider
    assert Membership.objects.get(community=community).role == "organiser"


def test_visitor_is_asked_to_log_in_to_start_one(db: None) -> None:
    response = Client().get(url("create"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_bad_community_form_writes_nothing(
    client_for: ClientFor, outsider: User
) -> None:
    response = client_for(outsider).post(
        url("create"), community_form(name="", visibility="sideways")
    )
    assert response.status_code == 200
    assert "Give the community a name." in response.content.decode()
    assert not Community.objects.exists()


def test_avatar_is_reencoded_without_exif(
    client_for: ClientFor, outsider: User
) -> None:
    upload = SimpleUploadedFile("me.jpg", png_bytes(exif=True), "image/jpeg")
    client_for(outsider).post(url("create"), {**community_form(), "avatar": upload})
    community = Community.objects.get()
    with Image.open(community.avatar.open("rb")) as stored:
        assert stored.format == "PNG"
        assert not stored.getexif()
        assert "exif" not in stored.info
    response = Client().get(url("avatar", community.slug))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_avatar_must_be_a_small_picture(client_for: ClientFor, outsider: User) -> None:
    client = client_for(outsider)
    fake = SimpleUploadedFile("x.png", b"not a picture", "image/png")
    response = client.post(url("create"), {**community_form(), "avatar": fake})
    assert "not a picture we can read" in response.content.decode()
    big = SimpleUploadedFile("big.png", b"\0" * (2 * 1024 * 1024 + 1), "image/png")
    response = client.post(url("create"), {**community_form(), "avatar": big})
    assert response.status_code == 200
    assert not Community.objects.exists()


# Joining -------------------------------------------------------------------


def test_joining_an_open_community(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    client = client_for(outsider)
    assert client.get(url("join", community.slug)).status_code == 200
    response = client.post(url("join", community.slug))
    assert response.status_code == 302
    assert Membership.objects.filter(community=community, user=outsider).exists()
    # A member who comes back to the join page is sent to the community.
    assert client.get(url("join", community.slug)).status_code == 302


def test_request_to_join_is_approved_by_a_moderator(
    client_for: ClientFor,
    outsider: User,
    organiser: User,
    moderator: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    community = by_request(organiser, moderator)
    outsider_client = client_for(outsider)
    response = outsider_client.post(url("join", community.slug), {"answer": ""})
    assert "Please answer" in response.content.decode()
    outsider_client.post(url("join", community.slug), {"answer": "Fatigue, mostly."})
    join_request = JoinRequest.objects.get(community=community, user=outsider)
    assert join_request.status == "pending"
    page = client_for(moderator).get(url("requests", community.slug))
    assert "Fatigue, mostly." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(moderator).post(
            url("decide_request", community.slug, join_request.pk),
            {"decision": "approve"},
        )
    assert Membership.objects.filter(community=community, user=outsider).exists()
    event = AuditEvent.objects.get(action="join_request.approved")
    assert event.actor == moderator
    assert event.subject == outsider
    assert [m.to for m in mailoutbox] == [[outsider.email]]
    assert community.name not in mailoutbox[0].body
    assert community.topic not in mailoutbox[0].body


def test_declining_needs_a_reason_and_tells_the_person(
    client_for: ClientFor,
    outsider: User,
    organiser: User,
    moderator: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    community = by_request(organiser, moderator)
    join_request = ask_to_join(outsider, community)
    client = client_for(organiser)
    decide = url("decide_request", community.slug, join_request.pk)
    client.post(decide, {"decision": "decline", "reason": ""})
    join_request.refresh_from_db()
    assert join_request.status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            decide,
            {
                "decision": "decline",
                "reason": "We are full of kindness but not of room.",
            },
        )
    join_request.refresh_from_db()
    assert join_request.status == "declined"
    assert "not of room" in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="join_request.declined").exists()


def test_members_cannot_decide_requests(
    client_for: ClientFor,
    outsider: User,
    member: User,
    organiser: User,
    moderator: User,
) -> None:
    community = by_request(organiser, moderator, members=(member,))
    join_request = ask_to_join(outsider, community)
    client = client_for(member)
    assert client.get(url("requests", community.slug)).status_code == 403
    response = client.post(
        url("decide_request", community.slug, join_request.pk), {"decision": "approve"}
    )
    assert response.status_code == 403


def test_moderator_without_two_factor_is_sent_to_set_it_up(
    client_for: ClientFor, organiser: User
) -> None:
    plain = factories.make_user("Pat Plain")
    community = factories.make_community(organiser, moderators=(plain,))
    response = client_for(plain).get(url("requests", community.slug))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_invite_only_community_refuses_plain_joins(
    client_for: ClientFor, outsider: User, organiser: User
) -> None:
    community = factories.make_community(organiser, join_policy="invite")
    response = client_for(outsider).post(url("join", community.slug))
    assert "with an invitation link" in response.content.decode()
    assert not Membership.objects.filter(user=outsider).exists()


def test_withdrawing_a_request(
    client_for: ClientFor, outsider: User, organiser: User, moderator: User
) -> None:
    community = by_request(organiser, moderator)
    join_request = ask_to_join(outsider, community)
    client_for(outsider).post(url("withdraw_request", join_request.pk))
    join_request.refresh_from_db()
    assert join_request.status == "withdrawn"
    response = client_for(moderator).post(url("withdraw_request", join_request.pk))
    assert response.status_code == 404


# Invitation links ----------------------------------------------------------


def test_invite_link_lets_people_join_a_hidden_community(
    client_for: ClientFor, organiser: User, outsider: User, hidden_community: Community
) -> None:
    client = client_for(organiser)
    client.post(url("invite_links", hidden_community.slug), {"days": 7, "max_uses": 1})
    link = InviteLink.objects.get(community=hidden_community)
    assert len(link.token) >= 32
    page = client.get(url("invite_links", hidden_community.slug)).content.decode()
    assert link.token in page
    joiner = client_for(outsider)
    assert joiner.get(url("invite", link.token)).status_code == 200
    joiner.post(url("invite", link.token))
    assert Membership.objects.filter(community=hidden_community, user=outsider).exists()
    link.refresh_from_db()
    assert link.uses == 1
    late = client_for(factories.make_user())
    late.post(url("invite", link.token))
    assert "no longer works" in late.get(url("invite", link.token)).content.decode()
    assert Membership.objects.filter(community=hidden_community).count() == 3


def test_revoked_or_expired_links_stop_working(
    client_for: ClientFor, organiser: User, outsider: User, community: Community
) -> None:
    link = services.create_invite_link(
        organiser, community=community, days=7, max_uses=5
    )
    client_for(organiser).post(url("revoke_invite", community.slug, link.pk))
    link.refresh_from_db()
    assert link.revoked_at is not None
    client_for(outsider).post(url("invite", link.token))
    assert not Membership.objects.filter(user=outsider).exists()
    fresh = services.create_invite_link(
        organiser, community=community, days=1, max_uses=5
    )
    InviteLink.objects.filter(pk=fresh.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client_for(outsider).post(url("invite", fresh.token))
    assert not Membership.objects.filter(user=outsider).exists()


def test_unknown_token_is_404(client_for: ClientFor, outsider: User) -> None:
    assert client_for(outsider).get(url("invite", "nope")).status_code == 404


def test_bad_invite_link_form_writes_nothing(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    response = client_for(organiser).post(
        url("invite_links", community.slug), {"days": 0, "max_uses": 100000}
    )
    assert response.status_code == 200
    assert not InviteLink.objects.exists()


# Invitations ---------------------------------------------------------------


def test_invitations_are_accepted_or_declined_from_your_communities(
    client_for: ClientFor, outsider: User, community: Community
) -> None:
    first = MemberInvitation.objects.create(community=community, user=outsider)
    other = factories.make_community(factories.make_user(), name="Second Place")
    second = MemberInvitation.objects.create(community=other, user=outsider)
    client = client_for(outsider)
    page = client.get(url("mine")).content.decode()
    assert community.name in page
    assert other.name in page
    client.post(url("answer_invitation", first.pk), {"accept": "yes"})
    client.post(url("answer_invitation", second.pk), {"accept": "no"})
    assert Membership.objects.filter(community=community, user=outsider).exists()
    assert not Membership.objects.filter(community=other, user=outsider).exists()
    second.refresh_from_db()
    assert second.status == "declined"


def test_your_communities_lists_hidden_ones_and_requests(
    client_for: ClientFor,
    member: User,
    hidden_community: Community,
    organiser: User,
    moderator: User,
) -> None:
    asked = by_request(organiser, moderator, name="Asked Place")
    services.join_community(member, community=asked, answer="Please")
    page = client_for(member).get(url("mine")).content.decode()
    assert hidden_community.name in page
    assert "Asked Place" in page


def test_your_communities_runs_bounded_queries(
    client_for: ClientFor, member: User
) -> None:
    client = client_for(member)

    def add(count: int) -> None:
        for _ in range(count):
            organiser = factories.make_user()
            joined = factories.make_community(organiser, members=(member,))
            services.create_cluster(organiser, community=joined, name="A cluster")
            asked = factories.make_community(organiser, join_policy="request")
            services.join_community(member, community=asked, answer="Hi")
            MemberInvitation.objects.create(community=asked, user=member)

    assert_bounded_queries(lambda: client.get(url("mine")), add, max_queries=11)


# Leaving -------------------------------------------------------------------


@pytest.mark.parametrize("keep", [True, False])
def test_member_leaves_and_chooses_about_posts(
    client_for: ClientFor, member: User, community: Community, keep: bool
) -> None:
    client = client_for(member)
    assert client.get(url("leave", community.slug)).status_code == 200
    response = client.post(
        url("leave", community.slug), {"keep_posts": "yes" if keep else "no"}
    )
    assert response["Location"] == url("mine")
    assert not Membership.objects.filter(community=community, user=member).exists()
    assert Departure.objects.get(community=community, user=member).keep_posts is keep


def test_leaving_needs_a_choice(
    client_for: ClientFor, member: User, community: Community
) -> None:
    response = client_for(member).post(url("leave", community.slug), {})
    assert "Choose what happens to your posts." in response.content.decode()
    assert Membership.objects.filter(community=community, user=member).exists()


def test_the_only_organiser_cannot_leave(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    response = client_for(organiser).post(
        url("leave", community.slug), {"keep_posts": "yes"}
    )
    assert "only organiser" in response.content.decode()
    assert Membership.objects.filter(community=community, user=organiser).exists()
    assert not Departure.objects.exists()


# Roles ---------------------------------------------------------------------


def test_organiser_promotes_and_demotes_with_an_audit_record(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    client = client_for(organiser)
    client.post(url("set_role", community.slug, member.pk), {"role": "moderator"})
    assert Membership.objects.get(community=community, user=member).role == "moderator"
    event = AuditEvent.objects.get(action="membership.role")
    assert event.subject == member
    assert event.reason == "member to moderator"


def test_last_organiser_cannot_demote_themselves(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client_for(organiser).post(
        url("set_role", community.slug, organiser.pk), {"role": "member"}
    )
    assert (
        Membership.objects.get(community=community, user=organiser).role == "organiser"
    )


def test_transfer_hands_over_the_organiser_role(
    client_for: ClientFor, organiser: User, moderator: User, community: Community
) -> None:
    client_for(organiser).post(url("transfer", community.slug, moderator.pk))
    roles = dict(
        Membership.objects.filter(community=community).values_list("user", "role")
    )
    assert roles[moderator.pk] == "organiser"
    assert roles[organiser.pk] == "member"
    assert AuditEvent.objects.filter(action="membership.role").count() == 2


def test_only_organisers_change_roles(
    client_for: ClientFor, moderator: User, member: User, community: Community
) -> None:
    response = client_for(moderator).post(
        url("set_role", community.slug, member.pk), {"role": "organiser"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(community=community, user=member).role == "member"


def test_role_of_a_non_member_is_404(
    client_for: ClientFor, organiser: User, outsider: User, community: Community
) -> None:
    response = client_for(organiser).post(
        url("set_role", community.slug, outsider.pk), {"role": "moderator"}
    )
    assert response.status_code == 404


def test_members_page_runs_bounded_queries(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client = client_for(organiser)
    assert_bounded_queries(
        lambda: client.get(url("members", community.slug)),
        lambda count: add_members(community, count),
        max_queries=12,
    )


def test_requests_page_runs_bounded_queries(
    client_for: ClientFor, organiser: User, moderator: User
) -> None:
    community = by_request(organiser, moderator)
    client = client_for(moderator)

    def add(count: int) -> None:
        for _ in range(count):
            services.join_community(
                factories.make_user(), community=community, answer="Hi"
            )

    assert_bounded_queries(
        lambda: client.get(url("requests", community.slug)), add, max_queries=13
    )


# The size cap --------------------------------------------------------------


def test_organisers_hear_once_at_four_fifths_of_the_cap(
    organiser: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    community = factories.make_community(organiser)
    community.size_cap = 5
    community.save(update_fields=["size_cap"])
    add_members(community, 2)  # three with the organiser
    with django_capture_on_commit_callbacks(execute=True):
        services.join_community(factories.make_user(), community=community)
        services.join_community(factories.make_user(), community=community)
    assert [m.to for m in mailoutbox] == [[organiser.email]]
    assert community.name not in mailoutbox[0].body
    community.refresh_from_db()
    assert community.near_cap_notified_at is not None


def test_at_the_cap_newcomers_wait_and_the_first_gets_in_when_someone_leaves(
    client_for: ClientFor, organiser: User, member: User
) -> None:
    community = factories.make_community(organiser, members=(member,))
    community.size_cap = 2
    community.save(update_fields=["size_cap"])
    sibling = factories.make_community(organiser, name="Sibling South")
    services.create_cluster(organiser, community=community, name="Cluster")
    services.move_to_cluster(
        organiser,
        community=sibling,
        cluster=Community.objects.get(pk=community.pk).cluster,
    )
    first, second = factories.make_user(), factories.make_user()
    page = client_for(first).get(url("join", community.slug)).content.decode()
    assert "Sibling South" in page
    assert url("create") in page
    client_for(first).post(url("join", community.slug))
    client_for(second).post(url("join", community.slug))
    assert JoinRequest.objects.filter(status="waiting").count() == 2
    services.leave_community(member, community=community, keep_posts=True)
    assert Membership.objects.filter(community=community, user=first).exists()
    assert not Membership.objects.filter(community=community, user=second).exists()
    assert JoinRequest.objects.get(user=first).status == "approved"


def test_size_cap_may_not_pass_the_instance_maximum(
    client_for: ClientFor, organiser: User, community: Community, settings: Any
) -> None:
    settings.KINWELL_MAX_COMMUNITY_SIZE = 200
    form = {**community_form(name=community.name), "size_cap": 201}
    response = client_for(organiser).post(url("edit", community.slug), form)
    assert "between 2 and 200" in response.content.decode()
    community.refresh_from_db()
    assert community.size_cap == 150
    client_for(organiser).post(url("edit", community.slug), {**form, "size_cap": 12})
    community.refresh_from_db()
    assert community.size_cap == 12
    assert community.topic == "ME/CFS"


def test_health_panel_shows_members_against_the_cap(
    client_for: ClientFor, organiser: User, moderator: User
) -> None:
    community = by_request(organiser, moderator)
    community.size_cap = 4
    community.save(update_fields=["size_cap"])
    Membership.objects.filter(community=community, user=moderator).update(
        last_active_at=timezone.now() - timedelta(days=40)
    )
    services.join_community(factories.make_user(), community=community, answer="Hi")
    page = client_for(organiser).get(url("health", community.slug)).content.decode()
    assert "2 of 4" in page
    assert "Active in the last 30 days</dt>\n        <dd>1" in page
    assert "Requests waiting for a decision</dt>\n        <dd>1" in page
    assert client_for(moderator).get(url("health", community.slug)).status_code == 403


# Clusters ------------------------------------------------------------------


def test_organiser_creates_a_cluster_and_moves_a_sibling_in(
    client_for: ClientFor,
    organiser: User,
    community: Community,
    hidden_community: Community,
    outsider: User,
) -> None:
    client = client_for(organiser)
    client.post(
        url("cluster_settings", community.slug),
        {"action": "create", "name": "Long COVID UK", "description": "Siblings."},
    )
    cluster = Cluster.objects.get()
    client.post(
        url("cluster_settings", hidden_community.slug),
        {"action": "move", "cluster": cluster.pk},
    )
    hidden_community.refresh_from_db()
    assert hidden_community.cluster == cluster
    public_view = Client().get(url("cluster", cluster.slug)).content.decode()
    assert community.name in public_view
    assert hidden_community.name not in public_view
    detail = client.get(url("detail", community.slug)).content.decode()
    assert hidden_community.name in detail  # members see their siblings
    assert (
        hidden_community.name
        not in client_for(outsider).get(url("detail", community.slug)).content.decode()
    )


def test_cannot_join_a_strangers_cluster(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    stranger = factories.make_user()
    theirs = factories.make_community(stranger)
    cluster = services.create_cluster(stranger, community=theirs, name="Theirs")
    response = client_for(organiser).post(
        url("cluster_settings", community.slug),
        {"action": "move", "cluster": cluster.pk},
    )
    assert response.status_code == 200
    community.refresh_from_db()
    assert community.cluster is None


def test_cluster_of_only_hidden_communities_is_404(
    organiser: User, hidden_community: Community
) -> None:
    cluster = services.create_cluster(
        organiser, community=hidden_community, name="Quiet"
    )
    assert Client().get(url("cluster", cluster.slug)).status_code == 404


# Demo data -----------------------------------------------------------------


def test_demo_communities_load_once(db: None) -> None:
    from kinwell.communities.demo import load_demo

    people = {
        f"{name}@demo.kinwell.test": factories.make_user(
            name, email=f"{name}@demo.kinwell.test"
        )
        for name in ("alex", "casey", "nia", "val", "rin", "admin")
    }
    made = load_demo(people)
    assert len(made) == 4
    cluster = Cluster.objects.get(name="Long COVID UK")
    assert cluster.communities.count() == 3
    assert Community.objects.get(name="Evening Circle").is_hidden
    assert load_demo(people) == []
    assert Community.objects.count() == 4


def test_invite_links_page_runs_bounded_queries(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client = client_for(organiser)

    def add(count: int) -> None:
        for _ in range(count):
            services.create_invite_link(
                organiser, community=community, days=3, max_uses=3
            )

    assert_bounded_queries(
        lambda: client.get(url("invite_links", community.slug)), add, max_queries=12
    )
