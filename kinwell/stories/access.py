"""The only door to organisations' staff powers, stories and staff replies.

- Organisations, their service trees and published stories are public.
- A story that is not published is for its author and the story moderators
  alone; everyone else gets Http404.
- A story's criticality and the staff-only parts of a story (who read it,
  alerts) are for the staff of the organisations it is about and for story
  moderators.
- Staff powers need two-factor authentication, as every other power does:
  the functions that hand them out call `require_mfa`, which the views turn
  into a redirect to set it up (accounts.decorators.mfa_gate)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from kinwell.accounts import access as account_access
from kinwell.accounts.access import require_mfa
from kinwell.accounts.models import User
from kinwell.discussions import access as discussion_access
from kinwell.discussions.models import Post
from kinwell.stories.models import (
    Organisation,
    Redaction,
    Service,
    StaffMembership,
    StaffReply,
    Story,
    StoryQuerySet,
    StoryService,
)


def _is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


# Who someone is, for stories ------------------------------------------------


def has_mfa(user: Any) -> bool:
    """Whether the user has two-factor authentication, asked once per
    request's user (a story page asks several times)."""
    if not hasattr(user, "_story_has_mfa"):
        user._story_has_mfa = account_access.has_mfa(user)
    found: bool = user._story_has_mfa
    return found


def is_story_moderator(user: Any) -> bool:
    """Story moderators, and the installation's administrators."""
    if not _is_signed_in(user):
        return False
    return bool(user.is_story_moderator or user.is_staff)


def story_moderator_emails(*, besides: int) -> list[str]:
    """Where to tell the story moderators (as is_story_moderator counts
    them) that something waits, leaving out `besides`, the person whose
    story or reply it is."""
    return list(
        User.objects.filter(Q(is_story_moderator=True) | Q(is_staff=True))
        .filter(is_active=True)
        .exclude(pk=besides)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def staff_roles(user: Any) -> list[StaffMembership]:
    """The user's staff memberships, looked up once per request's user."""
    if not _is_signed_in(user):
        return []
    if not hasattr(user, "_story_staff_roles"):
        user._story_staff_roles = list(
            StaffMembership.objects.filter(user=user).select_related("organisation")
        )
    found: list[StaffMembership] = user._story_staff_roles
    return found


def require_staff(user: Any) -> list[StaffMembership]:
    """The user's staff memberships, for the staff pages and alerts:
    PermissionDenied for someone on no organisation's staff, and two-factor
    authentication first for those who are."""
    roles = staff_roles(user)
    if not roles:
        raise PermissionDenied("This is for the staff of organisations.")
    require_mfa(user)
    return roles


def staff_role(user: Any, organisation: Organisation) -> StaffMembership | None:
    for role in staff_roles(user):
        if role.organisation_id == organisation.pk:
            return role
    return None


def is_staff_of_story(user: Any, story: Story) -> bool:
    """On the staff of an organisation the story is about."""
    return bool(staff_role_for_story(user, story))


def staff_role_for_story(user: Any, story: Story) -> StaffMembership | None:
    """The user's staff membership at one of the organisations the story is
    about (the first, by organisation name), or None."""
    roles = {role.organisation_id: role for role in staff_roles(user)}
    if not roles:
        return None
    for organisation_id in organisations_of(story):
        if organisation_id in roles:
            return roles[organisation_id]
    return None


def organisations_of(story: Story) -> list[int]:
    """The ids of the organisations a story is about, once per story object."""
    if not hasattr(story, "_organisation_ids"):
        story._organisation_ids = list(  # type: ignore[attr-defined]
            Organisation.objects.filter(services__stories=story)
            .order_by("name")
            .values_list("pk", flat=True)
            .distinct()
        )
    found: list[int] = story._organisation_ids  # type: ignore[attr-defined]
    return found


# Organisations -----------------------------------------------------------------


def get_organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug)


def get_service(organisation: Organisation, service_id: int) -> Service:
    return get_object_or_404(Service, organisation=organisation, pk=service_id)


def get_organisation_for_admin(user: Any, slug: str) -> Organisation:
    """The organisation, for one of its admins or an installation
    administrator; PermissionDenied for anyone else (the organisation is
    public, so its existence is no secret)."""
    organisation = get_organisation(slug)
    if not can_manage_organisation(user, organisation):
        raise PermissionDenied
    require_mfa(user)
    return organisation


def can_manage_organisation(user: Any, organisation: Organisation) -> bool:
    if not _is_signed_in(user):
        return False
    if user.is_staff:
        return True
    role = staff_role(user, organisation)
    return role is not None and role.is_admin


def can_create_organisation(user: Any) -> bool:
    return _is_signed_in(user) and bool(user.is_staff)


# Stories -----------------------------------------------------------------------


def readable_stories(user: Any) -> QuerySet[Story]:
    """Published stories, and the user's own in any state; every story for
    story moderators who use two-factor authentication (a password alone
    must not open what is not published)."""
    if is_story_moderator(user) and has_mfa(user):
        return Story.objects.all()
    if _is_signed_in(user):
        return Story.objects.filter(Q(status=Story.Status.PUBLISHED) | Q(author=user))
    return Story.objects.filter(status=Story.Status.PUBLISHED)


def get_story_for_user(user: Any, story_id: int) -> Story:
    """The story, or Http404 for anyone who may not read it."""
    return get_object_or_404(
        readable_stories(user).select_related("author"), pk=story_id
    )


def get_own_story(user: Any, story_id: int) -> Story:
    """The author's own story (Http404 for anyone else, moderators included:
    only the author edits or withdraws it)."""
    if not _is_signed_in(user):
        raise Http404
    return get_object_or_404(
        Story.objects.select_related("author"), pk=story_id, author=user
    )


def require_story_moderator(user: Any) -> None:
    """For pages of story moderators that are about no one story (the
    queue): Http404 for everyone else, as get_story_for_moderator."""
    if not is_story_moderator(user):
        raise Http404
    require_mfa(user)


def get_story_for_moderator(user: Any, story_id: int) -> Story:
    """For story moderators only: Http404 for everyone else, who may not
    even know an unpublished story exists."""
    if not is_story_moderator(user):
        raise Http404
    require_mfa(user)
    return get_object_or_404(Story.objects.select_related("author"), pk=story_id)


def stories_for_staff(user: Any) -> StoryQuerySet:
    """Published stories about the organisations the user is on the staff
    of: the ones whose criticality they may see (with two-factor
    authentication, which the staff pages ask for first)."""
    organisations = [role.organisation_id for role in staff_roles(user)]
    about_theirs = StoryService.objects.filter(
        service__organisation_id__in=organisations
    ).values("story_id")
    return Story.objects.published().filter(pk__in=about_theirs)


def get_own_post_for_story(user: Any, post_id: int) -> Post:
    """The discussion post a story may start from: the user's own, not
    deleted, and one they may still read; Http404 for any other."""
    post = get_object_or_404(
        Post.objects.select_related("community").exclude(status=Post.Status.DELETED),
        pk=post_id,
        author_id=getattr(user, "pk", None),
    )
    return discussion_access.get_post_for_user(user, post.community.slug, post.pk)


def can_see_criticality(user: Any, story: Story) -> bool:
    """Staff of the story's organisations and story moderators, with
    two-factor authentication, as every use of their powers."""
    powers = is_story_moderator(user) or is_staff_of_story(user, story)
    return powers and has_mfa(user)


def get_own_redaction(user: Any, story: Story, redaction_id: int) -> Redaction:
    if story.author_id != getattr(user, "pk", None):
        raise Http404
    return get_object_or_404(Redaction, story=story, pk=redaction_id)


# Staff replies -----------------------------------------------------------------


def responder_role(user: Any, story: Story) -> StaffMembership:
    """The staff membership under which `user` may reply to `story`:
    PermissionDenied unless they are a responder or admin of an organisation
    the story is about and the story is published."""
    if not story.is_public:
        raise PermissionDenied
    for role in staff_roles(user):
        if role.may_respond and role.organisation_id in organisations_of(story):
            require_mfa(user)
            return role
    raise PermissionDenied


def can_reply(user: Any, story: Story) -> bool:
    if not story.is_public:
        return False
    return any(
        role.may_respond and role.organisation_id in organisations_of(story)
        for role in staff_roles(user)
    )


def visible_replies(user: Any, story: Story) -> QuerySet[StaffReply]:
    """A story's published replies; story moderators also see those waiting
    or refused, and a reply's author sees their own."""
    replies = StaffReply.objects.filter(story=story).select_related("organisation")
    if is_story_moderator(user) and has_mfa(user):
        return replies
    if _is_signed_in(user):
        return replies.filter(Q(status=StaffReply.Status.PUBLISHED) | Q(author=user))
    return replies.filter(status=StaffReply.Status.PUBLISHED)


def get_reply_for_user(user: Any, reply_id: int) -> StaffReply:
    """A reply the user may see, on a story they may read; Http404 otherwise."""
    reply = get_object_or_404(
        StaffReply.objects.select_related("story", "organisation"), pk=reply_id
    )
    story = get_story_for_user(user, reply.story_id)
    if not visible_replies(user, story).filter(pk=reply.pk).exists():
        raise Http404
    return reply


def get_reply_for_moderator(user: Any, reply_id: int) -> StaffReply:
    if not is_story_moderator(user):
        raise Http404
    require_mfa(user)
    return get_object_or_404(
        StaffReply.objects.select_related("story", "organisation"), pk=reply_id
    )
