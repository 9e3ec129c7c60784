"""The screenshots of tracking and circles in the docs
(docs/images/tracking-*.png, docs/images/circles-*.png), taken in Chromium
from the demo data (`kinwell demo`), with a research release added for the
data-release register. For the demo circle, Alex's browser restores the
circle keys from the backup with the demo passphrase, as a person does.

Not part of the test run (pytest collects test_*.py only); make them with

    pytest -p no:cacheprovider tests/browser/docs_screenshots.py

Each picture is reduced to 256 colours, as the other pictures in
docs/images are, so that each stays well under 200 KB."""

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import FloatRect, Page, expect

from kinwell.accounts.models import User
from kinwell.circles import demo as circles_demo
from kinwell.communities.models import Community
from kinwell.lib import ratelimit
from kinwell.tracking import demo as tracking_demo
from kinwell.tracking.research import release, services
from kinwell.web.demo import load_demo
from tests import factories
from tests.browser import circles_support
from tests.browser.circles_support import SLOW_MS
from tests.browser.conftest import ContextFactory, LogInByCookie

pytestmark = pytest.mark.browser

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
WIDE = {"viewport": {"width": 1000, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
MOST_BYTES = 200 * 1024
# The symptoms ranked, and a few of those with too few members to show.
SYMPTOM_ROWS = 13


def save(png: bytes, name: str) -> None:
    """Writes docs/images/`name`, in 256 colours."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    reduced = image.quantize(
        colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    path = IMAGES / name
    reduced.save(path, optimize=True)
    assert path.stat().st_size < MOST_BYTES, f"{name} is too large"


def down_to(page: Page, selector: str, *, margin: int = 24) -> bytes:
    """The page from its top to the bottom of the element at `selector`."""
    box = box_of(page, selector)
    clip: FloatRect = {
        "x": 0,
        "y": 0,
        "width": page_width(page),
        "height": box["y"] + box["height"] + margin,
    }
    return page.screenshot(full_page=True, clip=clip)


def part(page: Page, top: str, bottom: str) -> bytes:
    """The page from the top of the element at `top` to the bottom of the
    element at `bottom`, with a margin."""
    first, last = box_of(page, top), box_of(page, bottom)
    y = max(first["y"] - 24, 0)
    clip: FloatRect = {
        "x": 0,
        "y": y,
        "width": page_width(page),
        "height": last["y"] + last["height"] + 24 - y,
    }
    return page.screenshot(full_page=True, clip=clip)


def box_of(page: Page, selector: str) -> FloatRect:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"nothing at {selector}"
    return box


def page_width(page: Page) -> int:
    return page.viewport_size["width"] if page.viewport_size else 1000


def demo() -> Community:
    with ratelimit.suspended():
        load_demo()
    return Community.objects.get(name=tracking_demo.NAME)


def a_research_release(community: Community) -> None:
    """Rin asks for a dataset, Nia (the organiser) approves it, and Rin
    takes records and counts with differential privacy, of the demo's
    members who consented to research."""
    rin = User.objects.get(email="rin@demo.kinwell.test")
    nia = User.objects.get(email="nia@demo.kinwell.test")
    factories.give_totp(rin)  # researchers need two-factor authentication
    asked = services.request_dataset(
        rin,
        community=community,
        title="Fatigue and pacing over a year",
        institution="University of Leeds",
        purpose="To learn how fatigue changes over a year of Long COVID, and "
        "whether members who pace find it easier.",
        privacy_budget=Decimal("1.000"),
    )
    approved = services.approve_request(nia, request=asked, note="Thank you.")
    release.release_dataset(rin, request=approved, kind="csv")
    release.release_dataset(
        rin, request=approved, kind="dp_counts", epsilon=Decimal("0.5")
    )


def test_tracking_screenshots(
    new_context: ContextFactory, log_in_by_cookie: LogInByCookie
) -> None:
    community = demo()
    a_research_release(community)
    alex = User.objects.get(email="alex@demo.kinwell.test")

    phone = new_context(**PHONE).new_page()
    log_in_by_cookie(phone.context, alex)
    phone.goto("/tracking/check-in/")
    groups = phone.locator("fieldset.scale")
    groups.nth(0).locator("label.scale-option").nth(2).tap()
    groups.nth(1).locator("label.scale-option").nth(1).tap()
    phone.evaluate("document.activeElement.blur()")
    phone.wait_for_timeout(500)  # the tap's highlight fades
    save(phone.screenshot(), "tracking-check-in.png")

    page = new_context(**WIDE).new_page()
    log_in_by_cookie(page.context, alex)
    page.goto("/tracking/chart/?months=12")
    save(down_to(page, "section.personal-chart >> nth=0"), "tracking-chart.png")

    page.goto(f"/c/{community.slug}/insights/")
    row = f"table >> nth=0 >> tbody tr >> nth={SYMPTOM_ROWS - 1}"
    save(down_to(page, row), "tracking-insights.png")

    page.goto(f"/c/{community.slug}/data-releases/")
    save(page.screenshot(full_page=True), "tracking-data-releases.png")


def test_circles_screenshots(
    new_context: ContextFactory, log_in_by_cookie: LogInByCookie, live_server: Any
) -> None:
    demo()
    alex = User.objects.get(email="alex@demo.kinwell.test")

    # The live server's threads share one in-memory SQLite connection: one
    # request at a time, as in the circle tests.
    with circles_support.serialised_server(live_server):
        context = new_context(**WIDE)
        # Key derivation and the circle's epochs take longer than a page.
        context.set_default_timeout(SLOW_MS)
        log_in_by_cookie(context, alex)
        page = context.new_page()
        circles_support.narrate(page, "alex")

        page.goto("/circles/keys/")
        page.get_by_label("Your backup passphrase").fill(
            circles_demo.DEMO_CIRCLE_PASSPHRASE
        )
        page.get_by_role("button", name="Restore from my backup").click()
        expect(page.locator("#circle-this-device")).to_contain_text(
            "is set up for circles"
        )
        page.evaluate("document.activeElement.blur()")
        save(down_to(page, "#circle-backup-heading >> xpath=.."), "circles-keys.png")

        circles_support.open_circle(page, circles_demo.DEMO_CIRCLE_UID)
        expect(page.locator("h1")).to_have_text(circles_demo.META.name)
        messages = circles_support.messages(page)
        expect(messages.locator("li.circle-message")).to_have_count(5)
        expect(messages).to_contain_text("In reply to")
        # Casey's heart on Alex's plan.
        hearts = messages.locator('button.reaction[data-emoji="\u2764\ufe0f"] .count')
        expect(hearts.filter(has_text="1")).to_have_count(1)
        # Down to the composer's button, short of the next heading.
        save(down_to(page, "#circle-send", margin=12), "circles-circle.png")

        # The members as the server lists them, and what it can see.
        save(
            part(page, "#members-heading", "#server-sees-heading >> xpath=.."),
            "circles-server-sees.png",
        )
