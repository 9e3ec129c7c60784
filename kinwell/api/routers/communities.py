"""Communities: the directory, each community, joining and leaving, members
and roles, join requests, invitation links, clusters and the signed-in
person's own memberships. Each operation makes the same access and service
calls as the website."""

from typing import Annotated, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from kinwell.accounts.models import User
from kinwell.api.auth import TokenAuth, current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.schemas.communities import (
    ClusterOut,
    CommunityDetailOut,
    CommunityIn,
    CommunityOut,
    CommunityPatch,
    DecisionIn,
    InviteLinkIn,
    InviteLinkOut,
    JoinIn,
    JoinOut,
    JoinRequestOut,
    LeaveIn,
    MemberOut,
    MyMembershipOut,
    RoleIn,
    cluster_out,
)
from kinwell.api.schemas.fields import MAX_ID, max_length
from kinwell.communities import access, services
from kinwell.communities.models import (
    Community,
    InviteLink,
    JoinRequest,
    Membership,
)

router = Router(tags=["communities"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]
Token = Annotated[str, Path(max_length=max_length(InviteLink, "token"))]
SearchText = Annotated[str, Query(max_length=120, pattern=r"^[^\x00]*$")]

READ = errors(401, 403, 404, 422)
LIST = errors(401, 403, 404, 422)
WRITE = errors(400, 401, 403, 404, 422, 429)
PUBLIC = errors(401, 404, 422)


def viewer(request: HttpRequest) -> User | AnonymousUser:
    """Who reads a page that anyone may read: the token's owner if a token is
    sent (a wrong one is a 401), else the session's person, else a visitor."""
    if "Authorization" in request.headers:
        user = TokenAuth()(request)
        if isinstance(user, User):
            return user
    if isinstance(request.user, User):
        return request.user
    return AnonymousUser()


# The directory and each community ------------------------------------------


@router.get(
    "/communities",
    response={200: list[CommunityOut], **PUBLIC},
    auth=None,
    summary="The directory: listed communities (never hidden ones)",
)
@paginate(Pagination)
def list_communities(request: HttpRequest, q: SearchText = "") -> QuerySet[Community]:
    return access.directory(viewer(request), q.strip())


@router.post("/communities", response={201: CommunityOut, **WRITE})
def create_community(request: HttpRequest, payload: CommunityIn) -> Status[Community]:
    community = services.create_community(current_user(request), **payload.model_dump())
    return Status(201, community)


@router.get(
    "/communities/{slug}",
    response={200: CommunityDetailOut, **PUBLIC},
    auth=None,
)
def get_community(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    user = viewer(request)
    return _detail(user, access.get_community_for_user(user, slug))


def _detail(user: Any, community: Community) -> dict[str, Any]:
    membership = access.membership_of(user, community)
    can_read = access.can_read_content(user, community)
    original = community.forked_from
    visible_original = (
        original is not None
        and Community.objects.visible_to(user).filter(pk=original.pk).exists()
    )
    return {
        **CommunityOut.model_validate(community).model_dump(),
        "your_role": membership.role if membership else None,
        "join_state": access.join_state(user, community),
        "organisers": [
            {"name": person.public_name}
            for person in (access.organisers_of(community) if can_read else [])
        ],
        "siblings": access.siblings_of(user, community),
        "forked_from": original.slug if original and visible_original else None,
        "forked_at": community.forked_at,
        "imported_from": community.imported_from,
        "imported_at": community.imported_at,
    }


@router.patch("/communities/{slug}", response={200: CommunityOut, **WRITE})
def update_community(
    request: HttpRequest, slug: Slug, payload: CommunityPatch
) -> Community:
    user = current_user(request)
    community, _ = access.get_community_for_organiser(user, slug)
    changes = payload.model_dump(exclude_none=True)
    return services.update_community(user, community=community, **changes)


# Joining and leaving -------------------------------------------------------


@router.post("/communities/{slug}/join", response={200: JoinOut, **WRITE})
def join_community(request: HttpRequest, slug: Slug, payload: JoinIn) -> Any:
    user = current_user(request)
    community = access.get_community_for_user(user, slug)
    return _joined(services.join_community(user, community=community, **dict(payload)))


def _joined(joined: Membership | JoinRequest) -> dict[str, Any]:
    if isinstance(joined, Membership):
        return {"status": "member", "request_id": None}
    return {"status": joined.status, "request_id": joined.pk}


@router.post("/communities/{slug}/leave", response={204: None, **WRITE})
def leave_community(request: HttpRequest, slug: Slug, payload: LeaveIn) -> Status[None]:
    user = current_user(request)
    community, _ = access.get_community_for_member(user, slug)
    services.leave_community(user, community=community, keep_posts=payload.keep_posts)
    return Status(204, None)


@router.post("/invites/{token}/accept", response={200: JoinOut, **WRITE})
def accept_invite_link(request: HttpRequest, token: Token) -> Any:
    link = access.get_invite_link_by_token(token)
    return _joined(services.join_by_invite(current_user(request), link=link))


# Members and roles ---------------------------------------------------------


@router.get("/communities/{slug}/members", response={200: list[MemberOut], **LIST})
@paginate(Pagination)
def list_members(request: HttpRequest, slug: Slug) -> QuerySet[Membership]:
    community, _ = access.get_community_for_member(current_user(request), slug)
    return access.members_of(community)


@router.post(
    "/communities/{slug}/members/{user_id}/role", response={200: MemberOut, **WRITE}
)
def set_role(
    request: HttpRequest, slug: Slug, user_id: ObjectId, payload: RoleIn
) -> Membership:
    user = current_user(request)
    community, _ = access.get_community_for_organiser(user, slug)
    member = access.get_member(community, user_id)
    return services.change_role(
        user, community=community, member=member, role=payload.role
    )


# Join requests -------------------------------------------------------------


@router.get(
    "/communities/{slug}/requests", response={200: list[JoinRequestOut], **LIST}
)
@paginate(Pagination)
def list_join_requests(request: HttpRequest, slug: Slug) -> QuerySet[JoinRequest]:
    community, _ = access.get_community_for_moderator(current_user(request), slug)
    return access.open_requests_of(community)


@router.post(
    "/communities/{slug}/requests",
    response={200: JoinOut, **WRITE},
    summary="Ask to join (the same as /join, for by-request communities)",
)
def request_to_join(request: HttpRequest, slug: Slug, payload: JoinIn) -> Any:
    return join_community(request, slug, payload)


@router.post(
    "/communities/{slug}/requests/{request_id}/decide",
    response={200: JoinRequestOut, **WRITE},
)
def decide_join_request(
    request: HttpRequest, slug: Slug, request_id: ObjectId, payload: DecisionIn
) -> JoinRequest:
    user = current_user(request)
    community, _ = access.get_community_for_moderator(user, slug)
    join_request = access.get_join_request(community, request_id)
    return services.decide_join_request(
        user, join_request=join_request, approve=payload.approve, reason=payload.reason
    )


# Invitation links ----------------------------------------------------------


@router.get(
    "/communities/{slug}/invite-links", response={200: list[InviteLinkOut], **LIST}
)
@paginate(Pagination)
def list_invite_links(request: HttpRequest, slug: Slug) -> QuerySet[InviteLink]:
    community, _ = access.get_community_for_moderator(current_user(request), slug)
    return access.invite_links_of(community)


@router.post("/communities/{slug}/invite-links", response={201: InviteLinkOut, **WRITE})
def create_invite_link(
    request: HttpRequest, slug: Slug, payload: InviteLinkIn
) -> Status[InviteLink]:
    user = current_user(request)
    community, _ = access.get_community_for_moderator(user, slug)
    link = services.create_invite_link(
        user, community=community, days=payload.days, max_uses=payload.max_uses
    )
    return Status(201, link)


@router.delete(
    "/communities/{slug}/invite-links/{link_id}", response={204: None, **WRITE}
)
def revoke_invite_link(
    request: HttpRequest, slug: Slug, link_id: ObjectId
) -> Status[None]:
    user = current_user(request)
    community, _ = access.get_community_for_moderator(user, slug)
    services.revoke_invite_link(user, link=access.get_invite_link(community, link_id))
    return Status(204, None)


# Clusters and your own communities -----------------------------------------


@router.get("/clusters/{slug}", response={200: ClusterOut, **PUBLIC}, auth=None)
def get_cluster(request: HttpRequest, slug: Slug) -> dict[str, object]:
    cluster, communities = access.get_cluster_for_user(viewer(request), slug)
    return cluster_out(cluster, communities)


@router.get("/me/communities", response={200: list[MyMembershipOut], **LIST})
@paginate(Pagination)
def list_my_communities(request: HttpRequest) -> QuerySet[Membership]:
    return access.my_memberships(current_user(request))
