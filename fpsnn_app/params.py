"""The parameters spike times can be differentiated with respect to, by kind (``wrt`` of
:func:`fpsnn_core.spike_time_jacobian`): their names, values and valid ranges, the network
and inputs with one of them moved, and central differences of a loss along one of them.
No Streamlit here.

Each kind numbers its parameters as the core numbers the columns of ``dF/dp``:

* ``"W"``: the connections in ``np.argwhere(net.mask)`` order, named ``in0→n2`` / ``n1→n2``;
* ``"inputs"``: the input spikes of ``sim.inputs``, input 0's ascending, then input 1's,
  ..., named ``t_in[j][m]`` (the ``m``-th spike of input ``j``, from 0);
* ``"theta"``, ``"tau_s"``, ``"tau_n"``: one per neuron, named ``θ[n3]``, ``τ_s[n3]``,
  ``τ_n[n3]``.

Central differences of a loss along parameter ``p`` with step ``eps`` (the (F1) of
:mod:`fpsnn_core.finite_diff` for any parameter)::

    dLoss/dp ~ (Loss(p + eps) - Loss(p - eps)) / (2 eps)

refused, with the reason, where either step changes the spike count or order, or leaves
the parameter's range (an input spike moved before 0 or after ``t_max``).
"""

from __future__ import annotations

import numpy as np

import fpsnn_core as fp
from fpsnn_core.network import CONSTANT_RANGE, MAX_WEIGHT
from fpsnn_core.simulate import validate_inputs

from .figures.common import source_label

#: The kinds, in the order the pages offer them, with their names on the page.
KINDS = {
    "W": "weight W",
    "inputs": "input spike time",
    "theta": "threshold θ",
    "tau_s": "synaptic τ_s",
    "tau_n": "membrane τ_n",
}
#: Short names of the kinds (chips of a multiselect).
SHORT = {"W": "weights", "inputs": "input times", "theta": "θ", "tau_s": "τ_s", "tau_n": "τ_n"}
#: Singular nouns of the kinds (an axis reads "threshold θ[n3]").
NOUN = {
    "W": "weight",
    "inputs": "input spike time",
    "theta": "threshold",
    "tau_s": "time constant",
    "tau_n": "time constant",
}
#: Plural nouns of the kinds, for the pages' sentences.
PLURAL = {
    "W": "weights",
    "inputs": "input spike times",
    "theta": "thresholds",
    "tau_s": "synaptic time constants",
    "tau_n": "membrane time constants",
}
_NEURON_NAMES = {"theta": "θ", "tau_s": "τ_s", "tau_n": "τ_n"}


def check_kind(wrt: str) -> str:
    """``wrt`` if it is one of :data:`KINDS`, else a ``ValueError`` naming them."""
    if wrt not in KINDS:
        raise ValueError(f"unknown parameter kind {wrt!r}; choose one of {', '.join(KINDS)}")
    return wrt


def input_positions(inputs) -> list[tuple[int, int]]:
    """``(j, m)`` of every input spike of ``inputs`` (``sim.inputs``: sorted, only those in
    ``[0, t_max]``), in the core's column order (module docstring)."""
    return [(j, m) for j, tr in enumerate(inputs) for m in range(len(tr))]


def simulated_inputs(net: fp.Network, inputs, t_max: float) -> tuple:
    """The input trains a simulation uses (``sim.inputs``), without simulating."""
    return validate_inputs(inputs, net.n_inputs, t_max)


def labels(net: fp.Network, inputs, wrt: str) -> list[str]:
    """The names of the parameters of kind ``wrt`` (module docstring), in column order;
    ``inputs`` as in :func:`input_positions`."""
    if check_kind(wrt) == "W":
        return [f"{source_label(j, net.n_inputs)}→n{i}" for j, i in np.argwhere(net.mask)]
    if wrt == "inputs":
        return [f"t_in[{j}][{m}]" for j, m in input_positions(inputs)]
    return [f"{_NEURON_NAMES[wrt]}[n{i}]" for i in range(net.n_neurons)]


def value(net: fp.Network, sim: fp.Simulation, wrt: str, index: int) -> float:
    """The current value of parameter ``index`` of kind ``wrt``."""
    if check_kind(wrt) == "W":
        j, i = np.argwhere(net.mask)[index]
        return float(net.weights[j, i])
    if wrt == "inputs":
        j, m = input_positions(sim.inputs)[index]
        return float(sim.inputs[j][m])
    return float(getattr(net, wrt)[index])


def values(net: fp.Network, sim: fp.Simulation, wrt: str) -> np.ndarray:
    """The current values of every parameter of kind ``wrt``, in column order."""
    if check_kind(wrt) == "W":
        return np.asarray(net.weights[net.mask], dtype=float)
    if wrt == "inputs":
        return np.concatenate([np.asarray(tr, dtype=float) for tr in sim.inputs] + [np.zeros(0)])
    return np.array(getattr(net, wrt), dtype=float)


def domain(sim: fp.Simulation, wrt: str) -> tuple[float, float]:
    """The values a parameter of kind ``wrt`` may take: ``[0, t_max]`` for an input spike
    (outside it the spike is not simulated), the core's ranges for the others."""
    if check_kind(wrt) == "W":
        return -MAX_WEIGHT, MAX_WEIGHT
    return (0.0, float(sim.t_max)) if wrt == "inputs" else CONSTANT_RANGE


def moved(
    net: fp.Network, sim: fp.Simulation, wrt: str, index: int, x: float
) -> tuple[fp.Network, tuple]:
    """The network and inputs with parameter ``index`` of kind ``wrt`` set to ``x`` (an
    input channel's spikes sorted again: the simulation does not depend on their order)."""
    inputs = tuple(np.asarray(tr, dtype=float) for tr in sim.inputs)
    if check_kind(wrt) == "W":
        j, i = np.argwhere(net.mask)[index]
        W = np.array(net.weights)
        W[j, i] = x
        return net.with_weights(W), inputs
    if wrt == "inputs":
        j, m = input_positions(sim.inputs)[index]
        train = np.array(inputs[j])
        train[m] = x
        return net, inputs[:j] + (np.sort(train),) + inputs[j + 1 :]
    constants = {k: np.array(getattr(net, k)) for k in ("tau_s", "tau_n", "theta")}
    constants[wrt][index] = x
    return fp.Network(
        net.weights, net.n_inputs, mask=net.mask, layers=net.layers, **constants
    ), inputs


def flat(net: fp.Network, gradient: np.ndarray, wrt: str) -> np.ndarray:
    """A gradient of the core (``fp_gradient(..., wrt=wrt)``) as one number per parameter
    of kind ``wrt``, in column order (the weights' ``(K+N, N)`` array read at the mask)."""
    if check_kind(wrt) == "W":
        params = np.argwhere(net.mask)
        return np.asarray(gradient)[..., params[:, 0], params[:, 1]]
    return np.asarray(gradient)


def _compare(base: fp.Simulation, other: fp.Simulation, sign: str) -> str | None:
    if other.n_spikes != base.n_spikes:
        return (
            f"p{sign}eps has {other.n_spikes} spikes instead of {base.n_spikes}: a spike "
            "appears or vanishes within the step"
        )
    if not np.array_equal(other.spike_neurons, base.spike_neurons):
        k = int(np.flatnonzero(other.spike_neurons != base.spike_neurons)[0])
        return f"p{sign}eps reorders the spikes (from spike {k} on)"
    return None


def loss_differences(
    net: fp.Network, sim: fp.Simulation, wrt: str, indices, loss_fn, eps: float, simulate
) -> tuple[np.ndarray, dict]:
    """Central differences (module docstring) of ``loss_fn(sim) -> float`` along each
    parameter in ``indices``; ``NaN`` where refused, with the reason in the dict (keyed by
    index). ``simulate(net, inputs, t_max)`` runs each simulation (the caller's budgets)."""
    lo, hi = domain(sim, wrt)
    out = np.full(len(indices), np.nan)
    reasons = {}
    for n, p in enumerate(int(p) for p in indices):
        x = value(net, sim, wrt, p)
        if not lo <= x - eps <= x + eps <= hi:
            reasons[p] = f"p±eps leaves the range [{lo:g}, {hi:g}]"
            continue
        runs = [simulate(*moved(net, sim, wrt, p, x + d), sim.t_max) for d in (eps, -eps)]
        why = _compare(sim, runs[0], "+") or _compare(sim, runs[1], "-")
        if why:
            reasons[p] = why
        else:
            out[n] = (loss_fn(runs[0]) - loss_fn(runs[1])) / (2 * eps)
    return out, reasons
