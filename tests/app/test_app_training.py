"""Training page: Step advances epochs, the views match the core, Reset starts over."""

import re
from dataclasses import replace

import numpy as np
import pytest
from apphelpers import assert_clean, charts, figure, link, metric, open_page, values
from browserhelpers import metric_value, rerun_done
from playwright.sync_api import Page, expect

import fpsnn_core as fp
from fpsnn_app.refine import refined_labels
from fpsnn_app.scenes.training import GRID, TASK_LABELS, VIEW_SAMPLES, region_grid, task_data
from fpsnn_core import batched as bt
from fpsnn_core import datasets as ds
from fpsnn_core import training as tr


def _fig(at, kind: str) -> dict:
    """The page's figure of one kind, found by its content (not by position)."""
    for i in range(len(charts(at))):
        f = figure(at, i)
        names = [t.get("name") for t in f["data"]]
        if kind == "regions" and names and names[0] == "prediction":
            return f
        if kind == "curves" and "train" in names and f["data"][0]["type"] == "scatter":
            return f
        if (
            kind == "confusion"
            and f["data"][0]["type"] == "heatmap"
            and str(values(f["data"][0].get("y", [""]))[0]).startswith("true")
        ):
            return f
        if kind == "spikes" and f["data"][0]["type"] == "bar":
            return f
        if kind == "network" and "synapses" in names:
            return f
        if kind == "raster" and "inputs" in names:
            return f
    raise AssertionError(f"no {kind} figure")


def _caption(at) -> str:
    return " ".join(c.value for c in at.caption)


def _core_prediction(net: fp.Network, inputs, t_max: float) -> int:
    """Class by the general simulator: the output that fires first (-1: none)."""
    sim = fp.simulate(net, [[t] for t in inputs], t_max)
    first = sim.first_spikes(list(net.layers[-1]))
    times = np.where(first >= 0, sim.spike_times[np.maximum(first, 0)], np.inf)
    return int(np.argmin(times)) if np.isfinite(times).any() else -1


def test_step_trains_epochs_and_reset_starts_over():
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    assert_clean(at)
    assert metric(at, "Epoch") == "0" and metric(at, "Validation accuracy") == "–"
    losses = []
    for epoch in (1, 2, 3):
        at.button(key="training.step").click().run()
        assert_clean(at)
        assert metric(at, "Epoch") == str(epoch)
        assert f"Views: the network after {epoch} epoch{'s' * (epoch > 1)}." in _caption(at)
        curves = _fig(at, "curves")["data"]
        assert values(curves[0]["x"]).tolist() == list(range(1, epoch + 1))
        losses.append(values(curves[0]["y"])[-1])
    assert len(set(losses)) == 3, "the training loss changes from epoch to epoch"
    state = at.session_state["training.run"]["state"]
    assert state.epoch == 3 and len(state.history) == 3
    at.button(key="training.reset").click().run()
    assert_clean(at)
    assert metric(at, "Epoch") == "0"
    assert at.session_state["training.run"]["state"].history == ()


def test_views_match_the_general_simulator():
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    for _ in range(2):
        at.button(key="training.step").click().run()
    assert_clean(at)
    state = at.session_state["training.run"]["state"]
    net, cfg = state.network, state.config
    regions = _fig(at, "regions")["data"][0]
    grid, z = values(regions["x"]), values(regions["z"]).reshape(GRID, GRID)
    assert grid.size == GRID and np.isclose(grid[0], 0) and np.isclose(grid[-1], 1)
    rng = np.random.default_rng(0)
    for r, c in rng.integers(0, GRID, (8, 2)):
        x, y = grid[c], grid[r]
        t = cfg.t_early + (cfg.t_late - cfg.t_early) * np.array([x, y])
        assert z[r, c] == _core_prediction(net, [*t, cfg.t_bias], cfg.t_max), (x, y)
    # the confusion matrix of the four XOR points, by the general simulator
    confusion = values(_fig(at, "confusion")["data"][0]["z"]).reshape(2, 3)
    want = np.zeros((2, 3), dtype=int)
    for (x, y), label in zip([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0]):
        t = cfg.t_early + (cfg.t_late - cfg.t_early) * np.array([x, y])
        want[label, _core_prediction(net, [*t, cfg.t_bias], cfg.t_max)] += 1
    assert np.array_equal(confusion, want)


def test_yinyang_default_and_download():
    at = open_page("training")
    assert_clean(at)
    assert len(charts(at)) == 6  # regions, network, curves, maps, first spikes, confusion
    regions = _fig(at, "regions")["data"]
    assert {"yin", "yang", "dot"} <= {tr.get("name") for tr in regions[1:]}
    button = at.get("download_button")
    assert button, "the trained network can be downloaded"
    # Iris is drawn in the plane of its first two principal components
    at.selectbox(key="training.task").set_value("iris").run()
    assert_clean(at)
    assert len(charts(at)) == 6
    assert "Views: the network after 0 epochs." in _caption(at)


def test_play_redraws_the_views_within_an_epoch():
    """Every Play update (one per AppTest run) redraws the views with the network training
    has reached, mid-epoch too (Yin-Yang's epochs are 157 mini-batches): the regions differ
    after each slow update, and the caption says which mini-batch they show."""
    at = open_page(
        "training",
        {
            "training.task": TASK_LABELS["yinyang"],
            "training.speed": "slow",
            "training.hidden.yinyang": "20",
        },
    )
    regions = [values(_fig(at, "regions")["data"][0]["z"]).tolist()]
    at.button(key="training.play").click().run()
    for _ in range(3):
        at.run()
        assert_clean(at)
        state = at.session_state["training.run"]["state"]
        assert state.epoch == 0 and state.batch > 0
        assert (
            f"Views: the network after 0 epochs and {state.batch} of 157 mini-batches."
            in _caption(at)
        )
        regions.append(values(_fig(at, "regions")["data"][0]["z"]).tolist())
    state = at.session_state["training.run"]["state"]
    data = task_data("yinyang", **state.config.encoding_kwargs())
    drawn = values(_fig(at, "regions")["data"][0]["z"])
    now = region_grid(state.network, data.view, data.encoding, state.config.t_max)[2]
    assert np.array_equal(drawn, now), "the regions are those of the current network"
    assert len({str(r) for r in regions}) > 1, "the regions moved within the first epoch"
    at.button(key="training.play").click().run()  # pause


def test_captions_agree_on_the_best_network_and_the_pause_rule():
    """The curves' summary, the dotted line and the core name the same best epoch (ties in
    accuracy go to the lower loss), and the help states that rule for the pause."""
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    for _ in range(12):
        at.button(key="training.step").click().run()
    assert_clean(at)
    state = at.session_state["training.run"]["state"]
    acc = [h.val_accuracy for h in state.history]
    assert acc.count(max(acc)) > 1 and state.best_epoch != 1 + acc.index(max(acc)), (
        "a run where the first epoch of best accuracy is not the best network"
    )
    caption = _caption(at)
    assert f"Best network (dotted line): epoch {state.best_epoch}," in caption
    named = re.findall(r"[Bb]est(?: network \(dotted line\):)?[^;()]{0,30}?epoch (\d+)", caption)
    assert named and set(named) == {str(state.best_epoch)}, named
    shapes = _fig(at, "curves")["layout"]["shapes"]
    assert {s["x0"] for s in shapes} == {state.best_epoch}
    assert (
        "without a better validation result (a higher accuracy, or the same accuracy "
        "with a lower loss" in caption
    )


def test_no_banner_before_training_and_a_link_shows_the_same():
    """A learning rate chosen before Play is just a setting: no banner, as when the copied
    link is opened; during a run the change is said in plain words."""
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    at.select_slider(key="training.lr.xor").set_value(0.05).run()
    assert_clean(at)
    assert not at.info
    fresh = open_page("training", link(at))
    assert [i.value for i in fresh.info] == [i.value for i in at.info] == []
    at.button(key="training.step").click().run()
    at.select_slider(key="training.lr.xor").set_value(0.02).run()
    info = " ".join(i.value for i in at.info)
    assert (
        "Learning rate 0.02, gradient by FP: the same run goes on with them from epoch 1, "
        "mini-batch 0." == info
    )
    assert "Adam" not in info


def _yin_yang_like(points: np.ndarray) -> np.ndarray:
    """Three classes with curved boundaries, two discs of radius 0.1 and a thin diagonal
    stripe 0.06 wide: every feature is wider than the coarse spacing 1/18 of GRID=37."""
    x, y = points[:, 0], points[:, 1]
    label = (y > 0.5 + 0.2 * np.sin(6 * x)).astype(int)
    label[np.hypot(x - 0.3, y - 0.5) < 0.1] = 2
    label[np.hypot(x - 0.75, y - 0.45) < 0.1] = 2
    label[np.abs(x + y - 1.4) < 0.03] = -1
    return label


def test_refined_labels_equal_every_point_at_a_fraction_of_the_cost():
    calls = []

    def predict(points):
        calls.append(len(points))
        return _yin_yang_like(points)

    grid = np.linspace(0.0, 1.0, GRID)
    X, Y = np.meshgrid(grid, grid)
    want = _yin_yang_like(np.stack([X.ravel(), Y.ravel()], axis=1)).reshape(GRID, GRID)
    for levels in (0, 1):
        calls.clear()
        labels, n = refined_labels(predict, grid, levels)
        np.testing.assert_array_equal(labels, want)
        assert n == sum(calls) and n <= GRID**2
        assert n == GRID**2 if levels == 0 else n < 0.6 * GRID**2
    # a region narrower than the coarse spacing can be missed (documented limitation)
    speck = lambda p: (np.hypot(p[:, 0] - 0.51, p[:, 1] - 0.51) < 0.03).astype(int)
    assert refined_labels(speck, grid, 2)[0].sum() == 0 < refined_labels(speck, grid, 0)[0].sum()
    with pytest.raises(ValueError, match="divisible"):
        refined_labels(predict, np.linspace(0, 1, 36), 1)


def test_default_views_use_a_fixed_validation_subset():
    at = open_page("training")
    assert_clean(at)
    cfg = tr.default_config("yinyang")
    assert at.select_slider(key="training.lr.yinyang").value == cfg.lr  # the core's default
    state = at.session_state["training.run"]["state"]
    assert state.epoch == 0 and state.batch == 0, "nothing trains before Play or Step"
    data = task_data("yinyang", **cfg.encoding_kwargs())
    n = VIEW_SAMPLES
    assert len(data.validation) > n
    # confusion of the first VIEW_SAMPLES validation samples, by the batched simulator
    x, labels = data.validation.inputs[:n], data.validation.labels[:n]
    pred = bt.simulate_batch(state.network, x, cfg.t_max).predictions()
    want = np.zeros((3, 4), dtype=int)
    np.add.at(want, (labels, np.where(pred < 0, 3, pred)), 1)
    assert want.sum() == n
    confusion = values(_fig(at, "confusion")["data"][0]["z"]).reshape(3, 4)
    assert np.array_equal(confusion, want)
    assert f"first {n} of the {len(data.validation)}" in _caption(at)
    # a new learning rate keeps the network, and the views stay the same
    at.select_slider(key="training.lr.yinyang").set_value(0.02).run()
    assert_clean(at)
    assert np.array_equal(values(_fig(at, "confusion")["data"][0]["z"]).reshape(3, 4), want)


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    assert metric_value(page, "Epoch") == "0"
    page.get_by_role("button", name="Step").click()
    rerun_done(page, timeout=90_000)
    expect(
        page.get_by_test_id("stMetric").filter(has_text="Epoch").get_by_test_id("stMetricValue")
    ).to_have_text("1", timeout=90_000)
    assert metric_value(page, "Validation accuracy").endswith("%")


# --- the page as a playground ----------------------------------------------------------
def test_learning_rate_and_method_keep_the_run_seed_starts_a_new_one():
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    for _ in range(3):
        at.button(key="training.step").click().run()
    before = at.session_state["training.run"]["state"]
    assert before.epoch == 3 and before.adam.t == 3
    at.select_slider(key="training.lr.xor").set_value(0.02).run()
    assert_clean(at)
    state = at.session_state["training.run"]["state"]
    assert state.epoch == 3 and state.adam.t == 3 and state.history == before.history
    assert np.array_equal(state.adam.m, before.adam.m)  # Adam's moments kept
    assert state.config.lr == 0.02 and "the same run goes on" in " ".join(i.value for i in at.info)
    at.radio(key="training.method").set_value("adjoint").run()
    at.button(key="training.step").click().run()
    state = at.session_state["training.run"]["state"]
    assert state.epoch == 4 and state.config.method == "adjoint" and state.adam.t == 4
    assert metric(at, "Epoch") == "4"
    # the same step by hand: FP and adjoint give the same numbers
    want = tr.step(
        replace(before, config=replace(before.config, lr=0.02)),
        task_data("xor", **before.config.encoding_kwargs()).train,
    )
    assert np.allclose(state.network.weights, want.network.weights, rtol=0, atol=1e-10)
    # a new seed starts a new run, and the page says so
    at.number_input(key="training.seed").set_value(1).run()
    assert_clean(at)
    state = at.session_state["training.run"]["state"]
    assert state.epoch == 0 and state.config.seed == 1
    assert "New run: the seed changed" in " ".join(i.value for i in at.info)


def test_play_pauses_when_validation_stops_improving_and_continue_goes_on(monkeypatch):
    from fpsnn_app.scenes import training as scene

    monkeypatch.setitem(scene.PAGE_PATIENCE, "xor", 2)
    at = open_page("training", {"training.task": TASK_LABELS["xor"], "training.speed": "medium"})
    at.button(key="training.play").click().run()
    for _ in range(40):
        if not at.session_state["training.run"]["playing"]:
            break
        at.run()
    assert_clean(at)
    run = at.session_state["training.run"]
    state = run["state"]
    assert not run["playing"] and state.stopped
    assert state.epoch - max(state.best_epoch, state.patience_from) >= 2
    assert np.array_equal(state.network.weights, state.best.weights), "best network restored"
    assert "best network (epoch" in " ".join(i.value for i in at.info)
    assert at.button(key="training.play").disabled
    assert not at.button(key="training.continue").disabled
    at.button(key="training.continue").click().run()
    assert_clean(at)
    after = at.session_state["training.run"]["state"]
    # it trained on (and, with a patience of 2, may have paused again: counted from here)
    assert after.epoch > state.epoch and after.patience_from == state.epoch
    assert after.config.epochs == state.epoch + tr.default_config("xor").epochs


def test_going_back_to_the_best_network_is_said_and_shown(monkeypatch):
    """(R3) of the core, on the page: when training goes back to the best network the
    lecturer is told, and the views show that network, labelled with its epoch."""
    monkeypatch.setitem(
        tr.TASK_DEFAULTS, "xor", {**tr.TASK_DEFAULTS["xor"], "plateau": 1, "lr": 1e-7}
    )  # no progress: epoch 1 best
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    assert "goes back to the best network" in _caption(at)
    for _ in range(3):
        at.button(key="training.step").click().run()
        assert_clean(at)
        if any(m.restored for m in at.session_state["training.run"]["state"].history):
            break
    run = at.session_state["training.run"]
    state = run["state"]
    assert state.history[-1].restored and state.lr_scale == 0.5
    assert state.network is state.best
    info = " ".join(i.value for i in at.info)
    assert f"Epoch {state.epoch}: no better validation result for 1 epochs" in info
    assert f"went back to the best network (epoch {state.best_epoch}," in info
    assert f"Views: the best network (epoch {state.best_epoch}), restored." in _caption(at)


def test_figures_built_as_plain_dicts_are_valid_plotly():
    """The Training page's figures skip Plotly's validation for speed; here each one goes
    through it (an unknown property or a bad value raises) and keeps its content."""
    import plotly.graph_objects as go

    from fpsnn_app.figures import training as ft
    from fpsnn_app.figures import training_network as fn

    rng = np.random.default_rng(0)
    names = ("setosa", "versicolor", "virginica")
    first = rng.uniform(0, 3, (20, 3))
    first[rng.random((20, 3)) < 0.2] = np.inf
    labels = rng.integers(0, 3, 20)
    xs, ys = np.linspace(0, 1, 5), np.linspace(0, 1, 4)
    points = rng.random((20, 2))
    links = np.array([[0, 0, 0, 0.5, 1], [0, 1, 1, -0.2, 1], [1, 0, 2, 1.0, 1]])
    figs = {
        "curves": ft.curves_figure(
            [1, 2, 3],
            [1.0, 0.8, 0.7],
            [1.1, 0.9, 0.8],
            [0.3, 0.6, 0.9],
            [0.4, 0.5, 0.8],
            best_epoch=3,
        ),
        "curves stacked": ft.curves_figure(
            [1, 2], [1, 0.5], [1, 0.6], [0.2, 0.7], [0.1, 0.6], stacked=True
        ),
        "regions": ft.regions_figure(
            xs,
            ys,
            rng.integers(-1, 3, (4, 5)),
            points,
            labels,
            names,
            ("PC1", "PC2"),
            rng.integers(-1, 3, 20),
            2,
        ),
        "spikes": ft.first_spike_figure(first, labels, names, 3.0),
        "spikes, one class": ft.first_spike_figure(first[:, :1], np.zeros(20, int), ("a",), 3.0),
        "confusion": ft.confusion_figure(rng.integers(0, 9, (3, 4)), names),
        "network": fn.network_figure(
            [2, 2, 3],
            links,
            [["in0", "in1"], ["h0", "h1"], list(names)],
            [["input"] * 2, ["normal", "silent"], ["output0", "output1", "output2"]],
            [["a", "b"], ["c", "d"], ["e", "f", "g"]],
            "all",
            1,
        ),
        "maps": fn.neuron_maps_figure(xs, ys, rng.uniform(0, 3, (3, 4, 5)), [0, 4, 7], 3.0),
        "map": fn.neuron_map_figure(
            xs, ys, rng.uniform(0, 3, (4, 5)), 3.0, points, labels, names, ("x", "y"), "h0"
        ),
        "raster": fn.sample_raster_figure(
            [
                ("inputs", ["in0"], [np.array([0.1, 0.5])]),
                ("outputs", list(names), [np.array([1.0])] * 3),
            ],
            3.0,
            np.array([1.0, 1.2, np.inf]),
            names,
        ),
    }
    for what, fig in figs.items():
        doc = fig.to_dict()
        checked = go.Figure(doc).to_dict()  # validates every property
        assert len(checked["data"]) == len(doc["data"]) > 0, what
        assert checked["layout"]["height"] == doc["layout"]["height"], what
        if what != "maps":  # thumbnails: no axes shown
            assert checked["layout"]["xaxis"]["tickfont"]["size"] == 14, what
        for t in doc["data"]:  # no validation turns a colour scale's name into stops
            if "colorscale" in t:  # here, and plotly.js did not know "cividis"
                assert isinstance(t["colorscale"], list), what
    maps = figs["maps"].to_dict()["data"]
    assert [t["type"] for t in maps] == ["heatmap", "scatter"]  # one axes for all
    assert sorted(set(maps[1]["customdata"])) == [0, 4, 7]
    assert all(maps[1]["customdata"].count(h) == 25 for h in (0, 4, 7))  # a 5x5 lattice each
    z = values(maps[0]["z"]) if isinstance(maps[0]["z"], dict) else np.asarray(maps[0]["z"])
    assert np.isfinite(z).sum() == 3 * 4 * 5  # the three maps
    spikes = figs["spikes"].to_dict()["layout"]
    assert spikes["xaxis3"]["ticktext"][-1] == "silent"
    assert [a["text"] for a in spikes["annotations"]] == [f"true class {n}" for n in names]
    assert figs["curves"].to_dict()["layout"]["shapes"][1]["x0"] == 3


def test_xor_points_are_not_clipped_and_misclassified_are_ringed():
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    f = _fig(at, "regions")
    xr, yr = f["layout"]["xaxis"]["range"], f["layout"]["yaxis"]["range"]
    points = [t for t in f["data"][1:] if t.get("name") in ("0", "1")]
    assert points and all(t.get("cliponaxis") is False for t in points)
    for t in points:
        x, y = values(t["x"]), values(t["y"])
        # a marker of 18 px needs room: at least 4% of the span beyond every point
        assert np.all(x > xr[0] + 0.04) and np.all(x < xr[1] - 0.04), (x, xr)
        assert np.all(y > yr[0] + 0.04) and np.all(y < yr[1] - 0.04), (y, yr)
    state = at.session_state["training.run"]["state"]
    pred = bt.simulate_batch(
        state.network, task_data("xor", 0.0, 1.0, 0.0).validation.inputs, state.config.t_max
    ).predictions()
    wrong = [t for t in f["data"] if str(t.get("name", "")).startswith("misclassified")]
    n_wrong = int((pred != np.array([0, 1, 1, 0])).sum())
    assert (len(values(wrong[0]["x"])) if wrong else 0) == n_wrong


def test_first_spike_histograms_side_by_side_and_visible():
    at = open_page("training", {"training.task": TASK_LABELS["iris"]})
    f = _fig(at, "spikes")
    assert f["layout"]["barmode"] == "group"
    for bar in f["data"]:
        assert bar["opacity"] >= 0.9
        assert bar["marker"]["pattern"].get("fillmode") == "overlay"  # hatching on a fill
        assert bar["marker"]["line"]["width"] > 0


def test_iris_is_drawn_on_its_principal_components():
    at = open_page("training", {"training.task": TASK_LABELS["iris"]})
    assert_clean(at)
    f = _fig(at, "regions")
    assert "PC1 (projection" in f["layout"]["xaxis"]["title"]["text"]
    assert "PC2 (projection" in f["layout"]["yaxis"]["title"]["text"]
    cfg = tr.default_config("iris")
    data = task_data("iris", **cfg.encoding_kwargs())
    task = ds.load_task("iris", **cfg.encoding_kwargs())
    # principal components by an eigen-decomposition of the covariance (independent of SVD)
    u = (task.train.values - task.encoding.lo) / (task.encoding.hi - task.encoding.lo)
    evals, evecs = np.linalg.eigh(np.cov(u.T))
    pcs = evecs[:, ::-1][:, :2]
    proj = (
        (task.validation.values - task.encoding.lo) / (task.encoding.hi - task.encoding.lo)
        - u.mean(axis=0)
    ) @ pcs
    got = data.view.points
    for k in range(2):
        assert np.allclose(np.abs(got[:, k]), np.abs(proj[:, k]), atol=1e-9)
    # a grid point of the regions is the network's class for the features it stands for
    state = at.session_state["training.run"]["state"]
    reg = f["data"][0]
    xs, ys = values(reg["x"]), values(reg["y"])
    z = values(reg["z"]).reshape(ys.size, xs.size)
    for r, c in ((0, 0), (18, 18), (36, 5), (7, 30)):
        feats = data.view.features(np.array([xs[c]]), np.array([ys[r]]))
        t = task.encoding.encode(feats)[0]
        assert z[r, c] == _core_prediction(state.network, t, cfg.t_max)
    assert "samples lie off this plane" in _caption(at)


def test_network_drawing_colours_links_by_sign_and_marks_silent_and_runaway():
    from fpsnn_app import style
    from fpsnn_app.scenes.training import RUNAWAY_SPIKES, network_chart

    net = fp.Network.feedforward([3, 4, 2], np.random.default_rng(1))
    W = net.weights.copy()
    W[0, 0] = -0.7
    net = net.with_weights(W)
    fired = np.array([5, 0, 5, 5])
    max_count = np.array([1, 0, RUNAWAY_SPIKES, 1])
    fig = network_chart(net, ("a", "b"), fired, max_count, 5).fig.to_dict()
    seen = 0
    for t in fig["data"]:
        if t.get("mode") == "lines":
            x = [v for v in t["x"] if v is not None]
            seen += len(x) // 2
            sign = t["line"]["color"]
            assert (sign == style.BLUE) == (t["line"]["dash"] == "solid")
    assert seen == int(net.mask.sum())  # 3*4 + 4*2, all drawn
    hover = [h for t in fig["data"] for h in (t.get("text") or [])]
    assert any("input 0 → h0: w = -0.700" in h for h in hover)
    neg = [
        t
        for t in fig["data"]
        if t.get("mode") == "lines"
        and t["line"]["color"] == style.ORANGE
        and [v for v in t["x"] if v is not None]
    ]
    assert neg and all(t["line"]["dash"] == "dash" for t in neg)
    kinds = {t["name"]: t.get("customdata") for t in fig["data"] if t.get("mode") == "markers"}
    assert list(kinds["silent (never fires)"]) == [1]
    assert list(kinds["runaway (fires very often)"]) == [2]
    assert sorted(kinds["hidden neuron"]) == [0, 3]


def test_yinyang_draws_a_readable_subset_and_says_so():
    at = open_page("training")
    f = _fig(at, "network")
    nodes = [t for t in f["data"] if t.get("mode") == "markers" and t.get("name") != "synapses"]
    hidden = [h for t in nodes for h in (t.get("customdata") or []) if h >= 0]
    assert 0 < len(hidden) <= 24
    assert "24 of 160 hidden neurons drawn" in _caption(at)


def test_neuron_map_is_the_neurons_first_spike():
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    at.button(key="training.step").click().run()
    at.session_state["training.neuron"] = 3
    at.run()
    assert_clean(at)
    state = at.session_state["training.run"]["state"]
    big = [
        figure(at, i)
        for i in range(len(charts(at)))
        if figure(at, i)["data"][0].get("name") == "first spike"
    ]
    assert big, "the large map of h3 is shown"
    m = big[0]["data"][0]
    xs, ys = values(m["x"]), values(m["y"])
    z = values(m["z"]).reshape(ys.size, xs.size)
    net, cfg = state.network, state.config
    h3 = net.layers[0][3]
    for r, c in ((0, 0), (10, 30), (36, 36), (20, 5)):
        t = cfg.t_early + (cfg.t_late - cfg.t_early) * np.array([xs[c], ys[r]])
        sim = fp.simulate(net, [[t[0]], [t[1]], [cfg.t_bias]], cfg.t_max)
        mine = sim.spike_times[sim.spike_neurons == h3]
        if mine.size:
            assert abs(z[r, c] - mine[0]) < 1e-9
        else:
            assert np.isnan(z[r, c])


def test_sample_under_the_microscope_opens_on_the_network_page_with_the_same_spikes():
    at = open_page("training", {"training.task": TASK_LABELS["xor"]})
    at.button(key="training.step").click().run()
    at.number_input(key="training.sample").set_value(2).run()
    assert_clean(at)
    state = at.session_state["training.run"]["state"]
    cfg = state.config
    data = task_data("xor", **cfg.encoding_kwargs())
    x = data.validation.inputs[2]
    want = fp.simulate(state.network, [[t] for t in x], cfg.t_max)
    raster = _fig(at, "raster")
    assert "Sample 2 (class" in _caption(at) and "|dLoss/dW|" in _caption(at)
    # gradient size: the batched exact gradient of this one sample
    g = bt.loss_and_gradient(
        state.network,
        x[None],
        data.validation.labels[2:3],
        cfg.t_max,
        tau_0=cfg.tau_0,
        gamma=cfg.gamma,
        tau_1=cfg.tau_1,
    )
    assert f"|dLoss/dW| = {np.linalg.norm(g.gradient):.3g}" in _caption(at)
    assert sum(len(values(t["x"])) for t in raster["data"][:3]) == want.spike_times.size + x.size
    links = [p for p in at.get("page_link") if "Network page" in p.proto.label]
    assert links and links[0].proto.page.endswith("network")
    at.switch_page("app_pages/network.py").run(timeout=180)  # what the link does
    assert_clean(at)
    choice = at.session_state["fpsnn.network"]
    loaded = fp.from_json(choice.json)
    assert np.array_equal(loaded.network.weights, state.network.weights)
    got = fp.simulate(loaded.network, loaded.inputs, loaded.t_max)
    np.testing.assert_array_equal(got.spike_times, want.spike_times)
    np.testing.assert_array_equal(got.spike_neurons, want.spike_neurons)
    assert metric(at, "Spikes") == str(want.spike_times.size)


def test_sample_index_is_in_the_link_and_clamped_when_the_task_has_fewer_samples():
    at = open_page("training", {"training.task": TASK_LABELS["iris"]})
    at.number_input(key="training.sample").set_value(25).run()
    assert_clean(at)
    assert link(at)["training.sample"] == "25"
    at.selectbox(key="training.task").set_value("xor").run()  # 4 validation samples
    assert_clean(at)
    assert at.number_input(key="training.sample").value == 3
    assert "Validation sample: 25 is not available for this network; now 3." in _caption(at)
