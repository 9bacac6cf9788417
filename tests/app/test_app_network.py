"""Network: motifs, weight edits in the URL, uploads, spike selection and the causal graph."""

import numpy as np
from apphelpers import assert_clean, figure, metric, open_page, values
from browserhelpers import rerun_done
from playwright.sync_api import Page

import fpsnn_core as fp
from fpsnn_app.presets import DEFAULT_MOTIF, T_MAX, motif_network


def _core(key, edits=()):
    net, wiring = motif_network(key, 0)
    W, M = np.array(net.weights), np.array(net.mask)
    for j, i, v in edits:
        W[j, i], M[j, i] = v, M[j, i] or v != 0
    net = fp.Network(W, net.n_inputs, net.tau_s, net.tau_n, net.theta, M, net.layers)
    return net, fp.simulate(net, wiring.inputs, T_MAX)


def test_default_network_matches_the_core():
    at = open_page("network")
    assert_clean(at)
    net, sim = _core(DEFAULT_MOTIF)
    graph = fp.causal_graph(net, sim)
    assert int(metric(at, "Spikes")) == sim.n_spikes
    assert int(metric(at, "Causal edges")) == graph.src.size
    nodes = [tr for tr in figure(at, 0)["data"] if tr.get("name") == "spikes"][0]
    assert np.allclose(values(nodes["x"]), sim.spike_times)


def _lit(fig: dict, frame: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Times of the lit nodes of the causal graph and of the lit raster marks: in the
    figure as drawn, or in one of its frames."""
    first = len(fig["data"]) - 12  # the twelve highlight traces come last
    if frame is None:
        nodes, marks = fig["data"][first + 8], fig["data"][first + 10]
    else:
        by_trace = dict(zip(frame["traces"], frame["data"]))
        nodes, marks = by_trace[first + 8], by_trace[first + 10]
    return values(nodes["x"]), values(marks["x"])


def test_selecting_a_spike_lights_up_its_causal_past():
    at = open_page("network")
    net, sim = _core(DEFAULT_MOTIF)
    k = sim.n_spikes - 1
    label = at.selectbox(key="network.spike").options[k + 1]
    at.selectbox(key="network.spike").select(label).run()
    assert_clean(at)
    # causal_past walks the mask backwards in time: independent of the graph's edges
    past = fp.causal_past(net, sim, [k])
    assert any(f"depends on {past.size - 1} earlier spike" in c.value for c in at.caption)
    fig = figure(at, 0)
    nodes, marks = _lit(fig)
    assert np.array_equal(np.sort(nodes), sim.spike_times[past])
    assert np.array_equal(np.sort(marks), sim.spike_times[past])
    assert fig["layout"]["sliders"][0]["active"] == k + 1  # the slider starts there


def test_every_frame_lights_up_that_spikes_causal_past():
    """The browser-side selection: one frame per spike, each with exactly the causal past
    of ``fp.causal_past`` (independent of the graph the frames were built from)."""
    at = open_page("network", {"motif": "Recurrent pair"})
    assert_clean(at)
    net, sim = _core("recurrent_pair")
    fig = figure(at, 0)
    frames = {f["name"]: f for f in fig["frames"]}
    steps = fig["layout"]["sliders"][0]["steps"]
    assert len(steps) == sim.n_spikes + 1 == len(frames)
    assert steps[0]["args"][0] == ["none"] and not _lit(fig, frames["none"])[0].size
    graph = fp.causal_graph(net, sim)
    for k in range(sim.n_spikes):
        past = fp.causal_past(net, sim, [k])
        nodes, marks = _lit(fig, frames[str(k)])
        assert np.array_equal(np.sort(nodes), sim.spike_times[past])
        assert np.array_equal(np.sort(marks), sim.spike_times[past])
        assert steps[k + 1]["args"][0] == [str(k)]
        assert f"depends on {past.size - 1} earlier spike" in steps[k + 1]["label"]
        # the lit edges: every edge into the causal past (their polylines end at its spikes)
        by_trace = dict(zip(frames[str(k)]["traces"], frames[str(k)]["data"]))
        first = len(fig["data"]) - 12
        n_lit = sum(sum(x is None for x in by_trace[first + g]["x"]) for g in range(8))
        assert n_lit == np.isin(graph.dst, past).sum()


def test_big_causal_graphs_select_on_the_server():
    """Past the browser's budget (here: more edges than are drawn) the chart has no frames
    and no slider, the page says so, and the selection still lights up the causal past."""
    edits = "~".join(f"{j}_{i}_100" for j in (0, 1) for i in (0, 1, 2))
    at = open_page("network", {"edits": edits, "network.spike": "n0.3"})
    assert_clean(at)
    fig = figure(at, 0)
    assert "frames" not in fig and "sliders" not in fig["layout"]
    assert any("too many spikes or edges" in c.value for c in at.caption)
    assert any("depends on" in c.value for c in at.caption)


def test_motif_and_url_weight_edits():
    at = open_page("network", {"motif": "Recurrent pair", "edits": "2_0_3.0"})
    assert_clean(at)
    _, sim = _core("recurrent_pair", [(2, 0, 3.0)])
    _, plain = _core("recurrent_pair")
    assert sim.n_spikes != plain.n_spikes
    assert int(metric(at, "Spikes")) == sim.n_spikes


def test_runaway_firing_and_silence_are_reported():
    at = open_page("network", {"motif": "Recurrent pair", "edits": "1_1_8~2_0_8"})
    assert not at.exception
    assert "Runaway firing" in at.error[0].value
    at = open_page("network", {"motif": "Feed-forward inhibition", "edits": "0_0_0~0_2_0~1_1_0"})
    assert not at.exception and not at.error
    assert int(metric(at, "Spikes")) == 0
    assert any("silent" in w.value for w in at.warning)


def test_upload_valid_and_invalid_networks():
    at = open_page("network")
    bad = ("bad.json", b'{"format": "nope"}', "application/json")
    at.file_uploader(key="net.upload").set_value(bad)
    at.run()
    assert not at.exception
    assert any("not a valid fpsnn network" in e.value for e in at.error)
    net = fp.Network([[6.0, 0.0], [0.0, 3.0], [0.0, 0.0]], 1, 0.5, 1.0, 1.0)
    doc = fp.to_json(net, [[0.2, 0.9]], 3.0).encode()
    at.file_uploader(key="net.upload").set_value(("pair.json", doc, "application/json"))
    at.run()
    assert_clean(at)
    assert at.selectbox(key="motif").value == "uploaded"
    assert int(metric(at, "Spikes")) == fp.simulate(net, [[0.2, 0.9]], 3.0).n_spikes


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    # click the last spike in the causal graph (top of the chart): a rerun puts it in the link
    x, y = page.evaluate("""() => {
        const gd = document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')[0];
        const tr = gd._fullData.find(t => t.name === 'spikes'); const i = tr.x.length - 1;
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
        return [r.left + xa._offset + xa.l2p(tr.x[i]), r.top + ya._offset + ya.l2p(tr.y[i])];
    }""")
    page.mouse.click(x, y)
    rerun_done(page)
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="depends on")
    assert caption.count() == 1
    assert "network.spike=" in page.url
