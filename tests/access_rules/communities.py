"""Access rules for the communities core (see tests/access_matrix.py).

The matrix asks about three communities, made through the services:
- "public": public and open; organiser, moderator, member and carer belong.
- "members": members-only, by request; organiser, moderator and member
  belong; the outsider has asked to join. Others may know it exists: 403.
- "hidden": hidden, by invitation link; organiser, moderator and member
  belong, with a picture, an invitation link, and a cluster of its own.
  Everyone else gets 404, on every page and in the API.
The outsider also has an invitation (as an import makes) to the public one."""

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kinwell.accounts.models import User
from kinwell.communities import services
from kinwell.communities.models import Community, MemberInvitation
from tests.access_matrix import (
    BAD_REQUEST,
    FORBIDDEN,
    INVALID,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Answers,
    Outcome,
    Rule,
    api,
    everyone,
    redirects_to,
    signed_in,
    status,
)

HIDDEN_MEMBERS = ("organiser", "moderator", "member")
TO_MINE = redirects_to("/communities/mine/")
CREATED = status(201)
NO_CONTENT = status(204)


def people(
    roles: tuple[str, ...], outcome: Outcome, **overrides: Outcome
) -> dict[str, Outcome]:
    return {**dict.fromkeys(roles, outcome), **overrides}


def hidden(outcome: Outcome, **overrides: Outcome) -> Answers:
    """Its members get `outcome`; everyone else signed in 404."""
    return signed_in(NOT_FOUND, **people(HIDDEN_MEMBERS, outcome, **overrides))


def listed(outcome: Outcome, **overrides: Outcome) -> Answers:
    """Members of the members-only community get `outcome`; others 403."""
    return signed_in(FORBIDDEN, **people(HIDDEN_MEMBERS, outcome, **overrides))


def api_hidden(outcome: Outcome, **overrides: Outcome) -> Answers:
    return api(NOT_FOUND, **people(HIDDEN_MEMBERS, outcome, **overrides))


def api_listed(outcome: Outcome, **overrides: Outcome) -> Answers:
    return api(FORBIDDEN, **people(HIDDEN_MEMBERS, outcome, **overrides))


POST_ONLY = signed_in(NOT_ALLOWED)
API_POST_ONLY = everyone(NOT_ALLOWED)
ORGANISER_ONLY = signed_in(FORBIDDEN, organiser=OK)
HIDDEN = "/c/{hidden_community}"
MEMBERS = "/c/{members_community}"
PUBLIC = "/c/{public_community}"
API = "/api/v1/communities"

RULES: list[Rule] = [
    # Finding communities, and starting one
    Rule("communities/", get=everyone(OK)),
    Rule("communities/mine/", get=signed_in(OK)),
    Rule("communities/new/", get=signed_in(OK), post=signed_in(OK)),
    Rule(  # only the invited person learns the invitation exists
        "communities/invitations/<int:invitation_id>/answer",
        url="/communities/invitations/{member_invitation}/answer",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, outsider=TO_MINE),
    ),
    Rule(
        "communities/requests/<int:request_id>/withdraw",
        url="/communities/requests/{join_request}/withdraw",
        get=POST_ONLY,
        post=signed_in(NOT_FOUND, outsider=TO_MINE),
    ),
    # A hidden community does not exist for outsiders
    Rule("c/<slug:slug>/", url=HIDDEN + "/", get=hidden(OK, anonymous=NOT_FOUND)),
    Rule(
        "c/<slug:slug>/avatar",
        url=HIDDEN + "/avatar",
        get=hidden(OK, anonymous=NOT_FOUND),
    ),
    # Members are sent back to the community's page
    Rule("c/<slug:slug>/join", url=HIDDEN + "/join", get=hidden(OK), post=hidden(OK)),
    Rule("join/<str:token>/", url="/join/{invite_token}/", get=signed_in(OK)),
    # Members-only: outsiders may know it exists, but not who is in it
    Rule(
        "c/<slug:slug>/leave",
        url=MEMBERS + "/leave",
        get=listed(OK),
        post=listed(OK),
    ),
    Rule("c/<slug:slug>/members/", url=MEMBERS + "/members/", get=listed(OK)),
    Rule(
        "c/<slug:slug>/requests/",
        url=MEMBERS + "/requests/",
        get=listed(FORBIDDEN, organiser=OK, moderator=OK),
    ),
    Rule(
        "c/<slug:slug>/requests/<int:request_id>/decide",
        url=MEMBERS + "/requests/{join_request}/decide",
        get=POST_ONLY,
        post=listed(FORBIDDEN, organiser=OK, moderator=OK),
    ),
    # Organisers' and moderators' powers, in the hidden community
    Rule(
        "c/<slug:slug>/members/<int:user_id>/role",
        url=HIDDEN + "/members/{hidden_member_id}/role",
        get=POST_ONLY,
        post=hidden(FORBIDDEN, organiser=OK),
    ),
    Rule(
        "c/<slug:slug>/members/<int:user_id>/transfer",
        url=HIDDEN + "/members/{hidden_member_id}/transfer",
        get=POST_ONLY,
        post=hidden(FORBIDDEN, organiser=OK),
    ),
    Rule(
        "c/<slug:slug>/invites/",
        url=HIDDEN + "/invites/",
        get=hidden(FORBIDDEN, organiser=OK, moderator=OK),
        post=hidden(FORBIDDEN, organiser=OK, moderator=OK),
    ),
    Rule(
        "c/<slug:slug>/invites/<int:link_id>/revoke",
        url=HIDDEN + "/invites/{invite_link}/revoke",
        get=POST_ONLY,
        post=hidden(FORBIDDEN, organiser=OK, moderator=OK),
    ),
    # Organisers only, in the public community
    Rule(
        "c/<slug:slug>/settings/",
        url=PUBLIC + "/settings/",
        get=ORGANISER_ONLY,
        post=ORGANISER_ONLY,
    ),
    Rule(
        "c/<slug:slug>/settings/cluster",
        url=PUBLIC + "/settings/cluster",
        get=ORGANISER_ONLY,
        post=ORGANISER_ONLY,
    ),
    Rule("c/<slug:slug>/health/", url=PUBLIC + "/health/", get=ORGANISER_ONLY),
    # A cluster of hidden communities only: 404 to all but their members
    Rule(
        "clusters/<slug:slug>/",
        url="/clusters/{hidden_cluster}/",
        get=hidden(OK, anonymous=NOT_FOUND),
    ),
    # The API --------------------------------------------------------------
    Rule("api/v1/communities", get=everyone(OK), post=api(INVALID)),
    Rule(
        "api/v1/communities/<slug>",
        url=API + "/{hidden_community}",
        get=everyone(NOT_FOUND, **dict.fromkeys(HIDDEN_MEMBERS, OK)),
        patch=api_hidden(FORBIDDEN, organiser=OK),
    ),
    Rule(  # members are told they belong already
        "api/v1/communities/<slug>/join",
        url=API + "/{hidden_community}/join",
        get=API_POST_ONLY,
        post=api_hidden(BAD_REQUEST),
    ),
    Rule(  # the only organiser must hand over first
        "api/v1/communities/<slug>/leave",
        url=API + "/{members_community}/leave",
        get=API_POST_ONLY,
        post=api_listed(NO_CONTENT, organiser=BAD_REQUEST),
        json={"keep_posts": True},
    ),
    Rule(
        "api/v1/communities/<slug>/members",
        url=API + "/{members_community}/members",
        get=api_listed(OK),
    ),
    Rule(
        "api/v1/communities/<slug>/members/<user_id>/role",
        url=API + "/{hidden_community}/members/{hidden_member_id}/role",
        get=API_POST_ONLY,
        post=api_hidden(FORBIDDEN, organiser=OK),
        json={"role": "moderator"},
    ),
    Rule(  # asking again, or asking as a member, is a 400
        "api/v1/communities/<slug>/requests",
        url=API + "/{members_community}/requests",
        get=api_listed(FORBIDDEN, organiser=OK, moderator=OK),
        post=api(OK, outsider=BAD_REQUEST, **people(HIDDEN_MEMBERS, BAD_REQUEST)),
        json={"answer": "Hello"},
    ),
    Rule(
        "api/v1/communities/<slug>/requests/<request_id>/decide",
        url=API + "/{members_community}/requests/{join_request}/decide",
        get=API_POST_ONLY,
        post=api_listed(FORBIDDEN, organiser=OK, moderator=OK),
        json={"approve": True},
    ),
    Rule(
        "api/v1/communities/<slug>/invite-links",
        url=API + "/{hidden_community}/invite-links",
        get=api_hidden(FORBIDDEN, organiser=OK, moderator=OK),
        post=api_hidden(FORBIDDEN, organiser=CREATED, moderator=CREATED),
    ),
    Rule(
        "api/v1/communities/<slug>/invite-links/<link_id>",
        url=API + "/{hidden_community}/invite-links/{invite_link}",
        get=API_POST_ONLY,
        delete=api_hidden(FORBIDDEN, organiser=NO_CONTENT, moderator=NO_CONTENT),
    ),
    Rule(
        "api/v1/invites/<token>/accept",
        url="/api/v1/invites/{invite_token}/accept",
        get=API_POST_ONLY,
        post=api(OK),
    ),
    Rule(
        "api/v1/clusters/<slug>",
        url="/api/v1/clusters/{hidden_cluster}",
        get=everyone(NOT_FOUND, **dict.fromkeys(HIDDEN_MEMBERS, OK)),
    ),
    Rule("api/v1/me/communities", get=api(OK)),
]


def world_values(users: dict[str, User]) -> dict[str, Any]:
    organiser, moderator = users["organiser"], users["moderator"]
    member, outsider = users["member"], users["outsider"]
    public = services.create_community(organiser, name="Matrix Public")
    for person in (moderator, member, users["carer"]):
        services.join_community(person, community=public)
    services.change_role(
        organiser, community=public, member=moderator, role="moderator"
    )
    members = services.create_community(
        organiser,
        name="Matrix Members",
        visibility="members",
        join_policy="request",
        join_question="What brings you here?",
    )
    _enrol(organiser, members, moderator, member)
    join_request = services.join_community(
        outsider, community=members, answer="Company, please."
    )
    hidden_community = services.create_community(
        organiser,
        name="Matrix Hidden",
        visibility="hidden",
        join_policy="invite",
        avatar=_picture(),
    )
    _enrol(organiser, hidden_community, moderator, member)
    link = services.create_invite_link(
        organiser, community=hidden_community, days=7, max_uses=50
    )
    cluster = services.create_cluster(
        organiser, community=hidden_community, name="Matrix Quiet Cluster"
    )
    invitation = MemberInvitation.objects.create(community=public, user=outsider)
    return {
        "public_community": public.slug,
        "members_community": members.slug,
        "hidden_community": hidden_community.slug,
        "hidden_member_id": member.pk,
        "join_request": join_request.pk,
        "invite_link": link.pk,
        "invite_token": link.token,
        "hidden_cluster": cluster.slug,
        "member_invitation": invitation.pk,
    }


def _enrol(
    organiser: User, community: Community, moderator: User, member: User
) -> None:
    link = services.create_invite_link(
        organiser, community=community, days=1, max_uses=2
    )
    services.join_by_invite(moderator, link=link)
    services.join_by_invite(member, link=link)
    services.change_role(
        organiser, community=community, member=moderator, role="moderator"
    )


def _picture() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, format="PNG")
    return SimpleUploadedFile("picture.png", out.getvalue(), "image/png")
