"""Bad input to the core: each case below gets a clear error naming the problem
(``ValueError``, ``ArgumentTypeError`` which is also a ``ValueError``, or an
``FPSNNError``), never an IndexError, a "math domain error", a NaN or a file that cannot
be read back."""

import json

import numpy as np
import pytest

import fpsnn_core as fp


def _net(**kw):
    return fp.Network(np.array([[3.0, 0.0], [0.0, 2.0], [0.0, 0.0]]), 1, **kw)


def _doc(**fields):
    doc = {
        "format": "fpsnn-network",
        "version": 1,
        "n_inputs": 1,
        "weights": [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]],
    }
    doc.update(fields)
    return doc


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(tau_s=1e-21), "tau_s must lie in"),
        (dict(tau_n=1e21), "tau_n must lie in"),
        (dict(theta=1e300), "theta must lie in"),
    ],
)
def test_extreme_constants_are_refused_by_name(kw, match):
    with pytest.raises(ValueError, match=match):
        _net(**kw)


def test_extreme_but_allowed_time_constants_simulate():
    # b / a = 1e-12: log1p(d / a) would round to log1p(-1) ("math domain error"). The
    # current w = 2.5e6 decays within microseconds and leaves V ~ w / a = 2.5: two spikes,
    # at s1 with 2.5 (1 - exp(-a s1)) ~ 1 and s2 ~ ln(5) / a, then 0.5 stays below theta.
    # The spike times solve V = theta of the closed form (docs/model.md#the-closed-form)
    # in 50 digits, here, without the core's kernel.
    import mpmath

    w, tau_s, tau_n = 2.5e6, 1e-6, 1e6
    net = fp.Network([[w], [0.0]], 1, tau_s=tau_s, tau_n=tau_n)
    sim = fp.simulate(net, [[0.5]], 3.0)
    with mpmath.workdps(50):
        a, b = 1 / mpmath.mpf(tau_s), 1 / mpmath.mpf(tau_n)

        def h(s):
            return (mpmath.exp(-a * s) - mpmath.exp(-b * s)) / (b - a)

        s1 = mpmath.findroot(lambda s: w * h(s) - 1, mpmath.log(2.5 / 1.5) / a)
        s2 = mpmath.findroot(lambda s: w * h(s) - 1 - mpmath.exp(-b * (s - s1)), mpmath.log(5) / a)
        want = [float(mpmath.mpf(0.5) + s) for s in (s1, s2)]
    assert sim.n_spikes == 2 and sim.spike_neurons.tolist() == [0, 0]
    # one ulp of 0.5 holds (the offsets s of about 1e-6 are exact to 6e-17)
    np.testing.assert_allclose(sim.spike_times, want, rtol=0, atol=4.5e-16)


@pytest.mark.parametrize(
    "inputs,match",
    [
        ({"0": [0.1]}, "inputs must be a sequence"),
        (["0"], "input channel 0: spike times must be real numbers"),
        ([{"a": 1}], "input channel 0"),
        ([[True]], "input channel 0"),
        ([[0.1 + 1j]], "input channel 0"),
        (None, "inputs must be a sequence"),
    ],
)
def test_input_spikes_of_the_wrong_type_are_refused(inputs, match):
    with pytest.raises(fp.ArgumentTypeError, match=match):
        fp.simulate(_net(), inputs, 3.0)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(t_max=True), "t_max must be a number"),
        (dict(t_max="3"), "t_max must be a number"),
        (dict(t_max=3.0, max_spikes=None), "max_spikes must be an integer"),
        (dict(t_max=3.0, max_spikes=2.5), "max_spikes must be an integer"),
        (dict(t_max=3.0, max_work="x"), "max_work must be an integer"),
        (dict(t_max=3.0, grazing_tol=float("nan")), "grazing_tol must be finite"),
    ],
)
def test_simulate_arguments_of_the_wrong_type(kw, match):
    t_max = kw.pop("t_max")
    with pytest.raises(ValueError, match=match):
        fp.simulate(_net(), [[0.1]], t_max, **kw)


def _sim():
    return fp.simulate(_net(), [[0.1]], 3.0)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(tau_0=float("nan")), "tau_0 must be finite"),
        (dict(gamma=float("nan")), "gamma must be finite"),
        (dict(silent_time=float("nan")), "silent_time must be finite"),
        (dict(label=0.5), "label must be an integer"),
        (dict(outputs=[]), "outputs must name at least one neuron"),
        (dict(outputs=[0, 7]), "outputs names neuron 7, which does not exist"),
        (dict(outputs=[0, 0]), "outputs names neuron 0 twice"),
        (dict(gamma=1.0, tau_1=1e-6), "the loss is not finite"),
    ],
)
def test_loss_arguments_are_checked(kw, match):
    args = dict(outputs=[0, 1], label=0, silent_time=3.0)
    args.update(kw)
    outputs, label = args.pop("outputs"), args.pop("label")
    with pytest.raises(ValueError, match=match):
        fp.first_spike_cross_entropy(_sim(), outputs, label, **args)


def test_mse_checks_neurons_and_targets():
    with pytest.raises(ValueError, match="neurons names neuron 9"):
        fp.spike_time_mse(_sim(), [9], [1.0], silent_time=3.0)
    with pytest.raises(fp.ArgumentTypeError, match="targets must be a list of numbers"):
        fp.spike_time_mse(_sim(), [0], ["1"], silent_time=3.0)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(layers=[[5]]), "layer 0 names neuron 5, which does not exist"),
        (dict(layers=[[]]), "layer 0 must name at least one neuron"),
        (dict(layers=[[0], [0, 1]]), "neuron 0 is in layer 0 and in layer 1"),
        (dict(layers=[[0.5]]), "must be an integer"),
        (dict(weights=np.array([[1 + 1j, 0], [0, 0], [0, 0]])), "complex"),
        (dict(weights=[[1e12, 0], [0, 0], [0, 0]]), "magnitude"),
        (dict(n_inputs=True), "n_inputs must be an integer"),
    ],
)
def test_network_refuses_bad_layers_and_weights(kw, match):
    args = dict(weights=np.zeros((3, 2)), n_inputs=1)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        fp.Network(**args)


def test_implicit_system_and_gradients_check_spikes_and_the_simulation():
    net, sim = _net(), _sim()
    with pytest.raises(ValueError, match="rows names spike 999"):
        fp.implicit_system(net, sim, rows=[999])
    with pytest.raises(ValueError, match="spikes names spike -1"):
        fp.spike_time_jacobian(net, sim, spikes=[-1])
    other = fp.Network(np.zeros((2, 1)), 1)
    for fn in (
        lambda: fp.implicit_system(other, sim),
        lambda: fp.spike_time_jacobian(other, sim),
        lambda: fp.adjoint_gradient(other, sim, np.ones(sim.n_spikes)),
        lambda: fp.eventprop(other, sim, np.ones(sim.n_spikes)),
        lambda: fp.potentials(other, sim, [1.0]),
        lambda: fp.causal_past(other, sim, [0]),
    ):
        with pytest.raises(ValueError, match="another network|does not fit the network"):
            fn()
    # the same network rebuilt (equal weights and constants) is accepted
    same = fp.from_json(fp.to_json(net)).network
    assert fp.spike_time_jacobian(same, sim).shape == (sim.n_spikes, 3, 2)
    with pytest.raises(fp.ArgumentTypeError, match="dloss_dtimes"):
        fp.fp_gradient(net, sim, ["1"] * sim.n_spikes)


@pytest.mark.parametrize(
    "fields,match",
    [
        (dict(weights=[]), "'weights' is empty"),
        (dict(meta={"outputs": [None]}), r"meta 'outputs'\[0\] must be an integer"),
        (dict(meta={"outputs": ["a"]}), "must be an integer"),
        (dict(meta={"outputs": [[1]]}), "must be an integer"),
        (dict(meta={"outputs": [7]}), "names neuron 7"),
        (dict(layers=[[]]), "layer 0 must name at least one neuron"),
        (dict(layers=[]), None),
    ],
)
def test_from_json_refuses_what_would_crash_later(fields, match):
    text = json.dumps(_doc(**fields))
    if match is None:
        assert fp.from_json(text).network.layers == ()
        return
    with pytest.raises(ValueError, match=match):
        fp.from_json(text)


def test_from_json_deep_nesting_nan_and_bom():
    deep = json.dumps(_doc())[:-1] + ', "meta": {"x": ' + "[" * 5000 + "]" * 5000 + "}}"
    with pytest.raises(ValueError, match="nested too deeply"):
        fp.from_json(deep)
    shallow_but_deep = json.dumps(_doc(meta={"x": json.loads("[" * 80 + "]" * 80)}))
    with pytest.raises(ValueError, match="nested too deeply"):
        fp.from_json(shallow_but_deep)
    with pytest.raises(ValueError, match="NaN is not a JSON number"):
        fp.from_json(json.dumps(_doc(t_max=float("nan"))))
    raw = json.dumps(_doc()).encode()
    bom = b"\xef\xbb\xbf" + raw
    assert fp.from_json(bom).network.n_neurons == 2
    assert fp.from_json(bom.decode("utf-8")).network.n_neurons == 2  # as the app reads it
    with pytest.raises(ValueError, match="not UTF-8"):
        fp.from_json(b"\xff\xfe" + raw)


def test_save_never_writes_a_file_that_cannot_be_loaded(tmp_path):
    path = tmp_path / "net.json"
    with pytest.raises(ValueError, match="t_max must be finite"):
        fp.save(path, _net(), t_max=float("nan"))
    assert not path.exists()
    for meta in ({"x": float("nan")}, {"x": float("inf")}, {"x": object()}):
        with pytest.raises(ValueError, match="meta cannot be written as JSON"):
            fp.to_json(_net(), meta=meta)
    fp.save(path, _net(), t_max=2.0, meta={"x": [1, 2]})
    assert fp.load(path).meta == {"x": [1, 2]}


def test_runaway_messages_name_the_budget_that_was_hit():
    # 1000 independent neurons firing twice each: the total budget, not one neuron
    N = 1000
    W = np.vstack([np.full((1, N), 6.0), np.zeros((N, N))])
    net = fp.Network(W, 1, mask=np.vstack([np.ones((1, N), bool), np.zeros((N, N), bool)]))
    with pytest.raises(
        fp.RunawayFiringError,
        match=r"spike budget max_spikes=1500 \(spikes of all neurons together\)"
        r".*after 1500 spikes of 1000 neuron\(s\)",
    ):
        fp.simulate(net, [[0.0, 1.0, 2.0]], 5.0, max_spikes=1500)


def test_work_budget_bounds_a_dense_recurrent_run():
    # dense recurrent N = 200: each spike reaches 199 neurons; the work budget stops the
    # run long before the spike budget (which alone took tens of seconds)
    rng = np.random.default_rng(0)
    N = 200
    W = np.vstack([np.full((1, N), 5.0), rng.normal(0.5, 0.1, (N, N))])
    W[1 + np.arange(N), np.arange(N)] = 0.0
    net = fp.Network(W, 1)
    with pytest.raises(
        fp.RunawayFiringError, match="the work budget max_work=200000 spike deliveries was reached"
    ):
        fp.simulate(net, [[0.0]], 100.0, max_work=200_000)
    sim = fp.simulate(fp.Network(W[:, :1][[0, 1]], 1), [[0.0]], 3.0)
    assert sim.work == 1 + sim.n_spikes * 0  # one input delivery, no neuron targets
    assert fp.MAX_WORK == fp.simulate.__kwdefaults__["max_work"]
