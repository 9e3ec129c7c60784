"""The circle pages' pinned scripts: every file listed in CIRCLE_SCRIPTS has
exactly the listed digest, so nobody changes a pinned file without changing
(and so publishing) its digest. To refresh the digests after a deliberate
change: `python -m kinwell.circles.scripts`."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template

from kinwell.circles.scripts import CIRCLE_SCRIPTS, STATIC_DIR, circle_csp, digest_of

EXPECTED_ORDER = [
    r"vendor/purify-\d+\.\d+\.\d+\.min\.js",
    r"vendor/marked-\d+\.\d+\.\d+\.min\.js",
    r"circles/circles-crypto-v1\.js",
    r"circles/circles-app-v1\.js",
]


@pytest.mark.parametrize(("path", "digest"), CIRCLE_SCRIPTS)
def test_pinned_file_matches_its_digest(path, digest):
    assert digest_of(path) == digest, (
        f"static/{path} changed: run `python -m kinwell.circles.scripts` and "
        "publish the new digest in docs/circles.md"
    )


@pytest.mark.parametrize(("path", "digest"), CIRCLE_SCRIPTS)
def test_pinned_file_is_the_one_served(path, digest):
    # The file Django serves under that name is the file that was digested.
    assert finders.find(path) == str(STATIC_DIR / path)


def test_scripts_load_in_order():
    paths = [path for path, _digest in CIRCLE_SCRIPTS]
    assert len(paths) == len(EXPECTED_ORDER)
    for path, pattern in zip(paths, EXPECTED_ORDER, strict=True):
        assert re.fullmatch(pattern, path), paths


def test_digests_are_sha256_in_base64():
    for _path, digest in CIRCLE_SCRIPTS:
        assert re.fullmatch(r"sha256-[A-Za-z0-9+/]{43}=", digest)


def test_vendored_files_keep_their_licence_headers():
    headers = {
        "vendor/purify-": "@license DOMPurify",
        "vendor/marked-": "(MIT License)",
    }
    for path, _digest in CIRCLE_SCRIPTS:
        for prefix, licence in headers.items():
            if path.startswith(prefix):
                assert licence in (STATIC_DIR / path).read_text()[:400]


def test_no_pinned_file_points_at_a_source_map():
    # collectstatic's manifest storage rewrites such a line, which would
    # change the bytes served and break Subresource Integrity.
    for path, _digest in CIRCLE_SCRIPTS:
        assert "sourceMappingURL" not in (STATIC_DIR / path).read_text()


def test_policy_allows_only_the_pinned_scripts():
    assert circle_csp()["script-src"] == [
        f"'{digest}'" for _p, digest in CIRCLE_SCRIPTS
    ]


def test_tag_loads_each_script_with_its_integrity():
    html = Template("{% load circle_scripts %}{% circle_scripts %}").render(Context())
    tags = re.findall(
        r'<script src="([^"]+)" integrity="([^"]+)" defer></script>', html
    )
    assert tags == [(f"/static/{path}", digest) for path, digest in CIRCLE_SCRIPTS]
