"""FP against central finite differences and against the adjoint solve."""

import numpy as np
import pytest
from networks import case

import fpsnn_core as fp

CASES = [
    (kind, seed, tau_s)
    for kind in ("recurrent", "layered")
    for seed in (0, 2, 3)
    for tau_s in (0.5, 1.0)
]


def setup(kind, seed, tau_s):
    return case(kind, seed, tau_s=tau_s, t_max=4.0 if tau_s != 1.0 else 2.0)


def assert_fp_matches_fd(J, fd, rtol=1e-5, atol=1e-8):
    assert fd.valid.any()
    ok = fd.valid
    err = np.abs(J[:, ok] - fd.jacobian[:, ok])
    assert np.all(err <= rtol * np.abs(J[:, ok]) + atol), f"max error {err.max():.3g}"


@pytest.mark.parametrize("kind,seed,tau_s", CASES)
def test_fp_equals_central_finite_differences(kind, seed, tau_s):
    net, inputs, t_max = setup(kind, seed, tau_s)
    sim = fp.simulate(net, inputs, t_max)
    J = fp.spike_time_jacobian(net, sim)
    assert J.shape == (sim.n_spikes, net.n_sources, net.n_neurons)
    fd = fp.finite_difference_jacobian(net, inputs, t_max, eps=1e-6)
    assert fd.valid.sum() >= 0.9 * net.n_params, fd.reasons
    assert_fp_matches_fd(J, fd)
    assert np.all(J[:, ~net.mask] == 0)
    # gradients through several spikes of one neuron are non-trivial
    assert np.abs(J).max() > 0.1


@pytest.mark.parametrize("kind,seed,tau_s", CASES)
def test_fp_equals_adjoint(kind, seed, tau_s):
    net, inputs, t_max = setup(kind, seed, tau_s)
    sim = fp.simulate(net, inputs, t_max)
    J = fp.spike_time_jacobian(net, sim)
    rng = np.random.default_rng(seed)
    for c in (rng.normal(size=sim.n_spikes), np.eye(sim.n_spikes)[-1]):
        g_fp = np.tensordot(c, J, axes=1)
        g_adj = fp.adjoint_gradient(net, sim, c)
        scale = np.abs(g_fp).max()
        # holds: 6.3e-16 of the largest entry (adjoint), 0 (fp_gradient)
        np.testing.assert_allclose(g_adj, g_fp, rtol=0, atol=1e-14 * scale)
        np.testing.assert_allclose(fp.fp_gradient(net, sim, c), g_fp, rtol=0, atol=1e-14 * scale)


def test_fp_on_requested_spikes_equals_full_rows():
    net, inputs, t_max = setup("layered", 0, 0.5)
    sim = fp.simulate(net, inputs, t_max)
    full = fp.spike_time_jacobian(net, sim)
    outputs = list(net.layers[-1])
    want = sim.first_spikes(outputs)
    part = fp.spike_time_jacobian(net, sim, spikes=want)
    assert part.shape == (len(want), net.n_sources, net.n_neurons)
    np.testing.assert_allclose(part, full[want], rtol=1e-13, atol=1e-15)
    # the causal past of the first output spikes is a strict subset of all spikes
    assert fp.causal_past(net, sim, want).size < sim.n_spikes


def test_per_neuron_constants_and_nearly_equal_time_constants():
    rng = np.random.default_rng(5)
    net, inputs, t_max = case("recurrent", 5)
    for tau_s in (rng.uniform(0.4, 1.2, 4), 1.0 + 1e-10):
        net2 = fp.Network(net.weights, 2, tau_s=tau_s, tau_n=1.0, theta=rng.uniform(0.8, 1.2, 4))
        sim = fp.simulate(net2, inputs, t_max)
        J = fp.spike_time_jacobian(net2, sim)
        fd = fp.finite_difference_jacobian(net2, inputs, t_max, eps=1e-6)
        assert_fp_matches_fd(J, fd)


def test_zero_weight_inside_mask_has_a_gradient_and_outside_none():
    net, inputs, t_max = setup("recurrent", 0, 0.5)
    W = np.array(net.weights)
    W[2, 1] = 0.0
    mask = np.array(net.mask)
    mask[3, 0] = False
    W[3, 0] = 0.0
    net0 = fp.Network(W, 2, tau_s=0.5, mask=mask)
    sim = fp.simulate(net0, inputs, t_max)
    J = fp.spike_time_jacobian(net0, sim)
    later_spikes_of_1 = np.flatnonzero(
        (sim.spike_neurons == 1) & (sim.spike_times > sim.spikes_of(0)[0])
    )
    assert np.any(J[later_spikes_of_1, 2, 1] != 0)
    assert np.all(J[:, 3, 0] == 0)
    fd = fp.finite_difference_jacobian(net0, inputs, t_max, entries=[(2, 1)])
    np.testing.assert_allclose(J[:, 2, 1], fd.jacobian[:, 2, 1], rtol=1e-5, atol=1e-8)


def test_finite_differences_refuse_across_a_spike_appearing():
    # w = 4 puts the single neuron's maximum exactly at theta (a = 2, b = 1): a step of
    # 1e-3 makes a spike appear on one side only.
    net = fp.Network([[4.0 - 1e-4], [0.0]], 1, tau_s=0.5, tau_n=1.0)
    res = fp.finite_difference_jacobian(net, [[0.0]], 3.0, eps=1e-3)
    assert not res.valid[0, 0]
    assert "appears or vanishes" in res.reasons[(0, 0)]
    with pytest.raises(fp.FiniteDifferenceError, match="W\\[0, 0\\]"):
        fp.finite_difference_jacobian(net, [[0.0]], 3.0, eps=1e-3, strict=True)


def test_gradient_of_a_network_without_spikes_is_empty():
    net = fp.Network([[0.5], [0.0]], 1)
    sim = fp.simulate(net, [[0.0]], 2.0)
    assert fp.spike_time_jacobian(net, sim).shape == (0, 2, 1)
    assert np.all(fp.adjoint_gradient(net, sim, np.zeros(0)) == 0)


def test_adjoint_rejects_wrong_shapes():
    net, inputs, t_max = setup("recurrent", 0, 0.5)
    sim = fp.simulate(net, inputs, t_max)
    with pytest.raises(ValueError, match="shape"):
        fp.adjoint_gradient(net, sim, np.ones(sim.n_spikes + 1))
    with pytest.raises(ValueError, match="finite"):
        fp.adjoint_gradient(net, sim, np.full(sim.n_spikes, np.nan))
