"""Network: the causal graph of spikes over the raster and membrane traces, one spike lit up.

The chart comes right after the title and introduction (the selector and the counts share
one row above it); the weight editor and the downloads are below it. While presenting the
chart is fitted to the screen (:func:`fpsnn_app.ui.present.figure_height`), the membrane
traces are a chart of their own below it, and the selector row follows the chart."""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.scenes.network import network_scene, spike_options
from fpsnn_app.ui import controls
from fpsnn_app.ui.network_picker import current_network, weight_editor
from fpsnn_app.ui.present import figure_height

st.title("The causal graph of a network's spikes")
ui.intro(
    "Pick a motif in the sidebar, edit its weights and inputs. Every spike $f_k$ satisfies "
    "$V_{i_k}(f_k) = \\theta$, and that equation involves every earlier spike that reaches "
    "neuron $i_k$: those are the edges of the causal graph. **Move the slider** above the chart "
    "(or click a spike, or choose it in *Selected spike*) to light up everything it depends on."
)

choice = ui.require(current_network())
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
    height = figure_height()
    first, second = st.container(), st.container()
    row, chart_box = (second, first) if height else (first, second)
    m = row.columns([2, 1, 1, 1], vertical_alignment="bottom")
    name = controls.choice(
        m[0],
        "Selected spike",
        [NONE, *labels],
        NONE,
        key="network.spike",
        what="Selected spike",
        help="In the link; n1.2 is neuron 1's second spike.",
    )
    selected = -1 if name == NONE else list(labels).index(name)
    scene = ui.require(ui.compute(network_scene, net_json, selected, height))
    m[1].metric("Spikes", scene.n_spikes)
    m[2].metric("Causal edges", scene.n_edges)
    m[3].metric("Silent neurons", sum(c == 0 for c in scene.counts))
    with row:
        ui.notices(scene.notices)
    with chart_box:
        ui.chart(
            scene.chart,
            key="network.chart",
            on_select=lambda: _select_from_chart("network.chart"),
            selection_mode="points",
        )
        if scene.client_side:
            st.caption(
                ":material/touch_app: The slider above the chart selects a spike in your "
                "browser, at once; its position is not in the link. *Selected spike* (or "
                "a click on a spike) starts the slider there and is in the link."
            )
        elif scene.n_spikes:
            st.caption(
                ":material/touch_app: This network has too many spikes or edges to hold "
                "every causal past in the browser: *Selected spike* or a click on a "
                "spike selects it (the page reruns)."
            )
    if scene.potentials is not None:
        ui.chart(scene.potentials, key="network.potentials")
    ui.downloads(
        "network",
        network_json=net_json,
        spikes_csv=scene.spikes_csv,
        csv={"edges": scene.edges_csv},
        figures={"network": scene.chart},
    )


selection_and_chart(choice.json)
with st.expander("Edit weights W[j, i]", icon=":material/edit:"):
    weight_editor(choice)
