"""Schemathesis drives every operation in /api/v1/openapi.json with generated
requests, as a signed-in member with a write token: no 5xx, and every answer
matches the schema it declares."""

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from ninja import Schema

from kinwell.accounts import services
from kinwell.accounts.models import User
from kinwell.api import routers as api_routers
from kinwell.api import schemas as api_schemas
from kinwell.wsgi import application
from tests import factories

StartResponse = Callable[..., Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The site's WSGI application, minus the end-of-request connection close,
    which would end the test's transaction (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Services enforce rules no schema can express (an account with that email
# must exist; only the carer may accept) and answer those with 400, so a
# well-formed request may be refused with 400 as well as 401/403/404/429.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            }
        }
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)


@pytest.fixture
def token_headers(db: None, settings: Any) -> Iterator[dict[str, str]]:
    settings.KINWELL_WRITES_PER_MINUTE = 100_000
    cache.clear()
    member = factories.make_user("Schema Member")
    _make_something_to_find(member)
    _token, raw = services.create_api_token(member, name="schemathesis", scope="write")
    yield {"Authorization": f"Bearer {raw}"}
    cache.clear()


def _make_something_to_find(member: User) -> None:
    carer = factories.make_user("Schema Carer", email="carer@example.org")
    factories.make_delegation(member, carer, ["read"])
    services.record_consent(member, user=member, purpose="research", given=True)
    factories.make_verified_clinician()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_honours_its_schema(
    case: schemathesis.Case[Any], token_headers: dict[str, str]
) -> None:
    case.call_and_validate(headers=token_headers)


def test_every_schema_has_a_name_of_its_own() -> None:
    """The OpenAPI document names each schema by its class name alone, so two
    classes of one name would silently share one description (a request body
    documented with another route's fields)."""
    found: dict[str, list[str]] = {}
    for package in (api_schemas, api_routers):
        for module_info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, Schema)
                    and value.__module__ == module.__name__
                ):
                    found.setdefault(name, []).append(module.__name__)
    assert {name: where for name, where in found.items() if len(where) > 1} == {}
