"""The care stories API, through HTTP, as each persona: the public read-only
API, telling and editing stories, moderation, the staff loop, alerts and
organisation admins' trees and staff."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from kinwell.accounts import services as account_services
from kinwell.accounts.models import User
from kinwell.stories import directory, replies, services
from kinwell.stories.models import (
    Echo,
    HelpfulRating,
    Organisation,
    Redaction,
    Service,
    StaffAlert,
    StaffMembership,
    StaffReply,
    Story,
    StoryRead,
)
from tests import factories
from tests.helpers import assert_bounded_queries, assert_error, send

ClientFor = Callable[[User], Client]

SECRET_TITLE = "Canary title of a draft"
SECRET_TEXT = "Canary words nobody else may read"


# Making the data, through the real services -----------------------------------


@pytest.fixture
def story_moderator(db: None) -> User:
    user = factories.make_user("Stella Storymod", is_story_moderator=True)
    factories.give_totp(user)
    return user


@pytest.fixture
def org_admin(db: None) -> User:
    user = factories.make_user("Ari Orgadmin")
    factories.give_totp(user)
    return user


@pytest.fixture
def trust(db: None, administrator: User, org_admin: User) -> Organisation:
    """A trust whose admin is `org_admin`: Riverside site > Cardiology."""
    organisation = directory.create_organisation(
        administrator,
        name="Riverside Trust",
        code="RVT",
        location="Riverside",
        admin_email=org_admin.email,
        admin_job_title="Head of patient experience",
    )
    site = add_service(org_admin, organisation, "Riverside Hospital", kind="site")
    add_service(org_admin, organisation, "Cardiology", parent=site)
    return organisation


@pytest.fixture
def other_trust(db: None, administrator: User) -> Organisation:
    organisation = directory.create_organisation(
        administrator, name="Hilltop Practice", location="Hilltop"
    )
    add_service(administrator, organisation, "Hilltop Surgery", kind="site")
    return organisation


def add_service(
    actor: User,
    organisation: Organisation,
    name: str,
    *,
    kind: str = "department",
    parent: Service | None = None,
) -> Service:
    return directory.add_service(
        actor, organisation=organisation, parent=parent, name=name, kind=kind
    )


def service_named(name: str) -> Service:
    return Service.objects.get(name=name)


def staff(
    organisation: Organisation, role: str, name: str, title: str = "Ward nurse"
) -> User:
    user = factories.make_user(name)
    factories.give_totp(user)
    admin = StaffMembership.objects.filter(
        organisation=organisation, role=StaffMembership.Role.ADMIN
    ).first()
    actor = admin.user if admin else User.objects.get(is_superuser=True)
    directory.add_staff(
        actor, organisation=organisation, email=user.email, role=role, job_title=title
    )
    return user


def tell(author: User, *about: Service, **fields: Any) -> Story:
    cache.clear()  # the story rate limit is not under test here
    fields = {
        "title": "Kind night staff",
        "what_happened": "They sat with me at **night**.",
        "author_role": Story.AuthorRole.PATIENT,
        **fields,
    }
    return services.tell_story(author, services=list(about), **fields)


def publish(moderator: User, story: Story, criticality: int = 2) -> Story:
    return services.publish_story(moderator, story=story, criticality=criticality)


def reply(responder: User, story: Story, **fields: Any) -> StaffReply:
    cache.clear()
    return replies.reply_to_story(
        responder, story=story, **{"body": "Thank you for telling us.", **fields}
    )


def items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def ids(response: Any) -> list[int]:
    return [item["id"] for item in items(response)]


# The public API ---------------------------------------------------------------


def test_public_list_shows_published_stories_newest_first_and_nothing_private(
    trust: Organisation, member: User, story_moderator: User
) -> None:
    cardiology = service_named("Cardiology")
    first = publish(story_moderator, tell(member, cardiology), criticality=5)
    second = publish(story_moderator, tell(member, cardiology, show_name=False))
    tell(member, cardiology, title=SECRET_TITLE, what_happened=SECRET_TEXT)

    response = send(Client(), "get", "/public/stories")

    assert ids(response) == [second.pk, first.pk]
    assert response.json()["count"] == 2
    card = items(response)[0]
    assert card["signature"] == f"{second.pseudonym}, patient"
    assert card["services"] == [
        {"id": cardiology.pk, "name": "Cardiology", "organisation": trust.slug}
    ]
    assert (card["reply_count"], card["change_made"]) == (0, False)
    body = response.content.decode()
    for private in ("criticality", SECRET_TITLE, member.email, member.display_name):
        assert private not in body


def test_public_list_pages(
    trust: Organisation, member: User, story_moderator: User
) -> None:
    for _ in range(3):
        publish(story_moderator, tell(member, service_named("Cardiology")))

    page = send(Client(), "get", "/public/stories?limit=2&offset=2").json()

    assert (page["count"], len(page["items"])) == (3, 1)
    too_big = send(Client(), "get", "/public/stories?limit=101")
    assert_error(too_big, 422, "invalid")


def test_public_list_filters_by_organisation_and_service_subtree(
    trust: Organisation,
    other_trust: Organisation,
    member: User,
    story_moderator: User,
) -> None:
    hospital = service_named("Riverside Hospital")
    about_cardiology = publish(
        story_moderator, tell(member, service_named("Cardiology"))
    )
    about_surgery = publish(
        story_moderator, tell(member, service_named("Hilltop Surgery"))
    )
    client = Client()

    by_trust = send(client, "get", f"/public/stories?organisation={trust.slug}")
    by_site = send(client, "get", f"/public/stories?service={hospital.pk}")
    by_other = send(client, "get", f"/public/stories?organisation={other_trust.slug}")

    assert ids(by_trust) == [about_cardiology.pk]
    assert ids(by_site) == [about_cardiology.pk]
    assert ids(by_other) == [about_surgery.pk]
    unknown = send(client, "get", "/public/stories?organisation=nowhere")
    assert_error(unknown, 404, "not_found")
    assert_error(send(client, "get", "/public/stories?service=0"), 422, "invalid")


def test_public_story_shows_published_replies_changes_reads_and_echoes(
    trust: Organisation,
    member: User,
    outsider: User,
    story_moderator: User,
    client_for: ClientFor,
) -> None:
    story = publish(story_moderator, tell(member, service_named("Cardiology")))
    responder = staff(trust, "responder", "Rory Responder", "Ward manager")
    answered = reply(responder, story, change="made", change_description="New rota")
    replies.publish_reply(story_moderator, reply=answered, confirm_change=True)
    waiting = reply(responder, story, body="A second thought")
    send(client_for(responder), "get", f"/stories/{story.pk}")  # a staff read
    replies.toggle_echo(outsider, story=story)

    found = send(Client(), "get", f"/public/stories/{story.pk}")

    assert found.status_code == 200, found.content
    shown = found.json()
    assert [item["id"] for item in shown["replies"]] == [answered.pk]
    assert waiting.pk not in {item["id"] for item in shown["replies"]}
    assert shown["replies"][0]["job_title"] == "Ward manager"
    assert shown["replies"][0]["organisation_slug"] == trust.slug
    assert shown["changes"] == [
        {
            "reply_id": answered.pk,
            "organisation_slug": trust.slug,
            "change": "made",
            "description": "New rota",
            "confirmed_at": shown["changes"][0]["confirmed_at"],
        }
    ]
    assert shown["reads"] == {"staff": 1, "organisations": 1, "job_titles": []}
    assert shown["echo_count"] == 1
    assert "<strong>night</strong>" in shown["body_html"]
    assert "criticality" not in shown
    assert "Rory" not in found.content.decode()


def test_unpublished_story_is_404_on_the_public_api(
    trust: Organisation, member: User, story_moderator: User
) -> None:
    waiting = tell(member, service_named("Cardiology"))
    withdrawn = publish(story_moderator, tell(member, service_named("Cardiology")))
    services.withdraw_story(member, story=withdrawn)

    for story in (waiting, withdrawn):
        found = send(Client(), "get", f"/public/stories/{story.pk}")
        assert_error(found, 404, "not_found")
    assert_error(send(Client(), "get", "/public/stories/999999"), 404, "not_found")


def test_public_organisations_search_and_tree(
    trust: Organisation, other_trust: Organisation
) -> None:
    client = Client()

    everyone = send(client, "get", "/public/organisations")
    searched = send(client, "get", "/public/organisations?q=hilltop")
    detail = send(client, "get", f"/public/organisations/{trust.slug}")

    assert [item["slug"] for item in items(everyone)] == [other_trust.slug, trust.slug]
    assert [item["slug"] for item in items(searched)] == [other_trust.slug]
    tree = detail.json()["services"]
    site, cardiology = service_named("Riverside Hospital"), service_named("Cardiology")
    assert [(node["id"], node["parent_id"], node["depth"]) for node in tree] == [
        (site.pk, None, 0),
        (cardiology.pk, site.pk, 1),
    ]
    assert tree[1]["path"] == f"/{site.pk}/{cardiology.pk}/"
    assert detail.json()["code"] == "RVT"
    assert "staff" not in detail.content.decode()
    assert_error(send(client, "get", "/public/organisations/nowhere"), 404, "not_found")


def test_public_statistics_of_an_organisation_and_a_service(
    trust: Organisation, member: User, story_moderator: User
) -> None:
    cardiology = service_named("Cardiology")
    story = publish(story_moderator, tell(member, cardiology), criticality=5)
    responder = staff(trust, "responder", "Rory Responder")
    replies.publish_reply(story_moderator, reply=reply(responder, story))
    client = Client()

    of_trust = send(client, "get", f"/public/organisations/{trust.slug}/statistics")
    of_service = send(client, "get", f"/public/services/{cardiology.pk}/statistics")

    for response in (of_trust, of_service):
        assert response.status_code == 200, response.content
        figures = response.json()
        assert (figures["stories"], figures["responded"]) == (1, 1)
        assert figures["responded_share"] == 1.0
        assert figures["median_first_response_seconds"] >= 0
        # One critical story is too few to show the share.
        assert figures["critical_changed_share"] is None
        assert figures["critical_note"]
        assert len(figures["per_month"]) == 12
        assert figures["per_month"][-1]["stories"] == 1
    missing = send(client, "get", "/public/services/999999/statistics")
    assert_error(missing, 404, "not_found")


# Telling, editing, withdrawing ------------------------------------------------


def story_body(*about: Service, **fields: Any) -> dict[str, Any]:
    return {
        "services": [service.pk for service in about],
        "title": "The discharge went well",
        "what_happened": "They explained every medicine.",
        "author_role": "carer",
        **fields,
    }


def test_member_tells_edits_and_withdraws_a_story(
    trust: Organisation,
    member: User,
    outsider: User,
    story_moderator: User,
    client_for: ClientFor,
) -> None:
    cardiology = service_named("Cardiology")
    client = client_for(member)

    told = send(client, "post", "/stories", story_body(cardiology, feelings=["safe"]))

    assert told.status_code == 201, told.content
    story = told.json()
    assert (story["status"], story["feelings"]) == ("submitted", ["safe"])
    assert story["pseudonym"]
    assert story["signature"].startswith(story["pseudonym"])
    path = f"/stories/{story['id']}"
    assert ids(send(client, "get", "/me/stories")) == [story["id"]]
    assert_error(send(client_for(outsider), "get", path), 404, "not_found")
    assert_error(send(Client(), "get", path), 401, "unauthenticated")

    edited = send(client, "patch", path, {"title": "Discharge, done well"})
    assert edited.status_code == 200, edited.content
    assert edited.json()["title"] == "Discharge, done well"
    assert edited.json()["what_happened"] == "They explained every medicine."
    outsider_edit = send(client_for(outsider), "patch", path, {"title": "Mine now"})
    assert_error(outsider_edit, 404, "not_found")

    publish(story_moderator, Story.objects.get(pk=story["id"]))
    too_late = send(client, "patch", path, {"title": "Changed after"})
    assert_error(too_late, 400, "invalid")
    withdrawn = send(client, "post", f"{path}/withdraw", {})
    assert withdrawn.json()["status"] == "withdrawn"
    assert ids(send(Client(), "get", "/public/stories")) == []
    assert Story.objects.get(pk=story["id"]).title == "Discharge, done well"


def test_story_told_for_a_patient_keeps_its_consent_when_edited(
    trust: Organisation, member: User, client_for: ClientFor
) -> None:
    story = tell(
        member,
        service_named("Cardiology"),
        author_role=Story.AuthorRole.STAFF_FOR_PATIENT,
        patient_consented=True,
    )
    path = f"/stories/{story.pk}"

    kept = send(client_for(member), "patch", path, {"title": "Told for Pat"})
    withdrawn = send(client_for(member), "patch", path, {"patient_consented": False})

    assert kept.status_code == 200, kept.content
    assert assert_error(withdrawn, 400, "invalid")["fields"].keys() == {
        "patient_consented"
    }
    assert Story.objects.get().title == "Told for Pat"


def test_story_from_own_post_only(
    trust: Organisation,
    community: Any,
    member: User,
    outsider: User,
    client_for: ClientFor,
) -> None:
    thread = factories.make_thread(member, community)
    post = thread.posts.get(number=1)
    cardiology = service_named("Cardiology")

    theirs = send(
        client_for(outsider), "post", "/stories",
        story_body(cardiology, source_post=post.pk),
    )  # fmt: skip
    mine = send(
        client_for(member),
        "post",
        "/stories",
        story_body(cardiology, source_post=post.pk),
    )

    assert assert_error(theirs, 400, "invalid")["fields"] == {
        "source_post": ["Choose one of your own posts."]
    }
    assert mine.status_code == 201, mine.content
    assert Story.objects.get().source_post_id == post.pk


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"services": []}, 422, "services"),
        ({"services": [999999]}, 400, "services"),
        ({"title": ""}, 422, "title"),
        ({"title": "   "}, 400, "title"),
        ({"what_happened": "x" * 20001}, 422, "what_happened"),
        ({"feelings": ["sleepy"]}, 422, "feelings.0"),
        ({"author_role": "staff"}, 400, "patient_consented"),
        ({"author_role": "doctor"}, 422, "author_role"),
        ({"show_name": 1}, 422, "show_name"),
        ({"surprise": True}, 422, "surprise"),
    ],
)
def test_invalid_story_is_refused_and_nothing_written(
    trust: Organisation,
    member: User,
    client_for: ClientFor,
    change: dict[str, Any],
    status: int,
    field: str,
) -> None:
    body = story_body(service_named("Cardiology"), **change)

    response = send(client_for(member), "post", "/stories", body)

    error = assert_error(response, status, "invalid")
    assert field in error["fields"]
    assert not Story.objects.exists()


def test_read_token_may_not_tell_a_story(trust: Organisation, member: User) -> None:
    _token, raw = account_services.create_api_token(member, name="r", scope="read")
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    response = send(client, "post", "/stories", story_body(service_named("Cardiology")))

    assert_error(response, 403, "insufficient_scope")
    assert send(client, "get", "/me/stories").status_code == 200
    assert not Story.objects.exists()


def test_write_token_tells_a_story(trust: Organisation, member: User) -> None:
    _token, raw = account_services.create_api_token(member, name="w", scope="write")
    client = Client(
        enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"}
    )

    response = send(client, "post", "/stories", story_body(service_named("Cardiology")))

    assert response.status_code == 201, response.content


# Moderation -------------------------------------------------------------------


def test_moderator_returns_redacts_and_publishes(
    trust: Organisation, member: User, story_moderator: User, client_for: ClientFor
) -> None:
    story = tell(member, service_named("Cardiology"), what_happened="Dr Canary helped.")
    moderator, author = client_for(story_moderator), client_for(member)
    path = f"/stories/{story.pk}"

    assert ids(send(moderator, "get", "/moderation/stories")) == [story.pk]
    returned = send(
        moderator, "post", f"{path}/return", {"reason": "unclear", "note": "Say when."}
    )
    assert returned.json()["status"] == "returned"
    assert items(send(author, "get", "/me/stories"))[0]["moderator_note"] == "Say when."
    assert (
        send(author, "patch", path, {"what_happened": "Dr Canary helped me."}).json()[
            "status"
        ]
        == "submitted"
    )

    proposed = send(
        moderator,
        "post",
        f"{path}/redactions",
        {"field": "what_happened", "original": "Dr Canary", "replacement": "A doctor"},
    )
    assert proposed.status_code == 201, proposed.content
    redaction = proposed.json()
    mine = items(send(author, "get", "/me/stories"))[0]
    assert [waiting["id"] for waiting in mine["redactions"]] == [redaction["id"]]
    blocked = send(moderator, "post", f"{path}/publish", {"criticality": 1})
    assert_error(blocked, 400, "invalid")
    accepted = send(author, "post", f"{path}/redactions/{redaction['id']}/accept")
    assert accepted.json()["status"] == "accepted"

    published = send(moderator, "post", f"{path}/publish", {"criticality": 1})

    assert published.status_code == 200, published.content
    assert (published.json()["status"], published.json()["criticality"]) == (
        "published",
        1,
    )
    public = send(Client(), "get", f"/public/stories/{story.pk}").json()
    assert public["what_happened"] == "A doctor helped me."
    assert ids(send(moderator, "get", "/moderation/stories")) == []


def test_moderator_rejects_and_sets_criticality(
    trust: Organisation, member: User, story_moderator: User, client_for: ClientFor
) -> None:
    story = tell(member, service_named("Cardiology"))
    moderator = client_for(story_moderator)
    path = f"/stories/{story.pk}"

    rated = send(moderator, "put", f"{path}/criticality", {"criticality": 4})
    out_of_range = send(moderator, "put", f"{path}/criticality", {"criticality": 6})
    rejected = send(moderator, "post", f"{path}/reject", {"reason": "not-care"})
    no_reason = send(moderator, "post", f"{path}/reject", {"note": "x"})

    assert rated.json()["criticality"] == 4
    assert_error(out_of_range, 422, "invalid")
    assert rejected.json()["status"] == "rejected"
    assert_error(no_reason, 422, "invalid")
    assert_error(send(moderator, "post", f"{path}/publish", {}), 400, "invalid")


def test_moderation_is_404_for_everyone_but_story_moderators(
    trust: Organisation,
    member: User,
    outsider: User,
    moderator: User,
    client_for: ClientFor,
) -> None:
    story = tell(member, service_named("Cardiology"))
    responder = staff(trust, "admin", "Rory Responder")
    path = f"/stories/{story.pk}"
    for person in (outsider, member, moderator, responder):
        client = client_for(person)
        for method, where, body in [
            ("get", "/moderation/stories", None),
            ("get", "/moderation/story-replies", None),
            ("post", f"{path}/publish", {"criticality": 1}),
            ("post", f"{path}/return", {"reason": "unclear", "note": "n"}),
            ("post", f"{path}/reject", {"reason": "unclear"}),
            ("put", f"{path}/criticality", {"criticality": 1}),
            ("post", f"{path}/redactions", {"field": "title", "original": "Kind"}),
        ]:
            assert_error(send(client, method, where, body), 404, "not_found")
    assert Story.objects.get().status == Story.Status.SUBMITTED
    assert not Redaction.objects.exists()


def test_story_moderator_needs_two_factor(
    trust: Organisation, member: User, client_for: ClientFor
) -> None:
    story = tell(member, service_named("Cardiology"))
    without = factories.make_user("Nat Notfa", is_story_moderator=True)

    queue = send(client_for(without), "get", "/moderation/stories")
    publishing = send(
        client_for(without), "post", f"/stories/{story.pk}/publish", {"criticality": 1}
    )

    assert_error(queue, 403, "mfa_required")
    assert_error(publishing, 403, "mfa_required")


def test_criticality_is_for_staff_of_the_story_and_moderators(
    trust: Organisation,
    other_trust: Organisation,
    member: User,
    outsider: User,
    story_moderator: User,
    client_for: ClientFor,
) -> None:
    story = publish(story_moderator, tell(member, service_named("Cardiology")), 3)
    reader = staff(trust, "reader", "Rene Reader")
    elsewhere = staff(other_trust, "admin", "Elsa Elsewhere")
    path = f"/stories/{story.pk}"

    def criticality(person: User) -> Any:
        found = send(client_for(person), "get", path)
        assert found.status_code == 200, found.content
        return found.json()["criticality"]

    assert criticality(reader) == 3
    assert criticality(story_moderator) == 3
    assert criticality(member) is None
    assert criticality(outsider) is None
    assert criticality(elsewhere) is None
    assert StoryRead.objects.filter(story=story).count() == 1  # the reader only


# The staff loop ---------------------------------------------------------------


def test_responder_replies_and_a_reader_may_not(
    trust: Organisation,
    member: User,
    outsider: User,
    story_moderator: User,
    client_for: ClientFor,
) -> None:
    story = publish(story_moderator, tell(member, service_named("Cardiology")))
    reader = staff(trust, "reader", "Rene Reader")
    responder = staff(trust, "responder", "Rory Responder", "Ward manager")
    path = f"/stories/{story.pk}/replies"
    body = {"body": "We are glad.", "change": "planned", "change_description": "Rota"}

    by_reader = send(client_for(reader), "post", path, body)
    by_outsider = send(client_for(outsider), "post", path, body)
    by_responder = send(client_for(responder), "post", path, body)

    assert_error(by_reader, 403, "forbidden")
    assert_error(by_outsider, 403, "forbidden")
    assert by_responder.status_code == 201, by_responder.content
    written = by_responder.json()
    assert (written["status"], written["job_title"]) == ("pending", "Ward manager")
    assert written["change_confirmed"] is False
    public = send(Client(), "get", f"/public/stories/{story.pk}").json()
    assert public["replies"] == []
    own_view = send(client_for(responder), "get", f"/stories/{story.pk}").json()
    assert [item["id"] for item in own_view["replies"]] == [written["id"]]
    assert own_view["can_reply"] is True
    missing = send(client_for(responder), "post", path, {"body": ""})
    assert_error(missing, 422, "invalid")
    no_description = send(
        client_for(responder), "post", path, {"body": "Hi", "change": "made"}
    )
    assert_error(no_description, 400, "invalid")
    assert StaffReply.objects.count() == 1


def test_reply_to_an_unpublished_story_is_404(
    trust: Organisation, member: User, client_for: ClientFor
) -> None:
    story = tell(member, service_named("Cardiology"))
    responder = staff(trust, "responder", "Rory Responder")

    response = send(
        client_for(responder), "post", f"/stories/{story.pk}/replies", {"body": "Hi"}
    )

    assert_error(response, 404, "not_found")


def test_moderator_publishes_rejects_and_confirms_replies(
    trust: Organisation,
    member: User,
    story_moderator: User,
    client_for: ClientFor,
) -> None:
    story = publish(story_moderator, tell(member, service_named("Cardiology")))
    responder = staff(trust, "responder", "Rory Responder")
    planned = reply(responder, story, change="planned", change_description="Rota")
    refused = reply(responder, story, body="Not this one")
    moderator = client_for(story_moderator)

    queue = send(moderator, "get", "/moderation/story-replies").json()
    published = send(moderator, "post", f"/replies/{planned.pk}/publish", {})
    waiting = send(moderator, "get", "/moderation/story-replies").json()
    confirmed = send(moderator, "post", f"/replies/{planned.pk}/confirm-change")
    rejected = send(moderator, "post", f"/replies/{refused.pk}/reject", {"note": "No"})
    again = send(moderator, "post", f"/replies/{refused.pk}/publish", {})

    assert [item["id"] for item in queue["waiting_replies"]] == [planned.pk, refused.pk]
    assert published.json()["status"] == "published"
    assert [item["id"] for item in waiting["waiting_changes"]] == [planned.pk]
    assert confirmed.json()["change_confirmed"] is True
    assert rejected.json()["status"] == "rejected"
    assert_error(again, 400, "invalid")
    for person in (member, responder):
        attempt = send(client_for(person), "post", f"/replies/{planned.pk}/publish", {})
        assert_error(attempt, 404, "not_found")


def test_helpful_and_echo_toggle(
    trust: Organisation,
    member: User,
    outsider: User,
    story_moderator: User,
    client_for: ClientFor,
) -> None:
    story = publish(story_moderator, tell(member, service_named("Cardiology")))
    responder = staff(trust, "responder", "Rory Responder")
    answer = reply(responder, story)
    replies.publish_reply(story_moderator, reply=answer)
    pending = reply(responder, story, body="Waiting")
    client = client_for(outsider)

    echoed = send(client, "post", f"/stories/{story.pk}/echo")
    unechoed = send(client, "post", f"/stories/{story.pk}/echo")
    helpful = send(client_for(member), "post", f"/replies/{answer.pk}/helpful")
    shown = send(client_for(member), "get", f"/stories/{story.pk}").json()

    assert echoed.json() == {"echoed": True, "echo_count": 1}
    assert unechoed.json() == {"echoed": False, "echo_count": 0}
    assert helpful.json() == {"helpful": True, "helpful_count": 1}
    assert shown["helpful_replies"] == [answer.pk]
    assert shown["replies"][0]["helpful_count"] == 1
    own_echo = send(client_for(member), "post", f"/stories/{story.pk}/echo")
    assert_error(own_echo, 400, "invalid")
    unseen = send(client, "post", f"/replies/{pending.pk}/helpful")
    assert_error(unseen, 404, "not_found")
    assert not Echo.objects.exists()
    assert HelpfulRating.objects.count() == 1


def test_echo_on_an_unpublished_story_is_404(
    trust: Organisation, member: User, outsider: User, client_for: ClientFor
) -> None:
    story = tell(member, service_named("Cardiology"))

    for person in (member, outsider):
        echo = send(client_for(person), "post", f"/stories/{story.pk}/echo")
        assert_error(echo, 404, "not_found")


# Staff alerts -----------------------------------------------------------------


def test_staff_set_list_and_remove_alerts(
    trust: Organisation,
    other_trust: Organisation,
    member: User,
    client_for: ClientFor,
) -> None:
    reader = staff(trust, "reader", "Rene Reader")
    colleague = staff(trust, "reader", "Cole Colleague")
    client = client_for(reader)
    cardiology = service_named("Cardiology")

    added = send(
        client,
        "post",
        "/me/staff-alerts",
        {
            "organisation": trust.slug,
            "service": cardiology.pk,
            "min_criticality": 3,
            "delivery": "digest",
        },
    )
    whole = send(client, "post", "/me/staff-alerts", {"organisation": trust.slug})
    elsewhere = send(
        client,
        "post",
        "/me/staff-alerts",
        {"organisation": trust.slug, "service": service_named("Hilltop Surgery").pk},
    )
    not_mine = send(
        client, "post", "/me/staff-alerts", {"organisation": other_trust.slug}
    )

    assert added.status_code == 201, added.content
    assert added.json()["service_id"] == cardiology.pk
    assert whole.json()["service_id"] is None
    assert_error(elsewhere, 400, "invalid")
    assert_error(not_mine, 400, "invalid")
    listed = items(send(client, "get", "/me/staff-alerts"))
    assert [item["id"] for item in listed] == [added.json()["id"], whole.json()["id"]]
    path = f"/me/staff-alerts/{added.json()['id']}"
    assert_error(send(client_for(colleague), "delete", path), 404, "not_found")
    assert send(client, "delete", path).status_code == 204
    assert StaffAlert.objects.count() == 1
    assert_error(send(client_for(member), "get", "/me/staff-alerts"), 403, "forbidden")


# Organisation admins ----------------------------------------------------------


def test_admin_manages_the_service_tree(
    trust: Organisation, org_admin: User, client_for: ClientFor
) -> None:
    client = client_for(org_admin)
    base = f"/organisations/{trust.slug}/services"
    site = service_named("Riverside Hospital")

    added = send(client, "post", base, {"name": "Oncology", "kind": "department"})
    child = send(
        client,
        "post",
        base,
        {"name": "Day unit", "kind": "service", "parent": added.json()["id"]},
    )
    moved = send(client, "patch", f"{base}/{added.json()['id']}", {"parent": site.pk})
    renamed = send(
        client, "patch", f"{base}/{child.json()['id']}", {"name": "Day ward"}
    )
    blocked = send(client, "delete", f"{base}/{added.json()['id']}")
    removed = send(client, "delete", f"{base}/{child.json()['id']}")

    assert added.status_code == 201, added.content
    assert added.json()["parent_id"] is None
    assert moved.json()["parent_id"] == site.pk
    oncology = Service.objects.get(name="Oncology")
    assert oncology.path == f"/{site.pk}/{oncology.pk}/"
    assert renamed.json()["name"] == "Day ward"
    assert renamed.json()["path"] == f"{oncology.path}{child.json()['id']}/"
    assert_error(blocked, 400, "invalid")
    assert removed.status_code == 204
    under_itself = send(client, "patch", f"{base}/{site.pk}", {"parent": oncology.pk})
    assert_error(under_itself, 400, "invalid")
    unknown_parent = send(
        client, "post", base, {"name": "X", "kind": "site", "parent": 999}
    )
    assert_error(unknown_parent, 400, "invalid")
    assert_error(
        send(client, "post", base, {"name": "X", "kind": "ward"}), 422, "invalid"
    )


def test_admin_manages_staff(
    trust: Organisation, org_admin: User, member: User, client_for: ClientFor
) -> None:
    client = client_for(org_admin)
    base = f"/organisations/{trust.slug}/staff"

    added = send(
        client,
        "post",
        base,
        {"email": member.email, "role": "reader", "job_title": "Porter"},
    )
    unknown = send(
        client,
        "post",
        base,
        {"email": "nobody@example.org", "role": "reader", "job_title": "Porter"},
    )
    changed = send(
        client, "patch", f"{base}/{added.json()['id']}", {"role": "responder"}
    )
    listed = items(send(client, "get", base))
    own = StaffMembership.objects.get(user=org_admin)
    last_admin = send(client, "patch", f"{base}/{own.pk}", {"role": "reader"})
    removed = send(client, "delete", f"{base}/{added.json()['id']}")

    assert added.status_code == 201, added.content
    assert added.json()["name"] == member.public_name
    assert assert_error(unknown, 400, "invalid")["fields"].keys() == {"email"}
    assert changed.json() == {**added.json(), "role": "responder"}
    assert [item["job_title"] for item in listed] == [
        "Head of patient experience",
        "Porter",
    ]
    assert member.email not in json.dumps(listed)
    assert_error(last_admin, 400, "invalid")
    assert removed.status_code == 204
    assert not StaffMembership.objects.filter(user=member).exists()


def test_only_admins_manage_an_organisation(
    trust: Organisation, outsider: User, client_for: ClientFor
) -> None:
    responder = staff(trust, "responder", "Rory Responder")
    site = service_named("Riverside Hospital")
    base = f"/organisations/{trust.slug}"
    attempts = [
        ("post", f"{base}/services", {"name": "X", "kind": "site"}),
        ("patch", f"{base}/services/{site.pk}", {"name": "Renamed"}),
        ("delete", f"{base}/services/{service_named('Cardiology').pk}", None),
        ("get", f"{base}/staff", None),
        (
            "post",
            f"{base}/staff",
            {"email": "a@b.c", "role": "reader", "job_title": "X"},
        ),
    ]
    for person in (responder, outsider):
        for method, path, body in attempts:
            response = send(client_for(person), method, path, body)
            assert_error(response, 403, "forbidden")
    unknown = send(client_for(outsider), "get", "/organisations/nowhere/staff")
    assert_error(unknown, 404, "not_found")
    assert Service.objects.filter(organisation=trust).count() == 2
    assert_error(send(Client(), "get", f"{base}/staff"), 401, "unauthenticated")


# Bounded queries --------------------------------------------------------------


def test_public_list_queries_are_bounded(
    trust: Organisation, member: User, story_moderator: User
) -> None:
    cardiology, site = service_named("Cardiology"), service_named("Riverside Hospital")
    responder = staff(trust, "responder", "Rory Responder")

    def add_stories(count: int) -> None:
        for _ in range(count):
            story = publish(story_moderator, tell(member, cardiology, site))
            reply(responder, story)

    assert_bounded_queries(
        lambda: send(Client(), "get", "/public/stories?limit=100"),
        add_stories,
        max_queries=4,
    )


def test_my_stories_and_the_queue_are_bounded(
    trust: Organisation, member: User, story_moderator: User, client_for: ClientFor
) -> None:
    cardiology = service_named("Cardiology")
    author, moderator = client_for(member), client_for(story_moderator)

    def add_stories(count: int) -> None:
        for _ in range(count):
            story = tell(member, cardiology, title="Kind words")
            services.propose_redaction(
                story_moderator,
                story=story,
                field="title",
                original="Kind",
                replacement="Good",
            )

    assert_bounded_queries(
        lambda: send(author, "get", "/me/stories?limit=100"),
        add_stories,
        max_queries=8,
    )
    assert_bounded_queries(
        lambda: send(moderator, "get", "/moderation/stories?limit=100"),
        add_stories,
        max_queries=10,
    )


def test_story_with_many_replies_is_bounded(
    trust: Organisation, member: User, story_moderator: User, client_for: ClientFor
) -> None:
    story = publish(story_moderator, tell(member, service_named("Cardiology")))
    responder = staff(trust, "responder", "Rory Responder")
    staff_client = client_for(responder)

    def add_replies(count: int) -> None:
        for _ in range(count):
            answer = reply(responder, story, change="made", change_description="Done")
            if answer.is_public:  # the responder is trusted after a few
                replies.confirm_change(story_moderator, reply=answer)
            else:
                replies.publish_reply(
                    story_moderator, reply=answer, confirm_change=True
                )

    assert_bounded_queries(
        lambda: send(Client(), "get", f"/public/stories/{story.pk}"),
        add_replies,
        max_queries=8,
    )
    assert_bounded_queries(
        lambda: send(staff_client, "get", f"/stories/{story.pk}"),
        add_replies,
        max_queries=12,
    )


def test_organisation_tree_and_staff_lists_are_bounded(
    trust: Organisation, org_admin: User, client_for: ClientFor
) -> None:
    site = service_named("Riverside Hospital")
    admin = client_for(org_admin)
    numbers = iter(range(1000))

    def add_nodes(count: int) -> None:
        for _ in range(count):
            number = next(numbers)
            add_service(org_admin, trust, f"Unit {number}", parent=site)
            staff(trust, "reader", f"Reader {number}")

    assert_bounded_queries(
        lambda: send(Client(), "get", f"/public/organisations/{trust.slug}"),
        add_nodes,
        max_queries=3,
    )
    assert_bounded_queries(
        lambda: send(admin, "get", f"/organisations/{trust.slug}/staff?limit=100"),
        add_nodes,
        max_queries=10,
    )
