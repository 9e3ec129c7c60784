"""The Quick start scripts find a Python 3.12+ the way a user's machine has it:
on PATH, or installed through pyenv but not active. Interpreters here are small
stand-ins, so the tests do not depend on what this machine has installed."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "bin" / "_bootstrap.sh"
TOOLS = ("ls", "grep", "sort", "dirname", "cat", "rm")


def fake_python(path: Path, *, recent: bool) -> Path:
    """A stand-in that answers the version check as an old or a recent Python."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nexit {0 if recent else 1}\n")
    path.chmod(0o755)
    return path


def bin_dir_with_tools(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return bin_dir


def run_bootstrap(snippet: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(tmp_path / "bin"),
        "HOME": str(tmp_path),
        "PYENV_ROOT": str(tmp_path / "pyenv"),
        "KINWELL_VENV": str(tmp_path / "venv"),
    }
    return subprocess.run(
        ["/bin/bash", "-c", f'source "{BOOTSTRAP}"; {snippet}'],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_an_old_python3_alone_is_refused_with_a_clear_message(tmp_path):
    fake_python(bin_dir_with_tools(tmp_path) / "python3", recent=False)
    result = run_bootstrap("ensure_venv", tmp_path)
    assert result.returncode == 1
    assert "Kinwell needs Python 3.12 or newer, and none was found." in result.stderr
    assert "pyenv install 3.13" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_python3_13_on_path_is_preferred(tmp_path):
    bin_dir = bin_dir_with_tools(tmp_path)
    fake_python(bin_dir / "python3", recent=True)
    wanted = fake_python(bin_dir / "python3.13", recent=True)
    result = run_bootstrap("find_python", tmp_path)
    assert result.stdout.strip() == str(wanted)


def test_a_pyenv_version_installed_but_not_active_is_found(tmp_path):
    bin_dir = bin_dir_with_tools(tmp_path)
    # pyenv's shim for an inactive version exists on PATH but fails to run.
    fake_python(bin_dir / "python3.12", recent=False)
    fake_python(tmp_path / "pyenv/versions/3.11.7/bin/python3", recent=False)
    fake_python(tmp_path / "pyenv/versions/3.12.1/bin/python3", recent=True)
    wanted = fake_python(tmp_path / "pyenv/versions/3.13.0/bin/python3", recent=True)
    result = run_bootstrap("find_python", tmp_path)
    assert result.stdout.strip() == str(wanted)
