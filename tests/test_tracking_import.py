"""Importing tracking records from the CSV format: the report names every
problem by file, line and column; any problem means nothing is written;
what exists already is skipped; limits and odd files get clear messages;
carers need "track for me" and "read my private data"."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from kinwell.accounts.models import AuditEvent, Delegation, User
from kinwell.communities.models import Community
from kinwell.tracking.io.csv_import import (
    ImportRejected,
    ImportReport,
    check_import,
    import_tracking,
)
from kinwell.tracking.models import (
    CheckIn,
    Evaluation,
    MemberCondition,
    PendingImport,
    SideEffect,
    SymptomScore,
    TrackedSymptom,
    TreatmentCourse,
)
from tests import factories
from tests import tracking_factories as tf
from tests.helpers import API, assert_error
from tests.tracking_io_helpers import (
    days_ago,
    export_zip,
    fill_records,
    make_course,
    make_questionnaire,
    make_zip,
)

pytestmark = pytest.mark.django_db

D1, D2, D3 = (days_ago(n).isoformat() for n in (3, 2, 1))


@pytest.fixture(autouse=True)
def catalogue(db: None) -> None:
    tf.make_symptom("Fatigue")
    tf.make_symptom("Headache")
    tf.make_condition("Long COVID")
    tf.make_treatment("Ibuprofen")


def check(owner: User, files: dict[str, str] | str, name: str = "") -> ImportReport:
    data = make_zip(files) if isinstance(files, dict) else files.encode()
    return check_import(owner, owner=owner, name=name or "upload.zip", data=data)


def run(owner: User, files: dict[str, str], actor: User | None = None) -> ImportReport:
    return import_tracking(
        actor or owner, owner=owner, name="upload.zip", data=make_zip(files)
    )


def where(report: ImportReport) -> list[tuple[str, int | None, str | None]]:
    return [(p.file, p.line, p.column) for p in report.problems]


GOOD_CHECK_INS = (
    "day,symptom,severity,mood,note\n"
    f"{D1},Fatigue,moderate,good,Slept badly\n"
    f"{D1},headache,Very_Severe,,\n"
    f"{D2},Fatigue,1,,\n"
    f"{D3},,,2,\n"
)


# What is imported -----------------------------------------------------------------


def test_a_clean_file_is_imported_with_words_and_any_case(member: User) -> None:
    report = run(member, {"check_ins.csv": GOOD_CHECK_INS})
    assert report.imported
    assert report.counts["check_ins"] == 3
    assert report.counts["symptom_ratings"] == 3
    day = CheckIn.objects.get(user=member, day=days_ago(3))
    assert (day.mood, day.note, day.recorded_by) == (3, "Slept badly", member)
    scores = dict(
        SymptomScore.objects.filter(check_in=day).values_list(
            "symptom__name", "severity"
        )
    )
    assert scores == {"Fatigue": 2, "Headache": 4}


def test_symptoms_rated_but_never_tracked_are_tracked_from_the_first_day(
    member: User,
) -> None:
    report = run(member, {"check_ins.csv": GOOD_CHECK_INS})
    assert report.newly_tracked == ["Fatigue", "Headache"]
    tracked = TrackedSymptom.objects.get(user=member, symptom__name="Fatigue")
    assert (tracked.started_on, tracked.stopped_on) == (days_ago(3), None)


def test_courses_evaluations_and_side_effects(member: User) -> None:
    files = {
        "courses.csv": "course,treatment,started_on,stopped_on,dose,frequency,"
        "stop_reason\n"
        f"7,ibuprofen,{D1},{D3},200 mg,daily,It did not help\n",
        "evaluations.csv": "evaluation,course,evaluated_on,effectiveness,adherence,"
        "burden,cost_band,note\n"
        f"1,7,{D2},slight,always as prescribed,,Low,Meh\n",
        "side_effects.csv": "evaluation,symptom,severity\n1,Headache,mild\n",
    }
    run(member, files)
    course = TreatmentCourse.objects.get(user=member)
    assert (course.stop_reason, course.dose) == ("not_working", "200 mg")
    evaluation = Evaluation.objects.get(course=course)
    assert (evaluation.effectiveness, evaluation.adherence, evaluation.burden) == (
        1,
        4,
        None,
    )
    assert evaluation.cost_band == "low"
    effect = SideEffect.objects.get(evaluation=evaluation)
    assert (effect.symptom.name, effect.severity, effect.treatment_id) == (
        "Headache",
        1,
        course.treatment_id,
    )


def test_a_single_csv_is_known_by_its_name_or_its_header(member: User) -> None:
    by_name = check(member, GOOD_CHECK_INS, name="check_ins.csv")
    assert by_name.ok
    assert by_name.files == ["check_ins.csv"]
    by_header = check(member, GOOD_CHECK_INS, name="export (1).csv")
    assert by_header.ok
    assert by_header.files == ["check_ins.csv"]
    unknown = check(member, "a,b\n1,2\n", name="mystery.csv")
    assert not unknown.ok
    assert "do not say which records" in unknown.problems[0].message


def test_semicolon_separated_files_are_read(member: User) -> None:
    report = check(
        member, {"conditions.csv": "condition;onset_on\nLong COVID;2020-04-01\n"}
    )
    assert report.ok
    assert report.counts["conditions"] == 1


# The report -----------------------------------------------------------------------


def test_every_problem_is_reported_by_file_line_and_column(member: User) -> None:
    files = {
        "check_ins.csv": "day,symptom,severity,mood,note\n"
        f"{D1},Fatigue,awful,,\n"
        "2999-01-01,Fatigue,1,,\n"
        f"{D2},Nonsense,1,okayish,\n"
        f"{D3},Fatigue,,,\n",
        "conditions.csv": "condition,onset_on\nLong COVID,yesterday\n",
    }
    report = check(member, files)
    assert not report.ok
    assert set(where(report)) == {
        ("check_ins.csv", 2, "severity"),
        ("check_ins.csv", 3, "day"),
        ("check_ins.csv", 4, "symptom"),
        ("check_ins.csv", 4, "mood"),
        ("check_ins.csv", 5, "severity"),
        ("conditions.csv", 2, "onset_on"),
    }
    messages = " ".join(p.message for p in report.problems)
    assert "'awful' is not 0 to 4" in messages
    assert "in the future" in messages
    assert "no symptom called 'Nonsense'" in messages


def test_a_day_with_two_moods_or_a_symptom_twice_is_a_problem(member: User) -> None:
    report = check(
        member,
        {
            "check_ins.csv": "day,symptom,severity,mood\n"
            f"{D1},Fatigue,1,2\n{D1},Headache,1,3\n{D1},Fatigue,2,\n"
        },
    )
    assert set(where(report)) == {
        ("check_ins.csv", 3, "mood"),
        ("check_ins.csv", 4, "symptom"),
    }


def test_references_between_files_are_checked(member: User) -> None:
    files = {
        "courses.csv": "course,treatment,started_on,stopped_on,stop_reason\n"
        f"1,Ibuprofen,{D2},,\n2,Ibuprofen,{D1},,cost\n",
        "evaluations.csv": "evaluation,course,evaluated_on\n"
        f"1,1,{D1}\n2,9,{D2}\n3,2,{D2}\n4,1,{D3}\n",
        "side_effects.csv": "evaluation,symptom,severity\n"
        "5,Fatigue,2\n3,Fatigue,2\n4,Fatigue,0\n4,Headache,2\n",
    }
    report = check(member, files)
    assert set(where(report)) == {
        ("courses.csv", 3, "stop_reason"),
        ("evaluations.csv", 2, "evaluated_on"),
        ("evaluations.csv", 3, "course"),
        ("side_effects.csv", 2, "evaluation"),
        ("side_effects.csv", 4, "severity"),
    }  # rows naming course 2 or evaluation 3 are not reported again
    lonely = check(
        member, {"side_effects.csv": "evaluation,symptom,severity\n1,Fatigue,2\n"}
    )
    assert "evaluations.csv, which is missing" in _only_problem(lonely)


def test_header_problems(member: User) -> None:
    report = check(member, {"check_ins.csv": "day,symptom,severty,severity,severity\n"})
    assert ("check_ins.csv", 1, "severty") in where(report)
    assert ("check_ins.csv", 1, "severity") in where(report)
    missing = check(member, {"courses.csv": "course,treatment\n1,Ibuprofen\n"})
    assert where(missing) == [("courses.csv", 1, "started_on")]


def test_another_communitys_entries_cannot_be_used(
    member: User, organiser: User
) -> None:
    elsewhere = factories.make_community(organiser, name="Elsewhere")
    tf.make_symptom("Their own symptom", community=elsewhere)
    report = check(
        member, {"check_ins.csv": f"day,symptom,severity\n{D1},Their own symptom,1\n"}
    )
    assert where(report) == [("check_ins.csv", 2, "symptom")]


def test_a_removed_entry_goes_in_only_for_members_who_already_record_it(
    member: User, organiser: User, community: Community
) -> None:
    removed = tf.make_symptom("Canary removed", community=community)
    tf.track(member, removed)
    removed.retired_at = timezone.now()
    removed.save(update_fields=["retired_at"])
    rows = {"check_ins.csv": f"day,symptom,severity\n{D1},canary REMOVED,2\n"}
    assert check(member, rows).ok  # their own records name it
    other = factories.make_user("Otto Other")
    community.memberships.create(user=other)
    assert where(check(other, rows)) == [("check_ins.csv", 2, "symptom")]
    # A new entry of the same name is the one a name finds.
    taken = tf.make_symptom("Canary removed", community=community)
    run(member, rows)
    assert SymptomScore.objects.get(user=member).symptom == taken


def test_questionnaire_responses_are_checked(
    member: User, organiser: User, community: Community
) -> None:
    make_questionnaire(organiser, community)
    header = "response,community,questionnaire,answered_at,question,answer\n"
    rows = [
        f"1,{community.slug},FATIGUE SCALE,{D1}T09:00:00,1,2",
        f"1,{community.slug},Fatigue scale,{D1}T09:00:00,2,3",
        f"2,{community.slug},Fatigue scale,{D2}T09:00:00,1,9",
        f"3,{community.slug},No such,{D2}T09:00:00,1,1",
    ]
    report = check(member, {"questionnaire_responses.csv": header + "\n".join(rows)})
    assert set(where(report)) == {
        ("questionnaire_responses.csv", 4, "answer"),
        ("questionnaire_responses.csv", 4, "question"),  # question 2 not answered
        ("questionnaire_responses.csv", 5, "questionnaire"),
    }
    ok = check(member, {"questionnaire_responses.csv": header + "\n".join(rows[:2])})
    assert ok.ok
    assert ok.counts["questionnaire_responses"] == 1


def test_one_current_course_per_treatment(member: User) -> None:
    make_course(member, tf.make_treatment("Ibuprofen"), started_ago=30)
    report = check(
        member, {"courses.csv": f"course,treatment,started_on\n1,Ibuprofen,{D1}\n"}
    )
    assert where(report) == [("courses.csv", 2, "stopped_on")]


# Nothing half-written -----------------------------------------------------------------


def test_one_bad_row_anywhere_writes_nothing(member: User) -> None:
    files = {
        "conditions.csv": "condition\nLong COVID\n",
        "check_ins.csv": GOOD_CHECK_INS,
        "courses.csv": f"course,treatment,started_on\n1,Ibuprofen,{D1}\n",
        "evaluations.csv": "evaluation,course,evaluated_on,burden\n"
        f"1,1,{D2},heavy-ish\n",
    }
    with pytest.raises(ImportRejected) as rejected:
        run(member, files)
    assert where(rejected.value.report) == [("evaluations.csv", 2, "burden")]
    assert not CheckIn.objects.filter(user=member).exists()
    assert not MemberCondition.objects.filter(user=member).exists()
    assert not TrackedSymptom.objects.filter(user=member).exists()
    assert not TreatmentCourse.objects.filter(user=member).exists()


# Duplicates ---------------------------------------------------------------------------


def test_existing_days_are_skipped_whole_and_reported(member: User) -> None:
    fatigue = tf.make_symptom("Fatigue")
    tf.track(member, fatigue)
    tf.check_in(member, {fatigue: 4}, day=days_ago(3), mood=0)
    report = run(member, {"check_ins.csv": GOOD_CHECK_INS})
    assert report.counts["check_ins"] == 2
    assert [(s.file, s.line) for s in report.skipped] == [("check_ins.csv", 2)]
    day = CheckIn.objects.get(user=member, day=days_ago(3))
    assert day.mood == 0
    assert list(day.scores.values_list("severity", flat=True)) == [4]


def test_importing_an_export_again_adds_nothing(
    member: User, community: Community, organiser: User
) -> None:
    fill_records(member, community, organiser)
    before = CheckIn.objects.count(), TreatmentCourse.objects.count()
    report = import_tracking(
        member, owner=member, name="again.zip", data=export_zip(member)
    )
    assert report.total == 0
    assert report.skipped_count > 0
    assert (CheckIn.objects.count(), TreatmentCourse.objects.count()) == before


# Limits and odd files -----------------------------------------------------------------


def _only_problem(report: ImportReport) -> str:
    assert report.problem_count == 1, report.problems
    return report.problems[0].message


@override_settings(KINWELL_TRACKING_IMPORT_MAX_BYTES=200)
def test_files_past_the_size_limit_are_refused(member: User) -> None:
    message = _only_problem(check(member, "x" * 201, name="check_ins.csv"))
    assert "up to" in message
    assert "MB" in message


@override_settings(KINWELL_TRACKING_IMPORT_MAX_ROWS=3)
def test_files_past_the_row_limit_are_refused(member: User) -> None:
    rows = "".join(f"{days_ago(n).isoformat()},,,2,\n" for n in range(1, 6))
    report = check(member, {"check_ins.csv": "day,symptom,severity,mood,note\n" + rows})
    assert where(report) == [("check_ins.csv", 5, None)]
    assert "up to 3 rows" in report.problems[0].message


@override_settings(KINWELL_TRACKING_IMPORT_MAX_UNZIPPED_BYTES=1000)
def test_a_zip_that_unpacks_too_far_is_refused(member: User) -> None:
    bomb = "day,symptom,severity\n" + " " * 5000
    assert "unpacks to more than" in _only_problem(
        check(member, {"check_ins.csv": bomb})
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty."),
        ("day,note\n2024-01-01,café\n".encode("latin-1"), "not UTF-8 text"),
        ("day,note\n".encode("utf-16"), "UTF-16"),
        (b"day,note\n2024-01-01,a\x00b\n", "NUL character"),
        (b'day,note\n2024-01-01,"unfinished\n', "not valid CSV"),
        (b"PK\x03\x04 not really a zip", "not a zip file"),
    ],
)
def test_odd_files_get_clear_messages(member: User, data: bytes, expected: str) -> None:
    report = check_import(member, owner=member, name="check_ins.csv", data=data)
    assert expected in _only_problem(report)


def test_bad_bytes_are_placed_on_their_line(member: User) -> None:
    data = "day,note\n2024-01-01,fine\n2024-01-02,caf\xe9\n".encode("latin-1")
    report = check_import(member, owner=member, name="check_ins.csv", data=data)
    assert report.problems[0].line == 3


def test_a_zip_with_other_files_names_them(member: User) -> None:
    report = check(
        member, {"notes.txt": "hi", "tracking/check_ins.csv": GOOD_CHECK_INS}
    )
    assert where(report) == [("notes.txt", None, None)]
    ignored = check(member, {"__MACOSX/._x": "junk", "check_ins.csv": GOOD_CHECK_INS})
    assert ignored.ok


# The website --------------------------------------------------------------------------


def _upload(client: Client, files: dict[str, str]) -> Any:
    upload = SimpleUploadedFile("tracking.zip", make_zip(files), "application/zip")
    return client.post("/tracking/import/", {"upload": upload})


def test_upload_report_confirm(
    client_for: Callable[[User], Client], member: User
) -> None:
    client = client_for(member)
    assert client.get("/tracking/import/").status_code == 200
    page = _upload(client, {"check_ins.csv": GOOD_CHECK_INS})
    assert page.status_code == 200
    assert b"Ready to import" in page.content
    assert not CheckIn.objects.filter(user=member).exists()
    pending = PendingImport.objects.get(uploaded_by=member)
    done = client.post(f"/tracking/import/{pending.pk}/confirm/")
    assert done.status_code == 302
    assert CheckIn.objects.filter(user=member).count() == 3
    assert not PendingImport.objects.exists()


def test_a_file_with_problems_shows_them_and_keeps_nothing(
    client_for: Callable[[User], Client], member: User
) -> None:
    page = _upload(client_for(member), {"check_ins.csv": "day\nnot a day\n"})
    assert page.status_code == 400
    assert b"nothing was imported" in page.content
    assert b"not a date as YYYY-MM-DD" in page.content
    assert not PendingImport.objects.exists()


def test_garbage_gets_a_report_never_a_500(
    client_for: Callable[[User], Client], member: User
) -> None:
    upload = SimpleUploadedFile("photo.csv", bytes(range(256)) * 40, "text/csv")
    page = client_for(member).post("/tracking/import/", {"upload": upload})
    assert page.status_code == 400


def test_cancel_and_someone_elses_pending_import(
    client_for: Callable[[User], Client], member: User, outsider: User
) -> None:
    _upload(client_for(member), {"check_ins.csv": GOOD_CHECK_INS})
    pending = PendingImport.objects.get()
    stranger = client_for(outsider)
    assert stranger.post(f"/tracking/import/{pending.pk}/confirm/").status_code == 404
    assert (
        client_for(member).post(f"/tracking/import/{pending.pk}/cancel/").status_code
        == 302
    )
    assert not PendingImport.objects.exists()
    assert not CheckIn.objects.exists()


def test_confirming_checks_again(
    client_for: Callable[[User], Client], member: User
) -> None:
    client = client_for(member)
    _upload(client, {"conditions.csv": "condition\nLong COVID\n"})
    pending = PendingImport.objects.get()
    tf.add_condition(member, tf.make_condition("Long COVID"))  # meanwhile, elsewhere
    response = client.post(f"/tracking/import/{pending.pk}/confirm/")
    assert response.status_code == 302
    assert MemberCondition.objects.filter(user=member).count() == 1


def test_carer_with_track_scope_imports_and_the_member_sees_it(
    client_for: Callable[[User], Client], member: User, carer: User
) -> None:
    client = client_for(carer)
    delegation = Delegation.objects.get(carer=carer, member=member)
    session = client.session
    session["kinwell_acting_for"] = delegation.pk
    session.save()
    _upload(client, {"check_ins.csv": GOOD_CHECK_INS})
    pending = PendingImport.objects.get()
    assert pending.owner == member
    client.post(f"/tracking/import/{pending.pk}/confirm/")
    assert CheckIn.objects.filter(user=member, recorded_by=carer).count() == 3
    event = AuditEvent.objects.get(action="tracking.import")
    assert (event.actor, event.subject) == (carer, member)


def test_carer_without_track_scope_may_not_import(
    client_for: Callable[[User], Client], member: User
) -> None:
    reader = factories.make_user("Rita Reader")
    delegation = factories.make_delegation(member, reader, [Delegation.Scope.READ])
    response = client_for(reader).post(
        f"{API}/me/tracking/import?delegation={delegation.pk}",
        {"file": SimpleUploadedFile("check_ins.csv", GOOD_CHECK_INS.encode())},
    )
    assert_error(response, 403, "forbidden")
    assert not CheckIn.objects.exists()


def test_a_carer_who_may_only_record_may_not_import(
    client_for: Callable[[User], Client], member: User
) -> None:
    # The report says which rows the member has already: it would show them
    # what they may not read.
    from django.core.exceptions import PermissionDenied

    tf.add_condition(member, tf.make_condition("Long COVID"))
    recorder = factories.make_user("Tam Trackonly")
    delegation = factories.make_delegation(member, recorder, [Delegation.Scope.TRACK])
    probe = make_zip({"conditions.csv": "condition\nLong COVID\n"})
    response = client_for(recorder).post(
        f"{API}/me/tracking/import?dry_run=true&delegation={delegation.pk}",
        {"file": SimpleUploadedFile("tracking.zip", probe)},
    )
    assert_error(response, 403, "forbidden")
    client = client_for(recorder)
    session = client.session
    session["kinwell_acting_for"] = delegation.pk
    session.save()
    assert client.get("/tracking/import/").status_code == 403
    with pytest.raises(PermissionDenied):
        check_import(recorder, owner=member, name="upload.zip", data=probe)


def test_services_refuse_a_stranger(member: User, outsider: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_tracking(outsider, owner=member, name="x.csv", data=b"day\n")


# The API ------------------------------------------------------------------------------


def _post(client: Client, query: str, data: bytes, name: str = "tracking.zip") -> Any:
    return client.post(
        f"{API}/me/tracking/import{query}", {"file": SimpleUploadedFile(name, data)}
    )


def test_api_dry_run_reports_and_writes_nothing(
    client_for: Callable[[User], Client], member: User
) -> None:
    client = client_for(member)
    response = _post(
        client, "?dry_run=true", make_zip({"check_ins.csv": GOOD_CHECK_INS})
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"]
    assert not body["imported"]
    assert body["counts"]["check_ins"] == 3
    assert not CheckIn.objects.exists()
    bad = _post(client, "?dry_run=true", b"day\nnope\n", name="check_ins.csv").json()
    assert bad["problem_count"] == 1
    assert bad["problems"][0] == {
        "file": "check_ins.csv",
        "line": 2,
        "column": "day",
        "message": "'nope' is not a date as YYYY-MM-DD.",
    }


def test_api_import_writes_or_refuses_whole(
    client_for: Callable[[User], Client], member: User
) -> None:
    client = client_for(member)
    refused = _post(client, "", b"day,mood\nnope,9\n", name="check_ins.csv")
    error = assert_error(refused, 400, "invalid")
    assert set(error["fields"]) == {
        "check_ins.csv line 2, day",
        "check_ins.csv line 2, mood",
    }
    done = _post(client, "", make_zip({"check_ins.csv": GOOD_CHECK_INS}))
    assert done.status_code == 200
    assert done.json()["imported"]
    assert CheckIn.objects.filter(user=member).count() == 3


def test_api_import_without_a_file(
    client_for: Callable[[User], Client], member: User
) -> None:
    assert_error(client_for(member).post(f"{API}/me/tracking/import"), 400, "invalid")


def test_imports_are_rate_limited(
    client_for: Callable[[User], Client], member: User
) -> None:
    client = client_for(member)
    data = make_zip({"conditions.csv": "condition\nLong COVID\n"})
    statuses = [_post(client, "", data).status_code for _ in range(10)]
    assert statuses == [200] * 10
    assert_error(_post(client, "", data), 429, "rate_limited")


def test_the_format_page_is_open_to_everyone(visitor_client: Client) -> None:
    page = visitor_client.get("/tracking/import/format/")
    assert page.status_code == 200
    assert b"check_ins.csv" in page.content


def test_import_page_needs_the_track_scope_and_an_account(
    client_for: Callable[[User], Client], member: User, visitor_client: Client
) -> None:
    assert visitor_client.get("/tracking/import/").status_code == 302
    reader = factories.make_user("Rita Reader")
    delegation = factories.make_delegation(member, reader, [Delegation.Scope.READ])
    client = client_for(reader)
    session = client.session
    session["kinwell_acting_for"] = delegation.pk
    session.save()
    assert client.get("/tracking/import/").status_code == 403
