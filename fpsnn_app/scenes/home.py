"""The Home page's live picture: how FP's exact derivative predicts a spike's move (the
figure built as plain dicts, :func:`~fpsnn_app.figures.common.plain_figure`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import fpsnn_core as fp

from .. import style
from ..figures.common import all_event_times, event_grid, line_shape, plain_figure, scatter
from ..limits import simulate
from .common import Chart

INPUTS = ((0.3, 1.2), (0.8,))
OTHER_WEIGHT = 3.0
T_MAX = 3.0
#: The page's default weight ``w`` and step ``Δw``.
DEFAULT_W, DEFAULT_DW = 4.0, 0.2
#: Height in pixels of the picture in normal mode: whole on a 1280x720 first screen below
#: the page's title and introduction.
FIGURE_HEIGHT = 370


@dataclass(frozen=True, eq=False)
class HomeScene:
    chart: Chart
    f: float | None
    predicted: float | None
    actual: float | None


def _neuron(w: float) -> fp.Network:
    return fp.Network([[w], [OTHER_WEIGHT], [0.0]], 2, 0.5, 1.0, 1.0)


def home_scene(w: float, dw: float, height: int = FIGURE_HEIGHT) -> HomeScene:
    """Neuron with weight ``w`` on input 0; FP's prediction of the first spike at ``w + dw``;
    the picture ``height`` pixels tall."""
    net, net2 = _neuron(w), _neuron(w + dw)
    sim = simulate(net, INPUTS, T_MAX)
    sim2 = simulate(net2, INPUTS, T_MAX)
    t = event_grid(T_MAX, np.concatenate([all_event_times(sim), sim2.spike_times]), n=400)
    V, V2 = fp.potentials(net, sim, t).V[:, 0], fp.potentials(net2, sim2, t).V[:, 0]
    data = [
        scatter(
            t,
            V2,
            name=f"V(t) with w + Δw = {w + dw:.2f}",
            line=dict(color=style.GREY, width=2.5, dash="dash"),
        ),
        scatter(t, V, name=f"V(t) with w = {w:.2f}", line=dict(color=style.BLUE, width=3.5)),
    ]
    layout = dict(
        shapes=[
            line_shape(
                0, 1, 1.0, 1.0, "x domain", "y", dict(color=style.GREY, width=1.5, dash="dot")
            )
        ]
    )
    f = predicted = actual = None
    if sim.n_spikes:
        f = float(sim.spike_times[0])
        dfdw = float(fp.spike_time_jacobian(net, sim, [0])[0, 0, 0])
        predicted = f + dfdw * dw
        data.append(
            scatter(
                [f],
                [1.0],
                mode="markers",
                name=f"spike f = {f:.3f}",
                marker=dict(size=16, color=style.HIGHLIGHT, line=dict(width=2, color="#555")),
            )
        )
        data.append(
            scatter(
                [predicted],
                [1.0],
                mode="markers",
                name=f"FP: f + (df/dw) Δw = {predicted:.3f}",
                marker=dict(
                    size=18,
                    symbol="x-thin",
                    color=style.ORANGE,
                    line=dict(width=4, color=style.ORANGE),
                ),
            )
        )
        layout["annotations"] = [
            dict(
                x=predicted,
                y=1.0,
                ax=f,
                ay=1.0,
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                showarrow=True,
                arrowhead=3,
                arrowwidth=2,
                arrowcolor=style.ORANGE,
                text="",
            )
        ]
    if sim2.n_spikes:
        actual = float(sim2.spike_times[0])
        data.append(
            scatter(
                [actual],
                [1.0],
                mode="markers",
                name=f"simulated at w + Δw: {actual:.3f}",
                marker=dict(size=16, symbol="circle-open", color=style.GREY, line=dict(width=3)),
            )
        )
    layout["xaxis"] = dict(title=dict(text="time t"), range=[0, T_MAX])
    layout["yaxis"] = dict(title=dict(text="membrane potential V"), range=[-0.2, 1.5])
    fig = plain_figure(data, style.finish_plain(layout, height))
    if f is None:
        summary = "The neuron stays below threshold: raise w to make it fire."
    elif actual is None:
        summary = (
            f"At w + Δw the first spike vanishes: a jump no derivative can predict; FP's "
            f"tangent would have said {predicted:.3f}."
        )
    else:
        summary = (
            f"The first spike is at f = {f:.4f}. FP's exact derivative predicts "
            f"{predicted:.4f} at w + Δw; the simulation gives {actual:.4f} "
            f"(error {abs(actual - predicted):.1e}, second order in Δw)."
        )
    alt = (
        "Membrane potential of one neuron for two values of an input weight, with the spike "
        "time, FP's predicted spike time and the simulated one."
    )
    return HomeScene(Chart(fig, alt, summary), f, predicted, actual)
