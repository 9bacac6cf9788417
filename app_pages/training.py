"""Training: watch a spiking network learn with exact gradients (Play / Pause / Step / Reset)."""

import streamlit as st

import fpsnn_core as fp
from fpsnn_app import ui
from fpsnn_app.scenes.training import (
    BETTER,
    FIRST_SCREEN_HEIGHT,
    HIDDEN_CHOICES,
    LR_CHOICES,
    PRESENT_HEIGHT,
    SPEEDS,
    TASK_LABELS,
    advance_for,
    changed_fields,
    curves_chart,
    evaluation_scene,
    evaluation_settings,
    network_json,
    neuron_map_chart,
    page_config,
    plateau_notice,
    retune,
    retune_notice,
    run_key,
    sample_scene,
    task_data,
    views_caption,
    with_default,
)
from fpsnn_app.ui import controls, present
from fpsnn_app.ui.network_picker import open_network
from fpsnn_core import training as tr

#: Seconds of training per update while playing ("fast"), and the update interval: every
#: update trains a slice of mini-batches and redraws the views of the network it reached, so
#: the room sees the regions and the network move at least once a second, whatever the task.
BUDGET, TICK = 0.15, 0.5
RUN = "training.run"
SAMPLE, NEURON = "training.sample", "training.neuron"

# a compact first screen: data, regions, network, controls and curves without scrolling
st.html(
    "<style>[data-testid='stMainBlockContainer']{padding-top:2.2rem;padding-bottom:1rem}"
    "[data-testid='stMainBlockContainer'] h1{padding:0 0 .2rem 0;font-size:2rem}</style>"
)
st.title("Training")

c = st.columns([1.1, 1.2, 0.8, 1.4, 1.3, 1.2])
task = c[0].selectbox(
    "Task",
    list(TASK_LABELS),
    format_func=TASK_LABELS.get,
    key="training.task",
    bind="query-params",
    help="Another task starts a new run.",
)
defaults = tr.default_config(task)
hidden = c[1].select_slider(
    "Hidden neurons",
    with_default(HIDDEN_CHOICES, defaults.hidden[0]),
    defaults.hidden[0],
    key=f"training.hidden.{task}",
    bind="query-params",
    help="Another network size starts a new run.",
)
seed = int(
    c[2].number_input(
        "Seed",
        0,
        9999,
        0,
        key="training.seed",
        bind="query-params",
        help="Another seed (initial weights, sample order) starts a new run.",
    )
)
lr = c[3].select_slider(
    "Learning rate",
    with_default(LR_CHOICES, defaults.lr),
    defaults.lr,
    format_func=lambda v: f"{v:g}",
    key=f"training.lr.{task}",
    bind="query-params",
    help="Changes the running training from the next mini-batch on (Adam's moments are kept).",
)
method = c[4].radio(
    "Gradient",
    ["fp", "adjoint"],
    format_func={"fp": "FP", "adjoint": "adjoint"}.get,
    key="training.method",
    bind="query-params",
    horizontal=True,
    help="Both give the exact gradient (the numbers agree to rounding); "
    "switching continues the running training.",
)
speed = c[5].select_slider(
    "Speed",
    list(SPEEDS),
    "fast",
    key="training.speed",
    bind="query-params",
    help="slow: one mini-batch per update; medium: eight; fast: as many as fit in about 0.3 s.",
)

config = page_config(task, hidden, seed, lr, method)
data = ui.require(ui.compute(task_data, task, *config.encoding_kwargs().values()))
key = run_key(config)
run = st.session_state.get(RUN)
if run is None or run["key"] != key or run.get("task") != task:
    if run is not None and run["state"].epoch + run["state"].batch > 0:
        what = (
            ["task"]
            if run.get("task") != task
            else changed_fields(run["state"].config, config) or ["network"]
        )
        notice = (
            f"New run: the {' and '.join(what)} changed, so training starts again at "
            f"epoch 0 (the previous run had reached epoch {run['state'].epoch})."
        )
    else:
        notice = None
    run = {
        "key": key,
        "task": task,
        "playing": False,
        "notice": notice,
        "state": tr.start(data.train.inputs.shape[1], len(data.class_names), config),
    }
    st.session_state[RUN] = run
else:
    state = retune(run["state"], config)
    if state is not run["state"]:
        run["notice"] = retune_notice(state)
        run["state"] = state


def _toggle():
    r = st.session_state[RUN]
    r["playing"], r["error"], r["notice"] = not r["playing"], None, None


def _reset():
    r = st.session_state[RUN]
    r["playing"], r["error"], r["notice"] = False, None, None
    r["state"] = tr.start(
        r["state"].network.n_inputs, len(r["state"].network.layers[-1]), r["state"].config
    )


def _continue():
    r = st.session_state[RUN]
    r["state"] = tr.resume(r["state"], tr.default_config(r["task"]).epochs)
    r["playing"], r["error"], r["notice"] = True, None, None


state = run["state"]
playing = run["playing"] and not state.done
b = st.columns([1.05, 1.75, 1.1, 1.3, 3.2], vertical_alignment="center")
b[0].button(
    "Pause" if playing else "Play",
    key="training.play",
    on_click=_toggle,
    icon=":material/pause:" if playing else ":material/play_arrow:",
    type="primary",
    disabled=state.done,
)
step = b[1].button(
    "Step",
    key="training.step",
    icon=":material/skip_next:",
    disabled=playing or state.done,
    shortcut=present.STEP_KEY,
    help=f"Train to the end of the current epoch. Keyboard: {present.STEP_KEY} "
    '(the "next" button of a presenter remote).',
)
b[2].button("Reset", key="training.reset", icon=":material/restart_alt:", on_click=_reset)
b[3].button(
    "Continue",
    key="training.continue",
    icon=":material/fast_forward:",
    on_click=_continue,
    disabled=not state.done,
    help=f"Go on for {defaults.epochs} more epochs after the epoch limit or an automatic pause.",
)
back = (
    f" {f'From epoch {config.plateau_start} on, a' if config.plateau_start else 'A'}fter "
    f"{config.plateau} without one it goes back to the best network with the step size "
    f"times {config.plateau_factor:g}."
    if config.plateau
    else ""
)
b[4].caption(
    f"Learning rate, gradient, speed: same run. Task, hidden neurons, seed: new "
    f"run. Pauses after {config.patience} epochs without a better validation result "
    f"({BETTER}; best network restored) or at epoch {state.config.epochs}.{back}"
)
if run.get("notice"):
    st.info(run["notice"], icon=":material/info:")


def _train(budget: float, until_epoch_end: bool = False, max_batches=None) -> bool:
    """Advance the session's run; on an error (e.g. runaway firing) show it, pause, and
    return False. When the run ends by early stopping, restore its best network."""
    r = st.session_state[RUN]
    try:
        before = r["state"]
        r["state"], _ = advance_for(before, data, budget, until_epoch_end, max_batches)
        back = plateau_notice(before, r["state"])
        if back:
            r["notice"] = back
        if r["state"].stopped:
            best = r["state"]
            r["state"] = tr.restore_best(best)
            r["notice"] = (
                f"Paused: no better validation accuracy for {best.config.patience} "
                f"epochs. The best network (epoch {best.best_epoch}, "
                f"{100 * best.best_key[0]:.1f}%) is restored; Continue goes on from it."
            )
        elif r["state"].done:
            r["notice"] = f"Paused at the epoch limit ({r['state'].epoch}); Continue goes on."
        return True
    except fp.FPSNNError as exc:
        r["playing"], r["error"] = False, exc  # shown until Play or Reset
        return False


if step:
    said = run.get("notice")
    _train(0.0, until_epoch_end=True)
    if run["state"].done or run.get("notice") != said:
        st.rerun()  # buttons and notice above


def _pick(chart_key: str, target: str) -> None:
    points = st.session_state[chart_key].selection.points
    picked = [p["customdata"] for p in points if isinstance(p.get("customdata"), int)]
    if picked and picked[0] >= 0:
        st.session_state[target] = picked[0]


@st.fragment(run_every=TICK if playing else None)
def live():
    r = st.session_state[RUN]
    if r["playing"]:
        said = r.get("notice")
        ok = _train(BUDGET, max_batches=SPEEDS[speed])
        if not ok or r["state"].done:
            r["playing"] = False
            st.rerun()  # stop the timer, update the buttons
        if r.get("notice") != said:
            st.rerun()  # show the notice above the fragment
    if r.get("error") is not None:
        ui.report(r["error"])
    state = r["state"]
    per_epoch = -(-len(data.train) // state.config.batch_size)
    hist = state.history
    # the views show the network training has reached, redrawn after every slice of
    # mini-batches; the metrics and curves are the core's, at each epoch's end
    shown_json = fp.to_json(state.network)
    height = PRESENT_HEIGHT if ui.presenting() else FIRST_SCREEN_HEIGHT
    settings = evaluation_settings(config)
    ev = ui.require(ui.compute(evaluation_scene, shown_json, task, settings, height))
    left, mid, right = st.columns([1.02, 1, 1.02])
    with left:
        ui.chart(
            ev.regions,
            key="training_regions",
            on_select=lambda: _pick("training_regions", SAMPLE),
            selection_mode="points",
        )
    with mid:
        ui.chart(
            ev.network,
            key="training_network",
            on_select=lambda: _pick("training_network", NEURON),
            selection_mode="points",
        )
    with right:
        m = st.columns([1, 1.5])
        m[0].metric(
            "Epoch",
            f"{state.epoch}",
            help=f"Mini-batch {state.batch} of {per_epoch} in the current epoch.",
        )
        m[1].metric(
            "Validation accuracy",
            f"{100 * hist[-1].val_accuracy:.1f}%" if hist else "–",
            help="On the whole validation set at the last epoch end.",
        )
        rows = tuple(
            (h.epoch, h.train_loss, h.train_accuracy, h.val_loss, h.val_accuracy) for h in hist
        )
        ui.chart(
            ui.require(ui.compute(curves_chart, rows, height - 60, True, state.best_epoch)),
            key="training_curves",
        )
        st.caption(views_caption(state, per_epoch))
    _neurons(ev, shown_json, settings)
    _microscope(shown_json, settings)
    st.subheader("First output spikes and confusion")
    s1, s2 = st.columns([3, 2])
    with s1:
        ui.chart(ev.spikes, key="training_spikes")
    with s2:
        ui.chart(ev.matrix, key="training_confusion")
        n = ev.n_samples
        st.caption(
            "The first spike views use "
            + (
                "the validation set."
                if n == ev.n_validation
                else f"the first {n} of the {ev.n_validation} validation samples (the "
                "validation accuracy above uses all of them)."
            )
        )
        trained = network_json(state, data, state.best)
        st.download_button(
            "Trained network (JSON)",
            trained,
            file_name=f"fpsnn-training-{task}-network.json",
            mime="application/json",
            on_click="ignore",
            icon=":material/download:",
            key="training.download",
            help="The network with the best validation accuracy so far, with its "
            "input encoding; load it with fpsnn_core.load or evaluate it with "
            "python -m fpsnn_core evaluate.",
        )
        ui.nir_button(
            trained,
            f"fpsnn-training-{task}-network.nir",
            "Trained network (NIR)",
            key="training.download-nir",
        )


def _neurons(ev, shown_json: str, settings) -> None:
    st.subheader("Every hidden neuron's map")
    a, b = st.columns([3, 2])
    with a:
        ui.chart(
            ev.maps,
            key="training_maps",
            on_select=lambda: _pick("training_maps", NEURON),
            selection_mode="points",
        )
    with b:
        h = st.session_state.get(NEURON)
        n_hidden = sum(config.hidden)
        if h is None or not 0 <= int(h) < n_hidden:
            st.caption("Click a map (or a hidden node of the network) to see it large here.")
            return
        chart = ui.compute(neuron_map_chart, shown_json, task, settings, int(h))
        if chart is not None:
            ui.chart(chart, key="training_neuron_map")


def _microscope(shown_json: str, settings) -> None:
    st.subheader("A sample under the microscope")
    n_val = len(data.validation)
    c1, c2 = st.columns([1, 4])
    picked = controls.optional_index(
        c1,
        "Validation sample",
        0,
        n_val - 1,
        SAMPLE,
        placeholder="click a point",
        help="Click a point of the decision regions, or type its index.",
    )
    if picked is None:
        c2.caption(
            "Click a point of the data (top left) to see that sample's spikes, its output "
            "first spikes and the size of its exact gradient, and to open the same "
            "network and input on the Network and Jacobian pages."
        )
        return
    sc = ui.compute(sample_scene, shown_json, task, settings, int(picked))
    if sc is None:
        return
    with c2:
        ui.chart(sc.raster, key="training_sample_raster")
        st.caption(
            "Gradient size per layer: "
            + ", ".join(
                f"{name} {v:.3g}"
                for name, v in zip(
                    [f"hidden {i + 1}" for i in range(len(sc.layer_norms) - 1)] + ["output"],
                    sc.layer_norms,
                )
            )
            + "."
        )
    # the Network and Jacobian pages open this network and input: it becomes the picker's
    # uploaded network of this session (st.switch_page cannot be used: it clears the URL,
    # which Streamlit refuses while this page's widgets are bound to it)
    name = f"training-{task}-sample-{sc.index}.json"
    if st.session_state.get("fpsnn.upload") != (name, sc.network_json):
        open_network(name, sc.network_json)
    c1.page_link("app_pages/network.py", label="Open on the Network page", icon=":material/hub:")
    c1.page_link(
        "app_pages/jacobian.py", label="Open on the Jacobian page", icon=":material/grid_on:"
    )
    c1.caption(
        "Both open this network with this sample's input spikes (the network picker's "
        "uploaded network of this session)."
    )


live()

with st.expander("What is trained here", icon=":material/school:"):
    st.markdown(
        "A layered spiking network learns to classify by **exact gradients**: each mini-batch "
        "is simulated event by event, the first-spike cross entropy "
        "$-\\log \\mathrm{softmax}(-t/\\tau_0)_y + \\gamma(e^{t_y/\\tau_1}-1)$ is taken on the "
        "first spike time $t_c$ of each output neuron, and its gradient comes from the "
        "implicit equations of every spike before those first spikes (forward propagation, or "
        "the adjoint: the same numbers), then an Adam step. Each input value becomes one spike "
        "time between $t_{early}$ and $t_{late}$, plus a bias spike. The class is the output "
        "that fires first."
    )
    st.caption(
        f"{len(data.train)} training and {len(data.validation)} validation samples; "
        f"network {data.train.inputs.shape[1]}-{hidden}-{len(data.class_names)}, "
        f"mini-batches of {config.batch_size}, τ₀ = {config.tau_0:g}, t_max = "
        f"{config.t_max:g}."
    )
    st.caption(
        ":material/link: The page's link keeps the settings above, not the training "
        "progress: a reopened link starts again from epoch 0 (the seed makes the run "
        "repeatable)."
    )
