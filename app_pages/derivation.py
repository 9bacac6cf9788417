"""Derivation: the kernel convolution, its derivative and the IFT step, live with SymPy."""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.presets import TAU_N, TAU_S, THETA
from fpsnn_app.scenes.derivation import DEFAULT_W, FIGURE_HEIGHT, PRESENT_HEIGHT, derivation_scene

st.title("Derivation, live with SymPy")
ui.intro(
    "Everything the other pages compute follows from two facts: the potential is a sum of "
    "kernels $h$, and a spike time $f$ is defined implicitly by $V(f) = \\theta$. Below, SymPy "
    "derives both for the parameters you choose, and the result is checked against the "
    "simulator (FP) and finite differences."
)

c = st.columns(4)
tau_s = c[0].slider("τ_s", 0.1, 3.0, TAU_S, 0.05, key="derivation.tau_s", bind="query-params")
tau_n = c[1].slider(
    "τ_n",
    0.1,
    3.0,
    TAU_N,
    0.05,
    key="derivation.tau_n",
    bind="query-params",
    help="Set τ_n = τ_s to see the limit form t·e^(-bt).",
)
theta = c[2].slider("θ", 0.1, 3.0, THETA, 0.05, key="derivation.theta", bind="query-params")
w = c[3].slider(
    "w, weight of the input", 0.1, 10.0, DEFAULT_W, 0.1, key="derivation.w", bind="query-params"
)

height = PRESENT_HEIGHT if ui.presenting() else FIGURE_HEIGHT
scene = ui.require(ui.compute(derivation_scene, tau_s, tau_n, theta, w, height))
left, right = st.columns([3, 2])
with left:
    for title, latex in scene.steps:
        st.markdown("**" + title.replace("*", "\\*") + "**")
        st.latex(latex)
with right:
    ui.notices(scene.notices)
    ui.chart(scene.chart, key="derivation.kernel")
    fmt = lambda x: "–" if x is None else f"{x:.8f}"  # noqa: E731
    st.markdown("**df/dw three ways**")
    st.table(
        {
            "method": [
                "SymPy formula −h(f) / (w h'(f))",
                "FP (fpsnn_core)",
                "central finite difference, ε = 1e-6",
            ],
            "df/dw": [fmt(scene.df_dw_sympy), fmt(scene.df_dw_fp), fmt(scene.df_dw_fd)],
        }
    )
    ui.downloads("derivation", figures={"kernel": scene.chart})
