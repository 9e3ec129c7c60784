import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from kinwell.accounts.models import Credential, Delegation, User
from kinwell.cli import main
from kinwell.tracking import demo as tracking_demo
from kinwell.web.demo import DEMO_LOGINS

KINWELL = [sys.executable, "-m", "kinwell.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KINWELL_", "DJANGO_", "DATABASE_URL"))
    }
    env.update(KINWELL_DATA_DIR=str(tmp_path / "var"), **extra)
    return env


def test_kinwell_without_a_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "serve" in capsys.readouterr().out


def test_unknown_command_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bogus"])
    assert exit_.value.code == 2
    assert "invalid choice: 'bogus'" in capsys.readouterr().err


def test_serve_without_a_secret_key_says_what_is_missing(tmp_path):
    result = subprocess.run(
        [*KINWELL, "serve"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "KINWELL_SECRET_KEY is not set" in result.stderr


def test_check_passes_on_a_well_configured_sqlite_installation(tmp_path):
    env = _env(
        tmp_path,
        KINWELL_SECRET_KEY="k" * 20 + "-a-long-random-value-" + "z" * 20,
        KINWELL_EMAIL_BACKEND="smtp",
    )
    subprocess.run(
        [*KINWELL, "manage", "migrate", "-v0"], env=env, check=True, timeout=120
    )
    result = subprocess.run(
        [*KINWELL, "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    # Warnings remain for a plain-http demo: they are advice, not errors.
    assert "kinwell.W002" in result.stderr
    assert "kinwell.E002" not in result.stderr


def test_check_fails_when_mail_would_go_nowhere(tmp_path):
    env = _env(tmp_path, KINWELL_SECRET_KEY="s" * 60, KINWELL_EMAIL_BACKEND="console")
    result = subprocess.run(
        [*KINWELL, "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "mail.E001" in result.stderr


def test_demo_data_loads_twice_without_duplicates(db):
    call_command("load_demo")
    counts = (
        User.objects.count(),
        Delegation.objects.count(),
        Credential.objects.count(),
    )
    call_command("load_demo")
    assert (
        User.objects.count(),
        Delegation.objects.count(),
        Credential.objects.count(),
    ) == counts
    assert counts[0] == len(DEMO_LOGINS) + tracking_demo.MEMBERS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, deadline: float) -> int:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status)
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in time")


def test_demo_command_serves_the_home_page_with_a_worker(tmp_path):
    """Quick start command 1, minus the virtualenv: migrate, demo data, serve."""
    port = _free_port()
    process = subprocess.Popen(
        [*KINWELL, "demo", "--port", str(port)],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_for(f"{base}/healthz", time.monotonic() + 120) == 200
        assert _wait_for(f"{base}/", time.monotonic() + 10) == 200
        assert (tmp_path / "var" / "secret_key").exists()
        assert (tmp_path / "var" / "kinwell.sqlite3").exists()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"Kinwell is starting at http://127.0.0.1:{port}" in output
    assert "alex@demo.kinwell.test" in output
    assert "db_worker" in output or "Starting worker" in output or "worker" in output


def test_kinwell_export_then_import_round_trips_a_community(
    community, administrator, tmp_path, capsys
):
    from kinwell.communities.models import Community

    archive = tmp_path / "community.zip"
    assert main(["export", community.slug, "-o", str(archive)]) == 0
    assert archive.stat().st_size > 0
    code = main(
        ["import", str(archive), "--slug", "copy", "--organiser", administrator.email]
    )
    assert code == 0
    copy = Community.objects.get(slug="copy")
    assert copy.imported_from
    assert copy.charter == community.charter


def test_kinwell_export_of_an_unknown_community_is_a_clear_error(db, tmp_path, capsys):
    assert main(["export", "nowhere", "-o", str(tmp_path / "x.zip")]) == 1
    assert "no community with the slug" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
