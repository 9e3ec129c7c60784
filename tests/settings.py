"""Test settings: Kinwell's settings, with the environment a test run needs."""

import os
import tempfile

os.environ.setdefault("KINWELL_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("KINWELL_DATA_DIR", tempfile.mkdtemp(prefix="kinwell-test-"))
# Test processes side by side (pytest -n) inherit one folder; each takes one of
# its own inside it, so that shared pages, the generation of changes and
# released files never mix between them.
os.environ["KINWELL_DATA_DIR"] = os.path.join(
    os.environ["KINWELL_DATA_DIR"], os.environ.get("PYTEST_XDIST_WORKER", "")
)
os.environ.setdefault("KINWELL_EMAIL_BACKEND", "locmem")

from kinwell.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests hash thousands of passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
WHITENOISE_USE_FINDERS = True
# Tests write and read back inside transactions that never commit, so the
# generation that keys visitors' shared pages would never move; the tests of
# kinwell.lib.visitor_pages turn the sharing on for themselves.
KINWELL_VISITOR_PAGE_SECONDS = 0
# The same for what is remembered of a member until the next change; the tests
# of kinwell.lib.changes turn it on for themselves.
KINWELL_MEMBER_STATE_SECONDS = 0
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# Whitenoise looks for the collected files at start-up; tests use the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Threads of the live server close their connections after each request, so the
# PostgreSQL test database can be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
if DATABASES["default"]["ENGINE"] == "kinwell.lib.sqlite":  # noqa: F405
    # In memory, as Django makes SQLite test databases for its own backend
    # (pytest-django recognises that backend by its name only).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405
