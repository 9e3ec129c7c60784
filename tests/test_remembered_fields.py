"""Form fields rendered once for each distinct thing they show
(kinwell.lib.forms.RememberedBoundField), and the reply form's queries."""

from typing import Any

import pytest
from django import forms
from django.forms import BoundField
from django.test import RequestFactory

from kinwell.accounts.forms import KinwellForm
from kinwell.accounts.middleware import AuthenticationMiddleware
from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.discussions import pages
from kinwell.discussions.bylines import byline_html
from kinwell.discussions.forms import ReplyForm, ThreadForm
from kinwell.lib.forms import RememberedBoundField
from tests import factories
from tests.helpers import count_queries


class Choosing(KinwellForm):
    name = forms.CharField(label="Name", max_length=5, help_text="Short.")
    colour = forms.ChoiceField(label="Colour", required=False)

    def __init__(self, *args: Any, colours: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["colour"].choices = [(c, c.title()) for c in colours]  # type: ignore[attr-defined]


def _django_renders(field: BoundField) -> str:
    return str(BoundField.as_field_group(field))


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    original = BoundField.as_field_group

    def counted(field: BoundField) -> Any:
        made.append(field.name)
        return original(field)

    monkeypatch.setattr(BoundField, "as_field_group", counted)
    return made


def test_a_field_shows_what_django_renders_and_is_rendered_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    form = Choosing(colours=["red", "blue"])
    expected = _django_renders(form["colour"])
    made = _count_renders(monkeypatch)

    first = Choosing(colours=["red", "blue"])["colour"].as_field_group()
    again = Choosing(colours=["red", "blue"])["colour"].as_field_group()

    assert isinstance(form["colour"], RememberedBoundField)
    assert str(first) == str(again) == expected
    assert made == ["colour"]


def test_other_choices_values_and_errors_are_other_html() -> None:
    red = Choosing(colours=["red"])["colour"].as_field_group()
    green = Choosing(colours=["green"])["colour"].as_field_group()
    assert "Red" in red
    assert "Green" not in red
    assert "Green" in green

    typed = Choosing({"name": "Ann", "colour": "red"}, colours=["red"])
    assert 'value="Ann"' in typed["name"].as_field_group()
    other = Choosing({"name": "Bo", "colour": "red"}, colours=["red"])
    assert 'value="Bo"' in other["name"].as_field_group()

    too_long = Choosing({"name": "Annabel", "colour": "red"}, colours=["red"])
    shown = too_long["name"].as_field_group()
    assert shown == _django_renders(too_long["name"])
    assert "at most 5 characters" in shown
    same_value_valid = Choosing({"name": "Annab", "colour": "red"}, colours=["red"])
    assert "at most 5" not in same_value_valid["name"].as_field_group()


@pytest.mark.django_db
def test_choices_from_a_query_are_rendered_afresh(
    monkeypatch: pytest.MonkeyPatch, community: Community, member: User
) -> None:
    form = ThreadForm()
    form.setup(member, community, None)
    made = _count_renders(monkeypatch)
    form["tags"].as_field_group()
    form["tags"].as_field_group()
    assert made == ["tags", "tags"]


@pytest.mark.django_db
def test_two_members_reply_forms_show_their_own_personas(
    community: Community, member: User, clinician: User
) -> None:
    community.memberships.create(user=clinician)
    forms_of = {}
    for user in (member, clinician):
        form = ReplyForm()
        form.setup(user, community, None)
        forms_of[user.pk] = str(form["persona"].as_field_group())
    assert "Mo Member (you)" in forms_of[member.pk]
    assert "Mo Member" not in forms_of[clinician.pk]


@pytest.mark.django_db
def test_the_reply_form_of_someone_who_is_nobodys_carer_costs_one_query(
    community: Community, member: User, carer: User
) -> None:
    def setup(user: User) -> ReplyForm:
        form = ReplyForm()
        form.setup(user, community, None)
        return form

    assert count_queries(lambda: setup(member)) == 1
    assert "on_behalf_of" not in setup(member).fields
    assert count_queries(lambda: setup(carer)) == 2
    assert "Mo Member, as their carer" in str(setup(carer)["on_behalf_of"])


@pytest.mark.django_db
def test_a_thread_page_loads_no_password_hash(
    community: Community, member: User
) -> None:
    thread = factories.make_thread(member, community)
    page = pages.thread_page(member, thread, 1)
    persona = page.posts[0].persona
    assert persona is not None
    assert "password" in persona.user.get_deferred_fields()
    # What the byline shows came with the posts.
    assert count_queries(lambda: [byline_html(post) for post in page.posts]) == 0


def test_the_account_is_looked_up_at_once(rf: RequestFactory, db: None) -> None:
    user = factories.make_user("Eve Early")
    request = rf.get("/")
    request.session = _session_of(user)
    AuthenticationMiddleware(lambda r: None).process_request(request)  # type: ignore[arg-type, return-value]
    assert type(request.user) is User
    assert request.user == user


def _session_of(user: User) -> Any:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    return session
