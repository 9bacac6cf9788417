"""Figures of the Training page's network: the drawing, each hidden neuron's map, and
one sample's spikes.

Sign is blue (positive) or orange (negative), doubled by the dash (solid positive,
dashed negative) and by the width, which grows with ``|w|``. Hidden neurons that never
fire on the evaluated samples are drawn hollow with a cross, runaway ones as stars: those
are where spiking networks fail to learn.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import style
from .common import plain_figure

#: Link widths (pixels) of the four ``|w|`` bins, weakest first.
LINK_WIDTHS = (0.6, 1.4, 2.6, 4.2)
SILENT_SYMBOL, RUNAWAY_SYMBOL, NORMAL_SYMBOL = "x-thin-open", "star", "circle"


def layer_positions(sizes) -> list[np.ndarray]:
    """``(n_l, 2)`` node coordinates of each layer: layers at ``x = 0, 1, ...``, nodes
    spread evenly over ``y`` in ``[0, 1]`` (top to bottom)."""
    out = []
    for x, n in enumerate(sizes):
        y = np.linspace(1.0, 0.0, n + 2)[1:-1] if n > 1 else np.array([0.5])
        out.append(np.stack([np.full(n, float(x)), y], axis=1))
    return out


def network_figure(
    sizes,
    links,
    node_names,
    node_kinds,
    node_hover,
    link_note: str,
    selected: int | None = None,
    height: int = 330,
) -> go.Figure:
    """Neurons as nodes (one column per layer) and synapses as links.

    Parameters
    ----------
    sizes : sequence of int            nodes per layer (inputs first)
    links : ndarray, shape (m, 5)      ``(layer, source node, target node, w, drawn)`` rows;
        ``layer`` is the index of the source layer, node indices are within their layer
    node_names : list of list of str   per layer
    node_kinds : list of list of str   per layer: ``input``, ``normal``, ``silent``,
        ``runaway``, ``output<c>``
    node_hover : list of list of str   per layer
    link_note : str                    shown under the drawing (what is drawn)
    selected : int, optional           hidden neuron ``h<selected>`` to ring (if drawn)
    """
    pos = layer_positions(sizes)
    data = []
    links = np.asarray(links, dtype=float).reshape(-1, 5)
    wmax = float(np.abs(links[:, 3]).max()) if links.size else 1.0
    bins = np.minimum(
        (np.abs(links[:, 3]) / max(wmax, 1e-12) * len(LINK_WIDTHS)).astype(int),
        len(LINK_WIDTHS) - 1,
    )
    for positive, color, dash, name in (
        (True, style.BLUE, "solid", "positive weight"),
        (False, style.ORANGE, "dash", "negative weight"),
    ):
        for b, width in enumerate(LINK_WIDTHS):
            sel = (links[:, 4] > 0) & (bins == b) & ((links[:, 3] >= 0) == positive)
            xs, ys = [], []
            for layer, j, i, _, _ in links[sel]:
                p, q = pos[int(layer)][int(j)], pos[int(layer) + 1][int(i)]
                xs += [p[0], q[0], None]
                ys += [p[1], q[1], None]
            data.append(
                dict(
                    type="scatter",
                    x=xs,
                    y=ys,
                    mode="lines",
                    hoverinfo="skip",
                    name=name,
                    legendgroup=name,
                    showlegend=b == len(LINK_WIDTHS) - 1,
                    opacity=0.35 + 0.15 * b,
                    line=dict(color=color, dash=dash, width=width),
                )
            )
    # link hovers at the midpoints
    drawn = links[links[:, 4] > 0]
    if drawn.size:
        mid = np.array(
            [(pos[int(l)][int(j)] + pos[int(l) + 1][int(i)]) / 2 for l, j, i, _, _ in drawn]
        )
        text = [
            f"{node_names[int(l)][int(j)]} → {node_names[int(l) + 1][int(i)]}: w = {w:+.3f}"
            for l, j, i, w, _ in drawn
        ]
        data.append(
            dict(
                type="scatter",
                x=mid[:, 0],
                y=mid[:, 1],
                mode="markers",
                showlegend=False,
                marker=dict(size=6, opacity=0),
                text=text,
                hovertemplate="%{text}<extra></extra>",
                name="synapses",
            )
        )
    # nodes: one trace per kind (symbols and a legend entry each); hidden ones clickable
    styles = {
        "input": (style.GREY, "square", "input"),
        "normal": ("#6f6f6f", NORMAL_SYMBOL, "hidden neuron"),
        "silent": (style.GREY, SILENT_SYMBOL, "silent (never fires)"),
        "runaway": (style.HIGHLIGHT, RUNAWAY_SYMBOL, "runaway (fires very often)"),
    }
    groups: dict[str, list] = {}
    for l, kinds in enumerate(node_kinds):
        for k, kind in enumerate(kinds):  # hidden nodes are named h<index>: clicks
            hid = int(node_names[l][k][1:]) if 0 < l < len(sizes) - 1 else -1
            groups.setdefault(kind, []).append((l, k, hid))
    n_nodes = max(sizes)
    size = 16 if n_nodes <= 12 else 11 if n_nodes <= 40 else 7
    for kind, items in groups.items():
        xy = np.array([pos[l][k] for l, k, _ in items])
        if kind.startswith("output"):
            c = int(kind[6:])
            color, symbol, name = style.neuron_color(c), "diamond", "output neuron"
        else:
            color, symbol, name = styles[kind]
        data.append(
            dict(
                type="scatter",
                x=xy[:, 0],
                y=xy[:, 1],
                mode="markers",
                name=name,
                legendgroup=name,
                showlegend=kind in ("silent", "runaway") or kind == "output0",
                customdata=[h for _, _, h in items],
                text=[node_hover[l][k] for l, k, _ in items],
                hovertemplate="%{text}<extra></extra>",
                marker=dict(
                    color=color,
                    symbol=symbol,
                    size=size + (4 if kind != "normal" else 0),
                    line=dict(
                        width=2 if kind in ("silent", "runaway") else 0.5,
                        color=color if kind == "silent" else "rgba(0,0,0,0.5)",
                    ),
                ),
            )
        )
    if selected is not None:
        hit = [
            (l, k)
            for l in range(1, len(sizes) - 1)
            for k in range(sizes[l])
            if node_names[l][k] == f"h{selected}"
        ]
        for l, k in hit:
            p = pos[l][k]
            data.append(
                dict(
                    type="scatter",
                    x=[p[0]],
                    y=[p[1]],
                    mode="markers",
                    hoverinfo="skip",
                    name="selected neuron",
                    showlegend=False,
                    marker=dict(
                        symbol="circle-open",
                        size=size + 14,
                        color=style.HIGHLIGHT,
                        line=dict(width=3),
                    ),
                )
            )
    names = (
        ["inputs"]
        + [f"hidden {l}" if len(sizes) > 3 else "hidden" for l in range(1, len(sizes) - 1)]
        + ["outputs"]
    )
    layout = dict(
        xaxis=dict(
            tickvals=list(range(len(sizes))),
            ticktext=names,
            range=[-0.3, len(sizes) - 0.7],
            showgrid=False,
            zeroline=False,
        ),
        yaxis=dict(visible=False, range=[-0.04, 1.04]),
        clickmode="event+select",
        dragmode=False,
    )
    layout = style.merged(
        style.finish_plain(layout, height),
        dict(
            margin=dict(l=10, r=10, t=44, b=30),
            legend=dict(
                font=dict(size=11),
                orientation="h",
                y=1.0,
                yanchor="bottom",
                x=0,
                itemwidth=30,
                tracegroupgap=0,
            ),
        ),
    )
    return plain_figure(data, layout)


def _map_z(first: np.ndarray, t_max: float) -> np.ndarray:
    """First spike times with silent points (``inf``) as ``NaN`` (drawn as gaps)."""
    return np.where(np.isfinite(first), first, np.nan)


def neuron_maps_figure(
    xs, ys, maps: np.ndarray, neurons, t_max: float, cols: int = 6, height: int | None = None
) -> go.Figure:
    """Thumbnails: each hidden neuron's first spike time over the input plane (cividis;
    blank where it stays silent), ``cols`` to a row. Clicking a thumbnail selects its
    neuron: a see-through 5 x 5 lattice of markers over each map carries the neuron as
    ``customdata`` (clicks on a heatmap itself return nothing).

    All thumbnails are blocks of one heatmap on one pair of hidden axes (grid cells as
    units, ``NaN`` between blocks), with one lattice trace: a browser redraws that several
    times faster than a subplot per neuron, and Play redraws it after every epoch.

    Parameters
    ----------
    xs, ys : ndarray, shapes (Gx,), (Gy,)
    maps : ndarray, shape (n, Gy, Gx)   first spike times (``inf``: silent)
    neurons : sequence of int           hidden neuron index of each map (titles, clicks)
    """
    n = len(neurons)
    rows = max(1, -(-n // cols))
    Gy, Gx = np.shape(maps)[1:] if n else (len(ys), len(xs))
    gx, gy = max(1, Gx // 12), max(2, Gy // 3)  # gap between columns, title band above
    W, H = cols * (Gx + gx) - gx, rows * (Gy + gy)
    Z = np.full((H, W), np.nan)
    lx, ly = np.linspace(0, Gx - 1, 7)[1:-1], np.linspace(0, Gy - 1, 7)[1:-1]
    LX, LY = (a.ravel() for a in np.meshgrid(lx, ly))
    px, py, ids, notes = [], [], [], []
    for k, (hid, m) in enumerate(zip(neurons, maps)):
        r, c = divmod(k, cols)
        x0, y0 = c * (Gx + gx), (rows - 1 - r) * (Gy + gy)
        Z[y0 : y0 + Gy, x0 : x0 + Gx] = _map_z(m, t_max)
        silent = not np.isfinite(m).any()
        notes.append(
            dict(
                text=f"h{hid}" + (" silent" if silent else ""),
                x=x0 + (Gx - 1) / 2,
                y=y0 + Gy - 0.5,
                xref="x",
                yref="y",
                showarrow=False,
                yanchor="bottom",
                font=dict(size=12),
            )
        )
        px.append(x0 + LX)
        py.append(y0 + LY)
        ids += [int(hid)] * LX.size
    data = [
        dict(
            type="heatmap",
            z=Z,
            x0=0,
            dx=1,
            y0=0,
            dy=1,
            zmin=0,
            zmax=t_max,
            colorscale=style.SEQUENTIAL_STOPS,
            hoverinfo="skip",
            showscale=n > 0,
            colorbar=dict(title=dict(text="first spike", side="right"), thickness=10, len=1.0),
        ),
        dict(
            type="scatter",
            x=np.concatenate(px) if px else [],
            y=np.concatenate(py) if py else [],
            mode="markers",
            showlegend=False,
            marker=dict(size=14, opacity=0.01, color=style.GREY),
            customdata=ids,
            hovertemplate="h%{customdata} (click to enlarge)<extra></extra>",
        ),
    ]
    hidden = dict(visible=False, fixedrange=True, showgrid=False, zeroline=False)
    layout = dict(
        xaxis=dict(range=[-0.5, W - 0.5], **hidden),
        yaxis=dict(range=[-0.5, H - 0.5], **hidden),
        annotations=notes,
        clickmode="event+select",
        dragmode=False,
        height=height or 30 + 110 * rows,
        margin=dict(l=5, r=5, t=10, b=5),
        font=dict(size=style.FONT_SIZE),
        showlegend=False,
    )
    return plain_figure(data, layout)


def neuron_map_figure(
    xs,
    ys,
    first: np.ndarray,
    t_max: float,
    points,
    labels,
    class_names,
    axis_names,
    title: str,
    height: int = 400,
) -> go.Figure:
    """One hidden neuron's first spike time over the plane, large, with the data on top
    (grey: silent)."""
    data = [
        dict(
            type="heatmap",
            x=xs,
            y=ys,
            z=_map_z(first, t_max),
            zmin=0,
            zmax=t_max,
            colorscale=style.SEQUENTIAL_STOPS,
            colorbar=dict(title=dict(text="first spike", side="right"), thickness=12),
            text=np.where(np.isfinite(first), np.round(first, 3).astype(str), "silent"),
            hovertemplate="%{text}<extra></extra>",
            name="first spike",
        )
    ]
    from .training import SYMBOLS, class_color

    for c, name in enumerate(class_names):
        sel = np.asarray(labels) == c
        data.append(
            dict(
                type="scatter",
                x=points[sel, 0],
                y=points[sel, 1],
                mode="markers",
                name=str(name),
                hoverinfo="skip",
                cliponaxis=False,
                marker=dict(
                    color=class_color(c),
                    size=6,
                    symbol=SYMBOLS[c % len(SYMBOLS)],
                    line=dict(width=0.6, color="rgba(0,0,0,0.6)"),
                ),
            )
        )
    layout = dict(
        xaxis=dict(title=dict(text=axis_names[0]), range=[xs[0], xs[-1]]),
        yaxis=dict(title=dict(text=axis_names[1]), range=[ys[0], ys[-1]]),
    )
    # the legend under the plot: in the page's narrow column it wraps, and above the plot
    # it ran over the title
    layout = style.merged(
        style.finish_plain(layout, height, title),
        dict(legend=dict(y=-0.32, yanchor="top", font=dict(size=12)), margin=dict(b=95)),
    )
    return plain_figure(data, layout)


def sample_raster_figure(
    groups, t_max: float, first_times, class_names, height: int = 300
) -> go.Figure:
    """One sample's spikes: a row per neuron (inputs, hidden, outputs), the output first
    spikes large in their class colour.

    Parameters
    ----------
    groups : list of (name, labels, times)  per group, a label per row and a list of spike
        time arrays
    first_times : ndarray, shape (C,)       output first spikes (``inf``: silent)
    """
    data = []
    row, ticks, ticktext = 0, [], []
    for name, labels, times in groups:
        xs, ys, text = [], [], []
        for lab, t in zip(labels, times):
            xs += list(t)
            ys += [row] * len(t)
            text += [lab] * len(t)
            if len(labels) <= 12:
                ticks.append(row)
                ticktext.append(lab)
            row += 1
        if len(labels) > 12:
            ticks.append(row - len(labels) / 2)
            ticktext.append(f"{name} ({len(labels)})")
        data.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                mode="markers",
                name=name,
                text=text,
                hovertemplate="%{text} at %{x:.3f}<extra></extra>",
                marker=dict(
                    symbol="line-ns-open",
                    size=9,
                    line=dict(width=2),
                    color=style.GREY if name == "inputs" else style.BLUE,
                ),
            )
        )
    out0 = row - len(class_names)
    for c, name in enumerate(class_names):
        t = first_times[c]
        if np.isfinite(t):
            data.append(
                dict(
                    type="scatter",
                    x=[t],
                    y=[out0 + c],
                    mode="markers",
                    name=f"first spike of output {name}",
                    hovertemplate=f"output {name}: first spike %{{x:.3f}}<extra></extra>",
                    marker=dict(
                        symbol="diamond",
                        size=14,
                        color=style.neuron_color(c),
                        line=dict(width=1, color="rgba(0,0,0,0.6)"),
                    ),
                )
            )
    layout = dict(
        xaxis=dict(title=dict(text="time"), range=[0, t_max]),
        yaxis=dict(tickvals=ticks, ticktext=ticktext, autorange="reversed", showgrid=False),
    )
    layout = style.merged(
        style.finish_plain(layout, height),
        dict(showlegend=False, margin=dict(l=90, r=10, t=20, b=45)),
    )
    return plain_figure(data, layout)
