"""Gradient comparison figures: agreement of FP, adjoint and finite differences, and the
loss along one parameter (docs/model.md#fp-and-the-adjoint). Built as plain dicts
(:func:`~fpsnn_app.figures.common.plain_figure`)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import style
from .common import line_shape, on, plain_figure, scatter, subplot_layout


def agreement_figure(
    labels: list[str],
    fp_grad: np.ndarray,
    adjoint: np.ndarray,
    fd: np.ndarray,
    symbol: str = "W",
    height: int = 460,
) -> go.Figure:
    """Adjoint and finite differences (y) against FP (x), one point per parameter (named
    ``symbol`` on the axis); ``y = x`` is exact agreement. Refused finite differences
    (``NaN``) are left out.

    Parameters
    ----------
    labels : list of str, length P
    fp_grad, adjoint, fd : ndarray, shape (P,)
    """
    vals = np.concatenate([fp_grad, adjoint, fd[np.isfinite(fd)]])
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (-1.0, 1.0)
    pad = 0.08 * (hi - lo) + 1e-12
    ok = np.isfinite(fd)
    data = [
        scatter(
            [lo - pad, hi + pad],
            [lo - pad, hi + pad],
            mode="lines",
            name="y = x",
            line=dict(color=style.GREY, dash="dot", width=1.5),
            hoverinfo="skip",
        ),
        scatter(
            fp_grad[ok],
            fd[ok],
            mode="markers",
            name="finite differences",
            text=[lab for lab, o in zip(labels, ok) if o],
            marker=dict(symbol="circle-open", size=16, color=style.BLUE, line=dict(width=3)),
            hovertemplate="%{text}<br>FP %{x:.6g}<br>FD %{y:.6g}<extra></extra>",
        ),
        scatter(
            fp_grad,
            adjoint,
            mode="markers",
            name="adjoint",
            text=list(labels),
            marker=dict(
                symbol="x-thin",
                size=11,
                color=style.ORANGE,
                line=dict(width=2.5, color=style.ORANGE),
            ),
            hovertemplate="%{text}<br>FP %{x:.6g}<br>adjoint %{y:.6g}<extra></extra>",
        ),
    ]
    layout = dict(
        xaxis=dict(title=dict(text=f"FP gradient dL/d{symbol}"), zeroline=True),
        yaxis=dict(title=dict(text="adjoint / finite differences"), zeroline=True),
    )
    return plain_figure(data, style.finish_plain(layout, height))


def loss_slice_figure(
    w: np.ndarray,
    loss: np.ndarray,
    counts: np.ndarray,
    pieces: np.ndarray,
    w0: float,
    loss0: float,
    slope: float,
    weight_label: str,
    noun: str = "weight",
) -> go.Figure:
    """The loss along one parameter (a weight, an input spike time, a threshold or a time
    constant: ``noun``) with its smooth pieces, jumps and FP tangent.

    Parameters
    ----------
    w, loss : ndarray, shape (M,)
        Parameter values (ascending) and the loss there (``NaN`` where undefined).
    counts : ndarray of int, shape (M,)
        Number of spikes at each ``w``.
    pieces : ndarray of int, shape (M,)
        Piece index: it changes where some neuron's spike count changes (a jump is possible).
    w0, loss0, slope : float
        The current value, its loss and the FP derivative ``dL/dp`` there.
    """
    layout = subplot_layout(
        2, 1, shared_xaxes=True, vertical_spacing=0.05, row_heights=(0.78, 0.22)
    )
    # one trace for all pieces, a gap (NaN) between pieces; a dotted line at each jump
    cut = np.flatnonzero(np.diff(pieces) != 0) + 1
    gaps = lambda a: np.insert(np.asarray(a, float), cut, np.nan)  # noqa: E731
    half = 0.4 * (w[-1] - w[0]) / 2
    data = [
        on(
            1,
            scatter(
                gaps(w),
                gaps(loss),
                mode="lines",
                connectgaps=False,
                name="loss (pieces split where a spike appears or vanishes)",
                legendgroup="loss",
                line=dict(color=style.BLUE, width=style.LINE_WIDTH + 0.5),
                hovertemplate=f"{weight_label}" + " = %{x:.4f}<br>loss %{y:.6g}<extra></extra>",
            ),
        ),
        on(
            1,
            scatter(
                [w0 - half, w0 + half],
                [loss0 - slope * half, loss0 + slope * half],
                mode="lines",
                name=f"FP tangent, slope {slope:.4g}",
                line=dict(color=style.ORANGE, width=4, dash="dash"),
            ),
        ),
        on(
            1,
            scatter(
                [w0],
                [loss0],
                mode="markers",
                name=f"current {noun}",
                marker=dict(size=14, color=style.HIGHLIGHT, line=dict(width=2, color="#555555")),
                hovertemplate=f"{weight_label} = {w0:.4f}<br>loss {loss0:.6g}<extra></extra>",
            ),
        ),
        on(
            2,
            scatter(
                w,
                counts,
                mode="lines",
                line=dict(shape="hv", color=style.GREY, width=2),
                name="number of spikes",
                showlegend=False,
                hovertemplate="%{y} spikes<extra></extra>",
            ),
        ),
    ]
    dotted = dict(color=style.GREY, width=1, dash="dot")
    layout["shapes"] = [
        line_shape(float(x), float(x), 0, 1, "x", "y domain", dotted)
        for x in 0.5 * (w[cut] + w[cut - 1])
    ]
    layout["yaxis"]["title"] = dict(text="loss")
    layout["yaxis2"]["title"] = dict(text="spikes")
    layout["xaxis2"]["title"] = dict(text=f"{noun} {weight_label}")
    return plain_figure(data, style.finish_plain(layout, 560))
