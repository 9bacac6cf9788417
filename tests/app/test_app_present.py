"""Presentation mode: one switch for every page, bound to the link as
``present=true`` (``present=1`` accepted), that folds the sidebar and the page's
introduction, enlarges type, and puts each page's main figure on the first screen of a
1280x720 projector."""

from __future__ import annotations

from unittest import mock

import pytest
import streamlit as st
from apphelpers import APP, assert_clean, link, open_page
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Markdown

from fpsnn_app.registry import PAGES
from fpsnn_app.registry import page as page_entry
from fpsnn_app.ui import present

KEY = present.KEY


def _intro_markdown(at: AppTest) -> list[str]:
    """Markdown shown directly in the page (not in an expander or a column)."""
    return [el.value for el in at.main.children.values() if type(el) is Markdown]


def _folded(at: AppTest) -> list[str]:
    """Markdown inside the "About this page" expander."""
    boxes = [e for e in at.expander if e.label == "About this page"]
    return [m.value for box in boxes for m in box.markdown]


def _style(at: AppTest) -> list[str]:
    return [
        h.proto.body
        for h in at.get("html")
        if "<style>" in h.proto.body
        and "stMainBlockContainer" in h.proto.body
        and "stVerticalBlock" in h.proto.body
    ]


def test_switch_is_in_the_link_and_round_trips():
    at = open_page("network")
    assert at.toggle(key=KEY).value is False
    assert KEY not in link(at)
    at.toggle(key=KEY).set_value(True).run()
    assert_clean(at)
    assert link(at)[KEY] == "true"
    # a fresh session opened with that link presents, and keeps presenting on another page
    fresh = AppTest.from_file(APP, default_timeout=60)
    for key, value in link(at).items():
        fresh.query_params[key] = value
    fresh.run()
    assert fresh.toggle(key=KEY).value is True and _folded(fresh)
    fresh.switch_page(page_entry("jacobian").path).run()
    assert_clean(fresh)
    assert fresh.toggle(key=KEY).value is True and link(fresh)[KEY] == "true"
    assert _folded(fresh)
    # switched off, the flag leaves the link
    at.toggle(key=KEY).set_value(False).run()
    assert KEY not in link(at)


def test_hand_written_present_1_is_accepted_and_rewritten():
    at = open_page("network", {KEY: "1"})
    assert_clean(at)
    assert at.toggle(key=KEY).value is True
    assert link(at)[KEY] == "true"
    at.run()  # a later rerun keeps it on (and off stays off)
    assert at.toggle(key=KEY).value is True
    at.toggle(key=KEY).set_value(False).run()
    assert at.toggle(key=KEY).value is False and not _folded(at)


@pytest.mark.parametrize("name", ["home", "network", "jacobian"])
def test_intro_is_folded_and_style_applied(name):
    configs = []
    real = st.set_page_config

    def record(*args, **kwargs):
        configs.append(kwargs.get("initial_sidebar_state"))
        return real(*args, **kwargs)

    with mock.patch.object(st, "set_page_config", side_effect=record):
        at = open_page(name)
        assert_clean(at)
        intro = [m for m in _intro_markdown(at) if len(m) > 200]
        assert len(intro) == 1, "expected one long introduction above the page"
        assert not _folded(at) and not _style(at)
        assert configs[-1] == "auto"

        at.toggle(key=KEY).set_value(True).run()
        assert_clean(at)
        assert intro[0] not in _intro_markdown(at)  # no longer in the page's flow ...
        assert _folded(at) == intro  # ... but one click away
        assert not [e for e in at.expander if e.label == "About this page"][0].proto.expanded
        css = _style(at)
        assert (
            len(css) == 1
            and "font-size" in css[0]
            and "@import" not in css[0]
            and "url(" not in css[0]
        )  # system fonts: nothing fetched
        assert configs[-1] == "collapsed"  # the sidebar folds away


# --- real browser -------------------------------------------------------------------------
#: At least this many pixels of each page's main figure show on a 720 px high first screen.
MIN_VISIBLE = 120

_SIDEBAR = "() => document.querySelector('[data-testid=stSidebar]').getAttribute('data-collapsed')"


def test_present_in_browser(browser, browser_context_args, server_url):
    """At 1280x720 with present=true every page's first chart starts on the first screen,
    the sidebar is folded and no text is cut off; turning the switch on folds the sidebar."""
    from browserhelpers import _CLIPPED_JS, rerun_done, wait_ready

    # cut-off text in the main area (the folded sidebar's items are zero wide, not clipped)
    main_only = _CLIPPED_JS.replace(", [data-testid=stSidebar] *", "")
    assert main_only != _CLIPPED_JS

    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 1280, "height": 720}}
    )
    page = context.new_page()
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url)
        if not r.url.startswith((server_url, "data:", "blob:", "about:"))
        else None,
    )
    try:
        tops = {}

        def measure(name: str) -> None:
            wait_ready(page, timeout=60_000)  # the whole run: what is above the chart
            chart = page.get_by_test_id("stPlotlyChart").first  # is drawn, no later shift
            page.wait_for_function(f"{_SIDEBAR} === 'true'", timeout=10_000)
            tops[name] = chart.bounding_box()["y"]
            assert page.evaluate(_SIDEBAR) == "true", name
            assert page.get_by_test_id("stException").count() == 0, name
            assert not page.evaluate(main_only), (name, page.evaluate(main_only))

        home, *others = PAGES
        page.goto(f"{server_url}/{home.url_path}")
        wait_ready(page)
        assert page.evaluate(_SIDEBAR) == "false"
        page.get_by_test_id("stSidebar").get_by_text("Presentation mode").click()
        rerun_done(page)
        page.wait_for_function(f"{_SIDEBAR} === 'true'", timeout=10_000)
        assert f"{KEY}=true" in page.url
        measure(home.name)
        for entry in others:
            page.goto(f"{server_url}/{entry.url_path}?{KEY}=true")
            measure(entry.name)
        late = {k: round(v) for k, v in tops.items() if not 0 <= v <= 720 - MIN_VISIBLE}
        assert not late, f"main figure below the first screen at 1280x720: {late}"
        assert not outside, outside[:5]
    finally:
        context.close()


def test_sidebar_folds_again_after_a_page_switch(browser, browser_context_args, server_url):
    """Presenting, a lecturer opens the sidebar to switch pages: on the next page it is
    folded away again (opening it on the same page is left alone)."""
    from browserhelpers import wait_ready

    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 1280, "height": 720}}
    )
    page = context.new_page()
    try:
        page.goto(f"{server_url}/neuron?{KEY}=true")
        wait_ready(page, timeout=60_000)
        page.wait_for_function(f"{_SIDEBAR} === 'true'", timeout=10_000)
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_function(f"{_SIDEBAR} === 'false'", timeout=10_000)
        page.wait_for_timeout(500)
        assert page.evaluate(_SIDEBAR) == "false", "opened on the same page: stays open"
        page.get_by_test_id("stSidebarNav").get_by_text("Derivation").click()
        page.wait_for_url("**/derivation**", timeout=30_000)
        wait_ready(page, timeout=60_000)
        page.wait_for_function(f"{_SIDEBAR} === 'true'", timeout=10_000)
        assert f"{KEY}=true" in page.url
    finally:
        context.close()


def test_presenter_remote_key_steps_the_training(page, server_url):
    """The "next" key of a presenter remote (PageDown) presses the Training page's Step."""
    from browserhelpers import metric_value, rerun_done, wait_ready

    page.goto(f"{server_url}/training?training.task=XOR&{KEY}=true")
    wait_ready(page, 3, timeout=90_000)
    assert metric_value(page, "Epoch") == "0"
    page.keyboard.press(present.STEP_KEY)
    rerun_done(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
        ".some(e => e.innerText === '1')",
        timeout=30_000,
    )
    assert metric_value(page, "Epoch") == "1"
