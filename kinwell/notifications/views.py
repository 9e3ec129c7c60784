"""The bell's list, reading, the per-community settings, and unsubscribing
from an email without logging in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.accounts import services as account_services
from kinwell.accounts.http import AuthenticatedRequest
from kinwell.accounts.models import ConsentRecord
from kinwell.lib.forms import posted
from kinwell.notifications import access, services
from kinwell.notifications.forms import SettingsForm

PAGE_SIZE = 30


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    found = access.notifications_of(request.user)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
def open_notification(
    request: AuthenticatedRequest, notification_id: int
) -> HttpResponse:
    """Follows a notification to its post. A plain link, so it opens in a
    new tab too; reading changes only the reader's own list."""
    notification = access.get_notification_for_user(request.user, notification_id)
    services.mark_read(request.user, notification=notification)
    return redirect(
        reverse(
            "discussions:post",
            args=[notification.community.slug, notification.post_id],
        )
    )


@login_required
@require_POST
def read_all(request: AuthenticatedRequest) -> HttpResponse:
    services.mark_all_read(request.user)
    messages.success(request, "All your notifications are marked as read.")
    return redirect("notifications:list")


@login_required
def notification_settings(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = SettingsForm(posted(request), rows=access.settings_of(user))
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            for row in form.rows:
                services.update_settings(
                    user, community=row.community, **form.choices_for(row)
                )
        messages.success(request, "Your notification settings are saved.")
        return redirect("notifications:settings")
    digest_consent = account_services.has_consented(
        user, ConsentRecord.Purpose.EMAIL_DIGESTS
    )
    context = {"form": form, "digest_consent": digest_consent}
    return render(request, "notifications/settings.html", context)


# A mail program's one-click unsubscribe posts without a session or a CSRF
# token; the signed token is the proof, and all it can do is stop emails.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        done = services.unsubscribe(token)
        return render(request, "notifications/unsubscribed.html", {"found": done})
    found = services.read_unsubscribe_token(token)
    context = {"found": found, "token": token}
    return render(request, "notifications/unsubscribe.html", context)
