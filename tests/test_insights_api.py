"""The community insights API, through HTTP: the website's figures and
access, with a count that is not shown given as null and "suppressed"."""

from collections.abc import Callable

import pytest
from django.test import Client

from kinwell.accounts.models import User
from kinwell.communities.models import Cluster, Community
from kinwell.tracking.insights import compute
from kinwell.tracking.insights.figures import MIN_TREATMENT_MEMBERS
from kinwell.tracking.models import Treatment
from kinwell.tracking.models.insights import InsightState
from tests import factories
from tests import insights_helpers as make
from tests.helpers import assert_error, count_queries, send

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def fill(community: Community) -> Treatment:
    people = make.make_people(MIN_TREATMENT_MEMBERS + 10, community)
    fatigue = make.symptom("Fatigue")
    make.rate(people, fatigue, (3, 2))
    make.rate(people[:4], make.symptom("Nausea"), (4,))
    medicine = make.treatment("Testamol")
    make.take(people, medicine, effectiveness=3, side_effects=[fatigue])
    compute.compute_communities([community.pk])
    return medicine


def test_a_communitys_insights(community: Community) -> None:
    fill(community)
    body = send(Client(), "get", f"/communities/{community.slug}/insights").json()
    assert body["ready"] is True
    assert body["members"] == {"count": 110, "suppressed": False, "reason": None}
    assert body["rules"] == {
        "min_count": 10,
        "round_to": 5,
        "min_treatment_members": 100,
    }
    first = body["symptoms"][0]
    assert (first["name"], first["rank"], first["average_severity"]) == (
        "Fatigue",
        1,
        2.5,
    )
    nausea = next(row for row in body["symptoms"] if row["name"] == "Nausea")
    assert nausea == {
        "id": nausea["id"],
        "name": "Nausea",
        "rank": None,
        "average_severity": None,
        "members": {"count": None, "suppressed": True, "reason": "fewer_than_10"},
    }
    testamol = body["treatments"][0]
    assert testamol["name"] == "Testamol"
    assert testamol["evaluated"] is True


def test_before_the_first_computation_it_is_not_ready_and_asks(
    community: Community,
) -> None:
    body = send(Client(), "get", f"/communities/{community.slug}/insights").json()
    assert body["ready"] is False
    assert body["symptoms"] == []
    assert body["members"] is None
    assert InsightState.objects.get(community=community).is_due


def test_a_treatments_evaluation(community: Community, organiser: User) -> None:
    medicine = fill(community)
    path = f"/communities/{community.slug}/insights/treatments/{medicine.pk}"
    body = send(Client(), "get", path).json()
    ratings = {
        share["key"]: share["members"]["count"] for share in body["effectiveness"]
    }
    assert ratings == {
        "0": None,
        "1": None,
        "2": None,
        "3": 110,
        "4": None,
        "unrated": None,
    }
    assert body["standing"][0]["label"] == "Still taking it"
    assert body["side_effects"][0]["members"]["count"] == 110
    theirs = make.treatment("Theirs", community=factories.make_community(organiser))
    for treatment_id in (theirs.pk, 999999):
        path = f"/communities/{community.slug}/insights/treatments/{treatment_id}"
        assert_error(send(Client(), "get", path), 404, "not_found")


def test_access_is_the_websites(
    organiser: User,
    member: User,
    outsider: User,
    hidden_community: Community,
    client_for: ClientFor,
) -> None:
    closed = factories.make_community(
        organiser, visibility="members", members=(member,)
    )
    path = f"/communities/{closed.slug}/insights"
    assert_error(send(Client(), "get", path), 403, "forbidden")
    assert_error(send(client_for(outsider), "get", path), 403, "forbidden")
    assert send(client_for(member), "get", path).status_code == 200
    hidden = f"/communities/{hidden_community.slug}/insights"
    assert_error(send(client_for(outsider), "get", hidden), 404, "not_found")
    assert send(client_for(member), "get", hidden).status_code == 200


def test_a_clusters_insights(community: Community, organiser: User) -> None:
    cluster = Cluster.objects.create(name="Springs cluster", slug="springs")
    sibling = factories.make_community(organiser)
    Community.objects.filter(pk__in=[community.pk, sibling.pk]).update(cluster=cluster)
    medicine = fill(community)
    body = send(Client(), "get", "/clusters/springs/insights").json()
    assert body["ready"] is True
    assert body["members"]["count"] == 110
    path = f"/clusters/springs/insights/treatments/{medicine.pk}"
    assert send(Client(), "get", path).status_code == 200
    assert_error(send(Client(), "get", "/clusters/nowhere/insights"), 404, "not_found")


def test_reading_costs_the_same_however_many_records(community: Community) -> None:
    fill(community)
    path = f"/communities/{community.slug}/insights"
    send(Client(), "get", path)
    few = count_queries(lambda: send(Client(), "get", path))
    people = make.make_people(40, community)
    make.rate(people, make.symptom("Fatigue"), (1, 2, 3))
    compute.compute_communities([community.pk])
    assert count_queries(lambda: send(Client(), "get", path)) == few <= 4


def test_the_routes_are_in_the_openapi_schema(db: None) -> None:
    paths = send(Client(), "get", "/openapi.json").json()["paths"]
    for path in (
        "/api/v1/communities/{slug}/insights",
        "/api/v1/communities/{slug}/insights/treatments/{treatment_id}",
        "/api/v1/clusters/{slug}/insights",
        "/api/v1/clusters/{slug}/insights/treatments/{treatment_id}",
    ):
        assert set(paths[path]) == {"get"}
