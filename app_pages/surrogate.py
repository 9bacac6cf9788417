"""Surrogate gradients: BPTT with a surrogate spike derivative next to the exact FP gradient."""

import numpy as np
import streamlit as st

from fpsnn_app import netfiles, ui
from fpsnn_app.figures.common import source_label
from fpsnn_app.figures.surrogate import surrogate_title
from fpsnn_app.scenes.surrogate import (
    DTS,
    LOSSES,
    SLOPES,
    credit_scene,
    dt_sweep_chart,
    gradients_scene,
    slope_sweep_chart,
    synapse_options,
)
from fpsnn_app.ui import controls
from fpsnn_app.ui.network_picker import current_network
from fpsnn_app.ui.present import figure_height
from fpsnn_core.surrogate import SURROGATES

st.title("Surrogate gradients")
LEAD = (
    "Most spiking networks are trained in discrete time with **surrogate gradients**: "
    "back-propagation through time where the spike's derivative $H'(V-\\theta)$ is "
    "replaced by a smooth bump $\\sigma'(V-\\theta)$. Here one loss has three gradients: "
    "**exact FP**, **finite differences** and **surrogate BPTT**."
)
MORE = (
    "The same network runs on a grid of step $dt$ (exact decay per step, spike when "
    "$V \\ge \\theta$, reset by subtraction; spike times read out by interpolating the "
    "threshold crossing); the finite differences are those of the exact simulation. "
    "For a synapse $j \\to i$, FP puts credit $y_{ji}(f)/V_i'(f)$ at the firing times; a "
    "surrogate spreads $\\sigma'(V_i(t)-\\theta)\\,y_{ji}(t)$ over time."
)
height = figure_height()
ui.intro(LEAD + (" " + MORE if height else ""))

choice = ui.require(current_network())
outputs = choice.outputs
names_all = list(SURROGATES)
# What the credit chart depends on (dt, slope, surrogates) is one row above it; while
# presenting the chart comes first (whole on the first screen) and that row below it. The
# loss and the backward pass, which only the gradients below depend on, follow the chart.
first, second = st.container(), st.container()
chart_slot, controls_box = (first, second) if height else (second, first)
with controls_box:
    c = st.columns([2, 2, 5])
    dt = c[0].select_slider(
        "Time step dt",
        DTS,
        0.01,
        format_func=lambda v: f"{v:g}",
        key="surrogate.dt",
        bind="query-params",
    )
    slope = c[1].select_slider(
        "Slope β",
        SLOPES,
        5.0,
        format_func=lambda v: f"{v:g}",
        key="surrogate.slope",
        bind="query-params",
        help="One slope for every surrogate; σ' is narrower as β grows.",
    )
    # the chips get most of the row: in a narrow column they scrolled out of sight
    names = tuple(
        c[2].multiselect(
            "Surrogates",
            names_all,
            names_all[:4],
            format_func=surrogate_title,
            key="surrogate.names",
            bind="query-params",
            help="Straight-through (σ' = β everywhere) credits every moment alike; add it to see "
            "what having no window does.",
        )
    )
if not names:
    st.info("Choose at least one surrogate.")
    st.stop()

options = ui.require(ui.compute(synapse_options, choice.json))
n_inputs = netfiles.parse(choice.json).network.n_inputs
synapses = {f"{source_label(j, n_inputs)}→n{i}": (j, i) for j, i in options}


@st.fragment
def credit_section() -> None:
    """The synapse changes only this chart and table: a new one reruns only this part."""
    body, below = st.container(), st.container()  # the chart first, its synapse below
    row = below.columns([2, 3], vertical_alignment="center")
    syn = controls.choice(
        row[0],
        "Synapse j → i",
        list(synapses),
        next(iter(synapses)),
        key="surrogate.synapse",
        what="Synapse",
        help="The chart shows the credit over time of this one weight.",
    )
    credit = ui.require(
        ui.compute(credit_scene, choice.json, *synapses[syn], dt, names, slope, height)
    )
    with body:
        ui.chart(credit.chart, key="surrogate_credit")
    if credit.chart.spec()["layout"].get(
        "sliders"
    ):  # below the chart: it starts on the first screen
        row[1].caption(
            ":material/touch_app: The slider in the chart redraws the surrogates' "
            "credit at each slope β in your browser; its position is not in the "
            "link (*Slope β* is, and sets the table below)."
        )
    if credit.table:
        with st.expander("Credit per firing time"):
            st.dataframe(credit.table, hide_index=True, width="stretch")
    ui.downloads("surrogate", figures={"credit": credit.chart})


@st.fragment
def gradients_section() -> None:
    """Rescaling changes only this chart: it reruns only this part."""
    st.subheader("Gradients weight by weight")
    rescale = st.toggle(
        "Rescale each surrogate gradient to the exact norm",
        True,
        key="surrogate.rescale",
        bind="query-params",
        help="Compares directions; the scale is in the relative norm.",
    )
    shown = grads if rescale else ui.require(ui.compute(gradients_scene, *args, False))
    st.caption(
        f":material/touch_app: The slider above the chart shows the surrogate gradients "
        f"at each step dt (β = {slope:g}) in your browser; its position is not in the "
        "link (*Time step dt* above is, and sets the table and the credit plot)."
    )
    ui.chart(shown.chart, key="surrogate_gradients")
    st.dataframe(
        shown.table,
        hide_index=True,
        width="stretch",
        column_config={
            k: st.column_config.NumberColumn(format="%.3g")
            for k in shown.table[0]
            if k != "surrogate"
        },
    )
    st.caption(
        "Hidden weights are those into neurons that send spikes on: their gradient passes "
        "through a spike function and so through the surrogate. Weights into the other "
        "neurons reach the loss through the interpolated spike time alone."
    )
    ui.downloads(
        "surrogate", csv={"gradients": shown.table_csv}, figures={"gradients": shown.chart}
    )


@st.fragment
def sweeps_section() -> None:
    """The weights the sweeps compare change only these two charts."""
    st.subheader("Sweeps: step and slope")
    hidden = st.toggle("Hidden weights only", True, key="surrogate.hidden", bind="query-params")
    # two caches: a new dt recomputes only the slope sweep, a new slope only the dt sweep
    dt_chart = ui.require(
        ui.compute(dt_sweep_chart, *common, names, slope, per_time, not keep_reset, hidden)
    )
    slope_chart = ui.require(
        ui.compute(slope_sweep_chart, *common, dt, names, per_time, not keep_reset, hidden)
    )
    ui.chart(dt_chart, key="surrogate_dt_sweep")
    ui.chart(slope_chart, key="surrogate_slope_sweep")
    ui.downloads(
        "surrogate",
        network_json=choice.json,
        figures={"dt-sweep": dt_chart, "slope-sweep": slope_chart},
    )


with chart_slot:
    credit_section()
if not height:
    with st.expander("How the three gradients are computed", icon=":material/info:"):
        st.markdown(MORE)

c = st.columns([3, 3, 2], vertical_alignment="bottom")
kinds = list(LOSSES) if len(outputs) > 1 else ["mse"]  # cross entropy needs 2 classes
kind = controls.choice(
    c[0], "Loss", kinds, kinds[0], key="surrogate.loss", widget="radio", format_func=LOSSES.get
)
if kind == "cross_entropy":
    label = controls.output_class(c[1], "Correct class", outputs, key="surrogate.label")
    targets = ()
else:
    label = 0
    targets = controls.target_times(
        c[1],
        "Target times",
        len(outputs),
        "1",
        key="surrogate.targets",
        one_for_all=True,
        help="Target first-spike times: one for all outputs, or one per output.",
    )
with c[2].popover("Backward pass", icon=":material/tune:", width="stretch"):
    per_time = st.toggle(
        "σ' per unit time (× dt/τ_n)",
        False,
        key="surrogate.per_time",
        bind="query-params",
        help="Standard BPTT applies σ' once per step, so every hidden layer "
        "scales the gradient by about τ_n/dt. Scaled by dt/τ_n, the sum "
        "over steps becomes an integral over time, which converges as "
        "dt → 0.",
    )
    keep_reset = st.toggle(
        "Keep the reset in the backward pass",
        False,
        key="surrogate.keep_reset",
        bind="query-params",
        help="Most libraries detach it (Zenke & Vogels 2021); kept, it "
        "multiplies dLoss/dV by 1 − θσ' at every step near threshold.",
    )
if per_time or keep_reset:
    st.caption(
        ":material/tune: Backward pass: "
        + ", ".join(
            t for t, on in (("σ' per unit time", per_time), ("reset kept", keep_reset)) if on
        )
        + "."
    )
args = (choice.json, outputs, kind, label, targets, dt, names, slope, per_time, not keep_reset)
grads = ui.require(ui.compute(gradients_scene, *args, True))
common = (choice.json, outputs, kind, label, targets)

m = st.columns(4)
m[0].metric("Loss, exact", f"{grads.loss_exact:.5f}")
m[1].metric("Loss, discrete", f"{grads.loss_discrete:.5f}")
m[2].metric(
    "Largest spike-time error",
    "count differs" if np.isnan(grads.spike_time_error) else f"{grads.spike_time_error:.2e}",
)
m[3].metric(
    "FP vs finite differences",
    "refused" if np.isnan(grads.fd_max_rel) else f"{grads.fd_max_rel:.1e}",
)
ui.notices(grads.notices)
gradients_section()
sweeps_section()
