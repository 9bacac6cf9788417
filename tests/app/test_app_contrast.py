"""Chart text is readable in both themes: every tick label, axis and legend text, title and
annotation of the charts, as Chromium renders it, has a WCAG contrast of at least 4.5:1 on
the page's background, in the light and the dark theme; the theme chosen in the sidebar is
carried by the link."""

from __future__ import annotations

import pytest
from browserhelpers import rerun_done, wait_ready
from test_app_readable import contrast_on

from fpsnn_app.registry import page as page_entry

#: WCAG 2 level AA for normal text.
AA = 4.5

#: Every text of every chart with its rendered fill, except the numbers Plotly writes into
#: heatmap cells (drawn on the cell's colour, which Plotly contrasts itself), hovers, and
#: text drawn fully transparent on purpose (a slider's hidden tick labels).
TEXTS_JS = r"""() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg text')]
  .filter(t => !t.closest('.hoverlayer') && !t.closest('.heatmaplayer')
               && !(t.parentNode.getAttribute('class') || '').includes('heatmap-label')
               && t.textContent.trim() && t.getBoundingClientRect().width > 0)
  .map(t => [t.textContent.trim().slice(0, 40), getComputedStyle(t).fill,
              getComputedStyle(t).fillOpacity])
  .filter(([, fill, opacity]) => Number(opacity) > 0 && !/rgba\(.*, 0\)$/.test(fill))
  .map(([text, fill]) => [text, fill])"""
BACKGROUND_JS = (
    "() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
)


def _low_contrast(page) -> tuple[list, str]:
    bg = page.evaluate(BACKGROUND_JS)
    texts = page.evaluate(TEXTS_JS)
    assert len(texts) > 10, "expected chart text"
    return [
        (t, fill, round(contrast_on(fill, bg), 2))
        for t, fill in texts
        if contrast_on(fill, bg) < AA
    ], bg


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["training", "network", "neuron"])
def test_chart_text_contrast(browser, browser_context_args, server_url, scheme, name):
    context = browser.new_context(
        **{
            **browser_context_args,
            "color_scheme": scheme,
            "viewport": {"width": 1280, "height": 720},
        }
    )
    page = context.new_page()
    try:
        entry = page_entry(name)
        page.goto(f"{server_url}/{entry.url_path}")
        wait_ready(page, entry.n_charts, timeout=90_000)
        low, bg = _low_contrast(page)
        dark_bg = contrast_on(bg, "#000000") < contrast_on(bg, "#ffffff")
        assert dark_bg == (scheme == "dark"), (scheme, bg)
        assert not low, (scheme, bg, low[:8])
    finally:
        context.close()


def test_theme_choice_is_in_the_link(browser, browser_context_args, server_url):
    """The sidebar's "Dark" reloads the page in the dark theme with the choice in the link
    (and the page's settings kept); that link opens dark in a light-preferring browser."""
    context = browser.new_context(
        **{
            **browser_context_args,
            "color_scheme": "light",
            "viewport": {"width": 1280, "height": 720},
        }
    )
    page = context.new_page()
    try:
        page.goto(f"{server_url}/training?training.task=XOR")
        wait_ready(page, 3, timeout=90_000)
        light = page.evaluate(BACKGROUND_JS)
        assert contrast_on(light, "#000000") > contrast_on(light, "#ffffff")
        page.get_by_test_id("stSidebar").locator("a[data-fpsnn-theme=dark_theme]").click()
        page.wait_for_url("**embed_options=dark_theme**", timeout=30_000)
        wait_ready(page, 3, timeout=90_000)
        dark = page.evaluate(BACKGROUND_JS)
        assert contrast_on(dark, "#000000") < contrast_on(dark, "#ffffff"), dark
        assert "training.task=XOR" in page.url
        assert not _low_contrast(page)[0]
        link = page.url
        fresh = context.new_page()
        fresh.goto(link)
        wait_ready(fresh, 3, timeout=90_000)
        assert fresh.evaluate(BACKGROUND_JS) == dark
        # a widget change keeps the theme in the link
        fresh.get_by_role("button", name="Step").click()
        rerun_done(fresh)
        assert "embed_options=dark_theme" in fresh.url
    finally:
        context.close()
