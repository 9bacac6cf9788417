"""Types shared by the scenes, and the CSV/JSON text of downloads."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import plotly.graph_objects as go

import fpsnn_core as fp


@dataclass(frozen=True, eq=False)
class Chart:
    """A figure with its ``alt`` text (screen readers) and a one-line summary (shown beside)."""

    fig: go.Figure
    alt: str
    summary: str


@dataclass(frozen=True)
class Notice:
    """A message for the page: ``level`` is ``"warning"`` or ``"info"``."""

    level: str
    text: str


def spikes_csv(sim: fp.Simulation) -> str:
    """CSV of every spike: index (time order), neuron, time and slope ``V'(f-)``."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["k", "neuron", "time", "slope"])
    for k, (i, t, s) in enumerate(zip(sim.spike_neurons.tolist(), sim.spike_times.tolist(),
                                      sim.slopes.tolist())):
        w.writerow([k, i, repr(t), repr(s)])
    return out.getvalue()


def grazing_notice(sim: fp.Simulation) -> tuple[Notice, ...]:
    """A warning naming the first grazing spike, if any."""
    if sim.grazing.size == 0:
        return ()
    k = int(sim.grazing[0])
    return (Notice("warning",
                   f"Spike #{k} (neuron {sim.spike_neurons[k]}, t = {sim.spike_times[k]:.4g}) only "
                   f"grazes the threshold (slope {sim.slopes[k]:.2g}): its time is exact, but its "
                   "derivative is singular there. Nudge a weight to move off the tangency."),)
