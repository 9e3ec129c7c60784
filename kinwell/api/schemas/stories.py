"""Shapes of the care stories API: what goes in, what comes out. No rules
here; those live in kinwell.stories.access and the stories services.

What the public sees of a story is what a visitor sees on the website: the
signature (a pseudonym unless the storyteller chose their name), never the
author's account, never a draft, never the criticality. Staff replies show
the organisation and the job title, never the staff member's account."""

from datetime import date, datetime
from typing import Annotated, Any

from django.db import models
from ninja import Schema
from pydantic import Field

from kinwell.api.schemas.fields import (
    MAX_ID,
    NO_NUL,
    InputSchema,
    enum_schema,
    max_length,
    one_of,
    optional_text,
    text,
)
from kinwell.stories.models import (
    Feeling,
    Organisation,
    Reason,
    Redaction,
    Service,
    StaffAlert,
    StaffMembership,
    StaffReply,
    Story,
)
from kinwell.stories.stats import Figures

StoryStatus = Annotated[str, one_of(Story.Status), enum_schema(Story.Status)]
AuthorRole = Annotated[str, one_of(Story.AuthorRole), enum_schema(Story.AuthorRole)]
FeelingTag = Annotated[str, one_of(Feeling), enum_schema(Feeling)]
ServiceKind = Annotated[str, one_of(Service.Kind), enum_schema(Service.Kind)]
ReplyStatus = Annotated[str, one_of(StaffReply.Status), enum_schema(StaffReply.Status)]
Change = Annotated[str, one_of(StaffReply.Change), enum_schema(StaffReply.Change)]
DecisionReason = Annotated[str, one_of(Reason), enum_schema(Reason)]
RedactionField = Annotated[str, one_of(Redaction.Field), enum_schema(Redaction.Field)]
RedactionStatus = Annotated[
    str, one_of(Redaction.Status), enum_schema(Redaction.Status)
]
StaffRole = Annotated[
    str, one_of(StaffMembership.Role), enum_schema(StaffMembership.Role)
]
Delivery = Annotated[str, one_of(StaffAlert.Delivery), enum_schema(StaffAlert.Delivery)]
# Not strict: JSON's 3.0 is the integer 3 (but 3.5 is refused).
Criticality = Annotated[
    int,
    Field(
        ge=0,
        le=5,
        strict=False,
        description="0 (nothing went wrong) to 5 (severe harm).",
    ),
]
Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=False)]


def blank(model: type[models.Model], field: str) -> Any:
    """A string no longer than `model.field` allows, empty when left out."""
    return Field("", max_length=max_length(model, field), pattern=NO_NUL)


# Organisations and their services ------------------------------------------


class OrganisationOut(Schema):
    slug: str
    name: str
    code: str = Field(description="A national code (e.g. an ODS code), or empty.")
    location: str
    description: str


class ServiceOut(Schema):
    id: int
    name: str
    kind: ServiceKind
    code: str
    location: str
    parent_id: int | None = Field(description="Null at the top of the tree.")
    path: str = Field(
        description="The ids from the top of the tree down to this service: '/4/17/'."
    )
    depth: int = Field(description="0 at the top of the tree.")


class OrganisationDetailOut(OrganisationOut):
    services: list[ServiceOut] = Field(
        description="The whole service tree, flat, each parent before its children."
    )


class ServiceRefOut(Schema):
    id: int
    name: str
    organisation: str = Field(description="The slug of its organisation.")

    @staticmethod
    def resolve_organisation(service: Service) -> str:
        return service.organisation.slug


class ServiceIn(InputSchema):
    name: str = text(Service, "name", min_length=1)
    kind: ServiceKind
    code: str = blank(Service, "code")
    location: str = blank(Service, "location")
    parent: Id | None = Field(
        None, description="The id of the service above it; null at the top."
    )


class ServicePatch(InputSchema):
    name: str | None = optional_text(Service, "name")
    kind: ServiceKind | None = None
    code: str | None = optional_text(Service, "code")
    location: str | None = optional_text(Service, "location")
    parent: Id | None = Field(
        None,
        description="Moves the service (and everything below it) under "
        "another; null moves it to the top; leave it out to keep it where it is.",
    )


class StaffOut(Schema):
    id: int
    name: str = Field(description="The staff member's display name.")
    role: StaffRole
    job_title: str
    created_at: datetime

    @staticmethod
    def resolve_name(staff: StaffMembership) -> str:
        return staff.user.public_name


class StaffIn(InputSchema):
    email: str = Field(
        min_length=3,
        max_length=254,
        pattern=NO_NUL,
        description="The email of an existing account.",
    )
    role: StaffRole
    job_title: str = text(StaffMembership, "job_title", min_length=1)


class StaffPatch(InputSchema):
    role: StaffRole | None = None
    job_title: str | None = optional_text(StaffMembership, "job_title")


# Statistics ----------------------------------------------------------------


class MonthOut(Schema):
    month: date = Field(description="The first day of the month.")
    stories: int = Field(description="Stories published that month.")


class FiguresOut(Schema):
    """What each figure means is on the website's statistics pages."""

    stories: int = Field(description="Stories published, each counted once.")
    responded: int = Field(
        description="Of those, how many have a published reply from the "
        "organisation concerned."
    )
    responded_share: float | None = Field(
        description="responded / stories, 0 to 1; null when there are no stories."
    )
    median_first_response_seconds: int | None = Field(
        description="The median time from publication to a first published "
        "reply, over the stories answered; null when none was."
    )
    median_first_response: str = Field(description="The same, in words.")
    changes_planned: int = Field(
        description="Stories with a change planned (not yet made), confirmed "
        "by a moderator."
    )
    changes_made: int = Field(
        description="Stories with a change made, confirmed by a moderator."
    )
    critical_changed_share: float | None = Field(
        description="The share (0 to 1) of critical stories that led to a "
        "change; null when withheld (see critical_note)."
    )
    critical_note: str = Field(description="Why the share is withheld, if it is.")
    per_month: list[MonthOut] = Field(description="The last twelve months.")

    @staticmethod
    def resolve_median_first_response_seconds(figures: Figures) -> int | None:
        wait = figures.median_first_response
        return None if wait is None else int(wait.total_seconds())

    @staticmethod
    def resolve_median_first_response(figures: Figures) -> str:
        return figures.median_wait_words

    @staticmethod
    def resolve_per_month(figures: Figures) -> list[dict[str, Any]]:
        return [
            {"month": month, "stories": count} for month, count in figures.per_month
        ]


# Replies -------------------------------------------------------------------


class ReplyOut(Schema):
    id: int
    story_id: int
    organisation_slug: str
    organisation_name: str
    job_title: str
    body: str = Field(description="Markdown, as written.")
    body_html: str = Field(description="The body rendered and sanitised.")
    status: ReplyStatus
    change: Change = Field(description="planned, made, or empty for none.")
    change_description: str
    change_confirmed: bool = Field(
        description="Whether a moderator confirmed the change."
    )
    change_confirmed_at: datetime | None
    helpful_count: int = Field(description="How many found it helpful.")
    created_at: datetime
    published_at: datetime | None

    @staticmethod
    def resolve_organisation_slug(reply: StaffReply) -> str:
        return reply.organisation.slug

    @staticmethod
    def resolve_organisation_name(reply: StaffReply) -> str:
        return reply.organisation.name

    @staticmethod
    def resolve_change_confirmed(reply: StaffReply) -> bool:
        return reply.change_confirmed

    @staticmethod
    def resolve_helpful_count(reply: StaffReply) -> int:
        # Lists annotate the count; a single reply may come without it.
        count = getattr(reply, "helpful_count", None)
        return reply.ratings.count() if count is None else int(count)


class StaffReplyIn(InputSchema):
    body: str = text(StaffReply, "body", min_length=1)
    change: Change = StaffReply.Change.NONE
    change_description: str = blank(StaffReply, "change_description")


class ReplyQueueOut(Schema):
    waiting_replies: list[ReplyOut] = Field(
        description="Replies waiting for a moderator, oldest first (at most 50)."
    )
    waiting_changes: list[ReplyOut] = Field(
        description="Published replies whose change waits for confirmation."
    )


class ChangeOut(Schema):
    reply_id: int
    organisation_slug: str
    change: Change
    description: str
    confirmed_at: datetime


class ReadsOut(Schema):
    staff: int = Field(description="How many staff members read the story.")
    organisations: int = Field(description="At how many organisations.")
    job_titles: list[str] = Field(
        description="Their job titles, when the storyteller asked to show them."
    )


class HelpfulOut(Schema):
    helpful: bool = Field(description="Whether you now find the reply helpful.")
    helpful_count: int


class EchoOut(Schema):
    echoed: bool = Field(description="Whether you now say you experienced it too.")
    echo_count: int


class ReplyPublishIn(InputSchema):
    confirm_change: bool = Field(
        False, description="Confirm the change the reply marks, too."
    )


class ReplyRejectIn(InputSchema):
    note: str = blank(StaffReply, "moderator_note")


# Stories -------------------------------------------------------------------


class StoryListOut(Schema):
    id: int
    title: str
    signature: str = Field(
        description="Who it is by, as shown: a pseudonym unless they chose "
        "their name, and their role."
    )
    author_role: AuthorRole
    feelings: list[FeelingTag]
    services: list[ServiceRefOut]
    published_at: datetime | None

    # The story pages below are built as dicts, holding these already.
    @staticmethod
    def resolve_signature(story: Story | dict[str, Any]) -> str:
        if isinstance(story, dict):
            return str(story["signature"])
        return story.signature

    @staticmethod
    def resolve_services(story: Story | dict[str, Any]) -> list[Any]:
        if isinstance(story, dict):
            return list(story["services"])
        return list(story.services.all())


class StoryCardOut(StoryListOut):
    reply_count: int = Field(description="Published replies.")
    change_planned: bool = Field(description="A confirmed change is planned.")
    change_made: bool = Field(description="A confirmed change was made.")


class PublicStoryOut(StoryListOut):
    what_happened: str = Field(description="Markdown, as written.")
    what_was_good: str
    what_could_be_better: str
    body_html: str = Field(description="The three parts rendered and sanitised.")
    replies: list[ReplyOut] = Field(description="Published replies, oldest first.")
    changes: list[ChangeOut] = Field(
        description="The changes planned or made, confirmed by a moderator."
    )
    reads: ReadsOut
    echo_count: int = Field(description="How many said they experienced it too.")


class RedactionOut(Schema):
    id: int
    story_id: int
    field: RedactionField
    original: str
    replacement: str
    note: str
    status: RedactionStatus
    created_at: datetime
    decided_at: datetime | None


class StoryOut(PublicStoryOut):
    status: StoryStatus
    criticality: int | None = Field(
        description="For staff of the organisations it is about and story "
        "moderators; null for everyone else, and until a moderator sets it."
    )
    moderator_note: str | None = Field(
        description="The moderator's note, for the author and moderators."
    )
    redactions: list[RedactionOut] = Field(
        description="Redactions waiting for the author (author and moderators)."
    )
    is_author: bool
    echoed: bool = Field(description="Whether you said you experienced it too.")
    helpful_replies: list[int] = Field(
        description="The ids of the replies you found helpful."
    )
    can_reply: bool
    created_at: datetime
    submitted_at: datetime
    withdrawn_at: datetime | None


class OwnStoryOut(StoryListOut):
    status: StoryStatus
    what_happened: str
    what_was_good: str
    what_could_be_better: str
    body_html: str
    pseudonym: str
    show_name: bool
    show_reader_titles: bool
    moderator_note: str
    redactions: list[RedactionOut] = Field(description="Waiting for you.")
    created_at: datetime
    submitted_at: datetime
    withdrawn_at: datetime | None


class ModerationStoryOut(OwnStoryOut):
    criticality: int | None
    source_post_id: int | None


class StoryIn(InputSchema):
    services: list[Id] = Field(
        min_length=1, max_length=20, description="The ids of the services."
    )
    title: str = text(Story, "title", min_length=1)
    what_happened: str = text(Story, "what_happened", min_length=1)
    what_was_good: str = blank(Story, "what_was_good")
    what_could_be_better: str = blank(Story, "what_could_be_better")
    feelings: list[FeelingTag] = Field(default_factory=list, max_length=10)
    author_role: AuthorRole
    pseudonym: str = Field(
        "",
        max_length=max_length(Story, "pseudonym"),
        pattern=NO_NUL,
        description="Left empty, one is made up for you.",
    )
    show_name: bool = Field(False, description="Show your name, not a pseudonym.")
    show_reader_titles: bool = Field(
        False, description="Show the job titles of the staff who read it."
    )
    source_post: Id | None = Field(
        None, description="The id of your own discussion post it began as."
    )
    patient_consented: bool = Field(
        False, description="Needed when a member of staff tells it for a patient."
    )


class StoryPatch(InputSchema):
    """Fields left out keep their value."""

    services: list[Id] | None = Field(None, min_length=1, max_length=20)
    title: str | None = Field(
        None, min_length=1, max_length=max_length(Story, "title"), pattern=NO_NUL
    )
    what_happened: str | None = Field(
        None, min_length=1, max_length=20000, pattern=NO_NUL
    )
    what_was_good: str | None = Field(None, max_length=5000, pattern=NO_NUL)
    what_could_be_better: str | None = Field(None, max_length=5000, pattern=NO_NUL)
    feelings: list[FeelingTag] | None = Field(None, max_length=10)
    author_role: AuthorRole | None = None
    pseudonym: str | None = optional_text(Story, "pseudonym")
    show_name: bool | None = None
    show_reader_titles: bool | None = None
    patient_consented: bool | None = Field(
        None,
        description="For a story a member of staff tells for a patient; kept "
        "as given when it was told, unless sent.",
    )


class StoryPublishIn(InputSchema):
    criticality: Criticality | None = Field(
        None, description="Needed unless it was set before."
    )


class StoryRejectIn(InputSchema):
    reason: DecisionReason
    note: str = blank(Story, "moderator_note")


class StoryReturnIn(InputSchema):
    reason: DecisionReason
    note: str = text(Story, "moderator_note", min_length=1)


class CriticalityIn(InputSchema):
    criticality: Criticality


class RedactionIn(InputSchema):
    field: RedactionField
    original: str = text(Redaction, "original", min_length=1)
    replacement: str = blank(Redaction, "replacement")
    note: str = blank(Redaction, "note")


# Staff alerts --------------------------------------------------------------


class AlertOut(Schema):
    id: int
    organisation: str = Field(description="The slug of the organisation.")
    service_id: int | None = Field(description="Null: the whole organisation.")
    min_criticality: int
    delivery: Delivery
    created_at: datetime

    @staticmethod
    def resolve_organisation(alert: StaffAlert) -> str:
        return alert.staff.organisation.slug


class AlertIn(InputSchema):
    organisation: str = Field(
        min_length=1,
        max_length=max_length(Organisation, "slug"),
        pattern=NO_NUL,
        description="The slug of an organisation you are on the staff of.",
    )
    service: Id | None = Field(
        None, description="A service and everything below it; null for all."
    )
    min_criticality: Criticality = 0
    delivery: Delivery = StaffAlert.Delivery.AT_ONCE
