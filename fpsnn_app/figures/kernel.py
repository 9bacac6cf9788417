"""One input spike into one neuron: ``V = w h(t)``, the threshold, the spike and its slope.

Built as plain dicts (:func:`~fpsnn_app.figures.common.plain_figure`): no Plotly object
validation on the page's main interaction.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import style
from .common import line_shape, on, plain_figure, scatter, subplot_layout


def kernel_figure(
    t: np.ndarray,
    h: np.ndarray,
    dh: np.ndarray,
    w: float,
    theta: float,
    f: float | None,
    peak: float,
    height: int = 540,
) -> go.Figure:
    """``w h(t)`` with ``theta`` and the first crossing ``f`` (top), ``h'(t)`` (bottom).

    Parameters
    ----------
    t, h, dh : ndarray, shape (T,)
        Time grid, kernel and its derivative.
    f : float or None
        First time with ``w h(f) = theta`` (``None``: no spike).
    peak : float
        ``t*``, where ``h'`` vanishes.
    height : int
        Of the figure, in pixels.
    """
    layout = subplot_layout(
        2,
        1,
        ("V(t) = w h(t)", "h'(t)"),
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=(0.62, 0.38),
    )
    data = [
        on(
            1,
            scatter(
                t,
                w * h,
                name="w h(t)",
                line=dict(color=style.BLUE, width=3),
                hovertemplate="t=%{x:.3f}<br>V=%{y:.4f}<extra></extra>",
            ),
        ),
        on(
            1,
            scatter(
                [float(t[0]), float(t[-1])],
                [theta, theta],
                mode="lines",
                name="θ",
                line=dict(color=style.GREY, dash="dash", width=2),
            ),
        ),
        on(
            2,
            scatter(
                t,
                dh,
                name="h'(t)",
                showlegend=False,
                line=dict(color=style.GREY, width=2.5),
                hovertemplate="t=%{x:.3f}<br>h'=%{y:.4f}<extra></extra>",
            ),
        ),
    ]
    dotted = dict(color=style.GREY, width=1, dash="dot")
    layout["shapes"] = [
        line_shape(peak, peak, 0, 1, xref, f"{yref} domain", dotted)
        for xref, yref in (("x", "y"), ("x2", "y2"))
    ]
    if f is not None:
        slope = w * float(np.interp(f, t, dh))
        half = 0.08 * (t[-1] - t[0])
        data.append(
            on(
                1,
                scatter(
                    [f - half, f + half],
                    [theta - slope * half, theta + slope * half],
                    mode="lines",
                    name=f"slope w h'(f) = {slope:.3f}",
                    line=dict(color=style.ORANGE, width=3, dash="dash"),
                ),
            )
        )
        data.append(
            on(
                1,
                scatter(
                    [f],
                    [theta],
                    mode="markers",
                    name=f"spike f = {f:.4f}",
                    marker=dict(
                        size=14, color=style.HIGHLIGHT, line=dict(width=2, color="#555555")
                    ),
                ),
            )
        )
    layout["xaxis2"]["title"] = dict(text="time since the input spike")
    layout = style.finish_plain(layout, height)
    layout["legend"] = style.merged(
        layout["legend"],
        dict(
            orientation="v",
            yanchor="top",
            y=0.98,
            xanchor="right",
            x=0.99,
            bgcolor="rgba(128,128,128,0.08)",
        ),
    )
    return plain_figure(data, layout)
