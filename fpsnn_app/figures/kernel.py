"""One input spike into one neuron: ``V = w h(t)``, the threshold, the spike and its slope."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import style


def kernel_figure(t: np.ndarray, h: np.ndarray, dh: np.ndarray, w: float, theta: float,
                  f: float | None, peak: float) -> go.Figure:
    """``w h(t)`` with ``theta`` and the first crossing ``f`` (top), ``h'(t)`` (bottom).

    Parameters
    ----------
    t, h, dh : ndarray, shape (T,)
        Time grid, kernel and its derivative.
    f : float or None
        First time with ``w h(f) = theta`` (``None``: no spike).
    peak : float
        ``t*``, where ``h'`` vanishes.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38],
                        vertical_spacing=0.06, subplot_titles=("V(t) = w h(t)", "h'(t)"))
    fig.add_trace(go.Scatter(x=t, y=w * h, name="w h(t)", line=dict(color=style.BLUE, width=3),
                             hovertemplate="t=%{x:.3f}<br>V=%{y:.4f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=[t[0], t[-1]], y=[theta, theta], mode="lines", name="θ",
                             line=dict(color=style.GREY, dash="dash", width=2)), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=dh, name="h'(t)", showlegend=False,
                             line=dict(color=style.GREY, width=2.5),
                             hovertemplate="t=%{x:.3f}<br>h'=%{y:.4f}<extra></extra>"), row=2, col=1)
    fig.add_vline(x=peak, line=dict(color=style.GREY, width=1, dash="dot"))
    if f is not None:
        slope = w * float(np.interp(f, t, dh))
        half = 0.08 * (t[-1] - t[0])
        fig.add_trace(go.Scatter(x=[f - half, f + half], y=[theta - slope * half, theta + slope * half],
                                 mode="lines", name=f"slope w h'(f) = {slope:.3f}",
                                 line=dict(color=style.ORANGE, width=3, dash="dash")), row=1, col=1)
        fig.add_trace(go.Scatter(x=[f], y=[theta], mode="markers", name=f"spike f = {f:.4f}",
                                 marker=dict(size=14, color=style.HIGHLIGHT,
                                             line=dict(width=2, color="#555555"))), row=1, col=1)
    fig.update_xaxes(title_text="time since the input spike", row=2, col=1)
    style.finish(fig, height=540)
    fig.update_layout(legend=dict(orientation="v", yanchor="top", y=0.98, xanchor="right", x=0.99,
                                  bgcolor="rgba(128,128,128,0.08)"))
    return fig
