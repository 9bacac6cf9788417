"""Exact gradients of spike times: forward propagation (FP) and the adjoint solve.

By the implicit function theorem applied to ``Phi(F, W) = 0`` (docs/model.md#fp-and-the-adjoint,
entries in :mod:`fpsnn_core.implicit`)::

    L dF/dW = -dPhi/dW                                                         (G1)

**FP** solves (G1) by forward substitution in time order, one spike after the other::

    df_k/dW = -( dPhi_k/dW + sum_{l<k} L_kl df_l/dW ) / L_kk                   (G2)

**Adjoint**: for a loss with ``c = dLoss/dF``, solve backwards in time
``L^T lam = c`` and read ``dLoss/dW = -lam^T dPhi/dW``                      (G3)

The same three hold for any parameter ``p`` in place of ``W``, with ``L`` unchanged and
``dPhi/dp`` of :mod:`fpsnn_core.partials` (input spike times, thresholds, time
constants): every function here takes ``wrt=`` (:data:`fpsnn_core.partials.WRT`).

Both need ``L_kk > 0`` at every spike they touch; a grazing spike (slope ~ 0, see
:mod:`fpsnn_core.simulate`) makes (G1) singular and raises :class:`GrazingSpikeError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .checks import real_array
from .errors import GrazingSpikeError
from .implicit import ImplicitSystem, _spike_indices, causal_past, implicit_system
from .network import Network
from .partials import check_wrt, n_columns, parameter_partials
from .simulate import Simulation


def _check_not_grazing(sim: Simulation, rows: np.ndarray) -> None:
    bad = np.intersect1d(sim.grazing, rows)
    if bad.size:
        k = int(bad[0])
        raise GrazingSpikeError(
            f"spike {k} (neuron {sim.spike_neurons[k]}, t={sim.spike_times[k]:.6g}) only grazes "
            f"the threshold (slope {sim.slopes[k]:.3g}): its time is not differentiable there, "
            "and the gradient would be singular"
        )


def forward_substitution(system: ImplicitSystem, dphi_dp: np.ndarray | None = None) -> np.ndarray:
    """FP (G2): ``dF/dW`` over the parameters, shape (R, n_params), rows in time order;
    ``dF/dp`` for another ``dPhi/dp`` of shape (R, P) (default ``system.dphi_dw``)."""
    L = system.L
    G = system.dphi_dw.toarray() if dphi_dp is None else dphi_dp
    indptr, indices, data = L.indptr, L.indices, L.data
    dF = np.empty_like(G)
    for k in range(G.shape[0]):  # forward in time
        lo, hi = indptr[k], indptr[k + 1]
        cols, vals = indices[lo:hi], data[lo:hi]
        past = cols < k
        rhs = G[k] + vals[past] @ dF[cols[past]]
        dF[k] = -rhs / vals[~past][0]  # (G2); vals[~past] is L_kk
    return dF


def _to_full(net: Network, system: ImplicitSystem, dparams: np.ndarray) -> np.ndarray:
    out = np.zeros(dparams.shape[:-1] + (net.n_sources, net.n_neurons))
    out[..., system.params[:, 0], system.params[:, 1]] = dparams
    return out


def _partials(net: Network, sim: Simulation, system: ImplicitSystem, wrt: str):
    """``dPhi/dp`` of the system's rows for ``wrt`` (``None``: the system's ``dPhi/dW``)."""
    return None if wrt == "W" else parameter_partials(net, sim, system.rows, wrt)


def _zero_gradient(net: Network, sim: Simulation, wrt: str) -> np.ndarray:
    if wrt == "W":
        return np.zeros((net.n_sources, net.n_neurons))
    return np.zeros(n_columns(net, sim, wrt))


def spike_time_jacobian(
    net: Network, sim: Simulation, spikes: Sequence[int] | None = None, wrt: str = "W"
) -> np.ndarray:
    """Exact ``dF/dW``, or ``dF/dp`` for another parameter, by FP (G2).

    Parameters
    ----------
    spikes : sequence of int, optional
        Spike indices whose rows are wanted; FP then runs only over their causal past.
        Default: all spikes.
    wrt : {"W", "inputs", "theta", "tau_s", "tau_n"}
        The parameter: the weights, every input spike time (channel 0's spikes
        ascending, then channel 1's, ...; those in ``sim.inputs``), or each neuron's
        threshold or time constant (:mod:`fpsnn_core.partials`).

    Returns
    -------
    ndarray
        ``wrt="W"``: shape (n_spikes or len(spikes), K+N, N), ``[k, j, i] = d f_k / d W[j, i]``,
        zero outside the mask. ``"inputs"``: shape (rows, number of input spikes).
        ``"theta"``, ``"tau_s"``, ``"tau_n"``: shape (rows, N), ``[k, i] = d f_k / d p_i``.
    """
    wrt = check_wrt(wrt)
    want = (
        np.arange(sim.n_spikes)
        if spikes is None
        else np.array(_spike_indices("spikes", spikes, sim), dtype=int)
    )
    rows = causal_past(net, sim, want)
    _check_not_grazing(sim, rows)
    system = implicit_system(net, sim, rows)
    dF = forward_substitution(system, _partials(net, sim, system, wrt))
    dF = dF[np.searchsorted(rows, want)]
    return _to_full(net, system, dF) if wrt == "W" else dF + 0.0  # + 0.0: no -0.0


def adjoint_solve(system: ImplicitSystem, c: np.ndarray) -> np.ndarray:
    """Solve ``L^T lam = c`` backwards in time (G3); ``c`` and ``lam`` of shape (R,)."""
    Lt = system.L.T.tocsr()  # row k of L^T: column k of L
    indptr, indices, data = Lt.indptr, Lt.indices, Lt.data
    lam = np.zeros(c.shape[0])
    for k in range(c.shape[0] - 1, -1, -1):  # backwards in time
        lo, hi = indptr[k], indptr[k + 1]
        cols, vals = indices[lo:hi], data[lo:hi]
        later = cols > k
        lam[k] = (c[k] - vals[later] @ lam[cols[later]]) / vals[~later][0]
    return lam


def adjoint_gradient(net: Network, sim: Simulation, dloss_dtimes, wrt: str = "W") -> np.ndarray:
    """``dLoss/dW`` (or ``dLoss/dp``) by the adjoint solve (G3) for ``dloss_dtimes = dLoss/dF``.

    Parameters
    ----------
    dloss_dtimes : array_like, shape (n_spikes,)
        Derivative of the loss with respect to each spike time (time order).
    wrt : {"W", "inputs", "theta", "tau_s", "tau_n"}
        The parameter, as in :func:`spike_time_jacobian`.

    Returns
    -------
    ndarray, shape (K+N, N) for ``"W"``, (number of input spikes,) for ``"inputs"``, (N,)
    for the others.
    """
    wrt = check_wrt(wrt)
    c = real_array("dloss_dtimes", dloss_dtimes, (sim.n_spikes,))
    rows = causal_past(net, sim, np.flatnonzero(c))
    if rows.size == 0:
        return _zero_gradient(net, sim, wrt)
    _check_not_grazing(sim, rows)
    system = implicit_system(net, sim, rows)
    lam = adjoint_solve(system, c[rows])
    if wrt != "W":
        return 0.0 - _partials(net, sim, system, wrt).T @ lam  # 0.0 -: no -0.0
    return _to_full(net, system, -(system.dphi_dw.T @ lam))


def fp_gradient(net: Network, sim: Simulation, dloss_dtimes, wrt: str = "W") -> np.ndarray:
    """``dLoss/dW = dLoss/dF dF/dW`` (or ``dLoss/dp``, ``wrt`` as in
    :func:`spike_time_jacobian`) with ``dF/dp`` by FP over the needed spikes only."""
    wrt = check_wrt(wrt)
    c = real_array("dloss_dtimes", dloss_dtimes, (sim.n_spikes,))
    need = np.flatnonzero(c)
    if need.size == 0:
        return _zero_gradient(net, sim, wrt)
    return np.tensordot(c[need], spike_time_jacobian(net, sim, need, wrt), axes=1)
