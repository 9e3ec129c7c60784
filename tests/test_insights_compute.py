"""Working out community insights: who is counted (consent, read at the
moment of computing), what is counted, each community's catalogue only,
clusters counting each person once, the thresholds, the background job
and its debounce, and the command."""

import os
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kinwell.accounts import services as account_services
from kinwell.accounts.models import User
from kinwell.communities.models import Cluster, Community
from kinwell.tracking import catalogue
from kinwell.tracking.insights import compute, refresh, snapshots
from kinwell.tracking.insights.figures import MIN_TREATMENT_MEMBERS, SMALL, WITHHELD
from kinwell.tracking.models import InsightSnapshot
from kinwell.tracking.models.insights import InsightState
from tests import factories
from tests import insights_helpers as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(organiser: User) -> Community:
    return factories.make_community(organiser, name="Insight Springs")


def figures_of(
    community: Community | None = None, cluster: Cluster | None = None
) -> dict[str, Any]:
    snapshot = snapshots.latest(community=community, cluster=cluster)
    assert snapshot is not None
    figures: dict[str, Any] = snapshot.figures
    return figures


def symptom_cell(figures: dict[str, Any], name: str) -> Any:
    return next(row for row in figures["symptoms"] if row["name"] == name)


def treatment_cell(figures: dict[str, Any], name: str) -> Any:
    return next(row for row in figures["treatments"] if row["name"] == name)


def every_count(figures: dict[str, Any]) -> list[Any]:
    cells = [figures["members"]]
    cells += [row["members"] for row in figures["symptoms"] + figures["treatments"]]
    for evaluation in figures["evaluations"].values():
        cells += list(evaluation["effectiveness"].values())
        cells += list(evaluation["stopping"].values())
        cells += [row["members"] for row in evaluation["side_effects"]]
    return cells


# Who is counted -----------------------------------------------------------------------


def test_only_members_who_consent_are_counted(place: Community) -> None:
    fatigue = make.symptom("Fatigue")
    yes = make.make_people(13, place, consent=True)
    no = make.make_people(5, place, consent=False)
    never = make.make_people(5, place, consent=None)
    make.rate(yes + no + never, fatigue)
    compute.compute_communities([place.pk])
    figures = figures_of(place)
    assert figures["members"] == 15  # 13, rounded: not 18 or 23
    assert symptom_cell(figures, "Fatigue")["members"] == 15


def test_closed_accounts_are_not_counted(place: Community) -> None:
    fatigue = make.symptom("Fatigue")
    people = make.make_people(12, place)
    make.rate(people, fatigue)
    User.objects.filter(pk__in=[person.pk for person in people[:3]]).update(
        is_active=False
    )
    compute.compute_communities([place.pk])
    figures = figures_of(place)
    assert figures["members"] == SMALL  # 9 open accounts, not 12
    assert symptom_cell(figures, "Fatigue")["members"] == SMALL


def test_withdrawing_consent_counts_the_member_out_of_the_next_computation(
    place: Community,
) -> None:
    fatigue = make.symptom("Fatigue")
    people = make.make_people(10, place)
    make.rate(people, fatigue)
    compute.compute_communities([place.pk])
    assert symptom_cell(figures_of(place), "Fatigue")["members"] == 10
    make.decide(people[0], False)
    compute.compute_communities([place.pk])
    assert symptom_cell(figures_of(place), "Fatigue")["members"] == SMALL
    make.decide(people[0], True)  # the latest decision counts
    compute.compute_communities([place.pk])
    assert symptom_cell(figures_of(place), "Fatigue")["members"] == 10


def test_a_consent_decision_marks_every_community_of_the_member(
    place: Community, organiser: User
) -> None:
    other = factories.make_community(organiser)
    person = make.make_people(1, place, other)[0]
    record = make.decide(person, False)
    refresh.note_consent_change(record)
    marked = InsightState.objects.filter(changed_at__isnull=False)
    assert set(marked.values_list("community_id", flat=True)) == {place.pk, other.pk}


def test_the_consent_ledger_hook_marks_on_every_decision(
    place: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        account_services, "CONSENT_HOOKS", [refresh.note_consent_change]
    )
    person = make.make_people(1, place, consent=None)[0]
    make.decide(person, True)
    assert InsightState.objects.get(community=place).is_due


def test_records_of_a_member_who_does_not_consent_mark_nothing(
    place: Community,
) -> None:
    person = make.make_people(1, place, consent=False)[0]
    refresh.note_change(person.pk)
    assert not InsightState.objects.exists()
    make.decide(person, True)
    refresh.note_change(person.pk)
    assert InsightState.objects.get().community_id == place.pk


def test_members_of_another_community_are_not_counted(
    place: Community, organiser: User
) -> None:
    fatigue = make.symptom("Fatigue")
    elsewhere = factories.make_community(organiser)
    make.rate(make.make_people(30, elsewhere), fatigue)
    make.rate(make.make_people(10, place), fatigue)
    compute.compute_communities([place.pk])
    assert symptom_cell(figures_of(place), "Fatigue")["members"] == 10


# What is counted ----------------------------------------------------------------------


def test_burden_is_the_average_of_each_members_average(place: Community) -> None:
    pain = make.symptom("Joint pain")
    make.rate(make.make_people(10, place), pain, (4, 4, 4, 4))
    make.rate(make.make_people(10, place), pain, (1, 1))
    compute.compute_communities([place.pk])
    row = symptom_cell(figures_of(place), "Joint pain")
    assert row == {"id": pain.pk, "name": "Joint pain", "members": 20, "burden": 2.5}


def test_symptoms_are_ranked_by_burden_then_the_rest_by_name(
    place: Community,
) -> None:
    people = make.make_people(12, place)
    make.rate(people, make.symptom("Headache"), (1,))
    make.rate(people, make.symptom("Fatigue"), (3,))
    make.rate(people[:3], make.symptom("Nausea"), (4,))
    compute.compute_communities([place.pk])
    rows = figures_of(place)["symptoms"]
    assert [row["name"] for row in rows[:2]] == ["Fatigue", "Headache"]
    assert all(row["burden"] is None for row in rows[2:])
    unranked = [row["name"] for row in rows[2:]]
    assert unranked == sorted(unranked, key=str.lower)
    assert symptom_cell(figures_of(place), "Nausea")["members"] == SMALL


def test_a_symptom_rated_none_or_rated_over_a_year_ago_is_not_reported(
    place: Community,
) -> None:
    people = make.make_people(10, place)
    make.rate(people, make.symptom("Fatigue"), (0, 0, 0))
    old = timezone.localdate() - timedelta(days=compute.WINDOW_DAYS)
    make.rate(people, make.symptom("Dizziness"), (3,), last_day=old)
    compute.compute_communities([place.pk])
    figures = figures_of(place)
    assert symptom_cell(figures, "Fatigue")["members"] == SMALL
    assert symptom_cell(figures, "Dizziness")["members"] == SMALL


def test_every_catalogue_entry_has_its_cells_whether_or_not_reported(
    place: Community,
) -> None:
    fatigue, medicine = make.symptom("Fatigue"), make.treatment("Testamol")
    compute.compute_communities([place.pk])
    empty = figures_of(place)
    people = make.make_people(40, place)
    make.rate(people, fatigue, (2,))
    make.take(people, medicine, effectiveness=2)
    compute.compute_communities([place.pk])
    busy = figures_of(place)
    assert {row["id"] for row in busy["symptoms"]} == {
        row["id"] for row in empty["symptoms"]
    }
    assert {row["id"] for row in busy["treatments"]} == {
        row["id"] for row in empty["treatments"]
    }
    assert empty["members"] == SMALL


def test_another_communitys_catalogue_never_appears(
    place: Community, organiser: User
) -> None:
    other = factories.make_community(organiser)
    theirs = make.symptom("Their own symptom", community=other)
    ours = make.symptom("Our own symptom", community=place)
    their_treatment = make.treatment("Their own treatment", community=other)
    people = make.make_people(20, place, other)
    make.rate(people, theirs)
    make.rate(people, ours)
    make.take(people, their_treatment)
    compute.compute_communities([place.pk])
    figures = figures_of(place)
    names = [row["name"] for row in figures["symptoms"] + figures["treatments"]]
    assert "Our own symptom" in names
    assert "Their own symptom" not in names
    assert "Their own treatment" not in names


def test_a_removed_entry_has_no_cells_whether_or_not_reported(
    place: Community, organiser: User
) -> None:
    reported = make.symptom("Canary reported", community=place)
    unreported = make.symptom("Canary unreported", community=place)
    medicine = make.treatment("Canary tablets", community=place)
    people = make.make_people(20, place)
    make.rate(people, reported)
    make.take(people, medicine)
    for entry in (reported, unreported, medicine):
        catalogue.remove_entry(organiser, entry=entry)
    compute.compute_communities([place.pk])
    figures = figures_of(place)
    names = [row["name"] for row in figures["symptoms"] + figures["treatments"]]
    assert not [name for name in names if name.startswith("Canary")]
    assert figures["members"] == 20


def test_no_raw_count_is_stored(place: Community) -> None:
    people = make.make_people(MIN_TREATMENT_MEMBERS + 7, place)
    fatigue = make.symptom("Fatigue")
    make.rate(people[:23], fatigue, (2, 3))
    make.take(people, make.treatment("Testamol"), effectiveness=3)
    compute.compute_communities([place.pk])
    for cell in every_count(figures_of(place)):
        assert cell in (SMALL, WITHHELD) or (cell >= 10 and cell % 5 == 0)


# Treatments and their evaluations -----------------------------------------------------


def test_a_treatment_is_evaluated_from_a_hundred_members(place: Community) -> None:
    almost, enough = make.treatment("Almostamol"), make.treatment("Enoughamol")
    people = make.make_people(MIN_TREATMENT_MEMBERS, place)
    make.take(people[:-1], almost, effectiveness=3)
    make.take(people, enough, effectiveness=3)
    compute.compute_communities([place.pk])
    figures = figures_of(place)
    assert treatment_cell(figures, "Almostamol")["evaluated"] is False
    assert treatment_cell(figures, "Enoughamol")["evaluated"] is True
    assert list(figures["evaluations"]) == [str(enough.pk)]


def test_an_evaluation_counts_each_members_latest_rating_and_course(
    place: Community,
) -> None:
    medicine, nausea = make.treatment("Testamol"), make.symptom("Nausea")
    people = make.make_people(120, place)
    long_ago = timezone.localdate() - timedelta(days=400)
    make.take(people[:60], medicine, started_on=long_ago, effectiveness=0)
    make.take(people[:60], medicine, effectiveness=4)  # their latest
    make.take(people[60:100], medicine, effectiveness=2, side_effects=[nausea])
    stopped = timezone.localdate() - timedelta(days=2)
    make.take(people[100:], medicine, stopped_on=stopped, reason="side_effects")
    compute.compute_communities([place.pk])
    evaluation = figures_of(place)["evaluations"][str(medicine.pk)]
    assert evaluation["effectiveness"] == {
        "0": SMALL,
        "1": SMALL,
        "2": 40,
        "3": SMALL,
        "4": 60,
        "unrated": 20,
    }
    assert evaluation["stopping"]["taking"] == 100
    assert evaluation["stopping"]["side_effects"] == 20
    assert evaluation["side_effects"][0] == {
        "id": nausea.pk,
        "name": "Nausea",
        "members": 40,
    }


# Clusters -----------------------------------------------------------------------------


@pytest.fixture
def cluster(place: Community, organiser: User) -> tuple[Cluster, Community]:
    found = Cluster.objects.create(name="Springs cluster", slug="springs")
    sibling = factories.make_community(organiser, name="Sibling Springs")
    Community.objects.filter(pk__in=[place.pk, sibling.pk]).update(cluster=found)
    return found, sibling


def test_a_cluster_counts_each_person_once(
    place: Community, cluster: tuple[Cluster, Community]
) -> None:
    found, sibling = cluster
    fatigue = make.symptom("Fatigue")
    both = make.make_people(20, place, sibling)
    make.rate(
        both + make.make_people(20, place) + make.make_people(20, sibling), fatigue
    )
    compute.compute_communities([place.pk])
    assert figures_of(cluster=found)["members"] == 60  # not 80
    assert symptom_cell(figures_of(cluster=found), "Fatigue")["members"] == 60
    assert symptom_cell(figures_of(place), "Fatigue")["members"] == 40
    assert symptom_cell(figures_of(sibling), "Fatigue")["members"] == 40


def test_a_cluster_withholds_what_subtracting_a_community_would_reveal(
    place: Community, cluster: tuple[Cluster, Community]
) -> None:
    found, sibling = cluster
    fatigue = make.symptom("Fatigue")
    make.rate(make.make_people(50, place), fatigue)
    make.rate(make.make_people(7, sibling), fatigue)
    compute.compute_communities([sibling.pk])
    assert symptom_cell(figures_of(place), "Fatigue")["members"] == 50
    assert symptom_cell(figures_of(sibling), "Fatigue")["members"] == SMALL
    assert symptom_cell(figures_of(cluster=found), "Fatigue")["members"] == WITHHELD


def test_a_community_leaving_marks_its_old_cluster(
    place: Community, cluster: tuple[Cluster, Community]
) -> None:
    found, sibling = cluster
    Community.objects.filter(pk=place.pk).update(cluster=None)
    refresh.note_cluster_change(found.pk)
    marked = InsightState.objects.filter(changed_at__isnull=False)
    assert list(marked.values_list("community_id", flat=True)) == [sibling.pk]


def test_a_cluster_shows_the_generic_catalogue_only(
    place: Community, cluster: tuple[Cluster, Community]
) -> None:
    found, _ = cluster
    make.symptom("Generic symptom")
    make.symptom("Our own symptom", community=place)
    compute.compute_communities([place.pk])
    names = [row["name"] for row in figures_of(cluster=found)["symptoms"]]
    assert "Generic symptom" in names
    assert "Our own symptom" not in names
    assert "Our own symptom" in [row["name"] for row in figures_of(place)["symptoms"]]


def test_hidden_communities_are_never_part_of_a_cluster(
    place: Community, cluster: tuple[Cluster, Community], organiser: User
) -> None:
    found, _ = cluster
    hidden = factories.make_community(organiser, visibility="hidden")
    Community.objects.filter(pk=hidden.pk).update(cluster=found)
    make.rate(make.make_people(30, hidden), make.symptom("Fatigue"))
    compute.compute_communities([hidden.pk, place.pk])
    assert symptom_cell(figures_of(hidden), "Fatigue")["members"] == 30
    assert symptom_cell(figures_of(cluster=found), "Fatigue")["members"] == SMALL


# Storing ------------------------------------------------------------------------------


def test_only_the_newest_snapshots_are_kept(place: Community) -> None:
    for _ in range(snapshots.KEEP + 2):
        compute.compute_communities([place.pk])
    assert InsightSnapshot.objects.filter(community=place).count() == snapshots.KEEP


def test_computing_runs_the_same_queries_however_many_records(
    place: Community,
) -> None:
    fatigue, medicine = make.symptom("Fatigue"), make.treatment("Testamol")

    def add(count: int) -> None:
        people = make.make_people(count, place)
        make.rate(people, fatigue, (1, 2, 3, 4))
        make.take(people, medicine, effectiveness=2, side_effects=[fatigue])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            compute.compute_communities([place.pk])
        return len(captured)

    add(10)
    few = queries()
    add(MIN_TREATMENT_MEMBERS)
    assert queries() <= few + 2  # the evaluation's two queries, once evaluated
    add(MIN_TREATMENT_MEMBERS)
    assert queries() <= few + 2


# The background job -------------------------------------------------------------------


def test_a_change_is_computed_by_the_background_job(
    place: Community, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    person = make.make_people(1, place)[0]
    with django_capture_on_commit_callbacks(execute=True):
        refresh.note_change(person.pk)
    assert snapshots.latest(community=place) is not None
    state = InsightState.objects.get(community=place)
    assert state.computed_at is not None
    assert not state.is_due


def test_a_burst_of_changes_makes_one_computation(
    place: Community, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    people = make.make_people(3, place)
    with django_capture_on_commit_callbacks(execute=True):
        for person in people:
            refresh.note_change(person.pk)
    assert InsightSnapshot.objects.filter(community=place).count() == 1


def test_a_community_computed_moments_ago_waits(
    place: Community, settings: Any
) -> None:
    """The job queues itself again for when the community may be computed."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    compute.compute_communities([place.pk])
    computed_at = InsightState.objects.get(community=place).computed_at
    assert computed_at is not None
    refresh.note_community_change(place.pk)
    assert refresh.run_due() == 0
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("refresh_insights")
    assert queued.run_after == computed_at + refresh.MIN_INTERVAL
    later = timezone.now() + refresh.MIN_INTERVAL + timedelta(seconds=1)
    assert refresh.run_due(now=later) == 1


def test_pages_of_stale_insights_ask_once(place: Community) -> None:
    refresh.request_if_needed([place.pk], None)
    state = InsightState.objects.get(community=place)
    assert state.is_due
    InsightState.objects.all().delete()
    refresh.request_if_needed([place.pk], None)  # asked within the hour
    assert not InsightState.objects.exists()
    refresh.request_if_needed([place.pk], timezone.now())  # fresh: nothing to ask
    assert not InsightState.objects.exists()


# The command --------------------------------------------------------------------------


def test_the_command_computes_what_is_due_or_old(
    place: Community, organiser: User, capsys: pytest.CaptureFixture[str]
) -> None:
    other = factories.make_community(organiser)
    call_command("compute_insights")
    assert InsightSnapshot.objects.count() == Community.objects.count()
    call_command("compute_insights")
    assert "Worked out 0 insight snapshots" in capsys.readouterr().out
    refresh.note_community_change(other.pk)
    call_command("compute_insights")
    assert "Worked out 1 insight snapshot " in capsys.readouterr().out
    call_command("compute_insights", "--community", place.slug)
    call_command("compute_insights", "--all")
    assert InsightSnapshot.objects.filter(community=place).count() == 3


def test_the_command_computes_a_cluster(cluster: tuple[Cluster, Community]) -> None:
    found, _ = cluster
    call_command("compute_insights", "--cluster", found.slug)
    assert snapshots.latest(cluster=found) is not None
    with pytest.raises(CommandError, match="no cluster"):
        call_command("compute_insights", "--cluster", "nowhere")
    with pytest.raises(CommandError, match="no community"):
        call_command("compute_insights", "--community", "nowhere")


# How long a large community takes -----------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("KINWELL_INSIGHTS_BENCH"),
    reason="a benchmark: set KINWELL_INSIGHTS_BENCH=1 to run it",
)
def test_benchmark_a_large_community(
    place: Community, capsys: pytest.CaptureFixture[str]
) -> None:
    """Members times days of check-ins with two symptoms each, courses and
    evaluations; prints how long writing and computing took."""
    members = int(os.environ.get("KINWELL_INSIGHTS_BENCH_MEMBERS", "2000"))
    days = int(os.environ.get("KINWELL_INSIGHTS_BENCH_DAYS", "100"))
    started = time.monotonic()
    people = make.make_people(members, place)
    pattern = [(day * 7) % 5 for day in range(days)]
    for index, name in enumerate(["Fatigue", "Headache"]):
        make.rate(people, make.symptom(name), pattern[index:] + pattern[:index])
    for index in range(5):
        make.take(
            people[index::5], make.treatment(f"Bench {index}"), effectiveness=index % 5
        )
    written = time.monotonic() - started
    started = time.monotonic()
    compute.compute_communities([place.pk])
    took = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\n{members * days} check-ins, {2 * members * days} scores: "
            f"written in {written:.1f} s, insights computed in {took:.2f} s"
        )
