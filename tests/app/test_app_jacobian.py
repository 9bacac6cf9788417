"""Jacobian: L is lower triangular in time order, not by neuron; FP replay follows the slider."""

import re

import numpy as np

import fpsnn_core as fp
from apphelpers import assert_clean, figure, metric, open_page, values
from fpsnn_app.presets import DEFAULT_MOTIF, T_MAX, motif_network
from browserhelpers import nudge_slider, rerun_done
from playwright.sync_api import Page, expect


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


def test_fp_step_slider_fills_rows_up_to_k():
    at = open_page("jacobian")
    net, sim = _default()
    k = 5
    at.slider(key="jacobian.step").set_value(k).run()
    assert_clean(at)
    assert f"df_{{{k}}}" in at.latex[0].value
    right = next(tr for tr in figure(at, 1)["data"] if tr.get("name") == "dF/dW")
    dF = values(right["z"])
    assert np.all(np.isnan(dF[k + 1:])) and np.all(np.isfinite(dF[: k + 1]))
    J = fp.spike_time_jacobian(net, sim)
    params = np.argwhere(net.mask)
    assert np.allclose(dF[: k + 1], J[: k + 1, params[:, 0], params[:, 1]], atol=1e-12)


def test_silent_network_gets_a_message():
    at = open_page("jacobian", {"motif": "Mutual inhibition", "edits": "0_0_0~1_1_0"})
    assert not at.exception and not at.error
    assert any("no neuron fires" in w.value for w in at.warning)


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    heading = page.get_by_role("heading", name=re.compile(r"Forward propagation, step \d+"))
    k = int(re.search(r"step (\d+)", heading.inner_text()).group(1))
    nudge_slider(page, "FP step k (spike in time order)", -3)
    rerun_done(page)
    expect(page.get_by_role("heading", name=f"Forward propagation, step {k - 3}")).to_be_visible()
    assert f"jacobian.step={k - 3}" in page.url
