"""Checks questionnaire_responses.csv: one row per answer, the rows of one
response sharing its number. A response is to a questionnaire of a community
the member belongs to, found by the community's address (slug) and the
questionnaire's title, and answers every question with one of its answers."""

from dataclasses import dataclass, field
from datetime import datetime

from kinwell.communities.models import Membership
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.io import csv_format as fmt
from kinwell.tracking.io.checking import Check, Plan, ResponseItem, RowCheck
from kinwell.tracking.io.upload import ParsedFile
from kinwell.tracking.models import Question, Questionnaire, QuestionnaireResponse


@dataclass
class _Group:
    line: int
    community: str
    title: str
    answered_at: datetime | None
    # Question position -> (answer, line)
    answers: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Instrument:
    questionnaire: Questionnaire
    # Position -> (question id, the values its scale offers)
    questions: dict[int, tuple[int, frozenset[int]]]


def check_responses(check: Check, parsed: ParsedFile, plan: Plan) -> None:
    groups = _groups(check, parsed)
    instruments = _instruments(check)
    seen: dict[tuple[int, datetime], int] = {}
    existing = _existing(check, instruments)
    for group in groups.values():
        item = _response(check, parsed.name, group, instruments)
        if item is None:
            continue
        key = (item.questionnaire_id, item.answered_at.replace(microsecond=0))
        if key in seen:
            check.problem(
                parsed.name, group.line, "answered_at",
                f"The response on line {seen[key]} was answered at the same time.",
            )  # fmt: skip
            continue
        seen[key] = group.line
        if key in existing:
            check.skip(parsed.name, group.line, "You gave this response already.")
            continue
        plan.responses.append(item)


def _groups(check: Check, parsed: ParsedFile) -> dict[int, _Group]:
    groups: dict[int, _Group] = {}
    for row in parsed.rows:
        cells = check.row(parsed.name, row)
        number = cells.required("response", fmt.read_whole_number)
        answered_at = cells.required("answered_at", check.read_moment)
        position = cells.required("question", fmt.read_whole_number)
        answer = cells.required("answer", _read_answer)
        if number is None:
            continue
        group = groups.setdefault(
            number,
            _Group(row.line, row["community"], row["questionnaire"], answered_at),
        )
        _same_response(cells, group, answered_at)
        if position is not None and position in group.answers:
            cells.fail("question", "This question is answered twice in this response.")
        elif position is not None and answer is not None:
            group.answers[position] = (answer, row.line)
    return groups


def _read_answer(text: str) -> int:
    if text.startswith("-"):
        return -fmt.read_whole_number(text[1:])
    return fmt.read_whole_number(text)


def _same_response(
    cells: RowCheck, group: _Group, answered_at: datetime | None
) -> None:
    for column, value in (
        ("community", group.community),
        ("questionnaire", group.title),
    ):
        if cells.row[column].lower() != value.lower():
            cells.fail(
                column, f"Line {group.line} gives this response another {column}."
            )
    if answered_at is not None and group.answered_at not in (None, answered_at):
        cells.fail(
            "answered_at", f"Line {group.line} gives this response another time."
        )


def _instruments(check: Check) -> dict[tuple[str, str], list[_Instrument]]:
    """The questionnaires of the member's communities, by (slug, title)
    without regard to case; drafts were never answered, so never match."""
    communities = Membership.objects.filter(user=check.owner).values("community_id")
    questionnaires = list(
        Questionnaire.objects.filter(community_id__in=communities)
        .exclude(status=Questionnaire.Status.DRAFT)
        .select_related("community")
        .order_by("pk")
    )
    questions: dict[int, dict[int, tuple[int, frozenset[int]]]] = {}
    rows = Question.objects.filter(questionnaire__in=questionnaires)
    for question in rows.only("pk", "questionnaire_id", "position", "choices"):
        values = frozenset(_choice_values(question.choices))
        questions.setdefault(question.questionnaire_id, {})[question.position] = (
            question.pk,
            values,
        )
    found: dict[tuple[str, str], list[_Instrument]] = {}
    for questionnaire in questionnaires:
        key = (questionnaire.community.slug.lower(), questionnaire.title.lower())
        found.setdefault(key, []).append(
            _Instrument(questionnaire, questions.get(questionnaire.pk, {}))
        )
    return found


def _choice_values(choices: object) -> list[int]:
    if not isinstance(choices, list):
        return []
    return [
        choice["value"]
        for choice in choices
        if isinstance(choice, dict) and isinstance(choice.get("value"), int)
    ]


def _existing(
    check: Check, instruments: dict[tuple[str, str], list[_Instrument]]
) -> set[tuple[int, datetime]]:
    ids = [i.questionnaire.pk for found in instruments.values() for i in found]
    rows = QuestionnaireResponse.objects.filter(
        user=check.owner, questionnaire_id__in=ids
    )
    # To the second, as the export writes it.
    return {
        (pk, moment.replace(microsecond=0))
        for pk, moment in rows.values_list("questionnaire_id", "answered_at")
    }


def _response(
    check: Check,
    file: str,
    group: _Group,
    instruments: dict[tuple[str, str], list[_Instrument]],
) -> ResponseItem | None:
    found = instruments.get((group.community.lower(), group.title.lower()), [])
    if len(found) != 1:
        message = (
            f"No questionnaire called {group.title[:80]!r} in a community with the "
            f"address {group.community[:60]!r} that you belong to."
            if not found
            else "Two questionnaires of that community have this title."
        )
        check.problem(file, group.line, "questionnaire", message)
        return None
    return _answers(check, file, group, found[0])


def _answers(
    check: Check, file: str, group: _Group, instrument: _Instrument
) -> ResponseItem | None:
    answers: dict[int, int] = {}
    problems = len(check.problems)
    for position, (value, line) in sorted(group.answers.items()):
        question = instrument.questions.get(position)
        if question is None:
            check.problem(
                file, line, "question", f"The questionnaire has no question {position}."
            )
        elif value not in question[1]:
            offered = ", ".join(str(v) for v in sorted(question[1]))
            check.problem(
                file,
                line,
                "answer",
                f"Question {position} offers the answers {offered}.",
            )
        else:
            answers[question[0]] = value
    missing = sorted(set(instrument.questions) - set(group.answers))
    if missing:
        listed = ", ".join(str(position) for position in missing)
        check.problem(
            file,
            group.line,
            "question",
            f"Questions {listed} are not answered: a response answers them all.",
        )
    if len(check.problems) > problems or group.answered_at is None or not answers:
        return None
    questionnaire = instrument.questionnaire
    return ResponseItem(
        questionnaire_id=questionnaire.pk,
        community_id=questionnaire.community_id,
        answered_at=group.answered_at,
        score=scales.score_of(list(answers.values()), questionnaire.scoring),
        answers=answers,
    )
