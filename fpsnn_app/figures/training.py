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
#: Ring around misclassified points (a dark red, apart from the class palette's hues).
WRONG_COLOR = "#c0392b"


def class_color(c: int) -> str:
    return style.neuron_color(c)


def curves_figure(epochs, train_loss, val_loss, train_acc, val_acc, height: int = 360,
                  stacked: bool = False, best_epoch: int | None = None) -> go.Figure:
    """Loss and accuracy per epoch (side by side, or ``stacked`` for a narrow column): train
    solid with dots, validation dashed with squares; ``best_epoch`` gets a dotted line.

    Parameters
    ----------
    epochs, train_loss, val_loss, train_acc, val_acc : sequences of equal length (E,)
    """
    rows, cols = (2, 1) if stacked else (1, 2)
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=stacked,
                        subplot_titles=("Loss (first-spike cross entropy)", "Accuracy"),
                        horizontal_spacing=0.1, vertical_spacing=0.14)
    many = len(epochs) > 60
    for k, (train, val) in enumerate(((train_loss, val_loss), (train_acc, val_acc))):
        r, c = (k + 1, 1) if stacked else (1, k + 1)
        for name, y, dash, symbol in (("train", train, "solid", "circle"),
                                      ("validation", val, "dash", "square")):
            color = style.BLUE if name == "train" else style.ORANGE
            fig.add_trace(go.Scatter(x=list(epochs), y=list(y), name=name, legendgroup=name,
                                     showlegend=k == 0, mode="lines" if many else "lines+markers",
                                     line=dict(color=color, dash=dash, width=style.LINE_WIDTH),
                                     marker=dict(symbol=symbol, size=6)), row=r, col=c)
        if best_epoch:
            fig.add_vline(x=best_epoch, line=dict(color=style.GREY, dash="dot", width=1.5),
                          row=r, col=c)
    fig.update_xaxes(rangemode="tozero")
    fig.update_xaxes(title_text="epoch", row=rows, col=cols)
    if not stacked:
        fig.update_xaxes(title_text="epoch", row=1, col=1)
    acc = dict(row=2, col=1) if stacked else dict(row=1, col=2)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", **acc)
    fig = _legend_above_titles(style.finish(fig, height))
    if stacked:
        fig.update_layout(margin=dict(l=55, r=10, t=70, b=45))
        fig.update_annotations(font=dict(size=13))
    return fig


def _legend_above_titles(fig: go.Figure) -> go.Figure:
    """Room for the legend above the subplot titles."""
    fig.update_layout(legend=dict(y=0.99, yanchor="top", yref="container"),
                      margin=dict(t=85))
    return fig


def padded_range(lo: float, hi: float, pad: float = 0.06) -> list[float]:
    """``[lo, hi]`` widened by ``pad`` of its span on each side, so that markers on the
    edge (the XOR corners) are drawn whole."""
    span = hi - lo
    return [lo - pad * span, hi + pad * span]


def regions_figure(xs: np.ndarray, ys: np.ndarray, predicted: np.ndarray, points: np.ndarray,
                   labels: np.ndarray, class_names, axis_names=("x", "y"),
                   point_predictions: np.ndarray | None = None, selected: int | None = None,
                   height: int = 520) -> go.Figure:
    """Predicted class over the input plane (tinted), the data on top.

    Parameters
    ----------
    xs, ys : ndarray, shapes (Gx,), (Gy,)
        Grid coordinates along each axis.
    predicted : ndarray of int, shape (Gy, Gx)
        ``[row = y, column = x]`` predicted class, ``-1`` where no output fires.
    points : ndarray, shape (n, 2)
    labels : ndarray of int, shape (n,)
    point_predictions : ndarray of int, shape (n,), optional
        The network's class of each point (``-1``: no spike); wrong ones get a ring.
    selected : int, optional
        Index of the point under the microscope (a large open square).

    Each point carries its index as ``customdata`` (clicks select a sample). Axis ranges
    are padded and markers not clipped, so points on the edge stay whole.
    """
    C = len(class_names)
    colors = [NONE_COLOR] + [class_color(c) for c in range(C)]
    scale = []
    for k, col in enumerate(colors):          # discrete colour scale over -1..C-1
        scale += [[k / len(colors), col], [(k + 1) / len(colors), col]]
    names = np.array(["no spike"] + list(class_names), dtype=object)
    ax, ay = axis_names
    fig = go.Figure(_validate=False)          # no validation: several times faster to build
    fig.add_trace(go.Heatmap(
        x=xs, y=ys, z=predicted, zmin=-1.5, zmax=C - 0.5, colorscale=scale, opacity=0.45,
        showscale=False, customdata=names[predicted + 1], name="prediction",
        hovertemplate=f"{ax}=%{{x:.2f}} {ay}=%{{y:.2f}}<br>predicted: %{{customdata}}"
                      "<extra></extra>"))
    index = np.arange(len(labels))
    size = 7 if len(labels) > 50 else 9 if len(labels) > 10 else 18
    for c, name in enumerate(class_names):
        sel = labels == c
        fig.add_trace(go.Scatter(
            x=points[sel, 0], y=points[sel, 1], mode="markers", name=str(name),
            customdata=index[sel], cliponaxis=False,
            marker=dict(color=class_color(c), symbol=SYMBOLS[c % len(SYMBOLS)], size=size,
                        line=dict(width=0.8, color="rgba(0,0,0,0.6)")),
            hovertemplate=f"class {name}, sample %{{customdata}}<br>{ax}=%{{x:.2f}} "
                          f"{ay}=%{{y:.2f}}<extra>click: under the microscope</extra>"))
    if point_predictions is not None:
        wrong = np.asarray(point_predictions) != labels
        fig.add_trace(go.Scatter(
            x=points[wrong, 0], y=points[wrong, 1], mode="markers", cliponaxis=False,
            name=f"misclassified ({int(wrong.sum())})", customdata=index[wrong],
            marker=dict(symbol="circle-open", size=size + 6, color=WRONG_COLOR,
                        line=dict(width=1.6)),
            hovertemplate="sample %{customdata}: misclassified<extra></extra>"))
    if selected is not None and 0 <= selected < len(labels):
        fig.add_trace(go.Scatter(
            x=points[[selected], 0], y=points[[selected], 1], mode="markers", cliponaxis=False,
            name="under the microscope", customdata=[selected], hoverinfo="skip",
            marker=dict(symbol="square-open", size=size + 16, color=style.HIGHLIGHT,
                        line=dict(width=3))))
    fig.update_xaxes(title_text=ax, range=padded_range(xs[0], xs[-1]), constrain="domain",
                     showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=ay, range=padded_range(ys[0], ys[-1]), scaleanchor="x",
                     scaleratio=1, showgrid=False, zeroline=False)
    fig.update_layout(clickmode="event+select", dragmode=False)
    fig = style.finish(fig, height)
    fig.update_layout(legend=dict(font=dict(size=11), orientation="h", y=1.0, yanchor="bottom",
                                  x=0, itemwidth=30), margin=dict(l=50, r=10, t=40, b=45))
    return fig


def first_spike_figure(first_times: np.ndarray, labels: np.ndarray, class_names, t_max: float,
                       height: int | None = None, n_bins: int = 20) -> go.Figure:
    """One row per true class: histograms of every output neuron's first spike time
    (silent outputs in a last bin right of ``t_max``, labelled "silent").

    The outputs' bars stand side by side in each bin (grouped, never on top of each other),
    opaque, outlined, each with its own hatching drawn over its colour, so a light class
    colour (the palette's yellow) stays visible on both themes.

    Parameters
    ----------
    first_times : ndarray, shape (n, C)   ``inf`` where the output is silent
    labels : ndarray of int, shape (n,)
    """
    C = len(class_names)
    height = height or 120 + 150 * C
    fig = make_subplots(rows=C, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[f"true class {n}" for n in class_names])
    bins = np.linspace(0.0, t_max, n_bins + 1)
    width = bins[1] - bins[0]
    for r in range(C):
        rows = first_times[labels == r]
        for c in range(C):
            t = rows[:, c] if rows.size else np.zeros(0)
            counts, _ = np.histogram(t[np.isfinite(t)], bins)
            x = np.r_[bins[:-1] + width / 2, t_max + width]
            y = np.r_[counts, np.sum(~np.isfinite(t))]
            fig.add_trace(go.Bar(x=x, y=y, name=f"output {class_names[c]}",
                                 legendgroup=str(c), showlegend=r == 0, opacity=0.95,
                                 marker=dict(color=class_color(c),
                                             line=dict(width=0.8, color="rgba(0,0,0,0.55)"),
                                             pattern=dict(shape=("", "/", "x", ".", "-")[c % 5],
                                                          fillmode="overlay", size=6,
                                                          fgcolor="rgba(0,0,0,0.45)")),
                                 hovertemplate=f"output {class_names[c]}: %{{y}} samples"
                                               "<extra></extra>"),
                          row=r + 1, col=1)
        fig.update_yaxes(title_text="samples", row=r + 1, col=1)
    fig.update_layout(barmode="group", bargap=0.15, bargroupgap=0.0)
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
