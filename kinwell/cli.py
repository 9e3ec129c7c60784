"""The `kinwell` command: serve, worker, demo, check, and Django's management commands.

Run `kinwell --help` for the list."""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path.cwd() / "var"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command != "manage" and rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinwell.settings")
    if args.command == "demo":
        _prepare_demo_environment()
    handler = {
        "serve": _serve,
        "worker": _worker,
        "demo": _demo,
        "check": _check,
        "manage": _manage,
        "export": _export,
        "import": _import,
        "import-services": _import_services,
        "seed": _seed,
        "bench": _bench,
    }[args.command]
    return handler(args, rest)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kinwell", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in [
        ("serve", "run the production web server and a background worker"),
        ("demo", "set up an SQLite database with demo data and serve it"),
    ]:
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--port", type=int, default=8000)
    export = commands.add_parser("export", help="export a community as an archive")
    export.add_argument("slug")
    export.add_argument("-o", "--output", required=True, help="the archive to write")
    import_ = commands.add_parser("import", help="import a community archive")
    import_.add_argument("archive")
    import_.add_argument("--slug", help="a new slug, if the archive's is taken")
    import_.add_argument(
        "--organiser",
        required=True,
        metavar="EMAIL",
        help="the account that becomes the community's first organiser",
    )
    import_services = commands.add_parser(
        "import-services",
        help="load organisations and their service trees from a CSV file",
    )
    import_services.add_argument("csv", help="the CSV file (docs/stories.md)")
    seed = commands.add_parser(
        "seed", help="fill an empty database with synthetic data for benchmarks"
    )
    seed.add_argument("--scale", choices=["small", "medium", "large"], required=True)
    seed.add_argument(
        "--seed", type=int, default=0, help="the same seed, the same data"
    )
    commands.add_parser("worker", help="run the background task worker")
    _add_bench_parser(commands)
    commands.add_parser("check", help="Django's deployment checks plus Kinwell's own")
    commands.add_parser(
        "manage", help="run a Django management command, e.g. 'kinwell manage migrate'"
    )
    return parser


def _add_bench_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    bench = commands.add_parser(
        "bench",
        help="measure the production server under load, scenario by scenario",
        description="Needs wrk and a database filled by 'kinwell seed' "
        "(docs/performance.md).",
    )
    bench.add_argument(
        "--scenarios", help="a comma-separated list (default: all of them)"
    )
    bench.add_argument(
        "--duration", type=int, default=20, help="seconds per scenario (20)"
    )
    bench.add_argument(
        "--connections", type=int, default=8, help="open connections (8)"
    )
    bench.add_argument("--json", metavar="PATH", help="write the results as JSON")
    bench.add_argument("--markdown", metavar="PATH", help="write the table as Markdown")
    bench.add_argument(
        "--skip-archive",
        action="store_true",
        help="leave out the export and import of a 100,000-post community",
    )


def _prepare_demo_environment() -> None:
    """The demo keeps its secret key and database under var/, made on first run."""
    data_dir = Path(os.environ.setdefault("KINWELL_DATA_DIR", str(DEFAULT_DATA_DIR)))
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    os.environ.setdefault("KINWELL_SECRET_KEY", key_file.read_text().strip())
    os.environ.setdefault("KINWELL_EMAIL_BACKEND", "console")


def _setup_django() -> None:
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        print(f"kinwell: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _call(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _manage(args: argparse.Namespace, rest: list[str]) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kinwell manage", *rest])
    return 0


def _check(args: argparse.Namespace, rest: list[str]) -> int:
    _setup_django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=True, fail_level="ERROR")
    except SystemCheckError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _export(args: argparse.Namespace, rest: list[str]) -> int:
    return _run_command("export_community", args.slug, "-o", args.output)


def _import(args: argparse.Namespace, rest: list[str]) -> int:
    extra = ["--slug", args.slug] if args.slug else []
    return _run_command(
        "import_community", args.archive, "--organiser", args.organiser, *extra
    )


def _import_services(args: argparse.Namespace, rest: list[str]) -> int:
    return _run_command("import_services", args.csv)


def _run_command(name: str, *arguments: str) -> int:
    """A management command whose CommandError becomes a clear message and exit 1."""
    _setup_django()
    from django.core.management.base import CommandError

    try:
        _call(name, *arguments)
    except CommandError as error:
        print(f"kinwell: {error}", file=sys.stderr)
        return 1
    return 0


def _bench(args: argparse.Namespace, rest: list[str]) -> int:
    from kinwell.bench import run

    return run.main(args)


def _seed(args: argparse.Namespace, rest: list[str]) -> int:
    _setup_django()
    from kinwell.seeding.registry import SEED_PASSWORD, SeedError, seed

    started = time.monotonic()
    try:
        context = seed(
            args.scale, seed=args.seed, report=lambda line: print(line, flush=True)
        )
    except SeedError as error:
        print(f"kinwell: {error}", file=sys.stderr)
        return 1
    for name, count in context.counts.items():
        print(f"  {name:<24} {count:>10,}")
    print(f"Seeded {args.scale} in {time.monotonic() - started:.0f} s.")
    print(f"Accounts member1@… sign in with the password {SEED_PASSWORD!r}.")
    return 0


def _worker(args: argparse.Namespace, rest: list[str]) -> int:
    _setup_django()
    _call("db_worker", "--no-reload")
    return 0


def _demo(args: argparse.Namespace, rest: list[str]) -> int:
    _setup_django()
    from django.conf import settings

    from kinwell.circles.demo import DEMO_CIRCLE_PASSPHRASE
    from kinwell.web.demo import DEMO_LOGINS, DEMO_PASSWORD

    _call("migrate", "--no-input", "--verbosity", "0")
    _call("load_demo")
    url = f"http://{args.host}:{args.port}"
    print(f"\nKinwell is starting at {url}")
    print(f"Data lives in {settings.DATA_DIR}; mail is printed here.")
    print(f"Demo logins (password for all: {DEMO_PASSWORD!r}):")
    for email, role in DEMO_LOGINS:
        print(f"  {email:<32} {role}")
    print(
        "Alex, Casey and Nia share an encrypted circle: on its keys page choose"
        f' "Restore from a backup" with the passphrase {DEMO_CIRCLE_PASSPHRASE!r}.'
    )
    print()
    return _serve(args, rest)


def _serve(args: argparse.Namespace, rest: list[str]) -> int:
    _setup_django()
    from django.conf import settings

    from kinwell.lib.visitor_pages import forget_shared_pages

    _call("collectstatic", "--no-input", "--verbosity", "0")
    forget_shared_pages()
    web = _start_web_server(args.host, args.port, settings)
    worker = subprocess.Popen(worker_command())  # noqa: S603
    return _supervise([web, worker])


def _start_web_server(
    host: str, port: int, settings: object
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(web_server_command(host, port, settings))  # noqa: S603


def web_server_command(host: str, port: int, settings: object) -> list[str]:
    """The production web server, as `kinwell serve` and `kinwell bench` run it."""
    granian = (
        shutil.which("granian", path=str(Path(sys.executable).parent)) or "granian"
    )
    return [
        granian,
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(getattr(settings, "KINWELL_SERVER_WORKERS", 2)),
        "--blocking-threads", str(getattr(settings, "KINWELL_SERVER_THREADS", 4)),
        "--no-ws",
        "kinwell.wsgi:application",
    ]  # fmt: skip


def worker_command() -> list[str]:
    return [sys.executable, "-m", "kinwell.cli", "worker"]


def _supervise(processes: list[subprocess.Popen[bytes]]) -> int:
    """Runs until any process ends or we are told to stop, then stops them all."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        code = next(p.returncode for p in processes if p.returncode is not None)
    except KeyboardInterrupt:
        pass
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
