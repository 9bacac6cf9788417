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

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import fpsnn_core as fp
from fpsnn_core import batched as bt
from fpsnn_core import datasets as ds
from fpsnn_core import training as tr

from ..figures.training import confusion_figure, curves_figure, first_spike_figure, regions_figure
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
#: Epochs the page trains at most (no early stopping: the class watches the whole run).
PAGE_EPOCHS = 200


@dataclass(frozen=True, eq=False)
class TaskData:
    """The encoded splits of a task and what the figures need.

    Attributes
    ----------
    plane : ndarray, shape (n_val, 2) or None   validation points in the input plane (2-D tasks)
    """

    name: str
    train: tr.Split
    validation: tr.Split
    encoding: ds.Encoding
    class_names: tuple
    plane: np.ndarray | None


def with_default(choices: tuple, default) -> tuple:
    """``choices`` with the task's ``default`` added (sorted), so the slider can show the
    core's default whatever it is."""
    return tuple(sorted({*choices, default}))


def page_config(task: str, hidden: int, seed: int, lr: float, method: str) -> tr.TrainConfig:
    """The task's default configuration with the page's choices."""
    return tr.default_config(task, hidden=(int(hidden),), seed=int(seed), lr=float(lr),
                             method=method, epochs=PAGE_EPOCHS, patience=PAGE_EPOCHS)


@lru_cache(maxsize=4)
def task_data(task: str, t_early: float, t_late: float, t_bias: float) -> TaskData:
    """Load and encode a task (:func:`fpsnn_core.datasets.load_task`); memoized (the
    result is a pure function of the arguments, and its arrays are never modified)."""
    t = ds.load_task(task, t_early=t_early, t_late=t_late, t_bias=t_bias)
    split = lambda d: tr.Split(t.encoding.encode(d.values), d.labels)
    plane = t.validation.values[:, :2] if task in ("xor", "yinyang") else None
    return TaskData(task, split(t.train), split(t.validation), t.encoding, t.class_names, plane)


def plane_features(task: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Feature values of points of the input plane, shape (n, D)."""
    if task == "yinyang":
        return np.stack([x, y, 1 - x, 1 - y], axis=1)
    if task == "xor":
        return np.stack([x, y], axis=1)
    raise ValueError(f"task {task!r} has no input plane")


def advance_for(state: tr.TrainState, data: TaskData, budget: float,
                until_epoch_end: bool = False) -> tuple[tr.TrainState, tuple | None]:
    """Mini-batches until ``budget`` seconds have passed (at least one), or until the
    current epoch ends when ``until_epoch_end``; stops when training is done.

    Returns the new state and ``(epoch, network)`` at the last epoch end passed on the way
    (``None`` if none): the network the views show, the one the core validated.
    """
    t0, epoch, ended = time.perf_counter(), state.epoch, None
    while not state.done:
        before = state.epoch
        state = tr.advance(state, data.train, data.validation, 1)
        if state.epoch > before:
            ended = (state.epoch, state.network)
        if until_epoch_end:
            if state.epoch > epoch:
                break
        elif time.perf_counter() - t0 >= budget:
            break
    return state, ended


def network_json(state: tr.TrainState, data: TaskData, network: fp.Network | None = None) -> str:
    """The network (default: the current one) as the core's JSON, with its encoding."""
    cfg = state.config
    meta = {"task": data.name, "encoding": data.encoding.to_dict(),
            "classes": list(data.class_names), "outputs": list(state.network.layers[-1]),
            "config": cfg.to_dict(), "epoch": state.epoch,
            "history": [m.__dict__ for m in state.history]}
    return fp.to_json(network or state.network, t_max=cfg.t_max, meta=meta)


@dataclass(frozen=True, eq=False)
class EvalScene:
    """What one network does on the validation set.

    Attributes
    ----------
    accuracy, loss : float    on the evaluated samples
    confusion : ndarray, shape (C, C+1)
    n_samples, n_validation : int    samples evaluated (the first ones), and in the set
    grid_simulated : int      grid points simulated for the regions (0 without a plane)
    regions : Chart or None   decision regions (2-D tasks only)
    spikes : Chart            first output spike times per class
    matrix : Chart            confusion matrix
    """

    accuracy: float
    loss: float
    confusion: np.ndarray
    n_samples: int
    n_validation: int
    grid_simulated: int
    regions: Chart | None
    spikes: Chart
    matrix: Chart


def region_grid(network: fp.Network, task: str, encoding: ds.Encoding, t_max: float,
                levels: int = REFINE_LEVELS):
    """``(grid (G,), predicted (G, G), simulated)`` over the unit square, rows along ``y``:
    the class whose output fires first (``-1``: none), found coarse to fine
    (:func:`fpsnn_app.refine.refined_labels`; ``levels=0`` simulates every point)."""
    grid = np.linspace(0.0, 1.0, GRID)

    def predict(points: np.ndarray) -> np.ndarray:
        inputs = encoding.encode(plane_features(task, points[:, 0], points[:, 1]))
        return bt.simulate_batch(network, inputs, t_max).predictions()

    pred, simulated = refined_labels(predict, grid, levels)
    return grid, pred, simulated


def evaluation_settings(config: tr.TrainConfig) -> tuple:
    """``((name, value), ...)`` of :data:`EVAL_FIELDS`: with the network and the task, the
    whole input of :func:`evaluation_scene` (so a new learning rate reuses its cache)."""
    return tuple((name, getattr(config, name)) for name in EVAL_FIELDS)


def view_split(split: tr.Split, n: int = VIEW_SAMPLES) -> tr.Split:
    """The first ``n`` samples of ``split`` (all of them if it is smaller)."""
    return tr.Split(split.inputs[:n], split.labels[:n])


def evaluation_scene(network_json: str, task: str, settings: tuple) -> EvalScene:
    """Evaluate the network in ``network_json`` on the first :data:`VIEW_SAMPLES` samples of
    ``task``'s validation set and over its input plane; ``settings`` from
    :func:`evaluation_settings` (encoding, ``t_max`` and the loss's constants)."""
    net = fp.from_json(network_json).network
    cfg = tr.default_config(task, **dict(settings))
    data = task_data(task, **cfg.encoding_kwargs())
    val = view_split(data.validation)
    ev = tr.evaluate(net, val, cfg)
    names = data.class_names
    n, n_all = len(val), len(data.validation)
    of = f"{n}" if n == n_all else f"the first {n} of the {n_all}"
    silent = int(ev.confusion[:, -1].sum())
    regions, simulated = None, 0
    if data.plane is not None:
        grid, pred, simulated = region_grid(net, task, data.encoding, cfg.t_max)
        share = np.bincount(pred.ravel() + 1, minlength=len(names) + 1) / pred.size
        regions = Chart(
            regions_figure(grid, pred, data.plane, data.validation.labels, names),
            alt=f"Decision regions of the network over the input plane of {TASK_LABELS[task]}, "
                "tinted by the class whose output neuron fires first, with the validation "
                "points on top, coloured and shaped by their true class.",
            summary=f"Predicted area: " + ", ".join(
                f"{name} {100 * share[c + 1]:.0f}%" for c, name in enumerate(names))
                    + f", no spike {100 * share[0]:.0f}% ({simulated} of {pred.size} grid "
                      f"points simulated, the rest lie between points of one class). "
                      f"Points: {n_all} validation samples.")
    first = ev.first_times
    correct = ev.predictions == val.labels
    t_y = first[np.arange(n), val.labels]
    med = np.median(t_y[np.isfinite(t_y)]) if np.isfinite(t_y).any() else np.nan
    spikes = Chart(
        first_spike_figure(first, val.labels, names, cfg.t_max),
        alt="Histograms of the first spike time of each output neuron, one panel per true "
            "class; silent outputs are counted in a last bar labelled silent.",
        summary=f"The correct output fires first in {100 * ev.accuracy:.1f}% of {of} "
                f"validation samples (median first spike of the correct output "
                f"{med:.3f}); {int((~np.isfinite(first)).sum())} output responses are silent.")
    matrix = Chart(
        confusion_figure(ev.confusion, names),
        alt="Confusion matrix of the evaluated validation samples: true class down, predicted "
            "class across, with a last column for samples without a decision (no output "
            "fired, or several fired first at once).",
        summary=f"Accuracy {100 * ev.accuracy:.1f}% on {of} validation samples: "
                f"{int(correct.sum())} of {n} right; {silent} without a decision (no output "
                "spike, or a tie).")
    return EvalScene(ev.accuracy, ev.loss, ev.confusion, n, n_all, simulated, regions, spikes,
                     matrix)


def curves_chart(history: tuple) -> Chart:
    """Loss and accuracy curves from ``(epoch, train_loss, train_acc, val_loss, val_acc)``
    rows."""
    rows = np.array(history, dtype=float).reshape(-1, 5)
    e, tl, ta, vl, va = rows.T
    fig = curves_figure(e, tl, vl, ta, va)
    if rows.size:
        best = int(np.argmax(va))
        summary = (f"Epoch {int(e[-1])}: train loss {tl[-1]:.3f}, accuracy {100 * ta[-1]:.1f}%; "
                   f"validation loss {vl[-1]:.3f}, accuracy {100 * va[-1]:.1f}% (best "
                   f"{100 * va[best]:.1f}% at epoch {int(e[best])}).")
    else:
        summary = "No epoch finished yet: press Play or Step."
    return Chart(fig, alt="Training curves: loss on the left and accuracy on the right, per "
                          "epoch, training set solid with dots and validation set dashed with "
                          "squares.", summary=summary)
