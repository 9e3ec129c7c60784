"""`kinwell bench`: start the server, run the scenarios, report."""

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kinwell.bench import wrk

if TYPE_CHECKING:
    from kinwell.bench.lua import Request
    from kinwell.bench.report import Result
    from kinwell.bench.scenarios import Cast, Scenario

# The scenarios' modules read models: they are imported once Django is set up.
ARCHIVE = "archive"

# Below this many posts the data is the small scale: the archive scenario
# runs there only when asked for by name.
SMALL_SCALE_POSTS = 10_000
WARM_UP_SECONDS = 1


def main(args: argparse.Namespace) -> int:
    try:
        wrk.wrk_path()
    except wrk.WrkMissing as missing:
        print(missing, file=sys.stderr)
        return 2
    env = _server_environment()
    _setup_django()
    from kinwell.bench.scenarios import NAMES
    from kinwell.discussions.models import Post

    chosen = _chosen(args.scenarios, NAMES)
    if chosen is None:
        print(f"kinwell bench: scenarios are {', '.join(NAMES)}", file=sys.stderr)
        return 2

    posts = Post.objects.count()
    if not posts:
        print("kinwell bench: the database has no posts; run 'kinwell seed' first.")
        return 2
    results = _measure(args, env, chosen)
    if _wants_archive(args, chosen, posts):
        results.append(_archive())
    return _report(args, env, results, posts)


def _chosen(option: str | None, names: list[str]) -> list[str] | None:
    if not option:
        return names
    wanted = [name.strip() for name in option.split(",") if name.strip()]
    if any(name not in names for name in wanted):
        return None
    # The floor runs every time: every other figure is read against it.
    return ["floor", *[name for name in wanted if name != "floor"]]


def _wants_archive(args: argparse.Namespace, chosen: list[str], posts: int) -> bool:
    if args.skip_archive or ARCHIVE not in chosen:
        return False
    asked = bool(args.scenarios) and ARCHIVE in args.scenarios.split(",")
    return asked or posts >= SMALL_SCALE_POSTS


def _server_environment() -> dict[str, str]:
    """The production configuration on 127.0.0.1, with the floor page on.
    This process shares the secret key, so the sessions it makes are valid."""
    os.environ["KINWELL_DEBUG"] = "0"
    os.environ.setdefault("KINWELL_SECRET_KEY", secrets.token_urlsafe(50))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kinwell.settings",
        "KINWELL_BENCH_FLOOR": "1",
        "KINWELL_ALLOWED_HOSTS": "127.0.0.1",
        "KINWELL_SSL_REDIRECT": "0",
        # Seeded addresses must never be mailed, whatever the installation uses.
        "KINWELL_EMAIL_BACKEND": "locmem",
    }


def _setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from kinwell.lib.visitor_pages import forget_shared_pages

    call_command("collectstatic", "--no-input", "--verbosity", "0")
    forget_shared_pages()


def _measure(
    args: argparse.Namespace, env: dict[str, str], chosen: list[str]
) -> list["Result"]:
    from kinwell.bench import server, targets
    from kinwell.bench.scenarios import SCENARIOS

    load = wrk.Load(connections=args.connections, duration=args.duration)
    cast = _cast()
    results = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="kinwell-bench-") as folder,
            server.running(env, Path(folder)) as running,
        ):
            for scenario in SCENARIOS:
                if scenario.name in chosen:
                    print(f"kinwell bench: {scenario.title}...", file=sys.stderr)
                    results.append(
                        _scenario(scenario, cast, running, load, Path(folder))
                    )
    finally:
        targets.sign_out(cast.readers + cast.repliers + cast.reactors + cast.trackers)
    return results


def _cast() -> "Cast":
    from kinwell.bench import targets
    from kinwell.bench.scenarios import Cast

    people = [
        targets.sign_in(user) for user in targets.posting_members(2 * targets.WRITERS)
    ]
    trackers = [
        targets.sign_in(user) for user in targets.tracking_members(targets.TRACKERS)
    ]
    return Cast(
        readers=people[: targets.READERS],
        repliers=people[0::2],
        reactors=people[1::2],
        trackers=trackers,
    )


def _scenario(
    scenario: "Scenario", cast: "Cast", running: Any, load: wrk.Load, folder: Path
) -> "Result":
    from kinwell.bench import report

    try:
        result = _run_scenario(scenario, cast, running, load, folder)
    except Exception as error:  # reported; the run goes on
        result = report.failed(scenario.name, scenario.title, str(error))
    result["server_restarted_after"] = not running.settle()
    return result


def _run_scenario(
    scenario: "Scenario", cast: "Cast", running: Any, load: wrk.Load, folder: Path
) -> "Result":
    from kinwell.bench import report, server

    requests = scenario.build(cast)
    if not requests:
        return report.failed(scenario.name, scenario.title, "no data to ask for")
    if not scenario.writes:
        _warm_up(requests, running, load, folder)
        running.settle()
    before = scenario.rows() if scenario.rows else 0
    with server.sampling(running.web.pid) as memory:
        figures = wrk.run(
            base_url=running.base_url,
            requests=requests,
            expected=scenario.expected,
            marker=scenario.marker,
            load=load,
            folder=folder,
            name=scenario.name,
        )
    if not figures["requests"]:
        reason = f"no request was answered within {load.duration} s"
        return report.failed(scenario.name, scenario.title, reason)
    result = report.measured(scenario, figures, memory)
    if scenario.rows is not None:
        result["writes"] = _writes(scenario, figures, before)
    return result


def _warm_up(
    requests: list["Request"], running: Any, load: wrk.Load, folder: Path
) -> None:
    """Unrecorded: every worker loads its code and compiles the templates
    before the figures count. (Writes are not warmed: rows and rate limits.)"""
    warm = wrk.Load(connections=load.connections, duration=WARM_UP_SECONDS)
    wrk.run(
        base_url=running.base_url,
        requests=requests,
        expected=200,
        marker=None,
        load=warm,
        folder=folder,
        name="warm-up",
    )


def _writes(
    scenario: "Scenario", figures: dict[str, Any], before: int
) -> dict[str, int]:
    """Successful writes against new rows. Requests still in flight when
    wrk stopped may add a few rows it never counted, never the other way."""
    assert scenario.rows is not None
    time.sleep(1)
    successful = figures["statuses"].get(str(scenario.expected), 0)
    new_rows = scenario.rows() - before
    return {
        "successful": successful,
        "new_rows": new_rows,
        "lost": max(0, successful - new_rows),
    }


def _archive() -> "Result":
    from kinwell.bench import archive, report

    print("kinwell bench: export and import...", file=sys.stderr)
    try:
        return archive.run()
    except Exception as error:  # reported; the run goes on
        return report.failed(ARCHIVE, archive.TITLE, str(error))


def _report(
    args: argparse.Namespace, env: dict[str, str], results: list["Result"], posts: int
) -> int:
    from django.conf import settings
    from django.db import connection

    from kinwell.bench import report
    from kinwell.bench.scenarios import SCENARIOS

    report.add_ratios(results)
    by_name = {scenario.name: scenario for scenario in SCENARIOS}
    for result in results:
        report.add_budgets(by_name.get(result["name"]), result)
    table = report.markdown(results)
    print(table)
    document = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "posts": posts,
        "connections": args.connections,
        "duration": args.duration,
        "server": {
            "workers": settings.KINWELL_SERVER_WORKERS,
            "threads": settings.KINWELL_SERVER_THREADS,
        },
        "scenarios": results,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(table)
    return 1 if any(not result["ran"] for result in results) else 0
