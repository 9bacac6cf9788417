"""One neuron on a shared time axis: inputs and output spikes, ``I``, contributions, ``V``.

Rows, top to bottom:

1. input spikes (up triangles for positive weights, down for negative) and output spikes;
2. the synaptic current ``I(t)``;
3. each input's contribution ``W[j] y_j(t)`` (feeding kernel times weight) and the reset
   term ``-theta sum_m exp(-b (t - m))``; their sum is ``V``;
4. the membrane potential ``V(t)`` with the threshold, and at each firing time ``f`` the
   implicit equation ``V(f) = theta`` marked with the tangent of slope ``V'(f-)``
   (``L_kk``, docs/model.md#the-implicit-equations); above :data:`MAX_MARKED` spikes only
   evenly spaced ones carry a label and a tangent.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import fpsnn_core as fp

from .. import style
from .common import (
    all_event_times,
    event_grid,
    line_shape,
    on,
    plain_figure,
    scatter,
    subplot_layout,
)

#: At most this many spikes are labelled ``f<m>`` and drawn with their tangent; every spike
#: keeps its marker and its hover text.
MAX_MARKED = 20


def neuron_figure(
    net: fp.Network, sim: fp.Simulation, neuron: int = 0, height: int = 760
) -> go.Figure:
    """The four-row figure of neuron ``neuron`` (module docstring), built as plain dicts
    (:func:`~fpsnn_app.figures.common.plain_figure`)."""
    K, i = net.n_inputs, int(neuron)
    t = event_grid(sim.t_max, all_event_times(sim))
    traces = fp.potentials(net, sim, t, neurons=[i])
    y = fp.feeding_kernels(net, sim, t, neurons=[i])[:, :, 0]  # (T, K+N)
    theta, b = float(net.theta[i]), float(net.b[i])
    layout = subplot_layout(
        4,
        1,
        (
            "input spikes (▲ W > 0, ▼ W < 0) and output spikes",
            "synaptic current I(t)",
            "contributions W<sub>j</sub> y<sub>j</sub>(t) and resets "
            "−θ Σ e<sup>−(t−m)/τ<sub>n</sub></sup>",
            "membrane potential V(t), threshold θ, slope V′(f⁻) at each spike",
        ),
        shared_xaxes=True,
        vertical_spacing=0.035,
        row_heights=_row_heights(K, height),
    )
    data = _spike_rows(layout, net, sim, i)
    data.append(
        on(
            2,
            scatter(
                t,
                traces.I[:, 0],
                name="I(t)",
                showlegend=False,
                line=dict(color=style.GREY, width=style.LINE_WIDTH),
                hovertemplate="t=%{x:.3f}<br>I=%{y:.3f}<extra></extra>",
            ),
        )
    )
    for j in range(net.n_sources):
        w = float(net.weights[j, i])
        if not net.mask[j, i] or w == 0 or (j < K and len(sim.inputs[j]) == 0):
            continue
        data.append(
            on(
                3,
                scatter(
                    t,
                    w * y[:, j],
                    name=f"in{j}: W={w:g}" if j < K else f"n{j - K}: W={w:g}",
                    line=dict(
                        color=style.neuron_color(j),
                        width=style.LINE_WIDTH,
                        dash=style.neuron_dash(j),
                    ),
                    hovertemplate=f"in{j}" + ": %{y:.3f}<extra></extra>",
                ),
            )
        )
    own = sim.spikes_of(i)
    if own.size:
        D = t[:, None] - own[None, :]
        reset = -theta * np.where(D > 0, np.exp(-b * np.where(D > 0, D, 0.0)), 0.0).sum(axis=1)
        data.append(
            on(
                3,
                scatter(
                    t,
                    reset,
                    name="resets",
                    line=dict(color=style.GREY, width=style.LINE_WIDTH, dash="dot"),
                    hovertemplate="reset term: %{y:.3f}<extra></extra>",
                ),
            )
        )
    data += _potential_row(t, traces.V[:, 0], sim, i, theta)
    layout["xaxis4"].update(title=dict(text="time t"), range=[0, sim.t_max])
    layout["yaxis4"]["title"] = dict(text="V")
    layout["yaxis2"]["title"] = dict(text="I")
    return plain_figure(data, style.finish_plain(layout, height))


#: Shares of the four rows of :func:`neuron_figure` in a tall figure, and the pixels the top
#: row (the spikes) wants for each of its lines.
ROW_HEIGHTS, SPIKE_LINE_PX = (0.16, 0.18, 0.28, 0.38), 22


def _row_heights(n_inputs: int, height: int) -> tuple:
    """Row shares: the spike row gets :data:`SPIKE_LINE_PX` per line (the inputs and the
    output) also in a short figure, up to 0.3 of the plot; the others share the rest."""
    plot = max(height - 130, 100)  # margins, legend and the row gaps
    top = min(max(ROW_HEIGHTS[0], (n_inputs + 1) * SPIKE_LINE_PX / plot), 0.3)
    rest = (1.0 - top) / (1.0 - ROW_HEIGHTS[0])
    return (top, *(r * rest for r in ROW_HEIGHTS[1:]))


def _spike_rows(layout: dict, net: fp.Network, sim: fp.Simulation, i: int) -> list[dict]:
    K = net.n_inputs
    labels = [f"in{j}" for j in range(K)] + ["out"]
    data = []
    for j, train in enumerate(sim.inputs):
        w = float(net.weights[j, i])
        data.append(
            on(
                1,
                scatter(
                    np.asarray(train, dtype=float),
                    [labels[j]] * len(train),
                    mode="markers",
                    showlegend=False,
                    marker=dict(
                        symbol="triangle-up" if w >= 0 else "triangle-down",
                        size=14,
                        color=style.sign_color(w),
                        line=dict(width=1, color=style.GREY),
                    ),
                    name=f"in{j}",
                    hovertemplate=f"input {j} (W={w:g})" + " at t=%{x:.3f}<extra></extra>",
                ),
            )
        )
    own = sim.spikes_of(i)
    data.append(
        on(
            1,
            scatter(
                own,
                ["out"] * own.size,
                mode="markers",
                showlegend=False,
                name="output",
                marker=dict(symbol="line-ns", size=22, line=dict(width=4, color=style.HIGHLIGHT)),
                hovertemplate="output spike at t=%{x:.4f}<extra></extra>",
            ),
        )
    )
    # every row named, also in a short figure (Plotly thins crowded category labels)
    layout["yaxis"].update(
        categoryorder="array", categoryarray=labels[::-1], tickmode="array", tickvals=labels
    )
    return data


def _potential_row(t, V, sim: fp.Simulation, i: int, theta: float) -> list[dict]:
    data = [
        on(
            4,
            scatter(
                t,
                V,
                name="V(t)",
                showlegend=False,
                line=dict(color=style.BLUE, width=style.LINE_WIDTH + 0.5),
                hovertemplate="t=%{x:.3f}<br>V=%{y:.3f}<extra></extra>",
            ),
        ),
        on(
            4,
            scatter(
                [0, sim.t_max],
                [theta, theta],
                mode="lines",
                name="θ",
                showlegend=False,
                line=dict(color=style.GREY, dash="dash", width=2),
                hovertemplate=f"threshold θ={theta:g}<extra></extra>",
            ),
        ),
    ]
    idx = np.flatnonzero(sim.spike_neurons == i)
    f, slope = sim.spike_times[idx], sim.slopes[idx]
    marked = marked_spikes(f.size)
    half = 0.04 * sim.t_max * min(1.0, MAX_MARKED / max(f.size, 1))
    xs, ys = [], []
    for fk, sk in zip(f[marked].tolist(), slope[marked].tolist()):  # tangent V(f) + V'(f-) (t - f)
        xs += [fk - half, fk + 0.25 * half, None]
        ys += [theta - sk * half, theta + sk * 0.25 * half, None]
    data.append(
        on(
            4,
            scatter(
                xs,
                ys,
                mode="lines",
                name="slope V'(f-)",
                showlegend=False,
                line=dict(color=style.HIGHLIGHT, width=3),
                hoverinfo="skip",
            ),
        )
    )
    text = np.full(f.size, "", dtype=object)
    text[marked] = [f"f{m + 1}" for m in marked]
    marks = dict(
        mode="markers+text",
        showlegend=False,
        name="V(f)=θ",
        text=text.tolist(),
        textposition="top left",
        marker=dict(
            symbol="circle-open",
            size=13 if f.size <= MAX_MARKED else 7,
            line=dict(width=3 if f.size <= MAX_MARKED else 1.5),
            color=style.HIGHLIGHT,
        ),
        hovertemplate="spike f%{customdata[1]:.0f} at t=%{x:.4f}<br>V(f)=θ, "
        "slope V'(f-)=%{customdata[0]:.4f}<extra></extra>",
    )
    if f.size:
        marks["customdata"] = np.stack([slope, np.arange(1, f.size + 1)], axis=-1)
    data.append(on(4, scatter(f, np.full(f.size, theta), **marks)))
    return data


def marked_spikes(n: int) -> np.ndarray:
    """Indices of the spikes that get a label and a tangent: all of them up to
    :data:`MAX_MARKED`, else every ``ceil(n / MAX_MARKED)``-th from the first (a neuron
    firing 184 times would otherwise smear labels and tangents into one blob)."""
    return np.arange(0, n, max(1, -(-n // MAX_MARKED)))


def shift_figure(
    x: np.ndarray,
    grid: tuple,
    x0: float,
    f: np.ndarray,
    slope: np.ndarray,
    x1: float,
    predicted: np.ndarray,
    after: np.ndarray,
    name: str,
    t_max: float,
    height: int = 420,
) -> go.Figure:
    """Output spike times against one parameter ``p`` (named ``name``): the simulation at
    every ``x`` (grey dots), FP's tangent ``f_k + (p - x0) df_k/dp`` through each spike at
    the current value ``x0``, its prediction at ``x1`` (open circles) and the spikes
    simulated there (filled diamonds).

    Parameters
    ----------
    x : ndarray, shape (M,)
        Parameter values simulated; ``grid[m]`` the spike times at ``x[m]``.
    f, slope, predicted : ndarray, shape (S,)
        Spike times at ``x0``, ``df/dp`` there and ``f + (x1 - x0) df/dp``.
    after : ndarray
        Spike times simulated at ``x1``.
    """
    xs = np.concatenate([np.full(len(t), xm) for xm, t in zip(x, grid)] + [np.zeros(0)])
    ys = np.concatenate([np.asarray(t, float) for t in grid] + [np.zeros(0)])
    half = 0.5 * (x[-1] - x[0]) if x.size > 1 else 0.5
    lx, ly = [], []
    for fk, sk in zip(f[marked_spikes(f.size)].tolist(), slope[marked_spikes(f.size)].tolist()):
        lx += [x0 - half, x0 + half, None]  # tangent f_k + (p - x0) df_k/dp
        ly += [fk - sk * half, fk + sk * half, None]
    labels = [f"f{k + 1}" for k in range(f.size)]
    data = [
        scatter(
            xs,
            ys,
            mode="markers",
            name="simulated spikes along p",
            marker=dict(size=4, color=style.GREY),
            hovertemplate=f"{name}" + " = %{x:.4g}<br>spike at %{y:.4f}<extra></extra>",
        ),
        scatter(
            lx,
            ly,
            mode="lines",
            name="FP tangent (slope df/dp)",
            line=dict(color=style.ORANGE, width=2, dash="dash"),
            hoverinfo="skip",
        ),
        scatter(
            np.full(f.size, x0),
            f,
            mode="markers+text",
            name=f"now ({name} = {x0:.4g})",
            text=labels,
            textposition="middle left",
            marker=dict(size=11, color=style.HIGHLIGHT, line=dict(width=1.5, color="#555555")),
            customdata=slope,
            hovertemplate="%{text} at %{y:.4f}<br>df/dp = %{customdata:.5g}<extra></extra>",
        ),
        scatter(
            np.full(f.size, x1),
            predicted,
            mode="markers",
            name="FP: f + δ·df/dp",
            text=labels,
            marker=dict(symbol="circle-open", size=16, color=style.ORANGE, line=dict(width=3)),
            hovertemplate="%{text} predicted at %{y:.4f}<extra></extra>",
        ),
        scatter(
            np.full(after.size, x1),
            after,
            mode="markers",
            name=f"simulated at {x1:.4g}",
            marker=dict(symbol="diamond", size=9, color=style.BLUE),
            hovertemplate="simulated spike at %{y:.4f}<extra></extra>",
        ),
    ]
    layout = dict(
        xaxis=dict(
            title=dict(text=f"parameter {name}"),
            **({"range": [float(x[0]), float(x[-1])]} if x.size > 1 else {}),
        ),
        yaxis=dict(title=dict(text="output spike time f"), range=[0, t_max]),
        shapes=[
            line_shape(x1, x1, 0, 1, "x", "y domain", dict(color=style.GREY, width=1, dash="dot"))
        ],
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
    )
    return plain_figure(data, style.finish_plain(layout, height))
