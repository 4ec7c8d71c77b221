"""Helpers for the browser tests: page widths, axe-core checks, screenshots, staff sign-in.

A new journey needs only the `page` fixture and these functions, e.g.::

    pytestmark = BROWSER_MARKS

    def test_viewer_pages_with_the_keyboard(page, make_record):
        page.goto(make_record().get_absolute_url())
        assert_accessible(page)
        save_screenshot(page, "viewer")
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = ROOT / "screenshots"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# A common phone and a laptop; the phone width is below the CSS breakpoint (45rem = 720px).
WIDTHS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}

# Every WCAG 2.0, 2.1 and 2.2 rule at levels A and AA that axe-core implements.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

# Every browser test module sets `pytestmark = BROWSER_MARKS`. The live server only sees
# committed data, so these tests are transactional; migration_data restores the seed rows.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]

STAFF_PASSWORD = "pw-for-tests-only"


def axe_violations(page, *, include: str | None = None) -> list[dict]:
    """Run axe-core in the page (injecting it once) and return its WCAG A/AA violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's automation channel, not as a <script> the page's
        # Content-Security-Policy would (rightly) refuse.
        page.evaluate(AXE_SCRIPT.read_text())
    return page.evaluate(
        """async ([include, tags]) => {
            const context = include ? {include: [include]} : document;
            const result = await axe.run(context, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
            }));
        }""",
        [include, WCAG_AA_TAGS],
    )


def describe_violations(violations: list[dict]) -> str:
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'][:5])}"
        for v in violations
    )


def assert_accessible(page) -> None:
    """Fail with a readable list when axe finds any WCAG 2.2 A/AA violation on the page."""
    violations = axe_violations(page)
    assert not violations, f"axe found violations on {page.url}:\n" + describe_violations(
        violations
    )


def set_width(page, name: str) -> None:
    page.set_viewport_size(WIDTHS[name])


def save_screenshot(page, name: str) -> Path:
    """Write a full-page screenshot to screenshots/NAME-WIDTH.png for a person to look at."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    label = next((key for key, size in WIDTHS.items() if size["width"] == width), str(width))
    path = SCREENSHOT_DIR / f"{name}-{label}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, username: str, password: str = STAFF_PASSWORD) -> None:
    """Sign in to the staff workspace through its login form."""
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/admin/logout/")
