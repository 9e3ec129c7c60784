"""The questionnaires API, through HTTP, as each persona: organisers write,
open and close; members and carers (`?delegation=`) enrol, answer and read
their own responses; organisers get aggregates only."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kinwell.accounts.models import Delegation, User
from kinwell.communities.models import Community, Membership
from kinwell.lib import ratelimit
from kinwell.tracking import questionnaires
from kinwell.tracking.models import Enrolment, Questionnaire, QuestionnaireResponse
from tests import factories
from tests.helpers import assert_error, count_queries, send
from tests.questionnaire_helpers import SECRET_TITLE, answer_all, make_questionnaire

ClientFor = Callable[[User], Client]


def answers_for(found: Questionnaire, value: int) -> dict[str, Any]:
    return {
        "answers": [
            {"question": question.pk, "value": value}
            for question in found.questions.order_by("position")
        ]
    }


def test_an_organiser_writes_and_opens_a_questionnaire(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client = client_for(organiser)
    created = send(
        client,
        "post",
        f"/communities/{community.slug}/questionnaires",
        {
            "title": "Canary fortnightly",
            "interval_days": 14,
            "scoring": "mean",
            "score_bands": [
                {"lowest": 0, "label": "Low"},
                {"lowest": 2.5, "label": "High"},
            ],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft"
    assert body["score_bands"][1] == {"lowest": 2.5, "label": "High"}
    path = f"/questionnaires/{body['id']}"
    assert_error(send(client, "post", f"{path}/open"), 400, "invalid")
    first = send(
        client, "post", f"{path}/questions", {"text": "Tired?", "scale": "frequency"}
    )
    assert first.status_code == 201
    assert first.json()["choices"][3] == {"label": "Nearly every day", "value": 3}
    second = send(
        client,
        "post",
        f"{path}/questions",
        {
            "text": "Pain?",
            "choices": [{"label": "No", "value": 0}, {"label": "Yes", "value": 5}],
        },
    )
    assert second.status_code == 201
    moved = send(
        client,
        "post",
        f"{path}/questions/{second.json()['id']}/move",
        {"direction": "up"},
    )
    assert [q["text"] for q in moved.json()] == ["Pain?", "Tired?"]
    assert_error(
        send(
            client,
            "post",
            f"{path}/questions",
            {"text": "Both?", "scale": "yes_no", "choices": []},
        ),
        400,
        "invalid",
    )
    opened = send(client, "post", f"{path}/open")
    assert opened.json()["status"] == "open"
    assert [q["text"] for q in opened.json()["questions"]] == ["Pain?", "Tired?"]
    assert_error(
        send(client, "post", f"{path}/questions", {"text": "Late?", "scale": "yes_no"}),
        400,
        "invalid",
    )
    patched = send(
        client, "patch", path, {"title": "Canary renamed", "interval_days": 28}
    )
    assert (patched.json()["title"], patched.json()["interval_days"]) == (
        "Canary renamed",
        28,
    )
    assert_error(send(client, "patch", path, {"scoring": "sum"}), 400, "invalid")
    closed = send(client, "post", f"{path}/close")
    assert closed.json()["status"] == "closed"


def test_bad_input_is_a_clear_error(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client = client_for(organiser)
    path = f"/communities/{community.slug}/questionnaires"
    assert_error(
        send(client, "post", path, {"title": "X", "interval_days": 3}), 422, "invalid"
    )
    assert_error(
        send(
            client,
            "post",
            path,
            {
                "title": "X",
                "score_bands": [
                    {"lowest": 5, "label": "A"},
                    {"lowest": 1, "label": "B"},
                ],
            },
        ),
        400,
        "invalid",
    )
    assert_error(send(client, "post", path, {"title": ""}), 422, "invalid")
    assert not Questionnaire.objects.exists()


@pytest.mark.parametrize("persona", ["member", "moderator", "carer"])
def test_only_organisers_write_or_see_results(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    organiser: User,
    community: Community,
    persona: str,
) -> None:
    found = make_questionnaire(organiser, community)
    client = client_for(request.getfixturevalue(persona))
    path = f"/questionnaires/{found.pk}"
    assert_error(
        send(
            client,
            "post",
            f"/communities/{community.slug}/questionnaires",
            {"title": "X"},
        ),
        403,
        "forbidden",
    )
    assert_error(send(client, "patch", path, {"title": "Mine"}), 403, "forbidden")
    assert_error(send(client, "post", f"{path}/close"), 403, "forbidden")
    assert_error(send(client, "get", f"{path}/results"), 403, "forbidden")


def test_drafts_and_hidden_communities_are_not_found(
    client_for: ClientFor,
    organiser: User,
    member: User,
    outsider: User,
    hidden_community: Community,
) -> None:
    draft = make_questionnaire(organiser, hidden_community, opened=False)
    found = make_questionnaire(organiser, hidden_community)
    assert_error(
        send(client_for(member), "get", f"/questionnaires/{draft.pk}"), 404, "not_found"
    )
    stranger = client_for(outsider)
    for path in (
        f"/questionnaires/{found.pk}",
        f"/communities/{hidden_community.slug}/questionnaires",
        f"/questionnaires/{found.pk}/results",
    ):
        assert_error(send(stranger, "get", path), 404, "not_found")
    assert_error(
        send(stranger, "post", f"/questionnaires/{found.pk}/enrol"), 404, "not_found"
    )
    assert_error(send(stranger, "get", "/questionnaires/999999"), 404, "not_found")
    listing = send(
        client_for(member),
        "get",
        f"/communities/{hidden_community.slug}/questionnaires",
    )
    assert [item["id"] for item in listing.json()["items"]] == [found.pk]


def test_a_member_enrols_answers_and_reads_their_responses(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    client = client_for(member)
    enrolled = send(client, "post", f"/questionnaires/{found.pk}/enrol")
    assert enrolled.json()["enrolled"] is True
    due = send(client, "get", "/me/questionnaires/due").json()
    assert [item["questionnaire"] for item in due] == [found.pk]
    answered = send(
        client, "post", f"/questionnaires/{found.pk}/responses", answers_for(found, 3)
    )
    assert answered.status_code == 201, answered.content
    body = answered.json()
    assert (body["score"], body["band"], body["by_carer"]) == ("6.00", "High", False)
    assert send(client, "get", "/me/questionnaires/due").json() == []
    listed = send(client, "get", "/me/questionnaires/responses").json()
    assert listed["count"] == 1
    assert [a["value"] for a in listed["items"][0]["answers"]] == [3, 3]
    enrolments = send(client, "get", "/me/questionnaires/enrolments").json()
    assert enrolments["items"][0]["next_due_on"] is not None
    left = send(client, "post", f"/questionnaires/{found.pk}/leave")
    assert left.json()["enrolled"] is False
    gone = send(client, "delete", f"/me/questionnaires/responses/{body['id']}")
    assert gone.status_code == 204
    assert not QuestionnaireResponse.objects.exists()


def test_answers_are_checked(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community, interval_days=0)
    client = client_for(member)
    path = f"/questionnaires/{found.pk}/responses"
    first = found.questions.order_by("position").first()
    assert first is not None
    twice = {
        "answers": [
            {"question": first.pk, "value": 1},
            {"question": first.pk, "value": 2},
        ]
    }
    assert_error(send(client, "post", path, twice), 400, "invalid")
    assert_error(send(client, "post", path, answers_for(found, 9)), 400, "invalid")
    assert_error(send(client, "post", path, {"answers": "all"}), 422, "invalid")
    assert send(client, "post", path, answers_for(found, 1)).status_code == 201
    error = assert_error(
        send(client, "post", path, answers_for(found, 1)), 400, "invalid"
    )
    assert "asked once" in error["message"]


def test_a_carer_answers_with_the_delegation(
    client_for: ClientFor,
    organiser: User,
    member: User,
    carer: User,
    community: Community,
) -> None:
    found = make_questionnaire(organiser, community)
    delegation = Delegation.objects.get(member=member, carer=carer)
    client = client_for(carer)
    query = f"?delegation={delegation.pk}"
    send(client, "post", f"/questionnaires/{found.pk}/enrol{query}")
    assert Enrolment.objects.filter(user=member).exists()
    assert not Enrolment.objects.filter(user=carer).exists()
    answered = send(
        client,
        "post",
        f"/questionnaires/{found.pk}/responses{query}",
        answers_for(found, 1),
    )
    assert answered.json()["by_carer"] is True
    saved = QuestionnaireResponse.objects.get()
    assert (saved.user, saved.recorded_by) == (member, carer)
    mine = send(client, "get", f"/me/questionnaires/responses{query}").json()
    assert mine["count"] == 1
    assert send(client, "get", "/me/questionnaires/responses").json()["count"] == 0
    assert_error(
        send(client, "get", "/me/questionnaires/due?delegation=999999"),
        404,
        "not_found",
    )


def test_a_carer_who_may_only_record_gets_nothing_recorded_back(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    recorder = factories.make_user("Tam Trackonly")
    delegation = factories.make_delegation(member, recorder, [Delegation.Scope.TRACK])
    found = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    earlier = answer_all(member, found, 3)
    client = client_for(recorder)
    query = f"?delegation={delegation.pk}"
    # When it is next due follows from the member's last answer.
    enrolled = send(client, "post", f"/questionnaires/{found.pk}/enrol{query}")
    assert (enrolled.json()["enrolled"], enrolled.json()["next_due_on"]) == (
        True,
        None,
    )
    path = f"/me/questionnaires/responses/{earlier.pk}{query}"
    assert_error(send(client, "delete", path), 403, "forbidden")
    assert QuestionnaireResponse.objects.filter(pk=earlier.pk).exists()
    assert_error(
        send(client, "get", f"/me/questionnaires/responses{query}"), 403, "forbidden"
    )


def test_a_reading_carer_cannot_answer(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    reader = factories.make_user("Rita Reader")
    delegation = factories.make_delegation(member, reader, [Delegation.Scope.READ])
    found = make_questionnaire(organiser, community)
    client = client_for(reader)
    path = f"/questionnaires/{found.pk}/responses?delegation={delegation.pk}"
    assert_error(send(client, "post", path, answers_for(found, 1)), 403, "forbidden")
    assert (
        send(
            client, "get", f"/me/questionnaires/due?delegation={delegation.pk}"
        ).status_code
        == 200
    )


def test_organisers_get_aggregates_only(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    saved = answer_all(member, found, 2)
    client = client_for(organiser)
    results = send(client, "get", f"/questionnaires/{found.pk}/results").json()
    assert results == {"enough": False, "members": None, "responses": None, "bands": []}
    people = [factories.make_user() for _ in range(22)]
    Membership.objects.bulk_create(
        Membership(community=community, user=p) for p in people
    )
    for number, person in enumerate(people):
        answer_all(person, found, 0 if number % 2 else 4)  # Low (0) or High (8)
    results = send(client, "get", f"/questionnaires/{found.pk}/results").json()
    assert (results["enough"], results["members"]) == (True, 25)
    # Middle (one member) is small; Low goes with it, or the total less
    # High and Low would give Middle away.
    assert {band["label"]: band["count"] for band in results["bands"]} == {
        "Low": None,
        "Middle": None,
        "High": 10,
    }
    assert_error(
        send(client, "delete", f"/me/questionnaires/responses/{saved.pk}"),
        404,
        "not_found",
    )


def test_lists_take_a_bounded_number_of_queries(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    client = client_for(member)
    paths = (
        "/me/questionnaires/responses?limit=100",
        "/me/questionnaires/due",
        "/me/questionnaires/enrolments?limit=100",
        f"/communities/{community.slug}/questionnaires?limit=100",
    )

    def add_rows(count: int) -> None:
        with ratelimit.suspended():
            for _ in range(count):
                found = make_questionnaire(organiser, community, title=SECRET_TITLE)
                questionnaires.enrol(member, owner=member, questionnaire=found)
                answer_all(member, found, 1)
        # Due again, so that the due list grows too.
        Enrolment.objects.filter(user=member).update(next_due_on=timezone.localdate())

    def fetch(path: str) -> Callable[[], object]:
        return lambda: send(client, "get", path)

    def counts() -> list[int]:
        return [count_queries(fetch(path)) for path in paths]

    add_rows(5)
    counts()  # warm caches
    few = counts()
    add_rows(15)
    assert counts() == few
    assert max(few) <= 10


def test_answering_is_rate_limited(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    client = client_for(member)
    path = f"/questionnaires/{found.pk}/responses"
    for _ in range(questionnaires.ANSWERS_PER_TEN_MINUTES):
        answer_all(member, found, 1)
    assert_error(send(client, "post", path, answers_for(found, 1)), 429, "rate_limited")
