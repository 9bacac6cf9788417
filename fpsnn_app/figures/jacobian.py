"""The spike-time Jacobians as matrices (docs/model.md#the-implicit-equations,
#fp-and-the-adjoint).

- :func:`matrices_figure`: ``dPhi/dF`` in neuron-major order beside ``L = P dPhi/dF P^T``
  in time order, which is lower triangular;
- :func:`permutation_figure`: ``P``, one dot per spike;
- :func:`dphi_dw_figure`: ``dPhi/dW`` (J4), spikes by parameters;
- :func:`fp_step_figure`: FP's forward substitution (G2) after step ``k``.

Structural zeros (entries outside the sparsity pattern) are blank; values use a diverging
scale centred at zero (orange negative, blue positive) and are printed on hover.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import scipy.sparse as sp
from plotly.subplots import make_subplots

from .. import style


def dense_with_blanks(A: sp.spmatrix) -> np.ndarray:
    """Dense copy of a sparse matrix with ``NaN`` outside its sparsity pattern."""
    A = sp.coo_matrix(A)
    out = np.full(A.shape, np.nan)
    out[A.row, A.col] = A.data
    return out


def _heatmap(z, x, y, zmax: float, hover: str, **kw) -> go.Heatmap:
    return go.Heatmap(z=z, x=x, y=y, zmid=0.0, zmin=-zmax, zmax=zmax, colorscale=style.DIVERGING,
                      xgap=1, ygap=1, hoverongaps=False, hovertemplate=hover,
                      colorbar=dict(thickness=14), **kw)


def _zmax(*arrays) -> float:
    vals = np.concatenate([np.abs(a[np.isfinite(a)]).ravel() for a in arrays])
    return float(vals.max()) if vals.size and vals.max() > 0 else 1.0


def matrices_figure(L: sp.spmatrix, neuron_major: np.ndarray, time_labels: list[str]) -> go.Figure:
    """``dPhi/dF`` (neuron-major) and ``L`` (time order) side by side.

    Parameters
    ----------
    L : sparse matrix, shape (R, R)
        ``dPhi/dF`` in time order.
    neuron_major : ndarray of int, shape (R,)
        Time index of the ``p``-th spike in neuron-major order.
    time_labels : list of str, length R
        Label of each spike in time order.
    """
    Lt = dense_with_blanks(L)
    nm = np.asarray(neuron_major)
    Ln = Lt[np.ix_(nm, nm)]
    nm_labels = [time_labels[k] for k in nm]
    zmax = _zmax(Lt)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "dΦ/dF, spikes grouped by neuron", "L = P dΦ/dF Pᵀ, spikes in time order"))
    hover = "Φ of %{y}<br>w.r.t. f of %{x}<br>value %{z:.4g}<extra></extra>"
    fig.add_trace(_heatmap(Ln, nm_labels, nm_labels, zmax, hover, showscale=False), row=1, col=1)
    fig.add_trace(_heatmap(Lt, time_labels, time_labels, zmax, hover), row=1, col=2)
    R = len(time_labels)
    for col in (1, 2):                   # the diagonal, as a guide
        fig.add_shape(type="line", x0=-0.5, y0=-0.5, x1=R - 0.5, y1=R - 0.5,
                      line=dict(color=style.GREY, width=1, dash="dot"), row=1, col=col)
    _matrix_axes(fig, R)
    return style.finish(fig, height=max(420, min(900, 200 + 18 * R)))


def _matrix_axes(fig: go.Figure, R: int) -> None:
    show = R <= 40
    fig.update_yaxes(autorange="reversed", showticklabels=show, tickfont=dict(size=11),
                     title_text="equation Φ_k")
    fig.update_xaxes(showticklabels=show, tickfont=dict(size=11), tickangle=-90,
                     title_text="spike time f_l", side="bottom")


def permutation_figure(neuron_major: np.ndarray, time_labels: list[str]) -> go.Figure:
    """``P[k, p] = 1`` when the ``p``-th spike in neuron-major order is the ``k``-th in time."""
    nm = np.asarray(neuron_major)
    R = nm.size
    nm_labels = [time_labels[k] for k in nm]
    fig = go.Figure(go.Scatter(
        x=nm_labels, y=[time_labels[k] for k in nm], mode="markers",
        marker=dict(symbol="square", size=max(6, min(16, 360 // max(R, 1))), color=style.BLUE),
        hovertemplate="P[%{y}, %{x}] = 1<extra></extra>", showlegend=False))
    fig.update_xaxes(categoryorder="array", categoryarray=nm_labels, title_text="neuron-major position",
                     showticklabels=R <= 40, tickangle=-90, tickfont=dict(size=11))
    fig.update_yaxes(categoryorder="array", categoryarray=time_labels, autorange="reversed",
                     title_text="time order", showticklabels=R <= 40, tickfont=dict(size=11))
    return style.finish(fig, height=max(380, min(700, 160 + 14 * R)))


def dphi_dw_figure(dphi_dw: sp.spmatrix, time_labels: list[str], param_labels: list[str]) -> go.Figure:
    """``dPhi_k/dW[j, i] = y_ji(f_k)``: rows spikes (time order), columns parameters."""
    z = dense_with_blanks(dphi_dw)
    fig = go.Figure(go.Heatmap(
        z=z, x=param_labels, y=time_labels, colorscale=style.SEQUENTIAL, zmin=0, xgap=1, ygap=1,
        hoverongaps=False, colorbar=dict(thickness=14),
        hovertemplate="dΦ of %{y} / dW[%{x}]<br>= y(f) = %{z:.4g}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", showticklabels=len(time_labels) <= 40,
                     tickfont=dict(size=11), title_text="equation Φ_k")
    fig.update_xaxes(tickangle=-90, tickfont=dict(size=11), title_text="weight W[j, i]",
                     showticklabels=len(param_labels) <= 60)
    return style.finish(fig, height=max(380, min(800, 200 + 16 * len(time_labels))))


def fp_step_figure(L: sp.spmatrix, dF: np.ndarray, k: int, time_labels: list[str],
                   param_labels: list[str]) -> go.Figure:
    """Forward substitution after step ``k``: ``L`` with row ``k`` in full colour (left) and
    ``dF/dW`` filled up to row ``k`` with the earlier rows it reads outlined (right)."""
    Lt = dense_with_blanks(L)
    R = Lt.shape[0]
    shown = np.where(np.arange(R)[:, None] <= k, dF, np.nan)
    used = [int(l) for l in np.flatnonzero(np.isfinite(Lt[k, :k]))]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], horizontal_spacing=0.12,
                        subplot_titles=("L: row k holds L_kk and the earlier spikes it uses",
                                        f"dF/dW after {k + 1} of {R} steps"))
    hover = "%{y}, %{x}: %{z:.4g}<extra></extra>"
    zL = _zmax(Lt)
    fig.add_trace(_heatmap(np.where(np.arange(R)[:, None] == k, np.nan, Lt), time_labels,
                           time_labels, zL, hover, showscale=False, opacity=0.25), row=1, col=1)
    fig.add_trace(_heatmap(np.where(np.arange(R)[:, None] == k, Lt, np.nan), time_labels,
                           time_labels, zL, hover, showscale=False), row=1, col=1)
    fig.add_trace(_heatmap(shown, param_labels, time_labels, _zmax(dF), hover, name="dF/dW"),
                  row=1, col=2)
    for l in used:                       # the rows df_l/dW that step k reads
        fig.add_shape(type="rect", x0=-0.5, x1=len(param_labels) - 0.5, y0=l - 0.5, y1=l + 0.5,
                      line=dict(color=style.GREY, width=2, dash="dot"), row=1, col=2)
    fig.add_shape(type="rect", x0=-0.5, x1=len(param_labels) - 0.5, y0=k - 0.5, y1=k + 0.5,
                  line=dict(color=style.HIGHLIGHT, width=3), row=1, col=2)
    fig.add_shape(type="rect", x0=k - 0.5, x1=k + 0.5, y0=k - 0.5, y1=k + 0.5,
                  line=dict(color=style.HIGHLIGHT, width=3), row=1, col=1)
    fig.update_yaxes(autorange="reversed", showticklabels=R <= 40, tickfont=dict(size=11))
    fig.update_xaxes(tickangle=-90, tickfont=dict(size=11), showticklabels=R <= 40, row=1, col=1)
    fig.update_xaxes(tickangle=-90, tickfont=dict(size=11), row=1, col=2,
                     showticklabels=len(param_labels) <= 60)
    return style.finish(fig, height=max(420, min(900, 220 + 18 * R)))
