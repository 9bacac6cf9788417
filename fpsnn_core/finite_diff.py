"""Central finite differences of spike times, refused where they are not valid.

For a weight ``W[j, i]`` and step ``eps``::

    d f_k / d W[j, i] ~ (f_k(W + eps e_ji) - f_k(W - eps e_ji)) / (2 eps)          (F1)

Spike times are piecewise smooth in ``W``: a perturbation that makes a spike appear
or vanish, or that reorders spikes, jumps across a discontinuity, and (F1) is then
meaningless. Such entries are refused with the reason, never reported as numbers.

The work is estimated from the unperturbed simulation before any perturbation runs: each
weight costs two simulations of about its cost (:func:`simulation_cost`), and more than
``max_total_work`` in all is refused with a ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import integer
from .errors import FiniteDifferenceError
from .network import Network
from .simulate import Simulation, simulate

#: Deliveries one spike counts for in :func:`simulation_cost` (heap and bookkeeping per
#: spike: timed on a network of 100 neurons that deliver almost nothing, one spike costs
#: as much as 10-20 deliveries).
SPIKE_COST = 16
#: Default budget ``max_total_work`` of the finite differences, in spike deliveries over
#: all the perturbed simulations (a few seconds on one core).
MAX_TOTAL_WORK = 500_000


def simulation_cost(sim: Simulation) -> int:
    """What one more simulation like ``sim`` costs, in spike deliveries: its deliveries
    plus :data:`SPIKE_COST` per spike (the event loop's own work per spike)."""
    return int(sim.work) + SPIKE_COST * sim.n_spikes


def _check_total_work(net: Network, base: Simulation, entries: list, max_total_work) -> None:
    max_total_work = integer("max_total_work", max_total_work, minimum=1)
    # two simulations per weight, each also building its network's targets (K+N rows)
    need = 2 * len(entries) * (simulation_cost(base) + net.n_sources)
    if need > max_total_work:
        raise ValueError(
            f"finite differences of {len(entries)} weights need about {need} spike "
            f"deliveries (two simulations each), more than max_total_work="
            f"{max_total_work}: pass fewer entries or a larger max_total_work"
        )


@dataclass(frozen=True, eq=False)
class FiniteDifferences:
    """``jacobian[k, j, i]`` by (F1), NaN where refused; ``valid`` of shape (K+N, N);
    ``reasons`` maps ``(j, i)`` of each refused weight to why."""

    jacobian: np.ndarray
    valid: np.ndarray
    reasons: dict


def _compare(base: Simulation, other: Simulation, sign: str) -> str | None:
    if other.n_spikes != base.n_spikes:
        return (
            f"W{sign}eps has {other.n_spikes} spikes instead of {base.n_spikes}: a spike "
            "appears or vanishes within the step"
        )
    if not np.array_equal(other.spike_neurons, base.spike_neurons):
        k = int(np.flatnonzero(other.spike_neurons != base.spike_neurons)[0])
        return f"W{sign}eps reorders the spikes (from spike {k} on)"
    return None


def _perturbed(
    net: Network, inputs, t_max, base: Simulation, j: int, i: int, eps: float, sim_kw: dict
):
    """Simulations at ``W +- eps e_ji`` and the reason (F1) is refused there, or None."""
    if not net.mask[j, i]:
        raise ValueError(f"W[{j}, {i}] is not a connection of the network (outside the mask)")
    sims = []
    for delta in (eps, -eps):
        W = np.array(net.weights)
        W[j, i] += delta
        sims.append(simulate(net.with_weights(W), inputs, t_max, **sim_kw))
    why = _compare(base, sims[0], "+") or _compare(base, sims[1], "-")
    return sims[0], sims[1], why


def _entries(net: Network, entries) -> list:
    if entries is None:
        entries = np.argwhere(net.mask)
    return [tuple(map(int, e)) for e in entries]


def _check_eps(eps) -> None:
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")


def finite_difference_jacobian(
    net: Network,
    inputs,
    t_max: float,
    *,
    eps: float = 1e-6,
    entries=None,
    strict: bool = False,
    max_total_work: int = MAX_TOTAL_WORK,
    **sim_kw,
) -> FiniteDifferences:
    """``dF/dW`` by central differences (F1) for the weights in ``entries``.

    Parameters
    ----------
    entries : iterable of (j, i), optional
        Weights to perturb; default every connection in the mask.
    strict : bool
        Raise :class:`FiniteDifferenceError` at the first refused weight instead of
        recording it in ``reasons``.
    max_total_work : int
        Work budget (module docstring), default :data:`MAX_TOTAL_WORK`.
    """
    _check_eps(eps)
    base = simulate(net, inputs, t_max, **sim_kw)
    entries = _entries(net, entries)
    _check_total_work(net, base, entries, max_total_work)
    jac = np.zeros((base.n_spikes, net.n_sources, net.n_neurons))
    valid = np.zeros(net.mask.shape, dtype=bool)
    reasons = {}
    for j, i in entries:
        plus, minus, why = _perturbed(net, inputs, t_max, base, j, i, eps, sim_kw)
        if why:
            if strict:
                raise FiniteDifferenceError(f"finite difference of W[{j}, {i}] refused: {why}")
            reasons[(j, i)] = why
            jac[:, j, i] = np.nan
        else:
            jac[:, j, i] = (plus.spike_times - minus.spike_times) / (2 * eps)
            valid[j, i] = True
    return FiniteDifferences(jac, valid, reasons)


def finite_difference_loss_gradient(
    net: Network,
    inputs,
    t_max: float,
    loss_fn,
    *,
    eps: float = 1e-6,
    entries=None,
    max_total_work: int = MAX_TOTAL_WORK,
    **sim_kw,
) -> FiniteDifferences:
    """``dLoss/dW`` by central differences of ``loss_fn(sim) -> float``, refused (NaN, with
    a reason) where a perturbation changes the spike count or order. ``jacobian`` has
    shape (K+N, N) here; ``max_total_work`` as for :func:`finite_difference_jacobian`."""
    _check_eps(eps)
    base = simulate(net, inputs, t_max, **sim_kw)
    entries = _entries(net, entries)
    _check_total_work(net, base, entries, max_total_work)
    grad = np.zeros(net.mask.shape)
    valid = np.zeros(net.mask.shape, dtype=bool)
    reasons = {}
    for j, i in entries:
        plus, minus, why = _perturbed(net, inputs, t_max, base, j, i, eps, sim_kw)
        if why:
            reasons[(j, i)] = why
            grad[j, i] = np.nan
        else:
            grad[j, i] = (loss_fn(plus) - loss_fn(minus)) / (2 * eps)
            valid[j, i] = True
    return FiniteDifferences(grad, valid, reasons)
