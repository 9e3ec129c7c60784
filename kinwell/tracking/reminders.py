"""Reminders of questionnaires that are due, by email, once per due date.

A member enrolled ("Remind me") hears once when a questionnaire becomes due:
one email, whatever the number due, saying which communities they are from
and linking to their questionnaires page. The email names no questionnaire
and holds no answer or score: a title alone can say what someone lives
with. Leaving a questionnaire (or the community) stops its reminders.
`send_digests`, the daily job, sends them; running it twice a day sends
nothing twice."""

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities.models import Membership
from kinwell.lib import mail
from kinwell.tracking.models import Enrolment, Questionnaire


def send_questionnaire_reminders(today: date | None = None) -> int:
    """Emails each member with a questionnaire due (and not yet reminded of
    for this due date); returns how many emails it queued."""
    today = today or timezone.localdate()
    by_member: dict[int, list[int]] = defaultdict(list)
    for user_id, enrolment_id in waiting_reminders(today).values_list("user_id", "pk"):
        by_member[user_id].append(enrolment_id)
    return sum(_remind(ids, today) for ids in by_member.values())


def waiting_reminders(today: date) -> QuerySet[Enrolment]:
    member = Membership.objects.filter(
        user=OuterRef("user"), community=OuterRef("community")
    )
    return Enrolment.objects.filter(
        Q(reminded_on__isnull=True) | Q(reminded_on__lt=F("next_due_on")),
        ended_at__isnull=True,
        next_due_on__lte=today,
        questionnaire__status=Questionnaire.Status.OPEN,
        user__is_active=True,
    ).filter(Exists(member))


@transaction.atomic
def _remind(enrolment_ids: list[int], today: date) -> int:
    """One member's email. Claiming the enrolments under a row lock is what
    keeps a second run at the same time from sending it again."""
    claimed = list(
        waiting_reminders(today)
        .select_for_update()
        .filter(pk__in=enrolment_ids)
        .select_related("user", "community")
        .order_by("community__name", "pk")
    )
    if not claimed:
        return 0
    Enrolment.objects.filter(pk__in=[e.pk for e in claimed]).update(reminded_on=today)
    user = claimed[0].user
    if not user.email:
        return 0
    communities = list(dict.fromkeys(e.community.name for e in claimed))
    mail.send_after_commit(
        "A questionnaire is ready" if len(claimed) == 1 else "Questionnaires are ready",
        _body(user, communities, len(claimed)),
        [user.email],
    )
    return 1


def _body(user: User, communities: list[str], count: int) -> str:
    return render_to_string(
        "tracking/questionnaires/email/reminder.txt",
        {
            "user": user,
            "communities": communities,
            "count": count,
            "site_name": settings.SITE_NAME,
            "link": settings.SITE_URL + reverse("tracking:my_questionnaires"),
        },
    )
