"""Every registered page in a real browser (chromium via Playwright, ``streamlit run``):
charts drawn, no exception, no text cut off at a projector's 1280 px width, a screenshot in
light and dark theme, and one interaction per page that changes what the page shows and the
URL."""

from __future__ import annotations

import importlib
import re

import pytest
from browserhelpers import clipped_text, wait_ready
from playwright.sync_api import Page

from fpsnn_app.registry import PAGES, PageEntry


def interaction(entry: PageEntry):
    """The page's ``browser_interaction(page)`` from ``tests/app/test_app_<page>.py``."""
    try:
        module = importlib.import_module(f"test_app_{entry.name}")
    except ImportError:
        module = None
    fn = getattr(module, "browser_interaction", None)
    assert fn is not None, f"add browser_interaction(page) to tests/app/test_app_{entry.name}.py"
    return fn


def _open(page: Page, server_url: str, entry: PageEntry) -> None:
    page.goto(f"{server_url}/{entry.url_path}")
    wait_ready(page, entry.n_charts)
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stPlotlyChart").count() >= entry.n_charts
    assert page.title() and not re.search(r"error", page.title(), re.I)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("entry", PAGES, ids=[p.name for p in PAGES])
def test_page_in_browser(browser, browser_context_args, server_url, screenshots, entry, scheme):
    context = browser.new_context(**browser_context_args, color_scheme=scheme)
    page = context.new_page()
    outside = []  # the app must work offline: nothing leaves localhost
    page.on(
        "request",
        lambda r: outside.append(r.url)
        if not r.url.startswith((server_url, "data:", "blob:", "about:"))
        else None,
    )
    try:
        _open(page, server_url, entry)
        assert page.get_by_test_id("stAlertContentError").count() == 0
        assert not clipped_text(page), "text cut off at 1280 px wide"
        suffix = "" if scheme == "light" else "-dark"
        page.screenshot(path=str(screenshots / f"{entry.name}{suffix}.png"))
        if scheme == "light":
            interaction(entry)(page)
            assert page.get_by_test_id("stException").count() == 0
        assert not outside, f"requests outside the server: {outside[:5]}"
    finally:
        context.close()
