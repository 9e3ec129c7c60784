"""The circle pages' scripts: fixed, versioned files whose SHA-256 digests are
published in docs/circles.md.

A browser runs a circle page's scripts only if their bytes match these
digests (Subresource Integrity), and the page's Content-Security-Policy allows
no other script. An operator who changed the code served to browsers would
have to change these digests too, which anyone can compare with the
published ones."""

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils.csp import CSP
from django.views.decorators.csp import csp_override

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"

# (path under static/, "sha256-" + base64 digest), in loading order: the
# sanitiser and the Markdown renderer first, then the cryptography, then the
# pages. tests/test_circle_scripts.py fails when a file no longer matches.
#
# To refresh after changing one of these files (rare: a format change means
# a new "-v2" file, not an edit), run
#     python -m kinwell.circles.scripts
# which rewrites the digests below from the files on disk and prints the new
# ones; then update the digests published in docs/circles.md. A new file is
# added here by hand, with digest_of(path).
#
# The vendored files are the npm packages' browser builds (marked 16.4.2's
# lib/marked.umd.js, DOMPurify 3.4.18's dist/purify.min.js), licence headers
# kept, with only their last line, `//# sourceMappingURL=...`, removed:
# collectstatic's manifest storage would rewrite that line (changing the
# bytes, and so the digest), and the maps are not shipped.
CIRCLE_SCRIPTS: list[tuple[str, str]] = [
    (
        "vendor/purify-3.4.18.min.js",
        "sha256-XGTyzcVUdN4ECajkGddBKFq4M/bwgYt2qDgNzC1AgHg=",
    ),
    (
        "vendor/marked-16.4.2.min.js",
        "sha256-f4rdlO11SmuXt1eJC7ujzs4Rlbz18X4JbEG0g+lP4pA=",
    ),
    (
        "circles/circles-crypto-v1.js",
        "sha256-eHbzhox0q1Cm6lcmrgbokyfru8q5VYYLPsq89heoCR8=",
    ),
    (
        "circles/circles-app-v1.js",
        "sha256-lpsHMaHx0zzuOheoJISonIuZNlhlO+2XQ3g03cNkswM=",
    ),
]


def digest_of(path: str) -> str:
    """The Subresource Integrity value of the file at `path` under static/."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def circle_csp() -> dict[str, list[str]]:
    return {
        "default-src": [CSP.SELF],
        "script-src": [f"'{digest}'" for _path, digest in CIRCLE_SCRIPTS],
        "style-src": [CSP.SELF],
        "img-src": [CSP.SELF, "data:", "blob:"],
        "connect-src": [CSP.SELF],
        "font-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.SELF],
        "form-action": [CSP.SELF],
        "frame-ancestors": [CSP.NONE],
    }


def circle_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serves a view under the circle pages' policy: only the pinned scripts."""
    return csp_override(circle_csp())(view)


def refresh_digests() -> list[str]:
    """Rewrites the digests in this file to match the files on disk, and
    returns the paths whose digest changed. A tool for developers (see the
    comment above CIRCLE_SCRIPTS), never called by the site."""
    source = Path(__file__)
    text = source.read_text()
    changed = []
    for path, digest in CIRCLE_SCRIPTS:
        current = digest_of(path)
        if current != digest:
            text = text.replace(f'"{digest}"', f'"{current}"')
            changed.append(path)
    source.write_text(text)
    return changed


if __name__ == "__main__":
    for changed_path in refresh_digests():
        print(f"New digest for {changed_path}: {digest_of(changed_path)}")
