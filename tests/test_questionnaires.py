"""Questionnaires on the website and through their services: organisers
write, open and close them; members enrol, answer, see their scores;
carers answer for members; organisers see aggregates only."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kinwell.accounts.middleware import ACTING_FOR_SESSION_KEY
from kinwell.accounts.models import AuditEvent, Delegation, User
from kinwell.communities.models import Community, Membership
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking import questionnaires
from kinwell.tracking.models import (
    Answer,
    Enrolment,
    Question,
    Questionnaire,
    QuestionnaireResponse,
)
from kinwell.tracking.questionnaire_results import publish, results_for_organisers
from tests import factories
from tests.helpers import assert_bounded_queries
from tests.questionnaire_helpers import SECRET_TITLE, answer_all, make_questionnaire

ClientFor = Callable[[User], Client]


def url(name: str, *args: object) -> str:
    return reverse(f"tracking:{name}", args=args)


def page_url(found: Questionnaire, name: str = "questionnaire") -> str:
    return url(name, found.community.slug, found.pk)


def acting_client(carer: User, member: User) -> Client:
    client = Client()
    client.force_login(carer)
    session = client.session
    delegation = Delegation.objects.get(carer=carer, member=member)
    session[ACTING_FOR_SESSION_KEY] = delegation.pk
    session.save()
    return client


# Writing a questionnaire ------------------------------------------------------------


def test_an_organiser_writes_a_draft_adds_questions_and_opens_it(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client = client_for(organiser)
    response = client.post(
        url("new_questionnaire", community.slug),
        {
            "title": "Canary weekly check",
            "description": "How the week went.",
            "interval_days": "7",
            "scoring": "sum",
            "score_bands": "Low = 0\nMiddle = 3\nHigh = 6",
        },
    )
    found = Questionnaire.objects.get(title="Canary weekly check")
    assert response["Location"] == page_url(found, "questions")
    assert found.status == Questionnaire.Status.DRAFT
    assert found.score_bands[1] == {"from": 3, "label": "Middle"}
    client.post(page_url(found, "questions"), {"text": "Tired?", "scale": "intensity"})
    client.post(
        page_url(found, "questions"),
        {"text": "Slept?", "scale": "custom", "custom_choices": "Badly = 0\nWell = 2"},
    )
    asked = list(found.questions.order_by("position"))
    assert [q.text for q in asked] == ["Tired?", "Slept?"]
    assert asked[0].choices[4] == {"label": "Extremely", "value": 4}
    assert asked[1].choices == [
        {"label": "Badly", "value": 0},
        {"label": "Well", "value": 2},
    ]
    response = client.post(page_url(found, "open_questionnaire"))
    found.refresh_from_db()
    assert found.status == Questionnaire.Status.OPEN
    assert found.opened_at is not None


def test_questions_are_reordered_changed_and_removed_while_a_draft(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community, questions=3, opened=False)
    first, second, third = found.questions.order_by("position")
    client = client_for(organiser)
    move = url("move_question", community.slug, found.pk, third.pk)
    client.post(move, {"direction": "up"})
    order = list(found.questions.order_by("position").values_list("pk", flat=True))
    assert order == [first.pk, third.pk, second.pk]
    client.post(
        url("move_question", community.slug, found.pk, first.pk), {"direction": "up"}
    )
    assert found.questions.get(position=1).pk == first.pk
    client.post(
        url("edit_question", community.slug, found.pk, second.pk),
        {"text": "Any pain?", "scale": "yes_no"},
    )
    second.refresh_from_db()
    assert (second.text, len(second.choices)) == ("Any pain?", 2)
    client.post(url("remove_question", community.slug, found.pk, first.pk))
    rows = list(found.questions.order_by("position").values_list("pk", "position"))
    assert rows == [(third.pk, 1), (second.pk, 2)]


def test_questions_are_fixed_once_it_is_open(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    question = found.questions.first()
    assert question is not None
    with pytest.raises(ValidationError, match="fixed once"):
        questionnaires.add_question(
            organiser,
            questionnaire=found,
            text="More?",
            choices=scales.scale_choices("yes_no"),
        )
    with pytest.raises(ValidationError):
        questionnaires.remove_question(organiser, question=question)
    with pytest.raises(ValidationError):
        questionnaires.update_question(
            organiser, question=question, text="Changed", choices=question.choices
        )
    response = client_for(organiser).get(page_url(found, "questions"))
    assert b"fixed once" in response.content
    assert b"Add the question" not in response.content
    with pytest.raises(ValidationError, match="scoring is fixed"):
        questionnaires.update_questionnaire(
            organiser,
            questionnaire=found,
            title="New title",
            scoring="mean",
            score_bands=found.score_bands,
            interval_days=7,
        )
    questionnaires.update_questionnaire(
        organiser,
        questionnaire=found,
        title="New title",
        scoring="sum",
        score_bands=found.score_bands,
        interval_days=14,
    )
    found.refresh_from_db()
    assert (found.title, found.interval_days) == ("New title", 14)


def test_opening_needs_a_question_and_closing_ends_reminders(
    organiser: User, member: User, community: Community
) -> None:
    empty = make_questionnaire(organiser, community, questions=0, opened=False)
    with pytest.raises(ValidationError, match="at least one question"):
        questionnaires.open_questionnaire(organiser, questionnaire=empty)
    found = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    questionnaires.close_questionnaire(organiser, questionnaire=found)
    assert not Enrolment.objects.filter(ended_at__isnull=True).exists()
    assert questionnaires.due_questionnaires(member) == []
    with pytest.raises(ValidationError, match="not open"):
        answer_all(member, found, 1)
    with pytest.raises(ValidationError):
        questionnaires.open_questionnaire(organiser, questionnaire=found)


def test_a_draft_is_deleted_but_an_open_one_only_closed(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    draft = make_questionnaire(organiser, community, opened=False)
    client = client_for(organiser)
    response = client.post(page_url(draft, "delete_questionnaire"))
    assert response["Location"] == url("questionnaires", community.slug)
    assert not Questionnaire.objects.filter(pk=draft.pk).exists()
    found = make_questionnaire(organiser, community)
    client.post(page_url(found, "delete_questionnaire"))
    assert Questionnaire.objects.filter(pk=found.pk).exists()


def test_bad_settings_and_scales_show_errors_and_save_nothing(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    client = client_for(organiser)
    response = client.post(
        url("new_questionnaire", community.slug),
        {"title": "X", "interval_days": "3", "scoring": "sum", "score_bands": "High 6"},
    )
    assert response.status_code == 200
    assert b"label = number" in response.content
    assert not Questionnaire.objects.exists()
    found = make_questionnaire(organiser, community, questions=0, opened=False)
    response = client.post(
        page_url(found, "questions"),
        {"text": "Q", "scale": "custom", "custom_choices": "Only = 1"},
    )
    assert response.status_code == 200
    assert b"from 2 to 11" in response.content
    with pytest.raises(ValidationError):
        scales.bands_from_lines("High = 6\nLow = 0")
    with pytest.raises(ValidationError):
        scales.choices_from_lines("A = 1\nB = 1")
    assert not Question.objects.exists()


def test_the_label_of_scores_below_every_band_is_reserved(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    response = client_for(organiser).post(
        url("new_questionnaire", community.slug),
        {
            "title": "Canary bands",
            "interval_days": "7",
            "scoring": "sum",
            "score_bands": "below the FIRST band = 2\nHigh = 6",
        },
    )
    assert response.status_code == 200
    assert b"Give the band another name." in response.content
    assert not Questionnaire.objects.filter(title="Canary bands").exists()
    with pytest.raises(ValidationError) as caught:
        scales.clean_bands([{"from": 3, "label": "Below the first band"}])
    assert "score_bands" in caught.value.message_dict


@pytest.mark.parametrize("persona", ["member", "moderator", "outsider"])
def test_only_organisers_write_questionnaires(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    organiser: User,
    community: Community,
    persona: str,
) -> None:
    found = make_questionnaire(organiser, community, opened=False)
    someone = request.getfixturevalue(persona)
    client = client_for(someone)
    assert client.get(url("new_questionnaire", community.slug)).status_code == 403
    assert client.get(page_url(found, "questions")).status_code == 403
    assert client.post(page_url(found, "open_questionnaire")).status_code == 403
    assert client.get(page_url(found, "questionnaire_results")).status_code == 403
    with pytest.raises(PermissionDenied):
        questionnaires.open_questionnaire(someone, questionnaire=found)


# What members see --------------------------------------------------------------------


def test_members_see_open_questionnaires_and_never_drafts(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    make_questionnaire(organiser, community, title="Canary open one")
    draft = make_questionnaire(organiser, community, title="Canary draft", opened=False)
    listing = client_for(member).get(url("questionnaires", community.slug))
    assert b"Canary open one" in listing.content
    assert b"Canary draft" not in listing.content
    assert client_for(member).get(page_url(draft)).status_code == 404
    assert (
        client_for(member).get(page_url(draft, "answer_questionnaire")).status_code
        == 404
    )
    mine = client_for(organiser).get(url("questionnaires", community.slug))
    assert b"Canary draft" in mine.content


def test_outsiders_of_a_hidden_community_get_404(
    client_for: ClientFor,
    organiser: User,
    member: User,
    outsider: User,
    hidden_community: Community,
) -> None:
    found = make_questionnaire(organiser, hidden_community)
    client = client_for(outsider)
    for path in (
        url("questionnaires", hidden_community.slug),
        page_url(found),
        page_url(found, "answer_questionnaire"),
    ):
        assert client.get(path).status_code == 404
    assert client.post(page_url(found, "enrol_questionnaire")).status_code == 404
    assert client_for(member).get(page_url(found)).status_code == 200


def test_a_member_enrols_answers_and_it_is_due_again_after_the_interval(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community, interval_days=7)
    client = client_for(member)
    client.post(page_url(found, "enrol_questionnaire"))
    due = questionnaires.due_questionnaires(member)
    assert [e.questionnaire_id for e in due] == [found.pk]
    first, second = found.questions.order_by("position")
    response = client.post(
        page_url(found, "answer_questionnaire"),
        {f"question_{first.pk}": "3", f"question_{second.pk}": "4"},
    )
    saved = QuestionnaireResponse.objects.get(user=member)
    assert response["Location"] == url("my_response", saved.pk)
    assert saved.score == Decimal("7.00")
    assert saved.recorded_by == member
    enrolment = Enrolment.objects.get(user=member)
    assert enrolment.next_due_on == timezone.localdate() + timedelta(days=7)
    assert questionnaires.due_questionnaires(member) == []
    page = client.get(url("my_response", saved.pk))
    assert b"High" in page.content  # the band of 7
    assert b"Extremely" in page.content
    answer_all(member, found, 1)  # weekly: answering again is fine
    assert QuestionnaireResponse.objects.filter(user=member).count() == 2


def test_answers_must_cover_every_question_with_a_value_of_its_scale(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    first, second = found.questions.order_by("position")
    response = client_for(member).post(
        page_url(found, "answer_questionnaire"), {f"question_{first.pk}": "9"}
    )
    assert response.status_code == 200
    assert b"Choose one of the answers offered." in response.content
    assert b"Choose an answer." in response.content
    with pytest.raises(ValidationError, match="every question"):
        questionnaires.answer_questionnaire(
            member, owner=member, questionnaire=found, answers={first.pk: 1}
        )
    with pytest.raises(ValidationError, match="answers offered"):
        questionnaires.answer_questionnaire(
            member,
            owner=member,
            questionnaire=found,
            answers={first.pk: 1, second.pk: 7},
        )
    assert not QuestionnaireResponse.objects.exists()
    assert not Answer.objects.exists()


def test_a_questionnaire_asked_once_is_answered_once(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community, interval_days=0)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    answer_all(member, found, 2)
    assert Enrolment.objects.get(user=member).next_due_on is None
    with pytest.raises(ValidationError, match="asked once"):
        answer_all(member, found, 2)
    questionnaires.leave(member, owner=member, questionnaire=found)
    with pytest.raises(ValidationError, match="asked once"):
        questionnaires.enrol(member, owner=member, questionnaire=found)
    page = client_for(member).get(page_url(found))
    assert b"it is answered" in page.content
    assert QuestionnaireResponse.objects.count() == 1


def test_mean_scoring_and_bands(
    organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(
        organiser,
        community,
        scoring="mean",
        score_bands=[{"from": 0, "label": "Calm"}, {"from": 1.5, "label": "Busy"}],
    )
    first, second = found.questions.order_by("position")
    response = questionnaires.answer_questionnaire(
        member, owner=member, questionnaire=found, answers={first.pk: 1, second.pk: 2}
    )
    assert response.score == Decimal("1.50")
    assert scales.band_for(response.score, found.score_bands) == "Busy"
    assert scales.format_score(response.score) == "1.5"
    assert scales.score_of([1, 1, 2], "mean") == Decimal("1.33")


def test_leaving_stops_it_being_due_and_keeps_the_answers(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    client = client_for(member)
    client.post(page_url(found, "enrol_questionnaire"))
    client.post(page_url(found, "enrol_questionnaire"))  # again: nothing changes
    assert Enrolment.objects.filter(user=member).count() == 1
    answer_all(member, found, 1)
    client.post(page_url(found, "leave_questionnaire"))
    assert Enrolment.objects.get(user=member).ended_at is not None
    assert questionnaires.due_questionnaires(member) == []
    assert QuestionnaireResponse.objects.filter(user=member).count() == 1


def test_a_member_who_leaves_the_community_is_no_longer_asked(
    organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    Membership.objects.filter(community=community, user=member).delete()
    assert questionnaires.due_questionnaires(member) == []
    with pytest.raises(PermissionDenied):
        answer_all(member, found, 1)


def test_my_questionnaires_lists_due_reminders_and_scores_over_time(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    questionnaires.enrol(member, owner=member, questionnaire=found)
    page = client_for(member).get(url("my_questionnaires"))
    assert SECRET_TITLE.encode() in page.content
    assert b"Nothing is due." not in page.content
    answer_all(member, found, 1)
    answer_all(member, found, 4)
    page = client_for(member).get(url("my_questionnaires"))
    assert b"Nothing is due." in page.content
    assert b"<td>8</td>" in page.content
    assert b"<td>2</td>" in page.content


def test_a_member_deletes_their_own_response_and_nobody_else_reads_it(
    client_for: ClientFor,
    organiser: User,
    member: User,
    outsider: User,
    community: Community,
) -> None:
    found = make_questionnaire(organiser, community)
    saved = answer_all(member, found, 2)
    for someone in (organiser, outsider):
        client = client_for(someone)
        assert client.get(url("my_response", saved.pk)).status_code == 404
        assert client.post(url("delete_response", saved.pk)).status_code == 404
    client_for(member).post(url("delete_response", saved.pk))
    assert not QuestionnaireResponse.objects.exists()


# Carers -------------------------------------------------------------------------------


def test_a_carer_with_track_for_me_answers_for_the_member_and_it_is_audited(
    organiser: User, member: User, carer: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    client = acting_client(carer, member)
    client.post(page_url(found, "enrol_questionnaire"))
    assert Enrolment.objects.filter(user=member).exists()
    first, second = found.questions.order_by("position")
    client.post(
        page_url(found, "answer_questionnaire"),
        {f"question_{first.pk}": "1", f"question_{second.pk}": "1"},
    )
    saved = QuestionnaireResponse.objects.get()
    assert (saved.user, saved.recorded_by) == (member, carer)
    event = AuditEvent.objects.get(action="tracking.questionnaire.answer")
    assert (event.actor, event.subject) == (carer, member)
    page = client.get(url("my_questionnaires"))
    assert b"Mo Member's questionnaires" in page.content
    assert AuditEvent.objects.filter(
        action="tracking.view_my_questionnaires", actor=carer, subject=member
    ).exists()


def test_a_carer_without_track_for_me_cannot_answer(
    organiser: User, member: User, community: Community
) -> None:
    reader = factories.make_user("Rita Reader")
    factories.make_delegation(member, reader, [Delegation.Scope.READ])
    found = make_questionnaire(organiser, community)
    client = acting_client(reader, member)
    assert client.get(page_url(found, "answer_questionnaire")).status_code == 403
    assert client.post(page_url(found, "enrol_questionnaire")).status_code == 403
    assert client.get(url("my_questionnaires")).status_code == 200
    with pytest.raises(PermissionDenied):
        answer_all(member, found, 1, actor=reader)
    assert not QuestionnaireResponse.objects.exists()


def test_a_carer_who_may_only_record_answers_and_sees_nothing_recorded(
    organiser: User, member: User, community: Community
) -> None:
    recorder = factories.make_user("Tam Trackonly")
    factories.make_delegation(member, recorder, [Delegation.Scope.TRACK])
    found = make_questionnaire(organiser, community)
    earlier = answer_all(member, found, 3)
    client = acting_client(recorder, member)
    first, second = found.questions.order_by("position")
    answered = client.post(
        page_url(found, "answer_questionnaire"),
        {f"question_{first.pk}": "1", f"question_{second.pk}": "1"},
    )
    # Not the questionnaire's page: it shows the member's latest answers.
    assert answered["Location"] == url("home")
    assert client.get(page_url(found)).status_code == 403
    assert client.get(url("my_response", earlier.pk)).status_code == 403
    delete = url("delete_response", earlier.pk)
    assert client.post(delete).status_code == 403
    with pytest.raises(PermissionDenied):
        questionnaires.delete_response(recorder, owner=member, response=earlier)
    assert QuestionnaireResponse.objects.filter(pk=earlier.pk).exists()


# Results for organisers ---------------------------------------------------------


def make_members(community: Community, count: int) -> list[User]:
    people = [factories.make_user() for _ in range(count)]
    Membership.objects.bulk_create(
        Membership(community=community, user=person) for person in people
    )
    return people


def test_organisers_see_nothing_below_ten_members(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    answer_all(member, found, 4)
    results = results_for_organisers(found)
    assert not results.enough
    assert results.members is None
    assert results.bands == []
    page = client_for(organiser).get(page_url(found, "questionnaire_results"))
    assert b"Fewer than 10 members have answered" in page.content
    assert b"<td>8</td>" not in page.content


def test_organisers_see_rounded_counts_and_withheld_small_bands(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    people = make_members(community, 14)
    for person in people[:12]:
        answer_all(person, found, 0)  # Low (score 0)
    for person in people[12:]:
        answer_all(person, found, 2)  # Middle (score 4)
    answer_all(people[0], found, 4)  # their latest: High (8)
    results = results_for_organisers(found)
    assert (results.members, results.responses) == (15, 15)
    counts = {band.label: band.count for band in results.bands}
    # Low 11, Middle 2, High 1: both small bands are withheld, Low is shown.
    assert counts == {"Low": 10, "Middle": None, "High": None}
    page = client_for(organiser).get(page_url(found, "questionnaire_results"))
    assert b"About 10" in page.content
    assert b"Not shown" in page.content


def test_a_single_small_band_takes_another_with_it() -> None:
    shown = publish(45, 60, {"A": 20, "B": 3, "C": 22})
    assert shown[("members",)] == 45
    assert shown[("band", "B")] is None
    assert shown[("band", "A")] is None  # else 45 - 20 - 20 would give B away
    assert shown[("band", "C")] == 20


@given(
    st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=6),
    st.integers(min_value=0, max_value=50),
)
def test_published_figures_never_show_or_reveal_a_small_group(
    bands: list[int], repeats: int
) -> None:
    members = sum(bands)
    shown = publish(
        members, members + repeats, {str(i): n for i, n in enumerate(bands)}
    )
    true: dict[tuple[str | int, ...], int] = {
        ("members",): members,
        ("responses",): members + repeats,
    }
    true |= {("band", str(i)): n for i, n in enumerate(bands)}
    for key, cell in shown.items():
        if cell is not None:
            assert cell % 5 == 0
            assert cell >= 10
            assert abs(cell - true[key]) <= 2
        else:
            assert key in true
    hidden = [i for i in range(len(bands)) if shown[("band", str(i))] is None]
    if shown[("members",)] is not None:
        assert len(hidden) != 1


# Bounded queries ----------------------------------------------------------------


def test_the_members_pages_take_a_bounded_number_of_queries(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    client = client_for(member)

    def add_rows(count: int) -> None:
        for _ in range(count):
            found = make_questionnaire(organiser, community)
            questionnaires.enrol(member, owner=member, questionnaire=found)
            answer_all(member, found, 1)

    assert_bounded_queries(
        lambda: client.get(url("my_questionnaires")), add_rows, max_queries=14
    )
    assert_bounded_queries(
        lambda: client.get(url("questionnaires", community.slug)),
        lambda count: [make_questionnaire(organiser, community) for _ in range(count)],
        max_queries=12,
    )


def test_the_results_take_a_bounded_number_of_queries(
    client_for: ClientFor, organiser: User, community: Community
) -> None:
    found = make_questionnaire(organiser, community)
    client = client_for(organiser)

    def add_rows(count: int) -> None:
        for person in make_members(community, count):
            answer_all(person, found, 1)

    assert_bounded_queries(
        lambda: client.get(page_url(found, "questionnaire_results")),
        add_rows,
        max_queries=14,
        rows=10,  # past the smallest count, so the figures are computed both times
    )


def test_every_page_renders_for_the_people_it_is_for(
    client_for: ClientFor, organiser: User, member: User, community: Community
) -> None:
    draft = make_questionnaire(organiser, community, opened=False)
    found = make_questionnaire(organiser, community)
    closed = make_questionnaire(organiser, community)
    questionnaires.close_questionnaire(organiser, questionnaire=closed)
    saved = answer_all(member, found, 1)
    question = draft.questions.first()
    assert question is not None
    organiser_pages = [
        url("questionnaires", community.slug),
        url("new_questionnaire", community.slug),
        page_url(draft),
        page_url(found),
        page_url(closed),
        page_url(draft, "edit_questionnaire"),
        page_url(found, "edit_questionnaire"),
        page_url(draft, "questions"),
        url("edit_question", community.slug, draft.pk, question.pk),
        page_url(found, "questionnaire_results"),
    ]
    client = client_for(organiser)
    for path in organiser_pages:
        assert client.get(path).status_code == 200, path
    assert client.get(page_url(closed, "edit_questionnaire")).status_code == 302
    member_pages = [
        url("questionnaires", community.slug),
        page_url(found),
        page_url(closed),
        page_url(found, "answer_questionnaire"),
        url("my_questionnaires"),
        url("my_response", saved.pk),
    ]
    client = client_for(member)
    for path in member_pages:
        assert client.get(path).status_code == 200, path
    assert client.get(page_url(closed, "answer_questionnaire")).status_code == 302
