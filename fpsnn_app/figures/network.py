"""A network's activity in one figure: the causal graph of spikes above the raster and each
neuron's membrane potential, on one time axis.

The causal graph (docs/model.md#the-implicit-equations) has one node per spike, drawn
at (time, neuron), and
an edge ``s -> k`` wherever ``Phi_k`` depends on ``f_s`` (``L[k, s] != 0``, ``s`` earlier).
Edges are coloured and dashed by the sign of the direct influence
``d f_k / d f_s = -L[k, s] / L[k, k]`` (blue solid: a later ``f_s`` makes ``f_k`` later;
orange dashed: it makes ``f_k`` earlier) and their width grows with its magnitude. Time flows
left to right, so every edge points rightwards.

A selected spike lights up its causal past (its ancestors, and the edges into them) in the
graph and in the raster; everything else fades. Given every spike's causal past
(:func:`causal_pasts`), the figure carries one animation frame per spike with only the
highlight traces, and a Plotly slider steps through them in the browser.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

import fpsnn_core as fp

from .. import style
from ..limits import MAX_EDGES_DRAWN, strongest
from .common import all_event_times, event_grid, quick_figure_class, spike_short_labels
from .frames import ROOM, slider, with_slider

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
#: The browser-side selection is offered up to this many spikes and this many numbers in
#: all its frames together (coordinates of the lit nodes and edges, 20-35 bytes of JSON
#: each: about 1.5 MB at most); beyond, the page selects on the server.
MAX_CLIENT_SPIKES = 400
MAX_CLIENT_NUMBERS = 50_000
#: Opacity of what lies outside the selection's causal past (edges, nodes, raster marks).
FADED = {"edges": 0.12, "nodes": 0.35, "raster": 0.25}
_EDGE_BINS = np.array([0.1, 0.3, 0.6])  # |influence| / max: four widths
_ARC = np.linspace(0.0, 1.0, 13)
_NODE_COLOR = "rgba(190,190,190,0.95)"


def drawn_edges(graph: fp.CausalGraph, active=()) -> np.ndarray:
    """Indices of the edges the causal graph draws: all of them up to
    :data:`~fpsnn_app.limits.MAX_EDGES_DRAWN`, else those within the selection's causal
    past (``active``) first, then the strongest by ``|influence|``."""
    if graph.src.size <= MAX_EDGES_DRAWN:
        return np.arange(graph.src.size)
    active = (
        np.zeros(0, bool)
        if not len(active)
        else np.isin(graph.src, list(active)) & np.isin(graph.dst, list(active))
    )
    keep = np.flatnonzero(active) if active.size else ()
    return strongest(graph.influence, MAX_EDGES_DRAWN, keep=keep)


def causal_pasts(graph: fp.CausalGraph, n_spikes: int) -> list[np.ndarray]:
    """The causal past of every spike (sorted indices of the spikes it depends on, directly
    or not, itself excluded): the ancestors in the graph, collected in time order since
    every edge points from an earlier spike (a lower index) to a later one."""
    if np.any(graph.src >= graph.dst):
        raise ValueError("graph: every edge must point from an earlier spike to a later one")
    past = np.zeros((n_spikes, n_spikes), dtype=bool)
    order = np.argsort(graph.dst, kind="stable")
    src = graph.src[order]
    starts = np.searchsorted(graph.dst[order], np.arange(n_spikes + 1))
    for k in range(n_spikes):
        s = src[starts[k] : starts[k + 1]]
        if s.size:
            past[k] = past[s].any(axis=0)
            past[k, s] = True
    return [np.flatnonzero(row) for row in past]


def client_side_numbers(graph: fp.CausalGraph, sim: fp.Simulation, pasts) -> int:
    """How many numbers the per-spike frames carry (nodes and edge polylines of each
    causal past, raster marks): compared with :data:`MAX_CLIENT_NUMBERS`."""
    n = sim.spike_neurons
    points = np.where(n[graph.src] == n[graph.dst], _ARC.size + 1, 3)
    into = np.bincount(graph.dst, weights=points, minlength=sim.n_spikes)
    return int(sum(5 * (p.size + 1) + 2 * into[p].sum() + 2 * into[k] for k, p in enumerate(pasts)))


def _rows_height(rows: int, px: int, full: int = 12) -> int:
    """Pixels for ``rows`` category rows: ``px`` each up to ``full`` rows, then 8 each."""
    return px * min(rows, full) + 8 * max(rows - full, 0)


@lru_cache(maxsize=16)
def _grid(heights: tuple, spacing: float) -> dict:
    from plotly.subplots import make_subplots

    total = sum(heights)
    layout = make_subplots(
        rows=len(heights),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=spacing,
        row_heights=[h / total for h in heights],
    ).to_dict()["layout"]
    layout.pop("template", None)
    return layout


def _axes(row: int) -> dict:
    a = "" if row == 1 else str(row)
    return dict(xaxis=f"x{a}", yaxis=f"y{a}")


class _Edges:
    """The drawn edges of the causal graph as polylines (straight between neurons, arcs
    above the row within one neuron), grouped by sign and width bin."""

    def __init__(self, sim: fp.Simulation, graph: fp.CausalGraph):
        t, n = sim.spike_times, sim.spike_neurons
        self.t, self.n, self.graph = t, n, graph
        self.span = float(t.max() - t.min()) if t.size > 1 else 1.0
        infl = np.asarray(graph.influence)
        scale = float(np.max(np.abs(infl))) if infl.size else 1.0
        self.group = 2 * np.minimum(np.searchsorted(_EDGE_BINS * scale, np.abs(infl)), 3) + (
            infl < 0
        )

    def lift(self, src, dst) -> np.ndarray:
        """How far above its row an edge within one neuron arcs (0 between neurons)."""
        t, n = self.t, self.n
        return np.where(
            n[src] == n[dst], 0.12 + 0.3 * np.minimum(1.0, (t[dst] - t[src]) / self.span), 0.0
        )

    def paths(self, which) -> tuple[list, list]:
        xs, ys = [], []
        t, n, g = self.t, self.n, self.graph
        for s, d, h in zip(g.src[which], g.dst[which], self.lift(g.src[which], g.dst[which])):
            if h:
                xs += (t[s] + _ARC * (t[d] - t[s])).tolist() + [None]
                ys += (n[s] - h * np.sin(np.pi * _ARC)).tolist() + [None]
            else:
                xs += [float(t[s]), float(t[d]), None]
                ys += [int(n[s]), int(n[d]), None]
        return xs, ys

    def traces(self, which=None) -> list[dict]:
        """One trace per group (all eight, empty ones too: frames address them by index)."""
        which = np.ones(self.group.size, bool) if which is None else which
        out = []
        for grp in range(8):
            b, negative = divmod(grp, 2)
            xs, ys = self.paths(which & (self.group == grp))
            out.append(
                dict(
                    type="scatter",
                    x=xs,
                    y=ys,
                    mode="lines",
                    hoverinfo="skip",
                    showlegend=False,
                    line=dict(
                        color=style.ORANGE if negative else style.BLUE,
                        width=0.8 + 1.2 * b,
                        dash="dash" if negative else "solid",
                    ),
                )
            )
        return out


def _fit(heights: tuple, height: int | None) -> tuple:
    """The panels' ``heights`` scaled so that the figure (panels plus
    :data:`_OVERHEAD` pixels of slider, legend and axis title) is ``height`` tall;
    unchanged when ``height`` is ``None``."""
    if height is None:
        return heights
    scale = max(height - _OVERHEAD, 60) / sum(heights)
    return tuple(max(30, int(h * scale)) for h in heights)


_OVERHEAD = 150
#: Pixels of top margin a fitted figure gives to its panels (the slider's room is enough).
_TRIM = 30


def network_figure(
    net: fp.Network,
    sim: fp.Simulation,
    graph: fp.CausalGraph,
    selected: int | None = None,
    ancestors=(),
    pasts=None,
    max_traces: int = MAX_TRACES,
    height: int | None = None,
):
    """Causal graph (top), raster and membrane potentials ``V(t)`` of the first
    ``max_traces`` neurons, sharing the time axis; ``height`` (pixels) fits the whole
    figure into that height (presentation mode), else each panel takes what its rows need.

    Parameters
    ----------
    selected : int, optional
        Index of a spike (time order) whose causal past is lit up.
    ancestors : sequence of int
        That spike's causal past.
    pasts : list of ndarray, optional
        Every spike's causal past (:func:`causal_pasts`): the figure then carries a slider
        that selects any spike in the browser (starting at ``selected``).
    """
    K, N = net.n_inputs, net.n_neurons
    shown = list(range(min(N, max_traces)))
    fitted = height is not None
    if height is not None and pasts is not None and sim.n_spikes:
        height -= ROOM  # the slider's room is added above the plot
    if height is None:
        heights = (120 + _rows_height(N, 80), max(60, _rows_height(K + N, 26) + 20)) + (105,) * len(
            shown
        )
    else:  # fitted: the raster keeps more of its share
        heights = _fit(
            (40 + _rows_height(N, 40), max(60, _rows_height(K + N, 26) + 20)) + (105,) * len(shown),
            height + _TRIM,
        )
    height = sum(heights) + _OVERHEAD
    layout = style.merged(_grid(heights, round(36 / sum(heights), 4)), {})
    sel = selected if selected is not None and 0 <= selected < sim.n_spikes else None
    active = set(int(a) for a in ancestors) | ({sel} if sel is not None else set())
    keep = drawn_edges(graph, active)
    if keep.size < graph.src.size:  # too many to read: the strongest (and the selection's)
        graph = fp.CausalGraph(
            graph.src[keep], graph.dst[keep], graph.partial[keep], graph.influence[keep]
        )
    edges = _Edges(sim, graph)
    labels = spike_short_labels(sim)
    rows = [f"in{j}" for j in range(K)] + [f"n{i}" for i in range(N)]
    base = edges.traces()
    base += [_edge_hover(sim, graph, edges, labels), _nodes(sim, labels), *_legend_entries()]
    base += [dict(t, **_axes(2)) for t in _raster(net, sim, labels, rows)]
    base += _potentials(net, sim, shown)
    faded = {i: FADED["edges"] for i in range(8)}
    faded[9] = FADED["nodes"]
    faded.update({i: FADED["raster"] for i, t in enumerate(base) if t.get("name") == "spikes"})
    lit = _Highlight(sim, edges, labels, rows, first=len(base), faded=faded)
    data = base + lit.traces(sel, sorted(active - {sel}))
    for i, opacity in faded.items():
        data[i]["opacity"] = opacity if sel is not None else 1.0
    top = layout["yaxis2"]["domain"][1]
    layout.update(shapes=[lit.vline(sel, top)])
    if sim.n_spikes <= MAX_NODE_LABELS:
        # annotations lie above every trace, so edges and the selection ring never cover them;
        # a half-transparent grey box keeps them legible on either theme
        layout["annotations"] = [
            dict(
                x=float(sim.spike_times[s]),
                y=int(sim.spike_neurons[s]),
                xref="x",
                yref="y",
                text=labels[s],
                showarrow=False,
                yshift=-(RING_RADIUS + 9),
                font=dict(size=style.TICK_SIZE),
                bgcolor=LABEL_BOX,
                borderpad=1,
            )
            for s in range(sim.n_spikes)
        ]
    _axes_layout(layout, net, sim, rows, shown)
    layout = style.finish_plain(layout, height)
    if fitted:  # no blank band above the slider
        layout["margin"] = dict(layout["margin"], t=layout["margin"]["t"] - _TRIM)
        layout["height"] -= _TRIM
    doc = dict(data=data, layout=layout)
    if pasts is None or not sim.n_spikes:
        return quick_figure_class()(doc, _validate=False)
    return with_slider(doc, lit.frames(pasts, top), _slider(sim, labels, pasts, sel))


def _axes_layout(layout: dict, net, sim, rows, shown) -> None:
    N = net.n_neurons
    t = sim.spike_times
    layout["yaxis"].update(
        title=dict(text="neuron"),
        tickmode="array",
        tickvals=list(range(N)),
        ticktext=[f"n{i}" for i in range(N)],
        range=[N - 0.5, -0.8],
        zeroline=False,
    )
    layout["yaxis2"].update(type="category", categoryorder="array", categoryarray=rows[::-1])
    for r, i in enumerate(shown, start=3):
        layout[f"yaxis{r}"].update(title=dict(text=f"V n{i}", font=dict(size=style.TICK_SIZE)))
    pad = 0.05 * (float(t.max() - t.min()) if t.size > 1 else 1.0) + 0.05
    lo = min(0.0, float(t.min()) - pad) if t.size else 0.0
    last = f"xaxis{len(shown) + 2}"
    layout[last].update(title=dict(text="time t"), range=[lo, sim.t_max], zeroline=False)
    layout["xaxis"].update(zeroline=False)


def _edge_hover(sim: fp.Simulation, graph: fp.CausalGraph, edges: _Edges, labels) -> dict:
    """Faint markers at edge midpoints carrying the partial derivative and influence."""
    t, n = sim.spike_times, sim.spike_neurons
    s, d = graph.src, graph.dst
    return dict(
        type="scatter",
        x=(t[s] + t[d]) / 2,
        y=(n[s] + n[d]) / 2 - edges.lift(s, d),
        mode="markers",
        showlegend=False,
        marker=dict(size=6, color="rgba(128,128,128,0.35)"),
        text=[f"{labels[a]} → {labels[c]}" for a, c in zip(s, d)],
        customdata=np.stack([graph.partial, graph.influence], axis=-1),
        hovertemplate="%{text}<br>∂Φ_k/∂f_s = %{customdata[0]:.4g}<br>"
        "direct influence ∂f_k/∂f_s = %{customdata[1]:.4g}<extra></extra>",
    )


def _nodes(sim: fp.Simulation, labels) -> dict:
    return dict(
        type="scatter",
        x=sim.spike_times,
        y=sim.spike_neurons,
        mode="markers",
        showlegend=False,
        name="spikes",
        customdata=np.arange(sim.n_spikes),
        text=labels,
        marker=dict(size=17, color=_NODE_COLOR, line=dict(width=1.5, color="#555555")),
        hovertemplate="spike #%{customdata} (%{text})<br>t=%{x:.4f}<extra>click to select</extra>",
    )


def _legend_entries() -> list[dict]:
    return [
        dict(
            type="scatter",
            x=[None],
            y=[None],
            mode="lines",
            name=name,
            line=dict(color=color, width=3, dash=dash),
        )
        for name, color, dash in (
            ("∂f_k/∂f_s > 0: f_k moves with f_s", style.BLUE, "solid"),
            ("∂f_k/∂f_s < 0: f_k moves against f_s", style.ORANGE, "dash"),
        )
    ]


def _raster(net: fp.Network, sim: fp.Simulation, labels, rows) -> list[dict]:
    """Input spikes, then the neurons' spikes (one trace per neuron, or one for all)."""
    out = [
        dict(
            type="scatter",
            x=np.asarray(train),
            y=[f"in{j}"] * len(train),
            mode="markers",
            showlegend=False,
            marker=dict(symbol="line-ns", size=16, line=dict(width=3, color=style.GREY)),
            hovertemplate=f"input {j}" + " at t=%{x:.3f}<extra></extra>",
        )
        for j, train in enumerate(sim.inputs)
    ]
    k = np.arange(sim.n_spikes)
    N = net.n_neurons
    groups = [k[sim.spike_neurons == i] for i in range(N)] if N <= ONE_TRACE_PER_NEURON else [k]
    for idx in groups:
        neurons = sim.spike_neurons[idx]
        color = (
            [style.neuron_color(int(i)) for i in neurons]
            if len(groups) == 1 and N > 1
            else style.neuron_color(int(neurons[0]) if idx.size else 0)
        )
        out.append(
            dict(
                type="scatter",
                x=sim.spike_times[idx],
                y=np.array(rows, dtype=object)[net.n_inputs + neurons],
                mode="markers",
                showlegend=False,
                customdata=idx,
                text=[labels[s] for s in idx],
                name="spikes",
                marker=dict(symbol="line-ns", size=18, line=dict(width=4, color=color)),
                hovertemplate="spike #%{customdata} (%{text}) at t=%{x:.4f}<extra></extra>",
            )
        )
    return out


def potentials_figure(
    net: fp.Network, sim: fp.Simulation, max_traces: int = MAX_TRACES, height: int | None = None
):
    """The membrane potentials ``V(t)`` of the first ``max_traces`` neurons with their
    thresholds, one row each on a shared time axis: the lower panels of
    :func:`network_figure`, drawn apart when that figure leaves them out (presentation
    mode)."""
    shown = list(range(min(net.n_neurons, max_traces)))
    heights = _fit((105,) * len(shown), height)
    layout = style.merged(_grid(heights, round(36 / sum(heights), 4)), {})
    for r, i in enumerate(shown, start=1):
        layout["yaxis" + ("" if r == 1 else str(r))].update(
            title=dict(text=f"V n{i}", font=dict(size=style.TICK_SIZE))
        )
    last = "xaxis" + ("" if len(shown) == 1 else str(len(shown)))
    layout[last].update(title=dict(text="time t"), range=[0, sim.t_max], zeroline=False)
    data = _potentials(net, sim, shown, first_row=1)
    return quick_figure_class()(
        dict(data=data, layout=style.finish_plain(layout, sum(heights) + 90)), _validate=False
    )


def _potentials(net: fp.Network, sim: fp.Simulation, shown, first_row: int = 3) -> list[dict]:
    t = event_grid(sim.t_max, all_event_times(sim), n=400)
    V = fp.potentials(net, sim, t, neurons=shown).V
    out = []
    for r, i in enumerate(shown, start=first_row):
        th = float(net.theta[i])
        out.append(
            dict(
                type="scatter",
                x=t,
                y=V[:, r - first_row],
                name=f"V n{i}",
                showlegend=False,
                line=dict(color=style.neuron_color(i), width=2),
                hovertemplate=f"n{i}" + ": V=%{y:.3f} at t=%{x:.3f}<extra></extra>",
                **_axes(r),
            )
        )
        out.append(
            dict(
                type="scatter",
                x=[0, sim.t_max],
                y=[th, th],
                mode="lines",
                showlegend=False,
                line=dict(color=style.GREY, dash="dash", width=1.5),
                hoverinfo="skip",
                **_axes(r),
            )
        )
    return out


class _Highlight:
    """The traces that light up one selection, placed after the ``first`` base traces:
    the eight edge groups, the nodes, the ring in the graph, the raster marks and the ring
    in the raster; :meth:`frames` gives them for every spike."""

    def __init__(self, sim, edges: _Edges, labels, rows, first: int, faded: dict):
        self.sim, self.edges, self.labels, self.rows = sim, edges, labels, rows
        self.first, self.faded, self.n_inputs = first, faded, len(sim.inputs)

    def _content(self, sel, past) -> list[dict]:
        """The varying part of the highlight traces (x, y and raster colours)."""
        sim, g = self.sim, self.edges.graph
        idx = np.array(list(past) + ([sel] if sel is not None else []), dtype=int)
        member = np.zeros(sim.n_spikes, bool)
        member[idx] = True
        on = member[g.dst] if g.dst.size else np.zeros(0, bool)
        out = []
        for grp in range(8):
            xs, ys = self.edges.paths(on & (self.edges.group == grp))
            out.append(dict(x=xs, y=ys))
        t, n = sim.spike_times[idx], sim.spike_neurons[idx]
        ring = [] if sel is None else [sel]
        out.append(dict(x=t.tolist(), y=n.tolist()))
        out.append(dict(x=sim.spike_times[ring].tolist(), y=sim.spike_neurons[ring].tolist()))
        out.append(
            dict(
                x=t.tolist(),
                y=[self.rows[self.n_inputs + int(i)] for i in n],
                marker=dict(line=dict(color=[style.neuron_color(int(i)) for i in n])),
            )
        )
        out.append(
            dict(
                x=sim.spike_times[ring].tolist(),
                y=[self.rows[self.n_inputs + int(i)] for i in sim.spike_neurons[ring]],
            )
        )
        return out

    def traces(self, sel, past) -> list[dict]:
        """The highlight traces for spike ``sel`` (``None``: none) with causal past ``past``."""
        c = self._content(sel, past)
        ring = dict(symbol="circle-open", color=style.HIGHLIGHT)
        edges = self.edges.traces(np.zeros(self.edges.group.size, bool))
        for e, ce in zip(edges, c[:8]):
            e.update(ce, opacity=0.9)
        return edges + [
            dict(
                type="scatter",
                mode="markers",
                showlegend=False,
                hoverinfo="skip",
                **c[8],
                marker=dict(size=17, color=style.HIGHLIGHT, line=dict(width=1.5, color="#555555")),
            ),
            dict(
                type="scatter",
                mode="markers",
                showlegend=False,
                hoverinfo="skip",
                **c[9],
                marker=dict(ring, size=2 * RING_RADIUS, line=dict(width=4)),
            ),
            dict(
                type="scatter",
                mode="markers",
                showlegend=False,
                hoverinfo="skip",
                **_axes(2),
                **{k: v for k, v in c[10].items() if k != "marker"},
                marker=dict(
                    symbol="line-ns", size=18, line=dict(width=4, **c[10]["marker"]["line"])
                ),
            ),
            dict(
                type="scatter",
                mode="markers",
                showlegend=False,
                hoverinfo="skip",
                **_axes(2),
                **c[11],
                marker=dict(ring, size=24, line=dict(width=3)),
            ),
        ]

    def vline(self, sel, top: float) -> dict:
        """The selected spike's time across the raster and the membrane potentials (up to
        ``top``, in paper units)."""
        x = float(self.sim.spike_times[sel]) if sel is not None else 0.0
        return dict(
            type="line",
            xref="x",
            yref="paper",
            x0=x,
            x1=x,
            y0=0,
            y1=top,
            visible=sel is not None,
            line=dict(color=style.HIGHLIGHT, width=2),
        )

    def frames(self, pasts, top: float) -> list[dict]:
        """One frame per choice: ``"none"``, then spike ``k`` for each ``k``; each holds
        only the highlight traces, the opacity of the base traces that fade, and the line
        at the selected time."""
        out = []
        for k in [None, *range(self.sim.n_spikes)]:
            content = self._content(k, pasts[k] if k is not None else ())
            fade = [dict(opacity=o if k is not None else 1.0) for o in self.faded.values()]
            out.append(
                dict(
                    name=_frame_name(k),
                    data=fade + content,
                    traces=list(self.faded) + list(range(self.first, self.first + 12)),
                    layout=dict(shapes=[self.vline(k, top)]),
                )
            )
        return out


def _frame_name(k: int | None) -> str:
    return "none" if k is None else str(k)


def _slider(sim: fp.Simulation, labels, pasts, sel: int | None) -> dict:
    """A slider over "none" and every spike, each step named with its time and causal past."""
    names, texts = [_frame_name(None)], ["none"]
    for k, past in enumerate(pasts):
        m = len(past)
        names.append(_frame_name(k))
        texts.append(
            f"{labels[k]} (#{k}, t = {sim.spike_times[k]:.4f}): depends on {m} "
            f"earlier spike{'' if m == 1 else 's'}"
        )
    return slider(
        names, texts, 0 if sel is None else sel + 1, "Selected spike: ", tick_labels=False
    )
