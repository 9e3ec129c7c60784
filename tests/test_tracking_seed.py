"""What `kinwell seed` makes of personal tracking: members of seeded
communities with conditions, tracked symptoms, check-ins in long-tailed
streaks, treatment courses with evaluations and side effects, organisers'
catalogue additions, everyone's consents, a devoted cohort in the largest
public community, and insights worked out for every community; the same
seed makes the same records."""

import hashlib
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, F, Q

from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.models import Community, Membership
from kinwell.seeding.registry import EMAIL_DOMAIN, seed
from kinwell.seeding.tracking import profile_for
from kinwell.seeding.tracking_profiles import PROFILES
from kinwell.seeding.tracking_treatments import TREATMENTS
from kinwell.tracking import generic_catalogue
from kinwell.tracking.models import (
    CheckIn,
    Condition,
    Evaluation,
    InsightSnapshot,
    MemberCondition,
    SideEffect,
    Symptom,
    SymptomScore,
    TrackedSymptom,
    Treatment,
    TreatmentCourse,
)

Purpose = ConsentRecord.Purpose


@pytest.fixture
def seeded(db: None) -> None:
    seed("small", seed=1, report=lambda line: None)


def _digest(rows: Iterable[Iterable[Any]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _tracking_digest() -> str:
    """The tracking records by natural keys (emails, names, days), so the
    ids a sequence hands out do not count."""
    return _digest(
        [
            *SymptomScore.objects.order_by(
                "user__email", "day", "symptom__name"
            ).values_list("user__email", "day", "symptom__name", "severity"),
            *CheckIn.objects.order_by("user__email", "day").values_list(
                "user__email", "day", "mood", "note", "recorded_at"
            ),
            *TreatmentCourse.objects.order_by(
                "user__email", "treatment__name", "started_on"
            ).values_list(
                "user__email",
                "treatment__name",
                "started_on",
                "stopped_on",
                "stop_reason",
                "dose",
            ),
            *Evaluation.objects.order_by(
                "user__email", "treatment__name", "evaluated_on"
            ).values_list(
                "user__email",
                "treatment__name",
                "evaluated_on",
                "effectiveness",
                "adherence",
                "burden",
                "cost_band",
            ),
            *MemberCondition.objects.order_by(
                "user__email", "condition__name"
            ).values_list("user__email", "condition__name", "onset_on"),
            *ConsentRecord.objects.order_by(
                "user__email", "purpose", "created_at"
            ).values_list("user__email", "purpose", "given", "created_at"),
        ]
    )


def _seeded_digest(number: int) -> str:
    with transaction.atomic():
        seed("small", seed=number, report=lambda line: None)
        digest = _tracking_digest()
        transaction.set_rollback(True)
    return digest


def test_the_same_seed_makes_the_same_records_and_another_seed_others(
    db: None,
) -> None:
    first = _seeded_digest(1)
    assert _seeded_digest(1) == first
    assert _seeded_digest(2) != first


@pytest.mark.usefixtures("seeded")
def test_the_small_scale_makes_every_kind_of_tracking_record() -> None:
    for model in (
        MemberCondition,
        TrackedSymptom,
        CheckIn,
        SymptomScore,
        TreatmentCourse,
        Evaluation,
        SideEffect,
        InsightSnapshot,
    ):
        assert model.objects.exists(), model.__name__
    assert CheckIn.objects.count() > 2_000
    assert SymptomScore.objects.count() > 2 * CheckIn.objects.count()


@pytest.mark.usefixtures("seeded")
def test_trackers_rate_two_to_six_symptoms_and_only_those() -> None:
    tracking = TrackedSymptom.objects.filter(stopped_on=None)
    per_member = Counter(tracking.values_list("user_id", flat=True))
    assert per_member
    assert min(per_member.values()) >= 2
    assert max(per_member.values()) <= 6
    tracked = set(TrackedSymptom.objects.values_list("user_id", "symptom_id"))
    rated = set(SymptomScore.objects.values_list("user_id", "symptom_id"))
    assert rated <= tracked


@pytest.mark.usefixtures("seeded")
def test_scores_repeat_their_check_in_and_cover_the_whole_scale() -> None:
    mismatched = SymptomScore.objects.exclude(
        day=F("check_in__day"), user_id=F("check_in__user_id")
    )
    assert not mismatched.exists()
    assert set(SymptomScore.objects.values_list("severity", flat=True)) == {
        0,
        1,
        2,
        3,
        4,
    }
    moods = Counter(CheckIn.objects.values_list("mood", flat=True))
    assert set(moods) == {None, 0, 1, 2, 3, 4}
    notes = CheckIn.objects.exclude(note="").count()
    assert 0 < notes < 0.1 * CheckIn.objects.count()
    assert not CheckIn.objects.exclude(recorded_by_id=F("user_id")).exists()


@pytest.mark.usefixtures("seeded")
def test_severity_moves_smoothly_from_day_to_day() -> None:
    """Most consecutive ratings of a symptom differ by at most one step."""
    steps = []
    previous: dict[tuple[int, int], tuple[Any, int]] = {}
    rows = SymptomScore.objects.order_by("user_id", "symptom_id", "day")
    for user_id, symptom_id, day, severity in rows.values_list(
        "user_id", "symptom_id", "day", "severity"
    ):
        last = previous.get((user_id, symptom_id))
        if last is not None and (day - last[0]).days == 1:
            steps.append(abs(severity - last[1]))
        previous[(user_id, symptom_id)] = (day, severity)
    assert sum(step <= 1 for step in steps) >= 0.9 * len(steps)


@pytest.mark.usefixtures("seeded")
def test_check_ins_are_long_tailed_streaks() -> None:
    counts = sorted(
        CheckIn.objects.values("user_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    assert counts[0] < statistics.median(counts) < counts[-1]
    # Someone who set tracking up and never checked in.
    trackers = set(TrackedSymptom.objects.values_list("user_id", flat=True))
    checked_in = set(CheckIn.objects.values_list("user_id", flat=True))
    assert trackers - checked_in


@pytest.mark.usefixtures("seeded")
def test_courses_stop_for_reasons_and_are_evaluated_with_side_effects() -> None:
    stopped = TreatmentCourse.objects.exclude(stopped_on=None)
    assert stopped.exists()
    assert not stopped.filter(stop_reason="").exists()
    assert not TreatmentCourse.objects.filter(
        stopped_on=None, stop_reason__gt=""
    ).exists()
    assert not stopped.filter(stopped_on__lt=F("started_on")).exists()
    assert set(Evaluation.objects.values_list("effectiveness", flat=True)) >= {
        None,
        0,
        1,
        2,
        3,
    }
    assert not Evaluation.objects.exclude(
        user_id=F("course__user_id"), treatment_id=F("course__treatment_id")
    ).exists()
    assert not Evaluation.objects.filter(
        evaluated_on__lt=F("course__started_on")
    ).exists()
    assert not SideEffect.objects.exclude(
        user_id=F("evaluation__user_id"), treatment_id=F("evaluation__treatment_id")
    ).exists()


@pytest.mark.usefixtures("seeded")
def test_consents_are_recorded_for_every_purpose_in_plausible_shares() -> None:
    members = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count()
    latest: dict[tuple[int, str], bool] = {}
    for user_id, purpose, given in ConsentRecord.objects.order_by(
        "created_at", "pk"
    ).values_list("user_id", "purpose", "given"):
        latest[(user_id, purpose)] = given
    yes = Counter(purpose for (_, purpose), given in latest.items() if given)
    assert 0.55 * members <= yes[Purpose.COMMUNITY_INSIGHTS] <= 0.95 * members
    assert 0.25 * members <= yes[Purpose.RESEARCH] <= 0.7 * members
    assert 0.35 * members <= yes[Purpose.PORTABILITY] <= 0.75 * members
    notes = {u for (u, p), given in latest.items() if p == Purpose.RESEARCH_NOTES}
    research = {u for (u, p), given in latest.items() if p == Purpose.RESEARCH}
    assert notes
    assert notes <= research
    assert ConsentRecord.objects.filter(given=False).exists()


@pytest.mark.usefixtures("seeded")
def test_the_cohort_all_track_and_nearly_all_try_the_signature_treatment() -> None:
    cohort = max(
        (
            c
            for c in Community.objects.filter(visibility=Community.Visibility.PUBLIC)
            if profile_for(c.name).conditions
        ),
        key=lambda c: c.memberships.count(),
    )
    members = set(cohort.memberships.values_list("user_id", flat=True))
    trackers = set(TrackedSymptom.objects.values_list("user_id", flat=True))
    assert members <= trackers
    signature = profile_for(cohort.name).treatments[0][0]
    tried = (
        TreatmentCourse.objects.filter(user_id__in=members, treatment__name=signature)
        .values("user_id")
        .distinct()
        .count()
    )
    assert tried >= 0.85 * len(members)


@pytest.mark.usefixtures("seeded")
def test_organisers_add_what_the_generic_catalogue_lacks_for_their_members() -> None:
    generic = {entry["name"] for entry in generic_catalogue.SYMPTOMS}
    assert generic <= set(Symptom.objects.generic().values_list("name", flat=True))
    organisers = set(
        Membership.objects.filter(role=Membership.Role.ORGANISER).values_list(
            "community_id", "user_id"
        )
    )
    for model in (Condition, Symptom, Treatment):
        added = model.objects.exclude(community=None)
        assert set(added.values_list("community_id", "added_by_id")) <= organisers
    # A community's own entries are used by its own members only.
    members = set(Membership.objects.values_list("community_id", "user_id"))
    used = TreatmentCourse.objects.exclude(treatment__community=None)
    assert set(used.values_list("treatment__community_id", "user_id")) <= members


@pytest.mark.usefixtures("seeded")
def test_every_community_has_its_insights_worked_out() -> None:
    computed = set(
        InsightSnapshot.objects.exclude(community=None).values_list(
            "community_id", flat=True
        )
    )
    assert computed == set(Community.objects.values_list("pk", flat=True))


def test_every_profile_names_entries_that_exist_and_treatments_it_describes() -> None:
    from kinwell.seeding.tracking_profiles import LOCAL_CONDITIONS, LOCAL_SYMPTOMS

    conditions = {e["name"] for e in generic_catalogue.CONDITIONS} | set(
        LOCAL_CONDITIONS
    )
    symptoms = {e["name"] for e in generic_catalogue.SYMPTOMS} | set(LOCAL_SYMPTOMS)
    for profile in PROFILES.values():
        assert set(profile.conditions) | set(profile.alongside) <= conditions
        assert set(profile.symptoms) <= symptoms
        for name, share, helps in profile.treatments:
            assert name in TREATMENTS
            assert 0 < share <= 1
            assert 0 <= helps <= 1
            assert {s for s, _ in TREATMENTS[name].side_effects} <= symptoms


def test_positional_rows_follow_the_models_field_order() -> None:
    """The simulation makes check-ins and scores from positional values."""

    def fields(model: Any) -> list[str]:
        return [field.attname for field in model._meta.concrete_fields]

    assert fields(SymptomScore) == [
        "id",
        "check_in_id",
        "user_id",
        "symptom_id",
        "day",
        "severity",
    ]
    assert fields(CheckIn) == [
        "id",
        "user_id",
        "day",
        "mood",
        "note",
        "recorded_by_id",
        "recorded_at",
    ]


@pytest.mark.usefixtures("seeded")
def test_nobody_tracks_outside_the_catalogue_they_may_see() -> None:
    """Members use generic entries and their own communities' additions."""
    own = Q(symptom__community=None) | Q(
        symptom__community__memberships__user_id=F("user_id")
    )
    tracked = TrackedSymptom.objects.count()
    assert TrackedSymptom.objects.filter(own).distinct().count() == tracked
