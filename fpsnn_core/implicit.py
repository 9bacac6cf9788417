"""The implicit spike-time equations, their Jacobians and the causal graph.

Every spike ``f_k`` of neuron ``i = i_k`` satisfies (docs/model.md#the-implicit-equations)::

    Phi_k(F, W) = V_i(f_k) - theta_i = 0,   V_i as in :mod:`fpsnn_core.traces`,

counting only events strictly before ``f_k``. Its partial derivatives are::

    dPhi_k/df_k    = sum_j W[j,i] sum_{g<f_k} h'(f_k - g)
                     + theta_i b_i sum_{m<f_k, m in F_i} exp(-b_i (f_k - m))     (J1)
    dPhi_k/dg      = -W[j,i] h'(f_k - g)        g < f_k, a spike of neuron-source j  (J2)
    dPhi_k/dm      = -theta_i b_i exp(-b_i (f_k - m))   m < f_k, a spike of i      (J3)
    dPhi_k/dW[j,i] = y_ji(f_k)                  zero for weights into other neurons (J4)

With spikes in time order the matrix ``L = dPhi/dF`` is lower triangular with
``L_kk > 0`` (J1 is the slope of ``V_i`` at threshold). In neuron-major order (spikes
sorted by neuron, then time) ``dPhi/dF = P^T L P``, with ``P`` the permutation matrix
that sorts the spikes by time: ``P[k, p] = 1`` when the ``p``-th spike in neuron-major
order is the ``k``-th in time.

Structure follows the mask, not the weight values: a connection in the mask with
weight 0 still gives (zero-valued) entries in ``L`` and non-zero entries in (J4).
Weights are parameters in the order of ``np.argwhere(net.mask)`` (row-major).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .checks import indices
from .kernels import kernel, kernel_derivative
from .network import Network
from .simulate import Simulation, check_simulation
from .traces import source_events


@dataclass(frozen=True, eq=False)
class ImplicitSystem:
    """The Jacobians of the implicit equations restricted to a set of spikes.

    Attributes
    ----------
    rows : ndarray of int, shape (R,)
        Spike indices (time order) of the equations and unknowns included.
    L : scipy.sparse.csr_matrix, shape (R, R)
        ``dPhi/dF`` in time order, lower triangular (J1-J3).
    dphi_dw : scipy.sparse.csr_matrix, shape (R, n_params)
        ``dPhi/dW`` (J4) over the parameters ``params``.
    params : ndarray of int, shape (n_params, 2)
        ``(j, i)`` of each parameter, ``np.argwhere(net.mask)``.
    neuron_major : ndarray of int, shape (R,)
        Position in ``rows`` of the spikes in neuron-major order.
    """

    rows: np.ndarray
    L: sp.csr_matrix
    dphi_dw: sp.csr_matrix
    params: np.ndarray
    neuron_major: np.ndarray

    @property
    def P(self) -> sp.csr_matrix:
        """Permutation matrix, shape (R, R): ``P[k, p] = 1`` iff ``neuron_major[p] == k``."""
        R = self.rows.size
        return sp.csr_matrix((np.ones(R), (self.neuron_major, np.arange(R))), shape=(R, R))

    @property
    def dphi_df_neuron_major(self) -> sp.csr_matrix:
        """``dPhi/dF`` with equations and unknowns in neuron-major order (``P^T L P``)."""
        nm = self.neuron_major
        return self.L[nm][:, nm].tocsr()

    def dphi_dw_full(self, net: Network) -> np.ndarray:
        """``dPhi/dW`` as a dense array of shape (R, K+N, N)."""
        out = np.zeros((self.rows.size, net.n_sources, net.n_neurons))
        out[:, self.params[:, 0], self.params[:, 1]] = self.dphi_dw.toarray()
        return out


def _feeders(net: Network) -> list[np.ndarray]:
    """For each neuron ``i``, the neurons whose spikes enter ``Phi`` of ``i``: its
    presynaptic neurons in the mask and ``i`` itself (through its resets)."""
    K = net.n_inputs
    return [np.union1d(np.flatnonzero(net.mask[K:, i]), [i]) for i in range(net.n_neurons)]


def causal_past(net: Network, sim: Simulation, spikes: Sequence[int]) -> np.ndarray:
    """The given spikes and every earlier spike they depend on, directly or not.

    A spike ``s`` is in the causal past of spike ``k`` when a chain of strictly
    increasing spike times leads from ``s`` to ``k`` along connections of the mask
    (or along one neuron's own spikes). Returns sorted spike indices.
    """
    check_simulation(net, sim)
    spikes = np.unique(np.array(_spike_indices("spikes", spikes, sim), dtype=int))
    if spikes.size == 0:
        return spikes
    feeders = _feeders(net)
    reach = np.full(net.n_neurons, -np.inf)  # a spike of n before reach[n] is needed
    member = np.zeros(sim.n_spikes, dtype=bool)
    member[spikes] = True
    times, who = sim.spike_times, sim.spike_neurons
    for s in range(int(spikes[-1]), -1, -1):  # backwards in time
        n = who[s]
        if member[s] or times[s] < reach[n]:
            member[s] = True
            fs = feeders[n]
            reach[fs] = np.maximum(reach[fs], times[s])
    return np.flatnonzero(member)


def _spike_indices(name: str, values, sim: Simulation) -> tuple[int, ...]:
    """Spike indices in ``0..n_spikes-1`` (an array of any shape, or a single index)."""
    if isinstance(values, np.ndarray):
        values = values.reshape(-1).tolist()
    elif np.isscalar(values) and not isinstance(values, (str, bytes)):
        values = [values]
    return indices(name, values, sim.n_spikes, what="spike", nonempty=False, unique=False)


def event_pairs(net: Network, sim: Simulation, rows: np.ndarray):
    """The terms of ``Phi_k`` for the spikes ``rows``: ``(f, n, ev_t, ev_src, syn, own)``.

    ``f``, ``n``: time and neuron of each row; ``ev_t``, ``ev_src``: every event
    (:func:`fpsnn_core.traces.source_events`, inputs first); ``syn = (r, e)``: row ``r`` and
    an event ``e`` strictly before it from a source in the mask of ``n[r]``; ``own = (r, e)``:
    row ``r`` and an earlier spike of its own neuron (a reset).
    """
    K = net.n_inputs
    f = sim.spike_times[rows]
    n = sim.spike_neurons[rows]
    ev_t, ev_src = source_events(net, sim)
    earlier = ev_t[None, :] < f[:, None]  # (R, E)
    syn = earlier & net.mask[ev_src[None, :], n[:, None]]
    own = earlier & (ev_src[None, :] == K + n[:, None])
    return f, n, ev_t, ev_src, np.nonzero(syn), np.nonzero(own)


def implicit_system(
    net: Network, sim: Simulation, rows: Sequence[int] | None = None
) -> ImplicitSystem:
    """Assemble ``L`` and ``dPhi/dW`` (module docstring) for the spikes ``rows``.

    Parameters
    ----------
    rows : sequence of int, optional
        Spike indices to include; default all. Entries of ``L`` linking a row to a spike
        outside ``rows`` are dropped, so pass a set closed under :func:`causal_past`
        when solving.
    """
    check_simulation(net, sim)
    rows = (
        np.arange(sim.n_spikes)
        if rows is None
        else np.unique(np.array(_spike_indices("rows", rows, sim), dtype=int))
    )
    params = np.argwhere(net.mask)
    pidx = np.full(net.mask.shape, -1, dtype=int)
    pidx[params[:, 0], params[:, 1]] = np.arange(len(params))
    R = rows.size
    f, n, ev_t, ev_src, (r, e), (ro, eo) = event_pairs(net, sim, rows)
    n_in = ev_t.size - sim.n_spikes
    ev_spike = np.concatenate([np.full(n_in, -1), np.arange(sim.n_spikes)])
    pos = np.full(sim.n_spikes, -1)
    pos[rows] = np.arange(R)
    a, b, theta = net.a, net.b, net.theta

    # synaptic pairs: (J1) first sum, (J2), (J4)
    D = f[r] - ev_t[e]
    w = net.weights[ev_src[e], n[r]]
    dh = kernel_derivative(D, a[n[r]], b[n[r]])
    diag = np.bincount(r, w * dh, minlength=R)
    dphi_dw = sp.csr_matrix(
        (kernel(D, a[n[r]], b[n[r]]), (r, pidx[ev_src[e], n[r]])), shape=(R, len(params))
    )
    dphi_dw.sum_duplicates()
    # own resets: (J1) second sum, (J3)
    Do = f[ro] - ev_t[eo]
    reset = theta[n[ro]] * b[n[ro]] * np.exp(-b[n[ro]] * Do)
    diag += np.bincount(ro, reset, minlength=R)

    from_spike = ev_spike[e] >= 0
    keep = from_spike & (pos[np.maximum(ev_spike[e], 0)] >= 0)
    keep_o = pos[ev_spike[eo]] >= 0
    Lr = np.concatenate([r[keep], ro[keep_o], np.arange(R)])
    Lc = np.concatenate([pos[ev_spike[e[keep]]], pos[ev_spike[eo[keep_o]]], np.arange(R)])
    Lv = np.concatenate([-w[keep] * dh[keep], -reset[keep_o], diag])
    L = sp.csr_matrix((Lv, (Lr, Lc)), shape=(R, R))
    L.sum_duplicates()
    L.sort_indices()
    neuron_major = np.lexsort((f, n))
    for arr in (rows, params, neuron_major):
        arr.setflags(write=False)
    return ImplicitSystem(rows, L, dphi_dw, params, neuron_major)


@dataclass(frozen=True, eq=False)
class CausalGraph:
    """Edges of the spike causal graph: spike ``src[e]`` precedes and feeds ``dst[e]``.

    ``partial[e]`` is ``dPhi_dst / df_src`` (J2 or J3) and ``influence[e]`` the direct
    effect ``-partial / L_dst,dst = d f_dst / d f_src`` holding other spikes fixed.
    """

    src: np.ndarray
    dst: np.ndarray
    partial: np.ndarray
    influence: np.ndarray

    def ancestors(self, spike: int) -> np.ndarray:
        """All spikes that ``spike`` depends on, directly or not (sorted)."""
        parents = {}
        for s, d in zip(self.src.tolist(), self.dst.tolist()):
            parents.setdefault(d, []).append(s)
        seen, stack = set(), [int(spike)]
        while stack:
            for p in parents.get(stack.pop(), ()):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return np.array(sorted(seen), dtype=int)


def causal_graph(net: Network, sim: Simulation) -> CausalGraph:
    """The causal graph of all spikes of ``sim``, from the structure of ``L``."""
    system = implicit_system(net, sim)
    L = system.L.tocoo()
    off = L.row != L.col
    diag = system.L.diagonal()
    dst, src, val = L.row[off], L.col[off], L.data[off]
    return CausalGraph(src, dst, val, -val / diag[dst])
