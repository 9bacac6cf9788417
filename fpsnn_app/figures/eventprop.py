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
    traces, rows, axes = [], [], {}
    for r, i in enumerate(neurons):
        row_v, row_l = 2 * r + 1, 2 * r + 2
        color, own = style.neuron_color(i), spike_neurons == i
        membrane = _membrane_row(t, V[:, i], float(theta[i]), spike_times[own], color, t_max)
        adjoint = _adjoint_row(t, lambda_V[:, i], lambda_I[:, i], done, color, i, spike_times,
                               np.flatnonzero(own), jumps, back_cursor)
        traces += membrane + adjoint
        rows += [row_v] * len(membrane) + [row_l] * len(adjoint)
        axes[_axis("yaxis", row_v)] = dict(title_text="V")
        axes[_axis("yaxis", row_l)] = dict(title_text="λ")
    # one call each: plotly's per-row helpers (add_trace, update_yaxes, add_vline) walk the
    # whole layout every time, which made this figure cost ~0.2 s with five neurons
    fig.add_traces(traces, rows=rows, cols=[1] * len(rows))
    fwd_line = dict(color=style.GREY, width=2, dash="dot")
    back_line = dict(color=style.HIGHLIGHT, width=3)
    shapes = [_cursor(fwd_cursor, row, fwd_line) if row % 2 else
              _cursor(back_cursor, row, back_line) for row in range(1, 2 * n + 1)]
    label = dict(y=1.0, xref="x", yanchor="top", showarrow=False, bgcolor="rgba(128,128,128,0.15)")
    fig.update_layout(axes, shapes=shapes)
    fig.add_annotation(x=fwd_cursor, yref="y domain", text="FP →", font=dict(color=style.GREY),
                       xanchor="left" if fwd_cursor < 0.85 * t_max else "right", **label)
    fig.add_annotation(x=back_cursor, yref="y2 domain", text="← EventProp",
                       font=dict(color=style.HIGHLIGHT),
                       xanchor="right" if back_cursor > 0.15 * t_max else "left", **label)
    fig.update_xaxes(range=[0, t_max])
    fig.update_xaxes(title_text="time t", row=2 * n, col=1)
    return style.finish(fig, height)


def _axis(name: str, row: int) -> str:
    """Layout name of the axis of subplot ``row`` (one column): ``yaxis``, ``yaxis2``, ..."""
    return name if row == 1 else f"{name}{row}"


def _cursor(x: float, row: int, line: dict) -> dict:
    """A vertical line at ``x`` across subplot ``row`` (what ``add_vline`` makes)."""
    xref, yref = _axis("x", row), _axis("y", row)
    return dict(type="line", x0=x, x1=x, xref=xref, y0=0, y1=1, yref=f"{yref} domain",
                line=line)


def _membrane_row(t, V, theta, own_times, color, t_max) -> list:
    """Traces of one membrane row: ``V_i(t)``, ``theta`` and the spikes."""
    return [go.Scatter(x=t, y=V, mode="lines", showlegend=False, name="V",
                       line=dict(color=color, width=style.LINE_WIDTH),
                       hovertemplate="t=%{x:.3f}<br>V=%{y:.3f}<extra></extra>"),
            go.Scatter(x=[0, t_max], y=[theta, theta], mode="lines", showlegend=False,
                       name="θ", line=dict(color=style.GREY, dash="dash", width=1.5),
                       hovertemplate=f"θ={theta:g}<extra></extra>"),
            go.Scatter(x=own_times, y=np.full(own_times.size, theta), mode="markers",
                       showlegend=False, name="spikes",
                       marker=dict(symbol="circle-open", size=11, line=dict(width=3),
                                   color=style.HIGHLIGHT),
                       hovertemplate="spike at t=%{x:.4f}<extra></extra>")]


def _adjoint_row(t, lam_V, lam_I, done, color, i, spike_times, own_idx, jumps,
                 back_cursor) -> list:
    """Traces of one adjoint row: ``lambda_V``, ``lambda_I`` where EventProp has been, the
    zero line and the jumps of the processed spikes."""
    shown_V = np.where(done, lam_V, np.nan)
    shown_I = np.where(done, lam_I, np.nan)
    out = [go.Scatter(x=t, y=shown_V, mode="lines", showlegend=False, name=f"λ_V n{i}",
                      line=dict(color=color, width=style.LINE_WIDTH),
                      hovertemplate="t=%{x:.3f}<br>λ_V=%{y:.4f}<extra></extra>"),
           go.Scatter(x=t, y=shown_I, mode="lines", showlegend=False, name=f"λ_I n{i}",
                      line=dict(color=color, width=style.LINE_WIDTH, dash="dot"),
                      hovertemplate="t=%{x:.3f}<br>λ_I=%{y:.4f}<extra></extra>"),
           go.Scatter(x=[t[0], t[-1]], y=[0, 0], mode="lines", showlegend=False,
                      hoverinfo="skip", line=dict(color=style.GREY, width=1))]
    ks = [int(k) for k in own_idx if spike_times[k] >= back_cursor]
    if not ks:
        return out
    f = spike_times[ks]
    eps = jumps[ks]
    left = np.interp(f, t, lam_V)                  # lambda_V(f-): f is a grid point
    xs, ys = [], []
    for fk, e, lo in zip(f, eps, left):            # lambda_V(f+) = lambda_V(f-) + eps
        xs += [fk, fk, None]
        ys += [lo, lo + e, None]
    out.append(go.Scatter(x=xs, y=ys, mode="lines", showlegend=False, hoverinfo="skip",
                          line=dict(color=style.HIGHLIGHT, width=4)))
    out.append(go.Scatter(
        x=f, y=left + eps, mode="markers", showlegend=False, name="jump",
        marker=dict(symbol=[_jump_symbol(e) for e in eps], size=13,
                    color=[style.sign_color(e) if e else style.GREY for e in eps],
                    line=dict(width=1, color=style.GREY)),
        customdata=np.stack([np.asarray(ks), eps], axis=-1),
        hovertemplate="spike #%{customdata[0]:.0f} at t=%{x:.4f}<br>jump of λ_V: "
                      "ε=%{customdata[1]:.4g}<extra></extra>"))
    return out


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
