"""Home: what exact spike-time gradients are, one live picture, and a guided path."""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.registry import PAGES
from fpsnn_app.scenes.home import DEFAULT_DW, DEFAULT_W, FIGURE_HEIGHT, home_scene
from fpsnn_app.ui.present import figure_height

st.title("Exact gradients of spiking networks")
ui.intro(
    "A spiking neuron fires at the instant $f$ when its membrane potential reaches the "
    "threshold: $V(f) = \\theta$. That equation defines $f$ as a smooth function of the "
    "weights wherever $V$ crosses with a positive slope, so **spike times have exact "
    "gradients**, given by the implicit function theorem. Because each spike depends only on "
    "earlier ones, the equations of all spikes form a lower-triangular system once sorted by "
    "time, and solving it forward in time (*forward propagation*, FP; Lee, Haghighatshoar & "
    "Karbasi 2023) or backward (the adjoint, as in EventProp) gives the exact gradient, "
    "without surrogates or time steps."
)

left, right = st.columns([2, 1])
with right:
    st.markdown(
        "**Try it:** move the weight. FP predicts where the spike goes (orange ×) "
        "from the derivative alone; the dashed curve is the real answer."
    )
    w = st.slider(
        "Weight w of input 0", 0.0, 8.0, DEFAULT_W, 0.1, key="home.w", bind="query-params"
    )
    dw = st.slider("Step Δw", -1.5, 1.5, DEFAULT_DW, 0.05, key="home.dw", bind="query-params")
scene = ui.require(ui.compute(home_scene, w, dw, figure_height() or FIGURE_HEIGHT))
with right:
    st.metric("Spike time f", "none" if scene.f is None else f"{scene.f:.4f}")
    moved = scene.predicted is not None and scene.f is not None
    st.metric(
        "FP prediction at w + Δw",
        f"{scene.predicted:.4f}" if moved else "–",
        delta=f"{scene.predicted - scene.f:+.4f}" if moved else None,
        delta_color="off",
    )
with left:
    ui.chart(scene.chart, key="home.picture")

st.subheader("A guided path")
cols = st.columns(3)
for n, entry in enumerate(p for p in PAGES if p.url_path != ""):
    with cols[n % 3]:
        with st.container(border=True):
            st.page_link(entry.path, label=f"{n + 1}. {entry.title}", icon=entry.icon)
            st.caption(entry.description)
st.caption(
    "Colours: blue is positive, orange negative, always with a second cue (solid or "
    "dashed lines, up or down triangles, printed numbers). Every page keeps its state in "
    "the URL: copy the link to share exactly what you see."
)
