"""Checks of the independent ODE reference simulator (tests/reference.py) against
cases worked by hand, so that it can be trusted to test the project's simulator.

Closed forms used here (one input spike of weight w at time g, I = V = 0 before):
    I(t) = w exp(-a (t - g))                                   t > g
    V(t) = w h(t - g),  h(s) = (exp(-a s) - exp(-b s)) / (b - a)   (a != b)
                        h(s) = s exp(-b s)                          (a == b)
They follow from V' = -b V + I with V(g) = 0: V(t) = int_g^t exp(-b (t - u)) I(u) du.
"""

import os
import sys

import numpy as np
import pytest
from scipy.optimize import brentq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import reference_potential, reference_spikes  # noqa: E402

G = 0.2  # the input spike time used throughout
# What the reference (DOP853 at rtol 1e-13) holds against the closed forms and hand-found
# roots below, with a margin of about 10: 1.8e-15 in V and I, 1.2e-14 in the spike times.
TRACE_TOL = 2e-14
TIME_TOL = 1e-13


def h(s, a, b):
    s = np.asarray(s, dtype=float)
    out = np.zeros_like(s)
    m = s > 0
    if a == b:
        out[m] = s[m] * np.exp(-b * s[m])
    else:
        out[m] = (np.exp(-a * s[m]) - np.exp(-b * s[m])) / (b - a)
    return out


def single(w):
    """W for one input channel and one neuron."""
    return np.array([[w], [0.0]])


def root(f, lo, hi):
    return brentq(f, lo, hi, xtol=1e-16, rtol=1e-15, maxiter=200)


# --- 1 and 2: sub-threshold potential of one neuron after one input spike ---------


@pytest.mark.parametrize("tau_s, tau_n", [(0.5, 1.0), (2.0, 0.7), (0.8, 0.8)])
def test_single_psp_below_threshold(tau_s, tau_n):
    w, theta = 0.9, 1.0
    a, b = 1.0 / tau_s, 1.0 / tau_n
    if a == b:  # max of w s exp(-b s) is w / (b e)
        assert w / (b * np.e) < theta
    t = np.array([0.0, 0.1, G, 0.25, 0.5, 0.9, 1.7, 3.0, 6.0])
    V, I = reference_potential(single(w), 1, tau_s, tau_n, theta, [np.array([G])], t)
    assert V.shape == I.shape == (t.size, 1)
    V_hand = w * h(t - G, a, b)  # for a == b this is w (t - g) exp(-b (t - g))
    I_hand = np.where(t > G, w * np.exp(-a * (t - G)), 0.0)
    np.testing.assert_allclose(V[:, 0], V_hand, rtol=0, atol=TRACE_TOL)
    np.testing.assert_allclose(I[:, 0], I_hand, rtol=0, atol=TRACE_TOL)
    # grid time equal to the input time: left limit, the jump is not yet applied
    assert I[2, 0] == 0.0
    times, neurons = reference_spikes(single(w), 1, tau_s, tau_n, theta, [np.array([G])], 6.0)
    assert times.size == 0 and neurons.size == 0


def test_equal_time_constants_explicit():
    # item 2 spelled out: tau_s == tau_n, V = w (t - g) exp(-b (t - g))
    w, tau = 0.7, 0.6
    b = 1.0 / tau
    t = np.linspace(G, 4.0, 9)
    V, _ = reference_potential(single(w), 1, tau, tau, 1.0, [np.array([G])], t)
    np.testing.assert_allclose(V[:, 0], w * (t - G) * np.exp(-b * (t - G)), rtol=0, atol=TRACE_TOL)


# --- 3: supra-threshold, spike times by hand --------------------------------------


@pytest.mark.parametrize("w", [5.0, 12.0])
@pytest.mark.parametrize("tau_s, tau_n", [(0.5, 1.0), (0.7, 0.7)])
def test_strong_input_spike_times(tau_s, tau_n, w):
    theta, t_max = 1.0, 6.0
    a, b = 1.0 / tau_s, 1.0 / tau_n
    # Before the first spike V(t) = w h(t - g); h rises from 0 to its maximum at
    # s* = log(a/b)/(a - b) (s* = 1/b if a == b), so the first spike f1 is the
    # unique root of w h(s) = theta on (0, s*), where w h(s*) > theta here.
    s_star = 1.0 / b if a == b else np.log(a / b) / (a - b)
    assert w * h(s_star, a, b) > theta
    f1 = G + root(lambda s: w * h(s, a, b) - theta, 0.0, s_star)
    # After resets at f1..fk, V(t) = w h(t - g) - theta sum_m exp(-b (t - m)) (each
    # subtracted theta decays at rate b).  V is 0 just after fk and, while the
    # current is still large, rises to theta again: f_{k+1} is the first root
    # after fk (bracketed by a fine scan, then brentq).  w = 12 fires 4-6 times.
    hand = [f1]
    while True:
        fk = np.array(hand)
        Vk = lambda t: (
            w * h(t - G, a, b)  # noqa: E731
            - theta * np.exp(-b * (t - fk[:, None])).sum(axis=0)
        )
        ts = np.linspace(hand[-1] + 1e-9, t_max, 60001)
        k = np.nonzero(Vk(ts) >= theta)[0]
        if not k.size:
            break
        hand.append(root(lambda t: Vk(np.atleast_1d(t))[0] - theta, ts[k[0] - 1], ts[k[0]]))
    hand = np.array(hand)
    if w == 12.0:
        assert hand.size >= 4

    times, neurons = reference_spikes(single(w), 1, tau_s, tau_n, theta, [np.array([G])], t_max)
    assert np.all(neurons == 0)
    assert times.size == hand.size
    assert abs(times[0] - f1) < TIME_TOL
    np.testing.assert_allclose(times, hand, rtol=0, atol=TIME_TOL)
    # the potential reaches theta at the spike times (sampled 1e-12 before them:
    # a grid time within the reference's accuracy of a spike may land on either side)
    V, _ = reference_potential(single(w), 1, tau_s, tau_n, theta, [np.array([G])], hand - 1e-12)
    np.testing.assert_allclose(V[:, 0], theta, rtol=0, atol=1e-10)


def test_first_spike_only_until_t_max():
    tau_s, tau_n, w, theta = 0.5, 1.0, 5.0, 1.0
    a, b = 1.0 / tau_s, 1.0 / tau_n
    f1 = G + root(lambda s: w * h(s, a, b) - theta, 0.0, np.log(a / b) / (a - b))
    times, _ = reference_spikes(single(w), 1, tau_s, tau_n, theta, [np.array([G])], f1 + 1e-3)
    assert times.size == 1 and abs(times[0] - f1) < TIME_TOL


# --- 4: two-neuron chain ----------------------------------------------------------


def test_two_neuron_chain():
    # input -> neuron 0 (strong) -> neuron 1 (weak, stays below threshold)
    K, w_in, w01, theta = 1, 12.0, 0.3, 1.0
    tau_s = np.array([0.5, 0.4])
    tau_n = np.array([1.0, 0.9])
    W = np.zeros((K + 2, 2))
    W[0, 0] = w_in
    W[K + 0, 1] = w01
    inputs = [np.array([G])]
    t_max = 8.0
    times, neurons = reference_spikes(W, K, tau_s, tau_n, theta, inputs, t_max)
    assert times.size >= 2 and np.all(neurons == 0)  # neuron 0 fires >= twice
    f = times
    # neuron 0's first spike by hand
    a0, b0 = 1.0 / tau_s[0], 1.0 / tau_n[0]
    f1 = G + root(lambda s: w_in * h(s, a0, b0) - theta, 0.0, np.log(a0 / b0) / (a0 - b0))
    assert abs(f[0] - f1) < TIME_TOL

    # neuron 1's current jumps by W[K+0, 1] at each spike of neuron 0, V_1 is continuous
    # (sampled at f - eps, f - d, f + eps: d = 1e-12 stays clear of the spike time
    # itself, where a grid point may land on either side of the event)
    eps, d = 1e-7, 1e-12
    grid = np.sort(np.concatenate([f - eps, f - d, f + eps]))
    V, I = reference_potential(W, K, tau_s, tau_n, theta, inputs, grid)
    before, at, after = I[0::3, 1], I[1::3, 1], I[2::3, 1]
    np.testing.assert_allclose(at, before * np.exp(-(eps - d) / tau_s[1]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(after - before, w01, rtol=0, atol=1e-6)
    np.testing.assert_allclose(V[2::3, 1] - V[0::3, 1], 0.0, rtol=0, atol=1e-6)
    # neuron 0's potential is theta just before, ~0 just after each of its spikes
    np.testing.assert_allclose(V[1::3, 0], theta, rtol=0, atol=1e-10)
    np.testing.assert_allclose(V[2::3, 0], 0.0, rtol=0, atol=1e-5)

    # sharper: neuron 1 is a sum of kernels fed at neuron 0's spike times
    a1, b1 = 1.0 / tau_s[1], 1.0 / tau_n[1]
    t = np.linspace(0.0, t_max, 41)
    V, I = reference_potential(W, K, tau_s, tau_n, theta, inputs, t)
    V1 = w01 * h(t[:, None] - f[None, :], a1, b1).sum(axis=1)
    I1 = w01 * np.where(
        t[:, None] > f[None, :], np.exp(-a1 * np.clip(t[:, None] - f[None, :], 0, None)), 0
    ).sum(axis=1)
    np.testing.assert_allclose(V[:, 1], V1, rtol=0, atol=TRACE_TOL)
    np.testing.assert_allclose(I[:, 1], I1, rtol=0, atol=TRACE_TOL)
    assert V[:, 1].max() < theta


# --- conventions and guards -------------------------------------------------------


def test_simultaneous_crossings_both_recorded():
    # two identical neurons fed by the same input cross at the same instant; the
    # lateral weights between them must not change that (jumps in I do not move V)
    K, theta = 1, 1.0
    W = np.array([[5.0, 5.0], [0.0, -3.0], [-3.0, 0.0]])
    times, neurons = reference_spikes(W, K, 0.5, 1.0, theta, [np.array([G])], 1.0)
    a, b = 2.0, 1.0
    f1 = G + root(lambda s: 5.0 * h(s, a, b) - theta, 0.0, np.log(a / b) / (a - b))
    assert times.size >= 2
    assert list(neurons[:2]) == [0, 1]
    assert abs(times[0] - f1) < TIME_TOL and times[1] == times[0]


def test_inputs_and_parameter_shapes():
    # per-neuron arrays, empty input trains, inputs after t_max ignored
    K, N = 2, 2
    W = np.zeros((K + N, N))
    W[0, 0] = 0.5
    W[1, 1] = 0.8
    inputs = [np.array([0.1, 0.4]), np.array([], dtype=float)]
    t = np.array([0.0, 1.0, 2.0])
    V, I = reference_potential(
        W, K, np.array([0.5, 0.6]), np.array([1.0, 1.2]), np.array([1.0, 2.0]), inputs, t
    )
    a, b = 2.0, 1.0
    np.testing.assert_allclose(
        V[:, 0], 0.5 * (h(t - 0.1, a, b) + h(t - 0.4, a, b)), rtol=0, atol=TRACE_TOL
    )
    assert np.all(V[:, 1] == 0) and np.all(I[:, 1] == 0)
    times, neurons = reference_spikes(W, K, 0.5, 1.0, 1.0, [np.array([5.0]), np.array([])], 2.0)
    assert times.size == 0 and times.dtype == float and neurons.dtype.kind == "i"


def test_runaway_raises():
    # mutual excitation with growing currents never stops firing
    K = 1
    W = np.array([[5.0, 0.0], [0.0, 10.0], [10.0, 0.0]])
    with pytest.raises(RuntimeError, match="max_spikes"):
        reference_spikes(W, K, 0.5, 1.0, 1.0, [np.array([G])], 50.0, max_spikes=100)
