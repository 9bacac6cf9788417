"""The Network page: activity of a small network and the causal graph of its spikes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np

import fpsnn_core as fp

from .. import netfiles
from ..figures.common import spike_short_labels
from ..figures.network import (
    MAX_CLIENT_NUMBERS,
    MAX_CLIENT_SPIKES,
    MAX_TRACES,
    causal_pasts,
    client_side_numbers,
    drawn_edges,
    network_figure,
    potentials_figure,
)
from ..limits import MAX_EDGES_DRAWN, simulate
from .common import Chart, Notice, grazing_notice, spikes_csv


@lru_cache(maxsize=8)
def simulate_file(net_json: str) -> tuple[fp.Network, fp.Simulation]:
    """Parse a network document (with inputs and ``t_max``) and simulate it; kept for the
    last few documents (a page run simulates the same one in several scenes; the results
    are read-only)."""
    loaded = netfiles.parse(net_json)
    if loaded.t_max is None:
        raise ValueError("the network file has no t_max")
    return loaded.network, simulate(loaded.network, netfiles.file_inputs(loaded), loaded.t_max)


def spike_options(net_json: str) -> tuple[str, ...]:
    """Labels ``"n<i>.<m>"`` (neuron ``i``'s ``m``-th spike) of every spike in time order:
    short and stable, as they appear in the URL of a spike selector."""
    _, sim = simulate_file(net_json)
    return tuple(spike_short_labels(sim))


@dataclass(frozen=True, eq=False)
class NetworkScene:
    """What the Network page draws; ``ancestors`` is the selected spike's causal past.
    With ``client_side`` the chart carries every spike's causal past and selects in the
    browser; otherwise a new selection is a new scene. ``potentials`` is the membrane
    potentials' chart when ``chart`` leaves them out (a figure fitted to a height)."""

    chart: Chart
    n_spikes: int
    n_edges: int
    ancestors: tuple
    counts: tuple
    notices: tuple
    spikes_csv: str
    edges_csv: Callable[[], str]  # built when downloaded (hundreds of thousands of rows)
    client_side: bool
    potentials: Chart | None = None


def client_pasts(sim: fp.Simulation, graph: fp.CausalGraph) -> list | None:
    """Every spike's causal past when the browser can hold them (at most
    ``MAX_CLIENT_SPIKES`` spikes, every edge drawn, frames within ``MAX_CLIENT_NUMBERS``
    numbers), else ``None``."""
    if not 0 < sim.n_spikes <= MAX_CLIENT_SPIKES or graph.src.size > MAX_EDGES_DRAWN:
        return None
    pasts = causal_pasts(graph, sim.n_spikes)
    return pasts if client_side_numbers(graph, sim, pasts) <= MAX_CLIENT_NUMBERS else None


def network_scene(net_json: str, selected: int = -1, height: int | None = None) -> NetworkScene:
    """Simulate, build the causal graph, and draw it over the raster and membrane traces
    with spike ``selected`` (-1: none) lit up. With ``height`` (pixels: presentation mode)
    the chart is the causal graph over the raster, fitted to that height, and the membrane
    traces are a chart of their own."""
    net, sim = simulate_file(net_json)
    graph = fp.causal_graph(net, sim)
    sel = selected if 0 <= selected < sim.n_spikes else None
    pasts = client_pasts(sim, graph)
    if sel is None:
        anc = ()
    elif pasts is not None:
        anc = tuple(pasts[sel].tolist())
    else:
        anc = tuple(int(a) for a in fp.causal_past(net, sim, [sel]) if a != sel)
    counts = tuple(int(c) for c in sim.spike_counts(net.n_neurons))
    notices = grazing_notice(sim)
    if sim.n_spikes == 0:
        notices += (
            Notice(
                "warning",
                "No neuron fires before t_max: the network is silent, so "
                "there are no spike times and no causal graph. Raise weights, add "
                "input spikes or lower θ.",
            ),
        )
    n_drawn = drawn_edges(graph, set(anc) | ({sel} if sel is not None else set())).size
    if n_drawn < graph.src.size:
        notices += (
            Notice(
                "info",
                f"The causal graph draws the {n_drawn:,} strongest of its "
                f"{graph.src.size:,} edges (by |direct influence|; the selected "
                "spike's causal past first): more could not be read. The edges CSV "
                "below lists them all.",
            ),
        )
    if net.n_neurons > MAX_TRACES:
        notices += (
            Notice(
                "info",
                f"Membrane traces are drawn for the first {MAX_TRACES} of "
                f"{net.n_neurons} neurons; the raster and graph show all.",
            ),
        )
    traces = MAX_TRACES if height is None else 0
    potentials = None
    if height is not None and sim.t_max > 0:
        shown = min(net.n_neurons, MAX_TRACES)
        potentials = Chart(
            potentials_figure(net, sim),
            alt=f"Membrane potential over time of {shown} neurons, each with its "
            "threshold as a dashed line.",
            summary="Membrane potentials V(t) (dashed: the threshold θ): a spike "
            "wherever V reaches θ, then V drops by θ.",
        )
    chart = Chart(
        network_figure(net, sim, graph, sel, anc, pasts, traces, height),
        alt=(
            f"Causal graph of {sim.n_spikes} spikes placed at their time and neuron, "
            f"with {graph.src.size} edges from each spike to the later spikes it "
            f"influences, above a spike raster of {net.n_inputs} inputs and "
            f"{net.n_neurons} neurons and each neuron's membrane potential over time, "
            "sharing the time axis."
        ),
        summary=_graph_summary(sim, graph, sel, anc) + " " + _raster_summary(sim, counts),
    )
    return NetworkScene(
        chart,
        sim.n_spikes,
        int(graph.src.size),
        anc,
        counts,
        notices,
        spikes_csv(sim),
        partial(_edges_csv, graph),
        pasts is not None,
        potentials,
    )


def _raster_summary(sim: fp.Simulation, counts: tuple) -> str:
    if sim.n_spikes == 0:
        return "No spikes: every membrane potential stays below its threshold."
    busiest = int(np.argmax(counts))
    silent = [f"n{i}" for i, c in enumerate(counts) if c == 0]
    return (
        f"{sim.n_spikes} spikes from {sum(c > 0 for c in counts)} of {len(counts)} neurons; "
        f"n{busiest} fires most ({counts[busiest]}×)"
        + (f"; silent: {', '.join(silent)}." if silent else ".")
    )


def _graph_summary(sim, graph, sel, anc) -> str:
    if sim.n_spikes == 0:
        return "No spikes, so no causal graph."
    text = (
        f"{graph.src.size} edges among {sim.n_spikes} spikes; time flows left to right, "
        "width ∝ |direct influence ∂f_k/∂f_s|, blue solid positive, orange dashed negative."
    )
    if sel is not None:
        text += (
            f" Selected spike #{sel} (n{sim.spike_neurons[sel]}, t = {sim.spike_times[sel]:.3f}) "
            f"depends on {len(anc)} earlier spike(s)."
        )
    return text


def _edges_csv(graph: fp.CausalGraph) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["src", "dst", "dphi_dst_dfsrc", "influence"])
    for row in zip(
        graph.src.tolist(), graph.dst.tolist(), graph.partial.tolist(), graph.influence.tolist()
    ):
        w.writerow([row[0], row[1], repr(row[2]), repr(row[3])])
    return out.getvalue()
