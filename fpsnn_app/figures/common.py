"""Helpers shared by the figure builders: time grids and labels."""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np

import fpsnn_core as fp


def event_grid(t_max: float, events, n: int = 500) -> np.ndarray:
    """A time grid on ``[0, t_max]`` with every event time and the float just after it,
    so that jumps (of ``I`` at inputs, of ``V`` at resets) are drawn vertically.

    Parameters
    ----------
    events : array_like, shape (E,)
        Times of input and output spikes.
    """
    ev = np.asarray(events, dtype=float).reshape(-1)
    ev = ev[(ev >= 0) & (ev <= t_max)]
    return np.unique(np.concatenate([np.linspace(0.0, t_max, n), ev, np.nextafter(ev, np.inf)]))


def all_event_times(sim: fp.Simulation) -> np.ndarray:
    """Input and neuron spike times together, shape (E,)."""
    return np.concatenate([np.asarray(tr, float) for tr in sim.inputs] + [sim.spike_times])


def spike_short_labels(sim: fp.Simulation) -> list[str]:
    """``"n<i>.<m>"`` (neuron ``i``'s ``m``-th spike, from 1) for each spike in time order."""
    seen: dict[int, int] = {}
    out = []
    for i in sim.spike_neurons.tolist():
        seen[i] = seen.get(i, 0) + 1
        out.append(f"n{i}.{seen[i]}")
    return out


def source_label(j: int, n_inputs: int) -> str:
    """``"in j"`` for an input channel, ``"n i"`` for a neuron source."""
    return f"in{j}" if j < n_inputs else f"n{j - n_inputs}"


class QuickFigure:
    """Marker base of the figures :func:`plain_figure` builds."""


def _restore_quick(doc: dict):
    return quick_figure_class()(doc, _validate=False)


def quick_figure_class():
    """The :class:`plotly.graph_objects.Figure` subclass :func:`plain_figure` returns (built
    lazily so this module imports Plotly only when figures are made)."""
    global _QUICK
    if _QUICK is None:
        import plotly.graph_objects as go

        class _Quick(go.Figure, QuickFigure):
            """A figure that is not validated again when unpickled."""

            def __reduce__(self):
                return (_restore_quick, (self.to_dict(),))

        _QUICK = _Quick
    return _QUICK


_QUICK = None


def sendable(spec: dict):
    """A stand-in for a Plotly figure whose ``to_dict()`` is ``spec`` (a figure's JSON form,
    e.g. :meth:`fpsnn_app.scenes.common.Chart.spec`), for ``st.plotly_chart``: given a dict,
    it would validate the whole figure through Plotly's objects again; given a figure, it
    only calls ``to_dict()`` and sends Plotly's JSON of the result. Nothing else of the
    figure is usable."""
    global _SENDABLE
    if _SENDABLE is None:
        from plotly.basedatatypes import BaseFigure

        class _Sendable(BaseFigure):
            def __init__(self, spec: dict):  # no Plotly objects are built
                self._spec = spec

            def to_dict(self) -> dict:
                return self._spec

        _SENDABLE = _Sendable
    return _SENDABLE(spec)


_SENDABLE = None


def plain_figure(data: list, layout: dict):
    """A figure built from plain dicts (Plotly's JSON form), neither validated when built
    nor when unpickled: ``st.cache_data`` hands out copies by pickling, and unpickling a
    Plotly figure validates every property again (about 1.5 s for a dozen small heatmaps
    on a 2-core machine). Several times faster than ``graph_objects``; the builders that
    use it are checked by validating their output in the tests."""
    return _restore_quick(dict(data=data, layout=layout))


@lru_cache(maxsize=32)
def _subplot_layout(
    rows: int,
    cols: int,
    titles: tuple,
    shared_xaxes: bool,
    horizontal_spacing: float,
    vertical_spacing: float,
    row_heights: tuple | None,
) -> dict:
    from plotly.subplots import make_subplots

    layout = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles or None,
        shared_xaxes=shared_xaxes,
        horizontal_spacing=horizontal_spacing,
        vertical_spacing=vertical_spacing,
        row_heights=list(row_heights) if row_heights else None,
    ).to_dict()["layout"]
    layout.pop("template", None)
    return layout


def subplot_layout(
    rows: int,
    cols: int,
    titles=(),
    shared_xaxes: bool = False,
    horizontal_spacing: float = 0.2,
    vertical_spacing: float = 0.3,
    row_heights=None,
) -> dict:
    """The axes (``xaxis``, ``xaxis2``, ...; domains and anchors) and title annotations of
    Plotly's ``make_subplots`` grid as a fresh plain dict (computed once per grid). Subplot
    ``k`` (row-major, from 1) draws on axes ``x{k}``/``y{k}`` (``x``/``y`` for ``k = 1``):
    see :func:`on`."""
    return copy.deepcopy(
        _subplot_layout(
            rows,
            cols,
            tuple(titles),
            shared_xaxes,
            horizontal_spacing,
            vertical_spacing,
            tuple(row_heights) if row_heights else None,
        )
    )


def on(k: int, trace: dict) -> dict:
    """``trace`` placed on subplot ``k`` of a :func:`subplot_layout` grid (as
    ``add_trace(row=..., col=...)`` places it)."""
    suffix = "" if k == 1 else str(k)
    return {**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def scatter(x, y, **props) -> dict:
    """A plain ``scatter`` trace. NumPy arrays may stay in it: ``plotly.io.to_json`` sends
    them as Plotly's typed arrays (base64), as it does for ``graph_objects``."""
    return dict(type="scatter", x=x, y=y, **props)


def line_shape(x0, x1, y0, y1, xref: str, yref: str, line: dict) -> dict:
    """A ``line`` shape (what ``add_hline``/``add_vline`` add: ``xref="x domain"`` for a
    full-width line, ``yref="y domain"`` for a full-height one)."""
    return dict(line=line, type="line", x0=x0, x1=x1, xref=xref, y0=y0, y1=y1, yref=yref)
