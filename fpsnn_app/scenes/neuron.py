"""The Neuron page: one LIF neuron driven by ``K`` input channels."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import fpsnn_core as fp

from .. import params
from ..figures.neuron import neuron_figure, shift_figure
from ..limits import simulate
from .common import Chart, Notice, grazing_notice, spikes_csv

#: Height in pixels of the page's figure in normal mode.
FIGURE_HEIGHT = 680


@dataclass(frozen=True, eq=False)
class NeuronScene:
    """What the Neuron page draws.

    Attributes
    ----------
    chart : Chart
    spikes : list of dict
        One row per output spike: ``k``, ``f`` (time), ``V(f)`` (the left limit, =theta),
        ``V'(f-)`` (slope).
    equations : tuple of str
        LaTeX of the implicit equation ``V(f_k) = theta`` with the numbers, per spike.
    notices : tuple of Notice
    network_json, spikes_csv : str
        Texts of the downloads.
    """

    chart: Chart
    spikes: list
    equations: tuple
    notices: tuple
    network_json: str
    spikes_csv: str


def single_neuron(weights, tau_s: float, tau_n: float, theta: float) -> fp.Network:
    """A network of one neuron fed by ``K = len(weights)`` inputs (``W`` of shape (K+1, 1))."""
    W = np.append(np.asarray(weights, dtype=float), 0.0)[:, None]
    return fp.Network(W, len(weights), tau_s, tau_n, theta)


def neuron_scene(
    inputs: tuple,
    weights: tuple,
    tau_s: float,
    tau_n: float,
    theta: float,
    t_max: float,
    height: int = FIGURE_HEIGHT,
) -> NeuronScene:
    """Simulate one neuron and build its figure, spike table and equations.

    Parameters
    ----------
    inputs : tuple of K tuples of float
        Input spike times per channel.
    weights : tuple of K floats
        ``W[j, 0]``.
    height : int
        Of the figure, in pixels.
    """
    net = single_neuron(weights, tau_s, tau_n, theta)
    sim = simulate(net, inputs, t_max)
    f = sim.spike_times
    V_left = fp.potentials(net, sim, f).V[:, 0] if f.size else np.zeros(0)
    y = fp.feeding_kernels(net, sim, f)[:, :, 0] if f.size else np.zeros((0, net.n_sources))
    rows = [
        {"spike": f"f{k + 1}", "time f": float(t), "V(f)": float(v), "slope V'(f-)": float(s)}
        for k, (t, v, s) in enumerate(zip(f, V_left, sim.slopes))
    ]
    equations = tuple(_equation(net, sim, k, y[k]) for k in range(f.size))
    notices = grazing_notice(sim)
    if f.size == 0:
        notices += (
            Notice(
                "warning",
                "The neuron stays below threshold θ: no output spike, so "
                "there is no spike time to differentiate. Raise a weight, add input "
                "spikes or lower θ.",
            ),
        )
    chart = Chart(
        neuron_figure(net, sim, height=height), alt=_alt(sim, theta), summary=_summary(sim, theta)
    )
    return NeuronScene(
        chart,
        rows,
        equations,
        notices,
        fp.to_json(net, sim.inputs, t_max, meta={"page": "neuron"}),
        spikes_csv(sim),
    )


def _equation(net: fp.Network, sim: fp.Simulation, k: int, y_k: np.ndarray) -> str:
    """``V(f_k) = sum_j W_j y_j(f_k) - theta sum_m exp(-b (f_k - m)) = theta`` in numbers."""
    K, theta, b, f = net.n_inputs, float(net.theta[0]), float(net.b[0]), float(sim.spike_times[k])
    terms = [
        f"{net.weights[j, 0]:+.3g}\\cdot {y_k[j]:.4f}"
        for j in range(K)
        if net.weights[j, 0] != 0 and y_k[j] != 0
    ]
    earlier = sim.spike_times[:k]
    reset = theta * float(np.exp(-b * (f - earlier)).sum())
    body = " ".join(terms) if terms else "0"
    n = f"f_{{{k + 1}}}"
    return (
        "\\begin{aligned}"
        f"V({n}) &= \\sum_j W_j\\,y_j({n}) - \\theta\\sum_{{m<{n}}} e^{{-({n}-m)/\\tau_n}}\\\\"
        f"&= {body} - {reset:.4f} = {theta:g} = \\theta\\\\"
        f"{n} &= {f:.5f},\\qquad V'({n}^-) = {sim.slopes[k]:.4f} = L_{{{k + 1}{k + 1}}}"
        "\\end{aligned}"
    )


def _summary(sim: fp.Simulation, theta: float) -> str:
    if sim.n_spikes == 0:
        return f"No output spike before t_max = {sim.t_max:g}: V stays below θ = {theta:g}."
    times = ", ".join(f"{t:.3f}" for t in sim.spike_times[:6])
    more = " …" if sim.n_spikes > 6 else ""
    return (
        f"{sim.n_spikes} output spike(s) at t = {times}{more}; at each, V(f) = θ = {theta:g} and "
        f"the slope V'(f-) ranges from {sim.slopes.min():.3g} to {sim.slopes.max():.3g}."
    )


def _alt(sim: fp.Simulation, theta: float) -> str:
    return (
        "Four stacked plots over time for one neuron: input and output spikes, synaptic "
        "current, each input's contribution, and the membrane potential with threshold "
        f"{theta:g}; the neuron fires {sim.n_spikes} times."
    )


# --- one parameter moved: FP's prediction beside the simulation ---------------------------
#: Half-width of the parameter range drawn around the current value (the step's range).
SHIFT_SPAN = 0.5
#: The page's defaults: the moved parameter and the step.
DEFAULT_PARAM, DEFAULT_DELTA = "t_in[0][0]", 0.1
#: Number of parameter values simulated across that range.
SHIFT_POINTS = 101
#: Lowest threshold and time constant the view moves to (the page's sliders start at 0.1).
SHIFT_FLOOR = 0.05
#: The neuron's constants by their names on the page.
CONSTANTS = {"θ": "theta", "τ_s": "tau_s", "τ_n": "tau_n"}


@dataclass(frozen=True, eq=False)
class ShiftScene:
    """What the Neuron page draws for one moved parameter.

    Attributes
    ----------
    chart : Chart or None
        Spike times against the parameter (``None`` when the neuron is silent).
    rows : list of dict
        Per output spike ``f_k``: its time, ``df_k/dp`` by FP, the prediction
        ``f_k + delta df_k/dp`` and the simulated time at ``p + delta``.
    value, moved_to : float
        ``p`` and ``p + delta`` (``delta`` clipped to the parameter's range).
    notices : tuple of Notice
    """

    chart: Chart | None
    rows: list
    value: float
    moved_to: float
    notices: tuple


def parameter_names(inputs: tuple, weights: tuple, t_max: float) -> tuple[str, ...]:
    """The neuron's parameters as the page names them: ``W0``..., every input spike
    ``t_in[j][m]`` (those in ``[0, t_max]``, input ``j``'s ``m``-th from 0), ``θ``, ``τ_s``,
    ``τ_n``."""
    net = single_neuron(weights, 1.0, 1.0, 1.0)
    spikes = params.labels(net, params.simulated_inputs(net, inputs, t_max), "inputs")
    return (*(f"W{j}" for j in range(len(weights))), *spikes, *CONSTANTS)


def _parameter(net: fp.Network, sim: fp.Simulation, name: str) -> tuple[str, int]:
    """``(wrt, index)`` of the parameter named ``name`` (:func:`parameter_names`): for one
    neuron the mask's order of the weights is ``W[0, 0], ..., W[K-1, 0]``."""
    if name in CONSTANTS:
        return CONSTANTS[name], 0
    if name[:1] == "W" and name[1:].isdigit() and int(name[1:]) < net.n_inputs:
        return "W", int(name[1:])
    spikes = params.labels(net, sim.inputs, "inputs")
    if name in spikes:
        return "inputs", spikes.index(name)
    raise ValueError(f"the neuron has no parameter {name!r}")


def _range(sim: fp.Simulation, wrt: str) -> tuple[float, float]:
    lo, hi = params.domain(sim, wrt)
    return (max(lo, SHIFT_FLOOR), hi) if wrt in ("theta", "tau_s", "tau_n") else (lo, hi)


@lru_cache(maxsize=16)
def shift_grid(
    inputs: tuple, weights: tuple, tau_s: float, tau_n: float, theta: float, t_max: float, name: str
) -> tuple[np.ndarray, tuple]:
    """Values ``x`` of parameter ``name`` across ``p ± SHIFT_SPAN`` (within its range) and
    the output spike times simulated at each. Read-only."""
    net = single_neuron(weights, tau_s, tau_n, theta)
    sim = simulate(net, inputs, t_max)
    wrt, p = _parameter(net, sim, name)
    lo, hi = _range(sim, wrt)
    x0 = params.value(net, sim, wrt, p)
    x = np.unique(np.clip(x0 + np.linspace(-SHIFT_SPAN, SHIFT_SPAN, SHIFT_POINTS), lo, hi))
    times = []
    for xm in x:
        try:
            times.append(simulate(*params.moved(net, sim, wrt, p, xm), t_max).spike_times)
        except fp.RunawayFiringError:
            times.append(np.zeros(0))
    return x, tuple(times)


def shift_scene(
    inputs: tuple,
    weights: tuple,
    tau_s: float,
    tau_n: float,
    theta: float,
    t_max: float,
    name: str,
    delta: float,
) -> ShiftScene:
    """Move parameter ``name`` (:func:`parameter_names`) by ``delta``: FP predicts every
    output spike at ``f_k + delta df_k/dp`` (the tangent, ``df_k/dp`` from
    :func:`fpsnn_core.spike_time_jacobian`), beside the simulation at ``p + delta``."""
    net = single_neuron(weights, tau_s, tau_n, theta)
    sim = simulate(net, inputs, t_max)
    wrt, p = _parameter(net, sim, name)
    x0 = params.value(net, sim, wrt, p)
    lo, hi = _range(sim, wrt)
    x1 = float(np.clip(x0 + delta, lo, hi))
    notices = ()
    if x1 != x0 + delta:
        notices += (
            Notice("info", f"{name} stays in [{lo:g}, {hi:g}]: the step is cut to {x1 - x0:+.4g}."),
        )
    if sim.n_spikes == 0:
        return ShiftScene(
            None,
            [],
            x0,
            x1,
            notices
            + (Notice("info", "No output spike: there is no spike time for a parameter to move."),),
        )
    slope = params.flat(net, fp.spike_time_jacobian(net, sim, wrt=wrt), wrt)[:, p]
    predicted = sim.spike_times + (x1 - x0) * slope
    try:
        after = simulate(*params.moved(net, sim, wrt, p, x1), t_max).spike_times
    except fp.RunawayFiringError:
        after = np.zeros(0)
    if after.size != sim.n_spikes:
        notices += (
            Notice(
                "warning",
                f"At {name} = {x1:.4g} the neuron fires {after.size} "
                f"times instead of {sim.n_spikes}: a spike appears or vanishes within "
                "the step, where no derivative can predict it (FP's tangent holds "
                "on the smooth piece around the current value).",
            ),
        )
    same = after.size == sim.n_spikes  # else spike k at p + delta may be another one
    rows = [
        {
            "spike": f"f{k + 1}",
            "time f": float(f),
            "df/dp (FP)": float(d),
            "FP: f + δ·df/dp": float(q),
            "simulated at p + δ": float(after[k]) if same else None,
            "FP − simulated": float(q - after[k]) if same else None,
        }
        for k, (f, d, q) in enumerate(zip(sim.spike_times, slope, predicted))
    ]
    x, grid = shift_grid(inputs, weights, tau_s, tau_n, theta, t_max, name)
    fig = shift_figure(x, grid, x0, sim.spike_times, slope, x1, predicted, after, name, t_max)
    moved = ", ".join(f"f{k + 1} {d:+.3g}" for k, d in enumerate(slope[:6]))
    chart = Chart(
        fig,
        alt=(
            f"Output spike times against {name} from {x[0]:.3g} to {x[-1]:.3g}, "
            f"simulated, with FP's tangent at {name} = {x0:.4g} and its prediction "
            f"at {x1:.4g} beside the simulated spikes."
        ),
        summary=(
            f"df/d{name} per spike: {moved}{' …' if slope.size > 6 else ''}. "
            f"Moving {name} from {x0:.4g} to {x1:.4g}, FP's tangent predicts the "
            "open circles; the filled diamonds are the simulation."
        ),
    )
    return ShiftScene(chart, rows, x0, x1, notices)
