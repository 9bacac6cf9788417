"""Presentation mode enlarges chart text and lines, not only the page's prose.

:func:`fpsnn_app.style.for_projector` is applied by ``ui.chart`` to every chart while
presenting; here it is checked on a hand-built figure spec (sizes, widths, frames, the
input untouched) and in Chromium on the drawn charts of two pages, normal against
presenting.
"""

from __future__ import annotations

import copy

import pytest
from browserhelpers import wait_ready

from fpsnn_app import style


def _spec():
    x = list(range(5))
    return {
        "data": [
            {"type": "scatter", "x": x, "y": x, "line": {"width": 2, "color": "red"}},
            {"type": "scatter", "x": x, "y": x, "mode": "text", "textfont": {"size": 12}},
            {"type": "heatmap", "z": [[1, 2]], "textfont": {"size": 12}},
        ],
        "layout": {
            "font": {"size": 16},
            "margin": {"l": 70, "r": 20, "t": 30, "b": 50, "pad": 4},
            "xaxis": {"tickfont": {"size": 14}, "title": {"text": "t", "font": {"size": 16}}},
            "yaxis2": {"tickfont": {"size": 10, "color": "red"}},
            "legend": {"font": {"size": 14}},
            "annotations": [{"text": "a", "font": {"size": 10, "color": "blue"}}, {"text": "b"}],
            "sliders": [{"currentvalue": {"font": {"size": 14}}, "font": {"size": 12}}],
        },
        "frames": [{"name": "0", "data": [{"line": {"width": 2}}]}, {"name": "1"}],
    }


def test_ticks_titles_sliders_labels_and_lines_are_scaled_and_the_input_kept():
    spec = _spec()
    before = copy.deepcopy(spec)
    out = style.for_projector(spec, 1.5)
    assert spec == before  # not modified
    lay = out["layout"]
    assert lay["xaxis"]["tickfont"]["size"] == 21 and lay["xaxis"]["title"]["font"]["size"] == 24
    assert lay["xaxis"]["title"]["text"] == "t"
    assert lay["yaxis2"]["tickfont"] == {"size": 15, "color": "red"}
    assert lay["sliders"][0]["currentvalue"]["font"]["size"] == 21
    assert lay["sliders"][0]["font"]["size"] == 18
    assert lay["margin"] == {"l": 105, "r": 20, "t": 30, "b": 75, "pad": 4}
    assert out["data"][0]["line"] == {"width": 3, "color": "red"}
    assert out["data"][1]["textfont"]["size"] == 18
    assert out["data"][0]["x"] is spec["data"][0]["x"]  # data arrays shared, not copied
    assert out["frames"][0]["data"][0]["line"]["width"] == 3
    assert out["frames"][1] == {"name": "1"}


def test_legends_annotations_cells_and_the_default_font_keep_their_size():
    """They sit in fixed gaps between stacked panels (subplot titles are annotations) or in
    fixed cells: larger, they would cover what is beside them."""
    spec = _spec()
    lay = style.for_projector(spec, 1.5)["layout"]
    for key in ("font", "legend", "annotations"):
        assert lay[key] == spec["layout"][key]
    assert style.for_projector(spec, 1.5)["data"][2] == spec["data"][2]


_SIZES_JS = """(sel) => {
  const chart = document.querySelector(sel);
  const tick = chart.querySelector('g.ytick > text, g[class$=tick] > text');
  const line = [...chart.querySelectorAll('.scatterlayer path.js-line')]
    .map(p => parseFloat(getComputedStyle(p).strokeWidth)).filter(w => w > 0);
  return {tick: parseFloat(getComputedStyle(tick).fontSize), line: Math.max(...line)};
}"""


@pytest.mark.parametrize("name", ["neuron", "gradient-check"])
def test_chart_text_and_lines_grow_while_presenting(
    browser, browser_context_args, server_url, name
):
    sizes = {}
    for mode, query in (("normal", ""), ("presenting", "?present=true")):
        ctx = browser.new_context(
            **{**browser_context_args, "viewport": {"width": 1280, "height": 720}}
        )
        try:
            page = ctx.new_page()
            page.goto(f"{server_url}/{name}{query}")
            wait_ready(page)
            sizes[mode] = page.evaluate(_SIZES_JS, "[data-testid=stPlotlyChart]")
        finally:
            ctx.close()
    n, p = sizes["normal"], sizes["presenting"]
    assert p["tick"] >= 1.2 * n["tick"], sizes
    assert p["line"] >= 1.2 * n["line"], sizes
