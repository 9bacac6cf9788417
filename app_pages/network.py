"""Network: the causal graph of spikes over the raster and membrane traces, one spike lit up."""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.ui import controls
from fpsnn_app.scenes.network import network_scene, spike_options
from fpsnn_app.ui.network_picker import current_network, weight_editor

st.title("A small network and the causal graph of its spikes")
ui.intro(
    "Pick a motif in the sidebar, edit its weights and inputs. Every spike $f_k$ satisfies "
    "$V_{i_k}(f_k) = \\theta$, and that equation involves every earlier spike that reaches "
    "neuron $i_k$: those are the edges of the causal graph. **Move the slider** above the chart "
    "(or click a spike, or choose it in *Selected spike*) to light up everything it depends on.")

choice = ui.require(current_network())
with st.expander("Edit weights W[j, i]", icon=":material/edit:"):
    weight_editor(choice)

labels = ui.require(ui.compute(spike_options, choice.json))
NONE = "none"


def _select_from_chart(key: str) -> None:
    """Click-to-select: the clicked spike becomes the selection in the link (a rerun)."""
    points = st.session_state[key].selection.points
    picked = [p["customdata"] for p in points if isinstance(p.get("customdata"), int)]
    if picked and 0 <= picked[0] < len(labels):
        st.session_state["network.spike"] = labels[picked[0]]


@st.fragment
def selection_and_chart(net_json: str) -> None:
    """Everything that depends on the linked selection: a new one reruns only this part."""
    name = controls.choice(st, "Selected spike", [NONE, *labels], NONE, key="network.spike",
                           what="Selected spike",
                           help="In the link; n1.2 is neuron 1's second spike.")
    selected = -1 if name == NONE else list(labels).index(name)
    scene = ui.require(ui.compute(network_scene, net_json, selected))
    m = st.columns(3)
    m[0].metric("Spikes", scene.n_spikes)
    m[1].metric("Causal edges", scene.n_edges)
    m[2].metric("Silent neurons", sum(c == 0 for c in scene.counts))
    ui.notices(scene.notices)
    st.subheader("Causal graph, raster and membrane potentials")
    if scene.client_side:
        st.caption(":material/touch_app: The slider above the chart selects a spike in your "
                   "browser, at once; its position is not in the link. *Selected spike* (or a "
                   "click on a spike) starts the slider there and is in the link.")
    elif scene.n_spikes:
        st.caption(":material/touch_app: This network has too many spikes or edges to hold "
                   "every causal past in the browser: *Selected spike* or a click on a spike "
                   "selects it (the page reruns).")
    ui.chart(scene.chart, key="network.chart", on_select=lambda: _select_from_chart("network.chart"),
             selection_mode="points")
    ui.downloads("network", network_json=net_json, spikes_csv=scene.spikes_csv,
                 csv={"edges": scene.edges_csv}, figures={"network": scene.chart})


selection_and_chart(choice.json)
