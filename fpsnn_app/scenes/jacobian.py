"""The Jacobian page: ``dPhi/dF``, ``L``, ``P``, ``dPhi/dW`` and FP step by step."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import fpsnn_core as fp

from ..figures.common import source_label, spike_short_labels
from ..figures.jacobian import dphi_dw_figure, fp_step_figure, matrices_figure, permutation_figure
from ..limits import MAX_WEIGHTS_DRAWN, strongest
from .common import Chart, Notice, grazing_notice
from .network import simulate_file

#: Larger runs show only their first spikes (a prefix in time is closed under the causal past).
MAX_SPIKES_SHOWN = 120


@dataclass(frozen=True, eq=False)
class JacobianScene:
    """What the Jacobian page draws."""

    matrices: Chart
    permutation: Chart
    dphi_dw: Chart
    fp_step: Chart | None
    n_spikes: int
    nnz: int
    above_neuron_major: int
    above_time_order: int
    step: int
    notices: tuple
    jacobian_csv: str


def link_step(raw: str | None, n_steps: int, default: int, what: str) -> tuple[int, str]:
    """The step ``0..n_steps-1`` a replay opens on, from the link's text ``raw`` (``None``:
    not in the link, ``default``), and a note when the link's value could not be used."""
    if raw is None:
        return default, ""
    try:
        k = int(float(raw))
    except (ValueError, OverflowError):
        return default, f"{what}: {raw!r} in the link is not a whole number; starting at {default}."
    if 0 <= k < n_steps:
        return k, ""
    kept = min(max(k, 0), max(n_steps - 1, 0))
    return kept, f"{what}: {k} is not available for this network; starting at {kept}."


def param_labels(net: fp.Network, params: np.ndarray | None = None) -> list[str]:
    """``"in0→n1"`` / ``"n2→n3"`` for each parameter ``(j, i)`` (default: the mask's)."""
    params = np.argwhere(net.mask) if params is None else params
    return [f"{source_label(j, net.n_inputs)}→n{i}" for j, i in params]


def jacobian_scene(net_json: str, step: int = 0) -> JacobianScene:
    """Assemble the implicit system of all spikes; FP's replay starts at spike ``step``.

    Everything but the step (the system, ``dF/dW``, the figures' data and every step's
    view) comes from :func:`_step_independent`, kept for the last few networks; the
    replay's slider moves in the browser, and ``step`` only chooses the view it opens on."""
    base = _step_independent(net_json)
    L, labels = base.L, base.labels
    k = int(np.clip(step, 0, len(labels) - 1))
    step_chart = None
    if base.dF is not None:
        step_chart = Chart(
            fp_step_figure(L, base.dF_shown, labels, base.shown_plabels, base.step_texts, k),
            alt=(
                "Forward substitution with a step slider: row k of L and the rows of dF/dW "
                "computed up to step k, with the earlier rows that step k reads outlined."
            ),
            summary=(
                "Move the slider above the matrices: each step k divides by L_kk after "
                "subtracting the earlier rows of dF/dW weighted by L_kl; rows after k "
                "are not needed yet. The slider runs in the browser; the link keeps "
                "only the step the page opens on."
            ),
        )
    return JacobianScene(
        base.matrices,
        base.perm,
        base.dpw,
        step_chart,
        len(labels),
        int(L.nnz),
        base.above_nm,
        base.above_t,
        k,
        base.notices,
        base.csv,
    )


@dataclass(frozen=True, eq=False)
class _Base:
    """The step-independent part of a :class:`JacobianScene`."""

    L: object
    labels: list
    dF: np.ndarray | None
    dF_shown: np.ndarray | None
    shown_plabels: list
    matrices: Chart
    perm: Chart
    dpw: Chart
    above_nm: int
    above_t: int
    notices: tuple
    csv: str
    step_texts: list


@lru_cache(maxsize=8)
def _step_independent(net_json: str) -> _Base:
    net, sim = simulate_file(net_json)
    notices = grazing_notice(sim)
    if sim.n_spikes == 0:
        raise fp.NoSpikeError(
            "no neuron fires before t_max, so there are no spike times and no "
            "Jacobian. Raise weights, add input spikes or lower θ."
        )
    rows = np.arange(min(sim.n_spikes, MAX_SPIKES_SHOWN))
    if rows.size < sim.n_spikes:
        notices += (Notice("info", f"Showing the first {rows.size} of {sim.n_spikes} spikes."),)
    system = fp.implicit_system(net, sim, rows)
    labels = spike_short_labels(sim)[: rows.size]
    plabels = param_labels(net, system.params)
    L = system.L
    nm = system.neuron_major
    Ln = system.dphi_df_neuron_major.tocoo()
    above_nm = int(np.count_nonzero(Ln.col > Ln.row))
    Lc = L.tocoo()
    above_t = int(np.count_nonzero(Lc.col > Lc.row))
    dF, error = _forward_substitution(net, sim, system, rows)
    if dF is None:
        notices += (Notice("warning", error),)
    # at most MAX_WEIGHTS_DRAWN weight columns: the ones with the largest entries
    P = len(plabels)
    cols = np.arange(P)
    if P > MAX_WEIGHTS_DRAWN:
        score = np.abs(system.dphi_dw.toarray()).sum(axis=0)
        if dF is not None:
            score = score + np.abs(dF).sum(axis=0)
        cols = strongest(score, MAX_WEIGHTS_DRAWN)
        notices += (
            Notice(
                "info",
                f"dΦ/dW and dF/dW show {cols.size} of {P} weights (those with "
                "the largest entries over the shown spikes).",
            ),
        )
    shown_plabels = [plabels[c] for c in cols]
    dF_shown = dF[:, cols] if dF is not None else None
    matrices = Chart(
        matrices_figure(L, nm, labels),
        alt=(
            f"Two heatmaps of the {rows.size} by {rows.size} Jacobian of the spike "
            "equations: grouped by neuron it has entries on both sides of the "
            "diagonal; sorted by time it is lower triangular."
        ),
        summary=(
            f"Grouped by neuron, {above_nm} non-zero entries lie above the "
            f"diagonal; sorted by time, {above_t}: L is lower triangular with "
            f"diagonal L_kk = V'(f_k-) from {L.diagonal().min():.3g} to "
            f"{L.diagonal().max():.3g}. Blank cells are structural zeros."
        ),
    )
    perm = Chart(
        permutation_figure(nm, labels),
        alt="The permutation matrix P as one square per spike.",
        summary=(
            "P sorts spikes from neuron-major order (columns) into time order "
            "(rows); L = P dΦ/dF Pᵀ."
        ),
    )
    dpw = Chart(
        dphi_dw_figure(system.dphi_dw[:, cols], labels, shown_plabels),
        alt=(f"Heatmap of dPhi/dW, {rows.size} spikes by {len(plabels)} weights."),
        summary=(
            f"dΦ_k/dW[j,i] = y_ji(f_k) ≥ 0, non-zero only for weights into the "
            f"spike's own neuron: {system.dphi_dw.nnz} of "
            f"{rows.size * len(plabels)} entries."
        ),
    )
    csv = _jacobian_csv(dF_shown, labels, shown_plabels) if dF is not None else ""
    texts = [step_text(L, k, labels[k]) for k in range(rows.size)] if dF is not None else []
    return _Base(
        L,
        labels,
        dF,
        dF_shown,
        shown_plabels,
        matrices,
        perm,
        dpw,
        above_nm,
        above_t,
        notices,
        csv,
        texts,
    )


def _forward_substitution(net, sim, system, rows):
    """``(dF/dW over the parameters, rows in time order; None)``, or ``(None, why)``."""
    try:
        J = fp.spike_time_jacobian(net, sim, rows)
    except fp.GrazingSpikeError as exc:
        return None, f"FP cannot run: {exc}."
    return J[:, system.params[:, 0], system.params[:, 1]], None


def step_text(L, k: int, label: str) -> str:
    """FP's step ``k`` in Plotly's HTML subset: the equation (G2), then row ``k`` of ``L``
    applied to the earlier rows (at most five terms written out)."""
    Lk = L.getrow(k).tocoo()
    past = [(int(l), float(v)) for l, v in zip(Lk.col, Lk.data) if l < k]
    terms = " ".join(f"{v:+.3g} df<sub>{l}</sub>/dW" for l, v in past[:5])
    if len(past) > 5:
        terms += f" + … ({len(past) - 5} more)"
    return (
        f"<b>Step {k}</b> ({label}): df<sub>{k}</sub>/dW = −(∂Φ<sub>{k}</sub>/∂W + "
        f"Σ<sub>l &lt; {k}</sub> L<sub>{k},l</sub> df<sub>l</sub>/dW) / L<sub>{k},{k}</sub>"
        f"<br>= −(∂Φ<sub>{k}</sub>/∂W {terms}) / {L[k, k]:.4g}"
        f"<br>divides by L<sub>{k},{k}</sub> = {L[k, k]:.4g} after subtracting "
        f"{len(past)} earlier row(s) of dF/dW weighted by L<sub>{k},l</sub>; rows after "
        f"{k} are not needed yet."
    )


def _jacobian_csv(dF: np.ndarray, labels, plabels) -> str:
    head = "spike," + ",".join(plabels)
    return (
        "\n".join(
            [head]
            + [
                f"{labels[k]}," + ",".join(repr(float(x)) for x in dF[k])
                for k in range(dF.shape[0])
            ]
        )
        + "\n"
    )
