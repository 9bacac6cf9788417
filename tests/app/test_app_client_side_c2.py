"""Controls that run in the browser only, on the Network and Surrogate gradients pages:
moving each one changes its chart and sends nothing to the server (no script run), and
what it lights up is what the core computes. Screenshots of both pages at 1280x720 in the
light and the dark theme."""

from __future__ import annotations

import numpy as np
import pytest
from browserhelpers import wait_ready
from clientside import (
    SentFrames,
    assert_client_side,
    click_slider_step,
    slider_active,
    slider_steps,
)

import fpsnn_core as fp
from fpsnn_app.figures.common import spike_short_labels
from fpsnn_app.presets import DEFAULT_MOTIF, T_MAX, motif_network
from fpsnn_app.scenes.surrogate import DTS, SLOPES
from fpsnn_core.bptt import bptt_gradient
from fpsnn_core.discrete import simulate_discrete
from fpsnn_core.surrogate import surrogate

PROJECTOR = {"width": 1280, "height": 720}


def _open(browser, browser_context_args, url: str, n_charts: int, scheme: str = "light"):
    context = browser.new_context(
        **{**browser_context_args, "viewport": PROJECTOR}, color_scheme=scheme
    )
    page = context.new_page()
    sent = SentFrames(page)  # before the page opens its websocket
    page.goto(url)
    wait_ready(page, n_charts)
    assert page.get_by_test_id("stException").count() == 0
    return context, page, sent


def _trace_x(chart, index: int) -> list:
    """``x`` of trace ``index`` (negative: from the end) as Plotly holds it now."""
    return chart.evaluate(
        "(el, i) => { const d = el.querySelector('.js-plotly-plot').data;"
        " return Array.from(d[(i + d.length) % d.length].x); }",
        index,
    )


def test_network_slider_lights_up_a_causal_past_in_the_browser(
    browser, browser_context_args, server_url
):
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    sim = fp.simulate(net, wiring.inputs, T_MAX)
    labels = spike_short_labels(sim)
    start = labels.index("n1.1")
    context, page, sent = _open(
        browser, browser_context_args, f"{server_url}/network?network.spike=n1.1", 1
    )
    try:
        chart = page.get_by_test_id("stPlotlyChart").first
        chart.scroll_into_view_if_needed()
        assert slider_active(chart) == start + 1  # the link's spike (after "none")
        assert slider_steps(chart).count() == sim.n_spikes + 1
        lit_nodes = -4  # highlight traces: ..., nodes, ring, marks, ring
        assert (
            sorted(_trace_x(chart, lit_nodes))
            == sim.spike_times[fp.causal_past(net, sim, [start])].tolist()
        )
        for k in (sim.n_spikes - 1, 0):  # the last spike, then none
            step = k + 1 if k else 0
            assert_client_side(page, sent, chart, lambda: click_slider_step(chart, step))
            assert slider_active(chart) == step
            want = sim.spike_times[fp.causal_past(net, sim, [k])].tolist() if step else []
            assert sorted(_trace_x(chart, lit_nodes)) == want
            assert sorted(_trace_x(chart, -2)) == want  # the raster's lit marks
        assert "network.spike=n1.1" in page.url  # the link keeps its own selection
    finally:
        context.close()


def _trace_y(chart, name: str) -> list:
    """``y`` of the trace called ``name`` as Plotly holds it now."""
    return chart.evaluate(
        "(el, n) => Array.from(el.querySelector('.js-plotly-plot').data.find(t => t.name === n).y)",
        name,
    )


def test_surrogate_sliders_step_through_computed_results_in_the_browser(
    browser, browser_context_args, server_url
):
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    outputs = list(wiring.outputs)
    context, page, sent = _open(browser, browser_context_args, f"{server_url}/surrogate", 4)
    try:
        charts = page.get_by_test_id("stPlotlyChart")
        credit, gradients = charts.nth(0), charts.nth(1)
        # gradients chart: dt steps (largest first); the page's dt = 0.01 is step 3
        gradients.scroll_into_view_if_needed()
        assert slider_active(gradients) == 3 and slider_steps(gradients).count() == len(DTS)
        assert_client_side(page, sent, gradients, lambda: click_slider_step(gradients, 0))
        assert slider_active(gradients) == 0
        d = simulate_discrete(net, wiring.inputs, T_MAX, DTS[0])
        g = bptt_gradient(
            net,
            d,
            fp.first_spike_cross_entropy(d, outputs, 0).dloss_dtimes,
            surrogate("sigmoid", 5.0),
        )
        # each marker's hover value is the core's BPTT gradient at dt = 0.1, exactly
        shown = gradients.evaluate(
            "(el) => { const t = el.querySelector('.js-plotly-plot').data"
            ".find(t => t.name === 'sigmoid β=5');"
            " return [Array.from(t.text), Array.from(t.customdata, r => r[0])]; }"
        )
        by_label = dict(zip(*shown))
        for j, i in np.argwhere(net.mask):
            src = f"in{j}" if j < net.n_inputs else f"n{j - net.n_inputs}"
            assert by_label[f"{src}→n{i}"] == g[j, i]
        # credit chart: slope steps; the page's slope 5 is step 5
        credit.scroll_into_view_if_needed()
        assert slider_active(credit) == SLOPES.index(5.0)
        before = _trace_y(credit, "sigmoid β=5")
        assert_client_side(page, sent, credit, lambda: click_slider_step(credit, -1))
        assert slider_active(credit) == len(SLOPES) - 1
        assert _trace_y(credit, f"sigmoid β={SLOPES[-1]:g}") != before
        assert "surrogate.slope" not in page.url and "surrogate.dt" not in page.url
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "name, n_charts, query",
    [
        ("network", 1, "?network.spike=n3.2"),
        ("surrogate", 4, ""),
    ],
)
def test_screenshots_at_projector_size(
    browser, browser_context_args, server_url, screenshots, name, n_charts, query, scheme
):
    context, page, _ = _open(
        browser, browser_context_args, f"{server_url}/{name}{query}", n_charts, scheme
    )
    try:
        page.get_by_test_id("stPlotlyChart").first.scroll_into_view_if_needed()
        page.mouse.move(0, 0)  # no hover label in the picture
        page.wait_for_timeout(300)
        suffix = "" if scheme == "light" else "-dark"
        page.screenshot(path=str(screenshots / f"client-side-{name}{suffix}.png"))
    finally:
        context.close()
