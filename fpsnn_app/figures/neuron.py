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
from plotly.subplots import make_subplots

import fpsnn_core as fp

from .. import style
from .common import all_event_times, event_grid

#: At most this many spikes are labelled ``f<m>`` and drawn with their tangent; every spike
#: keeps its marker and its hover text.
MAX_MARKED = 20


def neuron_figure(net: fp.Network, sim: fp.Simulation, neuron: int = 0, height: int = 760) -> go.Figure:
    """The four-row figure of neuron ``neuron`` (module docstring)."""
    K, i = net.n_inputs, int(neuron)
    t = event_grid(sim.t_max, all_event_times(sim))
    traces = fp.potentials(net, sim, t)
    y = fp.feeding_kernels(net, sim, t)[:, :, i]                        # (T, K+N)
    theta, b = float(net.theta[i]), float(net.b[i])
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.035,
                        row_heights=[0.16, 0.18, 0.28, 0.38],
                        subplot_titles=("input spikes (▲ W > 0, ▼ W < 0) and output spikes",
                                        "synaptic current I(t)",
                                        "contributions W<sub>j</sub> y<sub>j</sub>(t) and resets "
                                        "−θ Σ e<sup>−(t−m)/τ<sub>n</sub></sup>",
                                        "membrane potential V(t), threshold θ, slope V′(f⁻) at "
                                        "each spike"))
    _spike_rows(fig, net, sim, i)
    fig.add_trace(go.Scatter(x=t, y=traces.I[:, i], name="I(t)", showlegend=False,
                             line=dict(color=style.GREY, width=style.LINE_WIDTH),
                             hovertemplate="t=%{x:.3f}<br>I=%{y:.3f}<extra></extra>"), row=2, col=1)
    for j in range(net.n_sources):
        w = float(net.weights[j, i])
        if not net.mask[j, i] or w == 0 or (j < K and len(sim.inputs[j]) == 0):
            continue
        fig.add_trace(go.Scatter(
            x=t, y=w * y[:, j], name=f"in{j}: W={w:g}" if j < K else f"n{j - K}: W={w:g}",
            line=dict(color=style.neuron_color(j), width=style.LINE_WIDTH, dash=style.neuron_dash(j)),
            hovertemplate=f"in{j}" + ": %{y:.3f}<extra></extra>"), row=3, col=1)
    own = sim.spikes_of(i)
    if own.size:
        D = t[:, None] - own[None, :]
        reset = -theta * np.where(D > 0, np.exp(-b * np.where(D > 0, D, 0.0)), 0.0).sum(axis=1)
        fig.add_trace(go.Scatter(x=t, y=reset, name="resets", line=dict(
            color=style.GREY, width=style.LINE_WIDTH, dash="dot"),
            hovertemplate="reset term: %{y:.3f}<extra></extra>"), row=3, col=1)
    _potential_row(fig, t, traces.V[:, i], sim, i, theta)
    fig.update_xaxes(title_text="time t", row=4, col=1, range=[0, sim.t_max])
    fig.update_yaxes(title_text="V", row=4, col=1)
    fig.update_yaxes(title_text="I", row=2, col=1)
    return style.finish(fig, height)


def _spike_rows(fig: go.Figure, net: fp.Network, sim: fp.Simulation, i: int) -> None:
    K = net.n_inputs
    labels = [f"in{j}" for j in range(K)] + ["out"]
    for j, train in enumerate(sim.inputs):
        w = float(net.weights[j, i])
        fig.add_trace(go.Scatter(
            x=np.asarray(train), y=[labels[j]] * len(train), mode="markers", showlegend=False,
            marker=dict(symbol="triangle-up" if w >= 0 else "triangle-down", size=14,
                        color=style.sign_color(w), line=dict(width=1, color=style.GREY)),
            name=f"in{j}", hovertemplate=f"input {j} (W={w:g})" + " at t=%{x:.3f}<extra></extra>"),
            row=1, col=1)
    own = sim.spikes_of(i)
    fig.add_trace(go.Scatter(
        x=own, y=["out"] * own.size, mode="markers", showlegend=False, name="output",
        marker=dict(symbol="line-ns", size=22, line=dict(width=4, color=style.HIGHLIGHT)),
        hovertemplate="output spike at t=%{x:.4f}<extra></extra>"), row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], row=1, col=1)


def _potential_row(fig: go.Figure, t, V, sim: fp.Simulation, i: int, theta: float) -> None:
    fig.add_trace(go.Scatter(x=t, y=V, name="V(t)", showlegend=False,
                             line=dict(color=style.BLUE, width=style.LINE_WIDTH + 0.5),
                             hovertemplate="t=%{x:.3f}<br>V=%{y:.3f}<extra></extra>"), row=4, col=1)
    fig.add_trace(go.Scatter(x=[0, sim.t_max], y=[theta, theta], mode="lines", name="θ",
                             showlegend=False, line=dict(color=style.GREY, dash="dash", width=2),
                             hovertemplate=f"threshold θ={theta:g}<extra></extra>"), row=4, col=1)
    idx = np.flatnonzero(sim.spike_neurons == i)
    f, slope = sim.spike_times[idx], sim.slopes[idx]
    marked = marked_spikes(f.size)
    half = 0.04 * sim.t_max * min(1.0, MAX_MARKED / max(f.size, 1))
    xs, ys = [], []
    for fk, sk in zip(f[marked], slope[marked]):     # tangent V(f) + V'(f-) (t - f)
        xs += [fk - half, fk + 0.25 * half, None]
        ys += [theta - sk * half, theta + sk * 0.25 * half, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="slope V'(f-)", showlegend=False,
                             line=dict(color=style.HIGHLIGHT, width=3), hoverinfo="skip"),
                  row=4, col=1)
    text = np.full(f.size, "", dtype=object)
    text[marked] = [f"f{m + 1}" for m in marked]
    fig.add_trace(go.Scatter(
        x=f, y=np.full(f.size, theta), mode="markers+text", showlegend=False, name="V(f)=θ",
        text=text.tolist(), textposition="top left",
        marker=dict(symbol="circle-open", size=13 if f.size <= MAX_MARKED else 7,
                    line=dict(width=3 if f.size <= MAX_MARKED else 1.5), color=style.HIGHLIGHT),
        customdata=np.stack([slope, np.arange(1, f.size + 1)], axis=-1) if f.size else None,
        hovertemplate="spike f%{customdata[1]:.0f} at t=%{x:.4f}<br>V(f)=θ, "
                      "slope V'(f-)=%{customdata[0]:.4f}<extra></extra>"), row=4, col=1)


def marked_spikes(n: int) -> np.ndarray:
    """Indices of the spikes that get a label and a tangent: all of them up to
    :data:`MAX_MARKED`, else every ``ceil(n / MAX_MARKED)``-th from the first (a neuron
    firing 184 times would otherwise smear labels and tangents into one blob)."""
    return np.arange(0, n, max(1, -(-n // MAX_MARKED)))
