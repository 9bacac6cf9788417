"""Neuron: widgets drive the simulation; the figure and metrics match the core."""

import numpy as np
from apphelpers import assert_clean, charts, figure, metric, open_page, values
from browserhelpers import metric_value, rerun_done
from playwright.sync_api import Page

import fpsnn_core as fp
from fpsnn_app.presets import NEURON


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
    at = open_page("neuron", {"neuron.t_max": "2.0"})  # input 0's default has 2.2
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


# --- one parameter moved: FP's prediction beside the simulation ----------------------------
def _moved(name, x, inputs=NEURON.inputs, weights=NEURON.weights):
    """The page's default neuron with parameter ``name`` set to ``x``, simulated (written
    here: the network built directly, no app code)."""
    consts = dict(tau_s=NEURON.tau_s, tau_n=NEURON.tau_n, theta=NEURON.theta)
    weights, inputs = list(weights), [sorted(tr) for tr in inputs]
    if name.startswith("W"):
        weights[int(name[1:])] = x
    elif name.startswith("t_in"):
        j, m = (int(s) for s in name[5:-1].split("]["))
        inputs[j][m] = x
    else:
        consts[{"θ": "theta", "τ_s": "tau_s", "τ_n": "tau_n"}[name]] = x
    return _sim(weights, inputs=inputs, **consts)


def _now(name):
    """The current value of parameter ``name`` of the default neuron."""
    if name.startswith("W"):
        return NEURON.weights[int(name[1:])]
    if name.startswith("t_in"):
        j, m = (int(s) for s in name[5:-1].split("]["))
        return sorted(NEURON.inputs[j])[m]
    return {"θ": NEURON.theta, "τ_s": NEURON.tau_s, "τ_n": NEURON.tau_n}[name]


def _column(name, sim):
    """``df/dp`` of every spike by the core, the column of parameter ``name``."""
    net = sim.network
    if name.startswith("W"):
        return fp.spike_time_jacobian(net, sim)[:, int(name[1:]), 0]
    if name.startswith("t_in"):
        j, m = (int(s) for s in name[5:-1].split("]["))
        return fp.spike_time_jacobian(net, sim, wrt="inputs")[:, sum(map(len, sim.inputs[:j])) + m]
    wrt = {"θ": "theta", "τ_s": "tau_s", "τ_n": "tau_n"}[name]
    return fp.spike_time_jacobian(net, sim, wrt=wrt)[:, 0]


def test_moved_parameter_shows_the_cores_derivative_and_its_prediction():
    """For a weight, an input spike, θ, τ_s and τ_n: the table's df/dp is the core's
    spike_time_jacobian and a central difference of the simulation; the prediction is
    f + δ df/dp, the simulated column the simulation at p + δ, and the chart's open circles
    sit at the predictions."""
    at = open_page("neuron")
    base = _sim(NEURON.weights)
    delta = 0.03
    at.slider(key="neuron.delta").set_value(delta).run()
    for name in ("W1", "t_in[1][0]", "t_in[0][2]", "θ", "τ_s", "τ_n"):
        at.selectbox(key="neuron.param").set_value(name).run()
        assert_clean(at)
        table = at.dataframe[1].value
        shown = table["df/dp (FP)"].to_numpy(float)
        core = _column(name, base)
        assert shown.shape == (base.n_spikes,)
        assert np.allclose(shown, core, rtol=1e-12, atol=1e-14), name
        h, p = 1e-6, _now(name)
        central = (_moved(name, p + h).spike_times - _moved(name, p - h).spike_times) / (2 * h)
        assert np.allclose(shown, central, rtol=1e-5, atol=1e-7), name
        assert np.allclose(
            table["FP: f + δ·df/dp"].to_numpy(float), base.spike_times + delta * core, rtol=1e-12
        )
        after = _moved(name, p + delta)
        if after.n_spikes == base.n_spikes:
            assert np.allclose(
                table["simulated at p + δ"].to_numpy(float), after.spike_times, rtol=1e-12
            )
            # a small step: the tangent's error is second order, far below the shift itself
            err = np.abs(table["FP − simulated"].to_numpy(float))
            assert err.max() < 0.2 * np.abs(delta * core).max() + 1e-9, name
        fig = figure(at, 1)
        ghost = next(tr for tr in fig["data"] if tr.get("name") == "FP: f + δ·df/dp")
        assert np.allclose(values(ghost["y"]), base.spike_times + delta * core)
        assert np.allclose(values(ghost["x"]), p + delta)


def test_moved_parameter_count_change_is_explained_and_not_matched():
    at = open_page("neuron", {"neuron.param": "θ", "neuron.delta": "-0.3"})
    assert_clean(at)
    after = _moved("θ", NEURON.theta - 0.3)
    assert after.n_spikes != _sim(NEURON.weights).n_spikes  # the case under test
    assert any(f"fires {after.n_spikes} times instead of" in w.value for w in at.warning)
    assert at.dataframe[1].value["simulated at p + δ"].isna().all()


def test_moved_input_spike_that_no_longer_exists_is_reset_with_a_note():
    at = open_page("neuron", {"neuron.param": "t_in[2][0]"})
    assert_clean(at)
    assert at.selectbox(key="neuron.param").value == "t_in[2][0]"
    at.text_input(key="neuron.in2").set_value("").run()  # input 2 loses its spike
    assert_clean(at)
    assert at.selectbox(key="neuron.param").value == "t_in[0][0]"
    assert any("t_in[2][0] is not available" in c.value for c in at.caption)
    at = open_page("neuron", {"neuron.param": "t_in[9][9]"})  # an edited link
    assert_clean(at)
    assert at.selectbox(key="neuron.param").value == "t_in[0][0]"


def test_silent_neuron_has_no_moved_parameter_view():
    at = open_page("neuron", {"neuron.w0": "0.0", "neuron.w1": "0.0"})
    assert not at.exception and not at.error
    assert len(charts(at)) == 1
