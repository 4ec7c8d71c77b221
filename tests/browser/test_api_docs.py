"""The generated API description's Swagger UI, in a real browser: offline and within the CSP."""

from tests.browser.support import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def test_swagger_ui_shows_every_operation_from_our_own_files_within_the_policy(
    page, live_server, make_record
):
    make_record(status="published", title="Telegram on missiles")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/api/docs/")
    assert response.status == 200
    page.locator(".opblock-summary-path").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/records/{record_id}/" in text for text in paths)
    assert any("/api/staff/records/" in text for text in paths)
    # Try the search from the page: the description's server answers it.
    page.locator(".opblock-summary-path", has_text="/api/records/").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".responses-wrapper .microlight", has_text="Telegram on missiles").wait_for()
    # Nothing came from another host (no CDN): the page works offline.
    assert requested and all(url.startswith(live_server.url) for url in requested), requested
    assert page.csp_violations == []
