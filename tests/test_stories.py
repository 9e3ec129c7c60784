"""Telling a care story: the form and its service search, starting from a
discussion post, the story page, editing while unpublished, withdrawing,
and the author's list."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kinwell.accounts.models import AuditEvent, User
from kinwell.communities.models import Community
from kinwell.lib.ratelimit import RateLimited
from kinwell.stories import services
from kinwell.stories.forms.stories import PATH_SEPARATOR as PATH
from kinwell.stories.models import (
    Feeling,
    Organisation,
    Reason,
    Redaction,
    Service,
    Story,
    StoryDecision,
    StoryService,
)
from tests import factories
from tests.helpers import assert_bounded_queries

Clients = Callable[[User], Client]
TITLE = "Canary title of the story"
TEXT = "Canary text of what happened on the ward"


# Data ---------------------------------------------------------------------------------


def make_organisation(name: str, **fields: str) -> Organisation:
    slug = name.lower().replace(" ", "-")
    return Organisation.objects.create(name=name, slug=slug, **fields)


def make_service(
    organisation: Organisation,
    name: str,
    parent: Service | None = None,
    **fields: str,
) -> Service:
    kind = Service.Kind.SITE if parent is None else Service.Kind.SERVICE
    service = Service.objects.create(
        organisation=organisation,
        parent=parent,
        name=name,
        kind=kind,
        path="/",
        **fields,
    )
    service.path = f"{parent.path if parent else '/'}{service.pk}/"
    service.save(update_fields=["path"])
    return service


def make_moderator(name: str = "Stella Story-Moderator") -> User:
    user = factories.make_user(name, is_story_moderator=True)
    factories.give_totp(user)
    return user


def tell(author: User, where: list[Service], **fields: Any) -> Story:
    values: dict[str, Any] = {
        "title": TITLE,
        "what_happened": TEXT,
        "author_role": Story.AuthorRole.PATIENT,
    }
    return services.tell_story(author, services=where, **(values | fields))


def publish(story: Story, criticality: int = 2) -> Story:
    return services.publish_story(
        make_moderator(), story=story, criticality=criticality
    )


def form_data(where: list[Service], **fields: Any) -> dict[str, Any]:
    return {
        "services": [s.pk for s in where],
        "author_role": "patient",
        "title": TITLE,
        "what_happened": TEXT,
        "pseudonym": "",
    } | fields


@pytest.fixture
def north(db: None) -> Organisation:
    return make_organisation("North Trust", location="Leeds")


@pytest.fixture
def ward(north: Organisation) -> Service:
    site = make_service(north, "General Hospital")
    return make_service(north, "Ward 7", site, code="RXX07")


@pytest.fixture
def story_moderator(db: None) -> User:
    return make_moderator()


# Telling ------------------------------------------------------------------------------


def test_member_tells_a_story_and_the_moderators_hear_of_it_by_id(
    member: User,
    ward: Service,
    story_moderator: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(member)
    page = client.get(reverse("stories:tell"))
    assert page.status_code == 200
    assert 'name="pseudonym"' in page.content.decode()
    data = form_data(
        [ward], feelings=["anxious", "listened-to"], what_was_good="Kind nurses."
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("stories:tell"), data)
    story = Story.objects.get()
    assert response.status_code == 302
    assert response["Location"] == story.get_absolute_url()
    assert story.status == Story.Status.SUBMITTED
    assert list(story.services.all()) == [ward]
    assert story.feelings == ["listened-to", "anxious"]  # in the list's order
    assert story.pseudonym  # made up, as none was given
    assert StoryDecision.objects.filter(
        story=story, action=StoryDecision.Action.SUBMITTED
    ).exists()
    assert AuditEvent.objects.filter(action="story.tell", object_id=str(story.pk))
    (sent,) = mail.outbox
    assert sent.to == [story_moderator.email]
    assert f"#{story.pk}" in sent.subject
    assert f"/stories/{story.pk}/moderate/" in sent.body
    for secret in (TITLE, TEXT, "Kind nurses"):
        assert secret not in f"{sent.subject}\n{sent.body}"


def test_bad_input_shows_errors_and_saves_nothing(
    member: User, ward: Service, client_for: Clients
) -> None:
    response = client_for(member).post(
        reverse("stories:tell"),
        form_data([], title="", what_happened="   ", feelings=["elated"]),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"services", "title", "what_happened", "feelings"} <= set(errors)
    assert not Story.objects.exists()
    assert 'aria-describedby="id_title_error"' in response.content.decode()


def test_a_member_of_staff_tells_a_patients_story_only_with_their_consent(
    member: User, ward: Service, client_for: Clients
) -> None:
    client = client_for(member)
    refused = client.post(
        reverse("stories:tell"), form_data([ward], author_role="staff")
    )
    assert refused.status_code == 200
    assert "patient_consented" in refused.context["form"].errors
    assert not Story.objects.exists()
    client.post(
        reverse("stories:tell"),
        form_data([ward], author_role="staff", patient_consented="on"),
    )
    assert Story.objects.get().author_role == Story.AuthorRole.STAFF_FOR_PATIENT


def test_the_services_check_feelings_roles_and_make_up_a_pseudonym(
    member: User, ward: Service
) -> None:
    with pytest.raises(ValidationError) as error:
        tell(member, [ward], feelings=["elated"])
    assert "feelings" in error.value.message_dict
    with pytest.raises(ValidationError):
        tell(member, [ward], author_role="doctor")
    with pytest.raises(ValidationError):
        tell(member, [])
    story = tell(member, [ward, ward], feelings=[Feeling.SAFE], pseudonym="  ")
    assert story.services.count() == 1
    word, number = story.pseudonym.split(" ")
    assert word.isalpha()
    assert number.isdigit()
    assert member.display_name not in story.pseudonym
    assert story.signature == f"{story.pseudonym}, patient"


def test_telling_stories_is_rate_limited(
    member: User, ward: Service, client_for: Clients
) -> None:
    for _ in range(services.STORY_WRITES_PER_TEN_MINUTES):
        tell(member, [ward])
    with pytest.raises(RateLimited):
        tell(member, [ward])
    response = client_for(member).post(reverse("stories:tell"), form_data([ward]))
    assert response.status_code == 429


def test_service_search_lists_matches_across_organisations_as_paths(
    member: User, north: Organisation, ward: Service, client_for: Clients
) -> None:
    south = make_organisation("South Practice", location="Bristol")
    surgery = make_service(south, "Surgery on the Hill", location="Bristol")
    client = client_for(member)
    by_name = client.get(reverse("stories:tell"), {"q": "ward 7"}).content.decode()
    assert f"North Trust {PATH} General Hospital {PATH} Ward 7" in by_name
    assert "Surgery on the Hill" not in by_name
    by_code = client.get(reverse("stories:tell"), {"q": "rxx07"}).content.decode()
    assert "Ward 7" in by_code
    by_town = client.get(reverse("stories:tell"), {"q": "bristol"}).content.decode()
    assert f"South Practice {PATH} Surgery on the Hill" in by_town
    assert "Ward 7" not in by_town
    chosen = client.get(reverse("stories:tell"), {"service": surgery.pk})
    assert chosen.context["form"].initial["services"] == [surgery.pk]
    assert f'value="{surgery.pk}"' in chosen.content.decode()
    assert "checked" in chosen.content.decode()


def test_finding_services_keeps_what_was_typed_and_saves_nothing(
    member: User, ward: Service, client_for: Clients
) -> None:
    south = make_organisation("South Practice")
    surgery = make_service(south, "Surgery on the Hill")
    data = form_data([surgery], title="Half written", find="1", q="ward")
    response = client_for(member).post(reverse("stories:tell"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert not Story.objects.exists()
    assert 'value="Half written"' in html
    assert "Ward 7" in html
    assert "Surgery on the Hill" in html
    assert 'class="errorlist' not in html
    partial = client_for(member).post(
        reverse("stories:tell"), data, headers={"HX-Request": "true"}
    )
    assert partial.content.decode().lstrip().startswith('<fieldset id="service-picker"')


def test_visitors_are_sent_to_log_in(visitor_client: Client, db: None) -> None:
    response = visitor_client.get(reverse("stories:tell"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# From a discussion post ---------------------------------------------------------------


def test_a_story_starts_from_the_members_own_post(
    community: Community, member: User, ward: Service, client_for: Clients
) -> None:
    thread = factories.make_thread(
        member, community, body="My night on ward 7 was long."
    )
    post = thread.posts.get(number=1)
    client = client_for(member)
    page = client.get(reverse("stories:tell"), {"from_post": post.pk})
    html = page.content.decode()
    assert "My night on ward 7 was long." in html
    assert f'name="source_post" value="{post.pk}"' in html
    data = form_data([ward], what_happened=post.body, source_post=post.pk)
    client.post(reverse("stories:tell"), data)
    assert Story.objects.get().source_post == post


def test_nobody_starts_a_story_from_someone_elses_post(
    community: Community,
    member: User,
    carer: User,
    ward: Service,
    client_for: Clients,
) -> None:
    post = factories.make_thread(member, community).posts.get(number=1)
    client = client_for(carer)
    assert (
        client.get(reverse("stories:tell"), {"from_post": post.pk}).status_code == 404
    )
    posted = client.post(
        reverse("stories:tell"), form_data([ward], source_post=post.pk)
    )
    assert posted.status_code == 404
    assert not Story.objects.exists()
    with pytest.raises(ValidationError):
        tell(carer, [ward], source_post=post)


def test_only_the_author_is_offered_to_turn_a_post_into_a_story(
    community: Community, member: User, carer: User, client_for: Clients
) -> None:
    thread = factories.make_thread(member, community)
    post = thread.posts.get(number=1)
    link = f"/stories/new/?from_post={post.pk}"
    assert link in client_for(member).get(thread.get_absolute_url()).content.decode()
    assert link not in client_for(carer).get(thread.get_absolute_url()).content.decode()


# The story page -----------------------------------------------------------------------


def test_an_unpublished_story_is_for_its_author_and_the_moderators(
    member: User,
    outsider: User,
    story_moderator: User,
    ward: Service,
    client_for: Clients,
    visitor_client: Client,
) -> None:
    story = tell(member, [ward])
    url = story.get_absolute_url()
    assert visitor_client.get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 404
    own = client_for(member).get(url)
    assert own.status_code == 200
    assert "Waiting for a moderator" in own.content.decode()
    assert client_for(story_moderator).get(url).status_code == 200


def test_the_story_page_shows_the_story_in_its_parts_and_sanitised(
    member: User, ward: Service, visitor_client: Client
) -> None:
    story = tell(
        member,
        [ward],
        what_happened='**Long** night.<script>alert("x")</script>\n\n# Shouting',
        what_could_be_better="[link](javascript:alert(1)) and <img src=x onerror=y>",
        feelings=[Feeling.ANXIOUS],
    )
    assert "<h2>What happened</h2>" in story.body_html
    assert "What was good" not in story.body_html  # an empty part is left out
    assert "<h3>Shouting</h3>" in story.body_html
    publish(story)
    html = visitor_client.get(story.get_absolute_url()).content.decode()
    assert "<strong>Long</strong> night." in html
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert f"North Trust {PATH} General Hospital {PATH} Ward 7" in html
    assert "Anxious" in html


def test_criticality_never_reaches_the_public_page(
    member: User, outsider: User, ward: Service, client_for: Clients
) -> None:
    story = tell(member, [ward])
    publish(story, criticality=4)
    for reader in (Client(), client_for(outsider), client_for(member)):
        html = reader.get(story.get_absolute_url()).content.decode()
        assert "riticality" not in html
        assert "4 of 5" not in html


def test_drafts_stay_off_the_public_pages(
    member: User, ward: Service, north: Organisation, visitor_client: Client
) -> None:
    tell(member, [ward], title="Canary draft title")
    for url in (
        reverse("stories:list"),
        north.get_absolute_url(),
        ward.get_absolute_url(),
    ):
        response = visitor_client.get(url)
        assert response.status_code == 200
        assert "Canary draft title" not in response.content.decode()


def test_the_story_page_takes_a_bounded_number_of_queries(
    member: User, north: Organisation, ward: Service, client_for: Clients
) -> None:
    story = tell(member, [ward], feelings=[Feeling.SAFE, Feeling.GRATEFUL])
    publish(story)
    client = client_for(factories.make_user("A reader"))
    made: list[Service] = []

    def add_services(count: int) -> None:
        for _ in range(count):
            service = make_service(north, f"Clinic {len(made)}", ward)
            made.append(service)
            StoryService.objects.create(story=story, service=service)

    assert_bounded_queries(
        lambda: client.get(story.get_absolute_url()), add_services, max_queries=20
    )


# Editing and withdrawing --------------------------------------------------------------


def test_a_returned_story_edited_goes_back_to_the_moderators(
    member: User,
    ward: Service,
    story_moderator: User,
    client_for: Clients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    story = tell(member, [ward])
    services.return_story(
        story_moderator, story=story, reason=Reason.NAMES_STAFF, note="Leave out names."
    )
    client = client_for(member)
    page = client.get(reverse("stories:edit", args=[story.pk]))
    assert "Leave out names." in page.content.decode()
    assert f'value="{TITLE}"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stories:edit", args=[story.pk]),
            form_data([ward], what_happened="Without the name now."),
        )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Story.Status.SUBMITTED
    assert "Without the name now." in story.body_html
    actions = list(story.decisions.order_by("pk").values_list("action", flat=True))
    assert actions == ["submitted", "returned", "submitted"]
    assert [m.to for m in mail.outbox] == [[story_moderator.email]]


def test_edit_errors_change_nothing(
    member: User, ward: Service, client_for: Clients
) -> None:
    story = tell(member, [ward])
    response = client_for(member).post(
        reverse("stories:edit", args=[story.pk]), form_data([ward], title="")
    )
    assert response.status_code == 200
    story.refresh_from_db()
    assert story.title == TITLE


def test_a_published_story_is_no_longer_edited(
    member: User, ward: Service, client_for: Clients
) -> None:
    story = publish(tell(member, [ward]))
    with pytest.raises(ValidationError):
        services.edit_story(
            member,
            story=story,
            services=[ward],
            title="New",
            what_happened="New",
            author_role="patient",
        )
    response = client_for(member).get(reverse("stories:edit", args=[story.pk]))
    assert response.status_code == 302
    assert response["Location"] == story.get_absolute_url()


def test_only_the_author_edits_or_withdraws(
    member: User,
    outsider: User,
    story_moderator: User,
    ward: Service,
    client_for: Clients,
) -> None:
    story = tell(member, [ward])
    for other in (outsider, story_moderator):
        client = client_for(other)
        assert client.get(reverse("stories:edit", args=[story.pk])).status_code == 404
        withdraw = reverse("stories:withdraw", args=[story.pk])
        assert client.post(withdraw).status_code == 404
    story.refresh_from_db()
    assert story.status == Story.Status.SUBMITTED


def test_the_author_withdraws_a_published_story(
    member: User, ward: Service, client_for: Clients, visitor_client: Client
) -> None:
    story = publish(tell(member, [ward]))
    client = client_for(member)
    url = reverse("stories:withdraw", args=[story.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    story.refresh_from_db()
    assert story.status == Story.Status.WITHDRAWN
    assert story.withdrawn_at is not None
    decision = story.decisions.get(action=StoryDecision.Action.WITHDRAWN)
    assert decision.reason == Reason.AUTHOR_CHOICE
    assert visitor_client.get(story.get_absolute_url()).status_code == 404
    with pytest.raises(ValidationError):
        services.withdraw_story(member, story=story)


def test_writes_need_the_csrf_token(member: User, ward: Service) -> None:
    story = tell(member, [ward])
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(reverse("stories:withdraw", args=[story.pk])).status_code == 403
    assert client.post(reverse("stories:tell"), form_data([ward])).status_code == 403


# The author's list --------------------------------------------------------------------


def test_my_stories_show_status_notes_and_changes_waiting(
    member: User,
    outsider: User,
    ward: Service,
    story_moderator: User,
    client_for: Clients,
) -> None:
    returned = tell(member, [ward], title="Returned one")
    services.return_story(
        story_moderator, story=returned, reason=Reason.UNCLEAR, note="Say which ward."
    )
    waiting = tell(
        member, [ward], title="Waiting one", what_happened="Dr Canary was rude"
    )
    redaction = services.propose_redaction(
        story_moderator,
        story=waiting,
        field="what_happened",
        original="Dr Canary",
        replacement="A doctor",
    )
    tell(outsider, [ward], title="Someone else's")
    html = client_for(member).get(reverse("stories:mine")).content.decode()
    assert "Returned to you with a note" in html
    assert "Say which ward." in html
    assert "Waiting for a moderator" in html
    assert reverse("stories:redaction", args=[waiting.pk, redaction.pk]) in html
    assert reverse("stories:edit", args=[returned.pk]) in html
    assert reverse("stories:withdraw", args=[returned.pk]) in html
    assert "Someone else" not in html


def test_my_stories_take_a_bounded_number_of_queries(
    member: User, ward: Service, client_for: Clients
) -> None:
    client = client_for(member)
    assert_bounded_queries(
        lambda: client.get(reverse("stories:mine")),
        lambda count: [tell(member, [ward]) for _ in range(count)],
        max_queries=12,
        rows=2,
    )


def test_the_principles_are_public(visitor_client: Client, db: None) -> None:
    html = visitor_client.get(reverse("stories:principles")).content.decode()
    assert "No names of patients" in html
    assert "Name staff only to thank them" in html
    assert "No dates or details that could identify anyone" in html


def test_redaction_answers_are_post_only(
    member: User, ward: Service, story_moderator: User, client_for: Clients
) -> None:
    story = tell(member, [ward], what_happened="Dr Canary came.")
    redaction = services.propose_redaction(
        story_moderator,
        story=story,
        field="what_happened",
        original="Dr Canary",
        replacement="A doctor",
    )
    url = reverse("stories:redaction", args=[story.pk, redaction.pk])
    assert client_for(member).get(url).status_code == 405
    redaction.refresh_from_db()
    assert redaction.status == Redaction.Status.PROPOSED


def test_digits_of_other_scripts_in_addresses_change_nothing_and_break_nothing(
    client_for: Callable[[User], Client], member: User, ward: Service
) -> None:
    # "²" counts as a digit to str.isdigit() but int() refuses it: it is no
    # id, so nothing is chosen or started from.
    client = client_for(member)
    tell_page = reverse("stories:tell")
    assert client.get(tell_page, {"service": "²", "from_post": "²"}).status_code == 200
    arabic_three = "\u0663"  # a decimal digit, which int() reads as 3
    assert client.get(tell_page, {"service": arabic_three}).status_code == 200
    assert client.get(tell_page, {"from_post": arabic_three}).status_code == 404
