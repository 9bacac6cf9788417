"""Figures of the Training page: curves, decision regions, first-spike times, confusion.

Classes are told apart by colour (the neuron palette) and always by a second cue: a marker
symbol for the data points, a dash pattern for output neurons, the class name in hovers.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import style
from .common import plain_figure, subplot_layout

SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
NONE_COLOR = style.GREY
#: Ring around misclassified points (a dark red, apart from the class palette's hues).
WRONG_COLOR = "#c0392b"


def class_color(c: int) -> str:
    return style.neuron_color(c)


def curves_figure(
    epochs,
    train_loss,
    val_loss,
    train_acc,
    val_acc,
    height: int = 360,
    stacked: bool = False,
    best_epoch: int | None = None,
) -> go.Figure:
    """Loss and accuracy per epoch (side by side, or ``stacked`` for a narrow column): train
    solid with dots, validation dashed with squares; ``best_epoch`` gets a dotted line.
    Built as plain dicts (:func:`~fpsnn_app.figures.common.plain_figure`): Play redraws it
    after every epoch.

    Parameters
    ----------
    epochs, train_loss, val_loss, train_acc, val_acc : sequences of equal length (E,)
    """
    rows, cols = (2, 1) if stacked else (1, 2)
    layout = subplot_layout(
        rows,
        cols,
        ("Loss (first-spike cross entropy)", "Accuracy"),
        shared_xaxes=stacked,
        horizontal_spacing=0.1,
        vertical_spacing=0.26,
    )
    many = len(epochs) > 60
    x = np.asarray(epochs, dtype=float)
    data, shapes = [], []
    for k, (train, val) in enumerate(((train_loss, val_loss), (train_acc, val_acc))):
        ax = "" if k == 0 else "2"
        for name, y, dash, symbol in (
            ("train", train, "solid", "circle"),
            ("validation", val, "dash", "square"),
        ):
            color = style.BLUE if name == "train" else style.ORANGE
            data.append(
                dict(
                    type="scatter",
                    x=x,
                    y=np.asarray(y, dtype=float),
                    name=name,
                    legendgroup=name,
                    showlegend=k == 0,
                    mode="lines" if many else "lines+markers",
                    line=dict(color=color, dash=dash, width=style.LINE_WIDTH),
                    marker=dict(symbol=symbol, size=6),
                    xaxis=f"x{ax}",
                    yaxis=f"y{ax}",
                )
            )
        if best_epoch:
            shapes.append(
                dict(
                    type="line",
                    x0=best_epoch,
                    x1=best_epoch,
                    xref=f"x{ax}",
                    y0=0,
                    y1=1,
                    yref=f"y{ax} domain",
                    line=dict(color=style.GREY, dash="dot", width=1.5),
                )
            )
    for k in ("xaxis", "xaxis2"):
        layout[k]["rangemode"] = "tozero"
    layout["xaxis2"]["title"] = dict(text="epoch")
    if not stacked:
        layout["xaxis"]["title"] = dict(text="epoch")
    layout["yaxis"]["rangemode"] = "tozero"
    layout["yaxis2"].update(range=[0, 1.02], tickformat=".0%")
    layout["shapes"] = shapes
    layout = _legend_above_titles(style.finish_plain(layout, height))
    if stacked:
        layout["margin"] = dict(l=55, r=10, t=70, b=45)
        for note in layout["annotations"]:
            note["font"] = dict(size=style.TICK_SIZE)
    return plain_figure(data, layout)


def _legend_above_titles(layout: dict) -> dict:
    """Room for the legend above the subplot titles."""
    return style.merged(
        layout, dict(legend=dict(y=0.99, yanchor="top", yref="container"), margin=dict(t=85))
    )


def padded_range(lo: float, hi: float, pad: float = 0.06) -> list[float]:
    """``[lo, hi]`` widened by ``pad`` of its span on each side, so that markers on the
    edge (the XOR corners) are drawn whole."""
    span = hi - lo
    return [lo - pad * span, hi + pad * span]


def regions_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    predicted: np.ndarray,
    points: np.ndarray,
    labels: np.ndarray,
    class_names,
    axis_names=("x", "y"),
    point_predictions: np.ndarray | None = None,
    selected: int | None = None,
    height: int = 520,
) -> go.Figure:
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
    for k, col in enumerate(colors):  # discrete colour scale over -1..C-1
        scale += [[k / len(colors), col], [(k + 1) / len(colors), col]]
    names = np.array(["no spike"] + list(class_names), dtype=object)
    ax, ay = axis_names
    data = [
        dict(
            type="heatmap",
            x=xs,
            y=ys,
            z=predicted,
            zmin=-1.5,
            zmax=C - 0.5,
            colorscale=scale,
            opacity=0.45,
            showscale=False,
            customdata=names[predicted + 1],
            name="prediction",
            hovertemplate=f"{ax}=%{{x:.2f}} {ay}=%{{y:.2f}}<br>predicted: %{{customdata}}"
            "<extra></extra>",
        )
    ]
    index = np.arange(len(labels))
    size = 7 if len(labels) > 50 else 9 if len(labels) > 10 else 18
    for c, name in enumerate(class_names):
        sel = labels == c
        data.append(
            dict(
                type="scatter",
                x=points[sel, 0],
                y=points[sel, 1],
                mode="markers",
                name=str(name),
                customdata=index[sel],
                cliponaxis=False,
                marker=dict(
                    color=class_color(c),
                    symbol=SYMBOLS[c % len(SYMBOLS)],
                    size=size,
                    line=dict(width=0.8, color="rgba(0,0,0,0.6)"),
                ),
                hovertemplate=f"class {name}, sample %{{customdata}}<br>{ax}=%{{x:.2f}} "
                f"{ay}=%{{y:.2f}}<extra>click: under the microscope</extra>",
            )
        )
    if point_predictions is not None:
        wrong = np.asarray(point_predictions) != labels
        data.append(
            dict(
                type="scatter",
                x=points[wrong, 0],
                y=points[wrong, 1],
                mode="markers",
                cliponaxis=False,
                name=f"misclassified ({int(wrong.sum())})",
                customdata=index[wrong],
                marker=dict(
                    symbol="circle-open", size=size + 6, color=WRONG_COLOR, line=dict(width=1.6)
                ),
                hovertemplate="sample %{customdata}: misclassified<extra></extra>",
            )
        )
    if selected is not None and 0 <= selected < len(labels):
        data.append(
            dict(
                type="scatter",
                x=points[[selected], 0],
                y=points[[selected], 1],
                mode="markers",
                cliponaxis=False,
                name="under the microscope",
                customdata=[selected],
                hoverinfo="skip",
                marker=dict(
                    symbol="square-open", size=size + 16, color=style.HIGHLIGHT, line=dict(width=3)
                ),
            )
        )
    layout = dict(
        xaxis=dict(
            title=dict(text=ax),
            range=padded_range(xs[0], xs[-1]),
            constrain="domain",
            showgrid=False,
            zeroline=False,
        ),
        yaxis=dict(
            title=dict(text=ay),
            range=padded_range(ys[0], ys[-1]),
            scaleanchor="x",
            scaleratio=1,
            showgrid=False,
            zeroline=False,
        ),
        clickmode="event+select",
        dragmode=False,
    )
    layout = style.merged(
        style.finish_plain(layout, height),
        dict(
            legend=dict(
                font=dict(size=style.TICK_SIZE - 1),
                orientation="h",
                y=1.0,
                yanchor="bottom",
                x=0,
                itemwidth=30,
            ),
            margin=dict(l=50, r=10, t=40, b=45),
        ),
    )
    return plain_figure(data, layout)


def first_spike_figure(
    first_times: np.ndarray,
    labels: np.ndarray,
    class_names,
    t_max: float,
    height: int | None = None,
    n_bins: int = 20,
) -> go.Figure:
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
    layout = subplot_layout(
        C,
        1,
        tuple(f"true class {n}" for n in class_names),
        shared_xaxes=True,
        vertical_spacing=0.08,
    )
    bins = np.linspace(0.0, t_max, n_bins + 1)
    width = bins[1] - bins[0]
    x = np.r_[bins[:-1] + width / 2, t_max + width]
    data = []
    for r in range(C):
        ax = "" if r == 0 else str(r + 1)
        rows = first_times[labels == r]
        for c in range(C):
            t = rows[:, c] if rows.size else np.zeros(0)
            counts, _ = np.histogram(t[np.isfinite(t)], bins)
            data.append(
                dict(
                    type="bar",
                    x=x,
                    y=np.r_[counts, np.sum(~np.isfinite(t))],
                    name=f"output {class_names[c]}",
                    legendgroup=str(c),
                    showlegend=r == 0,
                    opacity=0.95,
                    xaxis=f"x{ax}",
                    yaxis=f"y{ax}",
                    marker=dict(
                        color=class_color(c),
                        line=dict(width=0.8, color="rgba(0,0,0,0.55)"),
                        pattern=dict(
                            shape=("", "/", "x", ".", "-")[c % 5],
                            fillmode="overlay",
                            size=6,
                            fgcolor="rgba(0,0,0,0.45)",
                        ),
                    ),
                    hovertemplate=f"output {class_names[c]}: %{{y}} samples<extra></extra>",
                )
            )
        layout[f"yaxis{ax}"]["title"] = dict(text="samples")
    ticks = np.linspace(0.0, t_max, 5)
    bottom = "xaxis" if C == 1 else f"xaxis{C}"
    layout[bottom].update(
        tickvals=np.r_[ticks, t_max + width],
        ticktext=[f"{v:g}" for v in ticks] + ["silent"],
        title=dict(text="first spike time of the output"),
    )
    layout.update(barmode="group", bargap=0.15, bargroupgap=0.0)
    return plain_figure(data, _legend_above_titles(style.finish_plain(layout, height)))


def confusion_figure(confusion: np.ndarray, class_names, height: int = 380) -> go.Figure:
    """Counts ``[true, predicted]`` (last column: no output fired), numbers printed."""
    cols = list(class_names) + ["no spike"]
    z = np.asarray(confusion)
    data = [
        dict(
            type="heatmap",
            z=z,
            x=[f"pred. {c}" for c in cols],
            y=[f"true {c}" for c in class_names],
            colorscale=style.SEQUENTIAL_STOPS,
            text=z,
            texttemplate="%{text}",
            showscale=False,
            hovertemplate="%{y}, %{x}: %{z}<extra></extra>",
        )
    ]
    layout = dict(xaxis=dict(), yaxis=dict(autorange="reversed"))
    return plain_figure(data, style.finish_plain(layout, height))
