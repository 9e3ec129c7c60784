"""The insights pages: who may read them, what they show (never a small
number, and "fewer than 10" rather than a blank), and that each reads one
stored snapshot and never the records."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kinwell.accounts.models import User
from kinwell.communities.models import Cluster, Community
from kinwell.tracking.insights import compute
from kinwell.tracking.insights.figures import MIN_TREATMENT_MEMBERS
from kinwell.tracking.models import InsightSnapshot, Symptom, Treatment
from kinwell.tracking.models.insights import InsightState
from tests import factories
from tests import insights_helpers as make

pytestmark = pytest.mark.django_db

RECORD_TABLES = (
    "tracking_symptomscore",
    "tracking_checkin",
    "tracking_treatmentcourse",
    "tracking_evaluation",
    "tracking_sideeffect",
    "accounts_consentrecord",
)


def url(name: str, *args: Any) -> str:
    return reverse(f"tracking:{name}", args=args)


def fill(community: Community, count: int = MIN_TREATMENT_MEMBERS + 10) -> Treatment:
    """Counted members who report fatigue and take a treatment, computed."""
    people = make.make_people(count, community)
    fatigue = make.symptom("Fatigue")
    make.rate(people, fatigue, (3, 2))
    make.rate(people[:4], make.symptom("Nausea"), (4,))
    medicine = make.treatment("Testamol")
    make.take(people, medicine, effectiveness=3, side_effects=[fatigue])
    compute.compute_communities([community.pk])
    return medicine


# What the pages show ------------------------------------------------------------------


def test_a_visitor_reads_a_public_communitys_insights(
    community: Community, visitor_client: Client
) -> None:
    fill(community)
    response = visitor_client.get(url("insights", community.slug))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Members counted" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert "Fatigue" in page
    assert "2.5 of 4" in page
    assert url("insight_rules") in page
    assert (
        url(
            "treatment_insights",
            community.slug,
            Treatment.objects.get(name="Testamol").pk,
        )
        in page
    )


def test_small_numbers_read_fewer_than_ten_never_a_blank(
    community: Community, visitor_client: Client
) -> None:
    fill(community)
    page = visitor_client.get(url("insights", community.slug)).content.decode()
    nausea = page[page.index('<th scope="row">Nausea</th>') :][:400]
    assert '<abbr class="suppressed" title="Fewer than 10 members' in nausea
    assert "fewer than 10</abbr>" in nausea
    assert ">4<" not in nausea


def test_without_a_snapshot_the_page_says_so_and_asks_once(
    community: Community,
    visitor_client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        response = visitor_client.get(url("insights", community.slug))
    assert "Insights are being worked out" in response.content.decode()
    assert InsightState.objects.get(community=community).is_due
    assert not InsightSnapshot.objects.exists()  # the page computes nothing


def test_the_page_asks_and_the_job_works_it_out(
    community: Community,
    visitor_client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        visitor_client.get(url("insights", community.slug))
    page = visitor_client.get(url("insights", community.slug)).content.decode()
    assert "Members counted" in page


def test_a_treatment_page_shows_its_evaluation(
    community: Community, visitor_client: Client
) -> None:
    medicine = fill(community)
    response = visitor_client.get(
        url("treatment_insights", community.slug, medicine.pk)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Testamol: what members report" in page
    assert "How well it works" in page
    assert "Good" in page
    assert "Still taking it" in page
    assert '<th scope="row">Fatigue</th><td>110</td>' in page
    assert 'id="chart-effectiveness-title"' in page


def test_treatment_pages_are_404_below_a_hundred_members_or_outside_the_catalogue(
    community: Community, organiser: User, visitor_client: Client
) -> None:
    fill(community, count=MIN_TREATMENT_MEMBERS - 1)
    medicine = Treatment.objects.get(name="Testamol")
    theirs = make.treatment("Theirs", community=factories.make_community(organiser))
    for treatment_id in (medicine.pk, theirs.pk, 999999):
        response = visitor_client.get(
            url("treatment_insights", community.slug, treatment_id)
        )
        assert response.status_code == 404


def test_the_rules_page_states_the_thresholds(visitor_client: Client) -> None:
    page = visitor_client.get(url("insight_rules")).content.decode()
    assert "fewer than 10" in page
    assert "nearest 5" in page
    assert "at least 100 counted members" in page
    assert reverse("accounts:consents") in page


# Who may read them --------------------------------------------------------------------


def test_members_only_insights_are_for_members(
    organiser: User, member: User, outsider: User, client_for: Callable[[User], Client]
) -> None:
    closed = factories.make_community(
        organiser, visibility="members", members=(member,)
    )
    assert Client().get(url("insights", closed.slug)).status_code == 403
    assert client_for(outsider).get(url("insights", closed.slug)).status_code == 403
    assert client_for(member).get(url("insights", closed.slug)).status_code == 200


def test_hidden_community_insights_do_not_exist_for_outsiders(
    hidden_community: Community,
    member: User,
    outsider: User,
    client_for: Callable[[User], Client],
) -> None:
    medicine = fill(hidden_community)
    for path in (
        url("insights", hidden_community.slug),
        url("treatment_insights", hidden_community.slug, medicine.pk),
    ):
        assert Client().get(path).status_code == 404
        assert client_for(outsider).get(path).status_code == 404
        assert client_for(member).get(path).status_code == 200


@pytest.fixture
def cluster(community: Community, organiser: User) -> Cluster:
    found = Cluster.objects.create(name="Springs cluster", slug="springs")
    sibling = factories.make_community(organiser, name="Sibling Springs")
    Community.objects.filter(pk__in=[community.pk, sibling.pk]).update(cluster=found)
    return found


def test_a_public_clusters_insights_are_for_everyone(
    cluster: Cluster, community: Community, visitor_client: Client
) -> None:
    medicine = fill(community)
    response = visitor_client.get(url("cluster_insights", cluster.slug))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sibling Springs" in page
    assert "Members counted" in page
    treatment_page = url("cluster_treatment_insights", cluster.slug, medicine.pk)
    assert treatment_page in page
    assert visitor_client.get(treatment_page).status_code == 200
    assert visitor_client.get(url("cluster_insights", "nowhere")).status_code == 404
    community_page = visitor_client.get(url("insights", community.slug))
    assert url("cluster_insights", cluster.slug) in community_page.content.decode()


def test_a_cluster_with_a_members_only_community_is_for_its_members(
    cluster: Cluster,
    organiser: User,
    member: User,
    outsider: User,
    client_for: Callable[[User], Client],
) -> None:
    closed = factories.make_community(organiser, visibility="members")
    Community.objects.filter(pk=closed.pk).update(cluster=cluster)
    path = url("cluster_insights", cluster.slug)
    assert Client().get(path).status_code == 403
    assert client_for(outsider).get(path).status_code == 403
    assert client_for(member).get(path).status_code == 200  # of a public sibling


# Fast: one snapshot, never the records ------------------------------------------------


def queries_of(client: Client, path: str) -> list[str]:
    client.get(path)  # sessions and caches warmed alike
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("page", ["insights", "treatment_insights"])
def test_a_page_reads_one_snapshot_and_no_records(
    page: str, community: Community, member: User, client_for: Callable[[User], Client]
) -> None:
    medicine = fill(community)
    args = (
        (community.slug, medicine.pk)
        if page == "treatment_insights"
        else (community.slug,)
    )
    client = client_for(member)
    few = queries_of(client, url(page, *args))
    more = make.make_people(50, community)
    make.rate(more, Symptom.objects.get(name="Fatigue"), (1, 2, 3, 4))
    compute.compute_communities([community.pk])
    many = queries_of(client, url(page, *args))
    # A member's page also reads their session, account and unread count.
    assert len(few) == len(many) <= 6
    assert sum("tracking_insightsnapshot" in sql for sql in many) == 1
    assert not [sql for sql in many if any(table in sql for table in RECORD_TABLES)]
    # A visitor's: the community and its snapshot.
    assert len(queries_of(Client(), url(page, *args))) <= 3
