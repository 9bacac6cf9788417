"""Spike times against an independent ODE integration and against hand-worked cases."""

import math

import numpy as np
import pytest
from networks import case
from reference import reference_spikes
from scipy.optimize import brentq

import fpsnn_core as fp

# The ODE reference (tests/reference.py, DOP853 at rtol 1e-13) agrees with the event loop
# to 7.4e-14 in the spike times over these cases; checked at 1e-12.
ODE_TOL = 1e-12

CASES = [
    (kind, seed, tau_s)
    for kind in ("recurrent", "layered")
    for seed in (0, 2, 3)
    for tau_s in (0.5, 1.0)
]


@pytest.mark.parametrize("kind,seed,tau_s", CASES)
def test_spike_times_match_ode_integration(kind, seed, tau_s):
    t_max = 4.0 if tau_s != 1.0 else 2.0
    net, inputs, t_max = case(kind, seed, tau_s=tau_s, t_max=t_max)
    sim = fp.simulate(net, inputs, t_max)
    ref_t, ref_n = reference_spikes(
        np.asarray(net.weights), net.n_inputs, net.tau_s, net.tau_n, net.theta, inputs, t_max
    )
    counts = sim.spike_counts(net.n_neurons)
    assert counts.min() >= 1 and counts.max() >= 3, "the case must make neurons fire several times"
    assert sim.n_spikes == ref_t.size
    np.testing.assert_array_equal(sim.spike_neurons, ref_n)
    np.testing.assert_allclose(sim.spike_times, ref_t, rtol=0, atol=ODE_TOL)


def test_per_neuron_constants_match_ode_integration():
    rng = np.random.default_rng(11)
    net, inputs, t_max = case("recurrent", 11)
    net = fp.Network(
        net.weights,
        net.n_inputs,
        tau_s=rng.uniform(0.3, 1.5, 4),
        tau_n=rng.uniform(0.5, 1.5, 4),
        theta=rng.uniform(0.7, 1.3, 4),
    )
    sim = fp.simulate(net, inputs, t_max)
    ref_t, ref_n = reference_spikes(
        np.asarray(net.weights), 2, net.tau_s, net.tau_n, net.theta, inputs, t_max
    )
    assert sim.n_spikes == ref_t.size > 8
    np.testing.assert_array_equal(sim.spike_neurons, ref_n)
    np.testing.assert_allclose(sim.spike_times, ref_t, rtol=0, atol=ODE_TOL)


def test_hand_worked_single_neuron_two_inputs_one_spike():
    # One neuron, tau_s = 0.5 (a = 2), tau_n = 1 (b = 1), theta = 1, two input channels
    # spiking at g1 = 0 (weight w1 = 2) and g2 = 0.5 (weight w2 = 3).
    # Kernel h(t) = (exp(-a t) - exp(-b t)) / (b - a) = exp(-t) - exp(-2 t).
    # Before g2: V = 2 h(t) has its maximum 2 * 1/4 = 0.5 at t = ln 2 < 1: no spike.
    # After g2:  V(t) = 2 (e^-t - e^-2t) + 3 (e^-(t-.5) - e^-2(t-.5)).
    # With x = e^-t:  V = x (2 + 3 e^.5) - x^2 (2 + 3 e) = 1, a quadratic in x:
    #   c2 x^2 - c1 x + 1 = 0,  c1 = 2 + 3 e^0.5 = 6.946164..., c2 = 2 + 3 e = 10.154845...
    #   x = (c1 + sqrt(c1^2 - 4 c2)) / (2 c2)   (the larger root: the earlier time)
    #     = (6.946164 + sqrt(48.24919 - 40.61938)) / 20.30969 = (6.946164 + 2.762211) / 20.30969
    #     = 0.478016,   f = -ln x = 0.738131
    # One spike only: after the reset V = 0 and V(f+s) = I(f) h(s) with I(f) = 2 e^{-2f}
    # + 3 e^{-2(f-.5)} = 1.8973..., whose maximum 1.8973/4 = 0.474 < 1.
    c1, c2 = 2 + 3 * math.exp(0.5), 2 + 3 * math.e
    f = -math.log((c1 + math.sqrt(c1 * c1 - 4 * c2)) / (2 * c2))
    assert f == pytest.approx(0.738109, abs=1e-6)
    net = fp.Network([[2.0], [3.0], [0.0]], 2, tau_s=0.5, tau_n=1.0, theta=1.0)
    sim = fp.simulate(net, [[0.0], [0.5]], 5.0)
    assert sim.n_spikes == 1
    assert sim.spike_times[0] == pytest.approx(f, rel=4e-16, abs=4e-16)
    # the slope at threshold: V'(f) = I(f) - b theta
    I_f = 2 * math.exp(-2 * f) + 3 * math.exp(-2 * (f - 0.5))
    assert sim.slopes[0] == pytest.approx(I_f - 1.0, rel=1e-14)  # holds: 6.7e-16


def test_equal_time_constants_hand_worked():
    # a == b == 1: h(t) = t e^-t. One input of weight w = 5 at 0: V = 5 t e^-t, which
    # first reaches 1 before its maximum at t = 1. After the reset at f1 the potential is
    # V(t) = 5 t e^-t - e^-(t - f1) (docs/model.md#the-closed-form), which reaches 1
    # again at f2.
    net = fp.Network([[5.0], [0.0]], 1, tau_s=1.0, tau_n=1.0, theta=1.0)
    sim = fp.simulate(net, [[0.0]], 1.0)
    f1 = brentq(lambda t: 5 * t * math.exp(-t) - 1, 1e-9, 1.0, xtol=1e-16, rtol=8.9e-16)
    f2 = brentq(
        lambda t: 5 * t * math.exp(-t) - math.exp(-(t - f1)) - 1,
        f1 + 1e-9,
        1.0,
        xtol=1e-16,
        rtol=8.9e-16,
    )
    assert sim.n_spikes == 2
    np.testing.assert_allclose(sim.spike_times, [f1, f2], rtol=2e-15)  # 1.7e-16


def test_continuous_as_time_constants_meet():
    net, inputs, t_max = case("recurrent", 4, tau_s=1.0, t_max=2.0)
    base = fp.simulate(net, inputs, t_max)
    for delta in (1e-7, -1e-7):
        near = fp.simulate(fp.Network(net.weights, 2, tau_s=1.0 + delta, tau_n=1.0), inputs, t_max)
        np.testing.assert_array_equal(near.spike_neurons, base.spike_neurons)
        # the times move by O(delta): 1.6e-7 here
        np.testing.assert_allclose(near.spike_times, base.spike_times, rtol=0, atol=1e-6)
        assert np.max(np.abs(near.spike_times - base.spike_times)) > 0


def test_several_spikes_between_inputs_and_after_the_last_input():
    net = fp.Network([[30.0], [0.0]], 1, tau_s=0.5, tau_n=1.0, theta=1.0)
    sim = fp.simulate(net, [[0.1]], 3.0)
    assert sim.n_spikes >= 5 and np.all(sim.spike_times > 0.1)
    ref_t, _ = reference_spikes(np.asarray(net.weights), 1, 0.5, 1.0, 1.0, [[0.1]], 3.0)
    np.testing.assert_allclose(sim.spike_times, ref_t, rtol=0, atol=ODE_TOL)


def test_threshold_reached_at_the_crossing():
    net, inputs, t_max = case("recurrent", 2)
    sim = fp.simulate(net, inputs, t_max)
    tr = fp.potentials(net, sim, sim.spike_times)
    V_at_spike = tr.V[np.arange(sim.n_spikes), sim.spike_neurons]
    np.testing.assert_allclose(V_at_spike, 1.0, rtol=0, atol=1e-14)  # 1.3e-15


def test_silent_network_has_no_spikes():
    net = fp.Network([[0.3], [0.0]], 1)
    sim = fp.simulate(net, [[0.1, 0.2]], 5.0)
    assert sim.n_spikes == 0 and sim.spike_times.shape == (0,)
    assert sim.first_spikes([0]).tolist() == [-1]


def test_runaway_firing_stops_with_a_clear_error():
    W = np.array([[5.0, 0.0], [0.0, 50.0], [50.0, 0.0]])
    net = fp.Network(W, 1)
    with pytest.raises(fp.RunawayFiringError, match="spike budget max_spikes=500"):
        fp.simulate(net, [[0.0]], 100.0, max_spikes=500)


def test_grazing_crossing_is_flagged():
    # a = 2, b = 1: one input of weight w gives V = w (e^-t - e^-2t) with maximum w / 4.
    # w = 4 (1 + 1e-14) just touches theta = 1 at t = ln 2, where V'' = -2: the slope at
    # the crossing is ~ sqrt(2 * 2 * 1e-14) = 2e-7, relative to b theta + I = 2: 1e-7 < 1e-6.
    net = fp.Network([[4.0 * (1 + 1e-14)], [0.0]], 1, tau_s=0.5, tau_n=1.0)
    sim = fp.simulate(net, [[0.0]], 3.0)
    # the crossing lies sqrt(2 * 1e-14 / 2) = 1e-7 before the peak ln 2 (9.9e-8 measured)
    assert sim.n_spikes == 1 and sim.spike_times[0] == pytest.approx(math.log(2), abs=1e-6)
    assert sim.grazing.tolist() == [0]
    with pytest.raises(fp.GrazingSpikeError, match="grazes"):
        fp.spike_time_jacobian(net, sim)
    clear = fp.simulate(fp.Network([[4.4], [0.0]], 1, tau_s=0.5, tau_n=1.0), [[0.0]], 3.0)
    assert clear.grazing.size == 0


def test_inputs_at_equal_times_and_spike_at_an_input_time():
    # channels firing together are delivered together; a neuron firing exactly when an
    # input arrives fires from its state before that input (strictly earlier events only)
    net = fp.Network([[5.0], [1.0], [0.0]], 2, tau_s=0.5, tau_n=1.0)
    first = fp.simulate(
        fp.Network([[5.0], [0.0], [0.0]], 2, tau_s=0.5, tau_n=1.0), [[0.0], []], 3.0
    ).spike_times[0]
    sim = fp.simulate(net, [[0.0], [first]], 3.0)
    assert sim.spike_times[0] == first
    assert sim.ties == 1
    assert sim.slopes[0] == pytest.approx(
        fp.simulate(
            fp.Network([[5.0], [0.0], [0.0]], 2, tau_s=0.5, tau_n=1.0), [[0.0], []], 3.0
        ).slopes[0],
        rel=1e-15,
    )


@pytest.mark.parametrize(
    "inputs,t_max,match",
    [
        ([[0.1]], 0.0, "t_max"),
        ([[0.1]], float("nan"), "t_max"),
        ([[-0.1]], 1.0, ">= 0"),
        ([[-float("inf")]], 1.0, ">= 0"),
        ([[float("nan")]], 1.0, "not nan"),
        ([[0.1], [0.2]], 1.0, "one spike train per input channel"),
        ([["a"]], 1.0, "numbers"),
    ],
)
def test_bad_inputs_raise_clear_errors(inputs, t_max, match):
    net = fp.Network([[1.0], [0.0]], 1)
    with pytest.raises(ValueError, match=match):
        fp.simulate(net, inputs, t_max)


def test_inputs_after_t_max_are_ignored_and_order_does_not_matter():
    net = fp.Network([[3.0], [0.0]], 1, tau_s=0.5)
    a = fp.simulate(net, [[0.5, 0.1, 9.0, float("inf")]], 2.0)  # inf: no spike
    b = fp.simulate(net, [[0.1, 0.5]], 2.0)
    np.testing.assert_array_equal(a.spike_times, b.spike_times)
    assert a.inputs[0].tolist() == [0.1, 0.5]


def test_two_neurons_firing_at_exactly_the_same_time():
    # identical drive: both cross at the same float time; they are ordered by index, the
    # first does not influence the second at that instant, and the tie is counted
    W = np.array([[4.5, 4.5], [0.0, 0.7], [0.7, 0.0]])
    net = fp.Network(W, 1, tau_s=0.5)
    sim = fp.simulate(net, [[0.0]], 0.8)
    assert sim.spike_neurons[:2].tolist() == [0, 1]
    assert sim.spike_times[0] == sim.spike_times[1]
    assert sim.slopes[0] == sim.slopes[1]
    assert sim.ties >= 1
    L = fp.implicit_system(net, sim).L.toarray()
    assert L[1, 0] == 0.0
    fd = fp.finite_difference_jacobian(net, [[0.0]], 0.8, eps=1e-6, entries=[(0, 0)])
    assert not fd.valid[0, 0] and "reorders" in fd.reasons[(0, 0)]


def test_event_loop_crossing_equals_the_array_crossing():
    """The event loop's float specialisation ``_Neuron.crossing`` and the array search
    ``simulate.crossing`` of the batched path: the same crossing (or none) on random states,
    with a < b, a > b and a == b, rising and falling potentials, short and long horizons."""
    from fpsnn_core.simulate import _Neuron, crossing

    rng = np.random.default_rng(5)
    n = 3000
    V0 = rng.uniform(-1.0, 0.999, n)
    I0 = rng.uniform(-1.0, 6.0, n)
    hz = rng.choice([0.05, 0.5, 5.0, 50.0], n)
    found = 0
    for a, b, theta in [(1 / 0.99, 1.0, 1.0), (0.5, 2.0, 1.0), (3.0, 1.0, 0.8), (1.0, 1.0, 1.0)]:
        vec = crossing(V0, I0, hz, a, b, theta)
        nrn = _Neuron(a, b, theta)
        one = np.array([nrn.crossing(v, i, h) for v, i, h in zip(V0, I0, hz)])
        np.testing.assert_array_equal(np.isfinite(vec), np.isfinite(one))
        fin = np.isfinite(one)
        np.testing.assert_allclose(vec[fin], one[fin], rtol=1e-13, atol=0)
        found += fin.sum()
    assert found > 1000


def _peak_by_root(V0, I0, a, b):
    """Where ``V'(s) = -b V0 exp(-b s) + I0 h'(s)`` vanishes for ``s > 0`` (the plain
    two-exponential ``h``, or ``s exp(-b s)`` when ``a == b``), by Brent's method; ``inf``
    when ``V`` does not rise first (``V'(0) <= 0``) or never turns."""

    def dV(s):
        if a == b:
            dh = (1 - b * s) * math.exp(-b * s)
        else:
            dh = (b * math.exp(-b * s) - a * math.exp(-a * s)) / (b - a)
        return -b * V0 * math.exp(-b * s) + I0 * dh

    hi = 60 / min(a, b)
    if dV(0.0) <= 0 or dV(hi) >= 0:
        return math.inf
    return brentq(dV, 0.0, hi, xtol=1e-16, rtol=8.9e-16)


def test_peak_time_is_where_the_potential_turns():
    """``peak_time`` (S2) against the root of ``V'`` found here, on random rising states with
    a < b, a > b, b - a == 1 exactly, and a == b as an array entry and as shared floats;
    and ``arg = -V0 (b - a) / I0`` of exactly -1, where ``V`` never turns (inf)."""
    from fpsnn_core.simulate import peak_time

    rng = np.random.default_rng(8)
    n = 60
    V0, I0 = rng.uniform(-1.0, 0.95, n), rng.uniform(0.05, 5.0, n)
    checked = 0
    for a, b in [(2.0, 1.0), (0.5, 3.0), (1.0, 2.0), (2.5, 2.5)]:
        rising = I0 - b * V0 > 0  # the crossing search's case
        got = peak_time(V0[rising], I0[rising], a, b)
        want = np.array([_peak_by_root(v, i, a, b) for v, i in zip(V0[rising], I0[rising])])
        fin = np.isfinite(want)
        np.testing.assert_array_equal(np.isfinite(got), fin)
        np.testing.assert_allclose(got[fin], want[fin], rtol=1e-14, atol=0)  # 8.5e-16 holds
        checked += fin.sum()
    # per-entry constants, one entry with a == b (the limit branch of the array form)
    a = np.array([2.0, 2.5, 0.5, 1.5])
    b = np.array([1.0, 2.5, 3.0, 2.5])
    V0s, I0s = np.array([0.2, 0.3, -0.4, 0.1]), np.array([2.0, 3.0, 1.5, 0.9])
    got = peak_time(V0s, I0s, a, b)
    want = [_peak_by_root(*x) for x in zip(V0s, I0s, a, b)]
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    assert checked > 100
    # arg == -1 exactly: V0 (b - a) = I0, V' = I0 exp(-a s) > 0 for ever, no peak
    assert peak_time(np.array([0.5]), np.array([1.0]), 1.0, 3.0).tolist() == [math.inf]


def test_crossing_search_converges_like_newtons_method():
    """The crossing search starts at the root of the second-order Taylor expansion and takes
    Newton steps: on random states below threshold it needs fewer than 5.3 iterations per
    crossing (4.8-5.1 hold, array and float search alike; started at the bracket's middle
    or from a wrong Taylor root it needs 5.4-6.7, by bisection alone about fifty). Counted
    by wrapping ``kernel_pair`` and ``math.exp`` of the module; the counts are
    deterministic for the seeded states."""
    import sys
    import types

    from fpsnn_core.simulate import _Neuron, crossing

    mod = sys.modules["fpsnn_core.simulate"]
    rng = np.random.default_rng(5)
    n = 2000
    I0 = rng.uniform(-1.0, 6.0, n)
    hz = rng.choice([0.05, 0.5, 5.0, 50.0], n)
    work, exps = [], [0]
    kernel_pair, real_math = mod.kernel_pair, mod.math

    def counted_pair(x, *args, **kwargs):
        work.append(np.size(x))
        return kernel_pair(x, *args, **kwargs)

    def counted_exp(x):
        exps[0] += 1
        return math.exp(x)

    fake_math = types.SimpleNamespace(
        **{k: getattr(math, k) for k in dir(math) if not k.startswith("_")}
    )
    fake_math.exp = counted_exp
    try:
        mod.kernel_pair, mod.math = counted_pair, fake_math
        for a, b, theta in [
            (1 / 0.99, 1.0, 1.0),
            (0.5, 2.0, 1.0),
            (3.0, 1.0, 0.8),
            (1.0, 1.0, 1.0),
        ]:
            V0 = rng.uniform(-1.0, 0.999 * theta, n)
            work.clear()
            found = np.isfinite(crossing(V0, I0, hz, a, b, theta)).sum()
            per_crossing = sum(work[1:]) / found  # work[0]: the reach test
            nrn = _Neuron(a, b, theta)
            calls = []
            for v, i, h in zip(V0, I0, hz):
                exps[0] = 0
                if math.isfinite(nrn.crossing(v, i, h)):
                    calls.append(exps[0])
            # the float search calls exp twice before iterating (the reach test), then once
            # per iteration, or twice when b is not the smaller rate
            float_iterations = (np.mean(calls) - 2) / (1 if b == min(a, b) else 2)
            assert found > 300 and len(calls) == found
            assert per_crossing < 5.3, (a, b, per_crossing)
            assert float_iterations < 5.3, (a, b, float_iterations)
    finally:
        mod.kernel_pair, mod.math = kernel_pair, real_math
