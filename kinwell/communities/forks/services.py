"""Forks: any member may propose starting a new community from this one; each
member decides whether to join it and whether their past posts come along;
after the notice period the proposer confirms and the fork is made.

Organisers of the original cannot block a fork: nothing here asks for their
agreement. They take part as any member does, by commenting and choosing."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, User
from kinwell.communities.forks import copiers
from kinwell.communities.models import (
    Community,
    ForkChoice,
    ForkComment,
    ForkProposal,
    Membership,
)
from kinwell.lib import audit, mail

# A one-off decision in the ledger, referring to its proposal; it leaves the
# member's standing "take my posts along" consent (used by exports) untouched.
FORK_POSTS_PURPOSE = ConsentRecord.Purpose.FORK_POSTS


@transaction.atomic
def propose_fork(
    actor: User,
    *,
    community: Community,
    name: str,
    slug: str,
    reason: str,
    charter: str,
    bring_posts: bool,
    method: str = ConsentRecord.Method.WEB,
) -> ForkProposal:
    """Opens a proposal. The proposer joins the fork; whether their own posts
    come along is their decision like anyone else's."""
    now = timezone.now()
    proposal = ForkProposal(
        community=community,
        proposer=actor,
        name=name.strip(),
        slug=slug.strip().lower(),
        reason=reason.strip(),
        charter=charter.strip(),
        created_at=now,
        confirmable_at=now + timedelta(days=community.fork_notice_days),
    )
    proposal.full_clean(exclude=["community", "proposer", "fork"])
    _require_free_slug(proposal.slug)
    proposal.save()
    audit.record(actor, "fork.propose", proposal)
    _save_choice(actor, proposal, joins=True, bring_posts=bring_posts, method=method)
    _notify_members_of_proposal(proposal)
    return proposal


def _require_free_slug(slug: str) -> None:
    if Community.objects.filter(slug=slug).exists():
        raise ValidationError(
            {
                "slug": "Another community already uses this web address. "
                "Choose another one."
            }
        )
    if ForkProposal.objects.filter(slug=slug, status=ForkProposal.Status.OPEN).exists():
        raise ValidationError(
            {
                "slug": "An open fork proposal already uses this web address. "
                "Choose another one."
            }
        )


@transaction.atomic
def choose_fork(
    actor: User,
    *,
    proposal: ForkProposal,
    joins: bool,
    bring_posts: bool,
    method: str = ConsentRecord.Method.WEB,
) -> ForkChoice:
    """Records, or changes, a member's answer. Answers can change until the
    proposal is confirmed or withdrawn."""
    _lock_open(proposal, "Choices can no longer change: this proposal is closed.")
    return _save_choice(
        actor, proposal, joins=joins, bring_posts=bring_posts, method=method
    )


def _save_choice(
    actor: User, proposal: ForkProposal, *, joins: bool, bring_posts: bool, method: str
) -> ForkChoice:
    previous = ForkChoice.objects.filter(proposal=proposal, user=actor).first()
    choice, _ = ForkChoice.objects.update_or_create(
        proposal=proposal,
        user=actor,
        defaults={
            "community": proposal.community,
            "joins": joins,
            "bring_posts": bring_posts,
            "updated_at": timezone.now(),
        },
    )
    if previous is None or previous.bring_posts != bring_posts:
        # Consent is a decision in the member's ledger, appended only when the
        # decision itself is new or changes.
        account_services.record_consent(
            actor,
            user=actor,
            purpose=FORK_POSTS_PURPOSE,
            given=bring_posts,
            method=method,
            reference=f"fork_proposal:{proposal.pk}",
        )
    audit.record(actor, "fork.choose", choice, subject=actor)
    return choice


@transaction.atomic
def comment_on_fork(actor: User, *, proposal: ForkProposal, body: str) -> ForkComment:
    _lock_open(proposal, "Comments are closed: this proposal is closed.")
    comment = ForkComment(
        proposal=proposal,
        community=proposal.community,
        author=actor,
        body=body.strip(),
    )
    comment.full_clean(exclude=["proposal", "community", "author"])
    comment.save()
    audit.record(actor, "fork.comment", comment)
    return comment


@transaction.atomic
def withdraw_fork(actor: User, *, proposal: ForkProposal) -> ForkProposal:
    _require_proposer(actor, proposal, "withdraw")
    _lock_open(proposal, "This proposal is already closed.")
    proposal.status = ForkProposal.Status.WITHDRAWN
    proposal.save(update_fields=["status"])
    audit.record(actor, "fork.withdraw", proposal)
    return proposal


@transaction.atomic
def confirm_fork(actor: User, *, proposal: ForkProposal) -> Community:
    """Makes the fork: a new community with the original's settings and the
    proposed charter, the members who chose to join (the proposer as its
    organiser), and copies of content through the registered copiers. The
    original is not changed; the two link to each other through provenance."""
    _require_proposer(actor, proposal, "confirm")
    _lock_open(proposal, "This proposal is already closed.")
    now = timezone.now()
    if now < proposal.confirmable_at:
        when = date_format(timezone.localtime(proposal.confirmable_at), "j F Y, H:i")
        raise ValidationError(
            f"The notice period is still running. You can confirm from {when}."
        )
    original = proposal.community
    joiner_ids = _joiner_ids(proposal)
    if actor.pk not in joiner_ids:
        raise ValidationError("Choose to join the new community before confirming.")
    _require_free_slug_for_fork(proposal.slug)
    fork = _create_fork(proposal, original, now)
    _add_members(fork, actor, joiner_ids)
    consenting = frozenset(
        proposal.choices.filter(bring_posts=True).values_list("user_id", flat=True)
    )
    copiers.copy_content(original, fork, consenting)
    proposal.status = ForkProposal.Status.CONFIRMED
    proposal.confirmed_at = now
    proposal.fork = fork
    proposal.save(update_fields=["status", "confirmed_at", "fork"])
    audit.record(actor, "fork.confirm", proposal)
    _notify_joiners(proposal, joiner_ids - {actor.pk})
    return fork


def _joiner_ids(proposal: ForkProposal) -> set[int]:
    """Members who chose to join and still belong to the original."""
    return set(
        proposal.choices.filter(
            joins=True, user__memberships__community=proposal.community
        ).values_list("user_id", flat=True)
    )


def _require_free_slug_for_fork(slug: str) -> None:
    # Checked again: a community may have taken the address since the proposal.
    if Community.objects.filter(slug=slug).exists():
        raise ValidationError(
            "Another community now uses this proposal's web address. Withdraw "
            "it and propose again with another address."
        )


def _create_fork(
    proposal: ForkProposal, original: Community, now: datetime
) -> Community:
    return Community.objects.create(
        name=proposal.name,
        slug=proposal.slug,
        topic=original.topic,
        description=original.description,
        charter=proposal.charter,
        visibility=original.visibility,
        join_policy=original.join_policy,
        join_question=original.join_question,
        size_cap=original.size_cap,
        fork_notice_days=original.fork_notice_days,
        # A fork is a split of the same group: a sibling in the same cluster.
        cluster=original.cluster,
        forked_from=original,
        forked_at=now,
    )


def _add_members(fork: Community, proposer: User, joiner_ids: set[int]) -> None:
    Membership.objects.bulk_create(
        [
            Membership(
                community=fork,
                user_id=user_id,
                role=(
                    Membership.Role.ORGANISER
                    if user_id == proposer.pk
                    else Membership.Role.MEMBER
                ),
            )
            for user_id in sorted(joiner_ids)
        ]
    )


def _lock_open(proposal: ForkProposal, message: str) -> None:
    # Read the status again under a row lock: the caller's copy may be stale,
    # and a choice must not slip in beside a confirmation.
    current = (
        ForkProposal.objects.select_for_update()
        .filter(pk=proposal.pk)
        .values_list("status", flat=True)
        .first()
    )
    if current != ForkProposal.Status.OPEN:
        raise ValidationError(message)


def _require_proposer(actor: User, proposal: ForkProposal, verb: str) -> None:
    if proposal.proposer_id != actor.pk:
        raise ValidationError(f"Only the member who proposed this fork can {verb} it.")


# Mail ----------------------------------------------------------------------


def _proposal_url(proposal: ForkProposal) -> str:
    path = reverse(
        "communities:fork_proposal", args=[proposal.community.slug, proposal.pk]
    )
    return f"{settings.SITE_URL}{path}"


def _notify_members_of_proposal(proposal: ForkProposal) -> None:
    """One email to each member of the original but the proposer. It names no
    community and quotes nothing: the page behind the link says the rest."""
    recipients = User.objects.filter(
        memberships__community=proposal.community, is_active=True
    ).exclude(pk=proposal.proposer_id)
    body = render_to_string(
        "communities/forks/email/proposal_opened.txt",
        {"proposal": proposal, "proposal_url": _proposal_url(proposal)},
    )
    for email in recipients.values_list("email", flat=True):
        mail.send_after_commit("A member has proposed a fork", body, [email])


def _notify_joiners(proposal: ForkProposal, user_ids: set[int]) -> None:
    body = render_to_string(
        "communities/forks/email/fork_confirmed.txt",
        {"proposal_url": _proposal_url(proposal)},
    )
    recipients = User.objects.filter(pk__in=user_ids, is_active=True)
    for email in recipients.values_list("email", flat=True):
        mail.send_after_commit("The fork you chose to join now exists", body, [email])
