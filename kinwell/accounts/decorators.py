from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from kinwell.accounts.access import MfaRequired

MFA_SETUP_MESSAGE = (
    "Please set up two-factor authentication first. It keeps the people who "
    "rely on you safe. When it is done, you can come back to this page."
)


def redirect_to_mfa_setup(request: HttpRequest) -> HttpResponseRedirect:
    messages.info(request, MFA_SETUP_MESSAGE)
    return HttpResponseRedirect(reverse("mfa_activate_totp"))


def mfa_gate[V: Callable[..., HttpResponse]](view: V) -> V:
    """Sends people whose powers need two-factor authentication (access.require_mfa)
    to set it up, instead of showing them a bare 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except MfaRequired:
            return redirect_to_mfa_setup(request)

    return wrapped  # type: ignore[return-value]
