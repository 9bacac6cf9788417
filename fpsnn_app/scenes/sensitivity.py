"""The Sensitivity page: which parameter moves one spike (or the loss) most.

For a chosen spike ``f_k`` the exact derivatives ``df_k/dp`` with respect to every
parameter of the network (each weight, input spike time, threshold and time constant,
:mod:`fpsnn_app.params`) come from FP over the spike's causal past
(:func:`fpsnn_core.spike_time_jacobian` with ``spikes=[k]``); for the loss (first-spike
cross entropy) ``dLoss/dp`` from the adjoint (:func:`fpsnn_core.adjoint_gradient`). They
are ranked by magnitude. The parameters have different units (a weight, a time, a
potential), so the ranking compares the effect of one unit of each.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

import fpsnn_core as fp

from .. import params
from ..figures.common import spike_short_labels
from ..figures.sensitivity import sensitivity_figure
from .common import Chart, Notice, grazing_notice
from .gradient_check import loss_function
from .network import simulate_file

#: The loss the page differentiates when no spike is chosen.
LOSS = "loss"
#: Number of bars drawn.
TOP = 15


@dataclass(frozen=True, eq=False)
class SensitivityScene:
    """What the Sensitivity page draws: the ranked bars, a table of every parameter
    (ranked), the largest entry and the texts of the downloads."""

    chart: Chart
    table: list
    largest: str
    n_params: int
    n_nonzero: int
    notices: tuple
    csv: str


def derivatives(
    net: fp.Network, sim: fp.Simulation, target: str, outputs: tuple, label: int, kinds: tuple
) -> tuple[list, list, np.ndarray]:
    """``(kinds, names, values)`` of every parameter of the kinds asked for: ``df_k/dp`` for
    the spike named ``target`` (``"n<i>.<m>"``), ``dLoss/dp`` for :data:`LOSS`."""
    if target == LOSS:
        c = loss_function("cross_entropy", outputs, label, (), sim.t_max)(sim).dloss_dtimes
        grad = lambda wrt: fp.adjoint_gradient(net, sim, c, wrt=wrt)  # noqa: E731
    else:
        k = spike_short_labels(sim).index(target)
        grad = lambda wrt: fp.spike_time_jacobian(net, sim, [k], wrt=wrt)[0]  # noqa: E731
    which, names, values = [], [], []
    for wrt in kinds:
        lab = params.labels(net, sim.inputs, wrt)
        if not lab:
            continue
        which += [wrt] * len(lab)
        names += lab
        values.append(params.flat(net, grad(wrt), wrt))
    return which, names, np.concatenate(values + [np.zeros(0)])


def sensitivity_scene(
    net_json: str, outputs: tuple, target: str, label: int, kinds: tuple
) -> SensitivityScene:
    """Rank the derivatives of spike ``target`` (or of the loss) over the parameters of
    ``kinds`` (a tuple of :data:`fpsnn_app.params.KINDS` keys)."""
    net, sim = simulate_file(net_json)
    kinds = tuple(params.check_kind(w) for w in kinds) or tuple(params.KINDS)
    if target != LOSS and target not in spike_short_labels(sim):
        raise ValueError(f"there is no spike {target} in this network's simulation")
    which, names, values = derivatives(net, sim, target, outputs, label, kinds)
    order = np.argsort(-np.abs(values), kind="stable")
    notices = grazing_notice(sim)
    of = "loss" if target == LOSS else f"f({target})"
    if target == LOSS:
        silent = [int(o) for o in outputs if sim.spikes_of(int(o)).size == 0]
        if silent:
            notices += (
                Notice(
                    "warning",
                    f"Output neuron(s) {silent} never fire: the loss uses "
                    "t = t_max for them, and no gradient flows through a spike that "
                    "does not exist.",
                ),
            )
    nonzero = int(np.count_nonzero(values))
    if values.size and nonzero == 0:
        notices += (
            Notice(
                "info",
                f"Every derivative of {of} is zero: no parameter of these "
                "kinds reaches it (it has no causal past among them).",
            ),
        )
    top = order[:TOP]
    table = [
        {
            "rank": r + 1,
            "parameter": names[n],
            "kind": params.KINDS[which[n]],
            f"d {of}/dp": float(values[n]),
        }
        for r, n in enumerate(order)
    ]
    largest = f"{names[order[0]]}: {values[order[0]]:+.4g}" if nonzero else "none"
    kinds_text = ", ".join(params.PLURAL[w] for w in kinds)
    chart = Chart(
        sensitivity_figure([names[n] for n in top], values[top], of),
        alt=(
            f"Horizontal bar chart of the {top.size} largest exact derivatives of "
            f"{of} among {values.size} parameters ({kinds_text}), largest on top."
        ),
        summary=(
            f"Largest: {largest}; {nonzero} of {values.size} derivatives are "
            "non-zero"
            + (" (the others have no path to it)" if nonzero < values.size else "")
            + ". Units differ: each bar is the change per unit of its parameter."
        ),
    )
    return SensitivityScene(chart, table, largest, int(values.size), nonzero, notices, _csv(table))


def _csv(table: list) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(table[0]) if table else ["rank", "parameter", "kind", "derivative"])
    for row in table:
        w.writerow([repr(v) if isinstance(v, float) else v for v in row.values()])
    return out.getvalue()
