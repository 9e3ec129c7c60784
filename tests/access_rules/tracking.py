"""Access rules for tracking, questionnaires, community insights and research
access (see tests/access_matrix.py).

The matrix's world has a members-only community, Matrix Tracking, of the
organiser, moderator, member and carer, in a cluster of its own; the others
may know it exists, not read it. Its organiser added a condition, two
symptoms (one nobody uses) and two treatments to its catalogue, and wrote
two questionnaires: one open, weekly, with one question, and one still a
draft with two. The member, who consented to community insights and to
research, tracks one of the symptoms, checked in today, lives with the
condition, has a course of a treatment with an evaluation five days ago, is
reminded of the open questionnaire and answered it, has a CSV upload
waiting for confirmation and records held from an imported archive (as the
import makes them for its organiser). A researcher outside the matrix's
roles, with two-factor authentication, asked the community for a dataset;
the organiser approved it and the researcher released it as CSV.

What the rules say (kinwell/tracking/access.py and research/access.py):
- A member's tracking records are theirs. Their carer reaches them only
  through the delegation: on the website by acting for the member (which
  the matrix's clients do not do, so every page naming a record of the
  member is a 404 for the carer as for everyone else), in the API with
  `?delegation=<id>` (the carer may read and record; everyone else, the
  member included, is not that delegation's carer: 404). Moderators,
  organisers and administrators have no way in. Pages without an id are
  everyone's own records.
- The catalogue, the insights and the data-release register are the
  community's content: members read them, everyone else gets 403 (the
  anonymous visitor too). A treatment's evaluation needs 100 counted
  members, so it is a 404 even for members. Organisers (with two-factor
  authentication) change the catalogue and write questionnaires; other
  members get 403, as do outsiders, who may know the community exists.
- Questionnaires are for members (a draft for its organisers only); a
  response is its member's (404 for everyone else).
- Research pages are for researchers, with two-factor authentication: the
  matrix's researcher has none, so they are sent to set it up (the API says
  403 mfa_required), and the request of another researcher is a 404 for
  them as for everyone but the community's organiser, who decides it.
Every write is a POST (or PUT, PATCH, DELETE in the API)."""

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from django.utils import timezone

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities import services as community_services
from kinwell.communities.models import Community
from kinwell.tracking import catalogue, checkins, questionnaires, treatments
from kinwell.tracking import questionnaire_scales as scales
from kinwell.tracking.io.pending import check_and_hold
from kinwell.tracking.models import (
    Condition,
    HeldTracking,
    Question,
    Symptom,
    Treatment,
)
from kinwell.tracking.research import release
from kinwell.tracking.research import services as research_services
from tests import factories
from tests.access_matrix import (
    BAD_REQUEST,
    FORBIDDEN,
    MEMBERS,
    MFA_SETUP,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Answers,
    Outcome,
    Rule,
    api,
    everyone,
    given,
    redirects_to,
    signed_in,
    status,
)

COMMUNITY = "Matrix Tracking"
SLUG = "matrix-tracking"  # the slug create_community makes of the name
CONDITION = "Matrix long fatigue"
SPARE_CONDITION = "Matrix post-viral cough"
SYMPTOM = "Matrix brain fog"
SPARE_SYMPTOM = "Matrix tinnitus"  # in nobody's records: it may be deleted
TREATMENT = "Matrix pacing plan"
SPARE_TREATMENT = "Matrix breathing exercises"
OPEN_TITLE = "Matrix weekly fatigue check"
DRAFT_TITLE = "Matrix sleep questions"
PURPOSE = (
    "To learn how brain fog changes over a year of long fatigue, and which "
    "treatments members find helpful."
)

CREATED = status(201)
NO_CONTENT = status(204)
POST_ONLY = signed_in(NOT_ALLOWED)
API_POST_ONLY = everyone(NOT_ALLOWED)
MFA_REQUIRED = Outcome(
    "403 mfa_required",
    lambda r: r.status_code == 403 and b'"mfa_required"' in getattr(r, "content", b""),
)


# Who gets what -------------------------------------------------------------------


def own(outcome: Outcome) -> Answers:
    """A record of the member, on the website: theirs alone."""
    return signed_in(NOT_FOUND, member=outcome)


def for_carer(outcome: Outcome) -> Answers:
    """The member's records in the API, under the delegation: its carer alone."""
    return api(NOT_FOUND, carer=outcome)


def members(outcome: Outcome) -> Answers:
    return signed_in(FORBIDDEN, **given(MEMBERS, outcome))


def readers(outcome: Outcome) -> Answers:
    """The community's content, on pages visitors may open too."""
    return everyone(FORBIDDEN, **given(MEMBERS, outcome))


def api_members(outcome: Outcome) -> Answers:
    return api(FORBIDDEN, **given(MEMBERS, outcome))


def organisers(outcome: Outcome) -> Answers:
    return signed_in(FORBIDDEN, organiser=outcome)


def api_organisers(outcome: Outcome) -> Answers:
    return api(FORBIDDEN, organiser=outcome)


def researchers(outcome: Outcome = MFA_SETUP) -> Answers:
    return signed_in(NOT_FOUND, researcher=outcome)


def deciders(outcome: Outcome) -> Answers:
    """A request to the community: its organiser; 404 for everyone else."""
    return signed_in(NOT_FOUND, organiser=outcome)


# Bodies naming the world's rows ---------------------------------------------------


class Body(Mapping[str, Any]):
    """A JSON body whose values may be functions, called when the request is
    sent: the ids of the world's rows are not known when the rules are."""

    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def __getitem__(self, name: str) -> Any:
        value = self._fields[name]
        return value() if callable(value) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def _entry(model: Any, name: str) -> Callable[[], int]:
    return lambda: int(model.objects.get(community__slug=SLUG, name=name).pk)


def _today() -> str:
    return timezone.localdate().isoformat()


def _answers() -> list[dict[str, int]]:
    question = Question.objects.get(
        questionnaire__community__slug=SLUG, questionnaire__title=OPEN_TITLE
    )
    return [{"question": question.pk, "value": 1}]


# The routes ---------------------------------------------------------------------

TRACKING = "tracking/"
COURSE = "tracking/treatments/<int:course_id>/"
COURSE_URL = "/tracking/treatments/{tracking_course}/"
HELD = "tracking/carried-over/<int:held_id>/"
CATALOGUE = "c/<slug:slug>/catalogue/<catalogue_kind:kind>/"
ENTRY_URL = f"/c/{SLUG}/catalogue/symptoms/" + "{tracking_spare_symptom}/"
QUESTIONNAIRES = "c/<slug:slug>/questionnaires/"
ONE = f"{QUESTIONNAIRES}<int:questionnaire_id>/"
OPEN_URL = f"/c/{SLUG}/questionnaires/" + "{tracking_open}/"
DRAFT_URL = f"/c/{SLUG}/questionnaires/" + "{tracking_draft}/"
QUESTION = f"{ONE}questions/<int:question_id>/"
QUESTION_URL = DRAFT_URL + "questions/{tracking_question}/"
REQUEST = "research/requests/<int:request_id>/"
REQUEST_URL = "/research/requests/{tracking_request}/"
API = "api/v1/me/tracking/"
AS_CARER = "?delegation={delegation}"
API_COMMUNITY = f"/api/v1/communities/{SLUG}"
API_OPEN = "/api/v1/questionnaires/{tracking_open}"
API_DRAFT = "/api/v1/questionnaires/{tracking_draft}"
API_REQUEST = "/api/v1/research/requests/{tracking_request}"

RULES: list[Rule] = [
    # One's own tracking: everyone's own records ------------------------------------
    Rule(TRACKING, get=signed_in(OK)),
    # An empty form comes back with its errors.
    Rule(f"{TRACKING}check-in/", get=signed_in(OK), post=signed_in(OK)),
    Rule(f"{TRACKING}check-ins/", get=signed_in(OK)),
    Rule(
        f"{TRACKING}check-ins/<int:check_in_id>/delete/",
        url="/tracking/check-ins/{tracking_check_in}/delete/",
        get=POST_ONLY,
        post=own(redirects_to("/tracking/check-ins/")),
    ),
    Rule(f"{TRACKING}conditions/", get=signed_in(OK), post=signed_in(OK)),
    Rule(
        f"{TRACKING}conditions/<int:record_id>/edit/",
        url="/tracking/conditions/{tracking_condition}/edit/",
        get=own(OK),
        post=own(OK),
    ),
    Rule(
        f"{TRACKING}conditions/<int:record_id>/remove/",
        url="/tracking/conditions/{tracking_condition}/remove/",
        get=POST_ONLY,
        post=own(redirects_to("/tracking/conditions/")),
    ),
    Rule(f"{TRACKING}symptoms/", get=signed_in(OK)),
    Rule(  # nothing ticked: back to the list, with a message
        f"{TRACKING}symptoms/track/",
        get=POST_ONLY,
        post=signed_in(redirects_to("/tracking/symptoms/")),
    ),
    Rule(
        f"{TRACKING}symptoms/<int:tracked_id>/stop/",
        url="/tracking/symptoms/{tracking_tracked}/stop/",
        get=POST_ONLY,
        post=own(redirects_to("/tracking/symptoms/")),
    ),
    # Treatment courses and the charts
    Rule(f"{TRACKING}treatments/", get=signed_in(OK), post=signed_in(OK)),
    Rule(COURSE, url=COURSE_URL, get=own(OK)),
    Rule(f"{COURSE}edit/", url=f"{COURSE_URL}edit/", get=own(OK), post=own(OK)),
    Rule(f"{COURSE}stop/", url=f"{COURSE_URL}stop/", get=own(OK), post=own(OK)),
    Rule(f"{COURSE}evaluate/", url=f"{COURSE_URL}evaluate/", get=own(OK), post=own(OK)),
    Rule(  # a page that asks first; its form's POST deletes
        f"{COURSE}delete/",
        url=f"{COURSE_URL}delete/",
        get=own(OK),
        post=own(redirects_to("/tracking/treatments/")),
    ),
    Rule(
        f"{COURSE}evaluations/<int:evaluation_id>/delete/",
        url=COURSE_URL + "evaluations/{tracking_evaluation}/delete/",
        get=POST_ONLY,
        post=own(OK),  # back to the course
    ),
    Rule(f"{TRACKING}chart/", get=signed_in(OK)),
    # Export and import
    Rule(f"{TRACKING}export/", get=signed_in(OK)),
    Rule(f"{TRACKING}export/tracking.zip", get=signed_in(OK)),
    Rule(f"{TRACKING}export/tracking.fhir.json", get=signed_in(OK)),
    Rule(f"{TRACKING}import/", get=signed_in(OK), post=signed_in(OK)),
    Rule(f"{TRACKING}import/format/", get=everyone(OK)),
    Rule(  # the member's own upload, waiting for them to confirm it
        f"{TRACKING}import/<int:pending_id>/confirm/",
        url="/tracking/import/{tracking_pending_import}/confirm/",
        get=POST_ONLY,
        post=own(redirects_to("/tracking/")),
    ),
    Rule(
        f"{TRACKING}import/<int:pending_id>/cancel/",
        url="/tracking/import/{tracking_pending_import}/cancel/",
        get=POST_ONLY,
        post=own(redirects_to("/tracking/import/")),
    ),
    Rule(f"{TRACKING}carried-over/", get=signed_in(OK)),
    Rule(
        f"{HELD}review/",
        url="/tracking/carried-over/{tracking_held}/review/",
        get=POST_ONLY,
        post=own(OK),
    ),
    Rule(  # not confirmed: the page again, with the form's error
        f"{HELD}discard/",
        url="/tracking/carried-over/{tracking_held}/discard/",
        get=POST_ONLY,
        post=own(BAD_REQUEST),
    ),
    # The catalogue: the community's content; its own entries, its organisers' ----
    Rule("c/<slug:slug>/catalogue/", url=f"/c/{SLUG}/catalogue/", get=readers(OK)),
    Rule(  # an empty form comes back with its errors
        f"{CATALOGUE}new/",
        url=f"/c/{SLUG}/catalogue/symptoms/new/",
        get=organisers(OK),
        post=organisers(OK),
    ),
    Rule(
        f"{CATALOGUE}<int:entry_id>/",
        url=ENTRY_URL,
        get=organisers(OK),
        post=organisers(OK),
    ),
    Rule(
        f"{CATALOGUE}<int:entry_id>/delete/",
        url=f"{ENTRY_URL}delete/",
        get=POST_ONLY,
        post=organisers(redirects_to(f"/c/{SLUG}/catalogue/")),
    ),
    # Questionnaires: members answer, organisers write -----------------------------
    Rule(QUESTIONNAIRES, url=f"/c/{SLUG}/questionnaires/", get=members(OK)),
    Rule(
        f"{QUESTIONNAIRES}new/",
        url=f"/c/{SLUG}/questionnaires/new/",
        get=organisers(OK),
        post=organisers(OK),
    ),
    Rule(ONE, url=OPEN_URL, get=members(OK)),
    Rule(f"{ONE}enrol/", url=f"{OPEN_URL}enrol/", get=POST_ONLY, post=members(OK)),
    Rule(f"{ONE}leave/", url=f"{OPEN_URL}leave/", get=POST_ONLY, post=members(OK)),
    Rule(f"{ONE}answer/", url=f"{OPEN_URL}answer/", get=members(OK), post=members(OK)),
    Rule(
        f"{ONE}edit/",
        url=f"{DRAFT_URL}edit/",
        get=organisers(OK),
        post=organisers(OK),
    ),
    Rule(
        f"{ONE}delete/",
        url=f"{DRAFT_URL}delete/",
        get=POST_ONLY,
        post=organisers(redirects_to(f"/c/{SLUG}/questionnaires/")),
    ),
    Rule(f"{ONE}open/", url=f"{DRAFT_URL}open/", get=POST_ONLY, post=organisers(OK)),
    Rule(f"{ONE}close/", url=f"{OPEN_URL}close/", get=POST_ONLY, post=organisers(OK)),
    Rule(f"{ONE}results/", url=f"{OPEN_URL}results/", get=organisers(OK)),
    Rule(
        f"{ONE}questions/",
        url=f"{DRAFT_URL}questions/",
        get=organisers(OK),
        post=organisers(OK),
    ),
    Rule(QUESTION, url=QUESTION_URL, get=organisers(OK), post=organisers(OK)),
    Rule(
        f"{QUESTION}move/",
        url=f"{QUESTION_URL}move/",
        get=POST_ONLY,
        post=organisers(OK),
    ),
    Rule(
        f"{QUESTION}remove/",
        url=f"{QUESTION_URL}remove/",
        get=POST_ONLY,
        post=organisers(OK),
    ),
    Rule(f"{TRACKING}questionnaires/", get=signed_in(OK)),
    Rule(
        f"{TRACKING}questionnaires/responses/<int:response_id>/",
        url="/tracking/questionnaires/responses/{tracking_response}/",
        get=own(OK),
    ),
    Rule(
        f"{TRACKING}questionnaires/responses/<int:response_id>/delete/",
        url="/tracking/questionnaires/responses/{tracking_response}/delete/",
        get=POST_ONLY,
        post=own(redirects_to("/tracking/questionnaires/")),
    ),
    # Community insights: the community's content ----------------------------------
    Rule("c/<slug:slug>/insights/", url=f"/c/{SLUG}/insights/", get=readers(OK)),
    Rule(  # fewer than 100 counted members: no evaluation page, for anyone
        "c/<slug:slug>/insights/treatments/<int:treatment_id>/",
        url=f"/c/{SLUG}/insights/treatments/" + "{tracking_treatment}/",
        get=readers(NOT_FOUND),
    ),
    Rule(
        "clusters/<slug:slug>/insights/",
        url="/clusters/{tracking_cluster}/insights/",
        get=readers(OK),
    ),
    Rule(
        "clusters/<slug:slug>/insights/treatments/<int:treatment_id>/",
        url="/clusters/{tracking_cluster}/insights/treatments/{tracking_treatment}/",
        get=readers(NOT_FOUND),
    ),
    Rule("insights/how-we-count/", get=everyone(OK)),
    # Research access --------------------------------------------------------------
    Rule("research/", get=researchers(), post=researchers()),
    Rule("research/how-it-works/", get=everyone(OK)),
    Rule(REQUEST, url=REQUEST_URL, get=deciders(OK)),
    Rule(
        f"{REQUEST}withdraw/",
        url=f"{REQUEST_URL}withdraw/",
        get=POST_ONLY,
        post=researchers(),
    ),
    Rule(
        f"{REQUEST}releases/",
        url=f"{REQUEST_URL}releases/",
        get=POST_ONLY,
        post=researchers(),
    ),
    Rule(  # no decision chosen: the request's page again, with the error
        f"{REQUEST}decide/",
        url=f"{REQUEST_URL}decide/",
        get=POST_ONLY,
        post=deciders(BAD_REQUEST),
    ),
    Rule(
        f"{REQUEST}end/",
        url=f"{REQUEST_URL}end/",
        get=POST_ONLY,
        post=deciders(BAD_REQUEST),
    ),
    Rule(
        "research/releases/<int:release_id>/download",
        url="/research/releases/{tracking_release}/download",
        get=researchers(),
    ),
    Rule("c/<slug:slug>/research/", url=f"/c/{SLUG}/research/", get=organisers(OK)),
    Rule(
        "c/<slug:slug>/data-releases/",
        url=f"/c/{SLUG}/data-releases/",
        get=readers(OK),
    ),
    # The API: the member's records, under the carer's delegation ------------------
    Rule(
        f"{API}check-ins",
        url=f"/{API}check-ins{AS_CARER}",
        get=for_carer(OK),
        post=for_carer(CREATED),
        json=Body(day=lambda: str(timezone.localdate() - timedelta(days=10)), mood=2),
    ),
    Rule(
        f"{API}check-ins/<day>",
        url=f"/{API}check-ins/" + "{tracking_check_in_day}" + AS_CARER,
        get=for_carer(OK),
        put=for_carer(OK),  # replaces the day's check-in
        delete=for_carer(NO_CONTENT),
        json={"mood": 3},
    ),
    Rule(
        f"{API}conditions",
        url=f"/{API}conditions{AS_CARER}",
        get=for_carer(OK),
        post=for_carer(CREATED),
        json=Body(condition=_entry(Condition, SPARE_CONDITION)),
    ),
    Rule(
        f"{API}conditions/<record_id>",
        url=f"/{API}conditions/" + "{tracking_condition}" + AS_CARER,
        get=for_carer(OK),
        patch=for_carer(OK),
        delete=for_carer(NO_CONTENT),
    ),
    Rule(  # already rated: 200
        f"{API}symptoms",
        url=f"/{API}symptoms{AS_CARER}",
        get=for_carer(OK),
        post=for_carer(OK),
        json=Body(symptom=_entry(Symptom, SYMPTOM)),
    ),
    Rule(
        f"{API}symptoms/<tracked_id>/stop",
        url=f"/{API}symptoms/" + "{tracking_tracked}/stop" + AS_CARER,
        get=API_POST_ONLY,
        post=for_carer(OK),
    ),
    Rule(
        f"{API}catalogue/<kind>",
        url=f"/{API}catalogue/symptoms{AS_CARER}",
        get=for_carer(OK),
    ),
    Rule(f"{API}export", url=f"/{API}export{AS_CARER}", get=for_carer(OK)),
    Rule(  # the file is a multipart field: a JSON body has none, which the
        # carer is told once the delegation lets them import at all
        f"{API}import",
        url=f"/{API}import{AS_CARER}",
        get=API_POST_ONLY,
        post=for_carer(BAD_REQUEST),
    ),
    Rule(
        f"{API}courses",
        url=f"/{API}courses{AS_CARER}",
        get=for_carer(OK),
        post=for_carer(CREATED),
        json=Body(treatment=_entry(Treatment, SPARE_TREATMENT), started_on=_today),
    ),
    Rule(
        f"{API}courses/<course_id>",
        url=f"/{API}courses/" + "{tracking_course}" + AS_CARER,
        get=for_carer(OK),
        patch=for_carer(OK),
        delete=for_carer(NO_CONTENT),
    ),
    Rule(
        f"{API}courses/<course_id>/stop",
        url=f"/{API}courses/" + "{tracking_course}/stop" + AS_CARER,
        get=API_POST_ONLY,
        post=for_carer(OK),
        json=Body(stopped_on=_today, reason="finished"),
    ),
    Rule(
        f"{API}courses/<course_id>/evaluations",
        url=f"/{API}courses/" + "{tracking_course}/evaluations" + AS_CARER,
        get=for_carer(OK),
        post=for_carer(CREATED),
        json={"effectiveness": 2},
    ),
    Rule(
        f"{API}evaluations/<evaluation_id>",
        url=f"/{API}evaluations/" + "{tracking_evaluation}" + AS_CARER,
        get=API_POST_ONLY,
        delete=for_carer(NO_CONTENT),
    ),
    Rule(f"{API}chart", url=f"/{API}chart{AS_CARER}", get=for_carer(OK)),
    # The API: questionnaires ------------------------------------------------------
    Rule(
        "api/v1/communities/<slug>/questionnaires",
        url=f"{API_COMMUNITY}/questionnaires",
        get=api_members(OK),
        post=api_organisers(CREATED),
        json={"title": "Matrix pain check"},
    ),
    Rule(  # an open one: only a draft may be deleted
        "api/v1/questionnaires/<questionnaire_id>",
        url=API_OPEN,
        get=api_members(OK),
        patch=api_organisers(OK),
        delete=api_organisers(BAD_REQUEST),
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/open",
        url=f"{API_DRAFT}/open",
        get=API_POST_ONLY,
        post=api_organisers(OK),
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/close",
        url=f"{API_OPEN}/close",
        get=API_POST_ONLY,
        post=api_organisers(OK),
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/results",
        url=f"{API_OPEN}/results",
        get=api_organisers(OK),
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/questions",
        url=f"{API_DRAFT}/questions",
        get=API_POST_ONLY,
        post=api_organisers(CREATED),
        json={"text": "How rested do you feel?", "scale": "intensity"},
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/questions/<question_id>",
        url=API_DRAFT + "/questions/{tracking_question}",
        get=API_POST_ONLY,
        put=api_organisers(OK),
        delete=api_organisers(NO_CONTENT),
        json={"text": "How well did you sleep?", "scale": "intensity"},
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/questions/<question_id>/move",
        url=API_DRAFT + "/questions/{tracking_question}/move",
        get=API_POST_ONLY,
        post=api_organisers(OK),
        json={"direction": "down"},
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/enrol",
        url=f"{API_OPEN}/enrol{AS_CARER}",
        get=API_POST_ONLY,
        post=for_carer(OK),
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/leave",
        url=f"{API_OPEN}/leave{AS_CARER}",
        get=API_POST_ONLY,
        post=for_carer(OK),
    ),
    Rule(
        "api/v1/questionnaires/<questionnaire_id>/responses",
        url=f"{API_OPEN}/responses{AS_CARER}",
        get=API_POST_ONLY,
        post=for_carer(CREATED),
        json=Body(answers=_answers),
    ),
    Rule(
        "api/v1/me/questionnaires/due",
        url=f"/api/v1/me/questionnaires/due{AS_CARER}",
        get=for_carer(OK),
    ),
    Rule(
        "api/v1/me/questionnaires/enrolments",
        url=f"/api/v1/me/questionnaires/enrolments{AS_CARER}",
        get=for_carer(OK),
    ),
    Rule(
        "api/v1/me/questionnaires/responses",
        url=f"/api/v1/me/questionnaires/responses{AS_CARER}",
        get=for_carer(OK),
    ),
    Rule(
        "api/v1/me/questionnaires/responses/<response_id>",
        url="/api/v1/me/questionnaires/responses/{tracking_response}" + AS_CARER,
        get=API_POST_ONLY,
        delete=for_carer(NO_CONTENT),
    ),
    # The API: the catalogue and insights, the community's content -----------------
    Rule(
        "api/v1/communities/<slug>/catalogue/<kind>",
        url=f"{API_COMMUNITY}/catalogue/symptoms",
        get=readers(OK),
        post=api_organisers(CREATED),
        json={"name": "Matrix night sweats"},
    ),
    Rule(
        "api/v1/communities/<slug>/catalogue/<kind>/<entry_id>",
        url=API_COMMUNITY + "/catalogue/symptoms/{tracking_spare_symptom}",
        get=API_POST_ONLY,
        patch=api_organisers(OK),
        delete=api_organisers(NO_CONTENT),
    ),
    Rule(
        "api/v1/communities/<slug>/insights",
        url=f"{API_COMMUNITY}/insights",
        get=readers(OK),
    ),
    Rule(
        "api/v1/communities/<slug>/insights/treatments/<treatment_id>",
        url=API_COMMUNITY + "/insights/treatments/{tracking_treatment}",
        get=readers(NOT_FOUND),
    ),
    Rule(
        "api/v1/clusters/<slug>/insights",
        url="/api/v1/clusters/{tracking_cluster}/insights",
        get=readers(OK),
    ),
    Rule(
        "api/v1/clusters/<slug>/insights/treatments/<treatment_id>",
        url="/api/v1/clusters/{tracking_cluster}/insights/treatments/"
        "{tracking_treatment}",
        get=readers(NOT_FOUND),
    ),
    # The API: research ------------------------------------------------------------
    Rule(
        "api/v1/research/requests",
        get=api(NOT_FOUND, researcher=MFA_REQUIRED),
        post=api(NOT_FOUND, researcher=MFA_REQUIRED),
        json={
            "community": SLUG,
            "title": "Brain fog over a year",
            "institution": "Matrix University",
            "purpose": PURPOSE,
        },
    ),
    Rule(
        "api/v1/research/requests/<request_id>",
        url=API_REQUEST,
        get=api(NOT_FOUND, organiser=OK),
    ),
    Rule(
        "api/v1/research/requests/<request_id>/withdraw",
        url=f"{API_REQUEST}/withdraw",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, researcher=MFA_REQUIRED),
    ),
    Rule(  # it is approved already
        "api/v1/research/requests/<request_id>/approve",
        url=f"{API_REQUEST}/approve",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, organiser=BAD_REQUEST),
    ),
    Rule(  # ends the approval: nothing more can be released
        "api/v1/research/requests/<request_id>/refuse",
        url=f"{API_REQUEST}/refuse",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, organiser=OK),
        json={"note": "The study has ended."},
    ),
    Rule(
        "api/v1/research/requests/<request_id>/releases",
        url=f"{API_REQUEST}/releases",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, researcher=MFA_REQUIRED),
        json={"kind": "csv"},
    ),
    Rule(
        "api/v1/research/releases/<release_id>/file",
        url="/api/v1/research/releases/{tracking_release}/file",
        get=api(NOT_FOUND, researcher=MFA_REQUIRED),
    ),
    Rule(
        "api/v1/communities/<slug>/research/requests",
        url=f"{API_COMMUNITY}/research/requests",
        get=api_organisers(OK),
    ),
    Rule(
        "api/v1/communities/<slug>/data-releases",
        url=f"{API_COMMUNITY}/data-releases",
        get=readers(OK),
    ),
]


# The world ------------------------------------------------------------------------


def world_values(users: dict[str, User]) -> dict[str, Any]:
    organiser, member = users["organiser"], users["member"]
    community = _community(users)
    cluster = community_services.create_cluster(
        organiser, community=community, name="Matrix Tracking Cluster"
    )
    entries = _catalogue(organiser, community)
    for purpose in (
        ConsentRecord.Purpose.COMMUNITY_INSIGHTS,
        ConsentRecord.Purpose.RESEARCH,
    ):
        account_services.record_consent(
            member, user=member, purpose=purpose, given=True
        )
    return {
        "tracking_cluster": cluster.slug,
        "tracking_spare_symptom": entries[SPARE_SYMPTOM].pk,
        "tracking_treatment": entries[TREATMENT].pk,
        **_records(member, entries),
        **_imports(member, community),
        **_questionnaires(organiser, member, community),
        **_research(organiser, community),
    }


def _community(users: dict[str, User]) -> Community:
    organiser = users["organiser"]
    community = community_services.create_community(
        organiser,
        name=COMMUNITY,
        visibility=Community.Visibility.MEMBERS_ONLY,
        join_policy=Community.JoinPolicy.INVITE,
    )
    assert community.slug == SLUG
    link = community_services.create_invite_link(
        organiser, community=community, days=1, max_uses=3
    )
    for role in ("moderator", "member", "carer"):
        community_services.join_by_invite(users[role], link=link)
    community_services.change_role(
        organiser, community=community, member=users["moderator"], role="moderator"
    )
    return community


def _catalogue(organiser: User, community: Community) -> dict[str, Any]:
    made = {}
    for kind, names in (
        ("conditions", (CONDITION, SPARE_CONDITION)),
        ("symptoms", (SYMPTOM, SPARE_SYMPTOM)),
        ("treatments", (TREATMENT, SPARE_TREATMENT)),
    ):
        extra = {"treatment_kind": "lifestyle"} if kind == "treatments" else {}
        for name in names:
            made[name] = catalogue.add_entry(
                organiser, community=community, kind=kind, name=name, **extra
            )
    return made


def _records(member: User, entries: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate()
    tracked = checkins.track_symptom(member, owner=member, symptom=entries[SYMPTOM])
    check_in = checkins.record_check_in(
        member,
        owner=member,
        day=today,
        scores={entries[SYMPTOM].pk: 2},
        mood=1,
        note="Foggy after the walk.",
    )
    condition = checkins.add_condition(
        member,
        owner=member,
        condition=entries[CONDITION],
        onset_on=today - timedelta(days=200),
    )
    course = treatments.start_course(
        member,
        owner=member,
        treatment=entries[TREATMENT],
        started_on=today - timedelta(days=30),
        dose="Two rests a day",
    )
    evaluation = treatments.evaluate_course(
        member,
        course=course,
        effectiveness=3,
        adherence=3,
        burden=1,
        cost_band="nothing",
        side_effects={},
        note="",
        evaluated_on=today - timedelta(days=5),
    )
    return {
        "tracking_tracked": tracked.pk,
        "tracking_check_in": check_in.pk,
        "tracking_check_in_day": check_in.day.isoformat(),
        "tracking_condition": condition.pk,
        "tracking_course": course.pk,
        "tracking_evaluation": evaluation.pk,
    }


def _imports(member: User, community: Community) -> dict[str, Any]:
    day = timezone.localdate() - timedelta(days=20)
    upload = f"day,mood\r\n{day.isoformat()},3\r\n".encode()
    report, pending = check_and_hold(
        member, owner=member, name="check_ins.csv", data=upload
    )
    assert pending is not None, report.problems
    held = HeldTracking.objects.create(
        community=community, member_ref="matrix-member", user=member
    )
    return {"tracking_pending_import": pending.pk, "tracking_held": held.pk}


def _questionnaires(
    organiser: User, member: User, community: Community
) -> dict[str, Any]:
    scale = scales.scale_choices("intensity")
    weekly = questionnaires.create_questionnaire(
        organiser, community=community, title=OPEN_TITLE, interval_days=7
    )
    questionnaires.add_question(
        organiser, questionnaire=weekly, text="How tired were you?", choices=scale
    )
    weekly = questionnaires.open_questionnaire(organiser, questionnaire=weekly)
    questionnaires.enrol(member, owner=member, questionnaire=weekly)
    response = questionnaires.answer_questionnaire(
        member,
        owner=member,
        questionnaire=weekly,
        answers={weekly.questions.get().pk: 2},
    )
    draft = questionnaires.create_questionnaire(
        organiser, community=community, title=DRAFT_TITLE
    )
    first = questionnaires.add_question(
        organiser, questionnaire=draft, text="How long did you sleep?", choices=scale
    )
    questionnaires.add_question(
        organiser, questionnaire=draft, text="How often did you wake?", choices=scale
    )
    return {
        "tracking_open": weekly.pk,
        "tracking_draft": draft.pk,
        "tracking_question": first.pk,
        "tracking_response": response.pk,
    }


def _research(organiser: User, community: Community) -> dict[str, Any]:
    researcher = factories.make_user("Rio Matrix-Researcher", is_researcher=True)
    factories.give_totp(researcher)
    asked = research_services.request_dataset(
        researcher,
        community=community,
        title="Brain fog and pacing",
        institution="Matrix University",
        purpose=PURPOSE,
    )
    approved = research_services.approve_request(
        organiser, request=asked, note="Thank you."
    )
    released = release.release_dataset(researcher, request=approved, kind="csv")
    return {"tracking_request": approved.pk, "tracking_release": released.pk}
