"""The server under test: Kinwell's production web server and task worker,
started as `kinwell serve` starts them, on a free port of 127.0.0.1, and a
sampler of the web server's memory."""

import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings

from kinwell.cli import web_server_command, worker_command

HOST = "127.0.0.1"
STARTUP_SECONDS = 90
SAMPLE_SECONDS = 0.2
# How long a server may take to finish what a scenario left it doing.
DRAIN_SECONDS = 30


class ServerFailed(Exception):
    pass


class Server:
    """The web server and the worker. A scenario that leaves the server busy
    (requests wrk gave up on are still being answered) gets it restarted,
    so the next scenario is not measured against the last one's backlog."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.processes: list[subprocess.Popen[bytes]] = []
        self.base_url = ""

    @property
    def web(self) -> subprocess.Popen[bytes]:
        return self.processes[0]

    def start(self) -> None:
        port = free_port()
        self.base_url = f"http://{HOST}:{port}"
        with self.log.open("ab") as output:
            self.processes = [
                _start(web_server_command(HOST, port, settings), self.env, output),
                _start(worker_command(), self.env, output),
            ]
        self._wait_until_healthy(STARTUP_SECONDS)

    def stop(self) -> None:
        for process in self.processes:
            _stop(process)

    def settle(self) -> bool:
        """Waits for the server to answer again; restarts it (and says so)
        if it is still busy after DRAIN_SECONDS."""
        try:
            self._wait_until_healthy(DRAIN_SECONDS)
        except ServerFailed:
            self.stop()
            self.start()
            return False
        return True

    def _wait_until_healthy(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise ServerFailed(f"the server stopped:\n{tail(self.log)}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=5):  # noqa: S310
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise ServerFailed(f"no answer from /healthz:\n{tail(self.log)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running(env: dict[str, str], folder: Path) -> Iterator[Server]:
    """The server, healthy when the block starts, stopped when it ends."""
    server = Server(env, folder / "server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _start(
    command: list[str], env: dict[str, str], output: IO[bytes]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        command, env=env, stdout=output, stderr=subprocess.STDOUT
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def tail(log: Path, size: int = 3000) -> str:
    return log.read_bytes()[-size:].decode(errors="replace")


# Memory -----------------------------------------------------------------------


@dataclass
class Memory:
    """The highest resident memory seen while sampling, in MB: of the
    busiest single process, and of the server's processes together."""

    peak_process_mb: float = 0.0
    peak_total_mb: float = 0.0
    samples: int = 0
    processes: set[int] = field(default_factory=set)


@contextmanager
def sampling(root: int) -> Iterator[Memory]:
    """Samples the RSS of `root` and its descendants (granian's main process
    and its workers) until the block ends."""
    memory = Memory()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            _record(memory, root)
            stop.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield memory
    finally:
        stop.set()
        sampler.join()
        _record(memory, root)


def _record(memory: Memory, root: int) -> None:
    sizes = {pid: size for pid in _tree(root) if (size := _rss_mb(pid)) is not None}
    if not sizes:
        return
    memory.samples += 1
    memory.processes |= set(sizes)
    memory.peak_process_mb = max(memory.peak_process_mb, max(sizes.values()))
    memory.peak_total_mb = max(memory.peak_total_mb, sum(sizes.values()))


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdecimal():
            continue
        parent = _parent(int(entry.name))
        if parent is not None:
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The name in brackets may hold spaces; the parent is the second field after it.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None
