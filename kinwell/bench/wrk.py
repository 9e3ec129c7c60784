"""Runs wrk against one scenario and reads back what its script printed."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kinwell.bench.lua import MARK, SCRIPT, Request, write_data

INSTALL = (
    "kinwell bench needs wrk, the HTTP load generator. On Debian or Ubuntu:\n"
    "  sudo apt-get install wrk"
)
THREADS = 2
# Slow answers are latencies to report, not connection errors.
TIMEOUT = "10s"


class WrkMissing(Exception):
    def __init__(self) -> None:
        super().__init__(INSTALL)


class WrkFailed(Exception):
    pass


@dataclass(frozen=True)
class Load:
    connections: int
    duration: int


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing
    return found


def run(
    *,
    base_url: str,
    requests: list[Request],
    expected: int,
    marker: str | None,
    load: Load,
    folder: Path,
    name: str,
) -> dict[str, Any]:
    """wrk's figures for one scenario, as its done() printed them."""
    script = folder / "bench.lua"
    if not script.exists():
        script.write_text(SCRIPT)
    data = folder / f"{name}.lua"
    write_data(data, requests, expected=expected, marker=marker)
    command = [
        wrk_path(),
        f"--threads={THREADS}",
        f"--connections={max(load.connections, THREADS)}",
        f"--duration={load.duration}s",
        f"--timeout={TIMEOUT}",
        f"--script={script}",
        base_url,
        "--",
        str(data),
    ]
    finished = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=load.duration + 60
    )
    for line in finished.stdout.splitlines():
        if line.startswith(MARK):
            result: dict[str, Any] = json.loads(line.removeprefix(MARK))
            return result
    raise WrkFailed(
        f"wrk gave no figures (exit {finished.returncode}): "
        f"{(finished.stderr or finished.stdout).strip()[-2000:]}"
    )
