"""Warm start: what the first visitors would otherwise wait for, computed once per server
process in a background thread (no Streamlit here but :func:`prepare_worker`'s import;
``app.py`` starts it).

- heavy imports (every page's scene module, hence SciPy, SymPy and Plotly's subplots; the
  table libraries of ``st.dataframe``), done by :func:`start` in the calling thread: two
  threads importing one package at once can see it half initialized;
- SymPy's symbolic derivation of the Derivation page (:func:`fpsnn_app.derivation.symbolic_kernel`);
- the scenes of the pages' default views, through the same shared cache the pages use
  (``call(fn, *args)`` is the app's cached call), so the first open of a page is a cache hit.

Every step is independent: one that fails is skipped (the page then computes it itself and
shows its own message).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

#: Modules imported first (the scene modules are imported by :func:`default_scenes`).
HEAVY_IMPORTS = (
    "numpy",
    "scipy.optimize",
    "sympy",
    "plotly.graph_objects",
    "plotly.subplots",
    "pandas",
    "pyarrow",
)


def default_network():
    """The shared network picker's default choice as the pages receive it:
    ``(network JSON, outputs)`` of the default motif, seed 0, default constants and inputs."""
    import fpsnn_core as fp

    from . import presets
    from .urlstate import format_times, parse_times

    net, wiring = presets.motif_network(presets.DEFAULT_MOTIF, 0)
    inputs = [parse_times(format_times(tr)) for tr in wiring.inputs]  # as the text fields give
    meta = {"outputs": list(wiring.outputs)}
    return fp.to_json(net, inputs, presets.T_MAX, meta=meta), tuple(wiring.outputs)


def default_scenes() -> list[tuple[Callable, tuple]]:
    """``(scene function, arguments)`` of the default view of the Home, Neuron, Derivation
    and Gradient check pages (the arguments the pages pass when nothing is set)."""
    from . import presets
    from .scenes import derivation, gradient_check, home, neuron
    from .urlstate import format_times, parse_times

    n = presets.NEURON
    net_json, outputs = default_network()
    weight = gradient_check.default_weight(net_json, outputs)
    cross_entropy = next(iter(gradient_check.LOSSES))
    return [
        (home.home_scene, (home.DEFAULT_W, home.DEFAULT_DW, home.FIGURE_HEIGHT)),
        (
            neuron.neuron_scene,
            (
                tuple(parse_times(format_times(tr)) for tr in n.inputs),
                tuple(n.weights),
                n.tau_s,
                n.tau_n,
                n.theta,
                n.t_max,
                neuron.FIGURE_HEIGHT,
            ),
        ),
        (
            neuron.shift_scene,
            (
                tuple(parse_times(format_times(tr)) for tr in n.inputs),
                tuple(n.weights),
                n.tau_s,
                n.tau_n,
                n.theta,
                n.t_max,
                neuron.DEFAULT_PARAM,
                neuron.DEFAULT_DELTA,
            ),
        ),
        (
            derivation.derivation_scene,
            (
                presets.TAU_S,
                presets.TAU_N,
                presets.THETA,
                derivation.DEFAULT_W,
                derivation.FIGURE_HEIGHT,
            ),
        ),
        (
            gradient_check.check_scene,
            (
                net_json,
                outputs,
                cross_entropy,
                0,
                (),
                gradient_check.DEFAULT_EPS,
                weight,
                "W",
                gradient_check.FIGURE_HEIGHT,
            ),
        ),
        (
            gradient_check.slice_scene,
            (net_json, outputs, cross_entropy, 0, (), weight, gradient_check.DEFAULT_SPAN, "W"),
        ),
    ]


def _step(failed: list, name: str, fn: Callable, *args) -> None:
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - the page reports it itself
        failed.append(f"{name}: {type(exc).__name__}: {exc}")


#: What a scene worker imports before its first scene (no table libraries: it draws none).
WORKER_IMPORTS = HEAVY_IMPORTS[:5]


def import_heavy(modules: tuple = HEAVY_IMPORTS) -> list[str]:
    """Import ``modules`` and every scene module; returns the failures, as text."""
    from .registry import PAGES

    failed: list[str] = []
    for module in (*modules, *(f"fpsnn_app.scenes.{p.name}" for p in PAGES)):
        _step(failed, module, importlib.import_module, module)
    return failed


def warm(call: Callable) -> list[str]:
    """SymPy's derivation and the default scenes (module docstring), after
    :func:`import_heavy`; returns the steps that failed, as text."""
    failed: list[str] = []

    def step(name: str, fn: Callable, *args) -> None:
        _step(failed, name, fn, *args)

    from .derivation import symbolic_kernel

    step("symbolic_kernel", symbolic_kernel)
    try:
        scenes = default_scenes()
    except Exception as exc:  # noqa: BLE001
        return [*failed, f"default_scenes: {type(exc).__name__}: {exc}"]
    for fn, args in scenes:
        step(fn.__name__, call, fn, *args)
    return failed


def prepare_worker() -> threading.Thread:
    """A scene worker's start (:class:`fpsnn_app.scene_worker.Workers`): the heavy imports
    before its first scene, and SymPy's derivation in a daemon thread (returned) while it
    serves, so neither the first view it computes nor the first derivation waits for them;
    and Streamlit, whose import makes its theme Plotly's default template, as in the server
    process (a figure carries the default template it was built under)."""
    import streamlit  # noqa: F401

    import_heavy(WORKER_IMPORTS)
    from .derivation import symbolic_kernel

    thread = threading.Thread(
        target=_step, args=([], "symbolic_kernel", symbolic_kernel), daemon=True
    )
    thread.start()
    return thread


def start(call: Callable) -> threading.Thread:
    """:func:`import_heavy` here, then :func:`warm` in a daemon thread (started; join it to
    wait)."""
    import_heavy()
    thread = threading.Thread(target=warm, args=(call,), name="fpsnn-warm-start", daemon=True)
    thread.start()
    return thread
