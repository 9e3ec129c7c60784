"""The Django admin behind two-factor authentication.

Staff log in through allauth's login (which has the two-factor step), never
through the admin's own password-only form, and must have set up two-factor
authentication before any admin page opens.

INSTALLED_APPS names KinwellAdminConfig, so this module is imported while the
app registry is still loading: anything that touches models is imported inside
the functions that need it."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse

View = Callable[..., HttpResponse]


class KinwellAdminSite(AdminSite):
    site_header = "Kinwell administration"
    site_title = "Kinwell administration"

    def admin_view[V: Callable[..., HttpResponseBase]](
        self, view: V, cacheable: bool = False
    ) -> V:
        guarded = self._require_mfa(view)
        return super().admin_view(guarded, cacheable)  # type: ignore[return-value]

    def _require_mfa(self, view: Callable[..., Any]) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from kinwell.accounts.access import has_mfa
            from kinwell.accounts.decorators import redirect_to_mfa_setup

            # Logging out must stay possible for staff who have not set it up yet.
            is_logout = request.path == reverse("admin:logout", current_app=self.name)
            if not is_logout and not has_mfa(request.user):
                return redirect_to_mfa_setup(request)
            response: HttpResponse = view(request, *args, **kwargs)
            return response

        return guarded

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        from allauth.account.decorators import secure_admin_login

        login_view = secure_admin_login(super().login)
        return login_view(request, extra_context)  # type: ignore[no-any-return]


class KinwellAdminConfig(AdminConfig):
    default_site = "kinwell.accounts.admin_site.KinwellAdminSite"
