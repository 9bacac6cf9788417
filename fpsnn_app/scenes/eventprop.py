"""The EventProp page: the same gradient by FP, the adjoint solve and EventProp.

:func:`eventprop_scene` (cached by the page) simulates the network, takes the loss's
``c = dLoss/dF`` and computes the three gradients, the adjoint traces on a grid and FP's
full ``dF/dW``; :func:`replay_charts` draws them with every step of the replay (sliders that move
in the browser), opening on one step. :func:`replay_scene` is the same from plain values,
for the page's cache: the scene takes a few milliseconds, its two figures most of a rerun.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

import fpsnn_core as fp
from fpsnn_core.eventprop import adjoint_traces, eventprop

from ..figures.common import all_event_times, event_grid, source_label, spike_short_labels
from ..figures.eventprop import adjoint_figure, sweep_figure
from .common import Chart, Notice, grazing_notice, spikes_csv
from .network import simulate_file

LOSSES = {"cross_entropy": "First-spike cross entropy", "sum_times": "Sum of all spike times"}
#: FP's dF/dW is drawn only up to this many entries (spikes x weights).
MAX_DRAWN_ENTRIES = 60_000
#: At most this many neurons get stacked panels of V and the adjoint traces.
MAX_NEURONS_DRAWN = 8
#: The replay sliders offer at most this many steps (every step of shorter runs).
MAX_REPLAY_STEPS = 61


@dataclass(frozen=True, eq=False)
class EventPropScene:
    """Everything the page shows, for every replay step.

    Attributes
    ----------
    n_spikes, n_params : int
    loss_value : float
    t, V, lambda_V, lambda_I : ndarray, (T,) and (T, N)
        Forward potential and adjoint traces on the grid ``t``.
    theta : ndarray, shape (N,)
    spike_times, spike_neurons, c, jumps : ndarray, shape (S,)
    labels : list of str            spike names ``n<i>.<m>``
    dF : ndarray (S, P) or None     FP's ``dF/dW`` over the parameters
    param_labels : list of str
    table : list of dict            gradient per weight by the three methods and differences
    max_rel_diff : dict             largest ``|difference| / max |gradient|`` per pair
    t_max : float
    notices : tuple of Notice
    spikes_csv, gradients_csv : str
    """

    n_spikes: int
    n_params: int
    loss_value: float
    t: np.ndarray
    V: np.ndarray
    lambda_V: np.ndarray
    lambda_I: np.ndarray
    theta: np.ndarray
    spike_times: np.ndarray
    spike_neurons: np.ndarray
    c: np.ndarray
    jumps: np.ndarray
    labels: list
    dF: np.ndarray | None
    param_labels: list
    table: list
    max_rel_diff: dict
    t_max: float
    notices: tuple
    spikes_csv: str
    gradients_csv: str


def loss_derivative(sim: fp.Simulation, loss: str, outputs: tuple, label: int) -> tuple:
    """``(value, c, notices)`` of the chosen loss (:data:`LOSSES`)."""
    if loss == "sum_times":
        return float(sim.spike_times.sum()), np.ones(sim.n_spikes), ()
    if loss != "cross_entropy":
        raise ValueError(f"unknown loss {loss!r}; known: {sorted(LOSSES)}")
    value = fp.first_spike_cross_entropy(sim, list(outputs), label, silent_time=sim.t_max)
    notes = ()
    if len(outputs) < 2:
        notes += (
            Notice(
                "info",
                "With a single output the cross entropy is constant (its only "
                "softmax entry is 1): every gradient is zero. Pick the sum of spike "
                "times, or a network with several outputs.",
            ),
        )
    if value.silent.size:
        notes += (
            Notice(
                "info",
                f"Output neuron(s) {value.silent.tolist()} did not fire: the loss "
                f"uses t_max = {sim.t_max:g} for them, and no gradient flows through a "
                "spike that does not exist.",
            ),
        )
    return value.value, value.dloss_dtimes, notes


@functools.lru_cache(maxsize=4)
def eventprop_scene(network_json: str, outputs: tuple, loss: str, label: int) -> EventPropScene:
    """Simulate, differentiate three ways and trace the adjoint (module docstring).

    Memoized (plain hashable arguments): :func:`replay_scene` reuses the page's scene
    instead of computing it a second time."""
    net, sim = simulate_file(network_json)
    t_max = float(sim.t_max)
    value, c, notices = loss_derivative(sim, loss, outputs, label)
    notices = grazing_notice(sim) + notices
    if sim.n_spikes == 0:
        notices += (
            Notice(
                "warning",
                "No neuron fires: there are no spike times, so the loss "
                "has no gradient to compute. Raise a weight or add input spikes.",
            ),
        )
    params = np.argwhere(net.mask)
    g_ep = np.array(eventprop(net, sim, c).gradient)
    g_adj = fp.adjoint_gradient(net, sim, c)
    if sim.n_spikes * len(params) <= MAX_DRAWN_ENTRIES:
        J = fp.spike_time_jacobian(net, sim) if sim.n_spikes else np.zeros((0,) + net.weights.shape)
        dF = J[:, params[:, 0], params[:, 1]]
        g_fp = np.tensordot(c, J, axes=1)
    else:
        dF = None
        g_fp = fp.fp_gradient(net, sim, c)
        notices += (
            Notice(
                "info",
                f"FP's full dF/dW has {sim.n_spikes} x {len(params)} entries: "
                "too many to draw; the table uses FP over the loss's spikes only.",
            ),
        )
    t = event_grid(t_max, all_event_times(sim))
    tr = adjoint_traces(net, sim, c, t)
    K = net.n_inputs
    names = [f"{source_label(j, K)}→n{i}" for j, i in params]
    table, csv_rows = _table(names, params, g_fp, g_adj, g_ep)
    scale = max(float(np.abs(g_fp).max()) if g_fp.size else 0.0, 1e-300)
    rel = {
        "EventProp − FP": float(np.abs(g_ep - g_fp).max() / scale),
        "EventProp − adjoint": float(np.abs(g_ep - g_adj).max() / scale),
        "adjoint − FP": float(np.abs(g_adj - g_fp).max() / scale),
    }
    return EventPropScene(
        sim.n_spikes,
        len(params),
        value,
        t,
        fp.potentials(net, sim, t).V,
        tr.lambda_V,
        tr.lambda_I,
        np.array(net.theta),
        sim.spike_times,
        sim.spike_neurons,
        c,
        np.array(tr.jump_sizes),
        spike_short_labels(sim),
        dF,
        names,
        table,
        rel,
        t_max,
        notices,
        spikes_csv(sim),
        csv_rows,
    )


def _table(names, params, g_fp, g_adj, g_ep) -> tuple[list, str]:
    rows, lines = [], ["weight,FP,adjoint,EventProp,EventProp-FP,EventProp-adjoint"]
    for name, (j, i) in zip(names, params):
        a, b, e = float(g_fp[j, i]), float(g_adj[j, i]), float(g_ep[j, i])
        rows.append(
            {
                "weight": name,
                "FP": a,
                "adjoint solve": b,
                "EventProp": e,
                "EventProp − FP": e - a,
                "EventProp − adjoint": e - b,
            }
        )
        lines.append(f"{name},{a!r},{b!r},{e!r},{e - a!r},{e - b!r}")
    rows.sort(key=lambda r: -abs(r["FP"]))
    return rows, "\n".join(lines) + "\n"


def replay_cursors(scene: EventPropScene, step: int) -> tuple[float, float]:
    """``(back, fwd)``: EventProp has processed ``t >= back``, FP the spikes ``t <= fwd``.

    Step ``s`` of ``0..S``: EventProp has taken the ``s`` latest spikes (and at ``s = S``
    swept on to ``t = 0``); FP has computed the rows of the ``s`` earliest.
    """
    S = scene.n_spikes
    step = int(np.clip(step, 0, S))
    if step == S:
        return 0.0, scene.t_max
    back = float(scene.spike_times[S - step]) if step else scene.t_max
    fwd = float(scene.spike_times[step - 1]) if step else 0.0
    return back, fwd


def replay_steps(n_spikes: int, step: int) -> list[int]:
    """The replay steps the sliders offer: every step ``0..S``, or for long runs
    :data:`MAX_REPLAY_STEPS` evenly spaced ones with ``0``, ``S`` and ``step``."""
    if n_spikes + 1 <= MAX_REPLAY_STEPS:
        return list(range(n_spikes + 1))
    even = np.rint(np.linspace(0, n_spikes, MAX_REPLAY_STEPS)).astype(int)
    return sorted(set(even.tolist()) | {int(step)})


def step_text(scene: EventPropScene, step: int) -> str:
    """What step ``step`` of the replay has done (Plotly's HTML subset)."""
    back, fwd = replay_cursors(scene, step)
    done = int(np.count_nonzero(scene.spike_times >= back))
    return (
        f"<b>Step {step} of {scene.n_spikes}</b>: EventProp has run back to t = {back:.3f},"
        f"<br>jumping λ_V at {done} spike(s); FP has the rows<br>of the {step} earliest "
        "spike(s)"
        + (f", up to t = {fwd:.3f}." if step < scene.n_spikes else ": both sweeps are complete.")
    )


def replay_charts(
    scene: EventPropScene, step: int, neurons, height: int | None = None
) -> tuple[Chart, Chart]:
    """The adjoint-trace figure and the sweep figure with the replay's sliders, opening on
    ``step`` (``0..S``); ``height`` (pixels, presentation mode) fits each into that height."""
    step = int(np.clip(step, 0, scene.n_spikes))
    steps = replay_steps(scene.n_spikes, step)
    active = steps.index(step)
    chosen = [int(i) for i in neurons]
    neurons = chosen[:MAX_NEURONS_DRAWN]  # more stacked panels could not be read
    views = [(s, *replay_cursors(scene, s), step_text(scene, s)) for s in steps]
    traces = adjoint_figure(
        scene.t,
        scene.V,
        scene.lambda_V,
        scene.lambda_I,
        scene.theta,
        scene.spike_times,
        scene.spike_neurons,
        scene.jumps,
        neurons,
        scene.t_max,
        views,
        active,
        fit=height,
    )
    who = ", ".join(f"n{i}" for i in neurons)
    thinned = (
        f" The slider offers {len(steps)} of the {scene.n_spikes + 1} steps."
        if len(steps) < scene.n_spikes + 1
        else ""
    )
    summary = (
        "Move the slider above the chart: EventProp runs back from t_max, jumping λ_V "
        "at each spike; FP runs forward. The slider runs in the browser; the link "
        "keeps only the step the charts open on."
        + thinned
        + (
            f" Drawn: the first {MAX_NEURONS_DRAWN} of the {len(chosen)} chosen neurons."
            if len(chosen) > MAX_NEURONS_DRAWN
            else ""
        )
    )
    alt = (
        f"Stacked plots over time for neurons {who}: each neuron's membrane potential with "
        "its threshold and spikes, and under it the adjoint traces lambda_V and lambda_I, "
        "drawn from the end of the simulation back to the EventProp cursor, with the jump "
        "of lambda_V marked at each processed spike; a slider sets the replay step."
    )
    sweep = sweep_figure(
        scene.labels, scene.c, scene.dF, scene.param_labels, scene.jumps, steps, active, fit=height
    )
    nz = int(np.count_nonzero(scene.jumps))
    sweep_summary = (
        f"Rows are spikes in time order. FP fills dF/dW (blue > 0, orange < 0) "
        f"from the first spike down; EventProp fills the jumps ε from the last up "
        f"({nz} of {scene.n_spikes} non-zero): ε solves Lᵀε = c, the adjoint of "
        "FP's triangular system. Its slider moves apart from the one on the left."
    )
    sweep_alt = (
        "Three aligned columns with one row per spike in time order: the loss "
        "derivative c, FP's matrix of spike-time derivatives filled from the top, and "
        "EventProp's jumps epsilon filled from the bottom, with a replay slider."
    )
    return Chart(traces, alt, summary), Chart(sweep, sweep_alt, sweep_summary)


def replay_scene(
    network_json: str,
    outputs: tuple,
    loss: str,
    label: int,
    step: int,
    neurons: tuple,
    height: int | None = None,
) -> tuple[Chart, Chart]:
    """:func:`replay_charts` of :func:`eventprop_scene` ``(network_json, outputs, loss,
    label)`` at replay ``step`` for ``neurons`` (fitted to ``height``): plain hashable
    arguments, so the page caches the figures and a plain rerun rebuilds nothing."""
    return replay_charts(eventprop_scene(network_json, outputs, loss, label), step, neurons, height)
