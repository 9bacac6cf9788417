"""Types shared by the scenes, and the CSV/JSON text of downloads."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import plotly.graph_objects as go

import fpsnn_core as fp

from ..figures.common import quick_figure_class


@dataclass(frozen=True, eq=False)
class Chart:
    """A figure with its ``alt`` text (screen readers) and a one-line summary (shown beside)."""

    fig: go.Figure
    alt: str
    summary: str

    def __reduce__(self):
        # st.cache_data hands out copies by pickling; a plain Plotly figure validates every
        # property again when unpickled (about 0.1 s per chart on a 2-core machine, most of
        # a cached rerun). The copy is rebuilt from the figure's dict without validation
        # (as fpsnn_app.figures.common.plain_figure does): the same content as built.
        return (_restore_chart, (self.fig.to_dict(), self.alt, self.summary))


def _restore_chart(doc: dict, alt: str, summary: str) -> Chart:
    return Chart(quick_figure_class()(doc, _validate=False), alt, summary)


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
