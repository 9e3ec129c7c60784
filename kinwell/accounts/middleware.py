from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kinwell.accounts.access import get_active_delegation

ACTING_FOR_SESSION_KEY = "kinwell_acting_for"


def acting_for_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Sets request.acting_for to the delegation a carer is acting under.

    A revoked delegation stops working on the next request, whatever the
    session says."""

    def middleware(request: HttpRequest) -> HttpResponse:
        delegation_id = request.session.get(ACTING_FOR_SESSION_KEY)
        delegation = get_active_delegation(request.user, delegation_id)
        if delegation_id and delegation is None:
            del request.session[ACTING_FOR_SESSION_KEY]
        request.acting_for = delegation  # type: ignore[attr-defined]
        return get_response(request)

    return middleware
