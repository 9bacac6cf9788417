"""Neuron: widgets drive the simulation; the figure and metrics match the core."""

import numpy as np

import fpsnn_core as fp
from apphelpers import assert_clean, charts, figure, metric, open_page, values
from fpsnn_app.presets import NEURON
from browserhelpers import metric_value, rerun_done
from playwright.sync_api import Page


def _sim(weights, tau_s=NEURON.tau_s, tau_n=NEURON.tau_n, theta=NEURON.theta, inputs=NEURON.inputs):
    net = fp.Network(np.append(weights, 0.0)[:, None], len(weights), tau_s, tau_n, theta)
    return fp.simulate(net, inputs, NEURON.t_max)


def test_weight_slider_changes_spikes_as_the_core_says():
    at = open_page("neuron")
    assert int(metric(at, "Output spikes")) == _sim(NEURON.weights).n_spikes
    at.slider(key="neuron.w2").set_value(-6.0).run()
    assert_clean(at)
    sim = _sim([NEURON.weights[0], NEURON.weights[1], -6.0])
    assert int(metric(at, "Output spikes")) == sim.n_spikes
    assert np.isclose(float(metric(at, "First spike f₁")), sim.spike_times[0], atol=1e-4)
    fig = figure(at, 0)
    out = [tr for tr in fig["data"] if tr.get("name") == "V(f)=θ"][0]
    assert np.allclose(values(out["x"]), sim.spike_times)
    # the potential trace touches theta at each spike and resets below it
    V = [tr for tr in fig["data"] if tr.get("name") == "V(t)"][0]
    assert np.nanmax(values(V["y"])) <= NEURON.theta + 1e-9


def test_equal_time_constants_work():
    at = open_page("neuron", {"neuron.tau_s": "0.8", "neuron.tau_n": "0.8"})
    assert_clean(at)
    sim = _sim(NEURON.weights, tau_s=0.8, tau_n=0.8)
    assert sim.n_spikes > 0 and int(metric(at, "Output spikes")) == sim.n_spikes
    assert "V(f_{1})" in at.latex[0].value


def test_bad_input_and_silence_give_messages_not_tracebacks():
    at = open_page("neuron")
    at.text_input(key="neuron.in0").set_value("0.5, soon").run()
    assert not at.exception
    assert "'soon' is not a number" in at.error[0].value
    at = open_page("neuron", {"neuron.w0": "0.0", "neuron.w1": "0.0"})
    assert not at.exception and not at.error
    assert int(metric(at, "Output spikes")) == 0
    assert "stays below threshold" in at.warning[0].value


def test_one_malformed_field_is_flagged_and_the_rest_stays():
    at = open_page("neuron", {"neuron.w2": "-6.0"})
    at.text_input(key="neuron.in0").set_value("0.5, soon").run()
    assert not at.exception
    assert len(at.error) == 1 and "Input 0 spike times" in at.error[0].value
    assert "default" in at.error[0].value
    assert charts(at), "the figure stays"
    # input 0 falls back to its default; the other fields and weights are still used
    sim = _sim([NEURON.weights[0], NEURON.weights[1], -6.0])
    assert int(metric(at, "Output spikes")) == sim.n_spikes
    assert np.isclose(float(metric(at, "First spike f₁")), sim.spike_times[0], atol=1e-4)


def test_input_after_t_max_is_left_out_with_a_note():
    at = open_page("neuron", {"neuron.t_max": "2.0"})       # input 0's default has 2.2
    assert not at.exception and not at.error
    assert any("after t_max" in c.value for c in at.caption)
    assert charts(at)


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    before = metric_value(page, "Output spikes")
    box = page.get_by_role("textbox", name="Input 0 spike times")
    box.fill("0.5")
    box.press("Enter")
    rerun_done(page)
    assert metric_value(page, "Output spikes") != before
    assert "neuron.in0=" in page.url
