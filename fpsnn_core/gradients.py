"""Exact gradients of spike times: forward propagation (FP) and the adjoint solve.

By the implicit function theorem applied to ``Phi(F, W) = 0`` (docs/model.md#fp-and-the-adjoint,
entries in :mod:`fpsnn_core.implicit`)::

    L dF/dW = -dPhi/dW                                                         (G1)

**FP** solves (G1) by forward substitution in time order, one spike after the other::

    df_k/dW = -( dPhi_k/dW + sum_{l<k} L_kl df_l/dW ) / L_kk                   (G2)

**Adjoint**: for a loss with ``c = dLoss/dF``, solve backwards in time
``L^T lam = c`` and read ``dLoss/dW = -lam^T dPhi/dW``                      (G3)

Both need ``L_kk > 0`` at every spike they touch; a grazing spike (slope ~ 0, see
:mod:`fpsnn_core.simulate`) makes (G1) singular and raises :class:`GrazingSpikeError`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .checks import real_array
from .errors import GrazingSpikeError
from .implicit import ImplicitSystem, _spike_indices, causal_past, implicit_system
from .network import Network
from .simulate import Simulation


def _check_not_grazing(sim: Simulation, rows: np.ndarray) -> None:
    bad = np.intersect1d(sim.grazing, rows)
    if bad.size:
        k = int(bad[0])
        raise GrazingSpikeError(
            f"spike {k} (neuron {sim.spike_neurons[k]}, t={sim.spike_times[k]:.6g}) only grazes "
            f"the threshold (slope {sim.slopes[k]:.3g}): its time is not differentiable there, "
            "and the gradient would be singular")


def forward_substitution(system: ImplicitSystem) -> np.ndarray:
    """FP (G2): ``dF/dW`` over the parameters, shape (R, n_params), rows in time order."""
    L, G = system.L, system.dphi_dw.toarray()
    indptr, indices, data = L.indptr, L.indices, L.data
    dF = np.empty_like(G)
    for k in range(G.shape[0]):                      # forward in time
        lo, hi = indptr[k], indptr[k + 1]
        cols, vals = indices[lo:hi], data[lo:hi]
        past = cols < k
        rhs = G[k] + vals[past] @ dF[cols[past]]
        dF[k] = -rhs / vals[~past][0]                # (G2); vals[~past] is L_kk
    return dF


def _to_full(net: Network, system: ImplicitSystem, dparams: np.ndarray) -> np.ndarray:
    out = np.zeros(dparams.shape[:-1] + (net.n_sources, net.n_neurons))
    out[..., system.params[:, 0], system.params[:, 1]] = dparams
    return out


def spike_time_jacobian(net: Network, sim: Simulation, spikes: Sequence[int] | None = None) -> np.ndarray:
    """Exact ``dF/dW`` by FP (G2).

    Parameters
    ----------
    spikes : sequence of int, optional
        Spike indices whose rows are wanted; FP then runs only over their causal past.
        Default: all spikes.

    Returns
    -------
    ndarray, shape (n_spikes or len(spikes), K+N, N)
        ``[k, j, i] = d f_k / d W[j, i]``; zero outside the mask.
    """
    want = np.arange(sim.n_spikes) if spikes is None else np.array(
        _spike_indices("spikes", spikes, sim), dtype=int)
    rows = causal_past(net, sim, want)
    _check_not_grazing(sim, rows)
    system = implicit_system(net, sim, rows)
    dF = forward_substitution(system)
    return _to_full(net, system, dF[np.searchsorted(rows, want)])


def adjoint_solve(system: ImplicitSystem, c: np.ndarray) -> np.ndarray:
    """Solve ``L^T lam = c`` backwards in time (G3); ``c`` and ``lam`` of shape (R,)."""
    Lt = system.L.T.tocsr()                          # row k of L^T: column k of L
    indptr, indices, data = Lt.indptr, Lt.indices, Lt.data
    lam = np.zeros(c.shape[0])
    for k in range(c.shape[0] - 1, -1, -1):          # backwards in time
        lo, hi = indptr[k], indptr[k + 1]
        cols, vals = indices[lo:hi], data[lo:hi]
        later = cols > k
        lam[k] = (c[k] - vals[later] @ lam[cols[later]]) / vals[~later][0]
    return lam


def adjoint_gradient(net: Network, sim: Simulation, dloss_dtimes) -> np.ndarray:
    """``dLoss/dW`` by the adjoint solve (G3) for ``dloss_dtimes = dLoss/dF``.

    Parameters
    ----------
    dloss_dtimes : array_like, shape (n_spikes,)
        Derivative of the loss with respect to each spike time (time order).

    Returns
    -------
    ndarray, shape (K+N, N)
    """
    c = real_array("dloss_dtimes", dloss_dtimes, (sim.n_spikes,))
    rows = causal_past(net, sim, np.flatnonzero(c))
    if rows.size == 0:
        return np.zeros((net.n_sources, net.n_neurons))
    _check_not_grazing(sim, rows)
    system = implicit_system(net, sim, rows)
    lam = adjoint_solve(system, c[rows])
    return _to_full(net, system, -(system.dphi_dw.T @ lam))


def fp_gradient(net: Network, sim: Simulation, dloss_dtimes) -> np.ndarray:
    """``dLoss/dW = dLoss/dF dF/dW`` with ``dF/dW`` by FP over the needed spikes only."""
    c = real_array("dloss_dtimes", dloss_dtimes, (sim.n_spikes,))
    need = np.flatnonzero(c)
    if need.size == 0:
        return np.zeros((net.n_sources, net.n_neurons))
    return np.tensordot(c[need], spike_time_jacobian(net, sim, need), axes=1)
