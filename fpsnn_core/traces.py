"""Membrane potential, synaptic current and feeding kernels on a time grid.

These evaluate the closed forms of docs/model.md#the-closed-form directly from the spike times
(not from the simulator's state), for plotting and as a check of the simulator::

    y_ji(t) = sum_{g in F_j, g < t} h_i(t - g)                       feeding kernel
    I_i(t)  = sum_j W[j, i] sum_{g in F_j, g < t} exp(-a_i (t - g))
    V_i(t)  = sum_j W[j, i] y_ji(t) - theta_i sum_{m in F_i, m < t} exp(-b_i (t - m))

At a firing time ``f`` these give the left limits, ``V_i(f) = theta_i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .checks import indices, integer
from .kernels import kernel
from .network import Network
from .simulate import Simulation, check_simulation

#: Largest ``(time, event-neuron pair)`` intermediate of :func:`potentials` and
#: :func:`feeding_kernels`, in numbers.
CHUNK = 2_000_000
#: Default work budget ``max_work`` of :func:`potentials` and :func:`feeding_kernels`: time
#: points times (event-neuron pairs + neurons) they may evaluate, checked before they
#: start (30-50 million a second on one core: at most about 10 s).
MAX_WORK = 300_000_000


@dataclass(frozen=True, eq=False)
class Traces:
    """``V`` and ``I`` of every neuron on a grid: arrays of shape (T, N)."""

    t: np.ndarray
    V: np.ndarray
    I: np.ndarray


def source_events(net: Network, sim: Simulation) -> tuple[np.ndarray, np.ndarray]:
    """All events as ``(times, sources)``: input spikes (source ``j < K``) then neuron
    spikes (source ``K + i``); shapes (E,). Refuses a simulation of another network."""
    check_simulation(net, sim)
    t_in = [np.asarray(tr, float) for tr in sim.inputs]
    times = np.concatenate(t_in + [sim.spike_times])
    src = np.concatenate(
        [np.full(tr.size, j) for j, tr in enumerate(t_in)] + [net.n_inputs + sim.spike_neurons]
    ).astype(int)
    return times, src


#: Largest ``|t|`` of a time grid: far beyond any spike, where every trace has long
#: decayed, and small enough that ``rate * (t - spike)`` cannot overflow.
MAX_GRID_TIME = 1e12


def _grid(t) -> np.ndarray:
    t = np.asarray(t, dtype=float).reshape(-1)
    if not np.all(np.isfinite(t)):
        raise ValueError("the time grid must be finite")
    if t.size and np.abs(t).max() > MAX_GRID_TIME:
        raise ValueError(
            f"time grid values must be within +-{MAX_GRID_TIME:g} (got {np.abs(t).max():.3g})"
        )
    return t


def _check_work(what: str, n_times: int, per_time: int, max_work) -> None:
    """``ValueError`` naming ``max_work`` when ``n_times * per_time`` exceeds it."""
    max_work = integer("max_work", max_work, minimum=1)
    if n_times * per_time > max_work:
        raise ValueError(
            f"{what} on {n_times} time points would evaluate {n_times * per_time:.3g} "
            f"kernel terms, more than max_work={max_work}: use a coarser grid, fewer "
            "neurons or a larger max_work"
        )


def _columns(net: Network, neurons) -> np.ndarray:
    return (
        np.arange(net.n_neurons)
        if neurons is None
        else np.array(indices("neurons", neurons, net.n_neurons, nonempty=False), dtype=int)
    )


def feeding_kernels(
    net: Network, sim: Simulation, t, neurons=None, *, max_work: int = MAX_WORK
) -> np.ndarray:
    """``y_ji(t)`` for every source ``j`` and neuron ``i``, shape (T, K+N, N), or for the
    listed ``neurons`` only (shape (T, K+N, n), columns in that order).

    Events are taken in blocks and the grid in chunks so that the intermediates stay
    small (:data:`CHUNK` numbers); ``T * (E + K + N) * n`` above ``max_work`` (``E``
    events) is refused before the work starts."""
    t = _grid(t)
    cols = _columns(net, neurons)
    ev_t, ev_src = source_events(net, sim)
    n = cols.size
    _check_work("feeding_kernels", t.size, (ev_t.size + net.n_sources) * n, max_work)
    order = np.argsort(ev_src, kind="stable")  # each source's events together
    ev_t, ev_src = ev_t[order], ev_src[order]
    a, b = net.a[cols], net.b[cols]
    y = np.zeros((t.size, net.n_sources, n))
    ev_step = max(1, CHUNK // max(n, 1))
    t_step = max(1, CHUNK // max(n * min(ev_t.size, ev_step), 1))
    for e0 in range(0, ev_t.size, ev_step):
        src = ev_src[e0 : e0 + ev_step]
        starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])  # one run per source
        for lo in range(0, t.size, t_step):
            D = t[lo : lo + t_step, None, None] - ev_t[None, e0 : e0 + ev_step, None]
            h = kernel(D, a[None, None, :], b[None, None, :])  # (T', E', n)
            y[lo : lo + t_step, src[starts]] += np.add.reduceat(h, starts, axis=1)
    return y


def potentials(
    net: Network, sim: Simulation, t, neurons=None, *, max_work: int = MAX_WORK
) -> Traces:
    """``V_i(t)`` and ``I_i(t)`` of every neuron on the grid ``t`` (module docstring), or of
    the listed ``neurons`` only (columns in that order).

    Only events joined to a neuron by a non-zero weight (and the neuron's own resets)
    enter, and the grid is processed in chunks so that the intermediates stay small
    (:data:`CHUNK` numbers) whatever the number of spikes; ``T * (pairs + n)`` above
    ``max_work`` is refused before the work starts."""
    t = _grid(t)
    cols = _columns(net, neurons)
    ev_t, ev_src = source_events(net, sim)
    n = cols.size
    # only (event, neuron) pairs joined by a non-zero weight, and each neuron's own spikes
    e_w, c_w = np.nonzero(net.weights[ev_src][:, cols])
    w = net.weights[ev_src[e_w], cols[c_w]]
    e_r, c_r = np.nonzero((ev_src[:, None] - net.n_inputs) == cols[None, :])
    _check_work("potentials", t.size, e_w.size + e_r.size + n, max_work)
    to_col = [
        sp.csr_matrix((vals, (np.arange(c.size), c)), shape=(c.size, n))
        for vals, c in ((w, c_w), (net.theta[cols[c_r]], c_r))
    ]
    a, b = net.a[cols], net.b[cols]
    V = np.zeros((t.size, n))
    I = np.zeros((t.size, n))
    step = max(1, CHUNK // max(e_w.size + e_r.size, 1))
    for lo in range(0, t.size, step):
        tt = t[lo : lo + step, None]
        D = tt - ev_t[e_w][None, :]  # (T', pairs)
        Dp = np.maximum(D, 0.0)
        V[lo : lo + step] = np.asarray(kernel(D, a[c_w], b[c_w]) @ to_col[0])
        # current: each event adds W[src, i] exp(-a_i D)
        I[lo : lo + step] = np.asarray(np.where(D > 0, np.exp(-a[c_w] * Dp), 0.0) @ to_col[0])
        # resets: own spikes m < t subtract theta exp(-b (t - m))
        Dr = tt - ev_t[e_r][None, :]
        decay = np.where(Dr > 0, np.exp(-b[c_r] * np.maximum(Dr, 0.0)), 0.0)
        V[lo : lo + step] -= np.asarray(decay @ to_col[1])
    return Traces(t, V, I)
