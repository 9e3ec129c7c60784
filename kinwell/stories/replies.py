"""The staff side of a published story: who on the staff read it, the
replies they write (moderated until the responder is trusted), the changes
they plan and make (counted once a moderator confirms them), "helpful"
ratings and "I've experienced this too".

Emails to the storyteller carry the story's id and a link only: never its
title, its text or its criticality."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from kinwell.accounts.models import User
from kinwell.lib import audit, mail, ratelimit
from kinwell.lib.markdown import render_markdown
from kinwell.stories import access
from kinwell.stories.models import (
    Echo,
    HelpfulRating,
    StaffReply,
    Story,
    StoryRead,
)

REPLIES_PER_TEN_MINUTES = 10
SMALL_STEPS_PER_MINUTE = 60
MAX_REPLY = 10000
MAX_CHANGE_DESCRIPTION = 2000

# What each criticality means, in plain words, for the staff and moderators
# who see it.
CRITICALITY_MEANINGS = {
    0: "Not critical: a positive or neutral story",
    1: "Minimally critical: a small thing could have been better",
    2: "Mildly critical: something went wrong, without lasting harm",
    3: "Moderately critical: care fell short in a way that matters",
    4: "Strongly critical: serious failings in care",
    5: "Severely critical: it tells of severe harm or danger",
}


def criticality_meaning(criticality: int | None) -> str:
    if criticality is None:
        return "Not assessed yet"
    return CRITICALITY_MEANINGS.get(criticality, str(criticality))


# Reads ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadSummary:
    staff: int
    organisations: int
    job_titles: list[str] = field(default_factory=list)


def record_read(user: Any, story: Story) -> None:
    """Remembers that a staff member of an organisation the story is about
    opened it. Runs on every view of the story: members cost no query beyond
    their (cached) staff roles, and a staff member who read it before costs
    one `exists`."""
    # A staff member who told the story (for a patient) is not its reader.
    if not story.is_public or story.author_id == getattr(user, "pk", None):
        return
    role = access.staff_role_for_story(user, story)
    if role is None:
        return
    if StoryRead.objects.filter(story=story, user=user).exists():
        return
    # Two tabs opening the story at once both get here; the unique
    # constraint keeps one read.
    StoryRead.objects.bulk_create(
        [
            StoryRead(
                story=story,
                user=user,
                organisation_id=role.organisation_id,
                job_title=role.job_title,
            )
        ],
        ignore_conflicts=True,
    )


def read_summary(story: Story) -> ReadSummary:
    """How many staff read the story, at how many organisations; their job
    titles too when the storyteller asked for them."""
    counts = StoryRead.objects.filter(story=story).aggregate(
        staff=Count("user", distinct=True),
        organisations=Count("organisation", distinct=True),
    )
    titles: list[str] = []
    if story.show_reader_titles and counts["staff"]:
        titles = sorted(
            set(
                StoryRead.objects.filter(story=story).values_list(
                    "job_title", flat=True
                )
            )
        )
    return ReadSummary(counts["staff"], counts["organisations"], titles)


# Replies --------------------------------------------------------------------------


@transaction.atomic
def reply_to_story(
    actor: User,
    *,
    story: Story,
    body: str,
    change: str = "",
    change_description: str = "",
) -> StaffReply:
    """A responder's reply for their organisation. It waits for a moderator
    until the responder has `KINWELL_STORY_REPLY_TRUST` published replies,
    then it is published at once. A change it marks counts only once a
    moderator confirms it."""
    role = access.responder_role(actor, story)
    body, change, change_description = _clean_reply(body, change, change_description)
    ratelimit.check("story-reply", actor.pk, limit=REPLIES_PER_TEN_MINUTES, period=600)
    trusted = _is_trusted(actor)
    reply = StaffReply.objects.create(
        story=story,
        organisation_id=role.organisation_id,
        author=actor,
        job_title=role.job_title,
        body=body,
        body_html=str(render_markdown(body)),
        status=StaffReply.Status.PUBLISHED if trusted else StaffReply.Status.PENDING,
        published_at=timezone.now() if trusted else None,
        change=change,
        change_description=change_description,
    )
    audit.record(actor, "story.reply", reply, subject=story.author)
    if reply.is_public:
        _tell_storyteller(story, "A member of staff replied to your story")
        if reply.change:
            _tell_moderators(reply, "A change waits for confirmation")
    else:
        _tell_moderators(reply, "A staff reply waits for a moderator")
    return reply


def _clean_reply(body: str, change: str, description: str) -> tuple[str, str, str]:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write your reply first."})
    if len(body) > MAX_REPLY:
        raise ValidationError({"body": f"Keep a reply under {MAX_REPLY:,} characters."})
    if change not in StaffReply.Change.values:
        raise ValidationError({"change": "Choose one of the changes."})
    description = description.strip() if change else ""
    if change and not description:
        raise ValidationError(
            {"change_description": "Say what the change is, for the storyteller."}
        )
    if len(description) > MAX_CHANGE_DESCRIPTION:
        raise ValidationError(
            {
                "change_description": "Keep the description under "
                f"{MAX_CHANGE_DESCRIPTION:,} characters."
            }
        )
    return body, change, description


def _is_trusted(actor: User) -> bool:
    published = StaffReply.objects.filter(
        author=actor, status=StaffReply.Status.PUBLISHED
    )
    return published.count() >= settings.KINWELL_STORY_REPLY_TRUST


@transaction.atomic
def publish_reply(
    actor: User, *, reply: StaffReply, confirm_change: bool = False
) -> StaffReply:
    """A moderator publishes a waiting reply, confirming the change it marks
    when `confirm_change`."""
    reply = _locked(reply)
    _require_moderator(actor, reply)
    if reply.status != StaffReply.Status.PENDING:
        raise ValidationError("This reply is not waiting for a moderator.")
    if not reply.story.is_public:
        raise ValidationError("The story is no longer published.")
    now = timezone.now()
    reply.status = StaffReply.Status.PUBLISHED
    reply.published_at = now
    fields = ["status", "published_at"]
    if confirm_change and reply.change:
        reply.change_confirmed_at = now
        fields.append("change_confirmed_at")
    reply.save(update_fields=fields)
    audit.record(actor, "story.reply.publish", reply, subject=reply.story.author)
    what = "A member of staff replied to your story"
    if reply.change_confirmed:
        what += f", and a moderator confirmed a {_change_words(reply)}"
    elif reply.change:
        _tell_moderators(reply, "A change waits for confirmation")
    _tell_storyteller(reply.story, what)
    return reply


@transaction.atomic
def reject_reply(actor: User, *, reply: StaffReply, note: str = "") -> StaffReply:
    """A moderator refuses a waiting reply; its author is told, with the note."""
    reply = _locked(reply)
    _require_moderator(actor, reply)
    if reply.status != StaffReply.Status.PENDING:
        raise ValidationError("This reply is not waiting for a moderator.")
    reply.status = StaffReply.Status.REJECTED
    reply.moderator_note = note.strip()[:500]
    reply.save(update_fields=["status", "moderator_note"])
    audit.record(actor, "story.reply.reject", reply, subject=reply.author)
    _email(
        "Your reply was not published",
        "stories/emails/reply_refused.txt",
        {"reply": reply},
        [reply.author.email],
    )
    return reply


@transaction.atomic
def confirm_change(actor: User, *, reply: StaffReply) -> StaffReply:
    """A moderator confirms the change a published reply marks; from now on
    it counts, and the storyteller hears of it."""
    reply = _locked(reply)
    _require_moderator(actor, reply)
    if not reply.change:
        raise ValidationError("This reply marks no change.")
    if reply.status != StaffReply.Status.PUBLISHED:
        raise ValidationError("Publish the reply first (with its change confirmed).")
    if not reply.story.is_public:
        raise ValidationError("The story is no longer published.")
    if reply.change_confirmed_at is not None:
        return reply
    reply.change_confirmed_at = timezone.now()
    reply.save(update_fields=["change_confirmed_at"])
    audit.record(actor, "story.change.confirm", reply, subject=reply.story.author)
    _tell_storyteller(
        reply.story, f"A moderator confirmed a {_change_words(reply)} on your story"
    )
    return reply


def _require_moderator(actor: User, reply: StaffReply) -> None:
    """Story moderators, and never on their own reply or a reply to their
    own story: nobody certifies their own change or earns their own trust."""
    if not access.is_story_moderator(actor):
        raise PermissionDenied("Only story moderators can do that.")
    if actor.pk in (reply.author_id, reply.story.author_id):
        raise PermissionDenied(
            "Another moderator must decide on a reply you wrote or a reply to "
            "your own story."
        )


def _locked(reply: StaffReply) -> StaffReply:
    """The reply read afresh under a row lock, so two moderators acting at
    once do not both publish it (and tell the storyteller twice)."""
    return (
        StaffReply.objects.select_for_update(of=("self",))
        .select_related("story__author", "organisation", "author")
        .get(pk=reply.pk)
    )


def _change_words(reply: StaffReply) -> str:
    return StaffReply.Change(reply.change).label.lower()


# Small steps ----------------------------------------------------------------------


def toggle_helpful(actor: User, *, reply: StaffReply) -> bool:
    """Rates a published reply helpful, or takes the rating back; True if
    it is rated now. Anyone signed in but the reply's author."""
    if not reply.is_public or not reply.story.is_public:
        raise PermissionDenied("You can rate published replies only.")
    if reply.author_id == actor.pk:
        raise ValidationError("You cannot rate your own reply.")
    ratelimit.check("story-step", actor.pk, limit=SMALL_STEPS_PER_MINUTE, period=60)
    with transaction.atomic():
        taken_back, _ = HelpfulRating.objects.filter(reply=reply, user=actor).delete()
        if taken_back:
            return False
        _create_once(HelpfulRating, reply=reply, user=actor)
    return True


def toggle_echo(actor: User, *, story: Story) -> bool:
    """ "I've experienced this too", or taking it back; True if it stands
    now. Anyone signed in but the storyteller, on published stories."""
    if not story.is_public:
        raise PermissionDenied("You can say this about published stories only.")
    if story.author_id == actor.pk:
        raise ValidationError("This is your own story.")
    ratelimit.check("story-step", actor.pk, limit=SMALL_STEPS_PER_MINUTE, period=60)
    with transaction.atomic():
        taken_back, _ = Echo.objects.filter(story=story, user=actor).delete()
        if taken_back:
            return False
        _create_once(Echo, story=story, user=actor)
    return True


def _create_once(model: type[HelpfulRating] | type[Echo], **fields: Any) -> None:
    """A double click sends two requests: when the other one made the row
    first, it stands, and this one agrees with it instead of failing."""
    try:
        with transaction.atomic():
            model.objects.create(**fields)
    except IntegrityError:
        pass


# What the story page shows -------------------------------------------------------


def story_context(user: Any, story: Story) -> dict[str, Any]:
    """The staff loop's part of the story page (see _staff_panel.html and
    _replies.html), in a fixed number of queries."""
    from kinwell.stories.forms.staff import ReplyForm

    signed_in = bool(getattr(user, "is_authenticated", False))
    can_reply = access.can_reply(user, story)
    my_helpful, storyteller_helpful = _helpful_of(user, story)
    echoes = echo_state(user, story)
    return {
        "replies": reply_list(user, story),
        "reads": read_summary(story),
        "can_reply": can_reply,
        "reply_form": ReplyForm(auto_id="reply-%s") if can_reply else None,
        "can_see_criticality": access.can_see_criticality(user, story),
        "criticality_meaning": criticality_meaning(story.criticality),
        "can_moderate_replies": access.is_story_moderator(user),
        "can_echo": signed_in and story.is_public and story.author_id != user.pk,
        "can_rate": signed_in,
        "my_helpful": my_helpful,
        "storyteller_helpful": storyteller_helpful,
        **echoes,
    }


def reply_list(user: Any, story: Story) -> list[StaffReply]:
    """The replies `user` may see, oldest first, each with `helpful_count`."""
    return list(
        access.visible_replies(user, story)
        .annotate(helpful_count=Count("ratings"))
        .order_by("created_at", "pk")
    )


def _helpful_of(user: Any, story: Story) -> tuple[set[int], set[int]]:
    """The ids of the story's replies the user rated, and those the
    storyteller rated (one query)."""
    people = {story.author_id}
    if getattr(user, "is_authenticated", False):
        people.add(user.pk)
    mine: set[int] = set()
    storyteller: set[int] = set()
    rated = HelpfulRating.objects.filter(
        reply__story=story, user_id__in=people
    ).values_list("reply_id", "user_id")
    for reply_id, user_id in rated:
        if user_id == getattr(user, "pk", None):
            mine.add(reply_id)
        if user_id == story.author_id:
            storyteller.add(reply_id)
    return mine, storyteller


def echo_state(user: Any, story: Story) -> dict[str, Any]:
    """How many said "I've experienced this too", and whether `user` did."""
    me = user.pk if getattr(user, "is_authenticated", False) else None
    counts = Echo.objects.filter(story=story).aggregate(
        total=Count("pk"), mine=Count("pk", filter=Q(user_id=me))
    )
    return {"echo_count": counts["total"], "echoed": bool(counts["mine"])}


def helpful_state(user: Any, reply: StaffReply) -> dict[str, Any]:
    """One reply's helpful count and who rated it, for its button alone."""
    me = user.pk if getattr(user, "is_authenticated", False) else None
    counts = HelpfulRating.objects.filter(reply=reply).aggregate(
        total=Count("pk"),
        mine=Count("pk", filter=Q(user_id=me)),
        storyteller=Count("pk", filter=Q(user_id=reply.story.author_id)),
    )
    reply.helpful_count = counts["total"]  # type: ignore[attr-defined]
    return {
        "reply": reply,
        "my_helpful": {reply.pk} if counts["mine"] else set(),
        "storyteller_helpful": {reply.pk} if counts["storyteller"] else set(),
        "can_rate": me is not None,
    }


def reply_queue(limit: int = 50) -> dict[str, list[StaffReply]]:
    """For story moderators: replies waiting, and published replies whose
    change waits for confirmation, oldest first."""
    replies = StaffReply.objects.select_related("story", "organisation").order_by(
        "created_at", "pk"
    )
    return {
        "waiting_replies": list(
            replies.filter(status=StaffReply.Status.PENDING)[:limit]
        ),
        "waiting_changes": list(
            replies.filter(
                status=StaffReply.Status.PUBLISHED, change_confirmed_at__isnull=True
            ).exclude(change="")[:limit]
        ),
    }


# Emails ------------------------------------------------------------------------------


def _tell_storyteller(story: Story, what: str) -> None:
    """The storyteller hears that something happened to story #id, with a
    link; what it was about stays on the site, behind their sign-in."""
    _email(
        f"Your story #{story.pk}",
        "stories/emails/storyteller.txt",
        {"story_id": story.pk, "what": what},
        [story.author.email],
    )


def _tell_moderators(reply: StaffReply, what: str) -> None:
    recipients = access.story_moderator_emails(besides=reply.author_id)
    if recipients:
        _email(
            f"{what} (story #{reply.story_id})",
            "stories/emails/reply_waiting.txt",
            {"reply": reply, "what": what},
            recipients,
        )


def _email(subject: str, template: str, context: dict[str, Any], to: list[str]) -> None:
    context = {
        **context,
        "site_url": settings.SITE_URL,
        "site_name": settings.SITE_NAME,
    }
    mail.send_after_commit(subject, render_to_string(template, context), to)
