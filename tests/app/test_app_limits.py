"""Big networks never freeze a page: the app's budgets and figure caps, checked
structurally (sizes, counts, errors), never by timing; ``bench/bench_limits.py`` times them."""

from types import SimpleNamespace

import numpy as np
import pytest
from apphelpers import open_page

import fpsnn_core as fp
import fpsnn_core.finite_diff as fdmod
from fpsnn_app import limits, presets
from fpsnn_app.scenes import gradient_check, network, surrogate

FIGURE_CAP = 1_500_000  # bytes of Plotly JSON per figure
EDITS = "0_0_100~0_1_100~0_2_100~1_0_100~1_1_100~1_2_100"


def _json(net, inputs):
    return fp.to_json(net, inputs, presets.T_MAX, meta={"outputs": list(range(net.n_neurons))})


def _unconnected():
    """2 inputs driving 100 neurons not connected to each other (10,100 weights in the mask)."""
    K, N = 2, 100
    W = np.zeros((K + N, N))
    W[:K] = np.linspace(2.5, 4.0, N)
    return _json(fp.Network(W, K, presets.TAU_S, presets.TAU_N, presets.THETA), [[0.2, 1.0], [0.5]])


def _edits_case():
    net, wiring = presets.motif_network(presets.DEFAULT_MOTIF, 0)
    W, M = np.array(net.weights), np.array(net.mask)
    for j, i in ((0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)):
        W[j, i] = 100.0
    net = fp.Network(W, net.n_inputs, net.tau_s, net.tau_n, net.theta, M, net.layers)
    return fp.to_json(net, wiring.inputs, presets.T_MAX), net


def _fig_bytes(chart):
    return len(chart.fig.to_json())


class _Work:
    """Counts the spike deliveries of every exact simulation while active."""

    def __init__(self, monkeypatch):
        self.total, self.calls = 0, 0
        real = fp.simulate

        def counted(*a, **k):
            sim = real(*a, **k)
            self.total += sim.work
            self.calls += 1
            return sim

        monkeypatch.setattr(fp, "simulate", counted)
        monkeypatch.setattr(fdmod, "simulate", counted)


def test_causal_graph_draws_at_most_the_edge_cap():
    text, net = _edits_case()
    scene = network.network_scene(text, -1)
    assert scene.n_edges > 10 * limits.MAX_EDGES_DRAWN  # the case of the issue
    hover = [
        t
        for t in scene.chart.fig.data
        if t.mode == "markers" and t.hovertemplate and "direct influence" in t.hovertemplate
    ][0]
    assert len(hover.x) == limits.MAX_EDGES_DRAWN
    assert _fig_bytes(scene.chart) < FIGURE_CAP
    assert any("strongest" in n.text for n in scene.notices)
    # the edges CSV (built only when downloaded) still lists every edge
    rows = scene.edges_csv().splitlines()
    assert rows[0] == "src,dst,dphi_dst_dfsrc,influence" and len(rows) == scene.n_edges + 1
    # the selected spike's causal past is drawn first
    last = scene.n_spikes - 1
    sel = network.network_scene(text, last)
    net, sim = network.simulate_file(text)
    assert sel.ancestors == tuple(fp.causal_graph(net, sim).ancestors(last).tolist())


def test_gradient_check_bounds_finite_differences_slice_and_figure(monkeypatch):
    text = _unconnected()
    work = _Work(monkeypatch)
    scene = gradient_check.gradient_scene(
        text, tuple(range(100)), "cross_entropy", 0, (), 1e-6, 0, 1.0
    )
    assert scene.n_params == 10_100
    checked = [r for r in scene.table if r["FD status"] != "not checked (limit)"]
    assert 1 <= len(checked) <= limits.MAX_FD_WEIGHTS
    points = [t for t in scene.agreement.fig.data if t.name == "adjoint"][0]
    assert len(points.x) <= limits.MAX_WEIGHTS_DRAWN
    assert _fig_bytes(scene.agreement) < FIGURE_CAP
    # base + finite differences + slice: bounded by the budgets, whatever the network
    assert work.total <= 3 * limits.MAX_WORK + 2 * limits.REPEAT_WORK + 2 * limits.MAX_WORK
    assert any("largest FP gradients" in n.text for n in scene.notices)


def test_surrogate_gradients_bound_finite_differences_and_points(monkeypatch):
    text = _unconnected()
    work = _Work(monkeypatch)
    scene = surrogate.gradients_scene(
        text,
        tuple(range(100)),
        "cross_entropy",
        0,
        (),
        0.01,
        ("fast_sigmoid", "sigmoid", "arctan"),
        5.0,
        False,
        False,
        True,
    )
    for trace in scene.chart.fig.data:
        if trace.x is not None and len(trace.x) > 2:
            assert len(trace.x) <= limits.MAX_WEIGHTS_DRAWN
    assert _fig_bytes(scene.chart) < FIGURE_CAP
    assert work.total <= 2 * limits.MAX_WORK + limits.REPEAT_WORK
    assert any("plot shows" in n.text for n in scene.notices)


def test_dense_networks_stop_at_the_work_budget():
    K, N = 2, limits.MAX_NEURONS
    rng = np.random.default_rng(0)
    W = np.vstack([rng.uniform(2.0, 4.0, (K, N)), rng.uniform(0.2, 0.6, (N, N))])
    W[K + np.arange(N), np.arange(N)] = 0.0
    text = fp.to_json(fp.Network(W, K, 0.5, 1.0, 1.0), [[0.2], [0.5]], 4.0)
    with pytest.raises(
        fp.RunawayFiringError, match=f"work budget max_work={limits.MAX_WORK}"
    ) as exc:
        network.simulate_file(text)
    from fpsnn_app.ui import runaway_text

    text = runaway_text(exc.value)
    assert f"work limit of {limits.MAX_WORK} spike deliveries" in text
    assert "max_work" not in text


def test_uploads_larger_than_the_app_accepts_are_refused():
    N = limits.MAX_NEURONS + 1
    big = fp.to_json(fp.Network(np.zeros((1 + N, N)), 1), [[0.1]], 2.0).encode()
    at = open_page("network")
    at.file_uploader(key="net.upload").set_value(("big.json", big, "application/json"))
    at.run()
    assert not at.exception
    assert any(f"the app accepts at most {limits.MAX_NEURONS}" in e.value for e in at.error)
    assert at.selectbox(key="motif").value != "uploaded"


def test_strongest_keeps_the_required_entries_first():
    score = np.array([5.0, -9.0, 1.0, np.nan, 7.0])
    assert limits.strongest(score, 10).tolist() == [0, 1, 2, 3, 4]
    assert limits.strongest(score, 2).tolist() == [1, 4]
    assert limits.strongest(score, 2, keep=[2]).tolist() == [1, 2]
    silent = fp.simulate(fp.Network([[0.0], [0.0]], 1), [[0.1]], 1.0)
    assert silent.work == 0 and limits.cost(silent) == 0  # a zero weight delivers nothing
    assert limits.repeats(silent, 1, 60) == 60
    costly = SimpleNamespace(work=limits.MAX_WORK, n_spikes=limits.MAX_SPIKES)
    assert limits.repeats(costly, 5, 161) == 5
    assert limits.repeats(costly, 1, 60, per_item=20) == 1


def test_loss_slice_with_many_jumps_stays_a_few_traces():
    """Recurrent pair, slice +-4 along n0->n1: dozens of pieces, drawn as one loss trace
    with gaps and one jump line each (one trace per piece and one add_vline per jump took
    seconds: Plotly re-validates every shape on each call)."""
    net, wiring = presets.motif_network("recurrent_pair", 0)
    text = fp.to_json(net, wiring.inputs, presets.T_MAX)
    scene = gradient_check.gradient_scene(text, (0, 1), "cross_entropy", 0, (), 1e-6, 1, 4.0)
    n_pieces = int(scene.slice.summary.split(" piece(s)")[0].split()[-1])
    assert n_pieces > 20
    fig = scene.slice.fig
    assert len(fig.data) <= 5 and len(fig.layout.shapes) == n_pieces - 1
    loss = [t for t in fig.data if t.legendgroup == "loss"][0]
    assert int(np.isnan(np.asarray(loss.x, dtype=float)).sum()) == n_pieces - 1
