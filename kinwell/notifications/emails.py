"""The emails notifications send. They say who did what, in which thread of
which community, with a link; never what a post says (that stays on the
site, behind its access rules). Every one carries a one-click unsubscribe."""

import email.policy
from collections.abc import Sequence
from email.message import EmailMessage as MimeMessage
from email.policy import Policy

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.notifications.models import Notification
from kinwell.notifications.services import unsubscribe_token


class ListEmail(EmailMessage):
    """An email whose List-Unsubscribe link stays one unbroken `<URL>`: the
    standard policy would fold a header longer than 78 characters into
    RFC 2047 encoded words, which mail programs do not read as a link.
    (RFC 5322 allows lines of up to 998 characters.)"""

    def message(self, *, policy: Policy | None = None) -> MimeMessage:
        chosen = policy if policy is not None else email.policy.default
        return super().message(policy=chosen.clone(max_line_length=998))


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _message(
    user: User, subject: str, template: str, context: dict[str, object], token: str
) -> EmailMessage:
    unsubscribe_url = _absolute(reverse("notifications:unsubscribe", args=[token]))
    body = render_to_string(
        template,
        {
            **context,
            "user": user,
            "site_name": settings.SITE_NAME,
            "unsubscribe_url": unsubscribe_url,
            "settings_url": _absolute(reverse("notifications:settings")),
        },
    )
    # RFC 8058: mail programs offer their own "unsubscribe" button, which
    # POSTs to the link without opening the page.
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return ListEmail(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=body,
        to=[user.email],
        headers=headers,
    )


def open_url(notification: Notification) -> str:
    return _absolute(reverse("notifications:open", args=[notification.pk]))


def at_once_message(notification: Notification) -> EmailMessage:
    community: Community = notification.community
    return _message(
        notification.user,
        notification.summary,
        "notifications/email/at_once.txt",
        {"notification": notification, "link": open_url(notification)},
        unsubscribe_token(notification.user, community=community),
    )


def digest_message(user: User, items: Sequence[Notification]) -> EmailMessage:
    count = len(items)
    subject = f"Your daily digest: {count} new post{'s' if count != 1 else ''}"
    return _message(
        user,
        subject,
        "notifications/email/digest.txt",
        {"items": [(item, open_url(item)) for item in items]},
        unsubscribe_token(user),
    )
