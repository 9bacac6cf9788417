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

from .checks import indices
from .kernels import kernel
from .network import Network
from .simulate import Simulation, check_simulation


#: Largest ``(time, event, neuron)`` intermediate of :func:`potentials`, in numbers.
CHUNK = 2_000_000


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
    src = np.concatenate([np.full(tr.size, j) for j, tr in enumerate(t_in)]
                         + [net.n_inputs + sim.spike_neurons]).astype(int)
    return times, src


def _grid(t) -> np.ndarray:
    t = np.asarray(t, dtype=float).reshape(-1)
    if not np.all(np.isfinite(t)):
        raise ValueError("the time grid must be finite")
    return t


def feeding_kernels(net: Network, sim: Simulation, t) -> np.ndarray:
    """``y_ji(t)`` for every source ``j`` and neuron ``i``, shape (T, K+N, N)."""
    t = _grid(t)
    ev_t, ev_src = source_events(net, sim)
    D = t[:, None, None] - ev_t[None, :, None]                     # (T, E, 1)
    h = kernel(D, net.a[None, None, :], net.b[None, None, :])      # (T, E, N)
    y = np.zeros((t.size, net.n_sources, net.n_neurons))
    np.add.at(y, (slice(None), ev_src), h)
    return y


def potentials(net: Network, sim: Simulation, t, neurons=None) -> Traces:
    """``V_i(t)`` and ``I_i(t)`` of every neuron on the grid ``t`` (module docstring), or of
    the listed ``neurons`` only (columns in that order).

    The grid is processed in chunks so that the ``(time, event, neuron)`` intermediates
    stay small (:data:`CHUNK` numbers) whatever the number of spikes."""
    t = _grid(t)
    cols = np.arange(net.n_neurons) if neurons is None else np.array(
        indices("neurons", neurons, net.n_neurons, nonempty=False), dtype=int)
    ev_t, ev_src = source_events(net, sim)
    a, b, theta = net.a[cols], net.b[cols], net.theta[cols]
    W = net.weights[ev_src][:, cols]                                  # (E, n)
    own = (ev_src[:, None] - net.n_inputs) == cols[None, :]           # (E, n): i's own spikes
    V = np.zeros((t.size, cols.size))
    I = np.zeros((t.size, cols.size))
    step = max(1, CHUNK // max(ev_t.size * cols.size, 1))
    for lo in range(0, t.size, step):
        D = t[lo:lo + step, None] - ev_t[None, :]                      # (T', E)
        pos = D > 0
        Dp = np.where(pos, D, 0.0)[:, :, None]
        h = kernel(D[:, :, None], a[None, None, :], b[None, None, :])  # (T', E, n)
        V[lo:lo + step] = np.einsum("tei,ei->ti", h, W)
        # current: each event adds W[src, i] exp(-a_i D)
        decay_a = np.where(pos[:, :, None], np.exp(-a[None, None, :] * Dp), 0.0)
        I[lo:lo + step] = np.einsum("tei,ei->ti", decay_a, W)
        # resets: own spikes m < t subtract theta exp(-b (t - m))
        decay_b = np.where(pos[:, :, None] & own[None], np.exp(-b[None, None, :] * Dp), 0.0)
        V[lo:lo + step] -= theta[None, :] * decay_b.sum(axis=1)
    return Traces(t, V, I)
