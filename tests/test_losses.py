"""Losses on spike times: values, derivatives and their gradients in W."""

import numpy as np
import pytest
from networks import case

import fpsnn_core as fp


def layered_sim(seed=0):
    net, inputs, t_max = case("layered", seed, tau_s=0.5)
    return net, inputs, t_max, fp.simulate(net, inputs, t_max)


def test_cross_entropy_value_by_hand():
    net, inputs, t_max, sim = layered_sim()
    outputs = list(net.layers[-1])
    res = fp.first_spike_cross_entropy(sim, outputs, 1, tau_0=0.5, gamma=0.1, tau_1=2.0)
    t = np.array([sim.spikes_of(o)[0] for o in outputs])
    z = -t / 0.5
    expect = -z[1] + np.log(np.exp(z).sum()) + 0.1 * (np.exp(t[1] / 2.0) - 1)
    assert res.value == pytest.approx(expect, rel=4e-15)
    np.testing.assert_array_equal(res.times, t)


@pytest.mark.parametrize("label", [0, 1])
def test_cross_entropy_derivative_in_times_against_differences(label):
    # perturb one first-spike time at a time through a fake simulation
    net, inputs, t_max, sim = layered_sim()
    outputs = list(net.layers[-1])
    res = fp.first_spike_cross_entropy(sim, outputs, label, tau_0=0.7, gamma=0.3, tau_1=1.5)
    idx = sim.first_spikes(outputs)
    for _n, k in enumerate(idx):
        vals = []
        for d in (1e-6, -1e-6):
            times = np.array(sim.spike_times)
            times[k] += d
            moved = fp.Simulation(
                times, sim.spike_neurons, sim.slopes, sim.inputs, sim.t_max, sim.grazing
            )
            vals.append(
                fp.first_spike_cross_entropy(
                    moved, outputs, label, tau_0=0.7, gamma=0.3, tau_1=1.5
                ).value
            )
        # central differences at 1e-6 of a smooth function: 3.3e-10 holds
        assert res.dloss_dtimes[k] == pytest.approx((vals[0] - vals[1]) / 2e-6, rel=1e-8)
    assert np.count_nonzero(res.dloss_dtimes) == len(outputs)


def test_loss_gradient_in_weights_fp_adjoint_and_finite_differences():
    net, inputs, t_max, sim = layered_sim(2)
    outputs = list(net.layers[-1])

    def loss(s):
        return fp.first_spike_cross_entropy(s, outputs, 0, gamma=0.2).value

    c = fp.first_spike_cross_entropy(sim, outputs, 0, gamma=0.2).dloss_dtimes
    g_fp = fp.fp_gradient(net, sim, c)
    g_adj = fp.adjoint_gradient(net, sim, c)
    fd = fp.finite_difference_loss_gradient(net, inputs, t_max, loss, eps=1e-6)
    assert fd.valid.sum() >= 0.9 * net.n_params
    np.testing.assert_allclose(g_adj, g_fp, rtol=0, atol=1e-14 * np.abs(g_fp).max())
    ok = fd.valid
    # finite differences through the simulation at eps = 1e-6: 1.2e-7 relative, 5.9e-10
    # absolute hold
    np.testing.assert_allclose(g_fp[ok], fd.jacobian[ok], rtol=2e-6, atol=1e-9)
    assert np.abs(g_fp).max() > 1e-3


def test_mse_and_its_gradient():
    net, inputs, t_max, sim = layered_sim(3)
    outputs = list(net.layers[-1])
    targets = [0.9, 1.3]
    res = fp.spike_time_mse(sim, outputs, targets)
    t = np.array([sim.spikes_of(o)[0] for o in outputs])
    assert res.value == pytest.approx(np.mean((t - targets) ** 2), rel=4e-15)
    fd = fp.finite_difference_loss_gradient(
        net, inputs, t_max, lambda s: fp.spike_time_mse(s, outputs, targets).value, eps=1e-6
    )
    g = fp.fp_gradient(net, sim, res.dloss_dtimes)
    np.testing.assert_allclose(g[fd.valid], fd.jacobian[fd.valid], rtol=2e-6, atol=1e-9)


def test_silent_output_is_reported_not_masked():
    net = fp.Network([[5.0, 0.2], [0.0, 0.0], [0.0, 0.0]], 1, tau_s=0.5)
    sim = fp.simulate(net, [[0.1]], 2.0)
    assert sim.spikes_of(1).size == 0
    with pytest.raises(fp.NoSpikeError, match=r"output neuron\(s\) \[1\] did not fire"):
        fp.first_spike_cross_entropy(sim, [0, 1], 0)
    res = fp.first_spike_cross_entropy(sim, [0, 1], 0, silent_time=2.0)
    assert res.silent.tolist() == [1] and res.times[1] == 2.0
    assert np.isfinite(res.value) and np.count_nonzero(res.dloss_dtimes) == 1
    with pytest.raises(fp.NoSpikeError):
        fp.spike_time_mse(sim, [1], [1.0])


def test_loss_argument_errors():
    net, inputs, t_max, sim = layered_sim()
    with pytest.raises(ValueError, match="label"):
        fp.first_spike_cross_entropy(sim, [7, 8], 2)
    with pytest.raises(ValueError, match="targets"):
        fp.spike_time_mse(sim, [7, 8], [1.0])


def test_silent_rules_values_and_derivative_against_differences():
    """``silent="exclude"`` (EventProp's rule): silent wrong outputs leave the softmax, a
    silent label makes the sample a constant; ``"t_max"``: silent outputs count at t_max.
    Derivatives in every finite time against central differences, for both rules."""
    from fpsnn_core.losses import cross_entropy_of_first_spikes as ce

    inf, t_max, kw = np.inf, 3.0, dict(tau_0=0.3, gamma=0.05, tau_1=0.8)
    T = np.array(
        [
            [0.9, 1.3, 1.1, inf],  # a silent wrong output
            [1.2, 0.7, inf, inf],  # two silent wrong outputs
            [inf, 0.8, 1.0, 1.5],  # silent label
            [1.4, 1.0, 0.6, 2.0],
        ]
    )  # all fired
    y = np.array([0, 1, 0, 2])
    v_ex, d_ex, _, quiet = ce(T, y, t_max, silent="exclude", **kw)
    v_tm, d_tm, t_used, _ = ce(T, y, t_max, silent="t_max", **kw)
    z = -T[0, :3] / 0.3  # by hand: softmax over the fired three
    assert v_ex[0] == pytest.approx(
        np.log(np.exp(z).sum()) - z[0] + 0.05 * np.expm1(0.9 / 0.8), rel=4e-15
    )
    z = -np.where(np.isinf(T[0]), t_max, T[0]) / 0.3  # t_max rule: the silent one at t_max
    assert v_tm[0] == pytest.approx(
        np.log(np.exp(z).sum()) - z[0] + 0.05 * np.expm1(0.9 / 0.8), rel=4e-15
    )
    assert v_ex[2] == pytest.approx(np.log(4) + 0.05 * np.expm1(t_max / 0.8), rel=4e-15)
    assert np.all(d_ex[2] == 0) and np.any(d_tm[2] != 0)  # silent label: no gradient
    assert np.array_equal(v_ex[3], v_tm[3]) and np.array_equal(d_ex[3], d_tm[3])
    assert np.all(d_ex[quiet] == 0) and np.all(d_tm[quiet] == 0)
    assert np.all(t_used[quiet] == t_max)
    for rule, d in (("exclude", d_ex), ("t_max", d_tm)):
        for b, c in zip(*np.nonzero(np.isfinite(T))):
            vals = []
            for e in (1e-6, -1e-6):
                moved = T.copy()
                moved[b, c] += e
                vals.append(ce(moved, y, t_max, silent=rule, **kw)[0][b])
            # holds: 3.0e-9 relative, 2.3e-10 absolute
            assert d[b, c] == pytest.approx((vals[0] - vals[1]) / 2e-6, rel=3e-8, abs=3e-9)
    with pytest.raises(ValueError, match="silent must be one of"):
        ce(T, y, t_max, silent="drop")


def _ce_by_hand(t, y, tau_0, gamma, tau_1):
    """(C1) written out for one sample: -log softmax(-t / tau_0)[y] + gamma (e^{t_y/tau_1} - 1)."""
    z = -np.asarray(t, float) / tau_0
    return np.log(np.exp(z).sum()) - z[y] + gamma * (np.exp(t[y] / tau_1) - 1)


def test_defaults_are_the_documented_ones():
    """tau_0 = 1, gamma = 0, tau_1 = 1 when not given (first-spike, batch and per-sample
    forms); the batch form checked with more samples than outputs."""
    from fpsnn_core.losses import cross_entropy, cross_entropy_of_first_spikes

    net, inputs, t_max, sim = layered_sim()
    outputs = list(net.layers[-1])
    t = np.array([sim.spikes_of(o)[0] for o in outputs])
    assert fp.first_spike_cross_entropy(sim, outputs, 0).value == pytest.approx(
        _ce_by_hand(t, 0, 1.0, 0.0, 1.0), rel=4e-15
    )
    T = np.array([[0.3, 0.9], [1.2, 0.4], [0.5, 0.5]])  # B = 3 samples, C = 2
    y = [0, 1, 1]
    values, _ = cross_entropy(T, y)
    want = [_ce_by_hand(T[b], y[b], 1.0, 0.0, 1.0) for b in range(3)]
    np.testing.assert_allclose(values, want, rtol=4e-15, atol=0)
    # gamma = 1 with tau_1 = 1 by default only where gamma is given
    values, _ = cross_entropy(T, y, gamma=1.0)
    np.testing.assert_allclose(
        values, [_ce_by_hand(T[b], y[b], 1.0, 1.0, 1.0) for b in range(3)], rtol=4e-15, atol=0
    )
    for rule in ("t_max", "exclude"):
        v, _, _, _ = cross_entropy_of_first_spikes(T, y, 2.0, silent=rule)
        np.testing.assert_allclose(v, want, rtol=4e-15, atol=0)
        v, _, _, _ = cross_entropy_of_first_spikes(T, y, 2.0, silent=rule, gamma=0.5)
        np.testing.assert_allclose(
            v, [_ce_by_hand(T[b], y[b], 1.0, 0.5, 1.0) for b in range(3)], rtol=4e-15, atol=0
        )


def test_exclude_rule_with_more_samples_than_outputs():
    """Four samples, two outputs: the label of the last sample is silent (constant loss,
    no gradient), the others keep every output (none silent)."""
    from fpsnn_core.losses import cross_entropy_of_first_spikes

    T = np.array([[0.3, 0.9], [1.2, 0.4], [0.5, 0.6], [np.inf, 0.2]])
    y = [0, 1, 1, 0]
    v, d, t_used, quiet = cross_entropy_of_first_spikes(T, y, 2.0, tau_0=0.5, silent="exclude")
    np.testing.assert_allclose(
        v[:3], [_ce_by_hand(T[b], y[b], 0.5, 0.0, 1.0) for b in range(3)], rtol=4e-15, atol=0
    )
    assert v[3] == pytest.approx(np.log(2), rel=4e-15) and np.all(d[3] == 0)
    assert np.all(d[:3] != 0) and t_used[3].tolist() == [2.0, 2.0]
    assert quiet.tolist() == [[False, False]] * 3 + [[True, False]]


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(tau_0=0.0), "tau_0"),
        (dict(tau_0=-1.0), "tau_0"),
        (dict(tau_1=0.0), "tau_1"),
        (dict(tau_1=-2.0), "tau_1"),
        (dict(gamma=float("nan")), "gamma"),
    ],
)
def test_batch_cross_entropy_refuses_bad_constants_by_name(kw, match):
    from fpsnn_core.losses import cross_entropy

    with pytest.raises(ValueError, match=match):
        cross_entropy(np.array([[0.3, 0.9]]), [0], **kw)


def test_mse_allows_a_neuron_twice_and_reports_its_times():
    """``neurons`` may repeat a neuron (each entry its own target); the result carries the
    times used and the silent ones, a silent neuron at ``silent_time``."""
    net, inputs, t_max, sim = layered_sim(3)
    o = list(net.layers[-1])
    t0 = sim.spikes_of(o[0])[0]
    res = fp.spike_time_mse(sim, [o[0], o[0]], [0.5, 1.5])
    assert res.value == pytest.approx(((t0 - 0.5) ** 2 + (t0 - 1.5) ** 2) / 2, rel=4e-15)
    k = sim.first_spikes([o[0]])[0]
    assert res.dloss_dtimes[k] == pytest.approx((t0 - 0.5) + (t0 - 1.5), rel=4e-15)
    assert res.times.tolist() == [t0, t0] and len(res.silent) == 0
    quiet = fp.Network(np.zeros((2, 1)), 1)  # never fires
    qsim = fp.simulate(quiet, [[0.1]], 3.0)
    res = fp.spike_time_mse(qsim, [0], [1.0], silent_time=3.0)
    assert res.value == 4.0 and res.times.tolist() == [3.0] and list(res.silent) == [0]
    assert res.dloss_dtimes.shape == (0,)
