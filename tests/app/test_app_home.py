"""Home: the live picture follows the weight slider; FP's prediction is first-order exact."""

import numpy as np
from apphelpers import assert_clean, figure, metric, open_page, values
from browserhelpers import metric_value, nudge_slider, rerun_done
from playwright.sync_api import Page

import fpsnn_core as fp
from fpsnn_app.scenes.home import INPUTS, OTHER_WEIGHT, T_MAX


def _first_spike(w):
    net = fp.Network([[w], [OTHER_WEIGHT], [0.0]], 2, 0.5, 1.0, 1.0)
    return fp.simulate(net, INPUTS, T_MAX).spike_times[0]


def test_weight_slider_moves_the_spike_and_fp_predicts_it():
    at = open_page("home")
    before = float(metric(at, "Spike time f"))
    at.slider(key="home.w").set_value(6.0).run()
    assert_clean(at)
    f = float(metric(at, "Spike time f"))
    assert f != before
    assert np.isclose(f, _first_spike(6.0), rtol=0, atol=1e-4)
    # FP's tangent prediction at w + dw agrees with a re-simulation to second order in dw
    at.slider(key="home.dw").set_value(0.05).run()
    predicted = float(metric(at, "FP prediction at w + Δw"))
    actual = _first_spike(6.05)
    assert abs(predicted - actual) < 5e-3 * abs(actual - f) + 1e-4
    blue = [tr for tr in figure(at, 0)["data"] if tr.get("name", "").startswith("V(t) with w =")]
    assert blue and np.nanmax(values(blue[0]["y"])) <= 1.0 + 1e-9  # reset at the threshold


def test_silent_neuron_is_explained():
    at = open_page("home", {"home.w": "0.0", "home.dw": "0.0"})
    assert_clean(at)
    assert metric(at, "Spike time f") == "none"
    assert "below threshold" in at.caption[0].value


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    before = metric_value(page, "Spike time f")
    nudge_slider(page, "Weight w of input 0", 10)
    rerun_done(page)
    assert metric_value(page, "Spike time f") != before
    assert "home.w=" in page.url
