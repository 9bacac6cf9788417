"""EventProp beside FP: adjoint traces under the membrane traces, and the two sweeps.

:func:`adjoint_figure`, two rows per neuron on a shared time axis:

1. the forward membrane potential ``V_i(t)`` with ``theta`` and the spikes (``V(f) = theta``);
   FP's cursor sweeps it left to right;
2. the adjoint traces ``lambda_V,i`` (solid) and ``lambda_I,i`` (dotted) of
   :mod:`fpsnn_core.eventprop`, drawn for ``t >= `` EventProp's cursor, which sweeps right
   to left; at each processed spike of ``i`` the jump ``eps_k`` of ``lambda_V`` (E2) is a
   vertical segment with a triangle (up: ``eps_k > 0``, down: ``eps_k < 0``; an open
   circle where ``eps_k = 0``: that spike does not reach the loss).

:func:`sweep_figure`, spikes in time order down the rows: ``c_k = dLoss/df_k``; FP's rows
``df_k/dW`` filled top-down (forward substitution, G2); EventProp's jumps ``eps_k`` filled
bottom-up (they solve ``L^T eps = c``, G3). The gradient is ``c^T dF/dW`` on the left and
``-eps^T dPhi/dW`` on the right.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import style


def adjoint_figure(t: np.ndarray, V: np.ndarray, lambda_V: np.ndarray, lambda_I: np.ndarray,
                   theta: np.ndarray, spike_times: np.ndarray, spike_neurons: np.ndarray,
                   jumps: np.ndarray, neurons, back_cursor: float, fwd_cursor: float,
                   t_max: float) -> go.Figure:
    """The figure of the module docstring.

    Parameters
    ----------
    t : ndarray, shape (T,)
        Time grid (with each event and the float just after it, so jumps draw vertically).
    V, lambda_V, lambda_I : ndarray, shape (T, N)
        Forward potential and adjoint traces on ``t`` (left limits at events).
    theta : ndarray, shape (N,)
    spike_times, spike_neurons, jumps : ndarray, shape (S,)
        Spikes in time order and ``eps_k`` (forwards-in-time jump of ``lambda_V``).
    neurons : sequence of int
        Neurons to draw, top to bottom.
    back_cursor, fwd_cursor : float
        EventProp has processed ``t >= back_cursor``; FP ``t <= fwd_cursor``.
    """
    neurons = [int(i) for i in neurons]
    n = len(neurons)
    titles = []
    for i in neurons:
        titles += [f"n{i}: membrane V(t), forward",
                   f"n{i}: adjoint λ_V (solid), λ_I (dotted), backward"]
    height = 150 + 250 * n
    fig = make_subplots(rows=2 * n, cols=1, shared_xaxes=True, vertical_spacing=45 / height,
                        row_heights=[1.0, 1.25] * n, subplot_titles=titles)
    done = t >= back_cursor
    for r, i in enumerate(neurons):
        row_v, row_l = 2 * r + 1, 2 * r + 2
        color, own = style.neuron_color(i), spike_neurons == i
        _membrane_row(fig, row_v, t, V[:, i], float(theta[i]), spike_times[own], color, t_max)
        _adjoint_row(fig, row_l, t, lambda_V[:, i], lambda_I[:, i], done, color, i,
                     spike_times, np.flatnonzero(own), jumps, back_cursor)
        fig.update_yaxes(title_text="V", row=row_v, col=1)
        fig.update_yaxes(title_text="λ", row=row_l, col=1)
    fwd_line = dict(color=style.GREY, width=2, dash="dot")
    back_line = dict(color=style.HIGHLIGHT, width=3)
    for r in range(n):
        fig.add_vline(x=fwd_cursor, row=2 * r + 1, col=1, line=fwd_line)
        fig.add_vline(x=back_cursor, row=2 * r + 2, col=1, line=back_line)
    label = dict(y=1.0, xref="x", yanchor="top", showarrow=False, bgcolor="rgba(128,128,128,0.15)")
    fig.add_annotation(x=fwd_cursor, yref="y domain", text="FP →", font=dict(color=style.GREY),
                       xanchor="left" if fwd_cursor < 0.85 * t_max else "right", **label)
    fig.add_annotation(x=back_cursor, yref="y2 domain", text="← EventProp",
                       font=dict(color=style.HIGHLIGHT),
                       xanchor="right" if back_cursor > 0.15 * t_max else "left", **label)
    fig.update_xaxes(range=[0, t_max])
    fig.update_xaxes(title_text="time t", row=2 * n, col=1)
    return style.finish(fig, height)


def _membrane_row(fig, row, t, V, theta, own_times, color, t_max) -> None:
    fig.add_trace(go.Scatter(x=t, y=V, mode="lines", showlegend=False, name="V",
                             line=dict(color=color, width=style.LINE_WIDTH),
                             hovertemplate="t=%{x:.3f}<br>V=%{y:.3f}<extra></extra>"),
                  row=row, col=1)
    fig.add_trace(go.Scatter(x=[0, t_max], y=[theta, theta], mode="lines", showlegend=False,
                             name="θ", line=dict(color=style.GREY, dash="dash", width=1.5),
                             hovertemplate=f"θ={theta:g}<extra></extra>"), row=row, col=1)
    fig.add_trace(go.Scatter(x=own_times, y=np.full(own_times.size, theta), mode="markers",
                             showlegend=False, name="spikes",
                             marker=dict(symbol="circle-open", size=11, line=dict(width=3),
                                         color=style.HIGHLIGHT),
                             hovertemplate="spike at t=%{x:.4f}<extra></extra>"),
                  row=row, col=1)


def _adjoint_row(fig, row, t, lam_V, lam_I, done, color, i, spike_times, own_idx, jumps,
                 back_cursor) -> None:
    shown_V = np.where(done, lam_V, np.nan)
    shown_I = np.where(done, lam_I, np.nan)
    fig.add_trace(go.Scatter(x=t, y=shown_V, mode="lines", showlegend=False, name=f"λ_V n{i}",
                             line=dict(color=color, width=style.LINE_WIDTH),
                             hovertemplate="t=%{x:.3f}<br>λ_V=%{y:.4f}<extra></extra>"),
                  row=row, col=1)
    fig.add_trace(go.Scatter(x=t, y=shown_I, mode="lines", showlegend=False, name=f"λ_I n{i}",
                             line=dict(color=color, width=style.LINE_WIDTH, dash="dot"),
                             hovertemplate="t=%{x:.3f}<br>λ_I=%{y:.4f}<extra></extra>"),
                  row=row, col=1)
    fig.add_trace(go.Scatter(x=[t[0], t[-1]], y=[0, 0], mode="lines", showlegend=False,
                             hoverinfo="skip", line=dict(color=style.GREY, width=1)),
                  row=row, col=1)
    ks = [int(k) for k in own_idx if spike_times[k] >= back_cursor]
    if not ks:
        return
    f = spike_times[ks]
    eps = jumps[ks]
    left = np.interp(f, t, lam_V)                  # lambda_V(f-): f is a grid point
    xs, ys = [], []
    for fk, e, lo in zip(f, eps, left):            # lambda_V(f+) = lambda_V(f-) + eps
        xs += [fk, fk, None]
        ys += [lo, lo + e, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", showlegend=False, hoverinfo="skip",
                             line=dict(color=style.HIGHLIGHT, width=4)), row=row, col=1)
    fig.add_trace(go.Scatter(
        x=f, y=left + eps, mode="markers", showlegend=False, name="jump",
        marker=dict(symbol=[_jump_symbol(e) for e in eps], size=13,
                    color=[style.sign_color(e) if e else style.GREY for e in eps],
                    line=dict(width=1, color=style.GREY)),
        customdata=np.stack([np.asarray(ks), eps], axis=-1),
        hovertemplate="spike #%{customdata[0]:.0f} at t=%{x:.4f}<br>jump of λ_V: "
                      "ε=%{customdata[1]:.4g}<extra></extra>"), row=row, col=1)


def _jump_symbol(eps: float) -> str:
    """Up for a positive jump, down for a negative one, an open circle for none."""
    return "triangle-up" if eps > 0 else "triangle-down" if eps < 0 else "circle-open"


def sweep_figure(labels, c: np.ndarray, dF: np.ndarray | None, param_labels, eps: np.ndarray,
                 step: int) -> go.Figure:
    """Spikes down the rows: ``c_k``, FP's ``dF/dW`` (first ``step`` rows), EventProp's
    ``eps`` (last ``step`` rows).

    Parameters
    ----------
    labels : list of str, length S
        Spike names in time order.
    c, eps : ndarray, shape (S,)
    dF : ndarray, shape (S, P) or None
        ``df_k/dW`` over the parameters (``None``: too large to draw).
    param_labels : list of str, length P
    step : int
        Replay step ``0..S``.
    """
    S = len(labels)
    ids = [f"{k}: {lab}" for k, lab in enumerate(labels)]
    fwd = np.arange(S) < step
    back = np.arange(S) >= S - step
    widths = [0.16, 0.6, 0.24] if dF is not None else [0.5, 0.0001, 0.5]
    fig = make_subplots(rows=1, cols=3, shared_yaxes=True, horizontal_spacing=0.04,
                        column_widths=widths,
                        subplot_titles=("c", "FP: dF/dW ↓" if dF is not None else "",
                                        "EventProp: ε ↑"))
    fig.add_trace(go.Bar(x=c, y=ids, orientation="h", showlegend=False, name="c",
                         marker=dict(color=[style.sign_color(v) for v in c],
                                     pattern=dict(shape=["" if v >= 0 else "/" for v in c])),
                         hovertemplate="%{y}<br>c=%{x:.4g}<extra></extra>"), row=1, col=1)
    if dF is not None:
        z = np.where(fwd[:, None], dF, np.nan)
        zmax = float(np.abs(dF).max()) if dF.size else 1.0
        fig.add_trace(go.Heatmap(z=z, x=list(param_labels), y=ids, colorscale=style.DIVERGING,
                                 zmin=-zmax, zmax=zmax, zmid=0, showscale=False,
                                 hovertemplate="%{y}<br>d f / d W[%{x}] = %{z:.4g}<extra></extra>"),
                      row=1, col=2)
    e = np.where(back, eps, np.nan)
    fig.add_trace(go.Bar(x=e, y=ids, orientation="h", showlegend=False, name="ε",
                         marker=dict(color=[style.sign_color(v) for v in eps],
                                     pattern=dict(shape=["" if v >= 0 else "/" for v in eps])),
                         hovertemplate="%{y}<br>ε=%{x:.4g}<extra></extra>"), row=1, col=3)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=ids, row=1, col=1)
    if dF is not None:
        fig.update_xaxes(tickangle=-60, row=1, col=2)
    return style.finish(fig, max(320, 140 + 22 * S))
