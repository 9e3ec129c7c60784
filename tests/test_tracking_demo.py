"""The tracking demo: a community of 200 synthetic members with a year of
check-ins and treatments, most counted in community insights, so that its
insight pages show real figures and a treatment has an evaluation page;
Alex's own year, ending with a check-in by Casey; loading twice changes
nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.models import Community
from kinwell.tracking import demo
from kinwell.tracking.insights.figures import MIN_TREATMENT_MEMBERS
from kinwell.tracking.insights.members import counted_members
from kinwell.tracking.models import (
    CheckIn,
    Evaluation,
    InsightSnapshot,
    MemberCondition,
    SymptomScore,
    TreatmentCourse,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded() -> Community:
    call_command("load_demo")
    return Community.objects.get(name=demo.NAME)


def _diarists() -> list[int]:
    found = User.objects.filter(email__startswith="diarist")
    return list(found.values_list("pk", flat=True))


def test_two_hundred_members_with_a_year_of_check_ins(loaded: Community) -> None:
    diarists = _diarists()
    assert len(diarists) == demo.MEMBERS
    members = set(loaded.memberships.values_list("user_id", flat=True))
    assert set(diarists) <= members
    today = timezone.localdate()
    spans = CheckIn.objects.filter(user_id__in=diarists).values("user_id")
    spans = spans.annotate(first=Min("day"), last=Max("day"), n=Count("pk"))
    assert len(spans) == demo.MEMBERS
    for span in spans:
        assert span["first"] <= today - timedelta(days=300)
        assert span["last"] >= today - timedelta(days=60)
        assert span["n"] >= 20
    assert SymptomScore.objects.filter(user_id__in=diarists).count() > 20_000
    assert MemberCondition.objects.filter(user_id__in=diarists).count() >= 200
    stopped = TreatmentCourse.objects.filter(user_id__in=diarists).exclude(
        stop_reason=""
    )
    assert stopped.exists()
    assert Evaluation.objects.filter(
        user_id__in=diarists, side_effects__isnull=False
    ).exists()


def test_most_consent_and_a_treatment_has_an_evaluation_page(
    loaded: Community,
) -> None:
    counted = set(counted_members([loaded.pk]))
    assert len(counted) >= 0.8 * demo.MEMBERS
    assert ConsentRecord.objects.filter(
        user__email__startswith="diarist",
        purpose=ConsentRecord.Purpose.RESEARCH,
        given=True,
    ).exists()
    tried = (
        TreatmentCourse.objects.filter(user_id__in=counted)
        .values("treatment_id")
        .annotate(members=Count("user_id", distinct=True))
        .order_by("-members")
        .first()
    )
    assert tried is not None
    assert tried["members"] >= MIN_TREATMENT_MEMBERS
    snapshot = InsightSnapshot.objects.filter(community=loaded).latest("computed_at")
    assert str(tried["treatment_id"]) in snapshot.figures["evaluations"]
    assert InsightSnapshot.objects.filter(cluster=loaded.cluster).exists()
    client = Client()
    pages = [
        reverse("tracking:insights", args=[loaded.slug]),
        reverse(
            "tracking:treatment_insights",
            args=[loaded.slug, tried["treatment_id"]],
        ),
    ]
    for page in pages:
        assert client.get(page).status_code == 200


def test_alex_has_a_year_of_records_and_casey_checked_in_yesterday(
    loaded: Community,
) -> None:
    alex = User.objects.get(email="alex@demo.kinwell.test")
    casey = User.objects.get(email="casey@demo.kinwell.test")
    assert loaded.memberships.filter(user=alex).exists()
    today = timezone.localdate()
    check_ins = CheckIn.objects.filter(user=alex)
    assert check_ins.count() >= 250
    assert check_ins.aggregate(first=Min("day"))["first"] <= today - timedelta(days=360)
    yesterday = check_ins.get(day=today - timedelta(days=1))
    assert yesterday.recorded_by == casey
    assert not check_ins.filter(day=today).exists()
    courses = TreatmentCourse.objects.filter(user=alex)
    stopped = courses.get(stop_reason=TreatmentCourse.StopReason.SIDE_EFFECTS)
    assert Evaluation.objects.filter(
        course=stopped, side_effects__isnull=False
    ).exists()
    assert courses.filter(stopped_on=None).count() == 2
    client = Client()
    client.force_login(alex)
    chart = client.get(reverse("tracking:chart"), {"months": 12})
    assert chart.status_code == 200
    assert "Brain fog" in chart.content.decode()


def test_loading_twice_changes_nothing(loaded: Community) -> None:
    def rows() -> tuple[int, ...]:
        return tuple(
            model.objects.count()
            for model in (User, CheckIn, SymptomScore, TreatmentCourse, Evaluation)
        )

    before = rows()
    call_command("load_demo")
    assert rows() == before
