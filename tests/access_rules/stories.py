"""Access rules for care stories (see tests/access_matrix.py).

The matrix's world has one organisation, the Matrix Care Trust, with a small
tree (a hospital with a ward, and a pharmacy with nothing below it and no
stories). The service_staff persona is its organisation admin (so also a
responder) with an alert; the researcher persona is a reader on its staff
who has not set up two-factor authentication, so staff pages send them to
set it up first (the API says 403 mfa_required). The
member told two stories about the ward: one published (criticality 4) with
a published reply by service_staff that marks a change planned, not yet
confirmed, and a second reply waiting for a moderator; and one still
waiting for a moderator (criticality 5) with a redaction proposed to its
author. The installation's administrator is a story moderator by being
staff (kinwell.stories.access.is_story_moderator); the community moderator
persona is not one.

What the rules say (kinwell/stories/access.py):
- Organisations, their trees, statistics, feeds and published stories are
  public, and never show an unpublished story or a criticality.
- A story that is not published is for its author and the story moderators:
  404 for everyone else, staff of its organisation included. Only the author
  edits, withdraws or answers a redaction (404 for moderators too).
- Moderation pages are for story moderators alone: 404 for everyone else,
  who may not learn what waits. A reply waiting for a moderator is for its
  author and the moderators: 404 for everyone else.
- Replying is for the responders of an organisation the (published) story
  is about: 403 for other readers of the story.
- Staff pages (dashboard, alerts) are for people on some organisation's
  staff: 403 for everyone else. Managing an organisation is for its admins
  and the installation's administrators: 403 for everyone else (the
  organisation is public, so its existence is no secret).
Every write is a POST (or PUT, PATCH, DELETE in the API)."""

import json
from typing import Any

from django.http import HttpResponseBase

from kinwell.accounts.models import User
from kinwell.stories import alerts, directory, replies, services
from kinwell.stories.models import Reason, Redaction, Service, StaffAlert, Story
from kinwell.stories.replies import CRITICALITY_MEANINGS
from tests import factories
from tests.access_matrix import (
    BAD_REQUEST,
    FORBIDDEN,
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

ORGANISATION = "Matrix Care Trust"
SLUG = "matrix-care-trust"  # the slug create_organisation makes of the name
DRAFT_TITLE = "Unpublished matrix story"
NEW_STAFF_EMAIL = "matrix-new-staff@example.org"
PUBLISHED_CRITICALITY = 4
DRAFT_CRITICALITY = 5

# Who is who, for stories.
STORY_MODERATORS = ("administrator",)
ORGANISATION_ADMINS = ("administrator", "service_staff")
STAFF = ("service_staff",)
AUTHOR = "member"

# What must never show where a criticality is not for the reader.
CRITICALITY_WORDS = (
    "Criticality:",
    CRITICALITY_MEANINGS[PUBLISHED_CRITICALITY],
    CRITICALITY_MEANINGS[DRAFT_CRITICALITY],
)


def _ok_without(*secrets: str) -> Outcome:
    """Allowed, and the page names none of `secrets`."""

    def matches(response: HttpResponseBase) -> bool:
        # Case apart: the staff panel writes a criticality's meaning in lower case.
        body = getattr(response, "content", b"").lower()
        shown = any(secret.lower().encode() in body for secret in secrets)
        return OK.matches(response) and not shown

    return Outcome(f"{OK}, without {', '.join(map(repr, secrets))}", matches)


def _api_criticality(expected: int | None) -> Outcome:
    """200, and the story's criticality is `expected` (None: withheld)."""

    def matches(response: HttpResponseBase) -> bool:
        if response.status_code != 200:
            return False
        body = json.loads(getattr(response, "content", b"{}"))
        return isinstance(body, dict) and body.get("criticality") == expected

    return Outcome(f"200 with criticality {expected}", matches)


# Public pages: the same for everyone, with no secrets in them.
PUBLIC = everyone(_ok_without(DRAFT_TITLE, *CRITICALITY_WORDS))
POST_ONLY = signed_in(NOT_ALLOWED)
API_POST_ONLY = everyone(NOT_ALLOWED)


MFA_REQUIRED = Outcome(
    "403 mfa_required",
    lambda r: r.status_code == 403 and b'"mfa_required"' in getattr(r, "content", b""),
)


def moderators(outcome: Outcome) -> Answers:
    return signed_in(NOT_FOUND, **given(STORY_MODERATORS, outcome))


def organisation_admins(outcome: Outcome) -> Answers:
    return signed_in(FORBIDDEN, **given(ORGANISATION_ADMINS, outcome))


def staff(outcome: Outcome) -> Answers:
    return signed_in(FORBIDDEN, **given(STAFF, outcome, researcher=MFA_SETUP))


def api_moderators(outcome: Outcome) -> Answers:
    return api(NOT_FOUND, **given(STORY_MODERATORS, outcome))


def api_organisation_admins(outcome: Outcome) -> Answers:
    return api(FORBIDDEN, **given(ORGANISATION_ADMINS, outcome))


def api_staff(outcome: Outcome) -> Answers:
    return api(FORBIDDEN, **given(STAFF, outcome, researcher=MFA_REQUIRED))


ORG = f"/services/{SLUG}"
MANAGE = f"{ORG}/manage"
MANAGE_ROUTE = "services/<slug:org>/manage/"
TO_MANAGE = redirects_to(f"{MANAGE}/")
TO_MINE = redirects_to("/stories/mine/")
API_ORG = f"/api/v1/organisations/{SLUG}"
API_ORG_ROUTE = "api/v1/organisations/<slug>"

RULES: list[Rule] = [
    # Public pages ------------------------------------------------------------
    Rule("services/", get=PUBLIC),
    Rule("services/<organisation:org>/", url=f"{ORG}/", get=PUBLIC),
    Rule(
        "services/<organisation:org>/statistics/", url=f"{ORG}/statistics/", get=PUBLIC
    ),
    Rule("services/<organisation:org>/feed/", url=f"{ORG}/feed/", get=PUBLIC),
    Rule(
        "services/<organisation:org>/<int:service_id>/",
        url=ORG + "/{stories_ward}/",
        get=PUBLIC,
    ),
    Rule(
        "services/<organisation:org>/<int:service_id>/statistics/",
        url=ORG + "/{stories_ward}/statistics/",
        get=PUBLIC,
    ),
    Rule(
        "services/<organisation:org>/<int:service_id>/feed/",
        url=ORG + "/{stories_ward}/feed/",
        get=PUBLIC,
    ),
    Rule("stories/", get=PUBLIC),
    Rule("stories/transparency/", get=PUBLIC),
    Rule("stories/principles/", get=everyone(OK)),
    # Telling and one's own stories --------------------------------------------
    # An empty form comes back with its errors.
    Rule("stories/new/", get=signed_in(OK), post=signed_in(OK)),
    Rule("stories/mine/", get=signed_in(OK)),
    # The story waiting for a moderator: its author (who does not see its
    # criticality) and the story moderators; a 404 for everyone else, staff
    # of the organisation it is about too.
    Rule(
        "stories/<int:story_id>/",
        url="/stories/{stories_draft}/",
        get=everyone(
            NOT_FOUND,
            member=_ok_without(*CRITICALITY_WORDS),
            administrator=OK,
        ),
    ),
    Rule(  # the author's own, still editable: the empty form is re-shown
        "stories/<int:story_id>/edit/",
        url="/stories/{stories_draft}/edit/",
        get=signed_in(NOT_FOUND, member=OK),
        post=signed_in(NOT_FOUND, member=OK),
    ),
    Rule(  # a published story may be withdrawn at any time, by its author
        "stories/<int:story_id>/withdraw/",
        url="/stories/{stories_published}/withdraw/",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, member=TO_MINE),
    ),
    Rule(  # no answer given: back to the author's list with a message
        "stories/<int:story_id>/redactions/<int:redaction_id>/",
        url="/stories/{stories_draft}/redactions/{stories_redaction}/",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, member=TO_MINE),
    ),
    # Story moderation ----------------------------------------------------------
    Rule("stories/moderation/", get=moderators(OK)),
    Rule(  # no action chosen: the page again, with a message
        "stories/<int:story_id>/moderate/",
        url="/stories/{stories_draft}/moderate/",
        get=moderators(OK),
        post=moderators(OK),
    ),
    Rule(  # no action chosen: back to the story, with a message
        "stories/replies/<int:reply_id>/moderate/",
        url="/stories/replies/{stories_pending_reply}/moderate/",
        get=POST_ONLY,
        post=moderators(OK),
    ),
    # The staff loop --------------------------------------------------------------
    Rule(  # the responder's empty reply comes back with its errors
        "stories/<int:story_id>/replies/",
        url="/stories/{stories_published}/replies/",
        get=POST_ONLY,
        post=signed_in(FORBIDDEN, service_staff=OK),
    ),
    Rule(  # anyone signed in; the storyteller is told they cannot
        "stories/<int:story_id>/echo/",
        url="/stories/{stories_published}/echo/",
        get=POST_ONLY,
        post=signed_in(OK),
    ),
    Rule(  # a reply waiting for a moderator: its author and the moderators
        # see it (and are told it cannot be rated yet); a 404 for the others
        "stories/replies/<int:reply_id>/helpful/",
        url="/stories/replies/{stories_pending_reply}/helpful/",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, administrator=OK, service_staff=OK),
    ),
    Rule("staff/", get=staff(OK)),
    Rule("staff/alerts/", get=staff(OK), post=staff(OK)),
    Rule(
        "staff/alerts/<int:alert_id>/delete/",
        url="/staff/alerts/{stories_alert}/delete/",
        get=POST_ONLY,
        post=staff(redirects_to("/staff/alerts/")),
    ),
    # The directory -----------------------------------------------------------------
    Rule(
        "services/new/",
        get=signed_in(FORBIDDEN, administrator=OK),
        post=signed_in(FORBIDDEN, administrator=OK),
    ),
    Rule(MANAGE_ROUTE, url=f"{MANAGE}/", get=organisation_admins(OK)),
    Rule(
        f"{MANAGE_ROUTE}edit/",
        url=f"{MANAGE}/edit/",
        get=organisation_admins(OK),
        post=organisation_admins(OK),
    ),
    Rule(
        f"{MANAGE_ROUTE}services/new/",
        url=f"{MANAGE}/services/new/",
        get=organisation_admins(OK),
        post=organisation_admins(OK),
    ),
    Rule(
        f"{MANAGE_ROUTE}services/<int:service_id>/",
        url=MANAGE + "/services/{stories_pharmacy}/",
        get=organisation_admins(OK),
        post=organisation_admins(OK),
    ),
    Rule(
        f"{MANAGE_ROUTE}services/<int:service_id>/delete/",
        url=MANAGE + "/services/{stories_pharmacy}/delete/",
        get=organisation_admins(OK),
        post=organisation_admins(TO_MANAGE),
    ),
    Rule(
        f"{MANAGE_ROUTE}staff/",
        url=f"{MANAGE}/staff/",
        get=organisation_admins(OK),
        post=organisation_admins(OK),
    ),
    Rule(
        f"{MANAGE_ROUTE}staff/<int:staff_id>/",
        url=MANAGE + "/staff/{stories_reader}/",
        get=organisation_admins(OK),
        post=organisation_admins(OK),
    ),
    Rule(
        f"{MANAGE_ROUTE}staff/<int:staff_id>/remove/",
        url=MANAGE + "/staff/{stories_reader}/remove/",
        get=organisation_admins(OK),
        post=organisation_admins(redirects_to(f"{MANAGE}/staff/")),
    ),
    # The public API: what a visitor sees, whoever asks ----------------------------
    Rule("api/v1/public/stories", get=PUBLIC),
    Rule(
        "api/v1/public/stories/<story_id>",
        url="/api/v1/public/stories/{stories_published}",
        get=PUBLIC,
    ),
    Rule("api/v1/public/organisations", get=PUBLIC),
    Rule(
        "api/v1/public/organisations/<slug>",
        url=f"/api/v1/public/organisations/{SLUG}",
        get=PUBLIC,
    ),
    Rule(
        "api/v1/public/organisations/<slug>/statistics",
        url=f"/api/v1/public/organisations/{SLUG}/statistics",
        get=PUBLIC,
    ),
    Rule(
        "api/v1/public/services/<service_id>/statistics",
        url="/api/v1/public/services/{stories_ward}/statistics",
        get=PUBLIC,
    ),
    # The API: telling and one's own stories -------------------------------------
    # An empty body: the caller is identified before the body is checked.
    Rule("api/v1/stories", get=API_POST_ONLY, post=api(status(422))),
    Rule("api/v1/me/stories", get=api(OK)),
    Rule(  # as the story page: the author, without its criticality; moderators
        "api/v1/stories/<story_id>",
        url="/api/v1/stories/{stories_draft}",
        get=api(
            NOT_FOUND,
            member=_api_criticality(None),
            administrator=_api_criticality(DRAFT_CRITICALITY),
        ),
        # Nothing to change: the author's story is saved as it is.
        patch=api(NOT_FOUND, member=OK),
    ),
    Rule(
        "api/v1/stories/<story_id>/withdraw",
        url="/api/v1/stories/{stories_published}/withdraw",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, member=OK),
    ),
    Rule(
        "api/v1/stories/<story_id>/redactions/<redaction_id>/accept",
        url="/api/v1/stories/{stories_draft}/redactions/{stories_redaction}/accept",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, member=OK),
    ),
    Rule(
        "api/v1/stories/<story_id>/redactions/<redaction_id>/decline",
        url="/api/v1/stories/{stories_draft}/redactions/{stories_redaction}/decline",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, member=OK),
    ),
    # The API: the staff loop ------------------------------------------------------
    Rule(  # anyone signed in but the storyteller
        "api/v1/stories/<story_id>/echo",
        url="/api/v1/stories/{stories_published}/echo",
        get=API_POST_ONLY,
        post=api(OK, member=BAD_REQUEST),
    ),
    Rule(
        "api/v1/stories/<story_id>/replies",
        url="/api/v1/stories/{stories_published}/replies",
        get=API_POST_ONLY,
        # Readers on the staff (the researcher) may not reply either.
        post=api(FORBIDDEN, service_staff=status(201)),
        json={"body": "Thank you for telling us."},
    ),
    Rule(  # a reply waiting for a moderator: nobody rates it yet
        "api/v1/replies/<reply_id>/helpful",
        url="/api/v1/replies/{stories_pending_reply}/helpful",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, administrator=FORBIDDEN, service_staff=FORBIDDEN),
    ),
    Rule(
        "api/v1/me/staff-alerts",
        get=api_staff(OK),
        post=api_staff(status(201)),
        json={"organisation": SLUG, "min_criticality": 1},
    ),
    Rule(
        "api/v1/me/staff-alerts/<alert_id>",
        url="/api/v1/me/staff-alerts/{stories_alert}",
        get=API_POST_ONLY,
        delete=api_staff(status(204)),
    ),
    # The API: story moderation -----------------------------------------------------
    Rule("api/v1/moderation/stories", get=api_moderators(OK)),
    Rule("api/v1/moderation/story-replies", get=api_moderators(OK)),
    Rule(  # a redaction still waits for the author: not yet
        "api/v1/stories/<story_id>/publish",
        url="/api/v1/stories/{stories_draft}/publish",
        get=API_POST_ONLY,
        post=api_moderators(BAD_REQUEST),
    ),
    Rule(
        "api/v1/stories/<story_id>/return",
        url="/api/v1/stories/{stories_draft}/return",
        get=API_POST_ONLY,
        post=api_moderators(OK),
        json={"reason": Reason.IDENTIFYING.value, "note": "Leave out the day."},
    ),
    Rule(
        "api/v1/stories/<story_id>/reject",
        url="/api/v1/stories/{stories_draft}/reject",
        get=API_POST_ONLY,
        post=api_moderators(OK),
        json={"reason": Reason.DUPLICATE.value},
    ),
    Rule(
        "api/v1/stories/<story_id>/criticality",
        url="/api/v1/stories/{stories_draft}/criticality",
        get=API_POST_ONLY,
        put=api_moderators(OK),
        json={"criticality": 2},
    ),
    Rule(
        "api/v1/stories/<story_id>/redactions",
        url="/api/v1/stories/{stories_draft}/redactions",
        get=API_POST_ONLY,
        post=api_moderators(status(201)),
        json={
            "field": Redaction.Field.WHAT_HAPPENED.value,
            "original": "the night nurse",
            "replacement": "a nurse",
        },
    ),
    Rule(
        "api/v1/replies/<reply_id>/publish",
        url="/api/v1/replies/{stories_pending_reply}/publish",
        get=API_POST_ONLY,
        post=api_moderators(OK),
    ),
    Rule(
        "api/v1/replies/<reply_id>/reject",
        url="/api/v1/replies/{stories_pending_reply}/reject",
        get=API_POST_ONLY,
        post=api_moderators(OK),
    ),
    Rule(  # the published reply's planned change, not yet confirmed
        "api/v1/replies/<reply_id>/confirm-change",
        url="/api/v1/replies/{stories_reply}/confirm-change",
        get=API_POST_ONLY,
        post=api_moderators(OK),
    ),
    # The API: organisation admins --------------------------------------------------
    Rule(
        f"{API_ORG_ROUTE}/services",
        url=f"{API_ORG}/services",
        get=API_POST_ONLY,
        post=api_organisation_admins(status(201)),
        json={"name": "Matrix clinic", "kind": Service.Kind.SERVICE.value},
    ),
    Rule(  # the pharmacy: nothing below it and no stories, so it may go
        f"{API_ORG_ROUTE}/services/<service_id>",
        url=API_ORG + "/services/{stories_pharmacy}",
        get=API_POST_ONLY,
        patch=api_organisation_admins(OK),
        delete=api_organisation_admins(status(204)),
    ),
    Rule(
        f"{API_ORG_ROUTE}/staff",
        url=f"{API_ORG}/staff",
        get=api_organisation_admins(OK),
        post=api_organisation_admins(status(201)),
        json={"email": NEW_STAFF_EMAIL, "role": "reader", "job_title": "Matron"},
    ),
    Rule(
        f"{API_ORG_ROUTE}/staff/<staff_id>",
        url=API_ORG + "/staff/{stories_reader}",
        get=API_POST_ONLY,
        patch=api_organisation_admins(OK),
        delete=api_organisation_admins(status(204)),
    ),
]


def world_values(users: dict[str, User]) -> dict[str, Any]:
    administrator, member = users["administrator"], users["member"]
    staff_member = users["service_staff"]
    reader = users["researcher"]  # without two-factor authentication
    factories.make_user("Nico Newstaff", email=NEW_STAFF_EMAIL)
    organisation = directory.create_organisation(
        administrator,
        name=ORGANISATION,
        admin_email=staff_member.email,
        admin_job_title="Ward manager",
    )
    assert organisation.slug == SLUG
    hospital = directory.add_service(
        staff_member,
        organisation=organisation,
        parent=None,
        name="Matrix Hospital",
        kind=Service.Kind.SITE,
    )
    ward = directory.add_service(
        staff_member,
        organisation=organisation,
        parent=hospital,
        name="Ward 7",
        kind=Service.Kind.SERVICE,
    )
    pharmacy = directory.add_service(
        staff_member,
        organisation=organisation,
        parent=None,
        name="Matrix Pharmacy",
        kind=Service.Kind.SERVICE,
    )
    reading = directory.add_staff(
        staff_member,
        organisation=organisation,
        email=reader.email,
        role="reader",
        job_title="Patient experience lead",
    )
    alert = alerts.add_alert(
        staff_member,
        staff=staff_member.staff_roles.get(organisation=organisation),
        service=None,
        min_criticality=3,
        delivery=StaffAlert.Delivery.DIGEST,
    )
    published = services.publish_story(
        administrator,
        story=_story(member, ward, "A kind night on the ward"),
        criticality=PUBLISHED_CRITICALITY,
    )
    reply = replies.reply_to_story(
        staff_member,
        story=published,
        body="Thank you; we will share this with the team.",
        change="planned",
        change_description="A quiet room for families.",
    )
    replies.publish_reply(administrator, reply=reply)
    pending = replies.reply_to_story(
        staff_member, story=published, body="The quiet room is being painted."
    )
    draft = _story(member, ward, DRAFT_TITLE)
    services.set_criticality(administrator, story=draft, criticality=DRAFT_CRITICALITY)
    redaction = services.propose_redaction(
        administrator,
        story=draft,
        field=Redaction.Field.WHAT_HAPPENED,
        original="Tuesday",
        replacement="one day",
    )
    return {
        "stories_ward": ward.pk,
        "stories_pharmacy": pharmacy.pk,
        "stories_reader": reading.pk,
        "stories_alert": alert.pk,
        "stories_published": published.pk,
        "stories_draft": draft.pk,
        "stories_redaction": redaction.pk,
        "stories_reply": reply.pk,
        "stories_pending_reply": pending.pk,
    }


def _story(author: User, service: Service, title: str) -> Story:
    return services.tell_story(
        author,
        services=[service],
        title=title,
        what_happened="On Tuesday the night nurse sat with my father until dawn.",
        author_role=Story.AuthorRole.CARER,
    )
