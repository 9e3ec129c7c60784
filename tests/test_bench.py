"""`kinwell bench`, kept working: the small scale is seeded into a temporary
SQLite database and every scenario runs for two seconds against the
production server. Timings are not asserted (the machine is shared); the
shape of the results and zero errors are, since an error is a bug."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from kinwell.bench.lua import lua_string
from kinwell.bench.wrk import INSTALL

ROOT = Path(__file__).resolve().parents[1]
READ_SCENARIOS = [
    "floor",
    "home",
    "directory",
    "thread_list",
    "thread_visitor",
    "thread_member",
    "search",
    "notifications",
    "story",
    "service_statistics",
    "insights",
    "personal_chart",
]
WRITE_SCENARIOS = ["reply", "reaction", "check_in"]
SCENARIOS = [*READ_SCENARIOS, *WRITE_SCENARIOS]


def _environment(data_dir: Path, path: str | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        and not key.startswith("KINWELL_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kinwell.settings",
        KINWELL_DATA_DIR=str(data_dir),
        KINWELL_SECRET_KEY="bench-test-secret-key-" + "x" * 40,
        KINWELL_EMAIL_BACKEND="locmem",
        KINWELL_LOG_LEVEL="WARNING",
    )
    if path is not None:
        env["PATH"] = path
    return env


def _kinwell(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "kinwell.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output
    return output


def test_wrk_is_installed() -> None:
    # bin/test installs it; without it the benchmark cannot be kept working.
    if shutil.which("wrk") is None:
        pytest.fail(INSTALL)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = _environment(tmp_path_factory.mktemp("bench"))
    _kinwell(env, "manage", "migrate", "--no-input", "--verbosity", "0")
    _kinwell(env, "seed", "--scale", "small")
    return env


def test_bench_runs_every_scenario_without_errors(
    seeded: dict[str, str], tmp_path: Path
) -> None:
    if shutil.which("wrk") is None:
        pytest.fail(INSTALL)
    results, table = tmp_path / "bench.json", tmp_path / "bench.md"
    output = _kinwell(
        seeded,
        "bench",
        "--duration=2",
        "--skip-archive",
        f"--json={results}",
        f"--markdown={table}",
        timeout=600,
    )
    document = json.loads(results.read_text())
    ran = {scenario["name"]: scenario for scenario in document["scenarios"]}
    assert list(ran) == SCENARIOS, output
    assert document["database"] == "sqlite"
    assert document["connections"] == 8
    for name, scenario in ran.items():
        assert scenario["ran"], (name, scenario["failure"])
        assert scenario["requests"] > 0, name
        assert scenario["errors"] == 0, (name, scenario["error_detail"], output)
        assert set(scenario["latency_ms"]) >= {"p50", "p90", "p99"}
        assert scenario["memory_mb"]["peak_process"] > 0
        assert scenario["floor_ratio"] > 0
        assert scenario["budgets"], name
        assert all(set(check) == {"budget", "met"} for check in scenario["budgets"])
    assert ran["floor"]["floor_ratio"] == 1
    for name in ("reply", "check_in"):
        writes = ran[name]["writes"]
        assert writes["successful"] == ran[name]["statuses"]["302"]
        assert writes["lost"] == 0
        assert writes["new_rows"] >= writes["successful"]
    rows = table.read_text().splitlines()
    assert len(rows) == 2 + len(SCENARIOS)
    assert rows[0] in output


def test_bench_leaves_no_sessions_behind(seeded: dict[str, str]) -> None:
    count = (
        "from django.contrib.sessions.models import Session;"
        "print(Session.objects.count())"
    )
    output = _kinwell(seeded, "manage", "shell", "--no-imports", "-c", count)
    assert output.strip() == "0"


def test_without_wrk_bench_says_how_to_install_it(tmp_path: Path) -> None:
    env = _environment(tmp_path, path=str(tmp_path))
    finished = subprocess.run(
        [sys.executable, "-m", "kinwell.cli", "bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "apt-get install wrk" in finished.stderr


@pytest.mark.django_db
def test_floor_page_does_not_exist_unless_switched_on(client: Client) -> None:
    assert client.get("/bench/floor").status_code == 404


def test_lua_strings_escape_every_byte_outside_printable_ascii() -> None:
    assert lua_string('Zoë said "hi"\n') == '"Zo\\195\\171 said \\034hi\\034\\010"'
