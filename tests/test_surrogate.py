"""Discrete-time simulation, surrogate derivatives and BPTT (fpsnn_core.discrete,
.surrogate, .bptt), checked against the exact simulator, closed forms and finite
differences."""

import numpy as np
import pytest
from networks import case
from scipy.integrate import quad

import fpsnn_core as fp
from fpsnn_core.bptt import (
    backward,
    bptt_gradient,
    bptt_gradients,
    discrete_feeding_kernel,
    fp_credit,
    surrogate_credit,
)
from fpsnn_core.discrete import simulate_discrete, spike_time_error
from fpsnn_core.simulate import SpikeRecord
from fpsnn_core.surrogate import SURROGATES, surrogate

EPS = np.finfo(float).eps


def _on_grid(inputs, step=1 / 16):
    return [np.round(np.asarray(x) / step) * step for x in inputs]


def _fitted_order(dts, errors):
    return np.polyfit(np.log(dts), np.log(errors), 1)[0]


# --- the exact per-step update ------------------------------------------------------


@pytest.mark.parametrize("tau_s, tau_n", [(0.5, 1.0), (1.0, 1.0), (3.0, 0.7)])
def test_subthreshold_steps_match_closed_form_potentials(tau_s, tau_n):
    """(D1) is exact: no error at the grid points for inputs on the grid."""
    rng = np.random.default_rng(3)
    W = rng.uniform(-0.2, 0.3, (5, 2))
    W[3, 0] = W[4, 1] = 0.0
    net = fp.Network(W, 3, tau_s=tau_s, tau_n=tau_n, theta=5.0)
    inputs = _on_grid([[0.0, 0.5, 1.25], [0.375], [0.25, 2.0]])
    d = simulate_discrete(net, inputs, 3.0, 1 / 32)
    assert d.n_spikes == 0
    sim = fp.simulate(net, inputs, 3.0)
    tr = fp.potentials(net, sim, d.t)
    np.testing.assert_allclose(d.V, tr.V, rtol=0, atol=64 * EPS * np.abs(tr.V).max())
    # I+[n-1] decayed over one step is the left limit I(t_n-) of the closed form
    np.testing.assert_allclose(
        d.I[:-1] * np.exp(-net.a * d.dt), tr.I[1:], rtol=0, atol=64 * EPS * np.abs(tr.I).max()
    )


def test_equal_time_constants_against_hand_formula():
    """tau_s == tau_n: one input of weight w at 0 gives V(t) = w t exp(-t/tau) by hand."""
    w, tau = 0.8, 0.6
    net = fp.Network([[w], [0.0]], 1, tau_s=tau, tau_n=tau, theta=10.0)
    d = simulate_discrete(net, [[0.0]], 2.0, 0.1)
    np.testing.assert_allclose(d.V[:, 0], w * d.t * np.exp(-d.t / tau), rtol=1e-14, atol=1e-16)


def test_discrete_feeding_kernels_rebuild_the_potential():
    """Subthreshold, V[n] = sum_j W[j, i] y_ji[n] with the discrete feeding kernels."""
    net, inputs, t_max = case("layered", 1)
    net = net.with_weights(np.asarray(net.weights) * 0.05)
    d = simulate_discrete(net, inputs, t_max, 0.01)
    assert d.n_spikes == 0
    i = net.layers[0][1]
    V = sum(net.weights[j, i] * discrete_feeding_kernel(net, d, j, i) for j in range(net.n_inputs))
    np.testing.assert_allclose(V, d.V[:, i], rtol=0, atol=1e-13)


# --- convergence of the spike times ---------------------------------------------

DTS = 2.0 ** -np.arange(5, 11)


def _errors(net, inputs, t_max, neurons=None):
    """Max error of every spike (or of the first spikes of ``neurons``) for each dt."""
    sim = fp.simulate(net, inputs, t_max)
    out = []
    for dt in DTS:
        d = simulate_discrete(net, inputs, t_max, dt)
        assert np.array_equal(d.spike_counts(net.n_neurons), sim.spike_counts(net.n_neurons))
        n = d.spike_steps
        assert np.all(((n - 1) * dt < d.spike_times) & (d.spike_times <= n * dt))
        out.append(spike_time_error(sim, d, net.n_neurons, neurons))
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 2])
def test_first_spikes_converge_at_second_order_with_inputs_on_the_grid(seed):
    net, inputs, t_max = case("layered", seed)
    errors = _errors(net, _on_grid(inputs), t_max, neurons=list(net.layers[0]))
    order = _fitted_order(DTS, errors)
    assert 1.8 < order < 2.2, (order, errors)
    assert errors[-1] < 1e-6


@pytest.mark.parametrize(
    "kind, seed, grid", [("layered", 0, True), ("layered", 1, False), ("recurrent", 5, False)]
)
def test_all_spike_times_converge_at_first_order(kind, seed, grid):
    net, inputs, t_max = case(kind, seed)
    if grid:
        inputs = _on_grid(inputs)
    errors = _errors(net, inputs, t_max)
    order = _fitted_order(DTS, errors)
    assert 0.75 < order < 1.35, (order, errors)
    assert errors[-1] < 10 * DTS[-1]  # spikes pass on delays of up to dt per layer


# --- surrogate functions -------------------------------------------------------------


@pytest.mark.parametrize("name", list(SURROGATES))
@pytest.mark.parametrize("slope", [0.7, 3.3])
def test_surrogate_derivative_is_the_derivative_of_its_function(name, slope):
    sg = surrogate(name, slope)
    rng = np.random.default_rng(11)
    x = rng.normal(0.0, 1.5 / slope, 200)
    # keep away from the triangle's kinks (0 and +-1/slope), where fn is not C^2
    x = x[(np.abs(x) > 1e-3 / slope) & (np.abs(np.abs(slope * x) - 1) > 1e-3)]
    h = 1e-6 / slope
    numeric = (sg.fn(x + h) - sg.fn(x - h)) / (2 * h)
    np.testing.assert_allclose(sg.grad(x), numeric, rtol=1e-6, atol=1e-8 * slope)
    assert (np.ptp(sg.grad(x)) > 0) == (name != "straight_through")  # constant: only it


@pytest.mark.parametrize(
    "name, at_zero",
    [
        ("fast_sigmoid", lambda b: 1.0),
        ("sigmoid", lambda b: b / 4),
        ("arctan", lambda b: b / 2),
        ("triangle", lambda b: b),
        ("straight_through", lambda b: b),
    ],
)
def test_surrogate_peak_and_integral(name, at_zero):
    slope = 2.7
    sg = surrogate(name, slope)
    assert sg.grad(np.array([0.0]))[0] == pytest.approx(at_zero(slope), rel=1e-14)
    if np.isfinite(sg.integral):
        total, _ = quad(
            lambda v: float(sg.grad(np.array(v))), -np.inf, np.inf, points=None, limit=200
        )
        assert total == pytest.approx(sg.integral, rel=1e-7)


def test_surrogate_bad_arguments():
    with pytest.raises(ValueError, match="unknown surrogate"):
        surrogate("relu")
    with pytest.raises(ValueError, match="slope"):
        surrogate("sigmoid", 0.0)
    with pytest.raises(ValueError, match="slope"):
        surrogate("arctan", float("nan"))


# --- BPTT against finite differences ---------------------------------------------------


def _relaxed_loss_and_grad(net, inputs, t_max, dt, sg, C, time_normalized):
    """A loss smooth in the voltages and the relaxed spikes of a relaxed forward pass."""
    scale = dt * net.b if time_normalized else 1.0

    def run(W):
        return simulate_discrete(
            net.with_weights(W), inputs, t_max, dt, spike_fn=lambda x: sg.fn(x) * scale
        )

    def loss(W):
        d = run(W)
        return float((C * d.V).sum() + 0.5 * (d.V**2).sum() + (d.s**2).sum())

    d = run(net.weights)
    # d/dV of sum s^2 is 2 s sigma' (scaled), fed in as a direct term on V
    c_V = C + d.V + 2 * d.s * sg.grad(d.V - net.theta) * scale
    res = backward(
        net, d, c_V, np.zeros_like(c_V), sg, detach_reset=False, time_normalized=time_normalized
    )
    return loss, res.weights


def _central(loss, W, eps, entries):
    out = np.zeros_like(W)
    for j, i in entries:
        Wp, Wm = W.copy(), W.copy()
        Wp[j, i] += eps
        Wm[j, i] -= eps
        out[j, i] = (loss(Wp) - loss(Wm)) / (2 * eps)
    return out


@pytest.mark.parametrize(
    "name, time_normalized", [(n, False) for n in SURROGATES] + [("sigmoid", True)]
)
def test_bptt_is_the_exact_gradient_of_the_relaxed_network(name, time_normalized):
    """With sigma itself in the forward pass, BPTT with sigma' is an exact gradient."""
    net, inputs, t_max = case("recurrent", 3, t_max=2.0)
    dt = 0.05
    sg = surrogate(name, 1.7)
    C = np.random.default_rng(4).normal(size=(41, net.n_neurons))
    loss, grad = _relaxed_loss_and_grad(net, inputs, t_max, dt, sg, C, time_normalized)
    fd = _central(loss, np.array(net.weights), 1e-6, np.argwhere(net.mask))
    assert np.abs(fd).max() > 1.0
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-7 * np.abs(fd).max())


@pytest.mark.parametrize("kind, seed", [("layered", 0), ("recurrent", 2)])
def test_bptt_without_surrogate_matches_finite_differences_of_the_discrete_loss(kind, seed):
    """Hard spikes: the discrete first-spike loss is smooth in W through (D5) while no
    spike changes step; there BPTT with no spike derivative is its exact gradient."""
    net, inputs, t_max = case(kind, seed)
    dt = 1 / 64
    outputs = list(net.layers[-1]) if net.layers else [0, 1]

    def run(W):
        return simulate_discrete(net.with_weights(W), inputs, t_max, dt)

    def loss(W):
        return fp.first_spike_cross_entropy(run(W), outputs, 1).value

    d = run(np.array(net.weights))
    value = fp.first_spike_cross_entropy(d, outputs, 1)
    grad = bptt_gradient(net, d, value.dloss_dtimes, None)
    eps, W, checked = 1e-7, np.array(net.weights), 0
    for j, i in np.argwhere(net.mask):
        Wp, Wm = W.copy(), W.copy()
        Wp[j, i] += eps
        Wm[j, i] -= eps
        dp, dm = run(Wp), run(Wm)
        if not (
            np.array_equal(dp.spike_steps, d.spike_steps)
            and np.array_equal(dm.spike_steps, d.spike_steps)
        ):
            continue  # a spike changes step: the loss jumps there
        fd = (
            fp.first_spike_cross_entropy(dp, outputs, 1).value
            - fp.first_spike_cross_entropy(dm, outputs, 1).value
        ) / (2 * eps)
        assert grad[j, i] == pytest.approx(fd, rel=1e-5, abs=1e-7)
        checked += 1
    assert checked >= 0.8 * net.n_params
    assert np.abs(grad).max() > 0.01


@pytest.mark.parametrize("detach_reset", [True, False])
def test_batched_bptt_equals_one_surrogate_at_a_time(detach_reset):
    net, inputs, t_max = case("recurrent", 4)
    d = simulate_discrete(net, inputs, t_max, 0.02)
    c = np.random.default_rng(1).normal(size=d.n_spikes)
    sgs = [surrogate("sigmoid", 2.0), None, surrogate("triangle", 0.8), surrogate("arctan")]
    many = bptt_gradients(net, d, c, sgs, detach_reset=detach_reset, time_normalized=True)
    for g, sg in zip(many, sgs):
        one = bptt_gradient(net, d, c, sg, detach_reset=detach_reset, time_normalized=True)
        np.testing.assert_allclose(g, one, rtol=1e-13, atol=1e-13 * np.abs(one).max())
    assert not np.allclose(many[0], many[2])


def test_output_weights_agree_with_fp_as_dt_shrinks():
    """Weights into output neurons reach the loss only through the readout (D5)-(D6):
    there every surrogate gives the exact gradient in the limit dt -> 0."""
    net, inputs, t_max = case("layered", 0)
    outputs = list(net.layers[-1])
    sim = fp.simulate(net, inputs, t_max)
    exact = fp.fp_gradient(net, sim, fp.first_spike_cross_entropy(sim, outputs, 0).dloss_dtimes)
    into_out = np.zeros_like(net.mask)
    into_out[:, outputs] = net.mask[:, outputs]
    errs = []
    for dt in (1 / 64, 1 / 512):
        d = simulate_discrete(net, inputs, t_max, dt)
        g = bptt_gradient(
            net, d, fp.first_spike_cross_entropy(d, outputs, 0).dloss_dtimes, surrogate("arctan")
        )
        errs.append(np.abs(g - exact)[into_out].max() / np.abs(exact[into_out]).max())
    assert errs[1] < 0.02 and errs[1] < errs[0] / 4


# --- credit over time ---------------------------------------------------------------


def test_fp_credit_is_the_first_spike_derivative_of_a_first_layer_neuron():
    """A first spike driven only by inputs: df/dW[j, i] = -y_ji(f) / V_i'(f) exactly."""
    net, inputs, t_max = case("layered", 0)
    sim = fp.simulate(net, inputs, t_max)
    i, j = net.layers[0][2], 1
    times, weights = fp_credit(net, sim, j, i)
    k = sim.first_spikes([i])[0]
    assert times[0] == sim.spike_times[k]
    J = fp.spike_time_jacobian(net, sim, [k])
    assert weights[0] == pytest.approx(-J[0, j, i], rel=1e-12)
    assert weights.size == sim.spike_counts(net.n_neurons)[i] > 1


def test_surrogate_credit_concentrates_near_the_firing_times():
    net, inputs, t_max = case("layered", 0)
    sim = fp.simulate(net, inputs, t_max)
    d = simulate_discrete(net, inputs, t_max, 1 / 256)
    i, j = net.layers[0][0], 0
    credit = surrogate_credit(net, d, j, i, surrogate("sigmoid", 10.0))
    f = sim.spikes_of(i)
    near = np.min(np.abs(d.t[:, None] - f[None, :]), axis=1) < 0.25
    assert credit[near].sum() > 0.9 * credit.sum() > 0


def test_bad_arguments_are_refused():
    net, inputs, t_max = case("layered", 0)
    for dt in (0.0, -1.0, float("nan"), 1e-9):
        with pytest.raises(ValueError, match="dt"):
            simulate_discrete(net, inputs, t_max, dt)
    d = simulate_discrete(net, inputs, t_max, 0.1)
    with pytest.raises(ValueError, match="dloss_dtimes"):
        bptt_gradient(net, d, np.zeros(d.n_spikes + 1), None)
    relaxed = simulate_discrete(net, inputs, t_max, 0.1, spike_fn=surrogate("sigmoid").fn)
    with pytest.raises(ValueError, match="relaxed"):
        bptt_gradient(net, relaxed, np.zeros(0), None)
    with pytest.raises(ValueError, match="synapse"):
        discrete_feeding_kernel(net, d, net.n_sources, 0)


class _Record(SpikeRecord):
    def __init__(self, times, neurons):
        self.spike_times = np.asarray(times, dtype=float)
        self.spike_neurons = np.asarray(neurons, dtype=int)


def test_spike_time_error_matches_the_kth_spike_of_each_neuron():
    exact = _Record([0.1, 0.2, 0.5, 0.7], [1, 0, 1, 0])
    approx = _Record([0.12, 0.21, 0.56, 0.69], [1, 0, 0, 1])  # neuron 1's 2nd spike: 0.69
    assert spike_time_error(exact, approx, 2) == pytest.approx(0.19)
    assert spike_time_error(exact, approx, 2, neurons=[0]) == pytest.approx(0.01)
    assert spike_time_error(exact, approx, 3, neurons=[2]) == 0.0  # silent in both
    with pytest.raises(ValueError, match="spike counts"):
        spike_time_error(exact, _Record([0.1, 0.2], [1, 0]), 2)
    with pytest.raises(ValueError, match="silent"):
        spike_time_error(exact, _Record([0.2], [0]), 2, neurons=[1])
