"""Controls that only move through data already computed run in the browser: moving them
changes the chart and sends nothing to the server (``clientside.assert_client_side``).

Each page is also photographed at a projector's 1280x720, light and dark, around the chart
(``test-artifacts/screenshots/<page>-replay[-dark].png``).
"""

from __future__ import annotations

import re

import pytest
from browserhelpers import rerun_done, wait_ready
from clientside import (
    SentFrames,
    assert_client_side,
    chart_signature,
    click_slider_step,
    slider_active,
    slider_steps,
)
from playwright.sync_api import Page, expect

#: page -> (query, number of charts, the replay chart's alt text, its slider's prefix)
REPLAYS = {
    "jacobian": ("?jacobian.step=3", 4, "Forward substitution with a step slider", "FP step k = "),
    "eventprop": ("?eventprop.replay=2", 2, "Stacked plots over time", "Replay step = "),
}


def _replay_chart(page: Page, alt: str):
    return page.locator(f'[data-testid=stPlotlyChart][aria-label^="{alt}"]')


def _open(browser, browser_context_args, server_url, name, **context):
    query, n_charts, alt, _ = REPLAYS[name]
    ctx = browser.new_context(**{**browser_context_args, **context})
    page = ctx.new_page()
    sent = SentFrames(page)
    page.goto(f"{server_url}/{name}{query}")
    wait_ready(page, n_charts)
    assert page.get_by_test_id("stException").count() == 0
    return ctx, page, sent, _replay_chart(page, alt)


def _texts(chart) -> str:
    """The chart's texts: the slider's current value, then the annotations."""
    return " ".join(
        [
            chart.locator(".slider-container text").first.text_content(),
            *chart.locator(".annotation-text").all_text_contents(),
        ]
    )


@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_replay_slider_runs_in_the_browser(browser, browser_context_args, server_url, name):
    ctx, page, sent, chart = _open(browser, browser_context_args, server_url, name)
    try:
        start = int(re.search(r"=(\d+)", REPLAYS[name][0]).group(1))
        prefix = REPLAYS[name][3]
        assert len(sent) >= 1, "the recorder sees the page's own messages (its first run)"
        assert slider_active(chart) == start  # the link's step is the first view
        assert f"{prefix}{start}" in _texts(chart)
        n = slider_steps(chart).count()
        assert n >= 6
        for target in (start + 3, 0, n - 1):
            before = _texts(chart)
            elapsed = assert_client_side(
                page, sent, chart, lambda t=target: click_slider_step(chart, t)
            )
            assert slider_active(chart) == target
            assert _texts(chart) != before and f"{prefix}" in _texts(chart)
            assert elapsed < 5.0
        # the URL is not touched by the replay
        assert REPLAYS[name][0].lstrip("?") in page.url
    finally:
        ctx.close()


def test_a_rerun_is_seen_by_the_recorder(browser, browser_context_args, server_url):
    """The check is not vacuous: a Streamlit widget on the same page does send a frame."""
    ctx, page, sent, chart = _open(browser, browser_context_args, server_url, "eventprop")
    try:
        before, start = chart_signature(chart), len(sent)
        page.get_by_test_id("stSelectbox").filter(has_text="Loss").click()
        page.get_by_role("option", name="Sum of all spike times").click()
        rerun_done(page)
        expect(chart).to_have_count(1, timeout=30_000)  # the stale chart is gone
        assert "rerun_script" in sent.describe(start)
        assert chart_signature(chart) != before

        def back_to_cross_entropy():
            page.get_by_test_id("stSelectbox").filter(has_text="Loss").click()
            page.get_by_role("option", name="First-spike cross entropy").click()

        with pytest.raises(AssertionError, match="rerun_script"):
            assert_client_side(
                page, sent, page.get_by_test_id("stPlotlyChart").first, back_to_cross_entropy
            )
    finally:
        ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_replay_screenshot(browser, browser_context_args, server_url, screenshots, name, scheme):
    ctx, page, _, chart = _open(
        browser,
        browser_context_args,
        server_url,
        name,
        viewport={"width": 1280, "height": 720},
        color_scheme=scheme,
    )
    try:
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        suffix = "" if scheme == "light" else "-dark"
        page.screenshot(path=str(screenshots / f"{name}-replay{suffix}.png"))
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 300
    finally:
        ctx.close()
