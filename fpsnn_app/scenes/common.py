"""Types shared by the scenes, and the CSV/JSON text of downloads."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import plotly.graph_objects as go

import fpsnn_core as fp

from ..figures.common import quick_figure_class


class Chart:
    """A figure with its ``alt`` text (screen readers) and a one-line summary (shown beside).

    A chart holds its Plotly figure, its JSON text (what ``st.plotly_chart`` sends), or both:
    each is made from the other when first asked for. Pickled (``st.cache_data`` stores
    pickles and hands out copies by unpickling) it is only its JSON text, so a cache hit
    rebuilds no Plotly figure: :func:`fpsnn_app.ui.chart` sends the text as it is, and the
    figure is rebuilt (without validation, as :func:`fpsnn_app.figures.common.plain_figure`
    builds it) only when a page reads ``fig``, e.g. a download when clicked. Rebuilding
    every cached figure cost about 8 ms a chart at every rerun of a loaded server. The text
    is Plotly's JSON of ``fig.to_dict()``, the same bytes ``st.plotly_chart`` would make.
    Read-only, like the other scene values.
    """

    __slots__ = ("_fig", "_json", "alt", "summary")

    def __init__(self, fig: go.Figure | None, alt: str, summary: str, *, json: str | None = None):
        if fig is None and json is None:
            raise ValueError("a chart needs a figure or its JSON")
        for name, value in (("_fig", fig), ("_json", json), ("alt", alt), ("summary", summary)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("a Chart is read-only")

    @property
    def fig(self) -> go.Figure:
        """The Plotly figure (rebuilt from the JSON once, if the chart came from a cache)."""
        if self._fig is None:
            object.__setattr__(
                self, "_fig", quick_figure_class()(_json_loads(self._json), _validate=False)
            )
        return self._fig

    @property
    def json(self) -> str:
        """The figure's JSON text, as ``st.plotly_chart`` sends it."""
        if self._json is None:
            import plotly.io as pio

            object.__setattr__(self, "_json", pio.to_json(self._fig.to_dict(), validate=False))
        return self._json

    def spec(self) -> dict:
        """A fresh dict of the figure's JSON form (parsed from :attr:`json`)."""
        return _json_loads(self.json)

    def __reduce__(self):
        return (_restore_chart, (self.json, self.alt, self.summary))

    def __repr__(self) -> str:
        return f"Chart(alt={self.alt!r}, summary={self.summary!r})"


def _json_loads(text: str) -> dict:
    try:
        import orjson
    except ImportError:  # orjson is pinned for the app; json does the same
        import json

        return json.loads(text)
    return orjson.loads(text)


def _restore_chart(json: str, alt: str, summary: str) -> Chart:
    return Chart(None, alt, summary, json=json)


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
    for k, (i, t, s) in enumerate(
        zip(sim.spike_neurons.tolist(), sim.spike_times.tolist(), sim.slopes.tolist())
    ):
        w.writerow([k, i, repr(t), repr(s)])
    return out.getvalue()


def grazing_notice(sim: fp.Simulation) -> tuple[Notice, ...]:
    """A warning naming the first grazing spike, if any."""
    if sim.grazing.size == 0:
        return ()
    k = int(sim.grazing[0])
    return (
        Notice(
            "warning",
            f"Spike #{k} (neuron {sim.spike_neurons[k]}, t = {sim.spike_times[k]:.4g}) only "
            f"grazes the threshold (slope {sim.slopes[k]:.2g}): its time is exact, but its "
            "derivative is singular there. Nudge a weight to move off the tangency.",
        ),
    )
