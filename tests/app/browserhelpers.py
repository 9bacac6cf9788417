"""Helpers of the browser tests (Playwright ``Page`` against ``streamlit run``)."""

from __future__ import annotations

from playwright.sync_api import Page


def wait_ready(page: Page, n_charts: int = 1, timeout: float = 45_000) -> None:
    """Until the script has finished and ``n_charts`` Plotly charts are drawn."""
    page.wait_for_selector(
        "[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout
    )
    # charts drawn, counted once each (Plotly draws two .main-svg layers per chart)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]"
        ".filter(c => c.querySelector('.js-plotly-plot .main-svg'))"
        f".length >= {max(n_charts, 1)}",
        timeout=timeout,
    )
    page.wait_for_timeout(400)  # let Plotly finish its transitions


def rerun_done(page: Page, timeout: float = 45_000) -> None:
    """After an interaction: wait for the rerun to start (if it does) and to finish."""
    page.wait_for_timeout(300)
    page.wait_for_selector(
        "[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout
    )
    page.wait_for_timeout(400)


def metric_value(page: Page, label: str) -> str:
    return (
        page.get_by_test_id("stMetric")
        .filter(has_text=label)
        .get_by_test_id("stMetricValue")
        .inner_text()
    )


def nudge_slider(page: Page, label: str, presses: int) -> None:
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    for _ in range(abs(presses)):
        slider.press("ArrowRight" if presses > 0 else "ArrowLeft")


#: Text cut off by its box: an element whose content is wider than the box and which hides or
#: scrolls the rest (chips of a multiselect, button and widget labels, metrics). Charts, data
#: frames (drawn on a canvas), code and KaTeX (which scrolls on purpose) are not checked.
_CLIPPED_JS = """() => { const out = [];
  const skip = '[data-testid=stPlotlyChart], [data-testid=stDataFrame], [data-testid=stTable], '
             + '[data-testid=stCode], .katex, .katex-display';
  for (const el of document.querySelectorAll('[data-testid=stMain] *, [data-testid=stSidebar] *')) {
    if (el.closest(skip) || !el.textContent.trim() || el.scrollWidth <= el.clientWidth + 1) continue;
    const cs = getComputedStyle(el);
    if (['hidden', 'auto', 'scroll', 'clip'].includes(cs.overflowX) || cs.textOverflow === 'ellipsis')
      out.push(el.textContent.trim().slice(0, 60)); }
  return out; }"""


def clipped_text(page: Page) -> list[str]:
    """Texts on the page that are cut off (see ``_CLIPPED_JS``)."""
    return page.evaluate(_CLIPPED_JS)
