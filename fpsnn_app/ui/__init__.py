"""Streamlit helpers shared by the pages (the only part of ``fpsnn_app`` besides the pages
that imports Streamlit).

- :func:`compute` runs a scene function through the scene cache (:func:`cached_call`,
  shared by every session of the server, bounded in bytes) and turns errors into on-page messages (never a
  traceback); :func:`warm_start` fills that cache once per server process
  (:mod:`fpsnn_app.warm`);
- :func:`chart` draws a :class:`~fpsnn_app.scenes.common.Chart` with its ``alt`` text and
  its one-line summary; :func:`notices` shows a scene's warnings;
- :func:`downloads` offers the network JSON and NIR, spike CSV and figures as standalone
  HTML (plotly.js inlined, no CDN; built only when clicked); :func:`nir_button` is the
  "download as NIR" button of a network;
- :mod:`.network_picker` is the shared network sidebar of the network pages;
- :mod:`.present` is presentation mode; pages show their introduction with :func:`intro`
  (folded into an expander while presenting).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

import fpsnn_core as fp

from .. import style
from ..figures.common import sendable
from ..scene_cache import SCENES
from ..scenes.common import Chart, Notice
from .present import intro, presenting  # noqa: F401  (re-exported for the pages)

T = TypeVar("T")

#: Plotly's own toolbar: PNG export at twice the size (client-side, offline), no logo.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def compute(fn: Callable[..., T], *args) -> T | None:
    """``fn(*args)`` through :func:`cached_call`; on a known error show it and return ``None``.

    The page then calls ``st.stop()`` (see :func:`require`).
    """
    try:
        return cached_call(fn, *args)
    except Exception as exc:  # noqa: BLE001 - every error becomes a message
        report(exc)
        return None


def cached_call(fn: Callable[..., T], *args) -> T:
    """``fn(*args)`` through the server process's scene cache (keyed by the function and
    every argument, shared by the sessions, bounded in bytes: :mod:`fpsnn_app.scene_cache`;
    errors propagate)."""
    return SCENES.call(fn, *args)


@st.cache_resource(show_spinner=False, max_entries=1)
def warm_start():
    """Once per server process (the first session's run calls it; later calls return the
    same thread): the scene cache's worker processes (``FPSNN_SCENE_WORKERS``, started on
    first use) and :func:`fpsnn_app.warm.start`. Not under ``AppTest`` (a server never
    imports ``streamlit.testing``): a test warms explicitly, a background thread would
    compete with the tests' own runs, and scenes stay in the test's process (where it can
    patch them)."""
    import sys

    from .. import warm
    from ..scene_cache import Workers, workers_from_env

    if "streamlit.testing.v1" in sys.modules:
        return None
    n = workers_from_env()
    SCENES.use_workers(Workers(n, init="fpsnn_app.warm:prepare_worker") if n else None)
    return warm.start(cached_call)


def require(value: T | None) -> T:
    """Stop the page quietly when :func:`compute` failed (its message is already shown)."""
    if value is None:
        st.stop()
    return value


def report(exc: BaseException) -> None:
    """Show an exception as a clear message (never a traceback)."""
    if isinstance(exc, fp.RunawayFiringError):
        st.error(
            f"**Runaway firing.** {runaway_text(exc)}", icon=":material/local_fire_department:"
        )
    elif isinstance(exc, fp.GrazingSpikeError):
        st.warning(
            f"**Grazing spike: the gradient is singular here.** {exc}. "
            "Nudge a weight or an input time.",
            icon=":material/warning:",
        )
    elif isinstance(exc, fp.NoSpikeError):
        st.warning(f"**A needed neuron is silent.** {exc}", icon=":material/visibility_off:")
    elif isinstance(exc, fp.FiniteDifferenceError):
        st.warning(f"**Finite differences refused.** {exc}", icon=":material/block:")
    elif isinstance(exc, ValueError):
        st.error(f"**Invalid input.** {exc}", icon=":material/error:")
    else:
        st.error(
            f"**Unexpected error** ({type(exc).__name__}): {exc}", icon=":material/bug_report:"
        )


def runaway_text(exc: fp.RunawayFiringError) -> str:
    """The core's message in the app's words: the app has no ``max_spikes`` control, so
    name the budget as a number and the controls a user can change instead."""
    import re

    what = str(exc).split(" Lower the weights")[0].rstrip(".").removeprefix("runaway firing: ")
    what = re.sub(
        r"the spike budget max_spikes=(\d+) \(spikes of all neurons together\) was "
        r"reached",
        r"the app's limit of \1 spikes (all neurons together) was reached",
        what,
    )
    what = re.sub(
        r"the work budget max_work=(\d+) spike deliveries was reached",
        r"the app's work limit of \1 spike deliveries (each spike counts once per "
        r"neuron it reaches) was reached",
        what,
    )
    return (
        f"{what[:1].upper()}{what[1:]}. Lower the weights, raise the threshold θ or shorten t_max."
    )


def notices(items: tuple[Notice, ...]) -> None:
    """Show a scene's notices as ``st.warning`` / ``st.info``."""
    for n in items:
        (st.warning if n.level == "warning" else st.info)(n.text)


def chart(c: Chart, key: str, **kwargs):
    """Draw a chart (full width, ``alt`` text) with its summary as a caption below; while
    presenting, its text and lines are enlarged (:func:`fpsnn_app.style.for_projector`).

    Extra keyword arguments go to ``st.plotly_chart`` (e.g. ``on_select``).
    """
    spec = style.for_projector(c.spec()) if presenting() else c.spec()
    event = st.plotly_chart(
        sendable(spec), key=key, alt=c.alt, width="stretch", config=PLOTLY_CONFIG, **kwargs
    )
    st.caption(c.summary)
    return event


def figure_html(fig) -> Callable[[], str]:
    """A callable giving the standalone HTML of ``fig``, a figure or a
    :class:`~fpsnn_app.scenes.common.Chart` (plotly.js inlined, works offline; a chart's
    figure is rebuilt only then)."""

    def html() -> str:
        figure = fig.fig if isinstance(fig, Chart) else fig
        return style.standalone(figure).to_html(include_plotlyjs=True, full_html=True)

    return html


def downloads(
    stem: str,
    *,
    network_json: str | None = None,
    spikes_csv: str | None = None,
    csv: dict[str, str] | None = None,
    figures: dict | None = None,
) -> None:
    """A row of download buttons; files are named ``fpsnn-<stem>-<what>.<ext>``."""
    items = []
    if network_json is not None:
        items.append(
            ("Network (JSON)", network_json, f"fpsnn-{stem}-network.json", "application/json")
        )
        if (build := nir_builder(network_json)) is not None:
            items.append(("Network (NIR)", build, f"fpsnn-{stem}-network.nir", NIR_MIME))
    if spikes_csv is not None:
        items.append(("Spikes (CSV)", spikes_csv, f"fpsnn-{stem}-spikes.csv", "text/csv"))
    for name, text in (csv or {}).items():
        slug = "".join(c if c.isalnum() else "-" for c in name.lower())
        items.append((f"{name} (CSV)", text, f"fpsnn-{stem}-{slug}.csv", "text/csv"))
    for name, fig in (figures or {}).items():
        items.append(
            (f"Figure: {name} (HTML)", figure_html(fig), f"fpsnn-{stem}-{name}.html", "text/html")
        )
    # one wrapping row: each button as wide as its label (equal columns clipped the labels)
    row = st.container(horizontal=True, wrap=True, gap="small")
    for label, data, file_name, mime in items:
        row.download_button(
            label,
            data,
            file_name=file_name,
            mime=mime,
            on_click="ignore",
            icon=":material/download:",
            key=f"dl-{file_name}",
        )


NIR_MIME = "application/x-hdf5"


def nir_builder(network_json: str) -> Callable[[], bytes] | None:
    """A callable giving the ``.nir`` file of the network (built when clicked), or
    ``None`` when it cannot be exported (the optional ``nir`` package is missing, or the
    network has no inputs)."""
    from .. import netfiles

    if not netfiles.nir_available() or netfiles.parse(network_json).network.n_inputs < 1:
        return None
    return lambda: netfiles.nir_file(network_json)


def nir_button(
    network_json: str, file_name: str, label: str = "Network (NIR)", key: str | None = None
) -> None:
    """One "download as NIR" button (NIR: the exchange format of snnTorch, Norse, Lava, ...)."""
    build = nir_builder(network_json)
    if build is None:
        return
    st.download_button(
        label,
        build,
        file_name=file_name,
        mime=NIR_MIME,
        on_click="ignore",
        icon=":material/download:",
        key=key or f"dl-{file_name}",
        help="The network as an NIR graph (HDF5): Input -> Linear -> CubaLIF "
        "-> Output, times in the unit it states (ms by default), for "
        "snnTorch, Norse, Lava, Rockpool, ...; the input spike times, when "
        "set, ride along as NIR event data (the upload reads them back)",
    )


def times_input(label: str, default, key: str, t_max: float | None = None, **kwargs):
    """A text input of spike times bound to the URL
    (:func:`fpsnn_app.urlstate.parse_times`).

    One bad field never hides the page: text that does not parse is flagged under the
    field and the default times are used until it is fixed; times after ``t_max`` are left
    out with a note. Both depend on the link alone, so a link reproduces them.
    """
    from ..urlstate import format_times, parse_times

    text = st.text_input(
        label,
        format_times(default),
        key=key,
        bind="query-params",
        help="Spike times separated by commas, e.g. 0.2, 1.0",
        **kwargs,
    )
    try:
        times = parse_times(text)
    except ValueError as exc:
        times = tuple(sorted(default))
        st.error(
            f"{label}: {exc}. Using the default ({format_times(times) or 'none'}) "
            "until it is fixed."
        )
    if t_max is not None and any(t > t_max for t in times):
        times = tuple(t for t in times if t <= t_max)
        st.caption(f"{label}: spikes after t_max = {t_max:g} are left out.")
    return times
