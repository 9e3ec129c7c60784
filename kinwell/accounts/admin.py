"""Administration pages for accounts.

Almost everything here is read-only: credentials are decided on the verifiers'
page, delegations and consents by the people themselves, all through services
that audit and notify. Administrators may switch an account's flags. Opening a
person's record is written to their "Access to my data" page.

No list filters: the admin's filter links are too small to tap (WCAG 2.5.8);
search does the job."""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from kinwell.accounts.models import (
    ApiToken,
    AuditEvent,
    ConsentRecord,
    Credential,
    Delegation,
    Persona,
    User,
)
from kinwell.lib import audit


class AuditedAdmin[M: Model](admin.ModelAdmin[M]):
    """Opening one record that belongs to a person is recorded for that person."""

    def subject_of(self, obj: M) -> Any:
        return getattr(obj, "user", None)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            obj = self.get_object(request, object_id)
            if obj is not None and self.subject_of(obj) is not None:
                audit.record(
                    request.user, "admin.view", obj, subject=self.subject_of(obj)
                )
        return super().change_view(request, object_id, form_url, extra_context)


class ReadOnlyAdmin[M: Model](AuditedAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin[User]):
    list_display = ("email", "display_name", "is_active", "is_staff", "is_verifier")
    search_fields = ("email", "display_name")
    ordering = ("-date_joined",)
    fields = (
        "email",
        "display_name",
        "date_joined",
        "last_login",
        "is_active",
        "is_verifier",
        "is_researcher",
        "is_staff",
    )
    readonly_fields = ("email", "display_name", "date_joined", "last_login")

    def subject_of(self, obj: User) -> Any:
        return obj

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Accounts are made by signing up or with the command line, which also
        # give them a verified address and a personal persona.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Switch an account off instead: deleting would erase the audit trail.
        return False


@admin.register(Persona)
class PersonaAdmin(ReadOnlyAdmin[Persona]):
    list_display = ("public_id", "kind", "created_at")
    search_fields = ("public_id",)
    list_select_related = ("user", "credential")


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin[Credential]):
    list_display = ("pk", "profession", "status", "submitted_at", "decided_at")
    search_fields = ("registration_number",)


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin[Delegation]):
    list_display = ("pk", "status", "may_post", "may_track", "may_read", "created_at")

    def subject_of(self, obj: Delegation) -> Any:
        return obj.member


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin[ConsentRecord]):
    list_display = ("pk", "purpose", "given", "text_version", "method", "created_at")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin[AuditEvent]):
    list_display = ("created_at", "action", "object_type", "object_id")
    search_fields = ("object_id",)

    def subject_of(self, obj: AuditEvent) -> Any:
        # Reading the audit trail is not itself recorded, or it would grow forever.
        return None


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin[ApiToken]):
    list_display = ("name", "prefix", "scope", "created_at", "revoked_at")
    exclude = ("token_hash",)
