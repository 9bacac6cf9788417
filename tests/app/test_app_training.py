"""Training page: Step advances epochs, the views match the core, Reset starts over."""

import numpy as np

import fpsnn_core as fp
from apphelpers import assert_clean, charts, figure, metric, open_page, values
from browserhelpers import metric_value, rerun_done
from fpsnn_app.scenes.training import GRID, TASK_LABELS
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


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    assert metric_value(page, "Epoch") == "0"
    page.get_by_role("button", name="Step").click()
    rerun_done(page, timeout=90_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Epoch")
           .get_by_test_id("stMetricValue")).to_have_text("1", timeout=90_000)
    assert metric_value(page, "Validation accuracy").endswith("%")
