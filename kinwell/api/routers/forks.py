"""Fork proposals of a community: propose, choose, comment, confirm, withdraw.
Each operation makes the same access and service calls as the website."""

from typing import Annotated

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Path, Router, Status
from ninja.pagination import paginate

from kinwell.accounts.models import ConsentRecord
from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.api.schemas.forks import (
    ForkChoiceIn,
    ForkChoiceOut,
    ForkCommentIn,
    ForkCommentOut,
    ForkProposalDetailOut,
    ForkProposalIn,
    ForkProposalOut,
)
from kinwell.communities import access
from kinwell.communities.forks import services
from kinwell.communities.models import (
    Community,
    ForkChoice,
    ForkComment,
    ForkProposal,
)

router = Router(tags=["forks"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]

READ = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)


@router.get("/communities/{slug}/forks", response={200: list[ForkProposalOut], **READ})
@paginate(Pagination)
def list_fork_proposals(request: HttpRequest, slug: Slug) -> QuerySet[ForkProposal]:
    community, _ = access.get_community_for_member(current_user(request), slug)
    return (
        ForkProposal.objects.filter(community=community)
        .select_related("proposer", "community", "fork")
        .annotate(joining=Count("choices", filter=Q(choices__joins=True)))
        .order_by("-created_at", "-pk")
    )


@router.post("/communities/{slug}/forks", response={201: ForkProposalOut, **WRITE})
def propose_fork(
    request: HttpRequest, slug: Slug, payload: ForkProposalIn
) -> Status[ForkProposal]:
    user = current_user(request)
    community, _ = access.get_community_for_member(user, slug)
    proposal = services.propose_fork(
        user,
        community=community,
        name=payload.name,
        slug=payload.slug,
        reason=payload.reason,
        charter=community.charter if payload.charter is None else payload.charter,
        bring_posts=payload.bring_posts,
        method=ConsentRecord.Method.API,
    )
    return Status(201, proposal)


@router.get(
    "/communities/{slug}/forks/{proposal_id}",
    response={200: ForkProposalDetailOut, **READ},
)
def get_fork_proposal(
    request: HttpRequest, slug: Slug, proposal_id: ObjectId
) -> ForkProposal:
    return access.get_fork_proposal_for_user(current_user(request), slug, proposal_id)


@router.post(
    "/communities/{slug}/forks/{proposal_id}/choice",
    response={200: ForkChoiceOut, **WRITE},
)
def choose_fork(
    request: HttpRequest, slug: Slug, proposal_id: ObjectId, payload: ForkChoiceIn
) -> ForkChoice:
    user = current_user(request)
    proposal = access.get_fork_proposal_for_user(user, slug, proposal_id)
    return services.choose_fork(
        user,
        proposal=proposal,
        joins=payload.joins,
        bring_posts=payload.bring_posts,
        method=ConsentRecord.Method.API,
    )


@router.post(
    "/communities/{slug}/forks/{proposal_id}/comments",
    response={201: ForkCommentOut, **WRITE},
)
def comment_on_fork(
    request: HttpRequest, slug: Slug, proposal_id: ObjectId, payload: ForkCommentIn
) -> Status[ForkComment]:
    user = current_user(request)
    proposal = access.get_fork_proposal_for_user(user, slug, proposal_id)
    comment = services.comment_on_fork(user, proposal=proposal, body=payload.body)
    return Status(201, comment)


@router.post(
    "/communities/{slug}/forks/{proposal_id}/confirm",
    response={200: ForkProposalOut, **WRITE},
)
def confirm_fork(
    request: HttpRequest, slug: Slug, proposal_id: ObjectId
) -> ForkProposal:
    user = current_user(request)
    proposal = access.get_fork_proposal_for_user(user, slug, proposal_id)
    services.confirm_fork(user, proposal=proposal)
    return proposal


@router.post(
    "/communities/{slug}/forks/{proposal_id}/withdraw",
    response={200: ForkProposalOut, **WRITE},
)
def withdraw_fork(
    request: HttpRequest, slug: Slug, proposal_id: ObjectId
) -> ForkProposal:
    user = current_user(request)
    proposal = access.get_fork_proposal_for_user(user, slug, proposal_id)
    return services.withdraw_fork(user, proposal=proposal)
