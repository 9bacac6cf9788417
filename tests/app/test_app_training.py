"""Training page: Step advances epochs, the views match the core, Reset starts over."""

import numpy as np
import pytest

import fpsnn_core as fp
from apphelpers import assert_clean, charts, figure, metric, open_page, values
from browserhelpers import metric_value, rerun_done
from fpsnn_app.refine import refined_labels
from fpsnn_app.scenes.training import GRID, TASK_LABELS, VIEW_SAMPLES, task_data
from fpsnn_core import batched as bt
from fpsnn_core import training as tr
from playwright.sync_api import Page, expect


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
        assert metric(at, "Mini-batch") == "0/1"
        curves = figure(at, 0)["data"]
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
    regions = figure(at, 1)["data"][0]
    grid, z = values(regions["x"]), values(regions["z"]).reshape(GRID, GRID)
    assert grid.size == GRID and np.isclose(grid[0], 0) and np.isclose(grid[-1], 1)
    rng = np.random.default_rng(0)
    for r, c in rng.integers(0, GRID, (8, 2)):
        x, y = grid[c], grid[r]
        t = cfg.t_early + (cfg.t_late - cfg.t_early) * np.array([x, y])
        assert z[r, c] == _core_prediction(net, [*t, cfg.t_bias], cfg.t_max), (x, y)
    # the confusion matrix of the four XOR points, by the general simulator
    confusion = values(figure(at, 3)["data"][0]["z"]).reshape(2, 3)
    want = np.zeros((2, 3), dtype=int)
    for (x, y), label in zip([(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0]):
        t = cfg.t_early + (cfg.t_late - cfg.t_early) * np.array([x, y])
        want[label, _core_prediction(net, [*t, cfg.t_bias], cfg.t_max)] += 1
    assert np.array_equal(confusion, want)


def test_yinyang_default_and_download():
    at = open_page("training")
    assert_clean(at)
    assert len(charts(at)) == 4
    regions = figure(at, 1)["data"]
    assert {tr.get("name") for tr in regions[1:]} == {"yin", "yang", "dot"}
    button = at.get("download_button")
    assert button, "the trained network can be downloaded"
    # Iris has no input plane: curves, first spikes, confusion
    at.selectbox(key="training.task").set_value("iris").run()
    assert_clean(at)
    assert len(charts(at)) == 3
    assert metric(at, "Mini-batch") == "0/9"


def test_play_shows_the_network_of_the_last_epoch_end():
    """A Play chunk (one per AppTest run) passes epoch ends mid-chunk; the views then show
    the network the core validated at the last of them, whatever batch the chunk stops at."""
    at = open_page("training", {"training.task": TASK_LABELS["iris"]})
    at.button(key="training.play").click().run()
    for _ in range(5):
        if at.session_state["training.run"]["state"].epoch >= 1:
            break
        at.run()
    assert_clean(at)
    state = at.session_state["training.run"]["state"]
    assert state.epoch >= 1
    captions = " ".join(c.value for c in at.caption)
    assert f"after {state.epoch} epoch" in captions
    # Iris validates on all its 30 samples, so the views' accuracy is the core's
    assert f"Accuracy {metric(at, 'Validation accuracy')} on 30 validation samples" in captions
    at.button(key="training.play").click().run()                 # pause


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
        assert n == sum(calls) and n <= GRID ** 2
        assert n == GRID ** 2 if levels == 0 else n < 0.6 * GRID ** 2
    # a region narrower than the coarse spacing can be missed (documented limitation)
    speck = lambda p: (np.hypot(p[:, 0] - 0.51, p[:, 1] - 0.51) < 0.03).astype(int)
    assert refined_labels(speck, grid, 2)[0].sum() == 0 < refined_labels(speck, grid, 0)[0].sum()
    with pytest.raises(ValueError, match="divisible"):
        refined_labels(predict, np.linspace(0, 1, 36), 1)


def test_default_views_use_a_fixed_validation_subset():
    at = open_page("training")
    assert_clean(at)
    cfg = tr.default_config("yinyang")
    assert at.select_slider(key="training.lr.yinyang").value == cfg.lr    # the core's default
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
    confusion = values(figure(at, 3)["data"][0]["z"]).reshape(3, 4)
    assert np.array_equal(confusion, want)
    assert f"first {n} of the {len(data.validation)}" in " ".join(c.value for c in at.caption)
    # a new learning rate keeps the network, and the views stay the same
    at.select_slider(key="training.lr.yinyang").set_value(0.02).run()
    assert_clean(at)
    assert np.array_equal(values(figure(at, 3)["data"][0]["z"]).reshape(3, 4), want)


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    assert metric_value(page, "Epoch") == "0"
    page.get_by_role("button", name="Step").click()
    rerun_done(page, timeout=90_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Epoch")
           .get_by_test_id("stMetricValue")).to_have_text("1", timeout=90_000)
    assert metric_value(page, "Validation accuracy").endswith("%")
