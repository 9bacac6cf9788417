"""EventProp page: its gradients, jumps and traces against the core's FP and adjoint solve."""

import numpy as np
import plotly.graph_objects as go
from apphelpers import assert_clean, charts, figure, metric, open_page, values
from browserhelpers import metric_value, rerun_done
from clientside import chart_signature, click_slider_step, wait_chart_change
from playwright.sync_api import Page, expect

import fpsnn_core as fp
from fpsnn_app.presets import DEFAULT_MOTIF, T_MAX, motif_network
from fpsnn_app.scenes.eventprop import eventprop_scene, replay_charts, replay_scene
from fpsnn_core.gradients import adjoint_solve


def _default():
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    sim = fp.simulate(net, wiring.inputs, T_MAX)
    c = fp.first_spike_cross_entropy(sim, list(wiring.outputs), 0, silent_time=T_MAX).dloss_dtimes
    return net, sim, c


def test_gradient_table_equals_fp_and_adjoint():
    at = open_page("eventprop")
    assert_clean(at)
    net, sim, c = _default()
    assert int(metric(at, "Spikes")) == sim.n_spikes
    assert float(metric(at, "max |EventProp − FP|")) < 1e-8
    table = at.dataframe[0].value
    g_fp = np.tensordot(c, fp.spike_time_jacobian(net, sim), axes=1)
    params = np.argwhere(net.mask)
    assert len(table) == len(params)
    K = net.n_inputs
    by_name = {(f"in{j}" if j < K else f"n{j - K}") + f"→n{i}": g_fp[j, i] for j, i in params}
    want = np.array([by_name[w] for w in table["weight"]])
    scale = np.abs(want).max()
    assert scale > 0
    np.testing.assert_allclose(table["EventProp"], want, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(table["adjoint solve"], want, rtol=0, atol=1e-10 * scale)


def test_replay_reveals_fp_rows_forward_and_jumps_backward():
    net, sim, c = _default()
    S, k = sim.n_spikes, 4
    at = open_page("eventprop", {"eventprop.replay": str(k)})
    assert_clean(at)
    traces_fig, sweep_fig = figure(at, 0), figure(at, 1)
    go.Figure(traces_fig), go.Figure(sweep_fig)  # valid Plotly figures
    for fig in (traces_fig, sweep_fig):
        slider = fig["layout"]["sliders"][0]
        assert slider["active"] == k and [s["label"] for s in slider["steps"]] == [
            str(s) for s in range(S + 1)
        ]
    relayout = traces_fig["layout"]["sliders"][0]["steps"][k]["args"][1]
    assert any(f"Step {k} of {S}" in str(v) for v in relayout.values())
    # the sweep: dF/dW whole on yaxis4 showing rows 0..k-1, eps on yaxis5 rows S-k..S-1
    sweep = sweep_fig["data"]
    view = sweep_fig["layout"]["sliders"][0]["steps"][k]["args"][1]
    assert sweep[1]["yaxis"] == "y4" and view["yaxis4.range"] == [k - 0.5, -0.5]
    assert sweep[2]["yaxis"] == "y5" and view["yaxis5.range"] == [S - 0.5, S - k - 0.5]
    dF = values(sweep[1]["z"])
    J = fp.spike_time_jacobian(net, sim)
    params = np.argwhere(net.mask)
    np.testing.assert_allclose(dF, J[:, params[:, 0], params[:, 1]], rtol=0, atol=1e-12)
    eps = values(sweep[2]["x"])
    lam = adjoint_solve(fp.implicit_system(net, sim), c)  # L^T lam = c, by the core
    np.testing.assert_allclose(eps, lam, rtol=0, atol=1e-10 * np.abs(lam).max())
    # the adjoint traces are clipped to t >= EventProp's cursor: their x axis at step k
    back = sim.spike_times[S - k]
    lam_V = next(tr for tr in traces_fig["data"] if tr.get("name") == "λ_V n0")
    axis = "xaxis" + lam_V["xaxis"][1:]
    step_view = traces_fig["layout"]["sliders"][0]["steps"][k]["args"][1]
    assert step_view[f"{axis}.range"] == [back, sim.t_max]
    assert traces_fig["layout"][axis]["range"] == [back, sim.t_max]  # the first view
    # jump marks of step k: exactly the processed spikes of each drawn neuron
    restyle = traces_fig["layout"]["sliders"][0]["steps"][k]["args"][0]
    marked = sorted(int(cd[0]) for cds in restyle["customdata"] if cds for cd in cds)
    assert marked == list(range(S - k, S))


def test_adjoint_trace_is_the_kernel_sum_of_the_jumps():
    at = open_page("eventprop")
    net, sim, c = _default()
    lam = adjoint_solve(fp.implicit_system(net, sim), c)
    traces = figure(at, 0)["data"]
    for i in range(net.n_neurons):
        tr = next(tr for tr in traces if tr.get("name") == f"λ_V n{i}")
        t, y = values(tr["x"]), values(tr["y"])
        own = sim.spike_neurons == i
        D = sim.spike_times[own][None, :] - t[:, None]
        want = -(np.where(D >= 0, np.exp(-net.b[i] * np.maximum(D, 0)), 0.0) @ lam[own])
        np.testing.assert_allclose(y, want, rtol=0, atol=1e-10 * np.abs(lam).max())


def test_replay_figures_are_cached_by_step_and_neurons():
    """The page caches the replay figures (:func:`replay_scene`): equal keys give equal
    figures, and a new neuron selection or step is part of the key."""
    net, wiring = motif_network(DEFAULT_MOTIF, 0)
    text = fp.to_json(net, wiring.inputs, T_MAX, meta={"outputs": list(wiring.outputs)})
    args = (text, tuple(wiring.outputs), "cross_entropy", 0)
    scene = eventprop_scene(*args)
    for step, neurons in ((3, (0, 2)), (scene.n_spikes, (4,))):
        got = replay_scene(*args, step, neurons)
        want = replay_charts(scene, step, neurons)
        for g, w in zip(got, want):
            assert g.fig.to_json() == w.fig.to_json()
            assert (g.alt, g.summary) == (w.alt, w.summary)
    at = open_page("eventprop")
    first = figure(at, 0)
    assert at.run() and figure(at, 0) == first  # a plain rerun: same figure
    at.multiselect(key="eventprop.neurons").set_value([3]).run()
    assert_clean(at)
    names = {tr.get("name") for tr in figure(at, 0)["data"]}
    assert {"λ_V n3", "λ_I n3"} <= names and "λ_V n0" not in names


def test_sum_of_spike_times_loss():
    at = open_page("eventprop")
    at.selectbox(key="eventprop.loss").set_value("sum_times").run()
    assert_clean(at)
    net, sim, _ = _default()
    assert float(metric(at, "Loss")) == float(f"{sim.spike_times.sum():.4f}")
    sweep = figure(at, 1)["data"]
    assert np.all(values(sweep[0]["x"]) == 1.0)  # c_k = 1 for every spike
    assert len(charts(at)) >= 2


def test_silent_network_gets_a_message():
    at = open_page("eventprop", {"motif": "Mutual inhibition", "edits": "0_0_0~1_1_0"})
    assert not at.exception and not at.error
    assert any("No neuron fires" in w.value for w in at.warning)


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py): the replay slider
    inside the chart moves it (test_app_client_side.py proves it sends nothing), then the
    loss, a Streamlit widget, reruns the page and changes the link."""
    chart = page.locator('[data-testid=stPlotlyChart][aria-label^="Stacked plots over time"]')
    spikes = int(metric_value(page, "Spikes"))
    before = chart_signature(chart)
    click_slider_step(chart, spikes - 3)
    wait_chart_change(chart, before)
    expect(chart.get_by_text(f"Step {spikes - 3} of {spikes}")).to_be_visible()
    before = metric_value(page, "Loss")
    page.get_by_test_id("stSelectbox").filter(has_text="Loss").click()
    page.get_by_role("option", name="Sum of all spike times").click()
    rerun_done(page)
    assert metric_value(page, "Loss") != before
    assert "eventprop.loss=" in page.url
