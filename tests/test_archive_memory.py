"""The archive's streaming promise, measured: `kinwell export` and `kinwell
import` each run in their own process on a seeded community, and each stays
under the memory limit. The full benchmark (100,000 posts) is
`python -m benchmarks.archive_memory`; this runs it smaller.

The benchmark runs in a fresh interpreter of its own: a child process starts
as a copy of its parent, so children of this (large) test process would
report the test run's memory as their own peak."""

import re
import subprocess
import sys
from pathlib import Path

from benchmarks.archive_memory import LIMIT_MB

ROOT = Path(__file__).resolve().parents[1]


def test_export_and_import_of_thousands_of_posts_stay_under_the_limit() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks.archive_memory", "--posts", "5000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = finished.stdout + finished.stderr
    assert finished.returncode == 0, report
    assert "'posts': 5000" in report
    assert "'threads': 50" in report
    peaks = {
        name: float(mb)
        for name, mb in re.findall(
            r"kinwell (export|import): .* peak +([\d.]+) MB", report
        )
    }
    assert set(peaks) == {"export", "import"}, report
    for name, peak in peaks.items():
        assert peak < LIMIT_MB, f"{name} peaked at {peak:.0f} MB"
