"""axe-core in the browser: `assert_accessible(page)` fails on every serious or
critical violation on the page as it stands, naming rule, help and elements.

axe is put into the page with `page.evaluate`, which runs through the DevTools
protocol and is not subject to our Content-Security-Policy (script-src 'self'
'nonce-…'), so the pages are checked under their real CSP, with no
`bypass_csp`."""

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

FAILING_IMPACTS = frozenset({"serious", "critical"})
# Every WCAG 2.0-2.2 A and AA rule, plus axe's best practices (landmarks,
# headings); minor and moderate findings are reported by axe but do not fail.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": [
            "wcag2a",
            "wcag2aa",
            "wcag21a",
            "wcag21aa",
            "wcag22aa",
            "best-practice",
        ],
    },
}

_axe = Axe()


def serious_violations(page: Page) -> list[dict[str, Any]]:
    results = _axe.run(page, options=AXE_OPTIONS)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            snippet = " ".join(node.get("html", "").split())[:160]
            lines.append(f"    at {target}: {snippet}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = serious_violations(page)
    assert not violations, (
        f"{len(violations)} serious or critical accessibility violations on "
        f"{page.url}:\n{describe(violations)}"
    )
