"""The Training page: data, chunks of training, and what the current network does.

The page keeps a :class:`fpsnn_core.training.TrainState` in the session and calls
:func:`advance_for` on every tick (a time budget of mini-batches, so the page stays
responsive). :func:`evaluation_scene` (cached by the page on the network's JSON) evaluates
a network on the validation set and draws its decision regions (2-D tasks), the first
output spike times per class and the confusion matrix; :func:`curves_chart` draws the
history.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import fpsnn_core as fp
from fpsnn_core import batched as bt
from fpsnn_core import datasets as ds
from fpsnn_core import training as tr

from ..figures.training import confusion_figure, curves_figure, first_spike_figure, regions_figure
from .common import Chart

TASK_LABELS = {"yinyang": "Yin-Yang", "xor": "XOR", "iris": "Iris"}
HIDDEN_CHOICES = (5, 10, 20, 30, 60, 120, 200)
LR_CHOICES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)
#: Points per axis of the decision-region grid.
GRID = 41
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
                until_epoch_end: bool = False) -> tr.TrainState:
    """Mini-batches until ``budget`` seconds have passed (at least one), or until the
    current epoch ends when ``until_epoch_end``; stops when training is done."""
    t0, epoch = time.perf_counter(), state.epoch
    while not state.done:
        state = tr.advance(state, data.train, data.validation, 1)
        if until_epoch_end:
            if state.epoch > epoch:
                break
        elif time.perf_counter() - t0 >= budget:
            break
    return state


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
    accuracy, loss : float
    confusion : ndarray, shape (C, C+1)
    regions : Chart or None   decision regions (2-D tasks only)
    spikes : Chart            first output spike times per class
    matrix : Chart            confusion matrix
    """

    accuracy: float
    loss: float
    confusion: np.ndarray
    regions: Chart | None
    spikes: Chart
    matrix: Chart


def region_grid(network: fp.Network, task: str, encoding: ds.Encoding, t_max: float):
    """``(grid (G,), predicted (G, G))`` over the unit square, rows along ``y``."""
    grid = np.linspace(0.0, 1.0, GRID)
    X, Y = np.meshgrid(grid, grid)
    inputs = encoding.encode(plane_features(task, X.ravel(), Y.ravel()))
    pred = bt.simulate_batch(network, inputs, t_max).predictions()
    return grid, pred.reshape(GRID, GRID)


def evaluation_scene(json_text: str, task: str, config_json: str) -> EvalScene:
    """Evaluate the network in ``json_text`` (with its ``meta`` encoding) on ``task``'s
    validation set, with the configuration ``config_json`` (:meth:`TrainConfig.to_dict`)."""
    nf = fp.from_json(json_text)
    cfg = tr.TrainConfig.from_dict(json.loads(config_json))
    data = task_data(task, **cfg.encoding_kwargs())
    ev = tr.evaluate(nf.network, data.validation, cfg)
    names = data.class_names
    n = len(data.validation)
    silent = int(ev.confusion[:, -1].sum())
    regions = None
    if data.plane is not None:
        grid, pred = region_grid(nf.network, task, data.encoding, cfg.t_max)
        share = np.bincount(pred.ravel() + 1, minlength=len(names) + 1) / pred.size
        regions = Chart(
            regions_figure(grid, pred, data.plane, data.validation.labels, names),
            alt=f"Decision regions of the network over the input plane of {TASK_LABELS[task]}, "
                "tinted by the class whose output neuron fires first, with the validation "
                "points on top, coloured and shaped by their true class.",
            summary=f"Predicted area: " + ", ".join(
                f"{name} {100 * share[c + 1]:.0f}%" for c, name in enumerate(names))
                    + f", no spike {100 * share[0]:.0f}%. Points: {n} validation samples.")
    first = ev.first_times
    correct = ev.predictions == data.validation.labels
    med = np.median(first[np.arange(n), data.validation.labels][np.isfinite(
        first[np.arange(n), data.validation.labels])]) if np.isfinite(first).any() else np.nan
    spikes = Chart(
        first_spike_figure(first, data.validation.labels, names, cfg.t_max),
        alt="Histograms of the first spike time of each output neuron, one panel per true "
            "class; silent outputs are counted in a last bar labelled silent.",
        summary=f"The correct output fires first in {100 * ev.accuracy:.1f}% of the {n} "
                f"validation samples (median first spike of the correct output "
                f"{med:.3f}); {int((~np.isfinite(first)).sum())} output responses are silent.")
    matrix = Chart(
        confusion_figure(ev.confusion, names),
        alt="Confusion matrix of the validation set: true class down, predicted class across, "
            "with a last column for samples where no output fired.",
        summary=f"Validation accuracy {100 * ev.accuracy:.1f}%: {int(correct.sum())} of {n} "
                f"right; {silent} without any output spike.")
    return EvalScene(ev.accuracy, ev.loss, ev.confusion, regions, spikes, matrix)


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
