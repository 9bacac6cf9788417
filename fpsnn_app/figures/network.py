"""A network's activity: raster linked to membrane traces, and the causal graph of spikes.

The causal graph (docs/model.md#the-implicit-equations) has one node per spike, drawn
at (time, neuron), and
an edge ``s -> k`` wherever ``Phi_k`` depends on ``f_s`` (``L[k, s] != 0``, ``s`` earlier).
Edges are coloured and dashed by the sign of the direct influence
``d f_k / d f_s = -L[k, s] / L[k, k]`` (blue solid: a later ``f_s`` makes ``f_k`` later;
orange dashed: it makes ``f_k`` earlier) and their width grows with its magnitude. Time flows
left to right, so every edge points rightwards.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import fpsnn_core as fp

from .. import style
from ..limits import MAX_EDGES_DRAWN, strongest
from .common import all_event_times, event_grid, spike_short_labels

#: At most this many membrane traces are drawn under the raster.
MAX_TRACES = 8
#: Up to this many neurons the raster has one trace per neuron; beyond, one for all.
ONE_TRACE_PER_NEURON = 16
#: Spikes of the causal graph are labelled (``n1.2``) up to this many; beyond, hover names them.
MAX_NODE_LABELS = 60
#: Radius in pixels of the ring around the selected spike; labels sit below it.
RING_RADIUS = 15
#: Box behind a node label: readable on the light and the dark background.
LABEL_BOX = "rgba(128, 128, 128, 0.30)"


def raster_traces_figure(net: fp.Network, sim: fp.Simulation, selected: int | None = None,
                         ancestors=()) -> go.Figure:
    """Raster of all spikes (top) over each neuron's ``V(t)``, sharing the time axis.

    Parameters
    ----------
    selected : int, optional
        Index of a spike (time order) to mark across all rows.
    ancestors : sequence of int
        Spikes to emphasise (the selected spike's causal past); others fade.
    """
    K, N = net.n_inputs, net.n_neurons
    shown = list(range(min(N, MAX_TRACES)))
    fig = make_subplots(rows=1 + len(shown), cols=1, shared_xaxes=True, vertical_spacing=0.02,
                        row_heights=[max(0.25, 0.05 * (K + N))] + [0.75 / len(shown)] * len(shown))
    _raster(fig, net, sim, selected, set(ancestors))
    t = event_grid(sim.t_max, all_event_times(sim), n=400)
    V = fp.potentials(net, sim, t, neurons=shown).V
    for r, i in enumerate(shown, start=2):
        th = float(net.theta[i])
        fig.add_trace(go.Scatter(x=t, y=V[:, r - 2], name=f"V n{i}", showlegend=False,
                                 line=dict(color=style.neuron_color(i), width=2),
                                 hovertemplate=f"n{i}" + ": V=%{y:.3f} at t=%{x:.3f}<extra></extra>"),
                      row=r, col=1)
        fig.add_trace(go.Scatter(x=[0, sim.t_max], y=[th, th], mode="lines", showlegend=False,
                                 line=dict(color=style.GREY, dash="dash", width=1.5),
                                 hoverinfo="skip"), row=r, col=1)
        fig.update_yaxes(title_text=f"V n{i}", row=r, col=1, title_font=dict(size=style.TICK_SIZE))
    if selected is not None and 0 <= selected < sim.n_spikes:
        fig.add_vline(x=float(sim.spike_times[selected]), line=dict(color=style.HIGHLIGHT, width=2))
    fig.update_xaxes(title_text="time t", row=1 + len(shown), col=1, range=[0, sim.t_max])
    return style.finish(fig, height=170 + _rows_height(K + N, 26) + 105 * len(shown))


def _rows_height(rows: int, px: int, full: int = 12) -> int:
    """Pixels for ``rows`` category rows: ``px`` each up to ``full`` rows, then 8 each."""
    return px * min(rows, full) + 8 * max(rows - full, 0)


def drawn_edges(graph: fp.CausalGraph, active=()) -> np.ndarray:
    """Indices of the edges the causal graph draws: all of them up to
    :data:`~fpsnn_app.limits.MAX_EDGES_DRAWN`, else those within the selection's causal
    past (``active``) first, then the strongest by ``|influence|``."""
    if graph.src.size <= MAX_EDGES_DRAWN:
        return np.arange(graph.src.size)
    active = np.zeros(0, bool) if not len(active) else np.isin(graph.src, list(active)) & \
        np.isin(graph.dst, list(active))
    keep = np.flatnonzero(active) if active.size else ()
    return strongest(graph.influence, MAX_EDGES_DRAWN, keep=keep)


def _raster(fig: go.Figure, net: fp.Network, sim: fp.Simulation, selected, ancestors: set) -> None:
    K, N = net.n_inputs, net.n_neurons
    rows = [f"in{j}" for j in range(K)] + [f"n{i}" for i in range(N)]
    for j, train in enumerate(sim.inputs):
        fig.add_trace(go.Scatter(x=np.asarray(train), y=[f"in{j}"] * len(train), mode="markers",
                                 showlegend=False, marker=dict(symbol="line-ns", size=16,
                                 line=dict(width=3, color=style.GREY)),
                                 hovertemplate=f"input {j}" + " at t=%{x:.3f}<extra></extra>"),
                      row=1, col=1)
    labels = spike_short_labels(sim)
    k = np.arange(sim.n_spikes)
    faded = selected is not None
    if N > ONE_TRACE_PER_NEURON:        # one trace for all: hundreds of traces are slow to build
        strong = np.array([not faded or s in ancestors or s == selected for s in k], dtype=bool)
        fig.add_trace(go.Scatter(
            x=sim.spike_times, y=np.array(rows)[K + sim.spike_neurons], mode="markers",
            showlegend=False, customdata=k, text=labels, name="spikes",
            marker=dict(symbol="line-ns", size=18, line=dict(width=4, color=[
                style.neuron_color(int(i)) for i in sim.spike_neurons]),
                opacity=np.where(strong, 1.0, 0.25)),
            hovertemplate="spike #%{customdata} (%{text}) at t=%{x:.4f}<extra></extra>"),
            row=1, col=1)
    for i in range(N if N <= ONE_TRACE_PER_NEURON else 0):
        idx = k[sim.spike_neurons == i]
        strong = np.array([not faded or s in ancestors or s == selected for s in idx], dtype=bool)
        fig.add_trace(go.Scatter(
            x=sim.spike_times[idx], y=[f"n{i}"] * idx.size, mode="markers", showlegend=False,
            customdata=idx, text=[labels[s] for s in idx], name=f"n{i}",
            marker=dict(symbol="line-ns", size=18, line=dict(width=4, color=style.neuron_color(i)),
                        opacity=np.where(strong, 1.0, 0.25).tolist()),
            hovertemplate="spike #%{customdata} (%{text}) at t=%{x:.4f}<extra></extra>"),
            row=1, col=1)
    if selected is not None and 0 <= selected < sim.n_spikes:
        fig.add_trace(go.Scatter(
            x=[sim.spike_times[selected]], y=[f"n{sim.spike_neurons[selected]}"], mode="markers",
            showlegend=False, hoverinfo="skip",
            marker=dict(symbol="circle-open", size=24, color=style.HIGHLIGHT, line=dict(width=3))),
            row=1, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=rows[::-1], row=1, col=1)


def causal_graph_figure(net: fp.Network, sim: fp.Simulation, graph: fp.CausalGraph,
                        selected: int | None = None, ancestors=(), height: int | None = None) -> go.Figure:
    """The causal graph of spikes (module docstring); the selected spike's past is emphasised.

    Edges between two spikes of one neuron (through its resets) are drawn as arcs above
    its row so that they do not hide each other.
    """
    N = net.n_neurons
    fig = go.Figure()
    t, n = sim.spike_times, sim.spike_neurons
    active = set(ancestors) | ({selected} if selected is not None else set())
    keep = drawn_edges(graph, active)
    if keep.size < graph.src.size:      # too many to read: the strongest (and the selection's)
        graph = fp.CausalGraph(graph.src[keep], graph.dst[keep], graph.partial[keep],
                               graph.influence[keep])
    infl = np.asarray(graph.influence)
    scale = float(np.max(np.abs(infl))) if infl.size else 1.0
    bins = np.minimum(np.searchsorted(np.array([0.1, 0.3, 0.6]) * scale, np.abs(infl)), 3)
    on = np.array([s in active and d in active for s, d in zip(graph.src, graph.dst)], dtype=bool)
    span = float(t.max() - t.min()) if t.size > 1 else 1.0
    for positive in (True, False):
        for b in range(4):
            for strong in (True, False):
                sel = ((infl >= 0) == positive) & (bins == b)
                if selected is not None:
                    sel &= on if strong else ~on
                elif not strong:
                    continue
                if not sel.any():
                    continue
                xs, ys = _edge_paths(t, n, graph.src[sel], graph.dst[sel], span)
                fig.add_trace(go.Scatter(
                    x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                    opacity=0.9 if strong else 0.12,
                    line=dict(color=style.BLUE if positive else style.ORANGE, width=0.8 + 1.2 * b,
                              dash="solid" if positive else "dash")))
    _edge_hover(fig, sim, graph, span)
    _nodes(fig, sim, selected, active)
    _legend_entries(fig)
    pad = 0.05 * span + 0.05
    lo, hi = (float(t.min()) - pad, float(t.max()) + pad) if t.size else (0.0, sim.t_max)
    fig.update_yaxes(title_text="neuron", tickmode="array", tickvals=list(range(N)),
                     ticktext=[f"n{i}" for i in range(N)], range=[N - 0.5, -0.8], zeroline=False)
    fig.update_xaxes(title_text="spike time", range=[lo, hi], zeroline=False)
    return style.finish(fig, height or 200 + _rows_height(N, 80))


def _edge_paths(t, n, src, dst, span: float):
    """Polylines of edges: straight between neurons, arcs within one neuron."""
    xs, ys = [], []
    u = np.linspace(0.0, 1.0, 13)
    for s, d in zip(src, dst):
        if n[s] == n[d]:
            h = 0.12 + 0.3 * min(1.0, (t[d] - t[s]) / span)
            xs += (t[s] + u * (t[d] - t[s])).tolist() + [None]
            ys += (n[s] - h * np.sin(np.pi * u)).tolist() + [None]
        else:
            xs += [t[s], t[d], None]
            ys += [n[s], n[d], None]
    return xs, ys


def _edge_hover(fig: go.Figure, sim: fp.Simulation, graph: fp.CausalGraph, span: float) -> None:
    """Faint markers at edge midpoints carrying the partial derivative and influence."""
    if not graph.src.size:
        return
    t, n = sim.spike_times, sim.spike_neurons
    labels = spike_short_labels(sim)
    s, d = graph.src, graph.dst
    same = n[s] == n[d]
    lift = np.where(same, 0.12 + 0.3 * np.minimum(1.0, (t[d] - t[s]) / span), 0.0)
    fig.add_trace(go.Scatter(
        x=(t[s] + t[d]) / 2, y=(n[s] + n[d]) / 2 - lift, mode="markers", showlegend=False,
        marker=dict(size=6, color="rgba(128,128,128,0.35)"),
        text=[f"{labels[a]} → {labels[c]}" for a, c in zip(s, d)],
        customdata=np.stack([graph.partial, graph.influence], axis=-1),
        hovertemplate="%{text}<br>∂Φ_k/∂f_s = %{customdata[0]:.4g}<br>"
                      "direct influence ∂f_k/∂f_s = %{customdata[1]:.4g}<extra></extra>"))


def _nodes(fig: go.Figure, sim: fp.Simulation, selected, active: set) -> None:
    labels = spike_short_labels(sim)
    k = np.arange(sim.n_spikes)
    faded = selected is not None
    fill = [style.HIGHLIGHT if (faded and s in active) else "rgba(190,190,190,0.95)" for s in k]
    fig.add_trace(go.Scatter(
        x=sim.spike_times, y=sim.spike_neurons, mode="markers", showlegend=False,
        name="spikes", customdata=k, text=labels,
        marker=dict(size=17, color=fill, line=dict(width=1.5, color="#555555"),
                    opacity=[1.0 if (not faded or s in active) else 0.35 for s in k]),
        hovertemplate="spike #%{customdata} (%{text})<br>t=%{x:.4f}<extra>click to select</extra>"))
    if selected is not None and 0 <= selected < sim.n_spikes:
        fig.add_trace(go.Scatter(
            x=[sim.spike_times[selected]], y=[sim.spike_neurons[selected]], mode="markers",
            showlegend=False, hoverinfo="skip",
            marker=dict(symbol="circle-open", size=2 * RING_RADIUS, color=style.HIGHLIGHT,
                        line=dict(width=4))))
    if sim.n_spikes <= MAX_NODE_LABELS:
        # annotations lie above every trace, so edges and the selection ring never cover them;
        # a half-transparent grey box keeps them legible on either theme
        fig.update_layout(annotations=[dict(
            x=float(sim.spike_times[s]), y=int(sim.spike_neurons[s]), text=labels[s],
            showarrow=False, yshift=-(RING_RADIUS + 9), font=dict(size=style.TICK_SIZE),
            bgcolor=LABEL_BOX, borderpad=1) for s in k])


def _legend_entries(fig: go.Figure) -> None:
    for name, color, dash in (("∂f_k/∂f_s > 0: f_k moves with f_s", style.BLUE, "solid"),
                              ("∂f_k/∂f_s < 0: f_k moves against f_s", style.ORANGE, "dash")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name,
                                 line=dict(color=color, width=3, dash=dash)))
