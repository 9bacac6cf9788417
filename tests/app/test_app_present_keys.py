"""A presenter remote's "next" (PageDown) and "previous" (PageUp) keys step each page's main
control (``present.MAIN_CONTROLS``, the script ``present.STEP_JS``), in normal mode as in
presentation mode:

- a chart's own Plotly slider moves one step in the browser: the chart changes, the
  slider's active step moves by one (clamped at the ends) and nothing is sent to the server;
- a Streamlit slider moves by exactly one step: the page reruns and its chart changes;
- a key typed into a text input or a select box, or with a modifier, steps nothing.

Training's Step button (``shortcut=present.STEP_KEY``) is tested in ``test_app_present.py``.
"""

from __future__ import annotations

import re

import pytest
from apphelpers import ROOT
from browserhelpers import rerun_done, wait_ready
from clientside import (
    SentFrames,
    assert_client_side,
    chart_signature,
    click_slider_step,
    slider_active,
    slider_steps,
    wait_chart_change,
)
from playwright.sync_api import Page

from fpsnn_app.registry import PAGES
from fpsnn_app.ui import present

NEXT, BACK = present.STEP_KEY, present.BACK_KEY


def _box(page: Page, key: str):
    """The element of the widget ``key`` (Streamlit's ``st-key-...`` class)."""
    return page.locator("." + present._key_class(key))


def _open(page: Page, url: str, n_charts: int) -> SentFrames:
    sent = SentFrames(page)  # before the page opens its websocket
    page.goto(url)
    wait_ready(page, n_charts, timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    return sent


def test_each_main_control_is_a_keyed_widget_of_its_page():
    """Every key in ``MAIN_CONTROLS`` is a ``key=`` of that page's script (a renamed widget
    would otherwise silently lose the keys; ``{j}`` in an f-string key stands for any name)."""
    pages = {entry.name: entry for entry in PAGES}
    for name, keys in present.MAIN_CONTROLS.items():
        source = (ROOT / pages[name].path).read_text()
        patterns = [
            re.sub(r"\\\{[^}]*\\\}", r"\\w+", re.escape(k))
            for k in re.findall(r'key=f?"([^"]+)"', source)
        ]
        for key in keys:
            assert any(re.fullmatch(p, key) for p in patterns), (name, key)
    assert "training" not in present.MAIN_CONTROLS  # its Step button has the key itself
    assert f"'{NEXT}'" in present.STEP_JS and f"'{BACK}'" in present.STEP_JS


def _client_side(page: Page, sent: SentFrames, chart, press: str) -> None:
    assert_client_side(page, sent, chart, lambda: page.keyboard.press(press), quiet_ms=400)


#: page -> (link, charts to wait for, the stepped chart's widget key)
CHARTS = {
    "jacobian": ("jacobian?jacobian.step=3", 4, "jacobian.fp_step"),
    "eventprop": ("eventprop?eventprop.replay=2", 2, "eventprop.traces"),
    "network": ("network?network.spike=n1.1", 1, "network.chart"),
    "surrogate": ("surrogate", 4, "surrogate_credit"),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_keys_step_the_charts_slider_in_the_browser(page: Page, server_url, name):
    link, n_charts, key = CHARTS[name]
    assert key == present.MAIN_CONTROLS[name][0]
    sent = _open(page, f"{server_url}/{link}", n_charts)
    chart = _box(page, key).get_by_test_id("stPlotlyChart")
    start = slider_active(chart)
    n = slider_steps(chart).count()
    assert 0 < start < n - 1
    _client_side(page, sent, chart, NEXT)
    assert slider_active(chart) == start + 1
    _client_side(page, sent, chart, BACK)
    _client_side(page, sent, chart, BACK)
    assert slider_active(chart) == start - 1
    assert link.partition("?")[2] in page.url  # the link keeps its own opening step
    if name == "jacobian":  # clamped at the end: the last step stays
        assert_client_side(page, sent, chart, lambda: click_slider_step(chart, -1))
        _unmoved(page, sent, chart, [NEXT])
        assert slider_active(chart) == n - 1
    if name == "network":  # typed into a select box, or with a modifier: nothing moves
        combo = _box(page, "network.spike").get_by_role("combobox")
        combo.focus()
        _unmoved(page, sent, chart, [NEXT], allow_frames=True)
        page.keyboard.press("Escape")
        combo.blur()
        _unmoved(page, sent, chart, [f"Shift+{NEXT}", f"Control+{BACK}", f"Alt+{NEXT}"])
        _client_side(page, sent, chart, NEXT)  # not vacuous: the bare key does step it
        assert slider_active(chart) == start


def _unmoved(page: Page, sent: SentFrames, chart, presses: list[str], allow_frames=False):
    """Pressing ``presses`` leaves the chart's slider and drawing as they were (and sends
    nothing, unless ``allow_frames``: a focused select box may tell the server itself)."""
    active, drawn, frames = slider_active(chart), chart_signature(chart), len(sent)
    for press in presses:
        page.keyboard.press(press)
    page.wait_for_timeout(400)
    assert slider_active(chart) == active and chart_signature(chart) == drawn, presses
    assert allow_frames or len(sent) == frames, sent.describe(frames)


#: page -> (link, charts to wait for, the slider's widget key, the chart it changes, step)
SLIDERS = {
    "home": ("", 1, "home.w", "home.picture", 0.1),
    "neuron": ("neuron", 1, "neuron.w0", "neuron.figure", 0.1),
    "gradient_check": ("gradient-check", 2, "gradient_check.eps", "gradient_check.agreement", 1),
}


@pytest.mark.parametrize("name", sorted(SLIDERS))
def test_keys_move_the_main_slider_one_step(page: Page, server_url, name):
    link, n_charts, key, chart_key, step = SLIDERS[name]
    assert key == present.MAIN_CONTROLS[name][0]
    sent = _open(page, f"{server_url}/{link}", n_charts)
    thumb = _box(page, key).locator("input[type=range]")
    chart = _box(page, chart_key).get_by_test_id("stPlotlyChart")
    shown = _box(page, key).get_by_test_id("stSliderThumbValue")
    value, label, drawn = float(thumb.input_value()), shown.inner_text(), chart_signature(chart)
    for press, by in ((NEXT, step), (BACK, -step)):
        frames = len(sent)
        page.keyboard.press(press)
        rerun_done(page)
        assert "rerun_script" in sent.describe(frames)
        now = float(thumb.input_value())
        assert now == pytest.approx(value + by), (press, value, now)
        assert shown.inner_text() != label
        wait_chart_change(chart, drawn)  # the rerun's chart is drawn
        value, label, drawn = now, shown.inner_text(), chart_signature(chart)
    assert page.get_by_test_id("stException").count() == 0
    if name == "neuron":  # typed into a text input: no rerun, the slider stays
        page.get_by_role("textbox", name="Input 0 spike times").focus()
        frames = len(sent)
        page.keyboard.press(NEXT)
        page.wait_for_timeout(600)
        assert float(thumb.input_value()) == value and len(sent) == frames
