"""Peak memory and time of `kinwell export` and `kinwell import` on a big
community (docs/archive-format.md, "Streaming").

    python -m benchmarks.archive_memory [--posts 100000]

It makes a fresh SQLite database in a temporary folder, fills one community
with the given number of posts (in threads of 100, with tags, reactions and
a moderation log) through bulk inserts, then runs `kinwell export` and
`kinwell import`, each in its own process, and reports each one's time and
peak resident memory. It exits with status 1 if either peak reaches the
limit (300 MB)."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zipfile import ZipFile

if TYPE_CHECKING:
    from kinwell.communities.models import Community
    from kinwell.discussions.models import Post, Thread

LIMIT_MB = 300
MODULE = "benchmarks.archive_memory"
UNUSABLE = "!"  # Django's mark of an account nobody can log in to
SLUG = "benchmark"
ORGANISER = "organiser@example.org"
MEMBERS = 150
POSTS_PER_THREAD = 100
BATCH = 2000
BODY = (
    "Post {n}. Some days **pacing** works and some days it does not. "
    "I keep a diary of what I did, how I slept and how I felt the next day; "
    "after a few weeks the pattern was clearer than I expected. "
    "What helped me most was [planning rest](https://example.org/rest) "
    "before I needed it.\n\n- smaller tasks\n- more breaks\n- saying no\n"
)


@dataclass(frozen=True)
class Result:
    export: "Measure"
    import_: "Measure"
    # The archive's records of each kind, from its manifest.
    counts: dict[str, int]

    @property
    def peaks(self) -> dict[str, float]:
        return {"export": self.export.peak_mb, "import": self.import_.peak_mb}


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_mb: float

    def __str__(self) -> str:
        return f"{self.seconds:7.1f} s, peak {self.peak_mb:6.1f} MB"


def run(*, posts: int, directory: Path) -> Result:
    """Seeds a community of `posts` posts under `directory`, then measures an
    export and an import of it."""
    env = _environment(directory)
    archive = directory / "archive.zip"
    here = Path(__file__).resolve().parents[1]
    _measure([sys.executable, "-m", MODULE, "--seed", str(posts)], env, here)
    kinwell = [sys.executable, "-m", "kinwell.cli"]
    export = [*kinwell, "export", SLUG, "-o", str(archive)]
    import_ = [*kinwell, "import", str(archive), "--slug", "imported"]
    import_ += ["--organiser", ORGANISER]
    exported = _measure(export, env, directory)
    imported = _measure(import_, env, directory)
    with ZipFile(archive) as opened:
        counts = json.loads(opened.read("manifest.json"))["counts"]
    return Result(export=exported, import_=imported, counts=counts)


def _environment(directory: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    root = str(Path(__file__).resolve().parents[1])
    env.update(
        DJANGO_SETTINGS_MODULE="kinwell.settings",
        KINWELL_DATA_DIR=str(directory / "data"),
        KINWELL_SECRET_KEY="benchmark-secret-key-" + "x" * 40,
        KINWELL_EMAIL_BACKEND="locmem",
        PYTHONPATH=os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")])),
    )
    return env


def _measure(command: list[str], env: dict[str, str], cwd: Path) -> Measure:
    """Runs `command` to its end; its own peak RSS, from wait4's rusage."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(  # noqa: S603
            command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        if process.returncode != 0:
            output.seek(0)
            tail = output.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"{' '.join(command[2:4])} failed:\n{tail}")
    # Linux reports kilobytes, macOS bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return Measure(seconds=seconds, peak_mb=usage.ru_maxrss * scale / 2**20)


# Seeding (in its own process, with the benchmark's settings) ------------------


def seed(posts: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", "--no-input", "--verbosity", "0")
    with transaction.atomic():
        _seed_community(posts)


def _seed_community(posts: int) -> None:
    from kinwell.accounts import services as accounts
    from kinwell.accounts.models import ConsentRecord, User
    from kinwell.communities.models import Community, Membership

    organiser = accounts.create_account(ORGANISER, "!benchmark passphrase!")
    community = Community.objects.create(
        name="Benchmark", slug=SLUG, topic="Long COVID", size_cap=1000
    )
    people = User.objects.bulk_create(
        User(email=f"member{n}@example.org", password=UNUSABLE, display_name=f"M {n}")
        for n in range(MEMBERS)
    )
    Membership.objects.bulk_create(
        [Membership(community=community, user=organiser, role="organiser")]
        + [Membership(community=community, user=user) for user in people]
    )
    # Half of them consented to portability: their words travel.
    ConsentRecord.objects.bulk_create(
        ConsentRecord(user=user, purpose=ConsentRecord.Purpose.PORTABILITY, given=True)
        for user in people[::2]
    )
    _seed_discussions(community, [user.pk for user in people], posts)


def _seed_discussions(community: "Community", people: list[int], posts: int) -> None:
    from django.utils import timezone

    from kinwell.discussions.models import Post, Tag, Thread

    tags = Tag.objects.bulk_create(
        Tag(community=community, name=name, slug=name.lower())
        for name in ("Fatigue", "Sleep", "Work", "Pacing", "Research")
    )
    now = timezone.now()
    threads = -(-posts // POSTS_PER_THREAD)
    made = Thread.objects.bulk_create(
        (
            Thread(
                community=community,
                title=f"Thread {n}: what helps on a bad day?",
                author_id=people[n % len(people)],
                post_count=min(POSTS_PER_THREAD, posts - n * POSTS_PER_THREAD),
                created_at=now,
                last_posted_at=now,
            )
            for n in range(threads)
        ),
        batch_size=BATCH,
    )
    Thread.tags.through.objects.bulk_create(
        Thread.tags.through(thread_id=thread.pk, tag_id=tags[n % len(tags)].pk)
        for n, thread in enumerate(made)
    )
    for start in range(0, posts, BATCH):
        numbers = range(start, min(start + BATCH, posts))
        Post.objects.bulk_create(_posts(community, people, made, numbers))
    _seed_reactions_and_log(community, people, made)


def _posts(
    community: "Community", people: list[int], threads: list["Thread"], numbers: range
) -> Iterator["Post"]:
    from django.utils import timezone

    from kinwell.discussions.models import Post
    from kinwell.lib.markdown import render_markdown

    now = timezone.now()
    for n in numbers:
        body = BODY.format(n=n)
        yield Post(
            community=community,
            thread_id=threads[n // POSTS_PER_THREAD].pk,
            number=n % POSTS_PER_THREAD + 1,
            author_id=people[n % len(people)],
            body=body,
            body_html=str(render_markdown(body)),
            created_at=now,
        )


def _seed_reactions_and_log(
    community: "Community", people: list[int], threads: list["Thread"]
) -> None:
    from kinwell.discussions.models import ModerationAction, Post, Reaction

    openings = Post.objects.filter(community=community, number=1)
    reactions = (
        Reaction(
            post_id=post_id,
            community=community,
            user_id=people[(n + offset) % len(people)],
            kind=kind,
        )
        for n, post_id in enumerate(openings.values_list("pk", flat=True))
        for offset, kind in enumerate(("me_too", "thank_you", "strength"))
    )
    Reaction.objects.bulk_create(reactions, batch_size=BATCH)
    ModerationAction.objects.bulk_create(
        ModerationAction(
            community=community,
            action=ModerationAction.Action.PIN,
            reason="Useful for newcomers",
            thread=thread,
        )
        for thread in threads[:100]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.archive_memory")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed is not None:
        seed(args.seed)
        return 0
    with tempfile.TemporaryDirectory(prefix="kinwell-benchmark-") as directory:
        result = run(posts=args.posts, directory=Path(directory))
    print(f"A community of {args.posts:,} posts; the archive holds {result.counts}")
    print(f"  kinwell export: {result.export}")
    print(f"  kinwell import: {result.import_}")
    over = [name for name, peak in result.peaks.items() if peak >= LIMIT_MB]
    if over:
        print(f"Peak memory reached {LIMIT_MB} MB in: {', '.join(over)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
