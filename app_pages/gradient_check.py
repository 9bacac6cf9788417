"""Gradient check: FP, adjoint and finite differences side by side for a weight, an input
spike time, a threshold or a time constant; the loss along one of them."""

import numpy as np
import streamlit as st

from fpsnn_app import netfiles, params, ui
from fpsnn_app.scenes.gradient_check import (
    DEFAULT_EPS,
    DEFAULT_SPAN,
    FIGURE_HEIGHT,
    LOSSES,
    PRESENT_HEIGHT,
    check_scene,
    default_weight,
    parameter_options,
    slice_scene,
)
from fpsnn_app.scenes.jacobian import param_labels
from fpsnn_app.ui import controls
from fpsnn_app.ui.network_picker import current_network

st.title("Gradient check")
ui.intro(
    "Three ways to the same gradient of a loss: **FP** (forward substitution through $L$), the "
    "**adjoint** (backward solve of $L^\\top\\lambda = \\partial\\mathcal{L}/\\partial F$) and "
    "**finite differences** of the simulation. The first two are exact; the third is only "
    "valid where a small step changes no spike count or order, because the loss is piecewise "
    "smooth in each parameter. The parameter can be a weight, an input spike time, a "
    "neuron's threshold $\\theta_i$ or its time constants $\\tau_{s,i}$, $\\tau_{n,i}$: the "
    "same $L$ solves them all, only $\\partial\\Phi/\\partial p$ changes."
)

choice = ui.require(current_network())
outputs = choice.outputs
network = netfiles.parse(choice.json).network
Q = dict(bind="query-params")

# One row of controls (the parameter and the one sliced side by side), the charts below it
# and the metrics under them: the agreement plot starts on the first screen.
c = st.columns([4, 2, 3, 3, 3])
kind = c[0].radio("Loss", list(LOSSES), format_func=LOSSES.get, key="gradient_check.loss", **Q)
label, targets = 0, ()
if kind == "cross_entropy":
    label = controls.output_class(c[1], "Correct class", outputs, key="gradient_check.label")
else:
    default = ", ".join(f"{1 + 0.5 * k:g}" for k in range(len(outputs)))
    targets = controls.target_times(
        c[1],
        "Target times",
        len(outputs),
        default,
        key="gradient_check.targets",
        help="One first-spike time per output neuron.",
    )
eps = c[2].select_slider(
    "Finite-difference step",
    [10.0**e for e in range(-10, -1)],
    DEFAULT_EPS,
    format_func=lambda e: f"{e:.0e}",
    key="gradient_check.eps",
    **Q,
)
wrt = controls.choice(
    c[3],
    "Parameter to check",
    list(params.KINDS),
    "W",
    key="gradient_check.wrt",
    format_func=params.KINDS.get,
    what="Parameter",
)
if wrt == "W":
    labels = param_labels(network, None)
    weight = labels.index(
        controls.choice(
            c[4],
            "Weight to slice",
            labels,
            labels[default_weight(choice.json, outputs)],
            key="gradient_check.weight",
        )
    )
elif wrt == "inputs":
    names = ui.require(ui.compute(parameter_options, choice.json, "inputs"))
    if not names:
        st.info(
            "This network has no input spike in [0, t_max], so there is no input spike "
            "time to check. Choose another parameter or add input spikes."
        )
        st.stop()
    weight = names.index(
        controls.choice(
            c[4],
            "Input spike to slice",
            names,
            names[0],
            key="gradient_check.input",
            what="Input spike",
        )
    )
else:
    weight = controls.choice(
        c[4],
        f"Neuron whose {params.KINDS[wrt]} to slice",
        range(network.n_neurons),
        outputs[0],
        key="gradient_check.neuron",
        format_func=lambda i: f"n{i}",
        what="Neuron",
    )

height = PRESENT_HEIGHT if ui.presenting() else FIGURE_HEIGHT
scene = ui.require(
    ui.compute(check_scene, choice.json, outputs, kind, label, targets, eps, weight, wrt, height)
)
ui.notices(scene.notices)

left, right = st.columns([2, 3])
with left:  # its legend names it: no heading, so that it starts higher
    ui.chart(scene.agreement, key="gradient_check.agreement")
with right:
    st.markdown("**Per weight**" if wrt == "W" else f"**Per {params.KINDS[wrt]}**")
    st.dataframe(
        scene.table,
        hide_index=True,
        width="stretch",
        height=height,
        column_config={
            "FD status": st.column_config.TextColumn(width="medium"),
            **{
                k: st.column_config.NumberColumn(format="%.3e")
                for k in ("FP", "adjoint", "finite diff.", "rel. err FP–adjoint", "rel. err FP–FD")
            },
        },
    )
m = st.columns(4)
m[0].metric("Loss", f"{scene.loss:.5f}")
m[1].metric("Max rel. error FP vs adjoint", f"{scene.max_rel_adjoint:.1e}")
m[2].metric(
    "Max rel. error FP vs FD", "n/a" if np.isnan(scene.max_rel_fd) else f"{scene.max_rel_fd:.1e}"
)
m[3].metric("FD refused", f"{scene.n_refused} of {scene.n_params}")
st.subheader(
    "The loss along one weight" if wrt == "W" else f"The loss along one {params.KINDS[wrt]}"
)


@st.fragment
def loss_slice() -> None:
    """The slice and its width: moving the width reruns only this part of the page."""
    span = st.slider(
        "Slice half-width", 0.1, 4.0, DEFAULT_SPAN, 0.1, key="gradient_check.span", **Q
    )
    chart = ui.require(
        ui.compute(slice_scene, choice.json, outputs, kind, label, targets, weight, span, wrt)
    )
    ui.chart(chart, key="gradient_check.loss_slice")
    ui.downloads(
        "gradient-check",
        network_json=choice.json,
        csv={"gradients": scene.table_csv},
        figures={"agreement": scene.agreement, "loss-slice": chart},
    )


loss_slice()
