"""Figures of the Training page: curves, decision regions, first-spike times, confusion.

Classes are told apart by colour (the neuron palette) and always by a second cue: a marker
symbol for the data points, a dash pattern for output neurons, the class name in hovers.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import style

SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
NONE_COLOR = style.GREY


def class_color(c: int) -> str:
    return style.neuron_color(c)


def curves_figure(epochs, train_loss, val_loss, train_acc, val_acc, height: int = 360) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch: train solid with dots, validation dashed
    with squares.

    Parameters
    ----------
    epochs, train_loss, val_loss, train_acc, val_acc : sequences of equal length (E,)
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (first-spike cross entropy)",
                                                         "Accuracy"), horizontal_spacing=0.1)
    for col, (train, val) in enumerate(((train_loss, val_loss), (train_acc, val_acc)), start=1):
        for name, y, dash, symbol in (("train", train, "solid", "circle"),
                                      ("validation", val, "dash", "square")):
            color = style.BLUE if name == "train" else style.ORANGE
            fig.add_trace(go.Scatter(x=list(epochs), y=list(y), name=name, legendgroup=name,
                                     showlegend=col == 1, mode="lines+markers",
                                     line=dict(color=color, dash=dash, width=style.LINE_WIDTH),
                                     marker=dict(symbol=symbol, size=7)), row=1, col=col)
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    return _legend_above_titles(style.finish(fig, height))


def _legend_above_titles(fig: go.Figure) -> go.Figure:
    """Room for the legend above the subplot titles."""
    fig.update_layout(legend=dict(y=0.99, yanchor="top", yref="container"),
                      margin=dict(t=85))
    return fig


def regions_figure(grid: np.ndarray, predicted: np.ndarray, points: np.ndarray, labels: np.ndarray,
                   class_names, axis_names=("x", "y"), height: int = 520) -> go.Figure:
    """Predicted class over the input plane (tinted), the data on top.

    Parameters
    ----------
    grid : ndarray, shape (G,)
        Coordinates of the grid along both axes.
    predicted : ndarray of int, shape (G, G)
        ``[row = y, column = x]`` predicted class, ``-1`` where no output fires.
    points : ndarray, shape (n, 2)
    labels : ndarray of int, shape (n,)
    """
    C = len(class_names)
    colors = [NONE_COLOR] + [class_color(c) for c in range(C)]
    scale = []
    for k, col in enumerate(colors):          # discrete colour scale over -1..C-1
        scale += [[k / len(colors), col], [(k + 1) / len(colors), col]]
    names = np.array(["no spike"] + list(class_names), dtype=object)
    fig = go.Figure(go.Heatmap(
        x=grid, y=grid, z=predicted, zmin=-1.5, zmax=C - 0.5, colorscale=scale, opacity=0.45,
        showscale=False, customdata=names[predicted + 1], name="prediction",
        hovertemplate="x=%{x:.2f} y=%{y:.2f}<br>predicted: %{customdata}<extra></extra>"))
    for c, name in enumerate(class_names):
        sel = labels == c
        fig.add_trace(go.Scatter(
            x=points[sel, 0], y=points[sel, 1], mode="markers", name=str(name),
            marker=dict(color=class_color(c), symbol=SYMBOLS[c % len(SYMBOLS)],
                        size=7 if len(labels) > 50 else 16,
                        line=dict(width=0.8, color="rgba(0,0,0,0.6)")),
            hovertemplate=f"class {name}<br>x=%{{x:.2f}} y=%{{y:.2f}}<extra></extra>"))
    fig.update_xaxes(title_text=axis_names[0], range=[grid[0], grid[-1]], constrain="domain")
    fig.update_yaxes(title_text=axis_names[1], range=[grid[0], grid[-1]], scaleanchor="x",
                     scaleratio=1)
    return style.finish(fig, height)


def first_spike_figure(first_times: np.ndarray, labels: np.ndarray, class_names, t_max: float,
                       height: int | None = None) -> go.Figure:
    """One row per true class: histograms of every output neuron's first spike time
    (silent outputs in a last bin at ``t_max``, labelled "silent").

    Parameters
    ----------
    first_times : ndarray, shape (n, C)   ``inf`` where the output is silent
    labels : ndarray of int, shape (n,)
    """
    C = len(class_names)
    height = height or 150 + 170 * C
    fig = make_subplots(rows=C, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[f"true class {n}" for n in class_names])
    bins = np.linspace(0.0, t_max, 41)
    width = bins[1] - bins[0]
    for r in range(C):
        rows = first_times[labels == r]
        for c in range(C):
            t = rows[:, c] if rows.size else np.zeros(0)
            counts, _ = np.histogram(t[np.isfinite(t)], bins)
            x = np.r_[bins[:-1] + width / 2, t_max + width]
            y = np.r_[counts, np.sum(~np.isfinite(t))]
            fig.add_trace(go.Bar(x=x, y=y, width=width, name=f"output {class_names[c]}",
                                 legendgroup=str(c), showlegend=r == 0, opacity=0.6,
                                 marker=dict(color=class_color(c),
                                             pattern=dict(shape=("", "/", ".", "x", "-")[c % 5])),
                                 hovertemplate=f"output {class_names[c]}: %{{y}} samples"
                                               "<extra></extra>"),
                          row=r + 1, col=1)
        fig.update_yaxes(title_text="samples", row=r + 1, col=1)
    fig.update_layout(barmode="overlay")
    ticks = np.linspace(0.0, t_max, 5)
    fig.update_xaxes(tickvals=np.r_[ticks, t_max + width],
                     ticktext=[f"{v:g}" for v in ticks] + ["silent"], row=C, col=1)
    fig.update_xaxes(title_text="first spike time of the output", row=C, col=1)
    return _legend_above_titles(style.finish(fig, height))


def confusion_figure(confusion: np.ndarray, class_names, height: int = 380) -> go.Figure:
    """Counts ``[true, predicted]`` (last column: no output fired), numbers printed."""
    cols = list(class_names) + ["no spike"]
    z = np.asarray(confusion)
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"pred. {c}" for c in cols], y=[f"true {c}" for c in class_names],
        colorscale=style.SEQUENTIAL, text=z, texttemplate="%{text}", showscale=False,
        hovertemplate="%{y}, %{x}: %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return style.finish(fig, height)
