"""The Gradient check page: FP, adjoint and finite differences of a loss, and a 1-D slice.

Relative error between two gradients ``a`` and ``b`` of one weight::

    rel(a, b) = |a - b| / max(|a|, |b|, 1e-12)

(``0`` when both vanish). Outputs that stay silent enter the losses with the constant
time ``t_max`` (``silent_time``): the loss is defined but no gradient flows through them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

import fpsnn_core as fp

from .. import netfiles
from ..figures.gradients import agreement_figure, loss_slice_figure
from ..limits import (MAX_FD_WEIGHTS, MAX_SPIKES, MAX_WEIGHTS_DRAWN, MAX_WORK, repeats,
                      simulate, strongest)
from .common import Chart, Notice, grazing_notice
from .jacobian import param_labels
from .network import simulate_file

LOSSES = {"cross_entropy": "First-spike cross entropy", "mse": "Spike-time squared error"}
#: Number of weight values in the 1-D slice.
SLICE_POINTS = 161
#: The page's defaults: finite-difference step and half-width of the slice.
DEFAULT_EPS, DEFAULT_SPAN = 1e-6, 0.8


def default_weight(net_json: str, outputs: tuple) -> int:
    """The sliced parameter by default: the first weight into the first output neuron
    (index in ``np.argwhere(net.mask)`` order; ``0`` if there is none)."""
    labels = param_labels(netfiles.parse(net_json).network, None)
    return next((p for p, lab in enumerate(labels) if lab.endswith(f"→n{outputs[0]}")), 0)


def loss_function(kind: str, outputs: tuple, label: int, targets: tuple, t_max: float):
    """``sim -> LossValue`` for the chosen loss (docs/model.md#losses)."""
    if kind == "cross_entropy":
        return lambda sim: fp.first_spike_cross_entropy(sim, list(outputs), label, silent_time=t_max)
    if kind == "mse":
        return lambda sim: fp.spike_time_mse(sim, list(outputs), list(targets), silent_time=t_max)
    raise ValueError(f"unknown loss {kind!r}; choose one of {sorted(LOSSES)}")


def rel_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise relative error (module docstring); ``NaN`` where ``b`` is ``NaN``."""
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
    return np.abs(a - b) / scale


@dataclass(frozen=True, eq=False)
class GradientScene:
    """What the Gradient check page draws; ``table`` has one row per weight; ``slice`` is
    ``None`` from :func:`check_scene` (the page draws it with :func:`slice_scene`)."""

    agreement: Chart
    slice: Chart | None
    table: list
    loss: float
    max_rel_adjoint: float
    max_rel_fd: float
    n_refused: int
    n_params: int
    notices: tuple
    table_csv: str


def gradient_scene(net_json: str, outputs: tuple, kind: str, label: int, targets: tuple,
                   eps: float, weight: int, span: float) -> GradientScene:
    """Compare the three gradients of the loss and slice it along parameter ``weight``:
    :func:`check_scene` with the :func:`slice_scene`.

    Parameters
    ----------
    outputs : tuple of int
        Output neurons (one per class, or one per target time).
    weight : int
        Index of the sliced parameter in ``np.argwhere(net.mask)`` order.
    span : float
        Half-width of the slice around the current weight.
    """
    scene = check_scene(net_json, outputs, kind, label, targets, eps, weight)
    return replace(scene, slice=slice_scene(net_json, outputs, kind, label, targets, weight,
                                            span))


def check_scene(net_json: str, outputs: tuple, kind: str, label: int, targets: tuple,
                eps: float, weight: int) -> GradientScene:
    """The three gradients of the loss, their table and agreement plot, without the slice
    (the finite differences always include parameter ``weight``, the sliced one)."""
    net, sim = simulate_file(net_json)
    t_max = sim.t_max
    loss_fn = loss_function(kind, outputs, label, targets, t_max)
    value = loss_fn(sim)
    notices = grazing_notice(sim)
    if value.silent.size:
        notices += (Notice("warning", f"Output neuron(s) {value.silent.tolist()} never fire: the "
                           f"loss uses t = t_max = {t_max:g} for them, and no gradient flows "
                           "through a spike that does not exist."),)
    g_fp = fp.fp_gradient(net, sim, value.dloss_dtimes)
    g_adj = fp.adjoint_gradient(net, sim, value.dloss_dtimes)
    params = np.argwhere(net.mask)
    p = int(np.clip(weight, 0, len(params) - 1))
    # finite differences (two simulations per weight) on the largest FP gradients only
    checked = strongest(g_fp[params[:, 0], params[:, 1]],
                        repeats(sim, 1, MAX_FD_WEIGHTS, per_item=2), keep=[p])
    fd = fp.finite_difference_loss_gradient(net, sim.inputs, t_max, lambda s: loss_fn(s).value,
                                            eps=eps, entries=params[checked],
                                            max_spikes=MAX_SPIKES, max_work=MAX_WORK)
    unchecked = np.ones(len(params), dtype=bool)
    unchecked[checked] = False
    fd.jacobian[params[unchecked, 0], params[unchecked, 1]] = np.nan
    labels = param_labels(net, params)
    a, b, c = (g[params[:, 0], params[:, 1]] for g in (g_fp, g_adj, fd.jacobian))
    rel_adj, rel_fd = rel_error(a, b), rel_error(a, c)
    table = [{"weight": lab, "W": float(net.weights[j, i]), "FP": float(x), "adjoint": float(y),
              "finite diff.": None if np.isnan(z) else float(z),
              "rel. err FP–adjoint": float(r1), "rel. err FP–FD": None if np.isnan(r2) else float(r2),
              "FD status": "not checked (limit)" if u else fd.reasons.get((int(j), int(i)), "ok")}
             for lab, (j, i), x, y, z, r1, r2, u in zip(labels, params, a, b, c, rel_adj, rel_fd,
                                                       unchecked)]
    if fd.reasons:
        notices += (Notice("info", f"Finite differences refused for {len(fd.reasons)} of "
                           f"{len(params)} weights: a step of ±{eps:g} changes the spike count "
                           "or order there, so the difference quotient measures a jump, not a "
                           "derivative (see the table)."),)
    if unchecked.any():
        notices += (Notice("info", f"Finite differences (two simulations per weight) are checked "
                           f"on the {checked.size} weights with the largest FP gradients (and the "
                           f"sliced one) of {len(params)}, to keep the page fast."),)
    valid = np.isfinite(rel_fd)
    max_fd = float(rel_fd[valid].max()) if valid.any() else float("nan")
    drawn = strongest(a, MAX_WEIGHTS_DRAWN, keep=checked)
    if drawn.size < len(params):
        notices += (Notice("info", f"The agreement plot draws {drawn.size} of {len(params)} "
                           "weights (those checked by finite differences, then the largest FP "
                           "gradients); the table and its CSV hold them all."),)
    agreement = Chart(agreement_figure([labels[k] for k in drawn], a[drawn], b[drawn], c[drawn]),
                      alt=(f"Scatter plot of {drawn.size} weight gradients: adjoint and finite "
                           "differences against FP, on the diagonal when they agree."),
                      summary=(f"Max relative error FP vs adjoint {rel_adj.max():.1e}, FP vs finite "
                               f"differences {max_fd:.1e} over {int(valid.sum())} valid weights "
                               f"(step {eps:g}); {len(fd.reasons)} refused."))
    csv = _csv(table)
    return GradientScene(agreement, None, table, float(value.value), float(rel_adj.max()),
                         max_fd, len(fd.reasons), len(params), notices, csv)


def slice_scene(net_json: str, outputs: tuple, kind: str, label: int, targets: tuple,
                weight: int, span: float) -> Chart:
    """The loss along parameter ``weight`` in ``±span`` around its value, with FP's tangent.

    The simulations along the slice do not depend on the loss: they are kept per network,
    parameter and span (:func:`slice_runs`), so a change of loss, class or targets only
    evaluates the loss again.
    """
    net, sim = simulate_file(net_json)
    loss_fn = loss_function(kind, outputs, label, targets, sim.t_max)
    value = loss_fn(sim)
    params = np.argwhere(net.mask)
    p = int(np.clip(weight, 0, len(params) - 1))
    j, i = int(params[p, 0]), int(params[p, 1])
    slope = float(fp.fp_gradient(net, sim, value.dloss_dtimes)[j, i])
    w0 = float(net.weights[j, i])
    w, runs = slice_runs(net_json, j, i, float(span))
    loss = np.full(w.size, np.nan)
    counts = np.zeros(w.size, dtype=int)
    signature = []
    for m, s in enumerate(runs):
        if s is None:                                # runaway firing at this weight
            signature.append(None)
            continue
        loss[m], counts[m] = loss_fn(s).value, s.n_spikes
        signature.append(tuple(s.spike_counts(net.n_neurons).tolist()))
    return _slice_chart(w, loss, counts, signature, w0, value.value, slope,
                        param_labels(net, params)[p], span)


@lru_cache(maxsize=16)
def slice_runs(net_json: str, j: int, i: int, span: float) -> tuple[np.ndarray, tuple]:
    """Weight values ``w`` along ``W[j, i] ± span`` and the simulation at each (``None``
    where firing runs away); fewer points when one simulation is costly. Read-only."""
    net, sim = simulate_file(net_json)
    w0 = float(net.weights[j, i])
    n_points = repeats(sim, 5, SLICE_POINTS)      # fewer points when a simulation is costly
    w = np.unique(np.append(w0 + np.linspace(-span, span, n_points), w0))
    runs = []
    for wm in w:                                     # one exact simulation per weight value
        W = np.array(net.weights)
        W[j, i] = wm
        try:
            runs.append(simulate(net.with_weights(W), sim.inputs, sim.t_max))
        except fp.RunawayFiringError:
            runs.append(None)
    return w, tuple(runs)


def _slice_chart(w, loss, counts, signature, w0: float, loss0: float, slope: float, label: str,
                 span: float) -> Chart:
    pieces = np.cumsum([0] + [signature[m] != signature[m - 1] for m in range(1, w.size)])
    n_jumps = int(pieces[-1])
    fig = loss_slice_figure(w, loss, counts, pieces, w0, loss0, slope, label)
    return Chart(fig,
                 alt=(f"Line plot of the loss as weight {label} varies by ±{span:g}, with the FP "
                      "tangent at the current value and the number of spikes below."),
                 summary=(f"Along {label} the loss has {n_jumps + 1} piece(s) in ±{span:g}: at each "
                          f"dotted line a spike appears or vanishes and the loss may jump. The FP "
                          f"tangent (slope {slope:.4g}) touches the current piece."))


def _csv(table: list) -> str:
    head = list(table[0]) if table else []
    lines = [",".join(head)]
    for row in table:
        lines.append(",".join("" if row[k] is None else
                              (repr(row[k]) if isinstance(row[k], float) else f'"{row[k]}"')
                              for k in head))
    return "\n".join(lines) + "\n"
