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
    step_latex: str
    notices: tuple
    jacobian_csv: str


def param_labels(net: fp.Network, params: np.ndarray | None = None) -> list[str]:
    """``"in0→n1"`` / ``"n2→n3"`` for each parameter ``(j, i)`` (default: the mask's)."""
    params = np.argwhere(net.mask) if params is None else params
    return [f"{source_label(j, net.n_inputs)}→n{i}" for j, i in params]


def jacobian_scene(net_json: str, step: int = 0) -> JacobianScene:
    """Assemble the implicit system of all spikes and replay FP up to spike ``step``.

    Everything but the step (the system, ``dF/dW`` and three of the four figures) comes
    from :func:`_step_independent`, kept for the last few networks, so moving the FP step
    only builds the step's figure and equation."""
    base = _step_independent(net_json)
    L, labels, notices = base.L, base.labels, base.notices
    k = int(np.clip(step, 0, len(labels) - 1))
    step_latex, step_chart = "", None
    if base.dF is not None:
        step_latex = _step_latex(L, k)
        used = np.flatnonzero(np.isfinite(np.where(L.toarray()[k, :k] != 0, 1.0, np.nan)))
        step_chart = Chart(
            fp_step_figure(L, base.dF_shown, k, labels, base.shown_plabels),
            alt=(f"Forward substitution at step {k}: row {k} of L and the rows of dF/dW "
                 f"computed so far."),
            summary=(f"Step {k} ({labels[k]}): divides by L_kk = {L[k, k]:.4g} after subtracting "
                     f"{used.size} earlier row(s) of dF/dW weighted by L_kl; rows after {k} are "
                     "not needed yet."))
    return JacobianScene(base.matrices, base.perm, base.dpw, step_chart, len(labels),
                         int(L.nnz), base.above_nm, base.above_t, k, step_latex, notices,
                         base.csv)


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


@lru_cache(maxsize=8)
def _step_independent(net_json: str) -> _Base:
    net, sim = simulate_file(net_json)
    notices = grazing_notice(sim)
    if sim.n_spikes == 0:
        raise fp.NoSpikeError("no neuron fires before t_max, so there are no spike times and no "
                              "Jacobian. Raise weights, add input spikes or lower θ.")
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
        notices += (Notice("info", f"dΦ/dW and dF/dW show {cols.size} of {P} weights (those with "
                           "the largest entries over the shown spikes)."),)
    shown_plabels = [plabels[c] for c in cols]
    dF_shown = dF[:, cols] if dF is not None else None
    matrices = Chart(matrices_figure(L, nm, labels),
                     alt=(f"Two heatmaps of the {rows.size} by {rows.size} Jacobian of the spike "
                          "equations: grouped by neuron it has entries on both sides of the "
                          "diagonal; sorted by time it is lower triangular."),
                     summary=(f"Grouped by neuron, {above_nm} non-zero entries lie above the "
                              f"diagonal; sorted by time, {above_t}: L is lower triangular with "
                              f"diagonal L_kk = V'(f_k-) from {L.diagonal().min():.3g} to "
                              f"{L.diagonal().max():.3g}. Blank cells are structural zeros."))
    perm = Chart(permutation_figure(nm, labels),
                 alt="The permutation matrix P as one square per spike.",
                 summary=("P sorts spikes from neuron-major order (columns) into time order "
                          "(rows); L = P dΦ/dF Pᵀ."))
    dpw = Chart(dphi_dw_figure(system.dphi_dw[:, cols], labels, shown_plabels),
                alt=(f"Heatmap of dPhi/dW, {rows.size} spikes by {len(plabels)} weights."),
                summary=(f"dΦ_k/dW[j,i] = y_ji(f_k) ≥ 0, non-zero only for weights into the "
                         f"spike's own neuron: {system.dphi_dw.nnz} of "
                         f"{rows.size * len(plabels)} entries."))
    csv = _jacobian_csv(dF_shown, labels, shown_plabels) if dF is not None else ""
    return _Base(L, labels, dF, dF_shown, shown_plabels, matrices, perm, dpw, above_nm, above_t,
                 notices, csv)


def _forward_substitution(net, sim, system, rows):
    """``(dF/dW over the parameters, rows in time order; None)``, or ``(None, why)``."""
    try:
        J = fp.spike_time_jacobian(net, sim, rows)
    except fp.GrazingSpikeError as exc:
        return None, f"FP cannot run: {exc}."
    return J[:, system.params[:, 0], system.params[:, 1]], None


def _step_latex(L, k: int) -> str:
    """The LaTeX of FP's step ``k``: row ``k`` of ``L`` applied to the earlier rows."""
    Lk = L.getrow(k).tocoo()
    past = [(int(l), float(v)) for l, v in zip(Lk.col, Lk.data) if l < k]
    terms = " ".join(f"{v:+.3g}\\,\\tfrac{{df_{{{l}}}}}{{dW}}" for l, v in past[:5])
    if len(past) > 5:
        terms += f" + \\dots\\ ({len(past) - 5}\\text{{ more}})"
    return ("\\begin{aligned}"
            f"\\frac{{df_{{{k}}}}}{{dW}} &= -\\frac{{1}}{{L_{{{k},{k}}}}}\\Big(\\frac{{\\partial\\Phi_{{{k}}}}}"
            f"{{\\partial W}} + \\sum_{{l<{k}}} L_{{{k},l}}\\frac{{df_l}}{{dW}}\\Big)\\\\"
            f"&= -\\frac{{1}}{{{L[k, k]:.4g}}}\\Big(\\frac{{\\partial\\Phi_{{{k}}}}}{{\\partial W}}"
            f" {terms}\\Big)\\end{{aligned}}")


def _jacobian_csv(dF: np.ndarray, labels, plabels) -> str:
    head = "spike," + ",".join(plabels)
    return "\n".join([head] + [f"{labels[k]}," + ",".join(repr(float(x)) for x in dF[k])
                               for k in range(dF.shape[0])]) + "\n"
