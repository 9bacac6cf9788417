"""The exact derivatives of one spike time or of the loss with respect to every parameter,
ranked: a horizontal bar chart of the largest ones (plain dicts,
:func:`~fpsnn_app.figures.common.plain_figure`)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import style
from .common import plain_figure


def sensitivity_figure(names: list[str], values: np.ndarray, of: str) -> go.Figure:
    """One bar per parameter, the largest ``|value|`` on top; positive bars blue and plain,
    negative ones orange and hatched (colour and pattern: two cues).

    Parameters
    ----------
    names : list of str, length P
        Parameter names, ranked (largest ``|value|`` first).
    values : ndarray, shape (P,)
        The derivatives ``d(of)/dp``.
    of : str
        What is differentiated (axis title), e.g. ``"f(n3.1)"`` or ``"loss"``.
    """
    values = np.asarray(values, dtype=float)
    negative = values < 0
    bar = dict(
        type="bar",
        orientation="h",
        x=values[::-1],
        y=list(names)[::-1],
        name=f"d {of} / dp",
        marker=dict(
            color=[style.ORANGE if n else style.BLUE for n in negative[::-1]],
            pattern=dict(shape=["/" if n else "" for n in negative[::-1]]),
            line=dict(width=1, color=style.GREY),
        ),
        text=[f"{v:+.3g}" for v in values[::-1]],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}<br>d " + of + "/dp = %{x:.6g}<extra></extra>",
    )
    span = float(np.abs(values).max()) if values.size else 1.0
    layout = dict(
        xaxis=dict(
            title=dict(text=f"exact derivative d {of} / dp (per unit of p)"),
            zeroline=True,
            range=[
                -1.3 * span if negative.any() else -0.05 * span,
                1.3 * span if (~negative).any() else 0.05 * span,
            ],
        ),
        yaxis=dict(automargin=True, type="category"),
        showlegend=False,
        bargap=0.25,
    )
    return plain_figure([bar], style.finish_plain(layout, max(260, 60 + 26 * len(values))))
