"""Cross-site scripting, in a real browser: a member posts every payload of
tests/browser/xss_payloads.txt through the website (thread bodies, titles
and content warnings; the htmx Markdown preview; the edit page), then reads
the pages, hovers, focuses and clicks every link in the posts, and nothing
runs: no sink is reached, no dialog opens, no request leaves for another
host, and the posts hold only the markup the Markdown pipeline allows.

The pages are read twice. First with the Content Security Policy switched
off in the browser, so that the sanitiser alone must hold (the policy would
otherwise hide a sanitiser bug); then with the policy on, which must report
no violation at all (anything it blocked would be something that got
through). Each detector is checked against a planted payload at the end, so
a blind harness cannot pass."""

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, Route

from kinwell.accounts.models import User
from kinwell.communities.models import Community
from kinwell.discussions import services
from kinwell.discussions.models import Post, Thread
from tests.browser.conftest import ContextFactory, LogIn

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).with_name("xss_payloads.txt")
PAYLOADS_PER_POST = 12
# Titles and content warnings are one line of at most 200 characters.
TEXT_SLOT = 200
TOKENS = {"{NL}": "\n", "{TAB}": "\t", "{CR}": "\r", "{FF}": "\f"}

# The sinks, installed in every frame before any page script runs.
SINKS = """
(() => {
  const report = (kind, value) => {
    try { window.__xssReport(kind + ":" + String(value)); } catch (error) {}
  };
  window.__xss = (n) => report("__xss", n);
  window.alert = (n) => report("alert", n);
  window.confirm = (n) => { report("confirm", n); return false; };
  window.prompt = (n) => { report("prompt", n); return null; };
  window.print = () => report("print", "");
  document.addEventListener("securitypolicyviolation", (event) => {
    report("csp", event.violatedDirective + " " + event.blockedURI);
  }, true);
})();
"""

# What a post body may hold (kinwell/lib/markdown.py), and a whole page never.
INSPECT = """
(selector) => {
  const allowed = new Set(["P", "BR", "HR", "EM", "STRONG", "DEL", "CODE", "PRE",
    "BLOCKQUOTE", "UL", "OL", "LI", "A", "H3", "H4", "H5", "H6", "TABLE", "THEAD",
    "TBODY", "TR", "TH", "TD"]);
  const attributes = new Set(["href", "title", "rel", "start", "align"]);
  const schemes = new Set(["http:", "https:", "mailto:"]);
  const problems = [];
  const describe = (el) => "<" + el.tagName.toLowerCase() + "> " +
    el.outerHTML.slice(0, 120);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith("on")) {
        problems.push("event handler " + attr.name + ": " + describe(el));
      }
      const squeezed = attr.value.replace(/[\\s\\x00-\\x1f]/g, "");
      if (/^(javascript|vbscript|data):/i.test(squeezed)) {
        problems.push("dangerous URL in " + attr.name + ": " + describe(el));
      }
    }
  }
  for (const el of document.querySelectorAll(
      "script:not([src^='/static/']), iframe, frame, object, embed, base, " +
      "meta[http-equiv], template, svg, math, form[action^='javascript']")) {
    problems.push("unexpected element " + describe(el));
  }
  for (const root of document.querySelectorAll(selector)) {
    for (const el of root.querySelectorAll("*")) {
      if (!allowed.has(el.tagName)) problems.push("tag not allowed: " + describe(el));
      for (const attr of el.attributes) {
        if (!attributes.has(attr.name)) {
          problems.push("attribute not allowed: " + attr.name + " " + describe(el));
        }
      }
      if (el.tagName === "A" && el.hasAttribute("href")
          && !schemes.has(new URL(el.href, document.baseURI).protocol)) {
        problems.push("link scheme not allowed: " + describe(el));
      }
    }
    if (/<script/i.test(root.innerHTML)) problems.push("<script in " + selector);
  }
  return problems;
}
"""

# Hover, focus and pointer events on everything in the posts, as a person
# moving around the page would cause (the real mouse visits the links).
STIR = """
(selector) => {
  for (const el of document.querySelectorAll(selector + " *")) {
    for (const type of ["mouseover", "mouseenter", "mousemove", "pointerover"]) {
      el.dispatchEvent(new MouseEvent(type, {bubbles: true}));
    }
    el.dispatchEvent(new FocusEvent("focus"));
  }
}
"""


def load_corpus() -> list[str]:
    payloads: list[str] = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("%%"):
            continue
        number = len(payloads) + 1
        text = line.replace("{N}", str(number))
        for token, character in TOKENS.items():
            text = text.replace(token, character)
        text = re.sub(r"\{x([0-9A-Fa-f]{2})\}", lambda m: chr(int(m[1], 16)), text)
        payloads.append(text)
    return payloads


def marker(number: int) -> str:
    return f"xss-end-{number}"


def body_of(numbered: list[tuple[int, str]]) -> str:
    """Each payload in a block of its own, then a marker paragraph: if the
    payload left something open, its marker would not be a paragraph."""
    return "".join(f"{payload}\n\n{marker(n)}\n\n" for n, payload in numbered)


def one_line(payload: str) -> bool:
    return len(payload) <= TEXT_SLOT and not any(ord(c) < 32 for c in payload)


def pack(payloads: list[str], slots: int) -> list[str]:
    """The one-line payloads, packed into `slots` texts of at most 200
    characters (first fit, longest first); fails if they do not fit."""
    texts: list[str] = [""] * slots
    for payload in sorted(filter(one_line, payloads), key=len, reverse=True):
        for index, text in enumerate(texts):
            joined = f"{text} {payload}" if text else payload
            if len(joined) <= TEXT_SLOT:
                texts[index] = joined
                break
        else:
            raise AssertionError(f"no room for a title payload: {payload!r}")
    return texts


@dataclass
class Plan:
    """What each thread carries: its bodies, titles and content warning."""

    bodies: list[list[tuple[int, str]]]
    titles: list[str]
    edited_titles: list[str]
    warnings: list[str]


def make_plan(payloads: list[str]) -> Plan:
    numbered = list(enumerate(payloads, start=1))
    count = math.ceil(len(numbered) / PAYLOADS_PER_POST)
    texts = pack(payloads, 3 * count)
    return Plan(
        bodies=[
            numbered[i : i + PAYLOADS_PER_POST]
            for i in range(0, len(numbered), PAYLOADS_PER_POST)
        ],
        titles=[text or f"Thread {i}" for i, text in enumerate(texts[:count])],
        edited_titles=[t or "Edited" for t in texts[count : 2 * count]],
        warnings=[w or "a warning" for w in texts[2 * count :]],
    )


@dataclass
class Watch:
    """Everything a payload could do that the test can see."""

    origin: str
    sinks: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pages: int = 0

    def install(self, context: BrowserContext) -> Page:
        """Watches `context`; returns its page."""
        context.expose_binding(
            "__xssReport", lambda _source, value: self.sinks.append(value)
        )
        context.add_init_script(SINKS)
        context.route("**/*", self._route)
        context.on("page", self._count)
        page = context.new_page()
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("framenavigated", lambda frame: self.navigations.append(frame.url))
        return page

    def _route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == urlsplit(self.origin).netloc:
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _count(self, page: Page) -> None:
        self.pages += 1

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append(message.text)

    def assert_nothing_ran(self, where: str) -> None:
        assert not self.sinks, f"{where}: payloads ran: {self.sinks}"
        assert not self.dialogs, f"{where}: dialogs opened: {self.dialogs}"
        assert not self.external, f"{where}: requests to other hosts: {self.external}"
        assert not self.errors, f"{where}: script errors: {self.errors}"
        odd = [url for url in self.navigations if not url.startswith(self.origin)]
        assert not odd, f"{where}: navigated to {odd}"
        policy = [text for text in self.console if "Content Security Policy" in text]
        assert not policy, f"{where}: the policy blocked something: {policy}"
        assert self.pages == 1, f"{where}: {self.pages - 1} windows opened"


@pytest.fixture
def fast_posting(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    # Well over a hundred posts, previews and edits in a minute: the rate
    # limits (tested elsewhere) are lifted for this test.
    monkeypatch.setattr(services, "POSTS_PER_TEN_MINUTES", 10_000)
    settings.KINWELL_WRITES_PER_MINUTE = 10_000


def watched_page(
    new_context: ContextFactory, origin: str, *, bypass_csp: bool
) -> tuple[Page, Watch]:
    watch = Watch(origin)
    page = watch.install(new_context(bypass_csp=bypass_csp))
    return page, watch


def inspect(page: Page, selector: str, where: str) -> None:
    problems = page.evaluate(INSPECT, selector)
    assert not problems, f"{where}:\n" + "\n".join(problems)


def visit(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("load")


def open_warning(page: Page) -> None:
    summary = page.locator("details.content-warning > summary")
    if summary.count():
        summary.click()


def touch_links(page: Page, *, click: bool = True) -> None:
    """A real mouse over every link in the posts, focus on each, and a click
    on each that stays on this page. (A link elsewhere, here or on another
    site, cannot run script in this page: the inspection has checked that
    every link is http, https or mailto. An <a> without an address is no
    link: nothing to hover, focus or follow.)"""
    links = page.locator(".post-body a[href]")
    here = page.url.split("#")[0]
    for index in range(links.count()):
        link = links.nth(index)
        link.scroll_into_view_if_needed(timeout=3000)
        link.hover(timeout=3000)
        link.focus(timeout=3000)
        href = link.evaluate("a => a.href")
        if click and (not href or href.split("#")[0] == here):
            link.click(timeout=3000)
    page.evaluate(STIR, ".post-body")
    page.wait_for_timeout(50)
    assert page.url.split("#")[0] == here, f"left {here} for {page.url}"


def check_thread(
    page: Page,
    thread: Thread,
    title: str,
    warning: str,
    body: list[tuple[int, str]],
) -> None:
    path = thread.get_absolute_url()
    visit(page, path)
    where = f"thread {thread.pk}"
    assert page.locator("h1").evaluate("h => h.children.length") == 0
    assert page.locator("h1").text_content() == " ".join(title.split())
    summary = page.locator("details.content-warning > summary")
    assert summary.evaluate("s => s.children.length") == 0, where
    assert f"Content warning: {warning.strip()}." in (summary.text_content() or "")
    open_warning(page)
    opening = page.locator(".post-body").first
    paragraphs = opening.locator(":scope > p").all_text_contents()
    for number, _ in body:
        assert marker(number) in paragraphs, f"{where}: payload {number} swallowed"
    inspect(page, ".post-body", where)
    touch_links(page)
    inspect(page, ".post-body", where)


def start_thread_in_the_browser(
    page: Page, community: Community, title: str, body: str, warning: str
) -> Thread:
    visit(page, f"/c/{community.slug}/threads/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your message").fill(body)
    page.get_by_label("Content warning").fill(warning)
    with page.expect_response(lambda r: r.url.endswith("/preview")):
        page.get_by_role("button", name="Preview").click()
    page.locator("#preview-thread .preview").wait_for()
    inspect(page, "#preview-thread .post-body", "the preview")
    touch_links(page, click=False)
    with page.expect_navigation():
        page.get_by_role("button", name="Start the thread").click()
    thread_id = int(re.search(r"/t/(\d+)/", page.url)[1])  # type: ignore[index]
    return Thread.objects.get(pk=thread_id)


def edit_in_the_browser(page: Page, thread: Thread, title: str, body: str) -> None:
    post = Post.objects.get(thread=thread, number=1)
    visit(page, f"/c/{thread.community.slug}/p/{post.pk}/edit")
    inspect(page, ".post-body", "the edit page")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your message").fill(body)
    with page.expect_navigation():
        page.get_by_role("button", name="Save the change").click()


def test_no_payload_runs_anywhere(
    community: Community,
    member: User,
    live_server: Any,
    new_context: ContextFactory,
    log_in: LogIn,
    fast_posting: None,
) -> None:
    payloads = load_corpus()
    assert len(payloads) >= 100
    plan = make_plan(payloads)
    origin = live_server.url
    page, watch = watched_page(new_context, origin, bypass_csp=True)
    log_in(page, member.email)

    threads = []
    for body, title, warning in zip(
        plan.bodies, plan.titles, plan.warnings, strict=True
    ):
        thread = start_thread_in_the_browser(
            page, community, title, body_of(body), warning
        )
        check_thread(page, thread, title, warning, body)
        threads.append(thread)
    watch.assert_nothing_ran("posting and reading")

    for thread, body, title, warning in zip(
        threads, plan.bodies, plan.edited_titles, plan.warnings, strict=True
    ):
        reversed_body = list(reversed(body))  # other neighbours this time
        edit_in_the_browser(page, thread, title, body_of(reversed_body))
        check_thread(page, thread, title, warning, reversed_body)
    visit(page, f"/c/{community.slug}/threads/")
    inspect(page, ".post-body", "the thread list")
    shown = page.locator("h2 a").all_text_contents()
    assert sorted(shown) == sorted(" ".join(t.split()) for t in plan.edited_titles)
    watch.assert_nothing_ran("editing and reading")
    assert_detectors_work(page, watch, policy_on=False)

    enforced, policed = watched_page(new_context, origin, bypass_csp=False)
    log_in(enforced, member.email)
    for thread in threads:
        visit(enforced, thread.get_absolute_url())
        open_warning(enforced)
    visit(enforced, f"/c/{community.slug}/threads/")
    policed.assert_nothing_ran("with the policy on")
    assert_detectors_work(enforced, policed, policy_on=True)


def assert_detectors_work(page: Page, watch: Watch, *, policy_on: bool) -> None:
    """A payload planted by the test itself is seen: the sink fires with the
    policy off, and the policy reports it with the policy on."""
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', "
        "'<img src=x onerror=__xss(\"planted\")>')"
    )
    page.wait_for_timeout(300)
    if policy_on:
        assert "__xss:planted" not in watch.sinks
        assert any(report.startswith("csp:") for report in watch.sinks), watch.sinks
    else:
        assert watch.sinks == ["__xss:planted"], watch.sinks
    watch.sinks.clear()


def test_corpus_format() -> None:
    payloads = load_corpus()
    assert len(payloads) >= 100
    assert all("{N}" not in p and "{NL}" not in p for p in payloads)
    assert all("\x00" not in p for p in payloads)
