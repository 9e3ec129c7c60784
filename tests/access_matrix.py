"""The access matrix: for every URL pattern of the project, what each role gets.

tests/test_access_matrix.py walks every pattern Django knows (ours, allauth's,
the API's, the admin's) and fails when a pattern has no rule here, when two
rules claim it, or when any role gets another answer than the rule says.

Adding a URL: add one `Rule` to RULES, next to its neighbours.

    Rule(
        "me/carers/<int:delegation_id>/accept",   # the route, as Django joins it
        url="/me/carers/{delegation}/accept",      # {names} from World.values
        get=signed_in(NOT_ALLOWED),                # GET answers
        post=signed_in(NOT_FOUND, carer=OK, member=OK),   # POST answers
    )

`signed_in(outcome, **overrides)` gives anonymous a login redirect and every
signed-in role `outcome`; `everyone(...)` and `api(...)` work alike; override
any role by name. A rule with `family=True` matches routes by regular
expression (use it for big generated families such as the admin's).

The ids in URLs come from the `world` fixture in tests/test_access_matrix.py
(add a value there when a new route needs one). Each role's client logs in
through allauth's form (and two-factor step) and then reauthenticates, so
allauth's security pages give their own answers. Every request runs in a
transaction that is rolled back, with the client's cookies restored, so no
answer depends on the order of the checks."""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpResponseBase
from django.urls import URLPattern, URLResolver, get_resolver

ROLES = (
    "anonymous",
    "member",
    "carer",
    "outsider",
    "verifier",
    "administrator",
    "clinician",
    "researcher",
    "organiser",
    "moderator",
    "service_staff",
)
# The roles whose fixtures have set up an authenticator app (TOTP).
WITH_TOTP = (
    "verifier",
    "administrator",
    "clinician",
    "organiser",
    "moderator",
    "service_staff",
)
LOGIN_PATH = "/accounts/login/"
ADMIN_LOGIN_PATH = "/admin/login/"


# Outcomes ----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    label: str
    matches: Callable[[HttpResponseBase], bool] = field(compare=False)

    def __str__(self) -> str:
        return self.label


def redirect_path(response: HttpResponseBase) -> str:
    if not 300 <= response.status_code < 400:
        return ""
    return urlsplit(response.get("Location", "")).path


def status(code: int, label: str = "") -> Outcome:
    return Outcome(label or str(code), lambda r: r.status_code == code)


def redirects_to(path: str) -> Outcome:
    """A redirect to `path` (its query string, such as ?next=, is not compared)."""
    return Outcome(f"redirect to {path}", lambda r: redirect_path(r) == path)


def _allowed(response: HttpResponseBase) -> bool:
    if 200 <= response.status_code < 300:
        return True
    return 300 <= response.status_code < 400 and redirect_path(response) not in (
        LOGIN_PATH,
        ADMIN_LOGIN_PATH,
    )


OK = Outcome("allowed (2xx, or a redirect not to a login page)", _allowed)
LOGIN = redirects_to(LOGIN_PATH)
ADMIN_LOGIN = redirects_to(ADMIN_LOGIN_PATH)
# For people whose powers need two-factor authentication they have not set up.
MFA_SETUP = redirects_to("/accounts/2fa/totp/activate/")
BAD_REQUEST = status(400, "400 bad request")
UNAUTHORIZED = status(401, "401 unauthorized")
FORBIDDEN = status(403, "403 forbidden")
NOT_FOUND = status(404, "404 not found")
NOT_ALLOWED = status(405, "405 method not allowed")
INVALID = status(422, "422 invalid input")

Answers = Mapping[str, Outcome]


def _answers(default: Outcome, overrides: Mapping[str, Outcome]) -> Answers:
    unknown = set(overrides) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {ROLES}")
    return {role: overrides.get(role, default) for role in ROLES}


def each_of(roles: tuple[str, ...], outcome: Outcome) -> dict[str, Outcome]:
    """Overrides for several roles at once: signed_in(NOT_FOUND, **each_of(...))."""
    return dict.fromkeys(roles, outcome)


# The people of a feature's community in the matrix's world, by power.
MEMBERS = ("organiser", "moderator", "member", "carer")
MODERATORS = ("organiser", "moderator")


def given(
    roles: tuple[str, ...], outcome: Outcome, **overrides: Outcome
) -> dict[str, Outcome]:
    """`roles` get `outcome`, then `overrides` apply: the keyword arguments
    for signed_in() or api(), e.g. signed_in(FORBIDDEN, **given(MEMBERS, OK))."""
    return {**dict.fromkeys(roles, outcome), **overrides}


def everyone(outcome: Outcome, **overrides: Outcome) -> Answers:
    return _answers(outcome, overrides)


def signed_in(
    outcome: Outcome, *, anonymous: Outcome = LOGIN, **overrides: Outcome
) -> Answers:
    """Anonymous visitors are sent to log in; everyone signed in gets `outcome`."""
    return _answers(outcome, {"anonymous": anonymous, **overrides})


def api(
    outcome: Outcome, *, anonymous: Outcome = UNAUTHORIZED, **overrides: Outcome
) -> Answers:
    """The API answers 401 to anonymous callers."""
    return _answers(outcome, {"anonymous": anonymous, **overrides})


# Rules -------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """One route of the project. Routes that several URLPatterns share (the
    API registers one per operation) are one Pattern with all their names."""

    route: str
    names: tuple[str, ...]

    def __str__(self) -> str:
        names = ", ".join(name for name in self.names if name) or "unnamed"
        return f"{self.route!r} ({names})"


URL = str | Callable[["Pattern", Mapping[str, Any]], str]
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Rule:
    route: str
    get: Answers
    post: Answers | None = None
    put: Answers | None = None
    patch: Answers | None = None
    delete: Answers | None = None
    # The path to request: a format string over World.values ("/me/tokens/{token}/
    # revoke") or a function of (pattern, values). Default: "/" + route.
    url: URL | None = None
    family: bool = False
    # Routes a family leaves to other rules (regular expressions).
    excluding: tuple[str, ...] = ()
    # A JSON body for the API's unsafe methods ({} by default).
    json: Mapping[str, Any] | None = None

    def claims(self, pattern: Pattern) -> bool:
        if not self.family:
            return self.route == pattern.route
        if any(re.fullmatch(other, pattern.route) for other in self.excluding):
            return False
        return re.fullmatch(self.route, pattern.route) is not None

    def path(self, pattern: Pattern, values: Mapping[str, Any]) -> str:
        if self.url is None:
            return "/" + pattern.route
        if isinstance(self.url, str):
            return self.url.format_map(values)
        return self.url(pattern, values)

    def checks(self) -> Iterator[tuple[str, Answers]]:
        for method in METHODS:
            answers = getattr(self, method)
            if answers is not None:
                yield method.upper(), answers


def project_patterns() -> list[Pattern]:
    """Every route Django resolves, joined as Django joins them (so they equal
    `resolve(path).route`), in resolution order."""
    found: dict[str, list[str]] = {}
    _walk(get_resolver(), "", "", found)
    return [Pattern(route, tuple(names)) for route, names in found.items()]


def _walk(
    resolver: URLResolver, prefix: str, namespace: str, found: dict[str, list[str]]
) -> None:
    for entry in resolver.url_patterns:
        part = str(entry.pattern)
        route = prefix + part.removeprefix("^") if prefix else part
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = (
                    f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                )
            _walk(entry, route, inner, found)
        elif isinstance(entry, URLPattern):
            name = (
                f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            )
            found.setdefault(route, []).append(name or "")


def rules_for(pattern: Pattern, rules: list[Rule]) -> list[Rule]:
    return [rule for rule in rules if rule.claims(pattern)]


# URLs of generated families -----------------------------------------------


def admin_url(pattern: Pattern, values: Mapping[str, Any]) -> str:
    """A concrete admin URL: object ids of real rows where the route has one."""
    if pattern.route.startswith("admin/r/"):  # "view on site" of a persona
        return f"/admin/r/{values['persona_type']}/{values['persona_pk']}/"
    path = "/" + pattern.route
    path = re.sub(r"\^?\(\?P<app_label>[^)]*\)\$?", "accounts", path)
    object_id = values["admin_objects"].get(_admin_model(pattern), 0)
    return path.replace("<path:object_id>", str(object_id)).rstrip("$")


def _admin_model(pattern: Pattern) -> str:
    """'app_label.model' of an admin route such as 'admin/accounts/user/...'."""
    parts = pattern.route.split("/")
    return f"{parts[1]}.{parts[2]}" if len(parts) > 3 else ""


# The table ---------------------------------------------------------------

TO_CARERS = redirects_to("/me/carers/")
AUTH_PAGE = everyone(OK)  # pages for anyone: redirects signed-in people onwards
# A step of logging in: with no login under way, back to the login page.
LOGIN_STEP = signed_in(OK)
# The admin's own pages: staff only (and only with two-factor authentication,
# see kinwell/accounts/admin_site.py); everyone else to the admin's login.
STAFF_ONLY = signed_in(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, administrator=OK)
ADMIN_CATCH_ALL = "admin/(?P<url>.*)$"
# Models the admin shows read-only: adding and deleting happen elsewhere,
# through services that audit and notify.
ADMIN_READ_ONLY = (
    r"admin/(accounts/\w+|django_tasks_database/dbtaskresult)"
    r"/(add/|<path:object_id>/delete/)"
)

RULES: list[Rule] = [
    # The website shell
    Rule("", get=everyone(OK)),
    Rule("healthz", get=everyone(OK)),
    # Your own account pages: any signed-in person, about themselves
    Rule("me/", get=signed_in(OK)),
    Rule("me/accessibility/", get=signed_in(OK)),
    Rule("me/personas/", get=signed_in(OK)),
    Rule("me/credentials/", get=signed_in(OK)),
    Rule("me/carers/", get=signed_in(OK)),
    Rule("me/consents/", get=signed_in(OK)),
    Rule("me/data-access/", get=signed_in(OK)),
    Rule("me/tokens/", get=signed_in(OK)),
    # The member's delegation to the carer: only the two of them learn that it
    # exists. It is already active, so accepting or declining it again sends
    # them back to the list with a message.
    Rule(
        "me/carers/<int:delegation_id>/accept",
        url="/me/carers/{delegation}/accept",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(NOT_FOUND, member=TO_CARERS, carer=TO_CARERS),
    ),
    Rule(
        "me/carers/<int:delegation_id>/decline",
        url="/me/carers/{delegation}/decline",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(NOT_FOUND, member=TO_CARERS, carer=TO_CARERS),
    ),
    Rule(
        "me/carers/<int:delegation_id>/revoke",
        url="/me/carers/{delegation}/revoke",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(NOT_FOUND, member=TO_CARERS, carer=TO_CARERS),
    ),
    Rule(  # acting is the carer's side only: the member gets a 404 too
        "me/carers/<int:delegation_id>/act",
        url="/me/carers/{delegation}/act",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(NOT_FOUND, carer=redirects_to("/")),
    ),
    Rule(
        "me/acting/stop",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(TO_CARERS),
    ),
    Rule(
        "me/consents/<str:purpose>/",
        url="/me/consents/{purpose}/",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(redirects_to("/me/consents/")),
    ),
    Rule(
        "me/tokens/<int:token_id>/revoke",
        url="/me/tokens/{token}/revoke",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(NOT_FOUND, member=redirects_to("/me/tokens/")),
    ),
    # Public identities; an anonymous professional persona is public too
    Rule(
        "people/<str:public_id>/",
        url="/people/{anonymous_persona}/",
        get=everyone(OK),
    ),
    # Verifiers only; everyone else must not learn the queue exists
    Rule("verify/", get=signed_in(NOT_FOUND, verifier=OK)),
    Rule(
        "verify/<int:credential_id>/",
        url="/verify/{credential}/",
        get=signed_in(NOT_FOUND, verifier=OK),
        post=signed_in(NOT_FOUND, verifier=OK),
    ),
    # allauth: logging in and out, signing up, confirming, resetting
    Rule("accounts/login/", get=AUTH_PAGE),
    Rule("accounts/logout/", get=AUTH_PAGE),
    Rule("accounts/inactive/", get=AUTH_PAGE),
    Rule("accounts/signup/", get=AUTH_PAGE),
    Rule("accounts/confirm-email/", get=AUTH_PAGE),
    Rule(
        r"accounts/confirm-email/(?P<key>[-:\w]+)/$",
        url="/accounts/confirm-email/{email_key}/",
        get=AUTH_PAGE,
    ),
    Rule("accounts/login/code/confirm/", get=LOGIN_STEP),
    Rule("accounts/password/reset/", get=AUTH_PAGE),
    Rule("accounts/password/reset/done/", get=AUTH_PAGE),
    Rule(
        r"accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        url="/accounts/password/reset/key/{reset_key}/",
        get=AUTH_PAGE,
    ),
    Rule("accounts/password/reset/key/done/", get=AUTH_PAGE),
    # allauth: your own security settings
    Rule("accounts/reauthenticate/", get=signed_in(OK)),
    Rule("accounts/email/", get=signed_in(OK)),
    Rule("accounts/password/change/", get=signed_in(OK)),
    Rule("accounts/password/set/", get=signed_in(OK)),
    Rule("accounts/sessions/", get=signed_in(OK)),
    Rule("accounts/2fa/", get=signed_in(OK)),
    Rule("accounts/2fa/authenticate/", get=LOGIN_STEP),
    Rule("accounts/2fa/reauthenticate/", get=signed_in(OK)),
    Rule("accounts/2fa/totp/activate/", get=signed_in(OK)),
    # Pages about an authenticator you have: 404 for those who have none.
    # Only the verifier has recovery codes and a passkey in the test world.
    Rule(
        "accounts/2fa/totp/deactivate/",
        get=signed_in(NOT_FOUND, **each_of(WITH_TOTP, OK)),
    ),
    Rule("accounts/2fa/recovery-codes/", get=signed_in(NOT_FOUND, verifier=OK)),
    Rule("accounts/2fa/recovery-codes/generate/", get=signed_in(OK)),
    Rule(
        "accounts/2fa/recovery-codes/download/",
        get=signed_in(NOT_FOUND, verifier=OK),
    ),
    Rule("accounts/2fa/webauthn/", get=signed_in(OK)),
    Rule("accounts/2fa/webauthn/add/", get=signed_in(OK)),
    Rule("accounts/2fa/webauthn/reauthenticate/", get=signed_in(OK)),
    Rule(
        "accounts/2fa/webauthn/keys/<int:pk>/remove/",
        url="/accounts/2fa/webauthn/keys/{passkey}/remove/",
        get=signed_in(NOT_FOUND, verifier=OK),
    ),
    Rule(
        "accounts/2fa/webauthn/keys/<int:pk>/edit/",
        url="/accounts/2fa/webauthn/keys/{passkey}/edit/",
        get=signed_in(NOT_FOUND, verifier=OK),
    ),
    Rule("accounts/2fa/webauthn/login/", get=LOGIN_STEP),
    # The API
    Rule("api/v1/", get=everyone(NOT_FOUND)),
    Rule("api/v1/openapi.json", get=everyone(OK)),
    Rule("api/v1/me", get=api(OK)),
    Rule("api/v1/me/profile", get=everyone(NOT_ALLOWED), patch=api(OK)),
    Rule("api/v1/me/accessibility", get=everyone(NOT_ALLOWED), patch=api(OK)),
    Rule("api/v1/me/personas", get=api(OK)),
    # Personas are public identities, in the API as on the website
    Rule(
        "api/v1/personas/<public_id>",
        url="/api/v1/personas/{anonymous_persona}",
        get=everyone(OK),
    ),
    # An empty body: the caller is identified before the body is checked.
    Rule("api/v1/me/credentials", get=api(OK), post=api(INVALID)),
    Rule("api/v1/me/delegations", get=api(OK), post=api(INVALID)),
    # The member's delegation to the carer, as on the website: 404 for
    # everyone else; accepting or declining an active one is a 400.
    Rule(
        "api/v1/me/delegations/<delegation_id>/accept",
        url="/api/v1/me/delegations/{delegation}/accept",
        get=everyone(NOT_ALLOWED),
        post=api(NOT_FOUND, member=BAD_REQUEST, carer=BAD_REQUEST),
    ),
    Rule(
        "api/v1/me/delegations/<delegation_id>/decline",
        url="/api/v1/me/delegations/{delegation}/decline",
        get=everyone(NOT_ALLOWED),
        post=api(NOT_FOUND, member=BAD_REQUEST, carer=BAD_REQUEST),
    ),
    Rule(
        "api/v1/me/delegations/<delegation_id>/revoke",
        url="/api/v1/me/delegations/{delegation}/revoke",
        get=everyone(NOT_ALLOWED),
        post=api(NOT_FOUND, member=OK, carer=OK),
    ),
    Rule(
        "api/v1/me/consents",
        get=api(OK),
        post=api(status(201)),
        json={"purpose": "research", "given": True},
    ),
    Rule("api/v1/me/consents/history", get=api(OK)),
    Rule("api/v1/me/data-access", get=api(OK)),
    Rule(
        "api/v1/me/tokens",
        get=api(OK),
        post=api(status(201)),
        json={"name": "Diary app", "scope": "read"},
    ),
    Rule(
        "api/v1/me/tokens/<token_id>",
        url="/api/v1/me/tokens/{token}",
        get=everyone(NOT_ALLOWED),
        delete=api(NOT_FOUND, member=status(204)),
    ),
    # The admin: staff who have set up two-factor authentication. Its login
    # page hands over to allauth's (which has the two-factor step).
    Rule("admin/login/", get=signed_in(FORBIDDEN, administrator=OK)),
    # Logging out of the admin: people who are not staff go to its index
    # (and from there to its login).
    Rule(
        "admin/logout/",
        get=everyone(redirects_to("/admin/"), administrator=NOT_ALLOWED),
        post=everyone(redirects_to("/admin/"), administrator=OK),
    ),
    # Autocomplete answers only with its query parameters; none of our admin
    # pages uses it.
    Rule(
        "admin/autocomplete/",
        get=signed_in(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, administrator=FORBIDDEN),
    ),
    # Unknown admin addresses: a 404 only for staff, so others learn nothing.
    Rule(
        ADMIN_CATCH_ALL,
        url="/admin/no-such-admin-page/",
        get=signed_in(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, administrator=NOT_FOUND),
    ),
    Rule(
        ADMIN_READ_ONLY,
        family=True,
        url=admin_url,
        get=signed_in(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, administrator=FORBIDDEN),
    ),
    Rule(
        r"admin/.*",
        family=True,
        excluding=(
            r"admin/(login|logout|autocomplete)/",
            re.escape(ADMIN_CATCH_ALL),
            ADMIN_READ_ONLY,
        ),
        url=admin_url,
        get=STAFF_ONLY,
    ),
]
