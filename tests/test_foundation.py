import os
import re
import subprocess
import sys
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from kinwell.accounts import services
from kinwell.lib.markdown import render_markdown
from kinwell.lib.ratelimit import RateLimited, check


def test_healthz_answers_200_when_the_database_is_reachable(db, visitor_client):
    response = visitor_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_healthz_answers_503_when_the_database_is_not(db, visitor_client):
    with mock.patch(
        "kinwell.web.views.connection.cursor", side_effect=OperationalError("down")
    ):
        response = visitor_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_home_page_sends_security_headers_with_a_fresh_nonce(db, visitor_client):
    first = visitor_client.get("/")
    second = visitor_client.get("/")
    assert first.status_code == 200
    csp = first["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce
    assert f'nonce="{nonce.group(1)}"' in first.content.decode()
    assert nonce.group(1) not in second["Content-Security-Policy"]
    assert first["X-Frame-Options"] == "DENY"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Referrer-Policy"] == "same-origin"
    assert first["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_pages_make_no_third_party_requests(db, visitor_client, path):
    html = visitor_client.get(path).content.decode()
    external = re.findall(r'(?:src|href|action)="((?:https?:)?//[^"]+)"', html)
    assert external == []


def test_pages_are_styled_without_inline_styles_or_scripts(db, visitor_client):
    html = visitor_client.get("/").content.decode()
    assert "style=" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "nonce=" in tag
        assert "src=" in tag


def test_unknown_page_gets_a_friendly_404(db, visitor_client):
    response = visitor_client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"couldn" in response.content


def test_settings_refuse_to_start_without_a_secret_key_outside_debug(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "KINWELL_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import kinwell.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "KINWELL_SECRET_KEY is not set" in result.stderr


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown(
        "# Title\n\n**bold** [ok](https://example.org) [bad](javascript:alert(1))\n\n"
        "<script>alert(1)</script><img src=x onerror=alert(1)>"
    )
    assert "<h3>Title</h3>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html
    assert 'href="javascript' not in html
    # Raw HTML is left out, never passed through.
    assert "<script" not in html
    assert "<img" not in html
    assert "onerror" not in html
    assert 'rel="nofollow noopener noreferrer ugc"' in html


def test_rate_limit_counts_within_a_window_and_then_refuses(db):
    for _ in range(3):
        check("test-action", "key-1", limit=3, period=60)
    with pytest.raises(RateLimited) as refused:
        check("test-action", "key-1", limit=3, period=60)
    assert 0 < refused.value.retry_after <= 60
    check("test-action", "another-key", limit=3, period=60)


def test_failed_logins_are_limited_with_a_plain_429_and_no_account_hint(db, member):
    def fail_login(email: str, address: str) -> int:
        client = Client(REMOTE_ADDR=address)
        return client.post(
            "/accounts/login/", {"login": email, "password": "wrong password here"}
        ).status_code

    known = [fail_login(member.email, "192.0.2.1") for _ in range(6)]
    unknown = [fail_login("nobody@example.org", "192.0.2.2") for _ in range(6)]
    # The same answers whether or not the account exists: five refusals, then 429.
    assert known == unknown == [200] * 5 + [429]
    response = Client(REMOTE_ADDR="192.0.2.3").post(
        "/accounts/login/", {"login": member.email, "password": "wrong password here"}
    )
    assert response.status_code == 429
    assert b"try again" in response.content
    assert b"ends by itself" in response.content


def test_failed_logins_from_one_address_are_limited_across_accounts(db):
    statuses = [
        Client(REMOTE_ADDR="198.51.100.7")
        .post("/accounts/login/", {"login": f"p{n}@example.org", "password": "x" * 12})
        .status_code
        for n in range(11)
    ]
    assert statuses == [200] * 10 + [429]


def test_changes_through_the_website_are_rate_limited_per_account(
    member, client_for, settings
):
    settings.KINWELL_WRITES_PER_MINUTE = 3
    client = client_for(member)
    form = {"display_name": "Mo", "pronouns": "", "bio": ""}
    statuses = [client.post("/me/", form).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert client.get("/me/").status_code == 200  # reading is never limited
    # Web and API share one budget: the API is no way around the limit.
    _, raw = services.create_api_token(member, name="app", scope="write")
    api = Client().patch(
        "/api/v1/me/profile",
        {"bio": "x"},
        content_type="application/json",
        headers={"authorization": f"Bearer {raw}"},
    )
    assert api.status_code == 429
    assert api.json()["error"]["code"] == "rate_limited"


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_markdown_rendering_frees_what_it_allocates():
    body = (
        "# Notes\n\n**Pacing** ~~rushing~~\n\n| day | hours |\n|-|-|\n| Mon | 2 |\n" * 5
    )
    render_markdown(body)
    before = _resident_mb()
    for _ in range(20_000):
        render_markdown(body)
    # Leaking the document tree and the HTML would take over 200 MB here.
    assert _resident_mb() - before < 20
