"""Telling a care story and seeing it through moderation: tell, edit,
withdraw; publish, return, reject, criticality; redactions the author
accepts or declines. Shared by the web views, the API and the demo data.

Every step records a StoryDecision (what the transparency page counts) and
an audit record. Emails to the author carry the story's id and a link,
never its title or text: a story is health information until published,
and often after."""

import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from kinwell.accounts.models import User
from kinwell.discussions.models import Post
from kinwell.lib import audit, ratelimit
from kinwell.lib.mail import send_after_commit
from kinwell.lib.markdown import render_markdown
from kinwell.stories import access
from kinwell.stories.models import (
    Feeling,
    Reason,
    Redaction,
    Service,
    Story,
    StoryDecision,
    StoryService,
)

MAX_SERVICES = 10
MAX_CRITICALITY = 5
STORY_WRITES_PER_TEN_MINUTES = 10
# The three parts of a story, in the order the page shows them.
PARTS = (
    ("what_happened", "What happened"),
    ("what_was_good", "What was good"),
    ("what_could_be_better", "What could be better"),
)
PART_LIMITS = {"what_happened": 20000, "what_was_good": 5000}
_PSEUDONYM_WORDS = (
    "Alder", "Aspen", "Birch", "Bramble", "Cedar", "Clover", "Fern", "Hazel",
    "Heather", "Holly", "Ivy", "Juniper", "Linden", "Maple", "Rowan", "Sorrel",
    "Willow", "Yarrow",
)  # fmt: skip
# What the author's email says happened to "Your story #<id>".
AUTHOR_NOTICES = {
    "published": "is published",
    "returned": "was returned to you with a note from a moderator",
    "rejected": "was not published",
    "redaction": "has a change proposed by a moderator, waiting for your answer",
}


# Telling and editing ------------------------------------------------------------


def tell_story(
    actor: User,
    *,
    services: Sequence[Service],
    title: str,
    what_happened: str,
    what_was_good: str = "",
    what_could_be_better: str = "",
    feelings: Sequence[str] = (),
    author_role: str,
    pseudonym: str = "",
    show_name: bool = False,
    show_reader_titles: bool = False,
    source_post: Post | None = None,
    patient_consented: bool = False,
) -> Story:
    """A new story, waiting for a story moderator. The moderators hear of it
    by email (its id and a link only)."""
    _limit_story_writes(actor)
    fields = _clean_fields(
        title=title,
        what_happened=what_happened,
        what_was_good=what_was_good,
        what_could_be_better=what_could_be_better,
        feelings=feelings,
        author_role=author_role,
        pseudonym=pseudonym,
        patient_consented=patient_consented,
    )
    chosen = _clean_services(services)
    _require_own_post(actor, source_post)
    with transaction.atomic():
        story = Story.objects.create(
            author=actor,
            show_name=show_name,
            show_reader_titles=show_reader_titles,
            source_post=source_post,
            **fields,
        )
        StoryService.objects.bulk_create(
            StoryService(story=story, service=service) for service in chosen
        )
        _decide(actor, story, StoryDecision.Action.SUBMITTED)
        audit.record(actor, "story.tell", story, subject=actor)
        _tell_moderators(story)
    return story


def edit_story(
    actor: User,
    *,
    story: Story,
    services: Sequence[Service],
    title: str,
    what_happened: str,
    what_was_good: str = "",
    what_could_be_better: str = "",
    feelings: Sequence[str] = (),
    author_role: str,
    pseudonym: str = "",
    show_name: bool = False,
    show_reader_titles: bool = False,
    patient_consented: bool = False,
) -> Story:
    """The author changes their story while it is unpublished. A returned
    story goes back to the moderators."""
    _require_author(actor, story)
    _limit_story_writes(actor)
    fields = _clean_fields(
        title=title,
        what_happened=what_happened,
        what_was_good=what_was_good,
        what_could_be_better=what_could_be_better,
        feelings=feelings,
        author_role=author_role,
        pseudonym=pseudonym,
        patient_consented=patient_consented,
    )
    chosen = _clean_services(services)
    with transaction.atomic():
        story = _locked(story)
        if not story.is_editable:
            raise ValidationError("A story can be changed only until it is published.")
        for name, value in fields.items():
            setattr(story, name, value)
        story.show_name, story.show_reader_titles = show_name, show_reader_titles
        changed = [*fields, "show_name", "show_reader_titles"]
        if story.status == Story.Status.RETURNED:
            story.status, story.submitted_at = Story.Status.SUBMITTED, timezone.now()
            changed += ["status", "submitted_at"]
            _decide(actor, story, StoryDecision.Action.SUBMITTED)
            _tell_moderators(story)
        story.save(update_fields=changed)
        _set_services(story, chosen)
        _drop_overtaken_redactions(story)
        audit.record(actor, "story.edit", story, subject=actor)
    return story


@transaction.atomic
def withdraw_story(actor: User, *, story: Story) -> Story:
    """The author takes their story down, published or not, at any time.
    The transparency page counts it as the author's choice: an author picks
    no moderation reason."""
    _require_author(actor, story)
    story = _locked(story)
    if story.status in (Story.Status.REJECTED, Story.Status.WITHDRAWN):
        raise ValidationError("This story is no longer on the site.")
    story.status, story.withdrawn_at = Story.Status.WITHDRAWN, timezone.now()
    story.save(update_fields=["status", "withdrawn_at"])
    reason = Reason.AUTHOR_CHOICE
    _decide(actor, story, StoryDecision.Action.WITHDRAWN, reason)
    audit.record(actor, "story.withdraw", story, subject=actor, reason=reason)
    return story


# Moderation ---------------------------------------------------------------------


@transaction.atomic
def publish_story(
    actor: User, *, story: Story, criticality: int | None = None
) -> Story:
    """Makes a waiting story public. It needs a criticality (given here or
    set before) and no redaction still waiting for the author. Staff alerts
    go out once the publication has committed."""
    _require_moderator(actor, story)
    story = _locked(story)
    _require_status(story, Story.Status.SUBMITTED)
    if story.redactions.filter(status=Redaction.Status.PROPOSED).exists():
        raise ValidationError(
            "A proposed change is waiting for the author. Publish once they "
            "have accepted or declined it."
        )
    if criticality is not None:
        story.criticality = _clean_criticality(criticality)
    if story.criticality is None:
        raise ValidationError({"criticality": "Choose the story's criticality."})
    story.status, story.published_at = Story.Status.PUBLISHED, timezone.now()
    story.moderator_note = ""
    story.save(
        update_fields=["status", "published_at", "criticality", "moderator_note"]
    )
    _decide(actor, story, StoryDecision.Action.PUBLISHED)
    audit.record(actor, "story.publish", story, subject=story.author)
    transaction.on_commit(lambda: _alert_staff(story.pk))
    notify_author(story, "published")
    return story


def _alert_staff(story_id: int) -> None:
    # Imported when used: the alerts module builds on the stories' pieces.
    from kinwell.stories import alerts

    alerts.story_published(Story.objects.get(pk=story_id))


@transaction.atomic
def return_story(actor: User, *, story: Story, reason: str, note: str) -> Story:
    """Sends a waiting story back to its author, with a note saying what to
    change; the author's edit sends it back to the moderators."""
    _require_moderator(actor, story)
    reason = _clean_reason(reason)
    note = _clean_note(note)
    if not note:
        raise ValidationError({"note": "Tell the author what to change."})
    story = _locked(story)
    _require_status(story, Story.Status.SUBMITTED)
    story.status, story.moderator_note = Story.Status.RETURNED, note
    story.save(update_fields=["status", "moderator_note"])
    _decide(actor, story, StoryDecision.Action.RETURNED, reason)
    audit.record(actor, "story.return", story, subject=story.author, reason=reason)
    notify_author(story, "returned")
    return story


@transaction.atomic
def reject_story(actor: User, *, story: Story, reason: str, note: str = "") -> Story:
    """Decides a waiting or returned story will not be published."""
    _require_moderator(actor, story)
    reason = _clean_reason(reason)
    note = _clean_note(note)
    story = _locked(story)
    _require_status(story, Story.Status.SUBMITTED, Story.Status.RETURNED)
    story.status, story.moderator_note = Story.Status.REJECTED, note
    story.save(update_fields=["status", "moderator_note"])
    _decide(actor, story, StoryDecision.Action.REJECTED, reason)
    audit.record(actor, "story.reject", story, subject=story.author, reason=reason)
    notify_author(story, "rejected")
    return story


@transaction.atomic
def set_criticality(actor: User, *, story: Story, criticality: int) -> Story:
    """0 (nothing went wrong) to 5 (severe harm): for staff and moderators
    only, never shown to the public or the author."""
    _require_moderator(actor, story)
    story = _locked(story)
    story.criticality = _clean_criticality(criticality)
    story.save(update_fields=["criticality"])
    audit.record(actor, "story.criticality", story, subject=story.author)
    return story


@transaction.atomic
def propose_redaction(
    actor: User,
    *,
    story: Story,
    field: str,
    original: str,
    replacement: str,
    note: str = "",
) -> Redaction:
    """A change to the story's words (a name, a date) that applies only
    once the author accepts it. `original` must be in that part as written."""
    _require_moderator(actor, story)
    if field not in Redaction.Field.values:
        raise ValidationError({"field": "Choose the part of the story to change."})
    story = _locked(story)
    if story.status in (Story.Status.REJECTED, Story.Status.WITHDRAWN):
        raise ValidationError("This story is no longer on the site.")
    if not original or len(original) > 500:
        raise ValidationError({"original": "Copy the exact words to change."})
    if original not in getattr(story, field):
        raise ValidationError(
            {"original": "These exact words are not in that part of the story."}
        )
    if len(replacement) > 500 or len(note) > 500:
        raise ValidationError("Keep the replacement and the note under 500 characters.")
    redaction = Redaction.objects.create(
        story=story,
        field=field,
        original=original,
        replacement=replacement,
        note=note.strip(),
        proposed_by=actor,
    )
    audit.record(actor, "story.redaction.propose", redaction, subject=story.author)
    notify_author(story, "redaction")
    return redaction


@transaction.atomic
def accept_redaction(actor: User, *, redaction: Redaction) -> Redaction:
    """The author agrees: the first occurrence of the words is replaced and
    the story's HTML made again."""
    story, redaction = _waiting_redaction(actor, redaction)
    text: str = getattr(story, redaction.field)
    if redaction.original not in text:
        raise ValidationError("The words this change was for are no longer there.")
    text = text.replace(redaction.original, redaction.replacement, 1)
    if redaction.field == Redaction.Field.TITLE:
        text = _clean_title(text)
    elif redaction.field == "what_happened" and not text.strip():
        raise ValidationError("The story would have nothing left in “What happened”.")
    setattr(story, redaction.field, text)
    story.body_html = cook(story)
    story.save(update_fields=[redaction.field, "body_html"])
    return _decide_redaction(actor, redaction, Redaction.Status.ACCEPTED)


@transaction.atomic
def decline_redaction(actor: User, *, redaction: Redaction) -> Redaction:
    _, redaction = _waiting_redaction(actor, redaction)
    return _decide_redaction(actor, redaction, Redaction.Status.DECLINED)


def _waiting_redaction(actor: User, redaction: Redaction) -> tuple[Story, Redaction]:
    """The story and the redaction, read again under the story's lock."""
    story = _locked(redaction.story)
    _require_author(actor, story)
    redaction = Redaction.objects.get(pk=redaction.pk)
    if redaction.status != Redaction.Status.PROPOSED:
        raise ValidationError("You have already answered this change.")
    if story.status in (Story.Status.REJECTED, Story.Status.WITHDRAWN):
        raise ValidationError("This story is no longer on the site.")
    return story, redaction


def _decide_redaction(actor: User, redaction: Redaction, status: str) -> Redaction:
    redaction.status, redaction.decided_at = status, timezone.now()
    redaction.save(update_fields=["status", "decided_at"])
    audit.record(actor, f"story.redaction.{status}", redaction, subject=actor)
    return redaction


# Telling people -----------------------------------------------------------------


def notify_author(story: Story, what: str) -> None:
    """Emails the author "Your story #<id> …" with a link. `what` is a key
    of AUTHOR_NOTICES or a short phrase of the caller's; never the story's
    title or words, which stay on the site behind the author's sign-in."""
    author = story.author
    if not author.is_active or not author.email:
        return
    happened = AUTHOR_NOTICES.get(what, what)
    link = f"{settings.SITE_URL}{story.get_absolute_url()}"
    body = (
        f"Your story #{story.pk} {happened}.\n\n"
        f"See it, and what you can do next, here (you will need to sign in):\n"
        f"{link}\n\nYour stories: {settings.SITE_URL}{reverse('stories:mine')}\n"
    )
    send_after_commit(f"Your story #{story.pk} {happened}", body, [author.email])


def _tell_moderators(story: Story) -> None:
    recipients = access.story_moderator_emails(besides=story.author_id)
    if not recipients:
        return
    link = settings.SITE_URL + reverse("stories:moderate", args=[story.pk])
    queue = settings.SITE_URL + reverse("stories:moderation")
    body = (
        f"Story #{story.pk} is waiting for a moderator.\n\n{link}\n\n"
        f"All stories waiting: {queue}\n"
    )
    send_after_commit(f"Story #{story.pk} is waiting for a moderator", body, recipients)


# Checks and pieces ----------------------------------------------------------------


def cook(story: Story) -> str:
    """The three parts as one piece of HTML, each under its own heading (the
    pipeline demotes the writer's own headings to h3, below these)."""
    pieces: list[SafeString] = []
    for name, label in PARTS:
        text = getattr(story, name)
        if text.strip():
            pieces.append(format_html("<h2>{}</h2>\n{}", label, render_markdown(text)))
    return str(mark_safe("\n".join(pieces)))  # noqa: S308 - each piece is safe


def _clean_fields(
    *,
    title: str,
    what_happened: str,
    what_was_good: str,
    what_could_be_better: str,
    feelings: Sequence[str],
    author_role: str,
    pseudonym: str,
    patient_consented: bool,
) -> dict[str, Any]:
    """The story's own fields, checked, with its HTML; ValidationError names
    the field at fault."""
    if author_role not in Story.AuthorRole.values:
        raise ValidationError({"author_role": "Choose who you are in this story."})
    if author_role == Story.AuthorRole.STAFF_FOR_PATIENT and not patient_consented:
        raise ValidationError(
            {
                "patient_consented": "As a member of staff, tell the patient's story "
                "only once they have agreed to it."
            }
        )
    parts = {
        "what_happened": _clean_part("what_happened", what_happened, required=True),
        "what_was_good": _clean_part("what_was_good", what_was_good),
        "what_could_be_better": _clean_part(
            "what_could_be_better", what_could_be_better
        ),
    }
    fields: dict[str, Any] = {
        "title": _clean_title(title),
        **parts,
        "feelings": _clean_feelings(feelings),
        "author_role": author_role,
        "pseudonym": _clean_pseudonym(pseudonym),
    }
    fields["body_html"] = cook(Story(**parts))
    return fields


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": "Give your story a title."})
    if len(title) > 200:
        raise ValidationError({"title": "Keep the title under 200 characters."})
    return title


def _clean_part(name: str, text: str, *, required: bool = False) -> str:
    text = text.strip()
    if required and not text:
        raise ValidationError({name: "Tell us what happened."})
    limit = PART_LIMITS.get(name, 5000)
    if len(text) > limit:
        raise ValidationError({name: f"Keep this part under {limit} characters."})
    return text


def _clean_feelings(feelings: Sequence[str]) -> list[str]:
    unknown = set(feelings) - set(Feeling.values)
    if unknown:
        raise ValidationError({"feelings": "Choose feelings from the list."})
    return [value for value in Feeling.values if value in feelings]


def _clean_pseudonym(pseudonym: str) -> str:
    pseudonym = " ".join(pseudonym.split())
    if len(pseudonym) > 60:
        raise ValidationError({"pseudonym": "Keep the name under 60 characters."})
    return pseudonym or make_pseudonym()


def make_pseudonym() -> str:
    """A name with no link to the account: a tree or a flower and a number."""
    word = secrets.choice(_PSEUDONYM_WORDS)
    return f"{word} {1000 + secrets.randbelow(9000)}"


def _clean_services(services: Sequence[Service]) -> list[Service]:
    unique = list({service.pk: service for service in services}.values())
    if not unique:
        raise ValidationError({"services": "Choose the service your story is about."})
    if len(unique) > MAX_SERVICES:
        raise ValidationError(
            {"services": f"Choose at most {MAX_SERVICES} services for one story."}
        )
    return unique


def _set_services(story: Story, services: list[Service]) -> None:
    wanted = {service.pk for service in services}
    links = StoryService.objects.filter(story=story)
    have = set(links.values_list("service_id", flat=True))
    links.exclude(service_id__in=wanted).delete()
    StoryService.objects.bulk_create(
        StoryService(story=story, service_id=pk) for pk in wanted - have
    )


def _drop_overtaken_redactions(story: Story) -> None:
    """A proposed change to words the author has since rewritten can no
    longer apply; it stops waiting (and so stops holding up publication)."""
    waiting = story.redactions.filter(status=Redaction.Status.PROPOSED)
    gone = [r.pk for r in waiting if r.original not in getattr(story, r.field)]
    if gone:
        Redaction.objects.filter(pk__in=gone).update(
            status=Redaction.Status.DECLINED, decided_at=timezone.now()
        )


def _require_own_post(actor: User, post: Post | None) -> None:
    if post is None:
        return
    if post.author_id != actor.pk or post.status == Post.Status.DELETED:
        raise ValidationError(
            {"source_post": "A story can start only from a post of your own."}
        )


def _clean_reason(reason: str) -> str:
    if reason not in Reason.values or reason == Reason.AUTHOR_CHOICE:
        raise ValidationError({"reason": "Choose the reason."})
    return reason


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2000 characters."})
    return note


def _clean_criticality(criticality: Any) -> int:
    if (
        isinstance(criticality, bool)
        or not isinstance(criticality, int)
        or not 0 <= criticality <= MAX_CRITICALITY
    ):
        raise ValidationError(
            {"criticality": f"Choose a criticality from 0 to {MAX_CRITICALITY}."}
        )
    return criticality


def _require_author(actor: User, story: Story) -> None:
    if story.author_id != actor.pk:
        raise PermissionDenied("Only the story's author can do this.")


def _require_moderator(actor: User, story: Story) -> None:
    if not access.is_story_moderator(actor):
        raise PermissionDenied("Only story moderators can do this.")
    if story.author_id == actor.pk:
        raise PermissionDenied("Another moderator must look at your own story.")


def _require_status(story: Story, *allowed: str) -> None:
    if story.status not in allowed:
        raise ValidationError(
            f"This story is “{story.get_status_display()}”; that cannot be done now."
        )


def _locked(story: Story) -> Story:
    """The story read again under a row lock, so two moderators (or a
    moderator and the author) acting at once see each other's change."""
    return Story.objects.select_for_update().select_related("author").get(pk=story.pk)


def _decide(actor: User, story: Story, action: str, reason: str = "") -> StoryDecision:
    return StoryDecision.objects.create(
        story=story, action=action, reason=reason, actor=actor
    )


def _limit_story_writes(actor: User) -> None:
    ratelimit.check("story", actor.pk, limit=STORY_WRITES_PER_TEN_MINUTES, period=600)
