"""Plain words for the accounts pages."""

from django import template

from kinwell.accounts.models import AuditEvent

register = template.Library()

ADMINISTRATOR = "An administrator"

# Said to the person whose data it was; actions not listed fall back to their code.
ACTION_LABELS = {
    "admin.view": "Looked at your account in the administration pages",
    "credential.submit": "Submitted a professional credential",
    "credential.view": "Opened your professional credential to review it",
    "credential.approved": "Approved your professional credential",
    "credential.rejected": "Did not approve your professional credential",
    "delegation.invite": "Invited a carer",
    "delegation.accept": "Accepted your invitation to be your carer",
    "delegation.declined": "Declined your invitation to be your carer",
    "delegation.revoked": "Ended a carer arrangement",
    "api_token.create": "Created an API token",
    "api_token.revoke": "Revoked an API token",
}


@register.filter
def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").replace(".", ": "))


@register.filter
def actor_name(event: AuditEvent) -> str:
    """Administrators and the system appear as a role, not by name."""
    if event.actor is None or event.action.startswith("admin."):
        return ADMINISTRATOR
    return event.actor.public_name


@register.filter(is_safe=True)
def squash_spaces(text: str) -> str:
    # allauth's titles arrive wrapped in template indentation.
    return " ".join(str(text).split())
