"""Surrogate gradients page: its numbers against the core computed independently here."""

import numpy as np
from apphelpers import assert_clean, charts, figure, metric, open_page, values
from browserhelpers import metric_value, nudge_slider, rerun_done
from playwright.sync_api import Page

import fpsnn_core as fp
from fpsnn_app.presets import DEFAULT_MOTIF, T_MAX, motif_network
from fpsnn_app.scenes.surrogate import DTS, SLOPES
from fpsnn_core.bptt import bptt_gradient, discrete_feeding_kernel, fp_credit
from fpsnn_core.discrete import simulate_discrete
from fpsnn_core.surrogate import surrogate

GRADIENTS, CREDIT = 1, 0  # chart order on the page


def _default():
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    return net, wiring.inputs, list(wiring.outputs)


def _by_weight(trace) -> dict:
    """``{"in0→n1": value}`` of a gradient-figure trace."""
    return dict(zip(trace["text"], values(trace["y"])))


def _label(net, j, i):
    return (f"in{j}" if j < net.n_inputs else f"n{j - net.n_inputs}") + f"→n{i}"


def test_default_page_matches_fp_and_bptt():
    at = open_page("surrogate")
    assert_clean(at)
    assert len(charts(at)) == 4
    net, inputs, outputs = _default()
    sim = fp.simulate(net, inputs, T_MAX)
    loss = fp.first_spike_cross_entropy(sim, outputs, 0)
    assert np.isclose(float(metric(at, "Loss, exact")), loss.value, atol=1e-5)
    d = simulate_discrete(net, inputs, T_MAX, 0.01)
    assert np.isclose(
        float(metric(at, "Loss, discrete")),
        fp.first_spike_cross_entropy(d, outputs, 0).value,
        atol=1e-5,
    )
    assert float(metric(at, "FP vs finite differences")) < 1e-5
    exact = fp.fp_gradient(net, sim, loss.dloss_dtimes)
    traces = {t["name"]: t for t in figure(at, GRADIENTS)["data"]}
    shown = _by_weight(traces["exact (FP)"])
    for j, i in np.argwhere(net.mask):
        assert np.isclose(shown[_label(net, j, i)], exact[j, i], rtol=1e-9, atol=1e-12)

    # without rescaling, the sigmoid markers are the BPTT gradient of the core
    at.toggle(key="surrogate.rescale").set_value(False).run()
    assert_clean(at)
    traces = {t["name"]: t for t in figure(at, GRADIENTS)["data"]}
    g = bptt_gradient(
        net, d, fp.first_spike_cross_entropy(d, outputs, 0).dloss_dtimes, surrogate("sigmoid", 5.0)
    )
    shown = _by_weight(traces["sigmoid β=5"])
    for j, i in np.argwhere(net.mask):
        assert np.isclose(shown[_label(net, j, i)], g[j, i], rtol=1e-9, atol=1e-12)


def _similarity_table(at):
    return [d.value for d in at.dataframe if "surrogate" in d.value.columns][0]


def test_per_time_scaling_divides_hidden_norms_by_tau_over_dt():
    """One hidden layer: every hidden gradient passes exactly one sigma', so scaling it by
    dt / tau_n scales the hidden relative norm by exactly that factor."""
    at = open_page("surrogate")
    at.selectbox(key="motif").set_value("feedforward").run()
    before = _similarity_table(at)
    at.toggle(key="surrogate.per_time").set_value(True).run()
    assert_clean(at)
    after = _similarity_table(at)
    ratio = after["rel. norm (hidden)"].to_numpy(float) / before["rel. norm (hidden)"].to_numpy(
        float
    )
    assert np.allclose(ratio, 0.01 / 1.0, rtol=1e-9)
    assert np.allclose(after["cosine (hidden)"], before["cosine (hidden)"], atol=1e-12)


def test_smaller_step_brings_spike_times_closer():
    at = open_page("surrogate")
    coarse = float(metric(at, "Largest spike-time error"))
    at.select_slider(key="surrogate.dt").set_value(0.001).run()
    assert_clean(at)
    fine = float(metric(at, "Largest spike-time error"))
    assert fine < coarse / 5


def test_credit_staircase_sums_fp_weights_of_the_chosen_synapse():
    at = open_page("surrogate")
    options = at.selectbox(key="surrogate.synapse").options
    choice = options[3]
    at.selectbox(key="surrogate.synapse").set_value(choice).run()
    assert_clean(at)
    net, inputs, _ = _default()
    j, i = [(j, i) for j, i in np.argwhere(net.mask) if _label(net, j, i) == choice][0]
    times, weights = fp_credit(net, fp.simulate(net, inputs, T_MAX), j, i)
    stairs = [t for t in figure(at, CREDIT)["data"] if t.get("name", "").startswith("FP")][0]
    y = values(stairs["y"])
    assert np.isclose(y[-1], weights.sum(), rtol=1e-12)
    assert np.allclose(np.unique(values(stairs["x"]))[1:-1], times)


def test_bad_targets_and_no_surrogate_are_messages():
    at = open_page("surrogate")
    at.radio(key="surrogate.loss").set_value("mse").run()
    assert_clean(at)
    at.text_input(key="surrogate.targets").input("1, x").run()
    assert not at.exception
    assert any("Target times" in e.value for e in at.error)
    at.text_input(key="surrogate.targets").input("1.5, 2").run()
    assert_clean(at)
    at.multiselect(key="surrogate.names").set_value([]).run()
    assert not at.exception
    assert any("at least one surrogate" in i.value for i in at.info)


def _frames(fig: dict) -> dict:
    """``{frame name: {trace index: trace update}}``."""
    return {f["name"]: dict(zip(f["traces"], f["data"])) for f in fig["frames"]}


def test_every_dt_step_of_the_gradients_slider_is_bptt_at_that_step():
    """The browser-side dt slider: each frame holds the core's BPTT gradient at its step."""
    at = open_page("surrogate")
    at.toggle(key="surrogate.rescale").set_value(False).run()
    assert_clean(at)
    net, inputs, outputs = _default()
    fig = figure(at, GRADIENTS)
    frames = _frames(fig)
    steps = fig["layout"]["sliders"][0]["steps"]
    assert [s["label"] for s in steps] == [f"{dt:g}" for dt in DTS]
    assert steps[fig["layout"]["sliders"][0]["active"]]["label"] == "0.01"  # the page's dt
    sigmoid = [k for k, t in enumerate(fig["data"]) if t["name"] == "sigmoid β=5"][0]
    labels = fig["data"][sigmoid]["text"]
    for dt in (0.1, 0.01, 0.002):
        d = simulate_discrete(net, inputs, T_MAX, dt)
        g = bptt_gradient(
            net,
            d,
            fp.first_spike_cross_entropy(d, outputs, 0).dloss_dtimes,
            surrogate("sigmoid", 5.0),
        )
        shown = dict(zip(labels, values(frames[f"{dt:g}"][sigmoid]["y"])))
        for j, i in np.argwhere(net.mask):
            assert shown[_label(net, j, i)] == g[j, i]  # the same numbers, exactly
    # the page's step: its frame is what the chart draws first
    assert np.array_equal(values(frames["0.01"][sigmoid]["y"]), values(fig["data"][sigmoid]["y"]))


def test_every_slope_step_of_the_credit_slider_is_the_surrogate_at_that_slope():
    at = open_page("surrogate")
    assert_clean(at)
    net, inputs, _ = _default()
    fig = figure(at, CREDIT)
    frames = _frames(fig)
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]] == [f"{b:g}" for b in SLOPES]
    j, i = [
        (j, i)
        for j, i in np.argwhere(net.mask)
        if _label(net, j, i) == at.selectbox(key="surrogate.synapse").value
    ][0]
    d = simulate_discrete(net, inputs, T_MAX, 0.01)
    y = discrete_feeding_kernel(net, d, j, i)
    density = [k for k, t in enumerate(fig["data"]) if t["name"] == "sigmoid β=5"][0]
    for b in (0.3, 5.0, 30.0):
        want = surrogate("sigmoid", b).grad(d.V[:, i] - net.theta[i]) * y
        step = frames[f"{b:g}"]
        assert np.array_equal(values(step[density]["y"]), want)
        assert np.isclose(values(step[density + 1]["y"])[-1], want.sum() * 0.01, rtol=1e-12)
        assert step[density]["name"] == f"sigmoid β={b:g}"


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py): a finer step."""
    before = metric_value(page, "Loss, discrete")
    nudge_slider(page, "Time step dt", 2)
    rerun_done(page)
    assert metric_value(page, "Loss, discrete") != before
    assert "surrogate.dt=" in page.url
