"""Reminders of questionnaires due: once per due date, one email per
member, naming the community and nothing about health."""

from datetime import timedelta
from io import StringIO
from typing import Any

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities.models import Community, Membership
from kinwell.tracking import questionnaires
from kinwell.tracking.models import Enrolment
from kinwell.tracking.reminders import send_questionnaire_reminders
from tests import factories
from tests.questionnaire_helpers import SECRET_TITLE, answer_all, make_questionnaire


def remind(capture: Any, today: Any = None) -> int:
    with capture(execute=True):
        return send_questionnaire_reminders(today)


def test_a_member_is_reminded_once_when_it_is_due(
    django_capture_on_commit_callbacks: Any,
    organiser: User,
    member: User,
    community: Community,
) -> None:
    found = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    assert remind(django_capture_on_commit_callbacks) == 1
    assert remind(django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [member.email]
    assert "A questionnaire from Long COVID Peer Support is ready." in sent.body
    assert "/tracking/questionnaires/" in sent.body
    assert Enrolment.objects.get().reminded_on == timezone.localdate()


def test_the_email_carries_no_health_detail(
    django_capture_on_commit_callbacks: Any,
    organiser: User,
    member: User,
    community: Community,
) -> None:
    found = make_questionnaire(organiser, community, interval_days=7)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    answer_all(member, found, 4)
    later = timezone.localdate() + timedelta(days=7)
    assert remind(django_capture_on_commit_callbacks, later) == 1
    sent = mail.outbox[0]
    text = f"{sent.subject}\n{sent.body}"
    assert SECRET_TITLE not in text
    assert "Question 1" not in text
    assert "High" not in text
    assert "score" not in text.lower()
    assert f"/questionnaires/{found.pk}" not in text


def test_it_is_reminded_again_at_the_next_due_date(
    django_capture_on_commit_callbacks: Any,
    organiser: User,
    member: User,
    community: Community,
) -> None:
    found = make_questionnaire(organiser, community, interval_days=7)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    remind(django_capture_on_commit_callbacks)
    answer_all(member, found, 1)
    today = timezone.localdate()
    assert remind(django_capture_on_commit_callbacks, today + timedelta(days=6)) == 0
    assert remind(django_capture_on_commit_callbacks, today + timedelta(days=7)) == 1
    assert remind(django_capture_on_commit_callbacks, today + timedelta(days=8)) == 0
    assert len(mail.outbox) == 2


def test_several_due_make_one_email(
    django_capture_on_commit_callbacks: Any,
    organiser: User,
    member: User,
    community: Community,
) -> None:
    for _ in range(3):
        found = make_questionnaire(organiser, community)
        questionnaires.enrol(member, owner=member, questionnaire=found)
    assert remind(django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 1
    assert "3 questionnaires are ready" in mail.outbox[0].body


def test_no_reminder_after_leaving_closing_or_leaving_the_community(
    django_capture_on_commit_callbacks: Any,
    organiser: User,
    member: User,
    community: Community,
) -> None:
    left = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=left)
    questionnaires.leave(member, owner=member, questionnaire=left)
    closed = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=closed)
    questionnaires.close_questionnaire(organiser, questionnaire=closed)
    other = factories.make_user("Ed Exmember")
    Membership.objects.create(community=community, user=other)
    found = make_questionnaire(organiser, community)
    questionnaires.enrol(other, owner=other, questionnaire=found)
    Membership.objects.filter(user=other).delete()
    assert remind(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_inactive_accounts_are_not_emailed(
    django_capture_on_commit_callbacks: Any,
    organiser: User,
    member: User,
    community: Community,
) -> None:
    found = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert remind(django_capture_on_commit_callbacks) == 0


def test_send_digests_sends_the_reminders_with_its_own_line(
    django_capture_on_commit_callbacks: Any,
    organiser: User,
    member: User,
    community: Community,
) -> None:
    found = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", stdout=out)
    assert "Queued 1 questionnaire reminder(s)." in out.getvalue()
    assert len(mail.outbox) == 1
