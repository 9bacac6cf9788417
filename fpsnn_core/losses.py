"""Losses on spike times and their derivatives ``dLoss/dF`` (docs/model.md#losses).

First-spike cross entropy, with ``t_c`` the first spike of output neuron ``c`` and
``y`` the label::

    loss = -log softmax(-t / tau_0)[y] + gamma (exp(t_y / tau_1) - 1)          (C1)
    dloss/dt_c = (1[c=y] - softmax_c(-t / tau_0)) / tau_0
                 + 1[c=y] gamma exp(t_y / tau_1) / tau_1                         (C2)

Spike-time mean squared error against target times for the first spike of each
listed neuron::

    loss = mean_c (t_c - target_c)^2,   dloss/dt_c = 2 (t_c - target_c) / n    (M1)

Neither loss depends on ``W`` except through ``F``, so ``dLoss/dW = dLoss/dF dF/dW``.

An output that does not fire has no first spike time. By default this raises
:class:`NoSpikeError` naming the neuron. With ``silent_time=T`` the loss instead uses
the constant ``T`` for that neuron (for instance ``t_max``): the loss is then defined,
but no gradient flows through that neuron's time (it has none), and ``LossValue.silent``
lists such neurons so that a caller can treat them explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .checks import indices, integer, real
from .errors import ArgumentTypeError, NoSpikeError
from .simulate import Simulation, SpikeRecord

_NO_LIMIT = np.iinfo(np.int64).max


@dataclass(frozen=True, eq=False)
class LossValue:
    """A loss, its derivative with respect to every spike time, and what it used.

    Attributes
    ----------
    value : float
    dloss_dtimes : ndarray, shape (n_spikes,)
    times : ndarray, shape (n_outputs,)   the first spike times used (or ``silent_time``)
    silent : ndarray of int               output neurons that did not fire
    """

    value: float
    dloss_dtimes: np.ndarray
    times: np.ndarray
    silent: np.ndarray


def _neurons(sim, name: str, neurons, unique: bool = True) -> tuple[int, ...]:
    """Check the simulation and the neuron list (in range when the network is known)."""
    if not isinstance(sim, SpikeRecord):
        raise ArgumentTypeError(f"sim must be a simulation (fp.simulate), got {type(sim).__name__}")
    net = getattr(sim, "network", None)
    return indices(name, neurons, _NO_LIMIT if net is None else net.n_neurons, unique=unique)


def _checked(value: float, dt: np.ndarray, what: str):
    if not (np.isfinite(value) and np.all(np.isfinite(dt))):
        raise ValueError(f"the loss is not finite ({value!r}): {what}")
    return value, dt


def _first_times(sim: Simulation, neurons: Sequence[int], silent_time: float | None):
    if silent_time is not None:
        silent_time = real("silent_time", silent_time)
    idx = sim.first_spikes(neurons)
    silent = np.asarray(neurons)[idx < 0]
    if silent.size and silent_time is None:
        raise NoSpikeError(
            f"output neuron(s) {silent.tolist()} did not fire before t_max={sim.t_max:g}: "
            "there is no spike time to put in the loss (pass silent_time to use a constant)"
        )
    t = np.where(
        idx >= 0,
        sim.spike_times[np.maximum(idx, 0)] if sim.n_spikes else 0.0,
        np.nan if silent_time is None else silent_time,
    )
    return idx, t.astype(float), silent


def first_spike_cross_entropy(
    sim: Simulation,
    outputs: Sequence[int],
    label: int,
    *,
    tau_0: float = 1.0,
    gamma: float = 0.0,
    tau_1: float = 1.0,
    silent_time: float | None = None,
) -> LossValue:
    """First-spike cross entropy (C1) and its derivative (C2).

    Parameters
    ----------
    outputs : sequence of int
        Output neurons, one per class.
    label : int
        Index into ``outputs`` of the correct class.
    """
    outputs = _neurons(sim, "outputs", outputs)
    labels = _check_labels([integer("label", label)], 1, len(outputs))
    idx, t, silent = _first_times(sim, outputs, silent_time)
    values, dt = cross_entropy(t[None, :], labels, tau_0=tau_0, gamma=gamma, tau_1=tau_1)
    return _result(sim, idx, values[0], dt[0], t, silent)


def _check_labels(labels, B: int, C: int) -> np.ndarray:
    labels = np.asarray(labels)
    if (
        labels.shape != (B,)
        or (labels.size and not np.issubdtype(labels.dtype, np.integer))
        or np.any((labels < 0) | (labels >= C))
    ):
        raise ValueError(
            f"label must be an integer in 0..{C - 1} (one per sample, {B}), got "
            f"{labels.reshape(-1)[:5].tolist()}"
        )
    return labels


def cross_entropy(
    t, labels, *, tau_0: float = 1.0, gamma: float = 0.0, tau_1: float = 1.0, exclude=None
) -> tuple[np.ndarray, np.ndarray]:
    """(C1) and (C2) for a batch: the one evaluation of the first-spike cross entropy
    (:func:`first_spike_cross_entropy` and the batched path call it).

    Parameters
    ----------
    t : ndarray, shape (B, C)       first spike times (finite: silent outputs already
                                    replaced by a constant)
    labels : array_like of int, shape (B,)
    exclude : ndarray of bool, shape (B, C), optional
        Outputs left out of the softmax sum of (C1) (their ``dloss/dt`` is 0); never a
        sample's label.

    Returns
    -------
    values : ndarray, shape (B,)
    dloss_dt : ndarray, shape (B, C)
    """
    B, C = t.shape
    labels = _check_labels(labels, B, C)
    tau_0 = real("tau_0", tau_0, positive=True)
    tau_1 = real("tau_1", tau_1, positive=True)
    gamma = real("gamma", gamma)
    z = -t / tau_0
    rows = np.arange(B)
    if exclude is not None:
        if np.any(exclude[rows, labels]):
            raise ValueError("a sample's label cannot be left out of the softmax")
        z = np.where(exclude, -np.inf, z)
    log_norm = np.logaddexp.reduce(z, axis=1)
    t_y = t[rows, labels]
    with np.errstate(over="ignore", invalid="ignore"):
        values = log_norm - z[rows, labels] + gamma * np.expm1(t_y / tau_1)  # (C1)
        dt = -np.exp(z - log_norm[:, None]) / tau_0
        dt[rows, labels] += 1.0 / tau_0 + gamma * np.exp(t_y / tau_1) / tau_1  # (C2)
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(dt))):
        raise ValueError(
            f"the loss is not finite: gamma exp(t / tau_1) overflows for t up to "
            f"{np.max(t_y):g} with tau_1={tau_1:g}; use a larger tau_1"
        )
    return values, dt


#: How the batched first-spike loss treats outputs that did not fire (``silent=``).
SILENT_RULES = ("t_max", "exclude")


def cross_entropy_of_first_spikes(
    T,
    labels,
    t_max: float,
    *,
    tau_0: float = 1.0,
    gamma: float = 0.0,
    tau_1: float = 1.0,
    silent: str = "t_max",
):
    """(C1)-(C2) of a batch of output first spikes ``T`` (``inf`` where silent).

    ``silent="t_max"``: a silent output counts at ``t_max`` and passes no gradient (it has
    no spike time). ``silent="exclude"`` (EventProp's rule): silent wrong outputs leave
    the softmax sum; a sample whose label output is silent costs the constant (C1) with
    every output at ``t_max``, ``log C + gamma (exp(t_max / tau_1) - 1)``, and so has no
    gradient (it is a wrong answer either way). Both are exact derivatives of the value
    where no first spike appears or disappears.

    Returns
    -------
    values : ndarray, shape (B,)
    dloss_dt : ndarray, shape (B, C)   zero for silent outputs
    t : ndarray, shape (B, C)          the times used (``t_max`` if silent)
    silent : ndarray of bool, shape (B, C)
    """
    if silent not in SILENT_RULES:
        raise ValueError(f"silent must be one of {SILENT_RULES}, got {silent!r}")
    T = np.asarray(T, dtype=float)
    quiet = ~np.isfinite(T)
    t = np.where(quiet, t_max, T)
    if silent == "t_max":
        values, dt = cross_entropy(t, labels, tau_0=tau_0, gamma=gamma, tau_1=tau_1)
        return values, np.where(quiet, 0.0, dt), t, quiet
    labels = _check_labels(labels, *T.shape)
    label_quiet = quiet[np.arange(T.shape[0]), labels]
    t = np.where(label_quiet[:, None], t_max, t)
    values, dt = cross_entropy(
        t, labels, tau_0=tau_0, gamma=gamma, tau_1=tau_1, exclude=quiet & ~label_quiet[:, None]
    )
    return values, np.where(quiet | label_quiet[:, None], 0.0, dt), t, quiet


def spike_time_mse(
    sim: Simulation, neurons: Sequence[int], targets, *, silent_time: float | None = None
) -> LossValue:
    """Mean squared error (M1) of the first spike times of ``neurons`` against ``targets``."""
    neurons = _neurons(sim, "neurons", neurons, unique=False)
    if isinstance(targets, (str, bytes, dict)):
        raise ArgumentTypeError(f"targets must be a list of numbers, got {targets!r}")
    try:
        targets = np.asarray(targets)
    except (TypeError, ValueError):
        raise ArgumentTypeError("targets must be a list of numbers") from None
    if targets.dtype.kind not in "iuf":
        raise ArgumentTypeError(f"targets must be a list of numbers, got {targets.dtype} values")
    targets = targets.astype(float)
    if targets.shape != (len(neurons),) or not np.all(np.isfinite(targets)):
        raise ValueError(f"targets must be {len(neurons)} finite times, got {targets.tolist()}")
    idx, t, silent = _first_times(sim, neurons, silent_time)
    err = t - targets
    with np.errstate(over="ignore"):
        value, dt = _checked(
            float(np.mean(err**2)),
            2.0 * err / err.size,
            "the spike times and the targets are too far apart",
        )
    return _result(sim, idx, value, dt, t, silent)


def _result(sim, idx, value, dt, t, silent) -> LossValue:
    grad = np.zeros(sim.n_spikes)
    fired = idx >= 0
    np.add.at(grad, idx[fired], dt[fired])
    return LossValue(float(value), grad, t, silent)
