"""The digests of the circle scripts are published in docs/circles.md: the
page's integrity attributes, the constants and the docs must agree."""

from pathlib import Path

from kinwell.circles.scripts import CIRCLE_SCRIPTS

DOCS = Path(__file__).resolve().parents[1] / "docs" / "circles.md"


def test_every_pinned_script_and_its_digest_is_published() -> None:
    published = DOCS.read_text(encoding="utf-8")
    for path, digest in CIRCLE_SCRIPTS:
        assert f"| `static/{path}` |" in published, path
        assert f"`{digest}`" in published, path


def test_nothing_else_is_published_as_a_circle_script() -> None:
    published = DOCS.read_text(encoding="utf-8")
    rows = [line for line in published.splitlines() if line.startswith("| `static/")]
    assert len(rows) == len(CIRCLE_SCRIPTS)
