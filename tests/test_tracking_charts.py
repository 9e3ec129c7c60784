"""The personal charts: an SVG per tracked symptom and for the mood, each
followed by a table of the same numbers, with treatment courses shaded; the
period chosen from 3, 6 or 12 months; who may see them; and the number of
queries, whatever the number of symptoms."""

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.models import AuditEvent, Delegation, User
from kinwell.tracking import charts, treatments
from kinwell.tracking.models import Symptom, TreatmentCourse
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import assert_bounded_queries

ClientFor = Callable[[User], Client]

CHART = reverse("tracking:chart")


def ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


@pytest.fixture
def fatigue(db: None) -> Symptom:
    return tf.make_symptom("Fatigue")


@pytest.fixture
def headache(db: None) -> Symptom:
    return tf.make_symptom("Headache")


@pytest.fixture
def charted(member: User, fatigue: Symptom, headache: Symptom) -> User:
    """A member who has rated fatigue on four days in the last three months
    and headache never; one course overlapping the period, one before it."""
    tf.track(member, fatigue, headache)
    tf.track_since(member, fatigue, ago(200))
    tf.track_since(member, headache, ago(200))
    for days_ago, severity, mood in ((40, 3, 1), (39, 2, 2), (10, 1, 3), (2, 0, 4)):
        tf.check_in(member, {fatigue: severity}, days_ago=days_ago, mood=mood)
    start(member, "Canary Pacing Pill", started=20, stopped=5)
    start(member, "Canary Old Therapy", started=190, stopped=150)
    return member


def start(
    owner: User, name: str, *, started: int, stopped: int | None = None
) -> TreatmentCourse:
    course = treatments.start_course(
        owner, owner=owner, treatment=tf.make_treatment(name), started_on=ago(started)
    )
    if stopped is not None:
        treatments.stop_course(
            owner, course=course, stopped_on=ago(stopped), reason="finished"
        )
    return course


def section(page: str, heading: str) -> str:
    """The part of the page from the chart headed `heading` to the next."""
    start = page.index(f">{heading}</h2>")
    end = page.find("<h2", start)
    return page[start : end if end != -1 else None]


def table_rows(part: str) -> list[list[str]]:
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def label(day: date) -> str:
    return day.strftime("%a %-d %b %Y")


def acting_client(client_for: ClientFor, carer: User, member: User) -> Client:
    client = client_for(carer)
    delegation = Delegation.objects.get(carer=carer, member=member)
    client.post(reverse("accounts:start_acting", args=[delegation.pk]))
    return client


# The page --------------------------------------------------------------------------


def test_each_tracked_symptom_and_the_mood_has_a_chart(
    client_for: ClientFor, charted: User
) -> None:
    page = client_for(charted).get(CHART).content.decode()
    # Fatigue and the mood were rated; headache is tracked but never rated.
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 2
    assert "No check-in rated Headache in these months." in page
    fatigue = section(page, "Fatigue")
    assert (
        '<title id="chart-1-title">Severity of Fatigue, the last 3 months</title>'
        in fatigue
    )
    assert 'aria-labelledby="chart-1-title chart-1-desc"' in fatigue
    for word in ("None", "Mild", "Moderate", "Severe", "Very severe"):
        assert f">{word}</text>" in fatigue
    assert "Mood, the last 3 months" in section(page, "Mood")


def test_the_table_holds_the_same_numbers_as_the_chart(
    client_for: ClientFor, charted: User
) -> None:
    page = client_for(charted).get(CHART).content.decode()
    fatigue = section(page, "Fatigue")
    assert "<summary>Show the numbers" in fatigue
    assert table_rows(fatigue) == [
        [label(ago(40)), "Severe (3 of 4)", "None"],
        [label(ago(39)), "Moderate (2 of 4)", "None"],
        [label(ago(10)), "Mild (1 of 4)", "Canary Pacing Pill"],
        [label(ago(2)), "None (0 of 4)", "None"],
    ]
    mood = table_rows(section(page, "Mood"))
    assert [row[1] for row in mood] == [
        "Low (1 of 4)",
        "Okay (2 of 4)",
        "Good (3 of 4)",
        "Very good (4 of 4)",
    ]


def test_the_description_summarises_the_chart(
    client_for: ClientFor, charted: User
) -> None:
    page = client_for(charted).get(CHART).content.decode()
    desc = re.search(r'<desc id="chart-1-desc">(.*?)</desc>', page, re.S)
    assert desc is not None
    text = desc.group(1)
    assert "rated on 4 days: lowest none, highest severe" in text
    assert "the last day rated, none" in text
    assert "Canary Pacing Pill, from" in text
    assert "“Show the numbers”, after the chart, gives every day." in text


def test_courses_in_the_period_are_shaded_named_and_listed(
    client_for: ClientFor, charted: User
) -> None:
    page = client_for(charted).get(CHART).content.decode()
    svg = section(page, "Fatigue").split("</svg>")[0]
    assert 'fill="url(#chart-1-hatch-0)"' in svg
    assert '<pattern id="chart-1-hatch-0"' in svg
    assert ">Canary Pacing Pill</text>" in svg
    assert "A treatment course, named above the chart" in svg
    # The course that ended before the period is neither drawn nor listed.
    assert "Canary Old Therapy" not in page
    courses = section(page, "Treatment courses in these months")
    assert "Canary Pacing Pill, from" in courses


def test_overlapping_courses_are_told_apart_by_their_hatching(
    charted: User,
) -> None:
    start(charted, "Canary Second Pill", started=15)
    drawn = charts.personal_charts(charted, 3)
    svg = charts.draw_chart(drawn.symptoms[0], drawn.period, drawn.bands, chart_id="c")
    first, second = svg.split("<g><rect")[1:3]
    assert "url(#c-hatch-0)" in first
    assert ">Canary Pacing Pill</text>" in first
    assert "url(#c-hatch-1)" in second
    assert ">Canary Second Pill</text>" in second


def test_check_ins_far_apart_are_not_joined(charted: User) -> None:
    drawn = charts.personal_charts(charted, 3)
    fatigue = drawn.symptoms[0]
    svg = charts.draw_chart(fatigue, drawn.period, drawn.bands, chart_id="c")
    path = re.search(r'<path d="([^"]+)"', svg)
    assert path is not None
    # Two moves: 40 and 39 days ago are joined; 10 and 2 days ago are not.
    assert path.group(1).count("M") == 3


def test_names_are_escaped_in_the_chart(client_for: ClientFor, member: User) -> None:
    start(member, "Canary <b>bold</b> & pill", started=5)
    tf.track(member, tf.make_symptom("Canary <i>itch</i>"))
    tf.check_in(member, {Symptom.objects.get(name="Canary <i>itch</i>"): 2})
    page = client_for(member).get(CHART).content.decode()
    assert "<b>bold</b>" not in page
    assert "<i>itch</i>" not in page
    assert "Canary &lt;b&gt;bold&lt;/b&gt; &amp; pill" in page


def test_a_member_with_nothing_tracked_is_told_how_to_start(
    client_for: ClientFor, member: User
) -> None:
    page = client_for(member).get(CHART).content.decode()
    assert "You do not rate any symptoms yet." in page
    assert reverse("tracking:symptoms") in page
    assert "No check-in rated the mood in these months." in page
    assert "<svg" not in page.split("<main")[1]


# The period ------------------------------------------------------------------------


@pytest.mark.parametrize("months", [3, 6, 12])
def test_the_period_is_chosen_from_3_6_or_12_months(
    client_for: ClientFor, charted: User, months: int
) -> None:
    response = client_for(charted).get(CHART, {"months": months})
    assert response.status_code == 200
    period = response.context["period"]
    assert period == charts.period_for(months)
    page = response.content.decode()
    assert f"the last {months} months</title>" in page
    # The old course ended about five months ago.
    assert ("Canary Old Therapy" in page) == (months >= 6)


def test_the_default_period_is_three_months(
    client_for: ClientFor, charted: User
) -> None:
    response = client_for(charted).get(CHART)
    assert response.context["period"].months == 3
    assert re.search(r'value="3"[^>]*checked', response.content.decode())


@pytest.mark.parametrize("months", ["5", "0", "abc", "3.0", "-3", ""])
def test_another_period_is_refused_plainly(
    client_for: ClientFor, charted: User, months: str
) -> None:
    response = client_for(charted).get(CHART, {"months": months})
    if months == "":
        assert response.status_code == 200
        return
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose 3, 6 or 12 months." in page
    assert "<svg" not in page.split("<main")[1]


def test_periods_end_today_and_span_whole_months() -> None:
    today = date(2025, 3, 31)
    assert charts.period_for(3, today) == charts.Period(3, date(2025, 1, 1), today)
    assert charts.period_for(6, date(2025, 8, 31)).start == date(2025, 3, 1)
    assert charts.period_for(12, date(2024, 2, 29)).start == date(2023, 3, 1)


def test_no_symptom_or_treatment_goes_in_a_url(
    client_for: ClientFor, charted: User, fatigue: Symptom
) -> None:
    page = client_for(charted).get(CHART).content.decode()
    for target in re.findall(r'(?:href|action)="([^"]*)"', page):
        assert "Fatigue" not in target
        assert "Pacing" not in target
        query = target.partition("?")[2]
        assert query == "" or query.startswith("months=")


# Who may see them --------------------------------------------------------------------


def test_a_carer_with_the_read_scope_sees_the_members_charts_audited(
    client_for: ClientFor, charted: User, carer: User
) -> None:
    client = acting_client(client_for, carer, charted)
    page = client.get(CHART).content.decode()
    assert "Mo Member" in page
    assert "Canary Pacing Pill" in page
    assert AuditEvent.objects.filter(
        actor=carer, subject=charted, action="tracking.view_chart"
    ).exists()


def test_a_carer_who_may_only_record_cannot_see_the_charts(
    client_for: ClientFor, charted: User
) -> None:
    recorder = factories.make_user("Tam Trackonly")
    factories.make_delegation(charted, recorder, [Delegation.Scope.TRACK])
    client = acting_client(client_for, recorder, charted)
    response = client.get(CHART)
    assert response.status_code == 403
    assert "Canary Pacing Pill" not in response.content.decode()


def test_everyone_else_sees_only_their_own_charts(
    client_for: ClientFor, charted: User, outsider: User, carer: User
) -> None:
    for other in (outsider, carer):  # the carer, not acting for the member
        page = client_for(other).get(CHART).content.decode()
        assert "Canary Pacing Pill" not in page
        assert "Fatigue" not in page


def test_visitors_are_sent_to_log_in(visitor_client: Client) -> None:
    response = visitor_client.get(CHART)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# Queries -----------------------------------------------------------------------------


def test_the_page_runs_a_bounded_number_of_queries_as_symptoms_grow(
    client_for: ClientFor, member: User
) -> None:
    client = client_for(member)

    def add(count: int) -> None:
        symptoms = [tf.make_symptom() for _ in range(count)]
        tf.track(member, *symptoms)
        start(member, f"Canary treatment {len(symptoms)}-{symptoms[0].pk}", started=3)
        for days_ago in range(3):
            tf.check_in(
                member, dict.fromkeys(symptoms, days_ago % 5), days_ago=days_ago
            )

    assert_bounded_queries(lambda: client.get(CHART), add, max_queries=12)


def test_the_data_is_read_in_four_queries(
    django_assert_num_queries: object, charted: User
) -> None:
    with django_assert_num_queries(4):  # type: ignore[operator]
        charts.personal_charts(charted, 12)
