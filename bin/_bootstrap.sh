# Shared by bin/demo and bin/test: find Python 3.12+, make .venv, install a lock file.
# Sourced, not run.
set -euo pipefail

KINWELL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KINWELL_VENV:-$KINWELL_ROOT/.venv}"

python_is_recent() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

# Prints the path of a Python 3.12+ interpreter, or nothing.
find_python() {
    local candidate version root
    if [ -n "${KINWELL_PYTHON:-}" ] && python_is_recent "$KINWELL_PYTHON"; then
        echo "$KINWELL_PYTHON"; return
    fi
    for candidate in python3.13 python3.12 python3.14 python3; do
        # A pyenv shim exists for versions that are installed but not active;
        # running it is the only way to know whether it works.
        if command -v "$candidate" >/dev/null 2>&1 && python_is_recent "$candidate"; then
            command -v "$candidate"; return
        fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
    else
        root="${PYENV_ROOT:-$HOME/.pyenv}"
    fi
    if [ -d "$root/versions" ]; then
        for version in $(ls "$root/versions" | grep -E '^3\.(1[2-9])(\.[0-9]+)?$' | sort -rV); do
            candidate="$root/versions/$version/bin/python3"
            if [ -x "$candidate" ] && python_is_recent "$candidate"; then
                echo "$candidate"; return
            fi
        done
    fi
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ] && python_is_recent "$VENV/bin/python"; then
        return
    fi
    local python
    python="$(find_python)"
    if [ -z "$python" ]; then
        cat >&2 <<MSG
Kinwell needs Python 3.12 or newer, and none was found.
Looked for: python3.13, python3.12, python3.14 and python3 on PATH, and pyenv versions.
Install one (for example 'apt install python3.12', or 'pyenv install 3.13'),
or point KINWELL_PYTHON at an interpreter, then run this command again.
MSG
        exit 1
    fi
    echo "Creating .venv with $("$python" --version) ($python)"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
}

# Installs a lock file (and Kinwell itself, editable) unless it is already installed.
install_lock() {
    local lock="$KINWELL_ROOT/requirements/$1.txt"
    local stamp="$VENV/.installed-$1"
    local digest
    digest="$(cat "$lock" "$KINWELL_ROOT/requirements/base.txt" "$KINWELL_ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        return
    fi
    echo "Installing requirements/$1.txt into .venv"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$KINWELL_ROOT"
    echo "$digest" > "$stamp"
}
