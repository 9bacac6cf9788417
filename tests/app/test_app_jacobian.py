"""Jacobian: L is lower triangular in time order, not by neuron; FP replay follows the slider."""

import numpy as np
import plotly.graph_objects as go
from apphelpers import assert_clean, figure, metric, open_page, values
from clientside import chart_signature, click_slider_step, slider_active, wait_chart_change
from playwright.sync_api import Page, expect

import fpsnn_core as fp
from fpsnn_app.presets import DEFAULT_MOTIF, T_MAX, motif_network


def _default():
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    return net, fp.simulate(net, wiring.inputs, T_MAX)


def test_matrices_are_what_the_core_assembles():
    at = open_page("jacobian")
    assert_clean(at)
    net, sim = _default()
    system = fp.implicit_system(net, sim)
    dense = system.L.toarray()
    # count the structure independently of the page: entries right of the diagonal
    by_neuron = dense[np.ix_(system.neuron_major, system.neuron_major)]
    assert int(metric(at, "Above diagonal, by time")) == 0
    above = np.count_nonzero(np.triu(by_neuron, 1))
    assert int(metric(at, "Above diagonal, by neuron")) == above > 0
    heat = figure(at, 0)["data"]
    L_page = values(heat[1]["z"])
    assert np.all(np.isnan(L_page[np.triu_indices(sim.n_spikes, 1)])), "upper triangle is blank"
    assert np.allclose(np.diag(L_page), sim.slopes), "L_kk is the slope V'(f-)"


def _step_view(fig: dict, k: int) -> dict:
    """The layout the chart's FP-step slider applies at step ``k``."""
    step = fig["layout"]["sliders"][0]["steps"][k]
    assert step["label"] == str(k) and step["method"] == "relayout"
    return step["args"][0]


def test_fp_step_slider_fills_rows_up_to_k():
    k = 5
    at = open_page("jacobian", {"jacobian.step": str(k)})
    assert_clean(at)
    net, sim = _default()
    fig = figure(at, 1)
    go.Figure(fig)  # a valid Plotly figure
    assert fig["layout"]["sliders"][0]["active"] == k  # opens on the link's step
    R = sim.n_spikes
    assert len(fig["layout"]["sliders"][0]["steps"]) == R
    view = _step_view(fig, k)
    assert f"df<sub>{k}</sub>/dW" in view["annotations[2].text"]
    assert f"{sim.slopes[k]:.4g}" in view["annotations[2].text"]
    # dF/dW is drawn whole on yaxis4, whose domain and range show rows 0..k only
    right = next(tr for tr in fig["data"] if tr.get("name") == "dF/dW")
    assert right["yaxis"] == "y4"
    assert view["yaxis4.range"] == [k + 0.5, -0.5]
    np.testing.assert_allclose(view["yaxis4.domain"], [1 - (k + 1) / R, 1])
    assert view["yaxis3.range"] == [k + 0.5, k - 0.5]
    dF = values(right["z"])
    J = fp.spike_time_jacobian(net, sim)
    params = np.argwhere(net.mask)
    assert np.allclose(dF, J[:, params[:, 0], params[:, 1]], atol=1e-12)
    # the rows step k reads are outlined: the non-zeros of row k of L before k
    L = fp.implicit_system(net, sim).L.toarray()
    outlined = sorted(
        int(sh["y0"] + 0.5) for sh in view["shapes"] if sh["line"].get("dash") == "dot"
    )
    assert outlined == [l for l in range(k) if L[k, l] != 0]


def test_bad_step_in_the_link_is_announced():
    at = open_page("jacobian", {"jacobian.step": "999"})
    assert_clean(at)
    assert any("FP step: 999 is not available" in c.value for c in at.caption)
    fig = figure(at, 1)
    assert fig["layout"]["sliders"][0]["active"] == len(fig["layout"]["sliders"][0]["steps"]) - 1


def test_silent_network_gets_a_message():
    at = open_page("jacobian", {"motif": "Mutual inhibition", "edits": "0_0_0~1_1_0"})
    assert not at.exception and not at.error
    assert any("no neuron fires" in w.value for w in at.warning)


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py): the FP-step slider
    inside the chart moves the view (test_app_client_side.py proves it sends nothing)."""
    chart = page.locator('[data-testid=stPlotlyChart][aria-label^="Forward substitution"]')
    k = slider_active(chart)
    before = chart_signature(chart)
    click_slider_step(chart, k - 3)
    wait_chart_change(chart, before)
    assert slider_active(chart) == k - 3
    expect(chart.locator(".slider-container text").first).to_have_text(f"FP step k = {k - 3}")
