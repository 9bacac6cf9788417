"""Gradient comparison figures: agreement of FP, adjoint and finite differences, and the
loss along one weight (docs/model.md#fp-and-the-adjoint)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import style


def agreement_figure(labels: list[str], fp_grad: np.ndarray, adjoint: np.ndarray,
                     fd: np.ndarray) -> go.Figure:
    """Adjoint and finite differences (y) against FP (x), one point per weight; ``y = x``
    is exact agreement. Refused finite differences (``NaN``) are left out.

    Parameters
    ----------
    labels : list of str, length P
    fp_grad, adjoint, fd : ndarray, shape (P,)
    """
    fig = go.Figure()
    vals = np.concatenate([fp_grad, adjoint, fd[np.isfinite(fd)]])
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (-1.0, 1.0)
    pad = 0.08 * (hi - lo) + 1e-12
    fig.add_trace(go.Scatter(x=[lo - pad, hi + pad], y=[lo - pad, hi + pad], mode="lines",
                             name="y = x", line=dict(color=style.GREY, dash="dot", width=1.5),
                             hoverinfo="skip"))
    ok = np.isfinite(fd)
    fig.add_trace(go.Scatter(
        x=fp_grad[ok], y=fd[ok], mode="markers", name="finite differences",
        text=[l for l, o in zip(labels, ok) if o],
        marker=dict(symbol="circle-open", size=16, color=style.BLUE, line=dict(width=3)),
        hovertemplate="%{text}<br>FP %{x:.6g}<br>FD %{y:.6g}<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=fp_grad, y=adjoint, mode="markers", name="adjoint", text=labels,
        marker=dict(symbol="x-thin", size=11, color=style.ORANGE, line=dict(width=2.5, color=style.ORANGE)),
        hovertemplate="%{text}<br>FP %{x:.6g}<br>adjoint %{y:.6g}<extra></extra>"))
    fig.update_xaxes(title_text="FP gradient dL/dW", zeroline=True)
    fig.update_yaxes(title_text="adjoint / finite differences", zeroline=True)
    return style.finish(fig, height=460)


def loss_slice_figure(w: np.ndarray, loss: np.ndarray, counts: np.ndarray, pieces: np.ndarray,
                      w0: float, loss0: float, slope: float, weight_label: str) -> go.Figure:
    """The loss along one weight with its smooth pieces, jumps and FP tangent.

    Parameters
    ----------
    w, loss : ndarray, shape (M,)
        Weight values (ascending) and the loss there (``NaN`` where undefined).
    counts : ndarray of int, shape (M,)
        Number of spikes at each ``w``.
    pieces : ndarray of int, shape (M,)
        Piece index: it changes where some neuron's spike count changes (a jump is possible).
    w0, loss0, slope : float
        The current weight, its loss and the FP derivative ``dL/dW`` there.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.78, 0.22],
                        vertical_spacing=0.05)
    # one trace for all pieces (a gap between pieces) and one layout update for the jump
    # lines: a slice may have a hundred pieces, and Plotly re-validates every shape per call
    cut = np.flatnonzero(np.diff(pieces) != 0) + 1
    gaps = lambda a: np.insert(np.asarray(a, float), cut, np.nan)      # NaN between pieces
    fig.add_trace(go.Scatter(
        x=gaps(w), y=gaps(loss), mode="lines", connectgaps=False,
        name="loss (pieces split where a spike appears or vanishes)", legendgroup="loss",
        line=dict(color=style.BLUE, width=style.LINE_WIDTH + 0.5),
        hovertemplate=f"{weight_label}" + " = %{x:.4f}<br>loss %{y:.6g}<extra></extra>"),
        row=1, col=1)
    fig.update_layout(shapes=[
        dict(type="line", xref="x", yref="y domain", x0=float(x), x1=float(x), y0=0, y1=1,
             line=dict(color=style.GREY, width=1, dash="dot"))
        for x in 0.5 * (w[cut] + w[cut - 1])])
    half = 0.4 * (w[-1] - w[0]) / 2
    fig.add_trace(go.Scatter(
        x=[w0 - half, w0 + half], y=[loss0 - slope * half, loss0 + slope * half], mode="lines",
        name=f"FP tangent, slope {slope:.4g}", line=dict(color=style.ORANGE, width=4, dash="dash")),
        row=1, col=1)
    fig.add_trace(go.Scatter(
        x=[w0], y=[loss0], mode="markers", name="current weight",
        marker=dict(size=14, color=style.HIGHLIGHT, line=dict(width=2, color="#555555")),
        hovertemplate=f"{weight_label} = {w0:.4f}<br>loss {loss0:.6g}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=w, y=counts, mode="lines", line=dict(shape="hv", color=style.GREY,
                             width=2), name="number of spikes", showlegend=False,
                             hovertemplate="%{y} spikes<extra></extra>"), row=2, col=1)
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(title_text="spikes", row=2, col=1)
    fig.update_xaxes(title_text=f"weight {weight_label}", row=2, col=1)
    return style.finish(fig, height=560)
