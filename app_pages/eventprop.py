"""EventProp: the adjoint dynamics run backwards in time, beside FP's forward sweep.

The replay step is a slider inside each chart (it moves in the browser, without a rerun);
the link's ``eventprop.replay`` only chooses the step the charts open on."""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.scenes.eventprop import LOSSES, eventprop_scene, replay_scene
from fpsnn_app.scenes.jacobian import link_step
from fpsnn_app.ui import controls
from fpsnn_app.ui.network_picker import current_network
from fpsnn_app.ui.present import figure_height

st.title("EventProp: one gradient, backwards")
ui.intro(
    "FP carries $dF/dW$ **forward** in time, one spike after the other. EventProp "
    "(Wunderlich & Pehle 2021) carries one adjoint state per neuron **backward** in time: "
    "$\\lambda_V = \\partial\\mathcal{L}/\\partial V$ and $\\lambda_I = \\partial\\mathcal{L}/"
    "\\partial I$ decay between events, $\\lambda_V$ jumps by $\\varepsilon_k$ at each spike, and "
    "the gradient is read off at the presynaptic spikes, "
    "$\\partial\\mathcal{L}/\\partial W_{ji} = \\sum_{g\\in F_j}\\lambda_{I,i}(g)$. "
    "Slide the replay (the sliders above the charts) to watch both sweeps; the table shows "
    "they agree to rounding."
)

choice = ui.require(current_network())
height = figure_height()
# The controls share one row above the two charts; while presenting, the charts come first
# (whole on the first screen) and the controls follow them.
first, second = st.container(), st.container()
charts_box, controls_box = (first, second) if height else (second, first)
c1, c2, c3 = controls_box.columns([2, 2, 3])
loss = c1.selectbox(
    "Loss", list(LOSSES), format_func=LOSSES.get, key="eventprop.loss", bind="query-params"
)
label = controls.output_class(
    c2,
    "Label (correct output)",
    choice.outputs,
    key="eventprop.label",
    disabled=loss != "cross_entropy",
    help="The output neuron that should fire first.",
)
scene = ui.require(ui.compute(eventprop_scene, choice.json, choice.outputs, loss, label))

n_neurons = scene.theta.size
# presenting, the outputs only: a neuron's two panels need about 130 px to be read
default = (
    list(choice.outputs)[:2]
    if height
    else list(range(n_neurons))
    if n_neurons <= 6
    else list(choice.outputs)[:6]
)
neurons = controls.subset(
    c3,
    "Neurons to draw",
    range(n_neurons),
    default,
    key="eventprop.neurons",
    format_func=lambda i: f"n{i}",
)
step, note = link_step(
    st.query_params.get("eventprop.replay"), scene.n_spikes + 1, scene.n_spikes, "Replay step"
)
if note:
    controls_box.caption(f":material/sync: {note}")
with controls_box:
    ui.notices(scene.notices)
traces, sweep = ui.require(
    ui.compute(
        replay_scene,
        choice.json,
        choice.outputs,
        loss,
        label,
        step,
        tuple(neurons or default),
        height,
    )
)

left, right = charts_box.columns([1, 1])  # the figures' panel titles name them
with left:
    ui.chart(traces, key="eventprop.traces")
with right:
    ui.chart(sweep, key="eventprop.sweeps")

m = st.columns(4)
m[0].metric("Spikes", scene.n_spikes)
m[1].metric("Loss", f"{scene.loss_value:.4f}")
m[2].metric(
    "max |EventProp − FP|",
    f"{scene.max_rel_diff['EventProp − FP']:.1e}",
    help="Relative to the largest gradient entry.",
)
m[3].metric(
    "max |EventProp − adjoint|",
    f"{scene.max_rel_diff['EventProp − adjoint']:.1e}",
    help="Relative to the largest gradient entry.",
)

st.subheader("The gradient three ways")
fmt = {
    c: st.column_config.NumberColumn(c, format="%.6g")
    for c in ("FP", "adjoint solve", "EventProp", "EventProp − FP", "EventProp − adjoint")
}
st.dataframe(scene.table, hide_index=True, width="stretch", column_config=fmt)

st.subheader("One computation seen twice")
st.markdown(
    "Unroll EventProp's backward dynamics from $\\lambda = 0$ after the last spike: "
    "$\\lambda_{V,i}(t) = -\\sum_{f_k > t} \\varepsilon_k e^{-(f_k - t)/\\tau_n}$ and "
    "$\\lambda_{I,i}(t) = -\\sum_{f_k > t} \\varepsilon_k h(f_k - t)$, sums over neuron "
    "$i$'s later spikes. Put them into the jump condition and it becomes "
    "$L_{kk}\\varepsilon_k = c_k - \\sum_{l>k} L_{lk}\\varepsilon_l$: row $k$ of "
    "$L^\\top\\varepsilon = c$, the adjoint of FP's triangular system $L\\,dF/dW = -\\partial\\Phi/"
    "\\partial W$, solved backwards in time. The jumps **are** the adjoint solve's unknowns, and "
    "reading $\\lambda_I$ off at presynaptic spikes is "
    "$-\\varepsilon^\\top\\partial\\Phi/\\partial W$. "
    "FP multiplies $c$ in at the end; the adjoint methods start from it.\n\n"
    "**What each costs** (measured with `python bench/bench_gradients.py`, medians on a shared "
    "2-core machine; S spikes, P weights):\n\n"
    "| | FP, full $dF/dW$ | FP, loss only | adjoint solve | EventProp |\n"
    "|---|---|---|---|---|\n"
    "| memory | $S \\times P$ | rows of the loss's causal past $\\times P$ | the matrix $L$ "
    "(its non-zeros) | $2N$ numbers + the gradient |\n"
    "| recurrent N=100, 922 spikes, loss on all | 3.8 s, 226 MiB | 3.8 s, 226 MiB | 50 ms, 53 MiB "
    "| 22 ms, 0.2 MiB |\n"
    "| recurrent N=300, 2806 spikes | (too big) | (too big) | 518 ms, 485 MiB | 74 ms, 1.4 MiB |\n"
    "| feed-forward 5-120-3, first-spike loss | 171 ms, 188 MiB | 1.0 ms | 1.0 ms | 0.5 ms |\n\n"
    "FP is the one to use when you want every $df_k/dW$ (the Jacobian, sensitivities of many "
    "losses at once, or online, forward in time alongside the simulation). For one loss the "
    "backward methods win; EventProp needs no matrix at all, and it skips everything after the "
    "last spike the loss depends on."
)

ui.downloads(
    "eventprop",
    network_json=choice.json,
    spikes_csv=scene.spikes_csv,
    csv={"gradients": scene.gradients_csv},
    figures={"adjoint-traces": traces, "sweeps": sweep},
)
