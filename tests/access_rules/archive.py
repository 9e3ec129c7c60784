"""Access rules for the portable archive (see tests/access_matrix.py).

The matrix asks about a public community of the organiser, moderator, member
and carer, with one finished export. Exports are for its organiser only;
everyone else signed in may know the community exists: 403. Importing is for
administrators; everyone else gets 404. (Outsiders of hidden communities and
exports of other communities get 404: tests/test_archive.py.)"""

from typing import Any

from kinwell.accounts.models import User
from kinwell.communities.archive import services
from tests import factories
from tests.access_matrix import FORBIDDEN, NOT_ALLOWED, NOT_FOUND, OK, Rule, signed_in

ORGANISER_ONLY = signed_in(FORBIDDEN, organiser=OK)

RULES: list[Rule] = [
    Rule(
        "c/<slug:slug>/export/",
        url="/c/{archive_slug}/export/",
        get=ORGANISER_ONLY,
        post=ORGANISER_ONLY,
    ),
    Rule(
        "c/<slug:slug>/export/<int:export_id>/",
        url="/c/{archive_slug}/export/{archive_export}/",
        get=ORGANISER_ONLY,
        post=signed_in(NOT_ALLOWED, organiser=NOT_ALLOWED),
    ),
    Rule(
        "c/<slug:slug>/export/<int:export_id>/download",
        url="/c/{archive_slug}/export/{archive_export}/download",
        get=ORGANISER_ONLY,
        post=signed_in(NOT_ALLOWED, organiser=NOT_ALLOWED),
    ),
    Rule(
        "communities/import/",
        get=signed_in(NOT_FOUND, administrator=OK),
        post=signed_in(NOT_FOUND, administrator=OK),
    ),
]


def world_values(users: dict[str, User]) -> dict[str, Any]:
    community = factories.make_community(
        users["organiser"],
        moderators=(users["moderator"],),
        members=(users["member"], users["carer"]),
    )
    export = services.request_export(users["organiser"], community=community)
    services.run_export(export.pk)
    return {"archive_slug": community.slug, "archive_export": export.pk}
