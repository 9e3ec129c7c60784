"""Access rules for forks (see tests/access_matrix.py).

The matrix asks about a members-only community of the organiser, moderator,
member and carer, with an open proposal by the member whose notice period is
over. Everyone else signed in is an outsider who may know the community
exists: 403. (Outsiders of hidden communities get 404: tests/test_forks.py.)"""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.communities.forks import services
from kinwell.communities.models import Community, ForkProposal
from tests import factories
from tests.access_matrix import (
    FORBIDDEN,
    MEMBERS,
    NOT_ALLOWED,
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


def members(outcome: Outcome, **overrides: Outcome) -> Answers:
    """Members get `outcome`; every other signed-in person 403."""
    return signed_in(FORBIDDEN, **given(MEMBERS, outcome, **overrides))


def api_members(outcome: Outcome, **overrides: Outcome) -> Answers:
    return api(FORBIDDEN, **given(MEMBERS, outcome, **overrides))


POST_ONLY = signed_in(NOT_ALLOWED)
API_POST_ONLY = everyone(NOT_ALLOWED)
NOT_THE_PROPOSER = status(400, "400 (only the proposer may)")
PROPOSAL = "/c/{fork_community}/forks/{fork_proposal}"
API_PROPOSAL = "/api/v1/communities/{fork_community}/forks/{fork_proposal}"

RULES: list[Rule] = [
    Rule("c/<slug:slug>/forks/", url="/c/{fork_community}/forks/", get=members(OK)),
    Rule(
        "c/<slug:slug>/forks/new",
        url="/c/{fork_community}/forks/new",
        get=members(OK),
        post=members(OK),
    ),
    Rule("c/<slug:slug>/forks/<int:proposal_id>/", url=PROPOSAL + "/", get=members(OK)),
    *(
        Rule(
            f"c/<slug:slug>/forks/<int:proposal_id>/{action}",
            url=f"{PROPOSAL}/{action}",
            get=POST_ONLY,
            post=members(OK),
        )
        for action in ("choose", "comment", "confirm", "withdraw")
    ),
    Rule(
        "api/v1/communities/<slug>/forks",
        url="/api/v1/communities/{fork_community}/forks",
        get=api_members(OK),
        post=api_members(status(201)),
        json={"name": "Mornings", "slug": "matrix-mornings", "reason": "Earlier."},
    ),
    Rule(
        "api/v1/communities/<slug>/forks/<proposal_id>",
        url=API_PROPOSAL,
        get=api_members(OK),
    ),
    Rule(
        "api/v1/communities/<slug>/forks/<proposal_id>/choice",
        url=API_PROPOSAL + "/choice",
        get=API_POST_ONLY,
        post=api_members(OK),
        json={"joins": True, "bring_posts": False},
    ),
    Rule(
        "api/v1/communities/<slug>/forks/<proposal_id>/comments",
        url=API_PROPOSAL + "/comments",
        get=API_POST_ONLY,
        post=api_members(status(201)),
        json={"body": "Count me in."},
    ),
    *(
        Rule(
            f"api/v1/communities/<slug>/forks/<proposal_id>/{action}",
            url=f"{API_PROPOSAL}/{action}",
            get=API_POST_ONLY,
            post=api_members(NOT_THE_PROPOSER, member=OK),
        )
        for action in ("confirm", "withdraw")
    ),
]


def world_values(users: dict[str, User]) -> dict[str, Any]:
    community = factories.make_community(
        users["organiser"],
        name="Matrix forks community",
        visibility=Community.Visibility.MEMBERS_ONLY,
        moderators=(users["moderator"],),
        members=(users["member"], users["carer"]),
    )
    proposal = services.propose_fork(
        users["member"],
        community=community,
        name="Matrix evenings",
        slug="matrix-evenings",
        reason="Evenings suit some of us.",
        charter=community.charter,
        bring_posts=False,
    )
    ForkProposal.objects.filter(pk=proposal.pk).update(
        confirmable_at=timezone.now() - timedelta(minutes=1)
    )
    return {"fork_community": community.slug, "fork_proposal": proposal.pk}
