"""Network: raster linked to membrane traces, and the causal graph of spikes."""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.ui import controls
from fpsnn_app.scenes.network import network_scene, spike_options
from fpsnn_app.ui.network_picker import current_network, weight_editor

st.title("A small network and the causal graph of its spikes")
ui.intro(
    "Pick a motif in the sidebar, edit its weights and inputs. Every spike $f_k$ satisfies "
    "$V_{i_k}(f_k) = \\theta$, and that equation involves every earlier spike that reaches "
    "neuron $i_k$: those are the edges of the causal graph. **Click a spike** in a chart (or "
    "choose it in *Selected spike*) to light up everything it depends on.")

choice = ui.require(current_network())
with st.expander("Edit weights W[j, i]", icon=":material/edit:"):
    weight_editor(choice)

labels = ui.require(ui.compute(spike_options, choice.json))


NONE = "none"


def _select_from_chart(chart_key: str) -> None:
    points = st.session_state[chart_key].selection.points
    picked = [p["customdata"] for p in points if isinstance(p.get("customdata"), int)]
    if picked and 0 <= picked[0] < len(labels):
        st.session_state["network.spike"] = labels[picked[0]]


name = controls.choice(st, "Selected spike", [NONE, *labels], NONE, key="network.spike",
                       what="Selected spike", help="n1.2 is neuron 1's second spike.")
selected = -1 if name == NONE else list(labels).index(name)
scene = ui.require(ui.compute(network_scene, choice.json, selected))

m = st.columns(4)
m[0].metric("Spikes", scene.n_spikes)
m[1].metric("Causal edges", scene.n_edges)
m[2].metric("Silent neurons", sum(c == 0 for c in scene.counts))
m[3].metric("Ancestors of selection", len(scene.ancestors) if selected >= 0 else "–")
ui.notices(scene.notices)

st.subheader("Causal graph of spikes")
ui.chart(scene.graph, key="network.causal_graph",
         on_select=lambda: _select_from_chart("network.causal_graph"), selection_mode="points")
st.subheader("Raster and membrane potentials")
ui.chart(scene.raster, key="network.raster", on_select=lambda: _select_from_chart("network.raster"),
         selection_mode="points")
ui.downloads("network", network_json=choice.json, spikes_csv=scene.spikes_csv,
             csv={"edges": scene.edges_csv},
             figures={"raster": scene.raster.fig, "causal-graph": scene.graph.fig})
