from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.http import HttpRequest

from kinwell.accounts import services
from kinwell.lib.ratelimit import RateLimited

# allauth's per-account window for failed logins (ACCOUNT_RATE_LIMITS).
FAILED_LOGIN_WINDOW_SECONDS = 300


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def save_user(
        self, request: HttpRequest, user: Any, form: Any, commit: bool = True
    ) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            services.ensure_personal_persona(user)
        return user

    def confirm_email(self, request: HttpRequest, email_address: Any) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            services.claim_carer_invitations(
                email_address.user, email=email_address.email
            )
        return bool(confirmed)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth answers too many failed logins with a form error; we answer
        # 429 with a plain page, the same whether or not the account exists.
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError as error:
            if error.code == "too_many_login_attempts":
                raise RateLimited(FAILED_LOGIN_WINDOW_SECONDS) from None
            raise

    def logout(self, request: HttpRequest) -> None:
        # Logging out ends the account's other sessions too: a person who logs
        # out on a shared computer should not stay logged in elsewhere unawares.
        user = request.user
        if user.is_authenticated:
            services.end_other_sessions(
                user, keep_session_key=request.session.session_key
            )
        super().logout(request)
