"""Training: watch a spiking network learn with exact gradients (Play / Pause / Step / Reset)."""

import json

import streamlit as st

import fpsnn_core as fp
from fpsnn_app import ui
from fpsnn_app.scenes.training import (HIDDEN_CHOICES, LR_CHOICES, TASK_LABELS, advance_for,
                                       curves_chart, evaluation_scene, evaluation_settings,
                                       network_json, page_config, task_data, with_default)
from fpsnn_core import training as tr

#: Seconds of training per tick while playing, and the tick interval.
BUDGET, TICK = 0.6, 0.8
RUN = "training.run"

st.title("Training")
st.markdown(
    "A layered spiking network learns to classify by **exact gradients**: each mini-batch is "
    "simulated event by event, the first-spike cross entropy "
    "$-\\log \\mathrm{softmax}(-t/\\tau_0)_y + \\gamma(e^{t_y/\\tau_1}-1)$ is taken on the "
    "first spike time $t_c$ of each output neuron, and its gradient comes from the implicit "
    "equations of every spike before those first spikes (forward propagation, or the adjoint: "
    "the same numbers), then an Adam step. Each input value becomes one spike time between "
    "$t_{early}$ and $t_{late}$, plus a bias spike. The class is the output that fires first.")

c = st.columns([2, 2, 1, 2, 2])
task = c[0].selectbox("Task", list(TASK_LABELS), format_func=TASK_LABELS.get, key="training.task",
                      bind="query-params")
defaults = tr.default_config(task)
hidden = c[1].select_slider("Hidden neurons", with_default(HIDDEN_CHOICES, defaults.hidden[0]),
                            defaults.hidden[0], key=f"training.hidden.{task}", bind="query-params")
seed = int(c[2].number_input("Seed", 0, 9999, 0, key="training.seed", bind="query-params"))
lr = c[3].select_slider("Learning rate", with_default(LR_CHOICES, defaults.lr), defaults.lr,
                        format_func=lambda v: f"{v:g}", key=f"training.lr.{task}",
                        bind="query-params")
method = c[4].radio("Gradient", ["fp", "adjoint"], format_func={"fp": "FP (forward)",
                                                               "adjoint": "adjoint"}.get,
                    key="training.method", bind="query-params", horizontal=True,
                    help="Both give the exact gradient; the numbers agree to rounding.")

config = page_config(task, hidden, seed, lr, method)
data = ui.require(ui.compute(task_data, task, *config.encoding_kwargs().values()))
key = json.dumps(config.to_dict(), sort_keys=True)
run = st.session_state.get(RUN)
if run is None or run["key"] != key:
    run = {"key": key, "playing": False,
           "state": tr.start(data.train.inputs.shape[1], len(data.class_names), config)}
    st.session_state[RUN] = run


def _toggle():
    r = st.session_state[RUN]
    r["playing"], r["error"] = not r["playing"], None


def _reset():
    r = st.session_state[RUN]
    r["playing"], r["error"] = False, None
    r["state"] = tr.start(r["state"].network.n_inputs, len(r["state"].network.layers[-1]),
                          r["state"].config)
    r.pop("shown", None)


b = st.columns([1, 1, 1, 5])
playing = run["playing"] and not run["state"].done
b[0].button("Pause" if playing else "Play", key="training.play", on_click=_toggle,
            icon=":material/pause:" if playing else ":material/play_arrow:", type="primary",
            disabled=run["state"].done)
step = b[1].button("Step", key="training.step", icon=":material/skip_next:", disabled=playing,
                   help="Train to the end of the current epoch.")
b[2].button("Reset", key="training.reset", icon=":material/restart_alt:", on_click=_reset)
b[3].caption(f"{len(data.train)} training and {len(data.validation)} validation samples; "
             f"network {data.train.inputs.shape[1]}-{hidden}-{len(data.class_names)}, "
             f"mini-batches of {config.batch_size}, τ₀ = {config.tau_0:g}, t_max = "
             f"{config.t_max:g}. Play trains in chunks of about {BUDGET:g} s per update.")
st.caption(":material/link: The page's link keeps the settings above, not the training "
           "progress: a reopened link starts again from epoch 0 (the seed makes the run "
           "repeatable).")


def _train(budget: float, until_epoch_end: bool = False) -> bool:
    """Advance the session's run; on an error (e.g. runaway firing) show it, pause, and
    return False."""
    r = st.session_state[RUN]
    try:
        r["state"], ended = advance_for(r["state"], data, budget, until_epoch_end)
        if ended is not None:
            r["shown"] = ended
        return True
    except fp.FPSNNError as exc:
        r["playing"], r["error"] = False, exc       # shown until Play or Reset
        return False


if step:
    _train(0.0, until_epoch_end=True)


@st.fragment(run_every=TICK if playing else None)
def live():
    r = st.session_state[RUN]
    if r["playing"]:
        if not _train(BUDGET) or r["state"].done:
            r["playing"] = False
            st.rerun()                               # stop the timer
    if r.get("error") is not None:
        ui.report(r["error"])
    state = r["state"]
    per_epoch = -(-len(data.train) // config.batch_size)
    hist = state.history
    m = st.columns(5)
    m[0].metric("Epoch", f"{state.epoch}")
    m[1].metric("Mini-batch", f"{state.batch}/{per_epoch}")
    m[2].metric("Train accuracy", f"{100 * hist[-1].train_accuracy:.1f}%" if hist else "–")
    m[3].metric("Validation accuracy", f"{100 * hist[-1].val_accuracy:.1f}%" if hist else "–")
    m[4].metric("Best validation", f"{100 * max(h.val_accuracy for h in hist):.1f}%"
                if hist else "–")
    rows = tuple((h.epoch, h.train_loss, h.train_accuracy, h.val_loss, h.val_accuracy)
                 for h in hist)
    ui.chart(ui.require(ui.compute(curves_chart, rows)), key="training_curves")
    # the views show the network at the last epoch end (or the initial one), kept by _train
    if "shown" not in r:
        r["shown"] = (state.epoch, state.network)
    shown_epoch, shown = r["shown"]
    # cached by the weights and what the views depend on: a new learning rate or gradient
    # method starts from the same network and reuses them
    ev = ui.require(ui.compute(evaluation_scene, fp.to_json(shown), task,
                               evaluation_settings(config)))
    sample = ("the validation set" if ev.n_samples == ev.n_validation else
              f"the first {ev.n_samples} of the {ev.n_validation} validation samples (the "
              "validation accuracy above uses all of them)")
    st.caption(f"Below: the network after {shown_epoch} epoch{'s' * (shown_epoch != 1)} on "
               f"{sample}; updated at the end of each epoch.")
    left, right = st.columns([3, 2])
    with left:
        if ev.regions is not None:
            st.subheader("Decision regions")
            ui.chart(ev.regions, key="training_regions")
        st.subheader("First output spike times")
        ui.chart(ev.spikes, key="training_spikes")
    with right:
        st.subheader("Confusion matrix (validation)")
        ui.chart(ev.matrix, key="training_confusion")
        trained = network_json(state, data, state.best)
        st.download_button("Trained network (JSON)", trained,
                           file_name=f"fpsnn-training-{task}-network.json",
                           mime="application/json", on_click="ignore",
                           icon=":material/download:", key="training.download",
                           help="The network with the best validation accuracy so far, with its "
                                "input encoding; load it with fpsnn_core.load or evaluate it with "
                                "python -m fpsnn_core evaluate.")
        ui.nir_button(trained, f"fpsnn-training-{task}-network.nir", "Trained network (NIR)",
                      key="training.download-nir")


live()
