"""Export and import of a 100,000-post community, measured as
benchmarks/archive_memory.py measures them (each command in its own process,
its peak memory from wait4), on a community that script seeds in a
temporary SQLite database, so the operator's database is left alone."""

import tempfile
from pathlib import Path
from typing import Any

POSTS = 100_000
TITLE = "Export and import, 100,000 posts"


def run(posts: int = POSTS) -> dict[str, Any]:
    try:
        from benchmarks import archive_memory
    except ImportError as error:
        raise RuntimeError(
            "the archive scenario runs benchmarks/archive_memory.py from "
            "Kinwell's source tree"
        ) from error
    with tempfile.TemporaryDirectory(prefix="kinwell-bench-archive-") as folder:
        result = archive_memory.run(posts=posts, directory=Path(folder))
    return {
        "name": "archive",
        "title": TITLE,
        "ran": True,
        "failure": None,
        "posts": posts,
        "export": _figures(result.export),
        "import": _figures(result.import_),
    }


def _figures(measure: Any) -> dict[str, float]:
    return {"seconds": round(measure.seconds, 1), "peak_mb": round(measure.peak_mb, 1)}
