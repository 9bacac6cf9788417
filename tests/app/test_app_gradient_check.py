"""Gradient check: FP = adjoint = finite differences where valid; refusals are explained."""

import numpy as np
import pytest
from apphelpers import assert_clean, figure, link, metric, open_page, reopen, values
from browserhelpers import metric_value, rerun_done
from playwright.sync_api import Page

import fpsnn_core as fp
from fpsnn_app.presets import DEFAULT_MOTIF, T_MAX, motif_network


def test_default_gradients_agree_with_the_core():
    at = open_page("gradient_check")
    assert_clean(at)
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    sim = fp.simulate(net, wiring.inputs, T_MAX)
    loss = fp.first_spike_cross_entropy(sim, list(wiring.outputs), 0, silent_time=T_MAX)
    assert np.isclose(float(metric(at, "Loss")), loss.value, atol=1e-5)
    assert float(metric(at, "Max rel. error FP vs adjoint")) < 1e-10
    assert float(metric(at, "Max rel. error FP vs FD")) < 1e-4
    table = at.dataframe[0].value
    g = fp.adjoint_gradient(net, sim, loss.dloss_dtimes)
    params = np.argwhere(net.mask)
    assert np.allclose(table["FP"].to_numpy(float), g[params[:, 0], params[:, 1]], atol=1e-12)


def test_loss_switch_and_large_step():
    at = open_page("gradient_check")
    before = metric(at, "Loss")
    at.radio(key="gradient_check.loss").set_value("mse").run()
    assert_clean(at)
    assert metric(at, "Loss") != before
    at.select_slider(key="gradient_check.eps").set_value(1e-2).run()
    assert_clean(at)
    refused = int(metric(at, "FD refused").split()[0])
    table = at.dataframe[0].value
    assert refused == int((table["FD status"] != "ok").sum())
    assert refused == 0 or any("refused" in i.value for i in at.info)


def test_loss_slice_has_tangent_at_current_weight():
    at = open_page("gradient_check")
    fig = figure(at, 1)
    tangent = [tr for tr in fig["data"] if tr.get("name", "").startswith("FP tangent")][0]
    point = [tr for tr in fig["data"] if tr.get("name") == "current weight"][0]
    x, y = values(tangent["x"]), values(tangent["y"])
    x0, y0 = values(point["x"])[0], values(point["y"])[0]
    assert np.isclose((x[0] + x[1]) / 2, x0) and np.isclose((y[0] + y[1]) / 2, y0)
    # the tangent's slope is FP's derivative: compare with a central difference of the slice
    curve = [tr for tr in fig["data"] if tr.get("legendgroup") == "loss"]
    xs = np.concatenate([values(c["x"]) for c in curve])
    ys = np.concatenate([values(c["y"]) for c in curve])
    xs, ys = xs[np.isfinite(xs)], ys[np.isfinite(xs)]  # NaN x: gaps between pieces
    order = np.argsort(xs)
    i = int(np.searchsorted(xs[order], x0))
    slope_fd = (ys[order][i + 1] - ys[order][i - 1]) / (xs[order][i + 1] - xs[order][i - 1])
    slope_fp = (y[1] - y[0]) / (x[1] - x[0])
    assert np.isclose(slope_fd, slope_fp, rtol=2e-2, atol=1e-4)


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    before = metric_value(page, "Loss")
    page.get_by_text("Spike-time squared error").click()
    rerun_done(page)
    assert metric_value(page, "Loss") != before
    assert "gradient_check.loss=" in page.url


def test_bad_targets_are_reported():
    at = open_page(
        "gradient_check",
        {"gradient_check.loss": "Spike-time squared error", "gradient_check.targets": "1.0, later"},
    )
    assert not at.exception
    assert "'later' is not a number" in at.error[0].value
    assert at.metric and len(at.error) == 1, "the field is flagged, the page stays"


# --- parameters beyond the weights ---------------------------------------------------------
KIND_LABELS = {
    "inputs": "input spike time",
    "theta": "threshold θ",
    "tau_s": "synaptic τ_s",
    "tau_n": "membrane τ_n",
}


def _default():
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    sim = fp.simulate(net, wiring.inputs, T_MAX)
    return net, wiring, sim


def _loss(net, inputs, outputs):
    sim = fp.simulate(net, inputs, T_MAX)
    return fp.first_spike_cross_entropy(sim, list(outputs), 0, silent_time=T_MAX).value


def _with(net, sim, wrt, index, x):
    """Network and inputs with one parameter set to ``x``, written here (no app code)."""
    inputs = [list(tr) for tr in sim.inputs]
    if wrt == "inputs":
        flat = [(j, m) for j, tr in enumerate(inputs) for m in range(len(tr))]
        j, m = flat[index]
        inputs[j][m] = x
        return net, [sorted(tr) for tr in inputs]
    consts = {k: np.array(getattr(net, k)) for k in ("tau_s", "tau_n", "theta")}
    consts[wrt][index] = x
    return fp.Network(net.weights, net.n_inputs, mask=net.mask, **consts), inputs


@pytest.mark.parametrize("wrt", list(KIND_LABELS))
def test_every_parameter_kind_agrees_with_the_core_and_central_differences(wrt):
    at = open_page("gradient_check", {"gradient_check.wrt": KIND_LABELS[wrt]})
    assert_clean(at)
    net, wiring, sim = _default()
    c = fp.first_spike_cross_entropy(sim, list(wiring.outputs), 0, silent_time=T_MAX).dloss_dtimes
    table = at.dataframe[0].value
    fp_core = fp.fp_gradient(net, sim, c, wrt=wrt)
    assert np.allclose(table["FP"].to_numpy(float), fp_core, rtol=1e-12, atol=1e-15)
    assert np.allclose(
        table["adjoint"].to_numpy(float),
        fp.adjoint_gradient(net, sim, c, wrt=wrt),
        rtol=1e-12,
        atol=1e-15,
    )
    assert float(metric(at, "Max rel. error FP vs adjoint")) < 1e-12
    # every checked parameter against a central difference computed here
    h = 1e-6
    fd = table["finite diff."].to_numpy(float)
    x0 = (
        np.concatenate([np.asarray(tr, float) for tr in sim.inputs])
        if wrt == "inputs"
        else getattr(net, wrt)
    )
    assert np.isfinite(fd).sum() >= 1
    for p in np.flatnonzero(np.isfinite(fd)):
        central = (
            _loss(*_with(net, sim, wrt, p, x0[p] + h), wiring.outputs)
            - _loss(*_with(net, sim, wrt, p, x0[p] - h), wiring.outputs)
        ) / (2 * h)
        assert np.isclose(fd[p], central, rtol=1e-6, atol=1e-9)
        assert np.isclose(fp_core[p], central, rtol=1e-4, atol=1e-8)
    # the slice along the chosen parameter: FP's tangent at its current value
    fig = figure(at, 1)
    tangent = next(tr for tr in fig["data"] if tr.get("name", "").startswith("FP tangent"))
    point = next(tr for tr in fig["data"] if tr.get("name", "").startswith("current "))
    x, y = values(tangent["x"]), values(tangent["y"])
    index = 0 if wrt == "inputs" else wiring.outputs[0]
    assert np.isclose(values(point["x"])[0], x0[index])
    assert np.isclose((y[1] - y[0]) / (x[1] - x[0]), fp_core[index], rtol=1e-9)


def test_parameter_choice_is_in_the_link_and_follows_the_network():
    at = open_page("gradient_check", {"gradient_check.wrt": "membrane τ_n"})
    at.selectbox(key="gradient_check.neuron").set_value(1).run()
    assert_clean(at)
    q = link(at)
    assert q["gradient_check.wrt"] == "membrane τ_n" and q["gradient_check.neuron"] == "n1"
    assert "τ_n[n1]" in figure(at, 1)["layout"]["xaxis2"]["title"]["text"]
    again = reopen(at)
    assert_clean(again)
    assert again.dataframe[0].value.equals(at.dataframe[0].value)
    assert figure(again, 1) == figure(at, 1)
    # an input spike that the network does not have: reset to the first, with a note
    at = open_page(
        "gradient_check",
        {"gradient_check.wrt": "input spike time", "gradient_check.input": "t_in[7][3]"},
    )
    assert_clean(at)
    assert at.selectbox(key="gradient_check.input").value == "t_in[0][0]"
    assert any("t_in[7][3] is not available" in c.value for c in at.caption)
