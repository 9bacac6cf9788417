"""Exact derivatives with respect to input spike times, thresholds and time constants.

Checked four independent ways on random recurrent networks in which every neuron fires
several times, with per-neuron constants: against the implicit system written out here
and differentiated by complex steps, against central differences of the ODE reference
simulator (``tests/reference.py``, no fpsnn code), FP against the adjoint solve, and two
exact scaling identities that tie every derivative to the weight derivatives. The kernel's
rate derivatives are checked against mpmath through and near ``tau_s == tau_n``.
"""

import mpmath
import numpy as np
import pytest
from networks import random_recurrent
from reference import reference_spikes

import fpsnn_core as fp
from fpsnn_core.kernels import kernel_rate_derivatives

N = 4
PARAMS = ("inputs", "theta", "tau_s", "tau_n")


def network(seed, kind):
    """Fully recurrent, per-neuron thresholds; ``kind`` picks the time constants:
    ``distinct`` (random per neuron), ``mixed`` (half the neurons with ``tau_s == tau_n``),
    ``near`` (``tau_s = tau_n (1 + 1e-9)``), ``equal`` (``tau_s == tau_n`` everywhere)."""
    rng = np.random.default_rng(seed)
    tau_n = rng.uniform(0.7, 1.4, N)
    tau_s = {
        "distinct": rng.uniform(0.3, 1.4, N),
        "equal": tau_n,
        "near": tau_n * (1 + 1e-9),
        "mixed": np.where(np.arange(N) % 2, tau_n, rng.uniform(0.3, 1.4, N)),
    }[kind]
    theta = rng.uniform(0.8, 1.2, N)
    net, inputs, t_max = random_recurrent(
        rng, K=2, N=N, tau_s=tau_s, tau_n=tau_n, theta=theta, t_max=3.0
    )
    sim = fp.simulate(net, inputs, t_max)
    # several spikes per neuron, none grazing, no ties: derivatives exist everywhere
    assert sim.spike_counts(N).min() >= 2 and sim.grazing.size == 0 and sim.ties == 0
    return net, inputs, t_max, sim


# every neuron fires at least twice in each (asserted in network())
CASES = (
    [("distinct", s) for s in (0, 1, 3)]
    + [("mixed", s) for s in (0, 4)]
    + [("near", s) for s in (1, 3)]
    + [("equal", s) for s in (0, 3)]
)


# --- the kernel's rate derivatives (K1) ---------------------------------------------


def plain_rate_derivatives(t, a, b):
    """dh/da, dh/db from the plain quotient in 100 digits (the two cancellations cost up to
    45 near a == b); the limit formula at a == b."""
    with mpmath.workdps(100):
        T, A, B = mpmath.mpf(t), mpmath.mpf(a), mpmath.mpf(b)
        if A == B:
            both = -T * T * mpmath.exp(-B * T) / 2
            return float(both), float(both)
        h = (mpmath.exp(-A * T) - mpmath.exp(-B * T)) / (B - A)
        return (
            float((h - T * mpmath.exp(-A * T)) / (B - A)),
            float((T * mpmath.exp(-B * T) - h) / (B - A)),
        )


@pytest.mark.parametrize("b", [1.0, 2.5])
def test_kernel_rate_derivatives_against_mpmath_through_the_limit(b):
    # a = b (1 + d) for d from 1 down to 1e-16 (a == b in floats) on either side, and t
    # such that |(a - b) t| crosses the series' switch at 1: (K1) holds to a few ulp
    worst = 0.0
    for d in [3.0, 1.0, -0.5] + [s * 10.0**-k for k in range(1, 17) for s in (1, -1)]:
        a = b * (1 + d)
        switch = [x / abs(a - b) for x in (0.999, 1.001) if x < 30 * abs(a - b)]
        for t in [1e-7, 0.05, 0.4, 2.0, 9.0] + switch:
            got = kernel_rate_derivatives(t, a, b)
            for g, w in zip(got, plain_rate_derivatives(t, a, b)):
                worst = max(worst, abs(g - w) / abs(w))
    assert worst < 3e-15, worst  # holds: 1.8e-15


def test_the_plain_quotient_loses_the_digits_that_k1_keeps():
    a, b, t = 1.0 + 1e-9, 1.0, 2.0
    naive = (fp.kernel(t, a, b) - t * np.exp(-a * t)) / (b - a)
    exact = plain_rate_derivatives(t, a, b)[0]
    assert abs(naive - exact) > 1e-9 * abs(exact)  # 8 digits lost
    assert float(kernel_rate_derivatives(t, a, b)[0]) == pytest.approx(exact, rel=1e-15)
    # exactly at the limit, both are -t^2 exp(-b t) / 2; zero before the spike
    da, db = kernel_rate_derivatives(np.array([-1.0, 0.0, t]), b, b)
    np.testing.assert_array_equal(da, db)
    assert da[:2].tolist() == [0.0, 0.0] and da[2] == pytest.approx(-2.0 * np.exp(-2.0), rel=1e-15)


# --- the implicit system, written out and differentiated by complex steps -------------


def implicit_jacobians(net, sim):
    """``L = dPhi/dF`` and ``dPhi/dp`` for each parameter kind, from ``Phi_k = V_i(f_k) -
    theta_i`` written with the plain kernel ``(exp(-a s) - exp(-b s)) / (b - a)`` and
    differentiated by complex steps (exact to rounding; needs ``tau_s != tau_n``)."""
    K, S = net.n_inputs, sim.n_spikes
    g_in = np.concatenate([np.asarray(t, float) for t in sim.inputs])
    src = np.concatenate(
        [np.full(len(t), j) for j, t in enumerate(sim.inputs)] + [K + sim.spike_neurons]
    ).astype(int)
    base_t = np.concatenate([g_in, sim.spike_times])
    who = sim.spike_neurons
    earlier = base_t[None, :] < sim.spike_times[:, None]  # (S, E), fixed structure
    wired = net.mask[src[None, :], who[:, None]] & earlier
    own = (src[None, :] == K + who[:, None]) & earlier

    def phi(F, g, theta, tau_s, tau_n):
        t = np.concatenate([g, F])
        a, b = 1 / tau_s[who], 1 / tau_n[who]
        s = F[:, None] - t[None, :]
        s_ok = np.where(wired | own, s, 1.0)
        h = (np.exp(-a[:, None] * s_ok) - np.exp(-b[:, None] * s_ok)) / (b - a)[:, None]
        W = net.weights[src[None, :], who[:, None]]
        V = np.where(wired, W * h, 0).sum(1) - theta[who] * np.where(
            own, np.exp(-b[:, None] * s_ok), 0
        ).sum(1)
        return V - theta[who]

    x0 = [sim.spike_times, g_in, net.theta, net.tau_s, net.tau_n]
    out = []
    for v, x in enumerate(x0):
        cols = []
        for p in range(x.size):
            step = 1e-30
            args = [np.array(y, dtype=complex) for y in x0]
            args[v][p] += 1j * step
            cols.append(phi(*args).imag / step)
        out.append(np.array(cols).T.reshape(S, x.size))
    return out[0], dict(zip(PARAMS, out[1:]))


@pytest.mark.parametrize("kind,seed", [c for c in CASES if c[0] == "distinct"])
def test_fp_equals_an_independent_solve_of_the_implicit_system(kind, seed):
    net, inputs, t_max, sim = network(seed, kind)
    L, dphi = implicit_jacobians(net, sim)
    assert np.allclose(L, np.tril(L))  # causal: lower triangular
    for wrt in PARAMS:
        want = -np.linalg.solve(L, dphi[wrt])
        got = fp.spike_time_jacobian(net, sim, wrt=wrt)
        assert got.shape == want.shape
        # holds: 3.1e-14 of the largest entry
        np.testing.assert_allclose(got, want, rtol=0, atol=5e-14 * np.abs(want).max())


# --- central differences of the ODE reference -------------------------------------------


def perturbed_times(net, inputs, t_max, wrt, p, delta):
    """Spike times by the ODE reference with parameter ``p`` of kind ``wrt`` moved by
    ``delta`` (input spikes numbered channel by channel, ascending within a channel)."""
    consts = {
        "theta": np.array(net.theta),
        "tau_s": np.array(net.tau_s),
        "tau_n": np.array(net.tau_n),
    }
    trains = [np.sort(np.asarray(t, float)) for t in inputs]
    if wrt == "inputs":
        sizes = np.cumsum([0] + [t.size for t in trains])
        j = int(np.searchsorted(sizes, p, side="right") - 1)
        trains[j][p - sizes[j]] += delta
    else:
        consts[wrt][p] += delta
    return reference_spikes(
        net.weights, net.n_inputs, consts["tau_s"], consts["tau_n"], consts["theta"], trains, t_max
    )


@pytest.mark.parametrize("kind,seed", [("distinct", 0), ("mixed", 4), ("near", 1), ("equal", 3)])
def test_fp_equals_central_differences_of_the_ode_reference(kind, seed):
    net, inputs, t_max, sim = network(seed, kind)
    eps = 1e-5
    for wrt in PARAMS:
        J = fp.spike_time_jacobian(net, sim, wrt=wrt)
        fd = np.empty_like(J)
        for p in range(J.shape[1]):
            runs = [perturbed_times(net, inputs, t_max, wrt, p, s * eps) for s in (1, -1)]
            for _times, neurons in runs:  # same spikes, same order
                assert np.array_equal(neurons, sim.spike_neurons), (wrt, p)
            fd[:, p] = (runs[0][0] - runs[1][0]) / (2 * eps)
        # holds: 2.3e-8 of the largest entry (the reference's ~1e-13 in time over 2 eps,
        # plus eps^2 of the third derivative)
        np.testing.assert_allclose(J, fd, rtol=0, atol=5e-8 * np.abs(J).max(), err_msg=wrt)
        assert np.abs(J).max() > 0.05


# --- FP against the adjoint, and scaling identities -----------------------------------


@pytest.mark.parametrize("kind,seed", CASES)
def test_fp_equals_adjoint_for_every_parameter(kind, seed):
    net, inputs, t_max, sim = network(seed, kind)
    rng = np.random.default_rng(seed)
    ce = fp.first_spike_cross_entropy(sim, [0, 1, 2], 1).dloss_dtimes
    for wrt in PARAMS:
        J = fp.spike_time_jacobian(net, sim, wrt=wrt)
        for c in (rng.normal(size=sim.n_spikes), np.eye(sim.n_spikes)[-1], ce):
            g = c @ J
            scale = np.abs(g).max()
            assert scale > 0
            # holds: 7e-15 of the largest entry
            np.testing.assert_allclose(
                fp.adjoint_gradient(net, sim, c, wrt=wrt), g, rtol=0, atol=3e-14 * scale
            )
            np.testing.assert_allclose(
                fp.fp_gradient(net, sim, c, wrt=wrt), g, rtol=0, atol=3e-14 * scale
            )
        # rows of some spikes: FP over their causal past only, same numbers (holds: equal)
        some = [0, sim.n_spikes // 2, sim.n_spikes - 1]
        np.testing.assert_allclose(
            fp.spike_time_jacobian(net, sim, some, wrt=wrt),
            J[some],
            rtol=0,
            atol=1e-14 * np.abs(J).max(),
        )


@pytest.mark.parametrize("kind,seed", CASES)
def test_scaling_identities_tie_every_derivative_to_the_weights(kind, seed):
    # theta -> c theta, W -> c W leaves every spike time alone; time -> c time (time
    # constants and input times) with W -> W / c scales every spike time by c; all input
    # spikes moved by d move every spike by d. At c = 1, d = 0:
    #   sum theta dF/dtheta + sum W dF/dW = 0
    #   sum tau_s dF/dtau_s + sum tau_n dF/dtau_n + sum g dF/dg - sum W dF/dW = F
    #   sum dF/dg = 1
    net, inputs, t_max, sim = network(seed, kind)
    dW = np.tensordot(fp.spike_time_jacobian(net, sim), net.weights, axes=([1, 2], [0, 1]))
    jac = {wrt: fp.spike_time_jacobian(net, sim, wrt=wrt) for wrt in PARAMS}
    g_in = np.concatenate([np.asarray(t, float) for t in sim.inputs])
    F = sim.spike_times
    # holds: 2.7e-15 of the largest spike time
    np.testing.assert_allclose(jac["theta"] @ net.theta + dW, 0, atol=1e-14 * F.max())
    time_scale = jac["tau_s"] @ net.tau_s + jac["tau_n"] @ net.tau_n + jac["inputs"] @ g_in - dW
    np.testing.assert_allclose(time_scale, F, rtol=0, atol=1e-14 * F.max())
    np.testing.assert_allclose(jac["inputs"].sum(axis=1), 1.0, rtol=0, atol=1e-14)  # 1.3e-15
    for wrt in PARAMS:  # zeros are +0.0, as for the weights
        assert not np.signbit(jac[wrt][jac[wrt] == 0]).any()


def test_each_parameter_only_moves_what_it_can_reach():
    net, inputs, t_max, sim = network(0, "distinct")
    for wrt in ("theta", "tau_s", "tau_n"):
        J = fp.spike_time_jacobian(net, sim, wrt=wrt)
        first = np.array([np.flatnonzero(sim.spike_neurons == i)[0] for i in range(N)])
        # before neuron i's first spike nothing depends on its constants ...
        for i in range(N):
            assert np.all(J[: first[i], i] == 0)
            assert J[first[i], i] != 0  # ... and its first spike does
    J = fp.spike_time_jacobian(net, sim, wrt="inputs")
    g_in = np.concatenate([np.asarray(t, float) for t in sim.inputs])
    assert J.shape == (sim.n_spikes, g_in.size)
    assert np.all(J[sim.spike_times[:, None] <= g_in[None, :]] == 0)  # only later spikes move
    # the input weights are excitatory (random_recurrent): each input spike, moved later,
    # delays some spike after it
    assert np.all(J.max(axis=0) > 0)


def test_weights_unchanged_and_default_is_w():
    net, inputs, t_max, sim = network(1, "distinct")
    c = np.random.default_rng(0).normal(size=sim.n_spikes)
    np.testing.assert_array_equal(
        fp.spike_time_jacobian(net, sim), fp.spike_time_jacobian(net, sim, wrt="W")
    )
    for fn in (fp.fp_gradient, fp.adjoint_gradient):
        np.testing.assert_array_equal(fn(net, sim, c), fn(net, sim, c, wrt="W"))


def test_bad_wrt_grazing_and_no_loss():
    net, inputs, t_max, sim = network(1, "distinct")
    c = np.ones(sim.n_spikes)
    for bad in ("bias", "Theta", None, 3, ["W"]):
        for call in (
            lambda: fp.spike_time_jacobian(net, sim, wrt=bad),
            lambda: fp.fp_gradient(net, sim, c, wrt=bad),
            lambda: fp.adjoint_gradient(net, sim, c, wrt=bad),
        ):
            with pytest.raises(ValueError, match="^wrt must be one of 'W', 'inputs'"):
                call()
    zero = np.zeros(sim.n_spikes)
    n_in = sum(len(t) for t in sim.inputs)
    for wrt, shape in (("inputs", (n_in,)), ("theta", (N,)), ("tau_s", (N,)), ("tau_n", (N,))):
        for fn in (fp.fp_gradient, fp.adjoint_gradient):
            out = fn(net, sim, zero, wrt=wrt)
            assert out.shape == shape and not out.any()
    # a spike that only grazes the threshold is refused for every parameter
    W = np.array([[4.0 * (1 + 1e-14)], [0.0]])
    graze_net = fp.Network(W, 1, tau_s=0.5, tau_n=1.0)
    graze = fp.simulate(graze_net, [[0.0]], 3.0)
    assert graze.grazing.size == 1
    for wrt in PARAMS:
        with pytest.raises(fp.GrazingSpikeError, match="grazes"):
            fp.spike_time_jacobian(graze_net, graze, wrt=wrt)
        with pytest.raises(fp.GrazingSpikeError, match="grazes"):
            fp.adjoint_gradient(graze_net, graze, np.ones(graze.n_spikes), wrt=wrt)
