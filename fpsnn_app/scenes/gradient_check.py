"""The Gradient check page: FP, adjoint and finite differences of a loss with respect to
the parameters of one kind (weights, input spike times, thresholds, time constants:
:mod:`fpsnn_app.params`), and a 1-D slice along one of them.

Relative error between two gradients ``a`` and ``b`` of one parameter::

    rel(a, b) = |a - b| / max(|a|, |b|, 1e-12)

(``0`` when both vanish). Outputs that stay silent enter the losses with the constant
time ``t_max`` (``silent_time``): the loss is defined but no gradient flows through them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

import fpsnn_core as fp

from .. import netfiles, params
from ..figures.gradients import agreement_figure, loss_slice_figure
from ..limits import (
    MAX_FD_WEIGHTS,
    MAX_SPIKES,
    MAX_WEIGHTS_DRAWN,
    MAX_WORK,
    repeats,
    simulate,
    strongest,
)
from .common import Chart, Notice, grazing_notice
from .jacobian import param_labels
from .network import simulate_file

LOSSES = {"cross_entropy": "First-spike cross entropy", "mse": "Spike-time squared error"}
#: Number of weight values in the 1-D slice.
SLICE_POINTS = 161
#: The page's defaults: finite-difference step and half-width of the slice.
DEFAULT_EPS, DEFAULT_SPAN = 1e-6, 0.8
#: Height in pixels of the agreement plot (and the table beside it) in normal mode and while
#: presenting: whole on a 1280x720 screen below the title and the row of controls.
FIGURE_HEIGHT, PRESENT_HEIGHT = 460, 450


def default_weight(net_json: str, outputs: tuple) -> int:
    """The sliced parameter by default: the first weight into the first output neuron
    (index in ``np.argwhere(net.mask)`` order; ``0`` if there is none)."""
    labels = param_labels(netfiles.parse(net_json).network, None)
    return next((p for p, lab in enumerate(labels) if lab.endswith(f"→n{outputs[0]}")), 0)


def loss_function(kind: str, outputs: tuple, label: int, targets: tuple, t_max: float):
    """``sim -> LossValue`` for the chosen loss (docs/model.md#losses)."""
    if kind == "cross_entropy":
        return lambda sim: fp.first_spike_cross_entropy(
            sim, list(outputs), label, silent_time=t_max
        )
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


def gradient_scene(
    net_json: str,
    outputs: tuple,
    kind: str,
    label: int,
    targets: tuple,
    eps: float,
    weight: int,
    span: float,
    wrt: str = "W",
) -> GradientScene:
    """Compare the three gradients of the loss and slice it along parameter ``weight``:
    :func:`check_scene` with the :func:`slice_scene`.

    Parameters
    ----------
    outputs : tuple of int
        Output neurons (one per class, or one per target time).
    weight : int
        Index of the sliced parameter among those of kind ``wrt`` (for the weights:
        ``np.argwhere(net.mask)`` order; :mod:`fpsnn_app.params`).
    span : float
        Half-width of the slice around the current value.
    wrt : {"W", "inputs", "theta", "tau_s", "tau_n"}
        The kind of parameter checked and sliced.
    """
    scene = check_scene(net_json, outputs, kind, label, targets, eps, weight, wrt)
    return replace(
        scene, slice=slice_scene(net_json, outputs, kind, label, targets, weight, span, wrt)
    )


def parameter_options(net_json: str, wrt: str) -> tuple[str, ...]:
    """The names of the parameters of kind ``wrt`` of a network document, in the core's
    column order (:mod:`fpsnn_app.params`); parsed, not simulated."""
    loaded = netfiles.parse(net_json)
    if loaded.t_max is None:
        raise ValueError("the network file has no t_max")
    inputs = params.simulated_inputs(loaded.network, netfiles.file_inputs(loaded), loaded.t_max)
    return tuple(params.labels(loaded.network, inputs, wrt))


def default_index(net_json: str, outputs: tuple, wrt: str) -> int:
    """The checked parameter by default: :func:`default_weight` for the weights, the first
    input spike, else the first output neuron's constant."""
    if wrt == "W":
        return default_weight(net_json, outputs)
    return 0 if wrt == "inputs" else int(outputs[0])


def _no_parameters(wrt: str) -> ValueError:
    return ValueError(
        f"this network has no {params.PLURAL[wrt]} to differentiate"
        + (" (no input spike in [0, t_max])" if wrt == "inputs" else "")
    )


def check_scene(
    net_json: str,
    outputs: tuple,
    kind: str,
    label: int,
    targets: tuple,
    eps: float,
    weight: int,
    wrt: str = "W",
    height: int = FIGURE_HEIGHT,
) -> GradientScene:
    """The three gradients of the loss with respect to every parameter of kind ``wrt``
    (:mod:`fpsnn_app.params`), their table and agreement plot (``height`` pixels tall),
    without the slice (the finite differences always include parameter ``weight``, the
    sliced one: its index among that kind's parameters)."""
    params.check_kind(wrt)
    net, sim = simulate_file(net_json)
    t_max = sim.t_max
    loss_fn = loss_function(kind, outputs, label, targets, t_max)
    value = loss_fn(sim)
    notices = grazing_notice(sim)
    if value.silent.size:
        notices += (
            Notice(
                "warning",
                f"Output neuron(s) {value.silent.tolist()} never fire: the "
                f"loss uses t = t_max = {t_max:g} for them, and no gradient flows "
                "through a spike that does not exist.",
            ),
        )
    names = params.labels(net, sim.inputs, wrt)
    if not names:
        raise _no_parameters(wrt)
    a = params.flat(net, fp.fp_gradient(net, sim, value.dloss_dtimes, wrt=wrt), wrt)
    b = params.flat(net, fp.adjoint_gradient(net, sim, value.dloss_dtimes, wrt=wrt), wrt)
    p = int(np.clip(weight, 0, len(names) - 1))
    # finite differences (two simulations per parameter) on the largest FP gradients only
    checked = strongest(a, repeats(sim, 1, MAX_FD_WEIGHTS, per_item=2), keep=[p])
    c, reasons = _differences(net, sim, wrt, checked, lambda s: loss_fn(s).value, eps)
    unchecked = np.ones(len(names), dtype=bool)
    unchecked[checked] = False
    rel_adj, rel_fd = rel_error(a, b), rel_error(a, c)
    noun, plural = params.KINDS[wrt], params.PLURAL[wrt]
    head = ("weight", "W") if wrt == "W" else ("parameter", "value")
    table = [
        {
            head[0]: lab,
            head[1]: float(v),
            "FP": float(x),
            "adjoint": float(y),
            "finite diff.": None if np.isnan(z) else float(z),
            "rel. err FP–adjoint": float(r1),
            "rel. err FP–FD": None if np.isnan(r2) else float(r2),
            "FD status": "not checked (limit)" if u else reasons.get(n, "ok"),
        }
        for n, (lab, v, x, y, z, r1, r2, u) in enumerate(
            zip(names, params.values(net, sim, wrt), a, b, c, rel_adj, rel_fd, unchecked)
        )
    ]
    if reasons:
        notices += (
            Notice(
                "info",
                f"Finite differences refused for {len(reasons)} of "
                f"{len(names)} {plural}: a step of ±{eps:g} changes the spike count "
                "or order there (or leaves the parameter's range), so the difference "
                "quotient measures a jump, not a derivative (see the table).",
            ),
        )
    if unchecked.any():
        notices += (
            Notice(
                "info",
                f"Finite differences (two simulations per parameter) are "
                f"checked on the {checked.size} {plural} with the largest FP gradients "
                f"(and the sliced one) of {len(names)}, to keep the page fast.",
            ),
        )
    valid = np.isfinite(rel_fd)
    max_fd = float(rel_fd[valid].max()) if valid.any() else float("nan")
    drawn = strongest(a, MAX_WEIGHTS_DRAWN, keep=checked)
    if drawn.size < len(names):
        notices += (
            Notice(
                "info",
                f"The agreement plot draws {drawn.size} of {len(names)} "
                f"{plural} (those checked by finite differences, then the largest FP "
                "gradients); the table and its CSV hold them all.",
            ),
        )
    symbol = {"W": "W", "inputs": "t_in", "theta": "θ", "tau_s": "τ_s", "tau_n": "τ_n"}[wrt]
    agreement = Chart(
        agreement_figure(
            [names[k] for k in drawn], a[drawn], b[drawn], c[drawn], symbol=symbol, height=height
        ),
        alt=(
            f"Scatter plot of {drawn.size} gradients of the loss with respect to "
            f"{plural}: adjoint and finite differences against FP, on the "
            "diagonal when they agree."
        ),
        summary=(
            f"{noun[:1].upper()}{noun[1:]}: max relative error FP vs adjoint "
            f"{rel_adj.max():.1e}, FP vs finite differences {max_fd:.1e} over "
            f"{int(valid.sum())} valid {plural} (step {eps:g}); "
            f"{len(reasons)} refused."
        ),
    )
    csv = _csv(table)
    return GradientScene(
        agreement,
        None,
        table,
        float(value.value),
        float(rel_adj.max()),
        max_fd,
        len(reasons),
        len(names),
        notices,
        csv,
    )


def _differences(
    net: fp.Network, sim: fp.Simulation, wrt: str, checked: np.ndarray, loss, eps: float
) -> tuple[np.ndarray, dict]:
    """Central differences of ``loss`` along the parameters ``checked`` of kind ``wrt``:
    one value per parameter of that kind (``NaN`` where not checked or refused) and the
    reasons of the refused ones, keyed by index. The weights go through the core's
    :func:`fpsnn_core.finite_difference_loss_gradient`, the others through
    :func:`fpsnn_app.params.loss_differences`."""
    out = np.full(params.values(net, sim, wrt).size, np.nan)
    if wrt != "W":
        out[checked], reasons = params.loss_differences(net, sim, wrt, checked, loss, eps, simulate)
        return out, reasons
    entries = np.argwhere(net.mask)
    fd = fp.finite_difference_loss_gradient(
        net,
        sim.inputs,
        sim.t_max,
        loss,
        eps=eps,
        entries=entries[checked],
        max_spikes=MAX_SPIKES,
        max_work=MAX_WORK,
    )
    out[checked] = fd.jacobian[entries[checked, 0], entries[checked, 1]]
    where = {(int(j), int(i)): n for n, (j, i) in enumerate(entries)}
    return out, {where[e]: why for e, why in fd.reasons.items()}


def slice_scene(
    net_json: str,
    outputs: tuple,
    kind: str,
    label: int,
    targets: tuple,
    weight: int,
    span: float,
    wrt: str = "W",
) -> Chart:
    """The loss along parameter ``weight`` of kind ``wrt`` in ``±span`` around its value
    (within the parameter's range, :func:`fpsnn_app.params.domain`), with FP's tangent.

    The simulations along the slice do not depend on the loss: they are kept per network,
    parameter and span (:func:`slice_runs`), so a change of loss, class or targets only
    evaluates the loss again.
    """
    net, sim = simulate_file(net_json)
    loss_fn = loss_function(kind, outputs, label, targets, sim.t_max)
    value = loss_fn(sim)
    names = params.labels(net, sim.inputs, params.check_kind(wrt))
    if not names:
        raise _no_parameters(wrt)
    p = int(np.clip(weight, 0, len(names) - 1))
    slope = float(params.flat(net, fp.fp_gradient(net, sim, value.dloss_dtimes, wrt=wrt), wrt)[p])
    x0 = params.value(net, sim, wrt, p)
    x, runs = slice_runs(net_json, wrt, p, float(span))
    loss = np.full(x.size, np.nan)
    counts = np.zeros(x.size, dtype=int)
    signature = []
    for m, s in enumerate(runs):
        if s is None:  # runaway firing at this value
            signature.append(None)
            continue
        loss[m], counts[m] = loss_fn(s).value, s.n_spikes
        signature.append(tuple(s.spike_counts(net.n_neurons).tolist()))
    return _slice_chart(
        x, loss, counts, signature, x0, value.value, slope, names[p], span, params.NOUN[wrt]
    )


@lru_cache(maxsize=16)
def slice_runs(net_json: str, wrt: str, index: int, span: float) -> tuple[np.ndarray, tuple]:
    """Values ``x`` of parameter ``index`` of kind ``wrt`` along ``x0 ± span`` (clipped to
    its range) and the simulation at each (``None`` where firing runs away); fewer points
    when one simulation is costly. Read-only."""
    net, sim = simulate_file(net_json)
    x0 = params.value(net, sim, wrt, index)
    lo, hi = params.domain(sim, wrt)
    n_points = repeats(sim, 5, SLICE_POINTS)  # fewer points when a simulation is costly
    x = np.unique(np.append(np.clip(x0 + np.linspace(-span, span, n_points), lo, hi), x0))
    runs = []
    for xm in x:  # one exact simulation per value
        try:
            runs.append(simulate(*params.moved(net, sim, wrt, index, xm), sim.t_max))
        except fp.RunawayFiringError:
            runs.append(None)
    return x, tuple(runs)


def _slice_chart(
    w,
    loss,
    counts,
    signature,
    w0: float,
    loss0: float,
    slope: float,
    label: str,
    span: float,
    noun: str = "weight",
) -> Chart:
    pieces = np.cumsum([0] + [signature[m] != signature[m - 1] for m in range(1, w.size)])
    n_jumps = int(pieces[-1])
    fig = loss_slice_figure(w, loss, counts, pieces, w0, loss0, slope, label, noun)
    return Chart(
        fig,
        alt=(
            f"Line plot of the loss as {noun} {label} varies by ±{span:g}, with the FP "
            "tangent at the current value and the number of spikes below."
        ),
        summary=(
            f"Along {label} the loss has {n_jumps + 1} piece(s) in ±{span:g}: at each "
            f"dotted line a spike appears or vanishes and the loss may jump. The FP "
            f"tangent (slope {slope:.4g}) touches the current piece."
        ),
    )


def _csv(table: list) -> str:
    head = list(table[0]) if table else []
    lines = [",".join(head)]
    for row in table:
        lines.append(
            ",".join(
                ""
                if row[k] is None
                else (repr(row[k]) if isinstance(row[k], float) else f'"{row[k]}"')
                for k in head
            )
        )
    return "\n".join(lines) + "\n"
