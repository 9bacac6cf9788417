"""Sensitivity: which parameter moves one spike, or the loss, most (exact, ranked)."""

import streamlit as st

from fpsnn_app import params, ui
from fpsnn_app.scenes.network import spike_options
from fpsnn_app.scenes.sensitivity import LOSS, sensitivity_scene
from fpsnn_app.ui import controls
from fpsnn_app.ui.network_picker import current_network

st.title("Sensitivity: what moves this spike most?")
ui.intro(
    "Every spike solves $\\Phi_k(F, p) = V_{i_k}(f_k) - \\theta_{i_k} = 0$, so "
    "$L\\,dF/dp = -\\partial\\Phi/\\partial p$ for **any** parameter $p$ with the same $L$: the "
    "weights, every input spike time, each neuron's threshold $\\theta_i$ and time constants "
    "$\\tau_{s,i}$, $\\tau_{n,i}$. Choose a spike (or the loss) and see its exact derivative "
    "with respect to every parameter of the network, the largest first. A bar is the shift "
    "per unit of its parameter: units differ (a weight, a time, a potential)."
)

choice = ui.require(current_network())
spikes = ui.require(ui.compute(spike_options, choice.json))
c = st.columns([2, 2, 5])
target = controls.choice(
    c[0],
    "Derivative of",
    [LOSS, *spikes],
    LOSS,
    key="sensitivity.target",
    format_func=lambda s: "the loss" if s == LOSS else f"spike {s}",
    what="Derivative of",
    help="The loss (first-spike cross entropy) or one spike time; n1.2 is neuron 1's second spike.",
)
label = 0
if target == LOSS:
    label = controls.output_class(c[1], "Correct class", choice.outputs, key="sensitivity.label")
kinds = controls.subset(
    c[2],
    "Parameters",
    list(params.KINDS),
    list(params.KINDS),
    key="sensitivity.kinds",
    format_func=params.SHORT.get,
    what="Parameters",
    help="Weights, input spike times, thresholds θ and time constants τ_s, τ_n of every neuron.",
)
if not kinds:
    st.info("Choose at least one kind of parameter.")
    st.stop()

scene = ui.require(
    ui.compute(sensitivity_scene, choice.json, choice.outputs, target, label, tuple(kinds))
)
ui.notices(scene.notices)
ui.chart(scene.chart, key="sensitivity.chart")
m = st.columns(3)  # below the chart: the chart, its axis title too, on the first screen
m[0].metric("Largest derivative", scene.largest)
m[1].metric("Parameters", scene.n_params)
m[2].metric("Non-zero derivatives", scene.n_nonzero)
with st.expander(f"Every parameter, ranked ({scene.n_params})", icon=":material/table:"):
    st.dataframe(scene.table, hide_index=True, width="stretch", height=320)
ui.downloads(
    "sensitivity",
    network_json=choice.json,
    csv={"derivatives": scene.csv},
    figures={"sensitivity": scene.chart},
)
