"""Access rules for notifications (see tests/access_matrix.py).

Notifications and settings are each person's own: any signed-in person has
a list and a settings page, and one notification (the member's, about a
reply to their thread) is a 404 to everyone else. The unsubscribe link
works without logging in, for whoever holds it. The API's settings of one
community are for its members (organiser and member); others who may know
the public community exists get 403."""

from typing import Any

from kinwell.accounts.models import User
from kinwell.discussions import services as discussions
from kinwell.notifications import services
from kinwell.notifications.models import Notification
from tests import factories
from tests.access_matrix import (
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Rule,
    api,
    everyone,
    redirects_to,
    signed_in,
)

SETTINGS = {"email_replies": True, "digest": False, "watch_community": True}

RULES: list[Rule] = [
    Rule("notifications/", get=signed_in(OK)),
    Rule(
        "notifications/read-all",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(redirects_to("/notifications/")),
    ),
    Rule(  # the member's own notification: it opens the post
        "notifications/<int:notification_id>/",
        url="/notifications/{notification}/",
        get=signed_in(NOT_FOUND, member=OK),
    ),
    Rule(
        "notifications/settings/",
        get=signed_in(OK),
        post=signed_in(redirects_to("/notifications/settings/")),
    ),
    Rule(
        "notifications/unsubscribe/<str:token>/",
        url="/notifications/unsubscribe/{unsubscribe_token}/",
        get=everyone(OK),
        post=everyone(OK),
    ),
    Rule("api/v1/me/notifications", get=api(OK)),
    Rule(
        "api/v1/me/notifications/read",
        get=everyone(NOT_ALLOWED),
        post=api(OK),
    ),
    Rule("api/v1/me/notification-settings", get=api(OK)),
    Rule(
        "api/v1/me/notification-settings/<slug>",
        url="/api/v1/me/notification-settings/{notifications_community}",
        get=everyone(NOT_ALLOWED),
        put=api(FORBIDDEN, organiser=OK, member=OK),
        json=SETTINGS,
    ),
]


def world_values(users: dict[str, User]) -> dict[str, Any]:
    organiser, member = users["organiser"], users["member"]
    community = factories.make_community(
        organiser, name="Matrix Notifications", members=(member,)
    )
    thread = discussions.start_thread(
        member, community=community, title="Matrix thread", body="Hello"
    )
    post = discussions.reply(organiser, thread=thread, body="Welcome")
    services.notify_about_post(post.pk)
    notification = Notification.objects.get(user=member, post=post)
    return {
        "notification": notification.pk,
        "notifications_community": community.slug,
        "unsubscribe_token": services.unsubscribe_token(member, community=community),
    }
