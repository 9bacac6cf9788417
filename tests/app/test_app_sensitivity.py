"""Sensitivity: the ranked bars are the core's exact derivatives of the chosen spike (or of
the loss) with respect to every parameter, named as the page names them; the choice is in
the link."""

import numpy as np
from apphelpers import assert_clean, figure, link, metric, open_page, reopen, values
from browserhelpers import metric_value, rerun_done
from playwright.sync_api import Page

import fpsnn_core as fp
from fpsnn_app.presets import DEFAULT_MOTIF, T_MAX, motif_network

KINDS = ("W", "inputs", "theta", "tau_s", "tau_n")


def _default():
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    return net, wiring, fp.simulate(net, wiring.inputs, T_MAX)


def _names(net, sim, wrt):
    """The parameter names, written here: ``in0→n2``, ``t_in[j][m]``, ``θ[n3]``, ..."""
    K = net.n_inputs
    if wrt == "W":
        return [f"{f'in{j}' if j < K else f'n{j - K}'}→n{i}" for j, i in np.argwhere(net.mask)]
    if wrt == "inputs":
        return [f"t_in[{j}][{m}]" for j, tr in enumerate(sim.inputs) for m in range(len(tr))]
    symbol = {"theta": "θ", "tau_s": "τ_s", "tau_n": "τ_n"}[wrt]
    return [f"{symbol}[n{i}]" for i in range(net.n_neurons)]


def _all(net, sim, grad):
    """Names and values of every parameter, ``grad(wrt)`` giving the core's array."""
    names, vals = [], []
    for wrt in KINDS:
        g = grad(wrt)
        if wrt == "W":
            g = g[net.mask]  # argwhere(mask) order, row-major
        names += _names(net, sim, wrt)
        vals.append(np.ravel(g))
    return names, np.concatenate(vals)


def _bars(at):
    bar = figure(at, 0)["data"][0]
    return list(values(bar["y"]))[::-1], values(bar["x"])[::-1]  # largest first


def test_loss_sensitivity_is_the_cores_gradient_ranked():
    at = open_page("sensitivity")
    assert_clean(at)
    net, wiring, sim = _default()
    c = fp.first_spike_cross_entropy(sim, list(wiring.outputs), 0, silent_time=T_MAX).dloss_dtimes
    names, vals = _all(net, sim, lambda wrt: fp.adjoint_gradient(net, sim, c, wrt=wrt))
    shown_names, shown = _bars(at)
    assert len(shown) == 15 and int(metric(at, "Parameters")) == len(names)
    top = np.argsort(-np.abs(vals), kind="stable")[:15]
    assert shown_names == [names[k] for k in top]
    assert np.allclose(shown, vals[top], rtol=1e-12, atol=1e-15)
    assert int(metric(at, "Non-zero derivatives")) == np.count_nonzero(vals)


def test_spike_sensitivity_matches_the_core_and_central_differences():
    net, wiring, sim = _default()
    k = sim.n_spikes - 1
    i = sim.spike_neurons[k]
    label = f"n{i}.{int((sim.spike_neurons[: k + 1] == i).sum())}"  # neuron i's m-th spike
    at = open_page("sensitivity")
    at.selectbox(key="sensitivity.target").set_value(label).run()
    assert_clean(at)
    assert link(at)["sensitivity.target"] == f"spike {label}"
    names, vals = _all(net, sim, lambda wrt: fp.spike_time_jacobian(net, sim, [k], wrt=wrt)[0])
    shown_names, shown = _bars(at)
    top = np.argsort(-np.abs(vals), kind="stable")[:15]
    assert shown_names == [names[n] for n in top]
    assert np.allclose(shown, vals[top], rtol=1e-12, atol=1e-15)
    # the top bar against a central difference of the simulation
    name, h = shown_names[0], 1e-6
    wrt, i = (
        {"θ": "theta", "τ_s": "tau_s", "τ_n": "tau_n"}[name[: name.index("[")]],
        int(name.split("[n")[1][:-1]),
    )
    runs = []
    for d in (h, -h):
        consts = {key: np.array(getattr(net, key)) for key in ("tau_s", "tau_n", "theta")}
        consts[wrt][i] += d
        moved = fp.Network(net.weights, net.n_inputs, mask=net.mask, **consts)
        runs.append(fp.simulate(moved, wiring.inputs, T_MAX).spike_times[k])
    assert np.isclose(shown[0], (runs[0] - runs[1]) / (2 * h), rtol=1e-5)


def test_kinds_filter_and_link_reproduce_the_view():
    at = open_page("sensitivity")
    at.multiselect(key="sensitivity.kinds").set_value(["theta", "inputs"]).run()
    assert_clean(at)
    net, _, sim = _default()
    shown_names, _ = _bars(at)
    allowed = set(_names(net, sim, "theta")) | set(_names(net, sim, "inputs"))
    assert set(shown_names) <= allowed and len(shown_names) == len(allowed)
    again = reopen(at)
    assert_clean(again)
    assert figure(again, 0) == figure(at, 0)
    at.multiselect(key="sensitivity.kinds").set_value([]).run()
    assert not at.exception and any("at least one" in i.value for i in at.info)


def test_a_spike_the_network_does_not_have_is_reset_with_a_note():
    at = open_page("sensitivity", {"sensitivity.target": "spike n9.9"})
    assert_clean(at)
    assert at.selectbox(key="sensitivity.target").value == "loss"
    assert any("spike n9.9 is not available" in c.value for c in at.caption)


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    before = metric_value(page, "Largest derivative")
    page.get_by_test_id("stSelectbox").filter(has_text="Derivative of").click()
    page.get_by_role("option", name="spike n3.3").click()
    rerun_done(page)
    assert metric_value(page, "Largest derivative") != before
    assert "sensitivity.target=" in page.url
