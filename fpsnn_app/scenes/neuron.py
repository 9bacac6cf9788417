"""The Neuron page: one LIF neuron driven by ``K`` input channels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import fpsnn_core as fp

from ..figures.neuron import neuron_figure
from ..limits import simulate
from .common import Chart, Notice, grazing_notice, spikes_csv


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


def neuron_scene(inputs: tuple, weights: tuple, tau_s: float, tau_n: float, theta: float,
                 t_max: float) -> NeuronScene:
    """Simulate one neuron and build its figure, spike table and equations.

    Parameters
    ----------
    inputs : tuple of K tuples of float
        Input spike times per channel.
    weights : tuple of K floats
        ``W[j, 0]``.
    """
    net = single_neuron(weights, tau_s, tau_n, theta)
    sim = simulate(net, inputs, t_max)
    f = sim.spike_times
    V_left = fp.potentials(net, sim, f).V[:, 0] if f.size else np.zeros(0)
    y = fp.feeding_kernels(net, sim, f)[:, :, 0] if f.size else np.zeros((0, net.n_sources))
    rows = [{"spike": f"f{k + 1}", "time f": float(t), "V(f)": float(v), "slope V'(f-)": float(s)}
            for k, (t, v, s) in enumerate(zip(f, V_left, sim.slopes))]
    equations = tuple(_equation(net, sim, k, y[k]) for k in range(f.size))
    notices = grazing_notice(sim)
    if f.size == 0:
        notices += (Notice("warning", "The neuron stays below threshold θ: no output spike, so "
                           "there is no spike time to differentiate. Raise a weight, add input "
                           "spikes or lower θ."),)
    chart = Chart(neuron_figure(net, sim), alt=_alt(sim, theta), summary=_summary(sim, theta))
    return NeuronScene(chart, rows, equations, notices,
                       fp.to_json(net, sim.inputs, t_max, meta={"page": "neuron"}), spikes_csv(sim))


def _equation(net: fp.Network, sim: fp.Simulation, k: int, y_k: np.ndarray) -> str:
    """``V(f_k) = sum_j W_j y_j(f_k) - theta sum_m exp(-b (f_k - m)) = theta`` in numbers."""
    K, theta, b, f = net.n_inputs, float(net.theta[0]), float(net.b[0]), float(sim.spike_times[k])
    terms = [f"{net.weights[j, 0]:+.3g}\\cdot {y_k[j]:.4f}" for j in range(K)
             if net.weights[j, 0] != 0 and y_k[j] != 0]
    earlier = sim.spike_times[:k]
    reset = theta * float(np.exp(-b * (f - earlier)).sum())
    body = " ".join(terms) if terms else "0"
    n = f"f_{{{k + 1}}}"
    return ("\\begin{aligned}"
            f"V({n}) &= \\sum_j W_j\\,y_j({n}) - \\theta\\sum_{{m<{n}}} e^{{-({n}-m)/\\tau_n}}\\\\"
            f"&= {body} - {reset:.4f} = {theta:g} = \\theta\\\\"
            f"{n} &= {f:.5f},\\qquad V'({n}^-) = {sim.slopes[k]:.4f} = L_{{{k + 1}{k + 1}}}"
            "\\end{aligned}")


def _summary(sim: fp.Simulation, theta: float) -> str:
    if sim.n_spikes == 0:
        return f"No output spike before t_max = {sim.t_max:g}: V stays below θ = {theta:g}."
    times = ", ".join(f"{t:.3f}" for t in sim.spike_times[:6])
    more = " …" if sim.n_spikes > 6 else ""
    return (f"{sim.n_spikes} output spike(s) at t = {times}{more}; at each, V(f) = θ = {theta:g} and "
            f"the slope V'(f-) ranges from {sim.slopes.min():.3g} to {sim.slopes.max():.3g}.")


def _alt(sim: fp.Simulation, theta: float) -> str:
    return ("Four stacked plots over time for one neuron: input and output spikes, synaptic "
            "current, each input's contribution, and the membrane potential with threshold "
            f"{theta:g}; the neuron fires {sim.n_spikes} times.")
