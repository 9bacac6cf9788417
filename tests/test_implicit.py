"""Structure of the implicit system: L lower triangular, P^T L P, dPhi/dW, causal graph."""

import numpy as np
import pytest
import scipy.sparse as sp

import fpsnn_core as fp
from networks import case

CASES = [("recurrent", 0, 0.5), ("recurrent", 1, 1.0), ("layered", 2, 0.5), ("layered", 3, 1.0)]


def simulated(kind, seed, tau_s):
    net, inputs, t_max = case(kind, seed, tau_s=tau_s, t_max=4.0 if tau_s != 1.0 else 2.0)
    return net, fp.simulate(net, inputs, t_max)


@pytest.mark.parametrize("kind,seed,tau_s", CASES)
def test_L_lower_triangular_with_positive_diagonal(kind, seed, tau_s):
    net, sim = simulated(kind, seed, tau_s)
    system = fp.implicit_system(net, sim)
    L = system.L
    assert L.shape == (sim.n_spikes, sim.n_spikes)
    assert sp.triu(L, 1).nnz == 0
    assert np.all(L.diagonal() > 0)
    # the diagonal (J1), assembled from spike times, is the simulator's slope V'(f-)
    np.testing.assert_allclose(L.diagonal(), sim.slopes, rtol=1e-12, atol=1e-12)
    assert sp.tril(L, -1).nnz > 0


@pytest.mark.parametrize("kind,seed,tau_s", CASES)
def test_neuron_major_matrix_is_PT_L_P(kind, seed, tau_s):
    net, sim = simulated(kind, seed, tau_s)
    system = fp.implicit_system(net, sim)
    P, L, M = system.P, system.L, system.dphi_df_neuron_major
    np.testing.assert_array_equal((P.T @ L @ P).toarray(), M.toarray())
    # P sorts neuron-major spike times into time order
    nm_times = sim.spike_times[system.neuron_major]
    nm_neurons = sim.spike_neurons[system.neuron_major]
    assert np.all(np.diff(nm_neurons) >= 0)
    np.testing.assert_array_equal(P @ nm_times, sim.spike_times)
    # neuron-major order is not triangular in general, time order is
    if kind == "recurrent":
        assert sp.triu(M, 1).nnz > 0


def test_dphi_dw_is_feeding_kernel_at_firing_times():
    net, sim = simulated("recurrent", 2, 0.5)
    system = fp.implicit_system(net, sim)
    full = system.dphi_dw_full(net)                       # (S, K+N, N)
    y = fp.feeding_kernels(net, sim, sim.spike_times)     # (S, K+N, N)
    for k in range(sim.n_spikes):
        i = sim.spike_neurons[k]
        expect = np.where(net.mask[:, i], y[k, :, i], 0.0)
        np.testing.assert_allclose(full[k, :, i], expect, rtol=1e-13, atol=1e-15)
        others = np.delete(np.arange(net.n_neurons), i)
        assert np.all(full[k][:, others] == 0)


def test_off_diagonal_entries_are_minus_W_hprime_and_reset_terms():
    net, sim = simulated("recurrent", 0, 0.5)
    L = fp.implicit_system(net, sim).L.toarray()
    K = net.n_inputs
    for k in range(sim.n_spikes):
        for l in range(k):
            i, j = sim.spike_neurons[k], sim.spike_neurons[l]
            d = sim.spike_times[k] - sim.spike_times[l]
            if i == j:
                expect = -net.theta[i] * net.b[i] * np.exp(-net.b[i] * d)
            else:
                expect = -net.weights[K + j, i] * fp.kernel_derivative(d, net.a[i], net.b[i])
            assert L[k, l] == pytest.approx(expect, rel=1e-13, abs=1e-300)


def test_causal_past_equals_graph_ancestors():
    net, sim = simulated("layered", 2, 0.5)
    graph = fp.causal_graph(net, sim)
    for k in (sim.n_spikes - 1, sim.n_spikes // 2, 0):
        expect = np.union1d(graph.ancestors(k), [k])
        np.testing.assert_array_equal(fp.causal_past(net, sim, [k]), expect)
    # in a layered network a first-layer spike depends on no other spike
    first_layer = [k for k in range(sim.n_spikes) if sim.spike_neurons[k] in net.layers[0]]
    first_of_neuron = [k for k in first_layer
                       if k == np.flatnonzero(sim.spike_neurons == sim.spike_neurons[k])[0]]
    for k in first_of_neuron:
        assert graph.ancestors(k).size == 0


def test_causal_graph_partials_and_influence():
    net, sim = simulated("recurrent", 1, 1.0)
    graph = fp.causal_graph(net, sim)
    L = fp.implicit_system(net, sim).L.toarray()
    np.testing.assert_array_equal(graph.partial, L[graph.dst, graph.src])
    np.testing.assert_allclose(graph.influence, -L[graph.dst, graph.src] / np.diag(L)[graph.dst])
    assert np.all(sim.spike_times[graph.src] < sim.spike_times[graph.dst])


def test_zero_weight_inside_mask_is_still_a_parameter():
    net, sim = simulated("recurrent", 0, 0.5)
    W = np.array(net.weights)
    W[2, 1] = 0.0                                  # neuron 0 -> neuron 1, kept in the mask
    net0 = net.with_weights(W)
    sim0 = fp.simulate(net0, sim.inputs, sim.t_max)
    system = fp.implicit_system(net0, sim0)
    p = np.flatnonzero((system.params[:, 0] == 2) & (system.params[:, 1] == 1))[0]
    rows_of_1 = np.flatnonzero(sim0.spike_neurons[system.rows] == 1)
    assert np.any(system.dphi_dw.toarray()[rows_of_1, p] > 0)
