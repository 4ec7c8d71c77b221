"""The harness itself: where Chromium is found, and that CI never skips the browser tests."""

import pytest

from tests.browser.conftest import browser_unavailable, find_chromium


def test_configured_chromium_path_is_used_when_executable(monkeypatch, tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    monkeypatch.setenv("ARCHIVE_CHROMIUM", str(chromium))
    assert find_chromium() == str(chromium)


def test_configured_chromium_path_that_does_not_exist_counts_as_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("ARCHIVE_CHROMIUM", str(tmp_path / "absent"))
    assert find_chromium() is None


def test_missing_browser_skips_with_the_reason_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="No Chromium found"):
        browser_unavailable("No Chromium found.")


def test_missing_browser_is_an_error_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        browser_unavailable("No Chromium found.")
