"""Fixtures for tests that drive a real Chromium against the app served on loopback.

One browser serves the whole session; each test gets a fresh context (cookies, storage) and page.
"""

import os
import shutil
import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from tests.browser.support import AXE_SCRIPT, CHROMIUM_ARGS, WIDTHS


class TakingTurnsOnSharedSqlite(ThreadedWSGIServer):
    """The live server, with requests taking turns when they share one SQLite connection.

    With SQLite the test database lives in memory, and every request thread is handed the
    test's own connection; a page that loads several images at once then ran statements
    on that connection from two threads together, and sqlite3 failed ("bad parameter or
    other API misuse"). PostgreSQL gives each thread its own connection and keeps the
    requests concurrent.
    """

    turn = threading.Lock()

    def set_app(self, application):
        if not self.connections_override:
            return super().set_app(application)

        # Per request, not per connection: a browser's keep-alive connection stays open
        # between requests and would hold the turn.
        def taking_turns(environ, start_response):
            with self.turn:
                return application(environ, start_response)

        return super().set_app(taking_turns)


LiveServerThread.server_class = TakingTurnsOnSharedSqlite


def find_chromium() -> str | None:
    """The Chromium to drive: $ARCHIVE_CHROMIUM, else Debian's `chromium` on PATH."""
    configured = os.environ.get("ARCHIVE_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_unavailable(reason: str):
    # CI must prove the pages in a real browser, so a missing browser there is an error.
    if os.environ.get("CI"):
        pytest.fail(f"{reason} CI must run the browser tests; see `make browser-deps`.", False)
    pytest.skip(f"{reason} Run `make browser-deps` to install it.")


def pytest_collection_modifyitems(session, config, items):
    # Browser tests go last: Playwright's sync API keeps an asyncio loop running in the main
    # thread until the session ends, which would disturb async code in the tests after it.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def chromium_browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("Playwright for Python is not installed.")
    executable = find_chromium()
    if executable is None:
        browser_unavailable("No Chromium found (set ARCHIVE_CHROMIUM or install `chromium`).")
    if not AXE_SCRIPT.exists():
        browser_unavailable(f"axe-core is missing at {AXE_SCRIPT} (npm ci).")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by tests
    # between browser steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


# Reports every Content-Security-Policy violation of every document to the test.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    page: document.location.href,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
}, true);
"""


@pytest.fixture
def page(chromium_browser, live_server):
    """A page in a fresh browser context whose relative URLs go to the live server.

    Any Content-Security-Policy violation on any page it opens fails the test; a test that
    causes one on purpose empties `page.csp_violations`.
    """
    context = chromium_browser.new_context(base_url=live_server.url, viewport=WIDTHS["desktop"])
    context.set_default_timeout(10_000)
    violations = []
    context.expose_binding("reportCspViolation", lambda source, found: violations.append(found))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.csp_violations = violations
    yield page
    context.close()
    if violations:
        pytest.fail(
            "Content-Security-Policy violations:\n"
            + "\n".join(
                f"- {v['directive']} blocked {v['blocked']} on {v['page']} "
                f"({v['source']}: {v['sample']!r})"
                for v in violations
            ),
            pytrace=False,
        )


@pytest.fixture
def migration_data(transactional_db):
    """Roles and languages are put back by restore_migration_rows in tests/conftest.py."""
