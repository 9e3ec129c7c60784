"""The only door to members' tracking records.

A member's records are theirs. A carer reaches them only through an active
delegation: "track for me" lets them record for the member, "read my private
data" lets them see what is recorded. Nobody else may, moderators and
administrators included: every record outside the reader's reach is a 404,
so its existence is never confirmed.

`records_owner` decides whose records a request is about. The website passes
the delegation a carer is acting under (request.acting_for); the API passes
the `delegation` query parameter, resolved by `delegation_for_api`."""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from kinwell.accounts.access import get_active_delegation
from kinwell.accounts.models import Delegation, User
from kinwell.lib import audit
from kinwell.tracking.models import CheckIn, MemberCondition, TrackedSymptom

READ = Delegation.Scope.READ
TRACK = Delegation.Scope.TRACK


class NotAllowedForCarer(PermissionDenied):
    """A carer acting for a member whose delegation lacks the scope."""


def records_owner(user: Any, acting_for: Delegation | None, *, scope: str) -> User:
    """Whose records `user` reads (scope READ) or writes (scope TRACK).

    Without a delegation, their own. Under a delegation, the member's, if it
    is active, belongs to `user` as carer and grants the scope; a carer
    without the scope gets NotAllowedForCarer (403: they know the member)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("Not found")
    if acting_for is None:
        return user  # type: ignore[no-any-return]
    if acting_for.carer_id != user.pk or acting_for.status != Delegation.Status.ACTIVE:
        raise Http404("Not found")
    if not acting_for.allows(scope):
        raise NotAllowedForCarer(_missing_scope_message(acting_for, scope))
    return acting_for.member


def delegation_for_api(user: Any, delegation_id: int | None) -> Delegation | None:
    """The delegation named by the API's `delegation` parameter: one the caller
    is the active carer of, or Http404."""
    if delegation_id is None:
        return None
    delegation = get_active_delegation(user, delegation_id)
    if delegation is None:
        raise Http404("No such delegation")
    return delegation


def is_carer_reading(user: Any, owner: User) -> bool:
    return bool(getattr(user, "pk", None) != owner.pk)


def record_carer_access(user: Any, owner: User, action: str, obj: Any) -> None:
    """A carer's read or write of a member's records goes on the member's
    "Access to my data". A member's own use of their records does not."""
    if is_carer_reading(user, owner):
        audit.record(user, action, obj, subject=owner)


def own_or_404[T](obj: T | None, owner: User) -> T:
    """`obj` if it belongs to `owner`, else Http404."""
    if obj is None or getattr(obj, "user_id", None) != owner.pk:
        raise Http404("Not found")
    return obj


def _missing_scope_message(delegation: Delegation, scope: str) -> str:
    name = delegation.member.public_name
    if scope == READ:
        return (
            f"Your arrangement with {name} lets you record for them, "
            "not read their records."
        )
    return (
        f"Your arrangement with {name} lets you read their records, "
        "not record for them."
    )


# Personal records (check-ins, conditions, tracked symptoms) ------------------

from kinwell.accounts.access import can_act_for  # noqa: E402

# A carer who may record but not read checks in for recent days only: enough
# to catch up on a missed check-in. They never see a check-in, so they may
# neither replace nor delete one (kinwell.tracking.checkins refuses too).
TRACK_ONLY_DAYS = 7


def reading_owner(user: Any, acting_for: Delegation | None, *, page: str) -> User:
    """Whose records `user` reads on `page`; a carer's read is audited."""
    owner = records_owner(user, acting_for, scope=READ)
    record_carer_access(user, owner, f"tracking.view_{page}", owner)
    return owner


def rating_owner(user: Any, acting_for: Delegation | None, *, page: str) -> User:
    """Whose records `user` looks at on `page` when what it shows is needed
    to record as well as to read: the symptoms rated now, which one must see
    named to rate them. A carer with either scope; their look is audited."""
    scope = TRACK if _tracks_only(acting_for) else READ
    owner = records_owner(user, acting_for, scope=scope)
    record_carer_access(user, owner, f"tracking.view_{page}", owner)
    return owner


def changing_owner(user: Any, acting_for: Delegation | None) -> User:
    """Whose records `user` changes where the change acts on what is
    recorded (deleting a check-in or an answer, an import that reports what
    exists): nobody knowingly changes what they may not see, so a carer
    needs both scopes."""
    records_owner(user, acting_for, scope=READ)
    return records_owner(user, acting_for, scope=TRACK)


def may_see_records(user: Any, owner: User) -> bool:
    """Whether `user` may read `owner`'s records, for the services, which
    know the owner rather than the delegation: themselves, or their carer
    with "read my private data"."""
    return bool(user.pk == owner.pk or can_act_for(user, owner, READ))


def may_track(user: Any, acting_for: Delegation | None) -> bool:
    """Whether `user` may record in the records they are looking at."""
    return acting_for is None or acting_for.allows(TRACK)


def may_read(user: Any, acting_for: Delegation | None) -> bool:
    return acting_for is None or acting_for.allows(READ)


def check_in_owner(
    user: Any, acting_for: Delegation | None, day: date, *, scope: str
) -> User:
    """Whose check-in of `day` `user` reads (scope READ) or records (TRACK).

    Reading always needs the read scope. A carer with "track for me" alone
    records only for the last TRACK_ONLY_DAYS days, and only a day without a
    check-in (checkins.record_check_in refuses to replace one for them)."""
    owner = records_owner(user, acting_for, scope=scope)
    if (
        acting_for is not None
        and not acting_for.allows(READ)
        and day < earliest_track_only_day()
    ):
        raise NotAllowedForCarer(_track_only_message(acting_for))
    return owner


def earliest_track_only_day() -> date:
    return timezone.localdate() - timedelta(days=TRACK_ONLY_DAYS - 1)


def get_check_in_for_user(
    user: Any, acting_for: Delegation | None, check_in_id: int
) -> CheckIn:
    """A check-in by id, to delete it (see changing_owner), or Http404."""
    owner = changing_owner(user, acting_for)
    found = CheckIn.objects.filter(pk=check_in_id, user=owner).first()
    return own_or_404(found, owner)


def _tracks_only(acting_for: Delegation | None) -> bool:
    return (
        acting_for is not None
        and acting_for.allows(TRACK)
        and not acting_for.allows(READ)
    )


def get_member_condition_for_user(
    user: Any, acting_for: Delegation | None, record_id: int, *, scope: str
) -> MemberCondition:
    owner = records_owner(user, acting_for, scope=scope)
    found = (
        MemberCondition.objects.select_related("condition", "user")
        .filter(pk=record_id, user=owner)
        .first()
    )
    return own_or_404(found, owner)


def get_tracked_symptom_for_user(
    user: Any, acting_for: Delegation | None, tracked_id: int, *, scope: str
) -> TrackedSymptom:
    owner = records_owner(user, acting_for, scope=scope)
    found = (
        TrackedSymptom.objects.select_related("symptom", "user")
        .filter(pk=tracked_id, user=owner)
        .first()
    )
    return own_or_404(found, owner)


def _track_only_message(delegation: Delegation) -> str:
    name = delegation.member.public_name
    return (
        f"Your arrangement with {name} lets you check in for them for the last "
        f"{TRACK_ONLY_DAYS} days, today included, not for older days."
    )


# Treatment courses and evaluations -------------------------------------------

# Imported here, in this area's section, so that each area's additions stay
# in one place of this shared file.
from kinwell.tracking.models import Evaluation, TreatmentCourse  # noqa: E402


def get_course_for_user(
    user: Any, acting_for: Delegation | None, course_id: int, *, scope: str
) -> TreatmentCourse:
    """A treatment course by id, with its treatment, or Http404. Scope READ
    to see it; scope TRACK to change it, which also shows it, so a carer
    needs both."""
    owner = records_owner(user, acting_for, scope=READ)
    if scope != READ:
        records_owner(user, acting_for, scope=scope)
    found = (
        TreatmentCourse.objects.select_related("treatment")
        .filter(pk=course_id, user=owner)
        .first()
    )
    course = own_or_404(found, owner)
    course.user = owner
    return course


def get_evaluation_for_user(
    user: Any,
    acting_for: Delegation | None,
    evaluation_id: int,
    *,
    scope: str,
    course: TreatmentCourse | None = None,
) -> Evaluation:
    """An evaluation by id (of `course`, if given, already reached through
    get_course_for_user), as get_course_for_user allows its course, or
    Http404."""
    if course is None:
        owner = records_owner(user, acting_for, scope=READ)
        if scope != READ:
            records_owner(user, acting_for, scope=scope)
        found = Evaluation.objects.filter(pk=evaluation_id, user=owner).first()
    else:
        owner = course.user
        found = Evaluation.objects.filter(pk=evaluation_id, course=course).first()
    evaluation = own_or_404(found, owner)
    evaluation.user = owner
    return evaluation


# Questionnaires ---------------------------------------------------------------
# and the catalogue. Questionnaires belong to a community: organisers reach
# them through get_community_for_organiser (two-factor), members through
# their membership. Whose answers (the member's, or a carer's for them) is
# decided by records_owner, as for every other record.

from django.shortcuts import get_object_or_404  # noqa: E402

from kinwell.accounts.access import require_mfa  # noqa: E402
from kinwell.communities import access as community_access  # noqa: E402
from kinwell.communities.models import Community, Membership  # noqa: E402
from kinwell.tracking.models import (  # noqa: E402
    Question,
    Questionnaire,
    QuestionnaireResponse,
)


def is_organiser(user: Any, community: Community) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(
        community=community, user=user, role=Membership.Role.ORGANISER
    ).exists()


def get_community_for_catalogue(user: Any, slug: str) -> Community:
    """The community whose catalogue `user` may read: whoever may read its
    content. Http404 to outsiders of a hidden one."""
    community = community_access.get_community_for_user(user, slug)
    if not community_access.can_read_content(user, community):
        raise PermissionDenied("The catalogue is for members of the community.")
    return community


def get_entry_for_organiser(community: Community, model: Any, entry_id: int) -> Any:
    """One of `community`'s own entries (an organiser's, already checked);
    a generic entry or another community's is Http404."""
    return get_object_or_404(model, pk=entry_id, community=community)


def get_questionnaire_for_organiser(
    user: Any, slug: str, questionnaire_id: int
) -> tuple[Questionnaire, Membership]:
    community, membership = community_access.get_community_for_organiser(user, slug)
    questionnaire = get_object_or_404(
        Questionnaire.objects.select_related("community"),
        pk=questionnaire_id,
        community=community,
    )
    return questionnaire, membership


def get_questionnaire_for_member(
    user: Any, owner: User, slug: str, questionnaire_id: int
) -> tuple[Questionnaire, Membership]:
    """A questionnaire of a community `owner` belongs to, with their
    membership. `user` is who asks: `owner`, or a carer acting for them.
    A draft is for the community's organisers only, asking for themselves
    (and with two-factor authentication): Http404 to everyone else."""
    community, membership = community_access.get_community_for_member(owner, slug)
    found = get_object_or_404(
        Questionnaire.objects.select_related("community"),
        pk=questionnaire_id,
        community=community,
    )
    if found.status == Questionnaire.Status.DRAFT:
        if owner.pk != user.pk or membership.role != Membership.Role.ORGANISER:
            raise Http404("Not found")
        require_mfa(user)
    return found, membership


def get_question_for_organiser(
    questionnaire: Questionnaire, question_id: int
) -> Question:
    found = get_object_or_404(Question, pk=question_id, questionnaire=questionnaire)
    found.questionnaire = questionnaire
    return found


def get_own_response(owner: User, response_id: int) -> QuestionnaireResponse:
    found = (
        QuestionnaireResponse.objects.select_related("questionnaire", "community")
        .filter(pk=response_id, user=owner)
        .first()
    )
    return own_or_404(found, owner)


# Research -----------------------------------------------------------------------
