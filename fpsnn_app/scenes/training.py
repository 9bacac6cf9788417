"""The Training page: data, chunks of training, and what the current network does.

The page keeps a :class:`fpsnn_core.training.TrainState` in the session and calls
:func:`advance_for` on every tick (a time budget of mini-batches, so the page stays
responsive). :func:`evaluation_scene` (cached by the page on the network's weights and
the settings that matter, :func:`evaluation_settings`) evaluates a network on a fixed
subset of the validation set and draws its decision regions (2-D tasks), the first output
spike times per class and the confusion matrix; :func:`curves_chart` draws the history.

What the views cost: each point is one simulation of the network (about 0.2 ms for the
untrained 5-120-3 Yin-Yang network on a 2-core machine, less once it fires sparsely). The
decision-region grid is found coarse to fine (:mod:`fpsnn_app.refine`; about 500 of its
37 x 37 points are simulated), and the views use the first :data:`VIEW_SAMPLES` validation
samples. The accuracy metrics and the curves are the core's, from the whole validation set
at each epoch's end.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

import fpsnn_core as fp
from fpsnn_core import batched as bt
from fpsnn_core import datasets as ds
from fpsnn_core import training as tr

from ..figures.training import confusion_figure, curves_figure, first_spike_figure, regions_figure
from ..figures.training_network import (
    network_figure,
    neuron_map_figure,
    neuron_maps_figure,
    sample_raster_figure,
)
from ..refine import refined_labels
from .common import Chart

TASK_LABELS = {"yinyang": "Yin-Yang", "xor": "XOR", "iris": "Iris"}
HIDDEN_CHOICES = (5, 10, 20, 30, 60, 120, 200)
LR_CHOICES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)
#: Points per axis of the decision-region grid (spacing 1/36).
GRID = 37
#: Halvings of the grid spacing (:func:`fpsnn_app.refine.refined_labels`): the network is
#: simulated on every second point (19 x 19) and then only beside the boundaries found there.
REFINE_LEVELS = 1
#: Validation samples the views evaluate: the first ones (a fixed subset; all of a smaller set).
VIEW_SAMPLES = 200
#: Fields of :class:`~fpsnn_core.training.TrainConfig` that change what
#: :func:`evaluation_scene` shows; the others (learning rate, method, ...) only steer training.
EVAL_FIELDS = ("t_max", "t_early", "t_late", "t_bias", "tau_0", "gamma", "tau_1")
#: Epochs without a better validation accuracy after which Play pauses (and restores the
#: best network); Continue goes on.
PAGE_PATIENCE = {"xor": 60, "iris": 40, "yinyang": 20}
#: Settings that change the running training (Adam state kept); any other starts a new run.
LIVE_FIELDS = ("lr", "method")
#: Hidden neurons whose spike count in one evaluated sample reaches this are "runaway".
RUNAWAY_SPIKES = 6
#: Grid points per axis of the hidden neurons' maps.
MAP_GRID = 19
#: Thumbnails shown at most (the hidden neurons with the largest outgoing weights).
MAX_MAPS = 12
#: Height (pixels) of the first screen's regions and network drawing, and of the curves,
#: normally and in presentation mode (larger type, a projector watched from the back row).
FIRST_SCREEN_HEIGHT = 330
PRESENT_HEIGHT = 400
#: Hidden neurons drawn at most (:func:`drawn_hidden`).
MAX_DRAWN_HIDDEN = 24
#: Synapses drawn at most per layer (the strongest by ``|w|``).
MAX_LINKS = 60


@dataclass(frozen=True, eq=False)
class PlaneView:
    """The 2-D picture of a task's inputs: the input plane itself (XOR, Yin-Yang: the first
    two features) or, for Iris (4-D), the plane of the first two principal components of
    the training set through its mean, in the scaled values ``u = (v - lo) / (hi - lo)``.

    A point ``(x, y)`` of the plane stands for the feature values ``lo + (hi - lo)
    (mean + x b_1 + y b_2)`` (:meth:`features`): the decision regions drawn over a
    projection are those on that plane only; samples lie off it, so the class the network
    gives a sample (its marker) can differ from the region under it.

    Attributes
    ----------
    axis_names : (str, str)
    x_range, y_range : (float, float)   the drawn square (all samples inside)
    points : ndarray, shape (n_val, 2)  validation samples in plane coordinates
    projected : bool
    mean, basis : ndarray, shapes (D,), (2, D)  (the identity part for the input plane)
    explained : (float, float)          variance share of each axis (projections)
    """

    axis_names: tuple
    x_range: tuple
    y_range: tuple
    points: np.ndarray
    projected: bool
    mean: np.ndarray
    basis: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    task: str
    explained: tuple = (1.0, 1.0)

    def features(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Feature values of plane points, shape (n, D)."""
        if not self.projected:
            return plane_features(self.task, x, y)
        u = self.mean + np.outer(x, self.basis[0]) + np.outer(y, self.basis[1])
        return self.lo + (self.hi - self.lo) * u

    def grid(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` coordinates along each axis over the drawn square."""
        return np.linspace(*self.x_range, n), np.linspace(*self.y_range, n)


def plane_view(
    task: str, encoding: ds.Encoding, train_values: np.ndarray, val_values: np.ndarray
) -> PlaneView:
    """:class:`PlaneView` of a task (principal components for more than two features)."""
    lo, hi = np.asarray(encoding.lo, float), np.asarray(encoding.hi, float)
    D = lo.size
    if task in ("xor", "yinyang"):
        eye = np.eye(D)[:2]
        return PlaneView(
            ("x", "y"),
            (0.0, 1.0),
            (0.0, 1.0),
            np.asarray(val_values)[:, :2],
            False,
            np.zeros(D),
            eye,
            lo,
            hi,
            task,
        )
    u_train = (np.asarray(train_values) - lo) / (hi - lo)
    mean = u_train.mean(axis=0)
    _, sv, vt = np.linalg.svd(u_train - mean, full_matrices=False)
    basis = vt[:2] * np.sign(vt[:2, [0]] + 1e-300)  # deterministic signs
    share = sv**2 / np.sum(sv**2)
    pts = ((np.asarray(val_values) - lo) / (hi - lo) - mean) @ basis.T
    all_pts = np.concatenate([(u_train - mean) @ basis.T, pts])
    centre = (all_pts.max(axis=0) + all_pts.min(axis=0)) / 2
    half = 0.55 * float((all_pts.max(axis=0) - all_pts.min(axis=0)).max())
    names = (
        f"PC1 (projection, {100 * share[0]:.0f}% of variance)",
        f"PC2 (projection, {100 * share[1]:.0f}% of variance)",
    )
    return PlaneView(
        names,
        (centre[0] - half, centre[0] + half),
        (centre[1] - half, centre[1] + half),
        pts,
        True,
        mean,
        basis,
        lo,
        hi,
        task,
        (float(share[0]), float(share[1])),
    )


@dataclass(frozen=True, eq=False)
class TaskData:
    """The encoded splits of a task and what the figures need.

    Attributes
    ----------
    view : PlaneView   the 2-D picture (input plane, or principal components for Iris)
    """

    name: str
    train: tr.Split
    validation: tr.Split
    encoding: ds.Encoding
    class_names: tuple
    view: PlaneView


def _chart(fig, alt: str, summary: str) -> Chart:
    """A :class:`Chart` of a figure built by
    :func:`fpsnn_app.figures.common.plain_figure` (cheap to copy out of ``st.cache_data``)."""
    return Chart(fig, alt=alt, summary=summary)


def with_default(choices: tuple, default) -> tuple:
    """``choices`` with the task's ``default`` added (sorted), so the slider can show the
    core's default whatever it is."""
    return tuple(sorted({*choices, default}))


def page_config(task: str, hidden: int, seed: int, lr: float, method: str) -> tr.TrainConfig:
    """The task's default configuration with the page's choices: the task's epoch limit
    and patience (Play pauses there, with the best network restored; Continue goes on)."""
    return tr.default_config(
        task,
        hidden=(int(hidden),),
        seed=int(seed),
        lr=float(lr),
        method=method,
        patience=PAGE_PATIENCE.get(task, 40),
    )


def run_key(config: tr.TrainConfig) -> str:
    """What identifies a run: everything but the settings that may change while it trains
    (:data:`LIVE_FIELDS`); a new key starts a new run."""
    doc = {k: v for k, v in config.to_dict().items() if k not in LIVE_FIELDS}
    return json.dumps(doc, sort_keys=True)


def retune(state: tr.TrainState, config: tr.TrainConfig) -> tr.TrainState:
    """The running training with the live settings of ``config`` (learning rate, gradient
    method): network, Adam moments, history and epoch are kept."""
    live = {k: getattr(config, k) for k in LIVE_FIELDS}
    if all(getattr(state.config, k) == v for k, v in live.items()):
        return state
    return replace(state, config=replace(state.config, **live))


def changed_fields(old: tr.TrainConfig, new: tr.TrainConfig) -> list[str]:
    """Human names of the run-defining settings that differ (task aside)."""
    names = {"hidden": "hidden neurons", "seed": "seed"}
    return [
        names.get(k, k)
        for k in old.to_dict()
        if k not in LIVE_FIELDS and getattr(old, k) != getattr(new, k)
    ]


@lru_cache(maxsize=4)
def task_data(task: str, t_early: float, t_late: float, t_bias: float) -> TaskData:
    """Load and encode a task (:func:`fpsnn_core.datasets.load_task`); memoized (the
    result is a pure function of the arguments, and its arrays are never modified)."""
    t = ds.load_task(task, t_early=t_early, t_late=t_late, t_bias=t_bias)
    split = lambda d: tr.Split(t.encoding.encode(d.values), d.labels)
    view = plane_view(task, t.encoding, t.train.values, t.validation.values)
    return TaskData(task, split(t.train), split(t.validation), t.encoding, t.class_names, view)


def plane_features(task: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Feature values of points of the input plane, shape (n, D)."""
    if task == "yinyang":
        return np.stack([x, y, 1 - x, 1 - y], axis=1)
    if task == "xor":
        return np.stack([x, y], axis=1)
    raise ValueError(f"task {task!r} has no input plane")


#: Play speeds: how much training one update does (label -> mini-batches, or ``None`` for
#: as many as fit in the training budget of an update).
SPEEDS = {"slow": 1, "medium": 8, "fast": None}


def advance_for(
    state: tr.TrainState,
    data: TaskData,
    budget: float,
    until_epoch_end: bool = False,
    max_batches: int | None = None,
) -> tuple[tr.TrainState, tuple | None]:
    """Mini-batches until ``budget`` seconds have passed (at least one), or until the
    current epoch ends when ``until_epoch_end``, or ``max_batches`` are done; stops when
    training is done.

    Returns the new state and ``(epoch, network)`` at the last epoch end passed on the way
    (``None`` if none): the network the views show, the one the core validated.
    """
    t0, epoch, ended, done = time.perf_counter(), state.epoch, None, 0
    while not state.done:
        before = state.epoch
        state = tr.advance(state, data.train, data.validation, 1)
        done += 1
        if state.epoch > before:
            ended = (state.epoch, state.network)
        if until_epoch_end:
            if state.epoch > epoch:
                break
        elif (
            max_batches is not None and done >= max_batches
        ) or time.perf_counter() - t0 >= budget:
            break
    return state, ended


#: The core's rule for a better validation result (:func:`fpsnn_core.training.end_epoch`),
#: in words: what the pause, the best network and the curves' dotted line all follow.
BETTER = "a higher accuracy, or the same accuracy with a lower loss"


def retune_notice(state: tr.TrainState) -> str | None:
    """What to say when the learning rate or the gradient method changes during a run;
    ``None`` before the run has trained (a fresh link with these settings shows the same)."""
    if state.epoch == 0 and state.batch == 0:
        return None
    how = "FP" if state.config.method == "fp" else "the adjoint"
    return (
        f"Learning rate {state.config.lr:g}, gradient by {how}: the same run goes on with "
        f"them from epoch {state.epoch}, mini-batch {state.batch}."
    )


def views_caption(state: tr.TrainState, per_epoch: int) -> str:
    """Which network the views show (the one training has reached, redrawn while it trains)
    and where the metric and the curves come from."""
    restored = (
        state.batch == 0
        and state.network is state.best
        and state.history
        and state.best_epoch != state.epoch
    )
    which = (
        f"the best network (epoch {state.best_epoch}), restored"
        if restored
        else f"the network after {state.epoch} epoch{'s' * (state.epoch != 1)}"
        + (f" and {state.batch} of {per_epoch} mini-batches" if state.batch else "")
    )
    return f"Views: {which}. Validation accuracy and curves: at each epoch's end."


def plateau_notice(before: tr.TrainState, after: tr.TrainState) -> str | None:
    """What to tell the lecturer when the core went back to the best network ((R3) of
    :mod:`fpsnn_core.training`) between ``before`` and ``after``; ``None`` if it did not."""
    back = [m for m in after.history[len(before.history) :] if m.restored]
    if not back:
        return None
    cfg = after.config
    return (
        f"Epoch {back[-1].epoch}: no better validation result for {cfg.plateau} epochs, "
        f"so training went back to the best network (epoch {after.best_epoch}, "
        f"{100 * after.best_key[0]:.1f}%) and goes on from it with the step size times "
        f"{cfg.plateau_factor:g} (now {after.lr_scale:g} of the learning rate)."
    )


def network_json(state: tr.TrainState, data: TaskData, network: fp.Network | None = None) -> str:
    """The network (default: the current one) as the core's JSON, with its encoding."""
    cfg = state.config
    meta = {
        "task": data.name,
        "encoding": data.encoding.to_dict(),
        "classes": list(data.class_names),
        "outputs": list(state.network.layers[-1]),
        "config": cfg.to_dict(),
        "epoch": state.epoch,
        "history": [m.__dict__ for m in state.history],
    }
    return fp.to_json(network or state.network, t_max=cfg.t_max, meta=meta)


@dataclass(frozen=True, eq=False)
class EvalScene:
    """What one network does on the validation set.

    Attributes
    ----------
    accuracy, loss : float    on the evaluated samples
    confusion : ndarray, shape (C, C+1)
    predictions : ndarray, shape (n_validation,)  class of each validation sample (-1: none)
    n_samples, n_validation : int    samples evaluated (the first ones), and in the set
    grid_simulated : int      grid points simulated for the regions
    regions : Chart           decision regions over the plane (or the projection)
    spikes : Chart            first output spike times per class
    matrix : Chart            confusion matrix
    network : Chart           the network drawn: nodes, links by weight
    maps : Chart              thumbnails: hidden neurons' first spike over the plane
    silent, runaway : tuple of int   hidden neurons (indices in the hidden layer)
    """

    accuracy: float
    loss: float
    confusion: np.ndarray
    predictions: np.ndarray
    n_samples: int
    n_validation: int
    grid_simulated: int
    regions: Chart
    spikes: Chart
    matrix: Chart
    network: Chart
    maps: Chart
    silent: tuple
    runaway: tuple


def region_grid(
    network: fp.Network,
    view: PlaneView,
    encoding: ds.Encoding,
    t_max: float,
    levels: int = REFINE_LEVELS,
):
    """``(xs, ys, predicted (G, G), simulated, hidden)`` over the view's square, rows along
    ``y``: the class whose output fires first (``-1``: none), found coarse to fine
    (:func:`fpsnn_app.refine.refined_labels`; ``levels=0`` simulates every point).
    ``hidden`` (H, g, g) holds every hidden neuron's first spike time (``inf``: silent) on
    the coarse grid (every ``2**levels``-th point), which the first simulation gives anyway:
    the neurons' maps."""
    unit = np.linspace(0.0, 1.0, GRID)
    (x0, x1), (y0, y1) = view.x_range, view.y_range
    hidden = []

    def predict(points: np.ndarray) -> np.ndarray:
        x, y = x0 + (x1 - x0) * points[:, 0], y0 + (y1 - y0) * points[:, 1]
        run = bt.simulate_batch(network, encoding.encode(view.features(x, y)), t_max)
        if not hidden:  # the coarse grid, row-major (y, then x)
            hidden.append(np.concatenate([s.times[:, :, 0] for s in run.layers[:-1]], axis=1))
        return run.predictions()

    pred, simulated = refined_labels(predict, unit, levels)
    xs, ys = view.grid(GRID)
    g = (GRID - 1) // 2**levels + 1
    return xs, ys, pred, simulated, hidden[0].T.reshape(-1, g, g)


def evaluation_settings(config: tr.TrainConfig) -> tuple:
    """``((name, value), ...)`` of :data:`EVAL_FIELDS`: with the network and the task, the
    whole input of :func:`evaluation_scene` (so a new learning rate reuses its cache)."""
    return tuple((name, getattr(config, name)) for name in EVAL_FIELDS)


def view_split(split: tr.Split, n: int = VIEW_SAMPLES) -> tr.Split:
    """The first ``n`` samples of ``split`` (all of them if it is smaller)."""
    return tr.Split(split.inputs[:n], split.labels[:n])


def hidden_activity(run: bt.BatchRun) -> tuple[np.ndarray, np.ndarray]:
    """Per hidden neuron (all hidden layers in order): samples in which it fires, and its
    largest spike count in one sample."""
    counts = np.concatenate([np.isfinite(s.times).sum(axis=2) for s in run.layers[:-1]], axis=1)
    return (counts > 0).sum(axis=0), counts.max(axis=0, initial=0)


def hidden_maps(
    network: fp.Network, view: PlaneView, encoding: ds.Encoding, t_max: float, n: int = MAP_GRID
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xs, ys, maps (H, n, n))``: each hidden neuron's first spike time over the view's
    square (``inf`` where it stays silent), one batched simulation of the ``n x n`` grid."""
    xs, ys = view.grid(n)
    X, Y = np.meshgrid(xs, ys)
    run = bt.simulate_batch(network, encoding.encode(view.features(X.ravel(), Y.ravel())), t_max)
    first = np.concatenate([s.times[:, :, 0] for s in run.layers[:-1]], axis=1)  # (n*n, H)
    return xs, ys, first.T.reshape(-1, n, n)


def strongest_hidden(network: fp.Network, k: int) -> np.ndarray:
    """The ``k`` hidden neurons (indices among all hidden neurons) with the largest summed
    ``|w|`` of their outgoing synapses, in index order."""
    layers = bt.layers_of(network)
    out = np.concatenate(
        [np.abs(layers[l + 1].weights).sum(axis=1) for l in range(len(layers) - 1)]
    )
    return np.sort(np.argsort(-out, kind="stable")[:k])


def drawn_hidden(
    network: fp.Network, fired: np.ndarray, max_count: np.ndarray, k: int = MAX_DRAWN_HIDDEN
) -> np.ndarray:
    """Hidden neurons to draw when there are more than ``k``: up to ``k // 3`` silent or
    runaway ones (they must stand out), the rest the strongest by outgoing ``|w|``; sorted."""
    H = fired.size
    if H <= k:
        return np.arange(H)
    odd = np.flatnonzero((fired == 0) | (max_count >= RUNAWAY_SPIKES))[: k // 3]
    order = np.argsort(
        -np.concatenate([np.abs(l.weights).sum(axis=1) for l in bt.layers_of(network)[1:]]),
        kind="stable",
    )
    rest = [h for h in order if h not in set(odd)][: k - odd.size]
    return np.sort(np.concatenate([odd, rest]).astype(int))


def network_chart(
    network: fp.Network,
    class_names,
    fired: np.ndarray,
    max_count: np.ndarray,
    n_samples: int,
    selected: int | None = None,
    height: int = FIRST_SCREEN_HEIGHT,
) -> Chart:
    """The network drawn (:func:`~fpsnn_app.figures.training_network.network_figure`): at
    most :data:`MAX_DRAWN_HIDDEN` hidden neurons (:func:`drawn_hidden`) and per layer at
    most :data:`MAX_LINKS` synapses among the drawn neurons, the strongest by ``|w|``."""
    layers = bt.layers_of(network)
    K = network.n_inputs
    H = fired.size
    show = drawn_hidden(network, fired, max_count)
    # per layer: the drawn nodes, as indices within the layer (inputs and outputs: all)
    starts = np.cumsum([0] + [len(l.neurons) for l in layers[:-1]])
    keep = [np.arange(K)]
    for li, layer in enumerate(layers[:-1]):
        keep.append(
            show[(show >= starts[li]) & (show < starts[li] + len(layer.neurons))] - starts[li]
        )
    keep.append(np.arange(len(layers[-1].neurons)))
    rows, total, drawn_total = [], 0, 0
    for l, layer in enumerate(layers):
        src, dst = keep[l], keep[l + 1]
        sub_w, sub_m = layer.weights[np.ix_(src, dst)], layer.mask[np.ix_(src, dst)]
        j, i = np.nonzero(sub_m)
        w = sub_w[j, i]
        on = np.zeros(w.size, bool)
        on[np.argsort(-np.abs(w), kind="stable")[:MAX_LINKS]] = True
        rows.append(np.stack([np.full(w.size, l), j, i, w, on], axis=1))
        total += int(layer.mask.sum())
        drawn_total += int(on.sum())
    links = np.concatenate(rows) if rows else np.zeros((0, 5))
    names = [[f"input {j}" if j < K - 1 else "bias input" for j in range(K)]]
    kinds = [["input"] * K]
    hover = [list(names[0])]
    for li in range(len(layers) - 1):
        idx = keep[li + 1] + starts[li]
        names.append([f"h{h}" for h in idx])
        kinds.append(
            [
                "silent"
                if fired[h] == 0
                else "runaway"
                if max_count[h] >= RUNAWAY_SPIKES
                else "normal"
                for h in idx
            ]
        )
        hover.append(
            [
                f"h{h}: fires in {fired[h]} of {n_samples} samples, at most "
                f"{max_count[h]} spikes in one (click: its map)"
                for h in idx
            ]
        )
    C = len(class_names)
    names.append([f"output {c}" for c in class_names])
    kinds.append([f"output{c}" for c in range(C)])
    hover.append([f"output neuron of class {c}" for c in class_names])
    sizes = [len(k) for k in keep]
    shown = (
        ""
        if show.size == H
        else f"{show.size} of {H} hidden neurons drawn (the silent and runaway ones first, then "
        "those with the largest outgoing weights); "
    )
    note = shown + (
        "all their synapses"
        if drawn_total == total
        else f"the {drawn_total} strongest of {total} synapses"
    )
    fig = network_figure(sizes, links, names, kinds, hover, note, None, height=height)
    # node clicks carry the neuron's index among all hidden neurons
    silent = int(np.sum(fired == 0))
    runaway = int(np.sum((fired > 0) & (max_count >= RUNAWAY_SPIKES)))
    arch = "-".join(map(str, [K] + [len(l.neurons) for l in layers]))
    return _chart(
        fig,
        alt=f"The {arch} network: inputs, hidden and output neurons as nodes in "
        "columns, synapses as links, blue solid for positive and orange "
        "dashed for negative weights, wider for larger |w|; silent hidden "
        "neurons are crosses and runaway ones stars.",
        summary=f"Network {arch}: {note}; width grows with |w|, blue solid positive, "
        f"orange dashed negative. Hidden neurons silent on all {n_samples} "
        f"evaluated samples: {silent} of {H}; runaway (≥ {RUNAWAY_SPIKES} "
        f"spikes in a sample): {runaway}. Click a hidden node for its map.",
    )


def evaluation_scene(
    network_json: str, task: str, settings: tuple, height: int = FIRST_SCREEN_HEIGHT
) -> EvalScene:
    """Evaluate the network in ``network_json`` on the first :data:`VIEW_SAMPLES` samples of
    ``task``'s validation set and over its plane (or projection); ``settings`` from
    :func:`evaluation_settings` (encoding, ``t_max`` and the loss's constants); ``height``:
    of the regions and the network drawing."""
    net = fp.from_json(network_json).network
    cfg = tr.default_config(task, **dict(settings))
    data = task_data(task, **cfg.encoding_kwargs())
    view = data.view
    val = view_split(data.validation)
    try:  # one simulation for the evaluation and the hidden neurons' activity
        run = bt.simulate_batch(net, val.inputs, cfg.t_max)
        ev = tr.scored(run.first_times, val.labels, cfg)
        fired, max_count = hidden_activity(run)
    except fp.RunawayFiringError:  # some sample exceeds the spike bound
        ev = tr.evaluate(net, val, cfg)  # sample by sample, runaways counted silent
        H = sum(len(l) for l in net.layers[:-1])
        fired, max_count = np.full(H, len(val)), np.full(H, bt.MAX_SPIKES_PER_NEURON)
    names = data.class_names
    n, n_all = len(val), len(data.validation)
    of = f"{n}" if n == n_all else f"the first {n} of the {n_all}"
    silent_samples = int(ev.confusion[:, -1].sum())
    xs, ys, pred, simulated, coarse_maps = region_grid(net, view, data.encoding, cfg.t_max)
    share = np.bincount(pred.ravel() + 1, minlength=len(names) + 1) / pred.size
    wrong = int((ev.predictions != val.labels).sum())
    where = (
        f"the plane of the first two principal components through the mean of the "
        f"training set ({100 * sum(view.explained):.0f}% of the variance); samples lie "
        "off this plane, so a marker's ring (the network's own answer for it) can differ "
        "from the region under it"
        if view.projected
        else "the input plane"
    )
    regions = _chart(
        regions_figure(
            xs,
            ys,
            pred,
            view.points[:n],
            val.labels,
            names,
            view.axis_names,
            ev.predictions,
            height=height,
        ),
        alt=f"Decision regions of the network over {where.split(';')[0]} of "
        f"{TASK_LABELS[task]}, tinted by the class whose output neuron fires first, with "
        "the validation points on top, coloured and shaped by their true class, "
        "misclassified ones ringed.",
        summary=f"Regions over {where}. Predicted area: "
        + ", ".join(f"{name} {100 * share[c + 1]:.0f}%" for c, name in enumerate(names))
        + f", no spike {100 * share[0]:.0f}%. Points: {of} validation samples, "
        f"{wrong} misclassified (ringed). Click a point to put it under the "
        "microscope.",
    )
    first = ev.first_times
    correct = ev.predictions == val.labels
    t_y = first[np.arange(n), val.labels]
    med = np.median(t_y[np.isfinite(t_y)]) if np.isfinite(t_y).any() else np.nan
    spikes = _chart(
        first_spike_figure(first, val.labels, names, cfg.t_max),
        alt="Histograms of the first spike time of each output neuron, one panel per true "
        "class, the outputs' bars side by side; silent outputs are counted in a last bar "
        "labelled silent.",
        summary=f"The correct output fires first in {100 * ev.accuracy:.1f}% of {of} "
        f"validation samples (median first spike of the correct output "
        f"{med:.3f}); {int((~np.isfinite(first)).sum())} output responses are silent.",
    )
    matrix = _chart(
        confusion_figure(ev.confusion, names),
        alt="Confusion matrix of the evaluated validation samples: true class down, predicted "
        "class across, with a last column for samples without a decision (no output "
        "fired, or several fired first at once).",
        summary=f"Accuracy {100 * ev.accuracy:.1f}% on {of} validation samples: "
        f"{int(correct.sum())} of {n} right; {silent_samples} without a decision (no "
        "output spike, or a tie).",
    )
    network = network_chart(net, names, fired, max_count, n, height=height)
    mx, my, maps = xs[:: 2**REFINE_LEVELS], ys[:: 2**REFINE_LEVELS], coarse_maps
    show = strongest_hidden(net, MAX_MAPS)
    H = maps.shape[0]
    silent_ids = tuple(int(h) for h in np.flatnonzero(fired == 0))
    runaway_ids = tuple(int(h) for h in np.flatnonzero(max_count >= RUNAWAY_SPIKES))
    which = (
        "every hidden neuron"
        if H <= MAX_MAPS
        else f"the {MAX_MAPS} of {H} hidden neurons with the largest outgoing weights"
    )
    maps_chart = _chart(
        neuron_maps_figure(mx, my, maps[show], show, cfg.t_max),
        alt=f"Small maps, one per hidden neuron ({which}): its first spike time over "
        f"{'the projection plane' if view.projected else 'the input plane'}, dark early, "
        "light late, blank where it stays silent.",
        summary=f"Maps of {which} over {'the PC1/PC2 plane' if view.projected else 'the input plane'} "
        f"({MAP_GRID}x{MAP_GRID} points): dark = early first spike, light = late, blank "
        f"= silent. Silent on the evaluated samples: "
        f"{', '.join(f'h{h}' for h in silent_ids[:12]) or 'none'}"
        f"{' ...' if len(silent_ids) > 12 else ''}; runaway: "
        f"{', '.join(f'h{h}' for h in runaway_ids[:12]) or 'none'}. Click a map or a "
        "node to enlarge it.",
    )
    return EvalScene(
        ev.accuracy,
        ev.loss,
        ev.confusion,
        ev.predictions,
        n,
        n_all,
        simulated,
        regions,
        spikes,
        matrix,
        network,
        maps_chart,
        silent_ids,
        runaway_ids,
    )


def neuron_map_chart(network_json: str, task: str, settings: tuple, neuron: int) -> Chart:
    """One hidden neuron's first spike time over the plane, large (``neuron`` counts all
    hidden neurons in order)."""
    net = fp.from_json(network_json).network
    cfg = tr.default_config(task, **dict(settings))
    data = task_data(task, **cfg.encoding_kwargs())
    xs, ys, maps = hidden_maps(net, data.view, data.encoding, cfg.t_max, n=2 * MAP_GRID - 1)
    if not 0 <= neuron < maps.shape[0]:
        raise ValueError(f"there is no hidden neuron h{neuron} (0..{maps.shape[0] - 1})")
    m = maps[neuron]
    silent = float(np.mean(~np.isfinite(m)))
    fig = neuron_map_figure(
        xs,
        ys,
        m,
        cfg.t_max,
        data.view.points,
        data.validation.labels,
        data.class_names,
        data.view.axis_names,
        f"Hidden neuron h{neuron}: first spike time",
    )
    fin = m[np.isfinite(m)]
    return _chart(
        fig,
        alt=f"Map of hidden neuron h{neuron}: its first spike time over the "
        "plane (cividis), blank where silent, validation points on top.",
        summary=f"h{neuron} is silent on {100 * silent:.0f}% of the plane"
        + (f"; first spikes from {fin.min():.3f} to {fin.max():.3f}." if fin.size else "."),
    )


@dataclass(frozen=True, eq=False)
class SampleScene:
    """One validation sample under the microscope.

    Attributes
    ----------
    index, label, predicted : int
    first_times : ndarray, shape (C,)   output first spikes (``inf``: silent)
    loss : float
    grad_norm : float                   ``||dLoss/dW||`` (Frobenius), exact (FP)
    layer_norms : tuple of float        the same per layer of weights
    raster : Chart
    network_json : str                  the network with this sample's input spikes and
        ``t_max`` (what the Network and Jacobian pages open)
    n_spikes : int                      spikes of the general simulator on ``[0, t_max]``
    """

    index: int
    label: int
    predicted: int
    first_times: np.ndarray
    loss: float
    grad_norm: float
    layer_norms: tuple
    raster: Chart
    network_json: str
    n_spikes: int


def sample_inputs(inputs_row: np.ndarray) -> list[list[float]]:
    """One encoded sample as the general simulator's inputs (one spike per channel)."""
    return [[float(t)] for t in inputs_row]


def sample_scene(network_json: str, task: str, settings: tuple, index: int) -> SampleScene:
    """Validation sample ``index``: its spikes by the general simulator
    (:func:`fpsnn_core.simulate`), its output first spikes, the class the training's
    prediction rule gives (:func:`fpsnn_core.batched.predict`: no decision on a tie), and
    the loss the training minimises with the size of its exact gradient
    (:func:`fpsnn_core.training.batch_gradient`, FP: the task's silent-output rule and
    margin included)."""
    loaded = fp.from_json(network_json)
    net = loaded.network
    cfg = tr.default_config(task, **dict(settings))
    data = task_data(task, **cfg.encoding_kwargs())
    if not 0 <= index < len(data.validation):
        raise ValueError(f"there is no validation sample {index} (0..{len(data.validation) - 1})")
    x, label = data.validation.inputs[index], int(data.validation.labels[index])
    inputs = sample_inputs(x)
    sim = fp.simulate(net, inputs, cfg.t_max)
    # the training's own loss (its silent-output rule and margin) and prediction rule
    g = tr.batch_gradient(net, x[None], np.array([label]), replace(cfg, method="fp"))
    first = g.first_times[0]
    predicted = int(bt.predict(first[None])[0])
    layers = bt.layers_of(net)
    norms = tuple(float(np.linalg.norm(g.gradient[np.ix_(l.sources, l.neurons)])) for l in layers)
    K = net.n_inputs
    groups = [
        (
            "inputs",
            [f"in {j}" if j < K - 1 else "bias" for j in range(K)],
            [np.array(t) for t in inputs],
        )
    ]
    for li, layer in enumerate(layers):
        last = li == len(layers) - 1
        labs = (
            [f"out {c}" for c in data.class_names]
            if last
            else [
                f"h{h}"
                for h in range(
                    sum(len(l.neurons) for l in layers[:li]),
                    sum(len(l.neurons) for l in layers[: li + 1]),
                )
            ]
        )
        times = [sim.spike_times[sim.spike_neurons == i] for i in layer.neurons]
        groups.append(("outputs" if last else "hidden", labs, times))
    names = data.class_names
    pred_name = names[predicted] if predicted >= 0 else "none (no output spike)"
    fig = sample_raster_figure(groups, cfg.t_max, first, names)
    summary = (
        f"Sample {index} (class {names[label]}): predicted {pred_name}; output first "
        "spikes "
        + ", ".join(
            f"{n} {t:.3f}" if np.isfinite(t) else f"{n} silent" for n, t in zip(names, first)
        )
        + f"; loss {float(g.losses[0]):.4f}; |dLoss/dW| = "
        f"{float(np.linalg.norm(g.gradient)):.3g} (exact, FP)."
    )
    raster = _chart(
        fig,
        alt=f"Spike raster of validation sample {index}: a row per neuron, "
        "inputs, hidden and output neurons, with the output first spikes "
        "marked large in their class colour.",
        summary=summary,
    )
    meta = {
        "outputs": [int(i) for i in layers[-1].neurons],
        "task": task,
        "sample": int(index),
        "label": label,
        "classes": list(names),
    }
    return SampleScene(
        index,
        label,
        predicted,
        first,
        float(g.losses[0]),
        float(np.linalg.norm(g.gradient)),
        norms,
        raster,
        fp.to_json(net, inputs, cfg.t_max, meta=meta),
        int(sim.spike_times.size),
    )


def curves_chart(
    history: tuple, height: int = 360, stacked: bool = False, best_epoch: int | None = None
) -> Chart:
    """Loss and accuracy curves from ``(epoch, train_loss, train_acc, val_loss, val_acc)``
    rows; ``best_epoch`` is the training's best network (the core's rule, :data:`BETTER`:
    ties in accuracy go to the lower loss), default the first epoch of highest accuracy."""
    rows = np.array(history, dtype=float).reshape(-1, 5)
    e, tl, ta, vl, va = rows.T
    at = np.flatnonzero(e == best_epoch) if best_epoch else np.zeros(0, int)
    best = int(at[0]) if at.size else int(np.argmax(va)) if rows.size else None
    fig = curves_figure(
        e,
        tl,
        vl,
        ta,
        va,
        height=height,
        stacked=stacked,
        best_epoch=int(e[best]) if best is not None else None,
    )
    if rows.size:
        summary = (
            f"Epoch {int(e[-1])}: train loss {tl[-1]:.3f}, accuracy {100 * ta[-1]:.1f}%; "
            f"validation loss {vl[-1]:.3f}, accuracy {100 * va[-1]:.1f}%. Best network "
            f"(dotted line): epoch {int(e[best])}, validation accuracy "
            f"{100 * va[best]:.1f}%, loss {vl[best]:.3f}."
        )
    else:
        summary = "No epoch finished yet: press Play or Step."
    return _chart(
        fig,
        alt="Training curves: loss on the left and accuracy on the right, per "
        "epoch, training set solid with dots and validation set dashed with "
        "squares.",
        summary=summary,
    )
