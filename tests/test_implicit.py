"""Structure of the implicit system: L lower triangular, P^T L P, dPhi/dW, causal graph."""

import numpy as np
import pytest
import scipy.sparse as sp
from networks import case

import fpsnn_core as fp

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
    np.testing.assert_allclose(L.diagonal(), sim.slopes, rtol=2e-14, atol=0)  # 1.1e-15
    assert sp.tril(L, -1).nnz > 0


def _entry(net, sim, k, l):
    """``dPhi_k / df_l`` for ``l != k`` by (J2)/(J3), straight from the formulas: zero unless
    spike ``l`` is strictly earlier and its neuron feeds ``k``'s (mask) or is ``k``'s own."""
    i, j = sim.spike_neurons[k], sim.spike_neurons[l]
    d = sim.spike_times[k] - sim.spike_times[l]
    if d <= 0:
        return None
    if i == j:
        return -net.theta[i] * net.b[i] * np.exp(-net.b[i] * d)
    if not net.mask[net.n_inputs + j, i]:
        return None
    return -net.weights[net.n_inputs + j, i] * fp.kernel_derivative(d, net.a[i], net.b[i])


@pytest.mark.parametrize("kind,seed,tau_s", CASES)
def test_neuron_major_matrix_is_PT_L_P(kind, seed, tau_s):
    net, sim = simulated(kind, seed, tau_s)
    system = fp.implicit_system(net, sim)
    P, L, M = system.P, system.L, system.dphi_df_neuron_major
    # dPhi/dF assembled directly in neuron-major order (by neuron, then time), entry by
    # entry from (J1)-(J3): it must be P^T L P with L in time order
    order = sorted(range(sim.n_spikes), key=lambda k: (sim.spike_neurons[k], sim.spike_times[k]))
    direct = np.zeros((sim.n_spikes, sim.n_spikes))
    for p, k in enumerate(order):
        for q, l in enumerate(order):
            value = sim.slopes[k] if k == l else _entry(net, sim, k, l)
            direct[p, q] = 0.0 if value is None else value
    np.testing.assert_allclose(M.toarray(), direct, rtol=2e-14, atol=1e-15)  # 1.1e-15
    np.testing.assert_allclose((P.T @ L @ P).toarray(), direct, rtol=2e-14, atol=1e-15)
    np.testing.assert_array_equal(system.neuron_major, order)
    # P sorts neuron-major spike times into time order
    np.testing.assert_array_equal(P @ sim.spike_times[order], sim.spike_times)
    # neuron-major order is not triangular in general, time order is
    if kind == "recurrent":
        assert np.any(np.triu(direct, 1) != 0)


def test_dphi_dw_is_feeding_kernel_at_firing_times():
    net, sim = simulated("recurrent", 2, 0.5)
    system = fp.implicit_system(net, sim)
    full = system.dphi_dw_full(net)  # (S, K+N, N)
    y = fp.feeding_kernels(net, sim, sim.spike_times)  # (S, K+N, N)
    for k in range(sim.n_spikes):
        i = sim.spike_neurons[k]
        expect = np.where(net.mask[:, i], y[k, :, i], 0.0)
        np.testing.assert_allclose(full[k, :, i], expect, rtol=4e-15, atol=1e-16)  # 2.3e-16
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
            assert L[k, l] == pytest.approx(expect, rel=4e-15, abs=1e-300)  # equal


def test_causal_past_equals_graph_ancestors():
    net, sim = simulated("layered", 2, 0.5)
    graph = fp.causal_graph(net, sim)
    for k in (sim.n_spikes - 1, sim.n_spikes // 2, 0):
        expect = np.union1d(graph.ancestors(k), [k])
        np.testing.assert_array_equal(fp.causal_past(net, sim, [k]), expect)
    # in a layered network a first-layer spike depends on no other spike
    first_layer = [k for k in range(sim.n_spikes) if sim.spike_neurons[k] in net.layers[0]]
    first_of_neuron = [
        k for k in first_layer if k == np.flatnonzero(sim.spike_neurons == sim.spike_neurons[k])[0]
    ]
    for k in first_of_neuron:
        assert graph.ancestors(k).size == 0


@pytest.mark.parametrize("kind,seed,tau_s", CASES)
def test_causal_graph_edges_from_spike_order_and_mask(kind, seed, tau_s):
    net, sim = simulated(kind, seed, tau_s)
    graph = fp.causal_graph(net, sim)
    # every edge l -> k enumerated from the spike order and the mask alone, its partial
    # derivative from (J2)/(J3) and its direct influence -partial / slope
    expect = {}
    for k in range(sim.n_spikes):
        for l in range(sim.n_spikes):
            value = _entry(net, sim, k, l) if l != k else None
            if value is not None:
                expect[(l, k)] = (value, -value / sim.slopes[k])
    got = {
        (s, d): (p, q)
        for s, d, p, q in zip(
            graph.src.tolist(), graph.dst.tolist(), graph.partial, graph.influence
        )
    }
    assert set(got) == set(expect)
    assert len(expect) > 0
    for edge, (partial, influence) in expect.items():
        assert got[edge][0] == pytest.approx(partial, rel=4e-15, abs=1e-16)  # equal
        assert got[edge][1] == pytest.approx(influence, rel=2e-14, abs=1e-16)  # 1.2e-15


def test_zero_weight_inside_mask_is_still_a_parameter():
    net, sim = simulated("recurrent", 0, 0.5)
    W = np.array(net.weights)
    W[2, 1] = 0.0  # neuron 0 -> neuron 1, kept in the mask
    net0 = net.with_weights(W)
    sim0 = fp.simulate(net0, sim.inputs, sim.t_max)
    system = fp.implicit_system(net0, sim0)
    p = np.flatnonzero((system.params[:, 0] == 2) & (system.params[:, 1] == 1))[0]
    rows_of_1 = np.flatnonzero(sim0.spike_neurons[system.rows] == 1)
    assert np.any(system.dphi_dw.toarray()[rows_of_1, p] > 0)


def test_spike_selections_single_repeated_and_refused_by_name():
    """A spike selection may be one index, an array of any shape or a list with repeats
    (each row computed); an index out of range is refused naming the argument; the
    system's index arrays are read-only."""
    net, sim = simulated("recurrent", 2, 0.5)
    full = fp.spike_time_jacobian(net, sim)
    k = sim.n_spikes - 1
    np.testing.assert_array_equal(fp.spike_time_jacobian(net, sim, spikes=k), full[[k]])
    np.testing.assert_array_equal(
        fp.spike_time_jacobian(net, sim, spikes=np.array([[2], [0]])), full[[2, 0]]
    )
    np.testing.assert_array_equal(fp.spike_time_jacobian(net, sim, spikes=[1, 1]), full[[1, 1]])
    for bad in (sim.n_spikes, -1, [0, 99]):
        with pytest.raises(ValueError, match="spikes.*spike"):
            fp.spike_time_jacobian(net, sim, spikes=bad)
        with pytest.raises(ValueError, match="rows"):
            fp.implicit_system(net, sim, rows=bad)
    system = fp.implicit_system(net, sim)
    for arr in (system.rows, system.params, system.neuron_major):
        assert not arr.flags.writeable


def test_causal_past_of_the_first_spike_is_itself_and_of_the_last_is_all_it_can_reach():
    """The causal past holds the given spikes and only earlier ones; the first spike's past
    is itself; every spike of the past is earlier than the latest given spike."""
    from fpsnn_core.implicit import causal_past

    net, sim = simulated("recurrent", 2, 0.5)
    assert causal_past(net, sim, [0]).tolist() == [0]
    last = sim.n_spikes - 1
    past = causal_past(net, sim, [last])
    assert past[-1] == last and np.all(sim.spike_times[past[:-1]] < sim.spike_times[last])
    assert causal_past(net, sim, []).size == 0


def test_system_of_chosen_rows_keeps_only_their_columns():
    """``rows`` picks equations and unknowns alike: the system of one spike is its slope
    alone; of two, the 2x2 block of the full ``L`` (spikes outside ``rows`` left out)."""
    net, sim = simulated("recurrent", 2, 0.5)
    k = sim.n_spikes - 1
    one = fp.implicit_system(net, sim, rows=[k]).L.toarray()
    np.testing.assert_allclose(one, [[sim.slopes[k]]], rtol=2e-14, atol=0)
    full = fp.implicit_system(net, sim).L.toarray()
    pair = [1, k]
    np.testing.assert_allclose(
        fp.implicit_system(net, sim, rows=pair).L.toarray(),
        full[np.ix_(pair, pair)],
        rtol=2e-14,
        atol=1e-15,
    )
