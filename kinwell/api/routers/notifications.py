"""The signed-in person's notifications and their per-community settings.
Each operation makes the same access and service calls as the website."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router
from ninja.pagination import paginate

from kinwell.accounts.models import User
from kinwell.api.auth import current_user
from kinwell.api.errors import errors
from kinwell.api.pagination import Pagination
from kinwell.api.schemas.fields import max_length
from kinwell.api.schemas.notifications import (
    MarkedOut,
    MarkReadIn,
    NotificationOut,
    SettingsIn,
    SettingsOut,
    settings_out,
)
from kinwell.communities import access as community_access
from kinwell.communities.models import Community
from kinwell.notifications import access, services
from kinwell.notifications.access import CommunitySettings

router = Router(tags=["notifications"])

Slug = Annotated[str, Path(max_length=max_length(Community, "slug"))]

LIST = errors(401, 422)
WRITE = errors(400, 401, 403, 422, 429)
WRITE_ONE = errors(400, 401, 403, 404, 422, 429)


@router.get("/me/notifications", response={200: list[NotificationOut], **LIST})
@paginate(Pagination)
def list_my_notifications(
    request: HttpRequest, unread: Annotated[bool, Query()] = False
) -> Any:
    """Newest first; `?unread=true` for the unread ones only."""
    found = access.notifications_of(current_user(request))
    return found.unread() if unread else found


@router.post("/me/notifications/read", response={200: MarkedOut, **WRITE})
def mark_my_notifications_read(
    request: HttpRequest, payload: MarkReadIn
) -> dict[str, int]:
    user = current_user(request)
    marked = services.mark_all_read(user, ids=payload.ids)
    return {"marked": marked, "unread": access.unread_count(user)}


@router.get("/me/notification-settings", response={200: list[SettingsOut], **LIST})
@paginate(Pagination)
def list_my_notification_settings(request: HttpRequest) -> list[SettingsOut]:
    return [settings_out(row) for row in access.settings_of(current_user(request))]


@router.put(
    "/me/notification-settings/{slug}", response={200: SettingsOut, **WRITE_ONE}
)
def update_my_notification_settings(
    request: HttpRequest, slug: Slug, payload: SettingsIn
) -> SettingsOut:
    user: User = current_user(request)
    community, _ = community_access.get_community_for_member(user, slug)
    saved = services.update_settings(user, community=community, **dict(payload))
    return settings_out(CommunitySettings(community, saved))
