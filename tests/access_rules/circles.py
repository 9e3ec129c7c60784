"""Access rules for circles (see tests/access_matrix.py).

The matrix's world has a members-only community, Matrix Circles, of the
organiser, moderator, member, carer and clinician. The member made a circle
in it (so is its admin) and signed the carer in as a member; the clinician
is invited and has not answered. The member and the carer each have a
browser device; the member also has a second device waiting for approval,
a recovery key and a key backup. The carer posted a message, which the
member reported to the moderators.

What the rules say (kinwell/circles/access.py):
- A circle does not exist for anyone without a seat in it: 404 for the
  community's moderators and organisers, the installation's administrators
  and everyone else. Someone invited sees the circle's page only as a way
  back to the invitation (a redirect to the community's circles), answers
  the invitation and reads the circle's public state in the API; messages,
  keys and key periods are for members who joined. Inviting is for the
  circle's admins: 403 for its other members.
- A community's circles page, and creating a circle, are for members of
  the community: 403 for others, who may know the community exists.
- Reports are for the community's moderators and organisers, with
  two-factor authentication: 403 for everyone else, members included.
- Devices and key backups are each person's own: anyone signed in manages
  theirs; someone else's device is a 404.
Every write is a POST (or PUT in the API). Bodies in the API cannot name the
world's ids, so those naming a device or a message get as far as looking it
up among the caller's own (tests/test_circles_api.py does the rest)."""

import json
from typing import Any

from kinwell.accounts.models import User
from kinwell.circles import services
from kinwell.circles.models import Device
from kinwell.communities.models import Community
from tests import factories
from tests.access_matrix import (
    BAD_REQUEST,
    FORBIDDEN,
    MEMBERS,
    MODERATORS,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Answers,
    Outcome,
    Rule,
    api,
    everyone,
    given,
    signed_in,
    status,
)
from tests.test_circles_web import Keyring, b64u, new_public_key

# Who is who, for circles.
COMMUNITY_MEMBERS = (*MEMBERS, "clinician")
CIRCLE_ADMIN = "member"
CIRCLE_MEMBERS = ("member", "carer")
INVITED = "clinician"

COMMUNITY = "c/<slug:slug>/"
WEB = "/c/{circles_community}"
API = "api/v1/"
NO_ID = 2**62  # an id no row has


def community_members(outcome: Outcome, **more: Outcome) -> Answers:
    return signed_in(FORBIDDEN, **given(COMMUNITY_MEMBERS, outcome, **more))


def moderators(outcome: Outcome) -> Answers:
    return signed_in(FORBIDDEN, **given(MODERATORS, outcome))


def api_seated(**answers: Outcome) -> Answers:
    return api(NOT_FOUND, **answers)


SIGNATURE = b64u(bytes(64))
SEALED = json.dumps({"iv": b64u(bytes(12)), "ct": b64u(bytes(32))})
POST_ONLY = signed_in(NOT_ALLOWED)
API_POST_ONLY = everyone(NOT_ALLOWED)

RULES: list[Rule] = [
    # The website -----------------------------------------------------------
    Rule(
        f"{COMMUNITY}circles/",
        url=WEB + "/circles/",
        get=community_members(OK),
    ),
    Rule(
        f"{COMMUNITY}circles/new/",
        url=WEB + "/circles/new/",
        get=community_members(OK),
    ),
    Rule(
        f"{COMMUNITY}moderation/circle-reports/",
        url=WEB + "/moderation/circle-reports/",
        get=moderators(OK),
    ),
    Rule(  # an empty decision is refused with a message: back to the reports
        f"{COMMUNITY}moderation/circle-reports/<int:report_id>/decide",
        url=WEB + "/moderation/circle-reports/{circle_report}/decide",
        get=POST_ONLY,
        post=moderators(OK),
    ),
    Rule("circles/keys/", get=signed_in(OK)),
    Rule(  # the invited are sent to their invitation on the circles page
        "circles/<slug:uid>/",
        url="/circles/{circle}/",
        get=signed_in(NOT_FOUND, **given((*CIRCLE_MEMBERS, INVITED), OK)),
    ),
    Rule(  # an empty form comes back with its error, to the admin only
        "circles/<slug:uid>/invite",
        url="/circles/{circle}/invite",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, member=OK, carer=FORBIDDEN),
    ),
    Rule(
        "circles/<slug:uid>/accept",
        url="/circles/{circle}/accept",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, clinician=OK),
    ),
    Rule(
        "circles/<slug:uid>/decline",
        url="/circles/{circle}/decline",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, clinician=OK),
    ),
    Rule(  # the invited are told to decline instead, on the circle's page
        "circles/<slug:uid>/leave",
        url="/circles/{circle}/leave",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, **given((*CIRCLE_MEMBERS, INVITED), OK)),
    ),
    # The API: devices and the key backup -----------------------------------
    Rule(
        f"{API}me/circle-devices",
        get=api(OK),
        post=api(status(201)),
        json={
            "label": "Laptop",
            "agreement": new_public_key(),
            "signing": new_public_key(),
        },
    ),
    Rule(  # the member's own pending device; the voucher's key is not theirs
        f"{API}me/circle-devices/<device_id>/approve",
        url="/api/v1/me/circle-devices/{circle_pending_device}/approve",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, member=BAD_REQUEST),
        json={"vouched_by": NO_ID, "voucher": SIGNATURE, "wraps": []},
    ),
    Rule(
        f"{API}me/circle-devices/<device_id>/revoke",
        url="/api/v1/me/circle-devices/{circle_device}/revoke",
        get=API_POST_ONLY,
        post=api(NOT_FOUND, member=OK),
    ),
    Rule(  # a backup is its member's; the body names no recovery key of theirs
        f"{API}me/circle-backup",
        get=api(NOT_FOUND, member=OK),
        put=api(BAD_REQUEST),
        json={"blob": "{}", "recovery_device": NO_ID},
    ),
    # The API: a community's circles ----------------------------------------
    Rule(  # members get as far as the signer, which is none of their devices
        f"{API}communities/<slug>/circles",
        url="/api/v1/communities/{circles_community}/circles",
        get=api(FORBIDDEN, **given(COMMUNITY_MEMBERS, OK)),
        post=api(FORBIDDEN, **given(COMMUNITY_MEMBERS, BAD_REQUEST)),
        json={
            "uid": b64u(bytes(16)),
            "roster": "{}",
            "signer": NO_ID,
            "signature": SIGNATURE,
            "sealed_meta": SEALED,
            "wraps": [],
        },
    ),
    # The API: one circle ---------------------------------------------------
    Rule(
        f"{API}circles/<uid>",
        url="/api/v1/circles/{circle}",
        get=api_seated(**given((*CIRCLE_MEMBERS, INVITED), OK)),
    ),
    Rule(  # the member's own device; it is not the carer's
        f"{API}circles/<uid>/wraps",
        url="/api/v1/circles/{circle}/wraps?device={circle_device}",
        get=api_seated(member=OK),
        post=api_seated(),
        json={"device": NO_ID, "wraps": []},
    ),
    Rule(
        f"{API}circles/<uid>/epochs",
        url="/api/v1/circles/{circle}/epochs",
        get=API_POST_ONLY,
        post=api_seated(**given(CIRCLE_MEMBERS, BAD_REQUEST)),
        json={
            "number": 2,
            "roster": "{}",
            "signer": NO_ID,
            "signature": SIGNATURE,
            "sealed_meta": SEALED,
            "wraps": [],
        },
    ),
    Rule(  # a header naming no circle is refused
        f"{API}circles/<uid>/messages",
        url="/api/v1/circles/{circle}/messages",
        get=api_seated(**given(CIRCLE_MEMBERS, OK)),
        post=api_seated(**given(CIRCLE_MEMBERS, BAD_REQUEST)),
        json={"header": "{}", "iv": b64u(bytes(12)), "ct": "", "sig": SIGNATURE},
    ),
    Rule(
        f"{API}circles/<uid>/invitations",
        url="/api/v1/circles/{circle}/invitations",
        get=API_POST_ONLY,
        post=api_seated(member=BAD_REQUEST, carer=FORBIDDEN),
        json={"user": NO_ID, "signer": NO_ID, "signature": SIGNATURE},
    ),
    Rule(
        f"{API}circles/<uid>/accept",
        url="/api/v1/circles/{circle}/accept",
        get=API_POST_ONLY,
        post=api_seated(clinician=OK),
    ),
    Rule(
        f"{API}circles/<uid>/decline",
        url="/api/v1/circles/{circle}/decline",
        get=API_POST_ONLY,
        post=api_seated(clinician=OK),
    ),
    Rule(  # the invited decline instead; the only admin makes another first
        f"{API}circles/<uid>/leave",
        url="/api/v1/circles/{circle}/leave",
        get=API_POST_ONLY,
        post=api_seated(carer=OK, member=BAD_REQUEST, clinician=BAD_REQUEST),
    ),
    Rule(
        f"{API}circles/<uid>/reports",
        url="/api/v1/circles/{circle}/reports",
        get=API_POST_ONLY,
        post=api_seated(**given(CIRCLE_MEMBERS, BAD_REQUEST)),
        json={"message": NO_ID, "text": "Look", "reason": ""},
    ),
]


def world_values(users: dict[str, User]) -> dict[str, Any]:
    member, carer = users["member"], users["carer"]
    community = factories.make_community(
        users["organiser"],
        name="Matrix Circles",
        visibility=Community.Visibility.MEMBERS_ONLY,
        moderators=(users["moderator"],),
        members=(member, carer, users["clinician"]),
    )
    keyring = Keyring()
    circle = keyring.create_circle(member, community)
    keyring.seat(circle, member, carer)
    keyring.invite(circle, member, users["clinician"])
    message = keyring.post(circle, carer)
    report = services.report_message(
        member, circle=circle, message=message, text="Unkind", reason=""
    )
    keyring.backup(member)
    return {
        "circles_community": community.slug,
        "circle": circle.uid,
        "circle_report": report.pk,
        "circle_device": keyring.device(member)[0].pk,
        "circle_pending_device": _pending_device(member).pk,
    }


def _pending_device(user: User) -> Device:
    return services.register_device(
        user,
        label="Phone",
        agreement_key=new_public_key(),
        signing_key=new_public_key(),
    )
