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
    "research.release": "Included you, de-identified, in a research dataset",
    "circles.invite": "Invited you to a circle",
    "circles.remove": "Removed you from a circle",
    "circles.promote": "Made you a circle admin",
    "circles.leave": "Left a circle",
    "circles.device_add": "Added a device for your circles",
    "circles.device_approve": "Approved a device for your circles",
    "circles.device_revoke": "Removed a device from your circles",
    # A carer's use of a member's tracking records.
    "tracking.check_in": "Checked in for you",
    "tracking.check_in_delete": "Deleted one of your check-ins",
    "tracking.condition_add": "Added a condition to your records",
    "tracking.condition_edit": "Changed the dates of one of your conditions",
    "tracking.condition_remove": "Removed a condition from your records",
    "tracking.symptom_track": "Started tracking a symptom for you",
    "tracking.symptom_stop": "Stopped tracking a symptom for you",
    "tracking.start_course": "Recorded a treatment course for you",
    "tracking.change_course": "Changed one of your treatment courses",
    "tracking.stop_course": "Recorded that you stopped a treatment",
    "tracking.delete_course": "Deleted one of your treatment courses",
    "tracking.evaluate_course": "Recorded an evaluation of a treatment for you",
    "tracking.delete_evaluation": "Deleted one of your treatment evaluations",
    "tracking.import": "Imported tracking records for you from a file",
    "tracking.export_csv": "Downloaded your tracking records as CSV",
    "tracking.export_fhir": "Downloaded your tracking records as FHIR",
    "tracking.questionnaire.answer": "Answered a questionnaire for you",
    "tracking.questionnaire.delete": "Deleted one of your questionnaire answers",
    "tracking.questionnaire.enrol": "Signed you up for a questionnaire",
    "tracking.questionnaire.leave": "Took you off a questionnaire",
}

# What a carer looked at: "tracking.view_<page>".
VIEWED_PAGES = {
    "home": "your tracking page",
    "check_ins": "your check-ins",
    "check_in": "one of your check-ins",
    "conditions": "your conditions",
    "symptoms": "the symptoms you track",
    "catalogue": "the symptoms and treatments you may record",
    "treatments": "your treatments",
    "course": "one of your treatment courses",
    "chart": "your charts",
    "export": "your export page",
    "questionnaires": "your questionnaires",
    "questionnaire": "a questionnaire you take part in",
    "my_questionnaires": "your questionnaire answers",
    "questionnaire_response": "one of your questionnaire answers",
}


@register.filter
def action_label(action: str) -> str:
    page = action.removeprefix("tracking.view_")
    if page != action and page in VIEWED_PAGES:
        return f"Looked at {VIEWED_PAGES[page]}"
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
