"""The spike-time Jacobians as matrices (docs/model.md#the-implicit-equations,
#fp-and-the-adjoint).

- :func:`matrices_figure`: ``dPhi/dF`` in neuron-major order beside ``L = P dPhi/dF P^T``
  in time order, which is lower triangular;
- :func:`permutation_figure`: ``P``, one dot per spike;
- :func:`dphi_dw_figure`: ``dPhi/dW`` (J4), spikes by parameters;
- :func:`fp_step_figure`: FP's forward substitution (G2) step by step, on a slider that
  runs in the browser.

Structural zeros (entries outside the sparsity pattern) are blank; values use a diverging
scale centred at zero (orange negative, blue positive) and are printed on hover.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import scipy.sparse as sp
from plotly.subplots import make_subplots

from .. import style
from .common import plain_figure


def dense_with_blanks(A: sp.spmatrix) -> np.ndarray:
    """Dense copy of a sparse matrix with ``NaN`` outside its sparsity pattern."""
    A = sp.coo_matrix(A)
    out = np.full(A.shape, np.nan)
    out[A.row, A.col] = A.data
    return out


def _heatmap(z, x, y, zmax: float, hover: str, **kw) -> go.Heatmap:
    return go.Heatmap(
        z=z,
        x=x,
        y=y,
        zmid=0.0,
        zmin=-zmax,
        zmax=zmax,
        colorscale=style.DIVERGING,
        xgap=1,
        ygap=1,
        hoverongaps=False,
        hovertemplate=hover,
        colorbar=dict(thickness=14),
        **kw,
    )


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
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=("dΦ/dF, spikes grouped by neuron", "L = P dΦ/dF Pᵀ, spikes in time order"),
    )
    hover = "Φ of %{y}<br>w.r.t. f of %{x}<br>value %{z:.4g}<extra></extra>"
    fig.add_trace(_heatmap(Ln, nm_labels, nm_labels, zmax, hover, showscale=False), row=1, col=1)
    fig.add_trace(_heatmap(Lt, time_labels, time_labels, zmax, hover), row=1, col=2)
    R = len(time_labels)
    for col in (1, 2):  # the diagonal, as a guide
        fig.add_shape(
            type="line",
            x0=-0.5,
            y0=-0.5,
            x1=R - 0.5,
            y1=R - 0.5,
            line=dict(color=style.GREY, width=1, dash="dot"),
            row=1,
            col=col,
        )
    _matrix_axes(fig, R)
    return style.finish(fig, height=max(420, min(900, 200 + 18 * R)))


def _matrix_axes(fig: go.Figure, R: int) -> None:
    show = R <= 40
    fig.update_yaxes(
        autorange="reversed", showticklabels=show, tickfont=dict(size=11), title_text="equation Φ_k"
    )
    fig.update_xaxes(
        showticklabels=show,
        tickfont=dict(size=11),
        tickangle=-90,
        title_text="spike time f_l",
        side="bottom",
    )


def permutation_figure(neuron_major: np.ndarray, time_labels: list[str]) -> go.Figure:
    """``P[k, p] = 1`` when the ``p``-th spike in neuron-major order is the ``k``-th in time."""
    nm = np.asarray(neuron_major)
    R = nm.size
    nm_labels = [time_labels[k] for k in nm]
    fig = go.Figure(
        go.Scatter(
            x=nm_labels,
            y=[time_labels[k] for k in nm],
            mode="markers",
            marker=dict(symbol="square", size=max(6, min(16, 360 // max(R, 1))), color=style.BLUE),
            hovertemplate="P[%{y}, %{x}] = 1<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_xaxes(
        categoryorder="array",
        categoryarray=nm_labels,
        title_text="neuron-major position",
        showticklabels=R <= 40,
        tickangle=-90,
        tickfont=dict(size=11),
    )
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=time_labels,
        autorange="reversed",
        title_text="time order",
        showticklabels=R <= 40,
        tickfont=dict(size=11),
    )
    return style.finish(fig, height=max(380, min(700, 160 + 14 * R)))


def dphi_dw_figure(
    dphi_dw: sp.spmatrix, time_labels: list[str], param_labels: list[str]
) -> go.Figure:
    """``dPhi_k/dW[j, i] = y_ji(f_k)``: rows spikes (time order), columns parameters."""
    z = dense_with_blanks(dphi_dw)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=param_labels,
            y=time_labels,
            colorscale=style.SEQUENTIAL,
            zmin=0,
            xgap=1,
            ygap=1,
            hoverongaps=False,
            colorbar=dict(thickness=14),
            hovertemplate="dΦ of %{y} / dW[%{x}]<br>= y(f) = %{z:.4g}<extra></extra>",
        )
    )
    fig.update_yaxes(
        autorange="reversed",
        showticklabels=len(time_labels) <= 40,
        tickfont=dict(size=11),
        title_text="equation Φ_k",
    )
    fig.update_xaxes(
        tickangle=-90,
        tickfont=dict(size=11),
        title_text="weight W[j, i]",
        showticklabels=len(param_labels) <= 60,
    )
    return style.finish(fig, height=max(380, min(800, 200 + 16 * len(time_labels))))


def fp_step_figure(
    L: sp.spmatrix,
    dF: np.ndarray,
    time_labels: list[str],
    param_labels: list[str],
    step_texts: list[str],
    k0: int,
):
    """Forward substitution step by step, on a Plotly slider that runs in the browser.

    After step ``k``: ``L`` faded with row ``k`` in full colour (left), and ``dF/dW``
    filled up to row ``k`` with the earlier rows it reads outlined (right). Every step's
    view comes from data sent once: the full-colour row and the filled rows are the whole
    matrices drawn on extra y axes whose domain and range each step sets (:func:`rows_axis`)
    to cover only those rows, so Plotly clips the rest; a step changes four numbers per
    axis, the outlines and the texts.

    Parameters
    ----------
    L : sparse matrix, shape (R, R)
    dF : ndarray, shape (R, P)
        ``dF/dW`` over the shown parameters, rows in time order.
    step_texts : list of str, length R
        The caption of each step (Plotly's HTML subset), shown above the matrices.
    k0 : int
        The step shown first.
    """
    Lt = dense_with_blanks(L)
    R, P = dF.shape
    hover = "%{y}, %{x}: %{z:.4g}<extra></extra>"
    zL = _zmax(Lt)
    cell = dict(
        type="heatmap",
        zmid=0.0,
        colorscale=style.DIVERGING,
        xgap=1,
        ygap=1,
        hoverongaps=False,
        hovertemplate=hover,
    )
    data = [
        dict(
            cell,
            z=Lt,
            x=time_labels,
            y=time_labels,
            zmin=-zL,
            zmax=zL,
            showscale=False,
            opacity=0.25,
            xaxis="x",
            yaxis="y",
        ),
        dict(
            cell,
            z=Lt,
            x=time_labels,
            y=time_labels,
            zmin=-zL,
            zmax=zL,
            showscale=False,
            xaxis="x",
            yaxis="y3",
        ),  # row k, clipped by yaxis3
        dict(
            cell,
            z=dF,
            x=param_labels,
            y=time_labels,
            zmin=-_zmax(dF),
            zmax=_zmax(dF),
            name="dF/dW",
            colorbar=dict(thickness=14),
            xaxis="x2",
            yaxis="y4",
        ),
        # the right-hand axes' categories (the filled rows live on the clipped yaxis4)
        dict(
            type="scatter",
            x=[param_labels[0]] * R + list(param_labels),
            y=list(time_labels) + [time_labels[0]] * P,
            mode="markers",
            marker=dict(opacity=0),
            hoverinfo="skip",
            showlegend=False,
            xaxis="x2",
            yaxis="y2",
        ),
    ]
    show = R <= 40
    rows = dict(
        type="category",
        categoryorder="array",
        categoryarray=list(time_labels),
        range=[R - 0.5, -0.5],
        fixedrange=True,
    )
    hidden = dict(rows, visible=False, anchor="x")
    gap, left = 0.12, 0.45 * 0.88
    layout = dict(
        xaxis=dict(
            domain=[0, left],
            anchor="y",
            type="category",
            tickangle=-90,
            showticklabels=show,
            fixedrange=True,
            tickfont=dict(size=11),
        ),
        yaxis=dict(rows, domain=[0, 1], anchor="x", showticklabels=show, tickfont=dict(size=11)),
        xaxis2=dict(
            domain=[left + gap, 1],
            anchor="y2",
            type="category",
            tickangle=-90,
            showticklabels=P <= 60,
            fixedrange=True,
            tickfont=dict(size=11),
        ),
        yaxis2=dict(rows, domain=[0, 1], anchor="x2", showticklabels=show, tickfont=dict(size=11)),
        yaxis3=hidden,
        yaxis4=dict(hidden, anchor="x2"),
        dragmode=False,
        annotations=[
            _title("L: row k holds L_kk and the earlier spikes it uses", left / 2),
            _title("", (1 + left + gap) / 2),
            dict(
                text="",
                x=0,
                xref="paper",
                xanchor="left",
                y=1,
                yref="paper",
                yanchor="bottom",
                yshift=34,
                align="left",
                showarrow=False,
                font=dict(size=14),
            ),
        ],
    )
    steps = [_fp_step(Lt, k, P, step_texts[k]) for k in range(R)]
    for key, value in steps[k0].items():  # the first view: step k0 applied
        apply_relayout(layout, key, value)
    layout["sliders"] = [
        dict(
            active=k0,
            x=0,
            len=1,
            y=1,
            yanchor="bottom",
            pad=dict(t=0, b=112),
            currentvalue=dict(prefix="FP step k = ", font=dict(size=14)),
            steps=[dict(method="relayout", label=str(k), args=[steps[k]]) for k in range(R)],
            font=dict(size=11),
            ticklen=4,
            minorticklen=0,
            transition=dict(duration=0),
        )
    ]
    layout = style.finish_plain(layout, height=max(560, min(1040, 360 + 18 * R)))
    layout["margin"] = dict(l=70, r=20, t=200, b=110 if show else 50)
    return plain_figure(data, layout)


def _title(text: str, x: float) -> dict:
    """A subplot title above the plot area (as ``make_subplots`` places them)."""
    return dict(
        text=text,
        x=x,
        xref="paper",
        xanchor="center",
        y=1.0,
        yref="paper",
        yanchor="bottom",
        showarrow=False,
        font=dict(size=16),
    )


def rows_axis(first: int, last: int, R: int) -> dict:
    """Domain and range of an axis that shows rows ``first..last`` of a reversed category
    axis of ``R`` rows on the domain ``[0, 1]``, at the same place: row ``r`` spans
    ``[1 - (r + 1)/R, 1 - r/R]`` of the height."""
    return {"domain": [1 - (last + 1) / R, 1 - first / R], "range": [last + 0.5, first - 0.5]}


def _fp_step(Lt: np.ndarray, k: int, P: int, text: str) -> dict:
    """The layout changes of step ``k`` (``Plotly.relayout`` attribute strings)."""
    R = Lt.shape[0]
    used = [int(l) for l in np.flatnonzero(np.isfinite(Lt[k, :k]))]
    outline = dict(color=style.GREY, width=2, dash="dot")
    mark = dict(color=style.HIGHLIGHT, width=3)
    shapes = [
        dict(
            type="rect",
            xref="x2",
            yref="y2",
            x0=-0.5,
            x1=P - 0.5,
            y0=l - 0.5,
            y1=l + 0.5,
            line=outline,
        )
        for l in used
    ]
    shapes += [
        dict(
            type="rect",
            xref="x2",
            yref="y2",
            x0=-0.5,
            x1=P - 0.5,
            y0=k - 0.5,
            y1=k + 0.5,
            line=mark,
        ),
        dict(
            type="rect",
            xref="x",
            yref="y",
            x0=k - 0.5,
            x1=k + 0.5,
            y0=k - 0.5,
            y1=k + 0.5,
            line=mark,
        ),
    ]
    out = {f"yaxis3.{key}": v for key, v in rows_axis(k, k, R).items()}
    out.update({f"yaxis4.{key}": v for key, v in rows_axis(0, k, R).items()})
    out["shapes"] = shapes
    out["annotations[1].text"] = f"dF/dW after {k + 1} of {R} steps"
    out["annotations[2].text"] = text
    return out


def apply_relayout(layout: dict, key: str, value) -> None:
    """Apply one ``Plotly.relayout`` attribute string (``a.b``, ``a[i].b``) to ``layout``."""
    node = layout
    parts = key.split(".")
    for part in parts[:-1]:
        name, _, index = part.partition("[")
        node = node[name] if not index else node[name][int(index[:-1])]
    last, _, index = parts[-1].partition("[")
    if index:
        node[last][int(index[:-1])] = value
    else:
        node[last] = value
