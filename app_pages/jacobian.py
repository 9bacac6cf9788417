"""Jacobian: dPhi/dF becomes lower triangular in time order; FP replayed step by step.

The FP step is a slider inside the chart (it moves in the browser, without a rerun); the
link's ``jacobian.step`` only chooses the step the chart opens on."""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.scenes.jacobian import MAX_SPIKES_SHOWN, jacobian_scene, link_step
from fpsnn_app.scenes.network import spike_options
from fpsnn_app.ui.network_picker import current_network

st.title("The spike-time Jacobian")
ui.intro(
    "Each spike gives one equation $\\Phi_k(F, W) = V_{i_k}(f_k) - \\theta = 0$. Its Jacobian "
    "$\\partial\\Phi/\\partial F$ looks unstructured when spikes are grouped by neuron; sorted "
    "by time with a permutation $P$ it is **lower triangular**, $L = P\\,\\tfrac{\\partial\\Phi}"
    "{\\partial F}P^\\top$, because a spike depends only on earlier spikes. The implicit function "
    "theorem gives $L\\,\\tfrac{dF}{dW} = -\\tfrac{\\partial\\Phi}{\\partial W}$, which FP solves "
    "forward in time, one spike after another."
)

choice = ui.require(current_network())
labels = ui.require(ui.compute(spike_options, choice.json))
n = min(len(labels), MAX_SPIKES_SHOWN)
step, note = link_step(st.query_params.get("jacobian.step"), n, n // 2, "FP step")
scene = ui.require(ui.compute(jacobian_scene, choice.json, step))

m = st.columns(4)
m[0].metric("Spikes (equations)", scene.n_spikes)
m[1].metric("Non-zeros in L", scene.nnz)
m[2].metric("Above diagonal, by neuron", scene.above_neuron_major)
m[3].metric("Above diagonal, by time", scene.above_time_order)
ui.notices(scene.notices)

st.subheader("dΦ/dF by neuron, and L by time")
ui.chart(scene.matrices, key="jacobian.matrices")
st.subheader("Forward propagation, step by step")
if note:
    st.caption(f":material/sync: {note}")
if scene.fp_step is not None:
    ui.chart(scene.fp_step, key="jacobian.fp_step")
left, right = st.columns([2, 3])
with left:
    st.subheader("The permutation P")
    ui.chart(scene.permutation, key="jacobian.permutation")
with right:
    st.subheader("dΦ/dW")
    ui.chart(scene.dphi_dw, key="jacobian.dphi_dw")
ui.downloads(
    "jacobian",
    network_json=choice.json,
    csv={"dF/dW": scene.jacobian_csv} if scene.jacobian_csv else None,
    figures={"L": scene.matrices, "dPhi-dW": scene.dphi_dw},
)
