"""The Surrogate gradients page: credit over time for one synapse, the surrogate BPTT
gradients against the exact FP gradient and finite differences, and sweeps over ``dt``
and the slope (numbers from :mod:`fpsnn_app.surrogate_compare`).

Three scene functions, so that a page rerun recomputes only what its widgets changed:
:func:`credit_scene` (synapse), :func:`gradients_scene` (loss, step, surrogates) and
:func:`sweeps_scene` (the same, swept). Every surrogate shares one slope ``beta``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import netfiles
from ..figures.common import source_label
from ..figures.surrogate import (
    credit_figure,
    drawn_weights,
    dt_sweep_figure,
    gradient_figure,
    slope_sweep_figure,
    surrogate_title,
)
from ..surrogate_compare import (
    LossSpec,
    Options,
    Reference,
    Sweep,
    compare_gradients,
    reference,
    sweep_dt,
    sweep_slope,
    synapse_credit,
)
from .common import Chart, Notice, grazing_notice
from .network import simulate_file

#: Steps offered on the page and swept, largest first.
DTS = (0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
#: Slopes offered on the page and swept.
SLOPES = (0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0)
LOSSES = {"cross_entropy": "First-spike cross entropy", "mse": "Spike-time squared error"}


def _load(net_json: str):
    net, sim = simulate_file(net_json)
    return net, netfiles.file_inputs(netfiles.parse(net_json)), sim


@lru_cache(maxsize=8)
def _reference(net_json: str, loss: LossSpec) -> Reference:
    """The exact gradient and finite differences, shared by every step, slope and surrogate
    (kept for the last few networks and losses; read-only)."""
    net, inputs, sim = _load(net_json)
    return reference(net, inputs, sim.t_max, loss)


@lru_cache(maxsize=8)
def _dt_sweep(net_json: str, loss: LossSpec, names: tuple, slope: float, options: Options) -> Sweep:
    """The sweep over every step of :data:`DTS`: drawn by :func:`dt_sweep_chart` and
    stepped through by the gradients figure (kept for the last few; read-only)."""
    net, inputs, sim = _load(net_json)
    return sweep_dt(
        net,
        inputs,
        sim.t_max,
        loss,
        DTS,
        {n: slope for n in names},
        options,
        _reference(net_json, loss),
    )


def synapse_options(net_json: str) -> tuple[tuple[int, int], ...]:
    """Every connection ``(j, i)``, those into neurons that fire first, inputs first."""
    net, _, sim = _load(net_json)
    counts = sim.spike_counts(net.n_neurons)
    params = [tuple(map(int, p)) for p in np.argwhere(net.mask)]
    return tuple(
        sorted(params, key=lambda p: (counts[p[1]] == 0, p[0] >= net.n_inputs, p[1], p[0]))
    )


@dataclass(frozen=True, eq=False)
class CreditScene:
    """Credit over time for one synapse, and one row per firing time of its target."""

    chart: Chart
    table: list


def credit_scene(
    net_json: str, j: int, i: int, dt: float, names: tuple, slope: float, height: int | None = None
) -> CreditScene:
    """The credit-over-time figure of ``j -> i`` for the surrogates ``names`` at ``slope``;
    ``height`` (pixels, presentation mode) fits the whole figure into that height."""
    net, inputs, sim = _load(net_json)
    slopes = {n: slope for n in names}
    credit = synapse_credit(net, inputs, sim.t_max, j, i, dt, slopes)
    label = f"{source_label(j, net.n_inputs)} → n{i}"
    table = []
    for k, (f, w) in enumerate(zip(credit.fp_times, credit.fp_weights)):
        row = {"spike": f"f{k + 1}", "time f": float(f), "FP: y(f)/V'(f)": float(w)}
        lo = credit.fp_times[k - 1] if k else 0.0
        window = (credit.t > lo) & (credit.t <= f)
        for n in names:
            integral = credit.density[n][window].sum() * dt
            row[f"{surrogate_title(n)}: ∫ since last spike"] = float(integral)
        table.append(row)
    n_f = credit.fp_times.size
    summary = (
        f"{label}: FP puts its credit at the {n_f} firing time(s) of n{i}, weighted by "
        f"y(f)/V'(f) (staircase); each surrogate spreads σ'(V − θ)·y over every moment "
        f"V comes near θ, fired or not (curves)."
    )
    alt = (
        f"Three panels over time for synapse {label}: the membrane potential of neuron {i}, the "
        f"surrogate credit densities, and cumulative credit of FP against each surrogate."
    )
    return CreditScene(
        Chart(
            credit_figure(credit, slopes, net.n_inputs, slope_steps=SLOPES, fit=height),
            alt,
            summary,
        ),
        table,
    )


@dataclass(frozen=True, eq=False)
class GradientsScene:
    """Gradients weight by weight, one row of similarity per surrogate, and the losses."""

    chart: Chart
    table: list
    loss_exact: float
    loss_discrete: float
    spike_time_error: float
    fd_max_rel: float
    notices: tuple
    table_csv: str


def _loss(outputs, kind, label, targets) -> LossSpec:
    return LossSpec(tuple(outputs), kind, int(label), tuple(targets) if targets else (1.0,))


def gradients_scene(
    net_json: str,
    outputs: tuple,
    kind: str,
    label: int,
    targets: tuple,
    dt: float,
    names: tuple,
    slope: float,
    time_normalized: bool,
    detach_reset: bool,
    normalize: bool,
) -> GradientsScene:
    """FP, finite differences and surrogate BPTT of one loss, with their similarities."""
    if not names:
        raise ValueError("choose at least one surrogate")
    net, inputs, sim = _load(net_json)
    loss = _loss(outputs, kind, label, targets)
    slopes = {n: slope for n in names}
    opts = Options(time_normalized, detach_reset)
    cmp = compare_gradients(
        net, inputs, sim.t_max, loss, dt, slopes, opts, ref=_reference(net_json, loss)
    )
    err = cmp.spike_time_error
    rows = []
    for n, s in cmp.similarity.items():
        rows.append(
            {
                "surrogate": surrogate_title(n, slope),
                "cosine (hidden)": s.cosine_hidden,
                "rel. norm (hidden)": s.relative_norm_hidden,
                "cosine within neurons": s.cosine_within_neurons,
                "cosine (all)": s.cosine,
                "rel. norm (all)": s.relative_norm,
            }
        )
    ok = np.isfinite(cmp.finite_diff) & net.mask
    scale = max(np.abs(cmp.exact[net.mask]).max(initial=0.0), 1e-300)
    fd_rel = (
        float(np.abs(cmp.finite_diff - cmp.exact)[ok].max() / scale) if ok.any() else float("nan")
    )
    notices = grazing_notice(sim)
    if not cmp.hidden.any():
        notices += (
            Notice(
                "info",
                "No neuron here sends spikes to another: every weight reaches the "
                "loss through the spike-time readout only, where BPTT needs no "
                "surrogate. Pick a network with hidden neurons.",
            ),
        )
    if np.isnan(err):
        notices += (
            Notice(
                "warning",
                f"At dt = {dt:g} some neuron fires a different number of times "
                "than in the exact simulation: the two losses differ in kind, "
                "not only by discretization. Try a smaller step.",
            ),
        )
    n_params = int(net.mask.sum())
    if cmp.fd_checked < n_params:
        notices += (
            Notice(
                "info",
                f"Finite differences (two simulations per weight) are computed "
                f"for the {cmp.fd_checked} weights with the largest exact "
                f"gradients of {n_params}, to keep the page fast.",
            ),
        )
    n_drawn = drawn_weights(cmp).size
    if n_drawn < n_params:
        notices += (
            Notice(
                "info",
                f"The plot shows {n_drawn} of {n_params} weights (those "
                "checked by finite differences, then the largest exact "
                "gradients); the similarities and the CSV use them all.",
            ),
        )
    best = max(rows, key=lambda r: np.nan_to_num(r["cosine (hidden)"], nan=-2))
    summary = (
        f"Exact FP (bars) and finite differences (crosses) agree to {fd_rel:.0e}; among the "
        f"surrogates, {best['surrogate']} points closest to them on the hidden weights "
        f"(cosine {best['cosine (hidden)']:.2f})."
        if np.isfinite(fd_rel)
        else "Exact FP (bars) against each surrogate (markers); finite differences were refused."
    )
    alt = (
        "Dot plot of dLoss/dW for every weight: the exact FP gradient, finite differences, "
        "and the BPTT gradient of each surrogate"
        + (" rescaled to the exact norm." if normalize else ".")
    )
    chart = Chart(
        gradient_figure(
            cmp, slopes, normalize, by_dt=_dt_sweep(net_json, loss, names, slope, opts)
        ),
        alt,
        summary,
    )
    return GradientsScene(
        chart,
        rows,
        cmp.loss_exact,
        cmp.loss_discrete,
        err,
        fd_rel,
        notices,
        _gradients_csv(net, cmp),
    )


def _gradients_csv(net, cmp) -> str:
    """CSV: one row per weight with the exact, finite-difference and surrogate gradients."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    names = list(cmp.surrogate)
    w.writerow(["j", "i", "hidden", "exact_fp", "finite_diff"] + names)
    for j, i in np.argwhere(net.mask):
        w.writerow(
            [j, i, bool(cmp.hidden[j, i]), repr(cmp.exact[j, i]), repr(cmp.finite_diff[j, i])]
            + [repr(cmp.surrogate[n][j, i]) for n in names]
        )
    return out.getvalue()


@dataclass(frozen=True, eq=False)
class SweepsScene:
    """The ``dt`` sweep and the slope sweep."""

    dt_chart: Chart
    slope_chart: Chart


def sweeps_scene(
    net_json: str,
    outputs: tuple,
    kind: str,
    label: int,
    targets: tuple,
    dt: float,
    names: tuple,
    slope: float,
    time_normalized: bool,
    detach_reset: bool,
    hidden: bool,
) -> SweepsScene:
    """Spike-time error and similarities against ``dt`` (at ``slope``) and against the
    slope (at ``dt``): :func:`dt_sweep_chart` and :func:`slope_sweep_chart`."""
    common = (net_json, outputs, kind, label, targets)
    return SweepsScene(
        dt_sweep_chart(*common, names, slope, time_normalized, detach_reset, hidden),
        slope_sweep_chart(*common, dt, names, time_normalized, detach_reset, hidden),
    )


def dt_sweep_chart(
    net_json: str,
    outputs: tuple,
    kind: str,
    label: int,
    targets: tuple,
    names: tuple,
    slope: float,
    time_normalized: bool,
    detach_reset: bool,
    hidden: bool,
) -> Chart:
    """Spike-time error and similarities against ``dt`` (every step of ``DTS``) at
    ``slope``. It does not depend on the page's ``dt``, so the page caches it apart from
    :func:`slope_sweep_chart` and a new ``dt`` does not recompute it."""
    if not names:
        raise ValueError("choose at least one surrogate")
    loss = _loss(outputs, kind, label, targets)
    slopes = {n: slope for n in names}
    by_dt = _dt_sweep(net_json, loss, names, slope, Options(time_normalized, detach_reset))
    which = "hidden" if hidden else "all"
    cos_fine = {n: by_dt.cosine_hidden[n][-1] if hidden else by_dt.cosine[n][-1] for n in names}
    rn = by_dt.relative_norm_hidden if hidden else by_dt.relative_norm
    growth = {n: rn[n][-1] / rn[n][0] for n in names}
    n0 = names[0]
    dt_summary = (
        f"From dt = {DTS[0]:g} to {DTS[-1]:g} the spike times converge; the "
        f"{surrogate_title(n0)} gradient's norm changes by ×{growth[n0]:.3g} and its "
        f"cosine ({which} weights) ends at {cos_fine[n0]:.2f}, not 1."
    )
    dt_alt = (
        "Three panels against the time step dt on log axes: the largest spike-time error "
        "with a first-order reference line, the cosine similarity and the relative norm of "
        "each surrogate gradient against the exact gradient."
    )
    return Chart(dt_sweep_figure(by_dt, slopes, hidden), dt_alt, dt_summary)


def slope_sweep_chart(
    net_json: str,
    outputs: tuple,
    kind: str,
    label: int,
    targets: tuple,
    dt: float,
    names: tuple,
    time_normalized: bool,
    detach_reset: bool,
    hidden: bool,
) -> Chart:
    """Similarities against the slope (every value of ``SLOPES``) at ``dt``; independent of
    the page's slope (see :func:`dt_sweep_chart`)."""
    if not names:
        raise ValueError("choose at least one surrogate")
    net, inputs, sim = _load(net_json)
    loss = _loss(outputs, kind, label, targets)
    opts = Options(time_normalized, detach_reset)
    by_slope = sweep_slope(
        net, inputs, sim.t_max, loss, dt, SLOPES, names, opts, _reference(net_json, loss)
    )
    which = "hidden" if hidden else "all"
    n0 = names[0]
    cs = by_slope.cosine_hidden if hidden else by_slope.cosine
    spread = {n: (np.nanmin(cs[n]), np.nanmax(cs[n])) for n in names}
    slope_summary = (
        f"At dt = {dt:g}, the {surrogate_title(n0)} cosine ({which} weights) ranges "
        f"over {spread[n0][0]:.2f}–{spread[n0][1]:.2f} as β goes from {SLOPES[0]:g} "
        f"to {SLOPES[-1]:g}."
    )
    slope_alt = (
        "Two panels against the surrogate slope beta on a log axis: cosine similarity and "
        "relative norm of each surrogate gradient against the exact gradient."
    )
    return Chart(slope_sweep_figure(by_slope, hidden), slope_alt, slope_summary)
