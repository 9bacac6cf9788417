"""The main figure on the first screen, measured in Chromium.

Normal mode at 1280x720: at least :data:`MIN_VISIBLE` pixels of each page's main chart in
:data:`MAIN` show without scrolling. Presentation mode at 1280x720 and 1920x1080: the main
chart is whole on the first screen (top >= 0, bottom <= the screen's height), and so are
the x-axis titles of the charts in :data:`AXIS_TITLES` (a chart ending below the screen
loses its axis title first). The chart is the Plotly plot inside the element Streamlit
tags with the chart's key (class ``st-key-<key>``).
"""

from __future__ import annotations

import contextlib

import pytest

#: The main chart of each page (its Streamlit key), by the page's URL path ("" is Home).
MAIN = {
    "": "home.picture",
    "neuron": "neuron.figure",
    "network": "network.chart",
    "gradient-check": "gradient_check.agreement",
    "sensitivity": "sensitivity.chart",
    "surrogate": "surrogate_credit",
    "eventprop": "eventprop.traces",
    "derivation": "derivation.kernel",
}
#: Charts whose x-axis titles are checked while presenting, by page.
AXIS_TITLES = {"sensitivity": "sensitivity.chart", "derivation": "derivation.kernel"}
#: Pixels of the main chart that at least show on a 720 px high first screen in normal mode.
MIN_VISIBLE = 300

_BOX_JS = """(key) => {
  const cls = 'st-key-' + key.replace(/[^a-zA-Z0-9_-]/g, '-');
  const el = document.querySelector('.' + cls + ' .js-plotly-plot');
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return [r.top, r.bottom];
}"""

#: Top and bottom of each x-axis title (``xtitle``, ``x2title``, ...) of a chart.
_XTITLES_JS = """(key) => {
  const cls = 'st-key-' + key.replace(/[^a-zA-Z0-9_-]/g, '-');
  const el = document.querySelector('.' + cls + ' .js-plotly-plot');
  if (!el) return null;
  return [...el.querySelectorAll('text')]
    .filter(t => [...t.classList].some(c => /^x[0-9]*title$/.test(c)))
    .map(t => { const r = t.getBoundingClientRect();
                return [t.textContent, r.top, r.bottom]; });
}"""


def _open(page, server_url, name: str, key: str, query: str = "") -> None:
    from browserhelpers import wait_ready

    page.goto(f"{server_url}/{name}{query}")
    wait_ready(page, timeout=90_000)
    page.wait_for_function(f"() => ({_BOX_JS})({key!r}) !== null", timeout=30_000)
    page.wait_for_timeout(500)  # Plotly's last resize
    assert page.get_by_test_id("stException").count() == 0, name


@contextlib.contextmanager
def _screen(browser, browser_context_args, width: int, height: int):
    """A page in a new browser context with a ``width`` x ``height`` viewport."""
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": width, "height": height}}
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def _main_chart_box(page, server_url, name: str, query: str = "") -> tuple[float, float]:
    _open(page, server_url, name, MAIN[name], query)
    return tuple(page.evaluate(_BOX_JS, MAIN[name]))


def test_main_chart_starts_on_the_first_screen(browser, browser_context_args, server_url):
    with _screen(browser, browser_context_args, 1280, 720) as page:
        tops = {name or "home": round(_main_chart_box(page, server_url, name)[0]) for name in MAIN}
    late = {k: v for k, v in tops.items() if not 0 <= v <= 720 - MIN_VISIBLE}
    assert not late, f"main chart starts too low at 1280x720 (top in px): {late}"


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_main_chart_whole_while_presenting(
    browser, browser_context_args, server_url, width, height
):
    with _screen(browser, browser_context_args, width, height) as page:
        boxes = {
            name or "home": _main_chart_box(page, server_url, name, "?present=true")
            for name in MAIN
        }
    cut = {
        k: (round(top), round(bottom))
        for k, (top, bottom) in boxes.items()
        if top < 0 or bottom > height
    }
    assert not cut, f"main chart not whole on a {width}x{height} screen (top, bottom): {cut}"


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_axis_titles_shown_while_presenting(
    browser, browser_context_args, server_url, width, height
):
    with _screen(browser, browser_context_args, width, height) as page:
        titles = {}
        for name, key in AXIS_TITLES.items():
            _open(page, server_url, name, key, "?present=true")
            titles[name] = page.evaluate(_XTITLES_JS, key)
    assert all(titles.values()), f"no x-axis title found: {titles}"
    cut = {
        name: [(text, round(top), round(bottom)) for text, top, bottom in found]
        for name, found in titles.items()
        if any(top < 0 or bottom > height for _, top, bottom in found)
    }
    assert not cut, f"x-axis title off a {width}x{height} screen (text, top, bottom): {cut}"
