"""EventProp against FP, the adjoint solve, finite differences and a case worked by hand."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from networks import random_recurrent, simulate_or_reject, small_networks

import fpsnn_core as fp
from fpsnn_core.eventprop import adjoint_traces, eventprop, eventprop_gradient
from fpsnn_core.gradients import adjoint_solve

N = 4


def recurrent(seed, kind, n=N):
    """Fully recurrent networks; ``kind`` picks the time constants."""
    rng = np.random.default_rng(seed)
    if kind == "fixed":
        tau_s, tau_n, t_max = 0.5, 1.0, 4.0
    elif kind == "equal":  # tau_s == tau_n everywhere
        tau_s, tau_n, t_max = 1.0, 1.0, 3.0
    else:  # per neuron
        tau_n, tau_s, t_max = rng.uniform(0.7, 1.5, n), rng.uniform(0.3, 1.5, n), 4.0
        if kind == "mixed":  # some neurons with tau_s == tau_n
            tau_s[::2] = tau_n[::2]
    return random_recurrent(rng, K=2, N=n, tau_s=tau_s, tau_n=tau_n, t_max=t_max)


# every neuron fires at least twice in each of these (asserted below)
CASES = (
    [("fixed", s) for s in (0, 1, 2, 3)]
    + [("equal", s) for s in (0, 1, 2, 3, 5, 6, 8)]
    + [("per-neuron", s) for s in (0, 1, 3, 4, 6, 9)]
    + [("mixed", s) for s in (0, 1, 3, 4, 6, 9)]
)


def assert_close(got, want, rel=3e-14):
    """``got`` equals ``want`` to ``rel`` of the largest entry of ``want`` (EventProp, FP and
    the adjoint agree to 3.0e-15 of it over the cases of this file)."""
    scale = np.abs(want).max()
    assert scale > 0
    np.testing.assert_allclose(got, want, rtol=0, atol=rel * scale)


def loss_vectors(sim, rng):
    """Generic loss derivatives: dense random, last spike only, first-spike cross entropy."""
    ce = fp.first_spike_cross_entropy(sim, [0, 1, 2], 1, silent_time=sim.t_max)
    return [rng.normal(size=sim.n_spikes), np.eye(sim.n_spikes)[-1], ce.dloss_dtimes]


@pytest.mark.parametrize("kind,seed", CASES)
def test_eventprop_equals_fp_and_adjoint_solve(kind, seed):
    net, inputs, t_max = recurrent(seed, kind)
    sim = fp.simulate(net, inputs, t_max)
    assert sim.spike_counts(N).min() >= 2 and sim.grazing.size == 0
    J = fp.spike_time_jacobian(net, sim)
    for c in loss_vectors(sim, np.random.default_rng(seed)):
        g_ep = eventprop_gradient(net, sim, c)
        assert g_ep.shape == (net.n_sources, N)
        assert_close(g_ep, np.tensordot(c, J, axes=1))
        assert_close(g_ep, fp.adjoint_gradient(net, sim, c))
        assert np.all(g_ep[~net.mask] == 0)


@pytest.mark.parametrize("kind,seed", [("fixed", 1), ("equal", 2), ("mixed", 3)])
def test_jumps_are_the_adjoint_of_the_triangular_solve(kind, seed):
    # eps_k of (E2) = lam_k of L^T lam = c, and the traces are kernel sums of them
    net, inputs, t_max = recurrent(seed, kind)
    sim = fp.simulate(net, inputs, t_max)
    c = np.random.default_rng(seed).normal(size=sim.n_spikes)
    lam = adjoint_solve(fp.implicit_system(net, sim), c)
    run = eventprop(net, sim, c)
    np.testing.assert_allclose(run.jumps, lam, rtol=0, atol=2e-14 * np.abs(lam).max())  # 1.3e-15
    t = np.concatenate([np.linspace(0, t_max, 97), sim.spike_times[:5]])
    tr = adjoint_traces(net, sim, c, t)
    f, who = sim.spike_times, sim.spike_neurons
    D = f[None, :] - t[:, None]  # (T, S)
    later = D >= 0  # left limits: the jump at t = f_k counts
    for i in range(N):
        own = later & (who == i)[None, :]
        b, a = net.b[i], net.a[i]
        want_V = -(np.where(own, np.exp(-b * np.where(own, D, 0)), 0) @ lam)
        want_I = -(np.where(own, fp.kernel(D, a, b), 0) @ lam)
        np.testing.assert_allclose(
            tr.lambda_V[:, i], want_V, rtol=0, atol=2e-14 * np.abs(lam).max()
        )
        np.testing.assert_allclose(
            tr.lambda_I[:, i], want_I, rtol=0, atol=2e-14 * np.abs(lam).max()
        )
    np.testing.assert_array_equal(tr.jump_times, f)
    np.testing.assert_array_equal(tr.jump_neurons, who)
    assert np.all(tr.lambda_V[t > f[-1]] == 0)


def test_larger_sparse_recurrent_network():
    rng = np.random.default_rng(13)
    K, n = 3, 10
    W = rng.normal(0.0, 0.4, (K + n, n))
    W[:K] += rng.uniform(1.5, 3.0, (K, n))
    mask = rng.uniform(size=W.shape) < 0.6
    mask[:K] = True
    mask[K + np.arange(n), np.arange(n)] = False
    W[~mask] = 0.0
    net = fp.Network(W, K, tau_s=rng.uniform(0.3, 1.2, n), tau_n=1.0, mask=mask)
    inputs = [np.sort(rng.uniform(0, 2.5, 3)) for _ in range(K)]
    sim = fp.simulate(net, inputs, 4.0)
    assert sim.spike_counts(n).min() >= 2
    c = rng.normal(size=sim.n_spikes)
    assert_close(eventprop_gradient(net, sim, c), fp.adjoint_gradient(net, sim, c))
    assert_close(eventprop_gradient(net, sim, c), fp.fp_gradient(net, sim, c))


def test_eventprop_equals_finite_differences_of_a_loss():
    net, inputs, t_max = recurrent(0, "fixed")
    sim = fp.simulate(net, inputs, t_max)
    targets = sim.spike_times[sim.first_spikes([0, 1, 2, 3])] + 0.1

    def loss(s):
        return fp.spike_time_mse(s, [0, 1, 2, 3], targets).value

    fd = fp.finite_difference_loss_gradient(net, inputs, t_max, loss, eps=1e-6)
    g = eventprop_gradient(net, sim, fp.spike_time_mse(sim, [0, 1, 2, 3], targets).dloss_dtimes)
    ok = fd.valid
    assert ok.sum() >= 0.9 * net.n_params
    # central differences at eps = 1e-6: 2.3e-8 relative, 1e-11 absolute hold
    np.testing.assert_allclose(g[ok], fd.jacobian[ok], rtol=3e-7, atol=1e-10)


def test_continuous_as_tau_s_approaches_tau_n():
    net, inputs, t_max = recurrent(2, "equal")
    sim = fp.simulate(net, inputs, t_max)
    c = np.random.default_rng(0).normal(size=sim.n_spikes)
    g_eq = eventprop_gradient(net, sim, c)
    near = fp.Network(net.weights, 2, tau_s=1.0 + 1e-9, tau_n=1.0)
    sim_near = fp.simulate(near, inputs, t_max)
    assert sim_near.n_spikes == sim.n_spikes
    # tau_s moved by 1e-9 moves the gradient by 3.8e-9 of its largest entry
    assert_close(eventprop_gradient(near, sim_near, c), g_eq, rel=3e-8)


@pytest.mark.parametrize(
    "tau_s,w,f,dw",
    [
        # tau_s = 1/2, tau_n = 1: h(t) = e^-t - e^-2t, h'(t) = -e^-t + 2 e^-2t. With w = 4 and
        # theta = 3/4 the spike is at e^-f = 3/4 (f = ln 4/3): h = 3/16, h' = 3/8, slope
        # V' = w h' = 3/2. Loss = f: eps = 1/(3/2) = 2/3, lambda_V(f-) = -2/3, and back at the
        # input lambda_I(0) = -2/3 h(f) = -1/8 = dLoss/dw; lambda_V(0) = -2/3 * 3/4 = -1/2.
        (0.5, 4.0, math.log(4 / 3), -1 / 8),
        # tau_s = tau_n = 1: h(t) = t e^-t, h' = (1 - t) e^-t. With w = 2 and theta = e^-1/2 the
        # spike is at f = 1/2: h = h' = e^-1/2 / 2, slope w h' = e^-1/2, eps = e^1/2,
        # lambda_I(0) = -e^1/2 h(1/2) = -1/2 = dLoss/dw; lambda_V(0) = -e^1/2 e^-1/2 = -1.
        (1.0, 2.0, 0.5, -1 / 2),
    ],
)
def test_one_neuron_by_hand(tau_s, w, f, dw):
    theta = w * float(fp.kernel(f, 1 / tau_s, 1.0))
    net = fp.Network([[w], [0.0]], 1, tau_s=tau_s, tau_n=1.0, theta=theta)
    sim = fp.simulate(net, [[0.0]], 1.0)
    assert sim.n_spikes == 1 and sim.spike_times[0] == pytest.approx(f, rel=4e-15)
    g = eventprop_gradient(net, sim, [1.0])
    assert g[0, 0] == pytest.approx(dw, rel=4e-15) and g[1, 0] == 0  # 3.3e-16 holds
    eps = 1 / (w * float(fp.kernel_derivative(f, 1 / tau_s, 1.0)))
    tr = adjoint_traces(net, sim, [1.0], [0.0, f, 0.9])
    assert tr.jump_sizes[0] == pytest.approx(eps, rel=4e-15)
    assert tr.lambda_V[:, 0] == pytest.approx([-eps * math.exp(-f), -eps, 0.0], rel=4e-15)
    assert tr.lambda_I[:, 0] == pytest.approx([dw, 0.0, 0.0], rel=4e-15, abs=1e-16)


def test_spikes_at_the_same_instant():
    # two identical neurons fed by one input cross together; lateral weights act only later
    W = np.array([[12.0, 12.0], [0.0, -1.0], [-1.0, 0.0]])
    net = fp.Network(W, 1, tau_s=0.5, tau_n=1.0)
    sim = fp.simulate(net, [[0.2]], 3.0)
    assert sim.n_spikes == 6 and np.all(sim.spike_times[::2] == sim.spike_times[1::2])
    c = np.random.default_rng(1).normal(size=sim.n_spikes)
    assert_close(eventprop_gradient(net, sim, c), fp.adjoint_gradient(net, sim, c))


def test_grazing_spike_is_refused_only_where_it_matters():
    # neuron 0 just touches theta (see test_simulate); neuron 1 does not see neuron 0
    W = np.array([[4.0 * (1 + 1e-14), 4.4], [0.0, 0.0], [0.0, 0.0]])
    mask = np.array([[True, True], [False, False], [True, False]])
    net = fp.Network(W, 1, tau_s=0.5, tau_n=1.0, mask=mask)
    sim = fp.simulate(net, [[0.0]], 3.0)
    assert sim.grazing.size == 1
    graze = int(sim.grazing[0])
    c = np.zeros(sim.n_spikes)
    c[graze] = 1.0
    with pytest.raises(fp.GrazingSpikeError, match="grazes"):
        eventprop_gradient(net, sim, c)
    c = (sim.spike_neurons == 1).astype(float)
    np.testing.assert_allclose(
        eventprop_gradient(net, sim, c), fp.adjoint_gradient(net, sim, c), rtol=4e-15
    )  # 2.1e-16


def test_bad_loss_derivatives_are_refused():
    net, inputs, t_max = recurrent(0, "fixed")
    sim = fp.simulate(net, inputs, t_max)
    with pytest.raises(ValueError, match="shape"):
        eventprop_gradient(net, sim, np.ones(sim.n_spikes + 1))
    with pytest.raises(ValueError, match="finite"):
        eventprop_gradient(net, sim, np.full(sim.n_spikes, np.nan))
    with pytest.raises(ValueError, match="grid"):
        adjoint_traces(net, sim, np.ones(sim.n_spikes), [0.0, np.inf])


@given(small_networks())
def test_eventprop_equals_adjoint_on_random_small_networks(case):
    net, inputs, t_max, rng = case
    sim = simulate_or_reject(net, inputs, t_max)
    assume(sim.n_spikes > 0)
    c = rng.normal(size=sim.n_spikes) * (rng.uniform(size=sim.n_spikes) < 0.5)
    try:
        want = fp.adjoint_gradient(net, sim, c)
    except fp.GrazingSpikeError:
        with pytest.raises(fp.GrazingSpikeError):
            eventprop_gradient(net, sim, c)
        return
    got = eventprop_gradient(net, sim, c)
    # holds: 2.4e-15 of the largest entry
    np.testing.assert_allclose(got, want, rtol=0, atol=3e-14 * max(np.abs(want).max(), 1e-300))


def test_results_are_read_only_and_traces_of_a_silent_run_are_zero():
    """EventProp's arrays cannot be changed by a caller (they may be cached); a run without
    spikes has zero adjoint traces on any grid, read flat, and refuses non-finite times."""
    net, inputs, t_max = recurrent(1, "fixed")
    sim = fp.simulate(net, inputs, t_max)
    run = eventprop(net, sim, np.ones(sim.n_spikes), record=True)
    for name in ("gradient", "jumps", "event_times", "lambda_V_left", "lambda_I_left"):
        arr = getattr(run, name)
        assert arr.size and not arr.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            arr.reshape(-1)[0] = 1.0
    quiet = fp.Network(np.zeros((2 + N, N)), 2)
    silent = fp.simulate(quiet, [[0.1], [0.5]], 2.0)
    grid = np.array([[0.0, 0.5, 1.0], [1.5, 2.0, 3.0]])
    tr = adjoint_traces(quiet, silent, np.zeros(0), grid)
    assert tr.t.tolist() == grid.reshape(-1).tolist()
    assert tr.lambda_V.shape == tr.lambda_I.shape == (6, N)
    assert not tr.lambda_V.any() and not tr.lambda_I.any()
    with pytest.raises(ValueError, match="finite"):
        adjoint_traces(quiet, silent, np.zeros(0), [0.0, np.nan])


@pytest.mark.parametrize("fn", [fp.fp_gradient, fp.adjoint_gradient, eventprop_gradient])
def test_a_loss_derivative_of_the_wrong_length_is_refused(fn):
    net, inputs, t_max = recurrent(1, "fixed")
    sim = fp.simulate(net, inputs, t_max)
    with pytest.raises(ValueError, match="dloss_dtimes"):
        fn(net, sim, np.ones(sim.n_spikes + 1))
