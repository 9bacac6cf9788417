"""Neuron: one LIF neuron, its inputs, current, potential and the implicit equation."""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.presets import NEURON
from fpsnn_app.scenes.neuron import (
    DEFAULT_DELTA,
    DEFAULT_PARAM,
    FIGURE_HEIGHT,
    SHIFT_SPAN,
    neuron_scene,
    parameter_names,
    shift_scene,
)
from fpsnn_app.ui import controls
from fpsnn_app.ui.present import figure_height

st.title("One neuron")
ui.intro(
    "Input spikes arrive through weights $W_j$; each adds a kernel $h$ to the potential "
    "($V = \\sum_j W_j y_j - \\theta\\sum_m e^{-(t-m)/\\tau_n}$). When $V$ reaches the threshold "
    "$\\theta$ the neuron fires at time $f$, defined implicitly by $V(f) = \\theta$; the slope "
    "$V'(f^-)$ there is what turns that equation into a derivative."
)

with st.sidebar:
    st.subheader("Neuron constants")
    tau_s = st.slider(
        "τ_s, synaptic time constant",
        0.1,
        3.0,
        NEURON.tau_s,
        0.05,
        key="neuron.tau_s",
        bind="query-params",
    )
    tau_n = st.slider(
        "τ_n, membrane time constant",
        0.1,
        3.0,
        NEURON.tau_n,
        0.05,
        key="neuron.tau_n",
        bind="query-params",
        help="τ_n = τ_s works too (the kernel's limit form).",
    )
    theta = st.slider(
        "θ, threshold", 0.1, 3.0, NEURON.theta, 0.05, key="neuron.theta", bind="query-params"
    )
    t_max = st.slider(
        "t_max, end of simulation",
        1.0,
        10.0,
        NEURON.t_max,
        0.5,
        key="neuron.t_max",
        bind="query-params",
    )

# The figure on the left, the inputs and weights beside it: the figure starts on the first
# screen (whole while presenting, at the presentation height).
figure_col, inputs_col = st.columns([3, 1])
inputs, weights = [], []
for j in range(len(NEURON.weights)):
    with inputs_col:
        inputs.append(
            ui.times_input(
                f"Input {j} spike times", NEURON.inputs[j], key=f"neuron.in{j}", t_max=t_max
            )
        )
        weights.append(
            st.slider(
                f"Weight W{j}",
                -8.0,
                8.0,
                NEURON.weights[j],
                0.1,
                key=f"neuron.w{j}",
                bind="query-params",
            )
        )


@st.fragment
def equation(equations: tuple) -> None:
    """The chosen spike's implicit equation: choosing reruns only this part of the page."""
    k = controls.choice(
        st,
        "Implicit equation of spike",
        range(len(equations)),
        0,
        key="neuron.k",
        what="Spike",
        format_func=lambda k: f"f{k + 1}",
    )
    st.latex(equations[k])


height = figure_height() or FIGURE_HEIGHT
with figure_col:
    scene = ui.require(
        ui.compute(neuron_scene, tuple(inputs), tuple(weights), tau_s, tau_n, theta, t_max, height)
    )
    ui.chart(scene.chart, key="neuron.figure")
ui.notices(scene.notices)
slopes = [row["slope V'(f-)"] for row in scene.spikes]
m = st.columns(3)
m[0].metric("Output spikes", len(scene.spikes))
m[1].metric("First spike f₁", f"{scene.spikes[0]['time f']:.4f}" if scene.spikes else "none")
m[2].metric("Smallest slope V'(f-)", f"{min(slopes):.3f}" if slopes else "n/a")

if scene.spikes:
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Output spikes** (each satisfies $V(f) = \\theta$)")
        st.dataframe(scene.spikes, hide_index=True, width="stretch")
    with right:
        equation(scene.equations)


@st.fragment
def shift(args: tuple) -> None:
    """One parameter moved by a step: FP's tangent beside the simulation. Choosing the
    parameter or the step reruns only this part of the page."""
    st.subheader("Move one parameter: FP's prediction beside the simulation")
    names = parameter_names(args[0], args[1], args[5])
    c = st.columns([1, 2])
    name = controls.choice(
        c[0],
        "Parameter p",
        names,
        DEFAULT_PARAM,
        key="neuron.param",
        what="Parameter",
        help="A weight, one input spike time (t_in[j][m]: input j's m-th "
        "spike, from 0), the threshold or a time constant.",
    )
    delta = c[1].slider(
        "Step δ",
        -SHIFT_SPAN,
        SHIFT_SPAN,
        DEFAULT_DELTA,
        0.01,
        key="neuron.delta",
        bind="query-params",
        help="FP predicts every output spike at f + δ·df/dp.",
    )
    moved = ui.compute(shift_scene, *args, name, delta)
    if moved is None:
        return
    ui.notices(moved.notices)
    if moved.chart is None:
        return
    ui.chart(moved.chart, key="neuron.shift")
    st.markdown(
        f"**{name}: {moved.value:.4g} → {moved.moved_to:.4g}** (δ = "
        f"{moved.moved_to - moved.value:+.4g}): each output spike, FP's derivative, its "
        "prediction and the simulation"
    )
    st.dataframe(
        moved.rows,
        hide_index=True,
        width="stretch",
        column_config={
            k: st.column_config.NumberColumn(format="%.6f")
            for k in ("time f", "df/dp (FP)", "FP: f + δ·df/dp", "simulated at p + δ")
        }
        | {"FP − simulated": st.column_config.NumberColumn(format="%.2e")},
    )


if scene.spikes:
    shift((tuple(inputs), tuple(weights), tau_s, tau_n, theta, t_max))
ui.downloads(
    "neuron",
    network_json=scene.network_json,
    spikes_csv=scene.spikes_csv,
    figures={"neuron": scene.chart},
)
