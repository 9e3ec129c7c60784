"""Staff alerts about new stories (at once and in the daily digest), and the
staff dashboard."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.stories import alerts, replies
from kinwell.stories.models import (
    AlertDelivery,
    Organisation,
    Service,
    StaffAlert,
    StaffMembership,
    Story,
)
from tests import factories
from tests.helpers import assert_bounded_queries
from tests.test_story_replies import (
    TEXT,
    fresh,
    make_organisation,
    make_service,
    make_staff,
    make_story,
)

Clients = Callable[[User], Client]
AT_ONCE = StaffAlert.Delivery.AT_ONCE
DIGEST = StaffAlert.Delivery.DIGEST


@pytest.fixture
def north(db: None) -> Organisation:
    return make_organisation("North Trust")


@pytest.fixture
def tree(north: Organisation) -> dict[str, Service]:
    """General Hospital > Ward 7 and Outpatients; Community Clinic apart."""
    hospital = make_service(north, "General Hospital")
    return {
        "hospital": hospital,
        "ward": make_service(north, "Ward 7", hospital),
        "outpatients": make_service(north, "Outpatients", hospital),
        "clinic": make_service(north, "Community Clinic"),
    }


@pytest.fixture
def staff(north: Organisation) -> User:
    return make_staff(north, StaffMembership.Role.READER, "Patient experience lead")


def membership(user: User) -> StaffMembership:
    return StaffMembership.objects.select_related("organisation").get(user=user)


def alert(
    user: User,
    service: Service | None = None,
    *,
    min_criticality: int = 0,
    delivery: str = AT_ONCE,
) -> StaffAlert:
    return alerts.add_alert(
        fresh(user),
        staff=membership(user),
        service=service,
        min_criticality=min_criticality,
        delivery=delivery,
    )


def publish(author: User, services: list[Service], **fields: Any) -> Story:
    story = make_story(author, services, **fields)
    alerts.story_published(story)
    return story


# Matching -----------------------------------------------------------------------


def test_an_alert_matches_its_subtree_and_criticality(
    tree: dict[str, Service], staff: User, member: User
) -> None:
    alert(staff, tree["hospital"], min_criticality=3)
    below = publish(member, [tree["ward"]], criticality=3)
    too_mild = publish(member, [tree["outpatients"]], criticality=2)
    elsewhere = publish(member, [tree["clinic"]], criticality=5)
    told = set(AlertDelivery.objects.values_list("story_id", flat=True))
    assert told == {below.pk}
    assert {too_mild.pk, elsewhere.pk}.isdisjoint(told)


def test_an_alert_without_a_service_covers_the_organisation(
    tree: dict[str, Service], staff: User, member: User
) -> None:
    alert(staff)
    story = publish(member, [tree["clinic"]], criticality=0)
    other = make_service(make_organisation("South Practice"), "Surgery")
    publish(member, [other])
    assert list(AlertDelivery.objects.values_list("story_id", flat=True)) == [story.pk]


def test_one_delivery_per_staff_member_and_at_once_wins(
    tree: dict[str, Service],
    staff: User,
    member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alert(staff, delivery=DIGEST)
    alert(staff, tree["ward"], delivery=AT_ONCE)
    alert(staff, tree["hospital"], min_criticality=1, delivery=DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        story = publish(member, [tree["ward"], tree["outpatients"]])
        alerts.story_published(story)
    delivery = AlertDelivery.objects.get()
    assert delivery.delivery == AT_ONCE
    assert delivery.emailed_at is not None
    assert len(mail.outbox) == 1


def test_the_at_once_email_tells_staff_the_title_and_criticality(
    tree: dict[str, Service],
    staff: User,
    member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alert(staff, tree["hospital"])
    with django_capture_on_commit_callbacks(execute=True):
        story = publish(member, [tree["ward"]], criticality=4, title="Long wait")
    sent = mail.outbox[-1]
    assert sent.to == [staff.email]
    assert f"#{story.pk}" in sent.subject
    assert "Long wait" in sent.subject
    assert "Ward 7" in sent.body
    assert "Criticality: 4 (Strongly critical" in sent.body
    assert f"/stories/{story.pk}/" in sent.body
    assert TEXT not in sent.body


def test_publishing_through_the_service_alerts_staff(
    tree: dict[str, Service],
    staff: User,
    member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from kinwell.stories import services

    moderator = factories.make_user("Stella", is_story_moderator=True)
    factories.give_totp(moderator)
    alert(staff, tree["ward"])
    story = make_story(member, [tree["ward"]], status=Story.Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_story(moderator, story=story, criticality=2)
    assert [m.to for m in mail.outbox if m.to == [staff.email]] == [[staff.email]]


def test_alerts_are_set_for_oneself_within_one_s_organisation(
    tree: dict[str, Service], staff: User, outsider: User
) -> None:
    south = make_organisation("South Practice")
    surgery = make_service(south, "Surgery")
    with pytest.raises(PermissionDenied):
        alerts.add_alert(
            outsider,
            staff=membership(staff),
            service=None,
            min_criticality=0,
            delivery=AT_ONCE,
        )
    with pytest.raises(ValidationError, match="your organisation"):
        alert(staff, surgery)
    with pytest.raises(ValidationError, match="from 0 to 5"):
        alert(staff, min_criticality=6)
    alert(staff)
    with pytest.raises(ValidationError, match="already"):
        alert(staff)


# The digest -----------------------------------------------------------------------


def test_the_digest_sends_once_per_staff_member_and_only_once(
    north: Organisation,
    tree: dict[str, Service],
    staff: User,
    member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    colleague = make_staff(north, StaffMembership.Role.RESPONDER, "Matron")
    alert(staff, delivery=DIGEST)
    alert(colleague, tree["ward"], delivery=DIGEST)
    first = publish(member, [tree["ward"]], title="First story")
    second = publish(member, [tree["clinic"]], title="Second story")
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.send_digests() == 2
    by_person = {tuple(m.to): m for m in mail.outbox}
    assert set(by_person) == {(staff.email,), (colleague.email,)}
    lead = by_person[(staff.email,)].body
    assert "First story" in lead
    assert "Second story" in lead
    assert f"/stories/{first.pk}/" in lead
    assert f"/stories/{second.pk}/" in lead
    assert "Second story" not in by_person[(colleague.email,)].body
    assert not AlertDelivery.objects.filter(emailed_at__isnull=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.send_digests() == 0
    assert len(mail.outbox) == 2


def test_the_digest_waits_for_deliveries_made_before_now(
    tree: dict[str, Service], staff: User, member: User
) -> None:
    alert(staff, delivery=DIGEST)
    publish(member, [tree["ward"]])
    assert alerts.send_digests(now=timezone.now() - timedelta(hours=1)) == 0
    assert alerts.send_digests() == 1


def test_a_withdrawn_story_leaves_the_digest(
    tree: dict[str, Service], staff: User, member: User
) -> None:
    alert(staff, delivery=DIGEST)
    story = publish(member, [tree["ward"]])
    Story.objects.filter(pk=story.pk).update(status=Story.Status.WITHDRAWN)
    assert alerts.send_digests() == 0
    assert not AlertDelivery.objects.filter(emailed_at__isnull=True).exists()


def test_the_daily_commands_send_story_digests(
    tree: dict[str, Service],
    staff: User,
    member: User,
    django_capture_on_commit_callbacks: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    alert(staff, delivery=DIGEST)
    publish(member, [tree["ward"]])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests")
    assert "Queued 1 story digest(s)." in capsys.readouterr().out
    assert mail.outbox[-1].to == [staff.email]
    publish(member, [tree["clinic"]])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_story_digests")
    assert "Queued 1 story digest(s)." in capsys.readouterr().out
    assert len(mail.outbox) == 2


# The pages ---------------------------------------------------------------------------


def test_staff_pages_need_a_staff_role(
    staff: User, member: User, client_for: Clients, visitor_client: Client
) -> None:
    for path in ("/staff/", "/staff/alerts/"):
        response = visitor_client.get(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        assert client_for(member).get(path).status_code == 403
        assert client_for(staff).get(path).status_code == 200


def test_staff_without_two_factor_are_sent_to_set_it_up(
    north: Organisation, client_for: Clients
) -> None:
    user = factories.make_user("No Totp")
    StaffMembership.objects.create(
        organisation=north, user=user, role="reader", job_title="Clerk"
    )
    response = client_for(user).get("/staff/")
    assert response.status_code == 302
    assert "totp" in response["Location"]


def test_the_dashboard_filters(
    tree: dict[str, Service], staff: User, member: User, client_for: Clients
) -> None:
    ward = make_story(member, [tree["ward"]], criticality=4, title="Ward story")
    make_story(member, [tree["clinic"]], criticality=1, title="Clinic story")
    make_story(
        member, [tree["ward"]], status=Story.Status.SUBMITTED, title="Unpublished"
    )
    other = make_service(make_organisation("South Practice"), "Surgery")
    make_story(member, [other], title="Someone else's story")
    client = client_for(staff)

    def shown(query: str = "") -> str:
        return str(client.get(f"/staff/{query}").content.decode())

    everything = shown()
    assert "Ward story" in everything
    assert "Clinic story" in everything
    assert "Unpublished" not in everything
    assert "Someone else" not in everything
    assert "Strongly critical" in everything
    below = shown(f"?service={tree['hospital'].pk}")
    assert "Ward story" in below
    assert "Clinic story" not in below
    critical = shown("?min_criticality=3")
    assert "Ward story" in critical
    assert "Clinic story" not in critical
    replies.record_read(fresh(staff), ward)
    unread = shown("?unread=on")
    assert "Ward story" not in unread
    assert "Clinic story" in unread
    assert "Read by you" in shown()


def test_the_dashboard_is_bounded(
    tree: dict[str, Service], staff: User, member: User, client_for: Clients
) -> None:
    client = client_for(staff)

    def add(count: int) -> None:
        for _ in range(count):
            make_story(member, [tree["ward"], tree["clinic"]])

    assert_bounded_queries(lambda: client.get("/staff/"), add, max_queries=10)


def test_alerts_page_adds_and_removes(
    north: Organisation,
    tree: dict[str, Service],
    staff: User,
    client_for: Clients,
) -> None:
    client = client_for(staff)
    page = client.get("/staff/alerts/").content.decode()
    assert "All of North Trust" in page
    assert "— Ward 7" in page
    response = client.post(
        "/staff/alerts/",
        {"where": str(tree["hospital"].pk), "min_criticality": "2", "delivery": DIGEST},
    )
    assert response.status_code == 302
    made = StaffAlert.objects.get()
    assert (made.service, made.min_criticality, made.delivery) == (
        tree["hospital"],
        2,
        DIGEST,
    )
    other = make_service(make_organisation("South Practice"), "Surgery")
    response = client.post(
        "/staff/alerts/",
        {"where": str(other.pk), "min_criticality": "0", "delivery": AT_ONCE},
    )
    assert response.status_code == 200
    assert StaffAlert.objects.count() == 1
    colleague = make_staff(north, StaffMembership.Role.READER, "Clerk")
    theirs = alert(colleague)
    assert client.post(f"/staff/alerts/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/staff/alerts/{made.pk}/delete/").status_code == 302
    assert list(StaffAlert.objects.all()) == [theirs]
