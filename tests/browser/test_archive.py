"""An organiser exports their community in the browser: presses Export,
watches the progress bar (refreshed by htmx) reach the end, and downloads
the archive. The pages pass axe-core."""

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from kinwell.accounts.models import User
from kinwell.communities.archive import services
from kinwell.communities.models import ArchiveExport, Community
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LogInByCookie

pytestmark = pytest.mark.browser


def test_organiser_exports_follows_progress_and_downloads(
    page: Page,
    context: BrowserContext,
    community: Community,
    organiser: User,
    log_in_by_cookie: LogInByCookie,
) -> None:
    log_in_by_cookie(context, organiser)
    page.goto(f"/c/{community.slug}/export/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Export the community").click()
    expect(page.locator("progress")).to_have_attribute("value", "100")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the archive").click()
    path = download_info.value.path()
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["community"]["slug"] == community.slug


def test_progress_bar_refreshes_without_reloading_the_page(
    page: Page,
    context: BrowserContext,
    community: Community,
    organiser: User,
    log_in_by_cookie: LogInByCookie,
) -> None:
    export = ArchiveExport.objects.create(
        community=community,
        requested_by=organiser,
        status=ArchiveExport.Status.RUNNING,
        done_records=2,
        total_records=8,
    )
    log_in_by_cookie(context, organiser)
    page.goto(f"/c/{community.slug}/export/{export.pk}/")
    expect(page.locator("progress")).to_have_attribute("value", "25")
    assert_accessible(page)
    ArchiveExport.objects.filter(pk=export.pk).update(done_records=6)
    expect(page.locator("progress")).to_have_attribute("value", "75", timeout=6000)
    ArchiveExport.objects.filter(pk=export.pk).update(
        status=ArchiveExport.Status.FAILED, error="The export failed."
    )
    expect(page.get_by_text("The export failed.")).to_be_visible(timeout=6000)


def test_administrator_uploads_an_archive_and_sees_the_problem_or_the_community(
    page: Page,
    context: BrowserContext,
    community: Community,
    administrator: User,
    log_in_by_cookie: LogInByCookie,
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.zip"
    with good.open("wb") as target:
        services.export_to_file(None, community=community, target=target)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    log_in_by_cookie(context, administrator)
    page.goto("/communities/import/")
    assert_accessible(page)
    page.get_by_label("Archive file").set_input_files(bad)
    with page.expect_navigation():
        page.get_by_role("button", name="Check and import").click()
    expect(page.get_by_text("This is not a zip file")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Archive file").set_input_files(good)
    page.get_by_label("Address (slug)").fill("moved-here")
    with page.expect_navigation():
        page.get_by_role("button", name="Check and import").click()
    expect(page).to_have_url(re.compile(r"/c/moved-here/$"))
