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

from .kernels import kernel
from .network import Network
from .simulate import Simulation, check_simulation


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


def potentials(net: Network, sim: Simulation, t) -> Traces:
    """``V_i(t)`` and ``I_i(t)`` of every neuron on the grid ``t`` (module docstring)."""
    t = _grid(t)
    y = feeding_kernels(net, sim, t)
    V = np.einsum("tji,ji->ti", y, net.weights)
    ev_t, ev_src = source_events(net, sim)
    D = t[:, None] - ev_t[None, :]                                 # (T, E)
    pos = D > 0
    # current: each event adds W[src, i] exp(-a_i D)
    decay_a = np.where(pos[:, :, None], np.exp(-net.a[None, None, :] * np.where(pos, D, 0)[:, :, None]), 0.0)
    I = np.einsum("tei,ei->ti", decay_a, net.weights[ev_src])
    # resets: own spikes m < t subtract theta exp(-b (t - m))
    own = ev_src >= net.n_inputs
    nrn = ev_src[own] - net.n_inputs
    Dm = D[:, own]
    decay_b = np.where(Dm > 0, np.exp(-net.b[nrn][None, :] * np.where(Dm > 0, Dm, 0)), 0.0)
    reset = np.zeros((t.size, net.n_neurons))
    np.add.at(reset, (slice(None), nrn), decay_b * net.theta[nrn][None, :])
    return Traces(t, V - reset, I)
