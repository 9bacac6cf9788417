"""Training layered spiking networks with exact gradients: Adam on mini-batches.

One training step (one mini-batch of ``B`` samples):

1. simulate the batch and take the mean first-spike cross entropy and its exact gradient
   ``g = dLoss/dW`` (:func:`fpsnn_core.batched.loss_and_gradient`, FP or the adjoint);
2. Adam (Kingma & Ba 2015) with ``t`` the step count::

       m <- beta_1 m + (1 - beta_1) g,    v <- beta_2 v + (1 - beta_2) g^2
       W <- W - lr * (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + eps)      (A1)

3. **dead-neuron recovery** ("weight bumping", as in Goeltz et al. 2021): the exact
   gradient of a first-spike loss cannot revive a neuron that does not fire (it has no
   spike time to differentiate). So after the Adam step every output neuron that stayed
   silent on a sample of its own class, and every hidden neuron that fired in no sample of
   the batch, gets ``bump`` added to all its incoming weights. Silent *wrong* outputs are
   left alone: silence is a correct answer for them. The bump is outside the gradient and
   acts only on silent neurons.
4. optionally (``bump_guard``), on a step where a neuron is bumped its incoming weights
   may only go up, and its Adam first moment is reset::

       W_ji <- max(W_ji after (A1), W_ji before (A1))   and   m_ji <- 0   for bumped i   (R1)

Why (R1): left training at a constant step size, Iris (seed 0, 5-30-3, lr 0.02) reached
100 % validation accuracy and then collapsed to 37-63 % with output neurons silent on their
own class. Adam's step is about ``lr`` per weight whatever the size of the gradient (it
divides by the gradient's running RMS), so once every sample is right the tiny remaining
gradients still move the weights by full steps. Those gradients are one-sided: the cross
entropy keeps pushing the *wrong* outputs later, i.e. their incoming weights down, and the
correct output's pull has saturated. The outputs' weights drift down until an output falls
silent on a sample of its own class, and silence is absorbing: a silent output has no spike
time, so that sample gives no gradient back, while the samples where the neuron still fires
wrongly keep pushing it down by ``lr`` per step, four times the bump (0.005). (R1) lets the
bump win on the steps where it acts.

5. optionally (``margin > 0``), a sample that is already classified with room to spare,
   by (L3) of :func:`fpsnn_core.batched.settled_samples`, gives no gradient and leaves the
   mini-batch's mean (R2).

Why (R2): (R1) alone does not stop the drift that leads to the collapse, it only undoes it
where it has already silenced a neuron. The drift comes from the samples that are right
already: the cross entropy never reaches zero, so they keep pushing, and Adam turns their
tiny, one-sided gradients into full steps. Under (R2) they stop pushing; only samples that
are wrong or close to the boundary move the weights. Measured on Iris left training for 300
epochs (``bench/iris_long_run.py``, validation accuracy, README), (R2) with margins 0.2 and
0.5 still let runs fall 6.7-50 points below their best at a constant step size and learned
worse with a decaying one; what keeps Iris stable is (R1) with a step size that decays
after epoch 50 (bounding the total drift), so (R2) is off by default.

6. optionally (``plateau > 0``), **back to the best network** when validation stops
   improving: after ``plateau`` epochs without a better validation result (the rule of
   early stopping below, counted from the best epoch, from the last time this happened or
   from ``plateau_start``, whichever is latest), the run goes on from its best network
   with Adam's first moment dropped and the step size multiplied by ``plateau_factor``::

       W <- W_best,   m <- 0,   s <- plateau_factor * s,
       step size of epoch e = s * lr * lr_decay**max(0, e - lr_decay_start)      (R3)

   with ``s = 1`` at the start (``TrainState.lr_scale``).

Why (R3): with (R1) and the decaying step size no Iris run collapses any more, but three of
the first five seeds left training for 300 epochs ended one validation flower (3.3 points)
below a peak reached early, while the step size was still large, and never regained it: the
network went on fitting the training set and moved a boundary across a validation flower.
(R3) is the learning-rate-on-plateau schedule with the best weights restored: each time
training wanders off without improving it restarts from the best network with smaller
steps, so a run left training settles at (or above) its best instead of drifting from it.
It counts epochs from ``plateau_start`` on, so that a run first learns undisturbed: Iris
uses 20 epochs from epoch 50 (where its step size starts to decay), and all ten seeds end at
their best validation accuracy (README). Counted from epoch 0, restarts from a network that
had not learned yet cost validation accuracy (one of ten runs of 150 epochs fell from
96.7 % to 80 %); with 10 epochs, one long run went back to its epoch-1 network and stayed.

7. optionally (``revive > 0``), **silent label outputs revived along their potential**:
   for a sample ``s`` of class ``c`` on which output ``c`` stayed silent, its potential
   ``V_c(t) = sum_j W_jc y_j(t)``, with ``y_j(t) = sum_k h(t - p_jk)`` the summed kernel of
   the spikes ``p_jk`` of neuron ``j`` of the layer below, peaks below ``theta`` at ``t*``
   (the maximum over the ``REVIVE_GRID`` times in ``[0, t_max]`` after its first input). The incoming weights of
   ``c`` move along the gradient of that peak, by the step that raises it by ``revive``::

       dW_jc = revive * mean_s  y_j^s(t*_s) / sum_i y_i^s(t*_s)^2                   (R4)

   (mean over the batch's samples of class ``c`` with ``c`` silent; added after Adam's
   step, computed on the network before it). Unlike the bump, which adds the same amount
   to all of ``c``'s weights and so makes ``c`` fire earlier on the samples of every
   class, (R4) raises the weights from the neurons that were active in the silent sample,
   by as much as they contributed to its peak: a pseudo-gradient where the exact one does
   not exist.

Why (R4): on Yin-Yang (``bench/yinyang_diagnose.py``, docs/yinyang_diagnosis.md) the runs
that stall near 96 % are those in which the output bump makes most of the change of the
output weights (its share of their L1 change, epochs 3-15: 0.49-0.76 on the stalled seeds,
0.09-0.25 on the others); without any output bump the silent label outputs accumulate
(up to 5 % of the samples) and the runs stall for the opposite reason.

8. optionally (``ema > 0``), **the average of the weights is validated and kept**: after
   step ``k`` (all of the above) with weights ``W_k``, and with ``d = ema``::

       S_k = d S_(k-1) + (1 - d) W_k,  S_0 = 0,    W_avg = S_k / (1 - d^k)           (R5)

   ``W_avg`` is the mean of the weights after each step so far, weighted by ``d^(k-i)`` (an
   exponential moving average, Polyak averaging, with Adam's bias correction so the first
   steps are not pulled towards 0). Training goes on from ``W_k``; the validation at each
   epoch's end, the best network and so early stopping use ``W_avg``
   (:attr:`TrainState.averaged`). After (R3) goes back to the best network the average
   starts again from it.

Why (R5): with (R4) no Yin-Yang seed stays stuck, but the validation accuracy still moves
by about a point from one epoch to the next late in a run, so the kept network is the best
of a noisy sequence. The average over the last ``1 / (1 - d)`` steps smooths the noise of
the single mini-batch steps out of the weights: with ``ema = 0.99`` the last epochs of a
run are 0.8 points higher, but the best epoch of six seeds only 0.13 points (validation,
docs/yinyang_diagnosis.md), so it is off in every default.

The step size may also follow a half cosine over the run (``lr_cosine``,
:func:`learning_rate`), ending near 0. The bump and (R4) are not steps of Adam: they keep
their size while Adam's step shrinks, so at the end of a cosine schedule they make most of
the change and the training accuracy falls (Yin-Yang, docs/yinyang_diagnosis.md); with
``rescue_anneal`` both are multiplied by the step size over ``lr``.

The initial weights come from ``default_rng([seed, 0])`` and each epoch visits the training
set in the order of ``default_rng([seed, 1, epoch])``, so a run is reproducible from its
seed and can be stopped and resumed between any two steps (the state is a value,
:class:`TrainState`). The step size is that of (R3) (``s = 1`` without it). After each
epoch the network is evaluated on the validation set; the best network by validation
accuracy (ties: a loss lower by at least ``MIN_DELTA``) is kept, and training stops early
after ``patience`` epochs without improvement.

**Runaway firing** (a neuron past the spike budget of :func:`fpsnn_core.batched.simulate_batch`)
does not end a run: such a mini-batch is skipped (no step; counted in
``EpochMetrics.skipped_batches`` and ``TrainState.skipped_batches``) and training goes on;
in :func:`evaluate` such samples count as wrong, with no output spike.

A mini-batch can be split over worker processes (``workers > 1``): each computes the
gradient of its part, and the parts are averaged with their sizes as weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from .batched import (
    METHODS,
    BatchGradient,
    first_spike_loss,
    layers_of,
    loss_and_gradient,
    predict,
    simulate_batch,
)
from .checks import integer, real
from .errors import RunawayFiringError
from .kernels import kernel_pair
from .losses import SILENT_RULES
from .network import Network

#: Early stopping: at equal validation accuracy, the loss must drop by this much to count.
MIN_DELTA = 1e-4


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (all plain values, JSON-ready).

    Attributes
    ----------
    hidden : tuple of int          hidden layer sizes
    weight_mean, weight_std : tuple of float, one per layer (hidden layers, then output)
    tau_s, tau_n, theta, t_max : float   neuron constants and simulated interval
    t_early, t_late, t_bias : float      input encoding (X1) of :mod:`fpsnn_core.datasets`
    lr : float                     Adam step size
    lr_decay : float               factor on ``lr`` after each epoch from ``lr_decay_start`` on
    lr_decay_start : int           epochs at the full ``lr`` before the decay starts
    batch_size : int
    epochs : int                   at most this many epochs
    patience : int                 early stopping: epochs without validation improvement
    tau_0, gamma, tau_1 : float    first-spike cross entropy (C1)
    silent : {"t_max", "exclude"}  silent outputs in the loss
                                   (:func:`fpsnn_core.losses.cross_entropy_of_first_spikes`)
    bump : float                   dead-neuron recovery (module docstring); 0 switches it off
    bump_output : float or None    the bump of output neurons (``None``: ``bump``)
    revive : float                 (R4) of the module docstring: a silent label output's
                                   peak potential is raised by this much; 0 switches it off
    bump_guard : bool              (R1) of the module docstring: a bumped neuron's incoming
                                   weights only go up in that step, its Adam momentum is reset
    margin : float                 (R2) of the module docstring: samples classified with this
                                   margin give no gradient; 0 switches it off
    adam_eps : float               ``eps`` of Adam (A1)
    plateau : int                  (R3) of the module docstring: after this many epochs
                                   without validation improvement the run goes back to its
                                   best network with the step size times ``plateau_factor``;
                                   0 switches it off
    plateau_factor : float         see ``plateau``, in (0, 1]
    plateau_start : int            (R3) counts epochs from this one on (before it, none)
    ema : float                    (R5) of the module docstring: decay per mini-batch of the
                                   average of the weights that is validated and kept;
                                   0 switches it off, in [0, 1)
    rescue_anneal : bool           the bump and ``revive`` are multiplied by the step size
                                   over ``lr`` (its schedule and (R3)'s factor), so they
                                   shrink with Adam's step (a cosine schedule ends near 0)
    lr_cosine : bool               the step size also follows a half cosine from 1 at
                                   epoch 0 to 0 after the last epoch (:func:`learning_rate`)
    method : {"fp", "adjoint"}
    seed : int                     initial weights and sample order
    """

    hidden: tuple = (120,)
    weight_mean: tuple = (1.5, 2.0)
    weight_std: tuple = (0.8, 0.1)
    tau_s: float = 1 / 0.99
    tau_n: float = 1.0
    theta: float = 1.0
    t_max: float = 3.0
    t_early: float = 0.15
    t_late: float = 2.0
    t_bias: float = 0.9
    lr: float = 0.003
    lr_decay: float = 0.97
    lr_decay_start: int = 0
    batch_size: int = 32
    epochs: int = 100
    patience: int = 40
    tau_0: float = 0.2
    gamma: float = 0.005
    tau_1: float = 1.0
    silent: str = "t_max"
    bump: float = 0.02
    bump_output: float | None = None
    revive: float = 0.0
    bump_guard: bool = False
    margin: float = 0.0
    adam_eps: float = 1e-8
    plateau: int = 0
    plateau_factor: float = 0.5
    plateau_start: int = 0
    ema: float = 0.0
    lr_cosine: bool = False
    rescue_anneal: bool = False
    method: str = "fp"
    seed: int = 0

    def __post_init__(self):
        depth = len(self.hidden) + 1
        if len(self.weight_mean) != depth or len(self.weight_std) != depth:
            raise ValueError(
                f"weight_mean and weight_std need {len(self.hidden) + 1} entries (one per layer)"
            )
        if any(int(h) < 1 for h in self.hidden):
            raise ValueError(f"hidden layer sizes must be >= 1, got {self.hidden}")
        for name in (
            "lr",
            "t_max",
            "tau_s",
            "tau_n",
            "theta",
            "tau_0",
            "tau_1",
            "lr_decay",
            "adam_eps",
        ):
            real(name, getattr(self, name), positive=True)
        if self.lr_decay_start < 0:
            raise ValueError(f"lr_decay_start must be >= 0, got {self.lr_decay_start}")
        if self.batch_size < 1 or self.epochs < 0 or self.patience < 1:
            raise ValueError("batch_size and patience must be >= 1 and epochs >= 0")
        if self.bump < 0 or self.gamma < 0:
            raise ValueError("bump and gamma must be >= 0")
        if self.bump_output is not None:
            real("bump_output", self.bump_output, nonnegative=True)
        real("revive", self.revive, nonnegative=True)
        real("margin", self.margin, nonnegative=True)
        integer("plateau", self.plateau, minimum=0)
        integer("plateau_start", self.plateau_start, minimum=0)
        if not 0 <= real("ema", self.ema) < 1:
            raise ValueError(f"ema must be in [0, 1), got {self.ema}")
        for name in ("lr_cosine", "rescue_anneal"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if not 0 < real("plateau_factor", self.plateau_factor, positive=True) <= 1:
            raise ValueError(f"plateau_factor must be in (0, 1], got {self.plateau_factor}")
        if self.silent not in SILENT_RULES:
            raise ValueError(f"silent must be one of {SILENT_RULES}, got {self.silent!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")

    def to_dict(self) -> dict:
        """JSON-ready (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, doc: dict) -> TrainConfig:
        """Inverse of :meth:`to_dict`; ``ValueError`` for unknown or bad fields."""
        if not isinstance(doc, dict):
            raise ValueError("a training configuration must be an object")
        try:
            return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in doc.items()})
        except TypeError as exc:
            raise ValueError(f"bad training configuration: {exc}") from None

    def encoding_kwargs(self) -> dict:
        """Keyword arguments of :func:`fpsnn_core.datasets.load_task` for the encoding."""
        return {"t_early": self.t_early, "t_late": self.t_late, "t_bias": self.t_bias}


#: Per-task settings that differ from :class:`TrainConfig`'s defaults. Yin-Yang: EventProp's
#: time scales, encoding, initialization, sharp softmax and Adam schedule (``eventprop``
#: below) on 5-160-3, with silent outputs left out of the softmax, dead-neuron bumping 0.02
#: of hidden neurons, silent label outputs revived by (R4) with ``revive = 0.05`` instead
#: of bumped, 60 epochs with a half-cosine step size (no per-epoch decay), the weights'
#: average validated and kept (R5, ``ema = 0.99``) and the bump and (R4) shrinking with the
#: step (``rescue_anneal``); chosen on the validation set (docs/yinyang_screening.md,
#: docs/yinyang_diagnosis.md; 160 hidden neurons against 120 in its last section). Iris: the bump
#: guard (R1), a step size decaying by 0.97 per epoch after epoch 50 and, from then on,
#: going back to the best network with half the step after 20 epochs without improvement
#: (R3), so a run left training neither collapses nor drifts below its best; chosen on
#: validation accuracy with ``bench/iris_long_run.py`` (README), against (R2) margins of
#: 0.2 and 0.5, a stronger or earlier decay, a larger Adam ``eps``, larger mini-batches, a
#: smaller step size, a wider hidden layer, and (R3) from epoch 0, with 10 epochs, or
#: without the decay.
TASK_DEFAULTS = {
    "xor": {
        "hidden": (10,),
        "t_max": 2.0,
        "t_early": 0.0,
        "t_late": 1.0,
        "t_bias": 0.0,
        "batch_size": 4,
        "lr": 0.01,
        "lr_decay": 1.0,
        "epochs": 300,
        "patience": 300,
        "bump": 0.005,
    },
    "iris": {
        "hidden": (30,),
        "batch_size": 10,
        "lr": 0.02,
        "lr_decay": 0.97,
        "lr_decay_start": 50,
        "epochs": 150,
        "patience": 50,
        "bump": 0.005,
        "bump_guard": True,
        "plateau": 20,
        "plateau_start": 50,
    },
    "yinyang": {
        "hidden": (160,),
        "weight_mean": (1.5, 0.93),
        "weight_std": (0.78, 0.1),
        "tau_s": 0.25,
        "tau_n": 1.0,
        "t_max": 3.0,
        "t_early": 0.0,
        "t_late": 1.5,
        "t_bias": 0.0,
        "tau_0": 0.025,
        "gamma": 3e-3,
        "tau_1": 0.32,
        "silent": "exclude",
        "lr": 5e-3,
        "lr_decay": 1.0,
        "lr_cosine": True,
        "batch_size": 32,
        "epochs": 60,
        "patience": 60,
        "bump": 0.02,
        "bump_output": 0.0,
        "revive": 0.05,
        "rescue_anneal": True,
        "ema": 0.99,
    },
}


def default_config(task: str, **overrides) -> TrainConfig:
    """The configuration of ``task`` (:data:`TASK_DEFAULTS`) with ``overrides``.

    With another number of hidden layers and no weight statistics given, layers after the
    first are drawn like the output layer (an untuned default).
    """
    if task not in TASK_DEFAULTS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASK_DEFAULTS)}")
    return _with_depth({**TASK_DEFAULTS[task], **overrides}, overrides)


def _with_depth(fields: dict, overrides: dict) -> TrainConfig:
    depth = len(fields.get("hidden", TrainConfig.hidden)) + 1
    for key in ("weight_mean", "weight_std"):  # other depths: repeat the last layer's
        if key not in overrides:
            v = tuple(fields.get(key, getattr(TrainConfig, key)))
            fields[key] = v[:1] + v[-1:] * (depth - 1) if len(v) != depth else v
    return TrainConfig(**fields)


#: Named configurations: ``name -> (task, overrides of the task's defaults)``. Each task's
#: own name is its default configuration. ``eventprop`` is the published EventProp
#: Yin-Yang protocol (Wunderlich & Pehle 2021, their code) on this core, with time measured
#: in units of their ``tau_mem = 20 ms``: inputs in ``[0, 30 ms] -> [0, 1.5]`` and a bias
#: spike at 0, ``tau_s = 5 ms -> 0.25``, ``tau_n = 1``, 5-200-3, weights ``N(1.5, 0.78)``
#: and ``N(0.93, 0.1)`` (their current jump equals our ``W`` in these units), softmax
#: temperature ``0.5 ms -> 0.025``, ``alpha = 3e-3`` with ``tau_1 = 6.4 ms -> 0.32``, Adam
#: 5e-3 x 0.95 per epoch, batches of 32, 100 epochs, no weight bumping. Silent outputs
#: here count at ``t_max`` (theirs leave the softmax: with this sharp temperature the two
#: differ by less than ``exp(-(t_max - t) / tau_0)``).
NAMED_CONFIGS = {name: (name, {}) for name in TASK_DEFAULTS}
#: ``yinyang-2021``: the earlier Yin-Yang default (Goeltz et al. 2021's time scales,
#: ``tau_s = tau_n``, softmax temperature 0.2, 100 epochs): :class:`TrainConfig`'s own defaults.
NAMED_CONFIGS["yinyang-2021"] = (
    "yinyang",
    {key: getattr(TrainConfig, key) for key in TASK_DEFAULTS["yinyang"]},
)
NAMED_CONFIGS["eventprop"] = (
    "yinyang",
    {
        "hidden": (200,),
        "weight_mean": (1.5, 0.93),
        "weight_std": (0.78, 0.1),
        "tau_s": 0.25,
        "tau_n": 1.0,
        "theta": 1.0,
        "t_max": 3.0,
        "t_early": 0.0,
        "t_late": 1.5,
        "t_bias": 0.0,
        "tau_0": 0.025,
        "gamma": 3e-3,
        "tau_1": 0.32,
        "lr": 5e-3,
        "lr_decay": 0.95,
        "batch_size": 32,
        "epochs": 100,
        "patience": 100,
        "bump": 0.0,
        "bump_output": None,
        "revive": 0.0,
    },
)


def named_config(name: str, **overrides) -> TrainConfig:
    """The configuration called ``name`` (:data:`NAMED_CONFIGS`) with ``overrides``."""
    if name not in NAMED_CONFIGS:
        raise ValueError(
            f"unknown configuration {name!r}; choose one of {', '.join(NAMED_CONFIGS)}"
        )
    task, fields = NAMED_CONFIGS[name]
    return _with_depth({**TASK_DEFAULTS[task], **fields, **overrides}, overrides)


def config_task(name: str) -> str:
    """The task a named configuration trains on."""
    if name not in NAMED_CONFIGS:
        raise ValueError(
            f"unknown configuration {name!r}; choose one of {', '.join(NAMED_CONFIGS)}"
        )
    return NAMED_CONFIGS[name][0]


@dataclass(frozen=True, eq=False)
class Split:
    """Encoded samples: input spike times (n, K) and labels (n,); read-only copies."""

    inputs: np.ndarray
    labels: np.ndarray

    def __post_init__(self):
        inputs = np.array(self.inputs, dtype=float)
        labels = np.array(self.labels)
        if inputs.ndim not in (2, 3) or labels.shape != inputs.shape[:1]:
            raise ValueError(
                f"inputs must be (n, K) and labels (n,), got {inputs.shape} and {labels.shape}"
            )
        if labels.size and not np.issubdtype(labels.dtype, np.integer):
            raise ValueError("labels must be integers")
        for name, arr in (("inputs", inputs), ("labels", labels)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.labels.size)


def init_network(n_inputs: int, n_classes: int, config: TrainConfig) -> Network:
    """The layered network ``K - hidden - C`` with weights drawn from ``config.seed``."""
    rng = np.random.default_rng([config.seed, 0])
    return Network.feedforward(
        [n_inputs, *config.hidden, n_classes],
        rng,
        weight_mean=list(config.weight_mean),
        weight_std=list(config.weight_std),
        tau_s=config.tau_s,
        tau_n=config.tau_n,
        theta=config.theta,
    )


# --- Adam -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AdamState:
    """First and second moment estimates (shape of ``W``) and the step count ``t``."""

    m: np.ndarray
    v: np.ndarray
    t: int = 0

    @classmethod
    def zeros(cls, shape) -> AdamState:
        return cls(np.zeros(shape), np.zeros(shape), 0)


def adam_step(
    W: np.ndarray,
    grad: np.ndarray,
    state: AdamState,
    lr: float,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, AdamState]:
    """One Adam update (A1); returns the new weights and state (inputs unchanged)."""
    t = state.t + 1
    m = beta_1 * state.m + (1 - beta_1) * grad
    v = beta_2 * state.v + (1 - beta_2) * grad**2
    step = lr * (m / (1 - beta_1**t)) / (np.sqrt(v / (1 - beta_2**t)) + eps)
    return W - step, AdamState(m, v, t)


def bumped_neurons(
    net: Network, first_times: np.ndarray, labels: np.ndarray, hidden_counts: list
) -> np.ndarray:
    """Which neurons dead-neuron recovery bumps (module docstring), shape (N,) of bool.

    Parameters
    ----------
    first_times : ndarray, shape (B, C)   output first spikes of the batch (``inf`` if silent)
    labels : ndarray of int, shape (B,)
    hidden_counts : list of ndarray, shape (B, n_l)  spike counts of each hidden layer
    """
    layers = layers_of(net)
    B, C = first_times.shape
    label_silent = ~np.isfinite(first_times[np.arange(B), labels])  # (B,)
    q_out = np.bincount(labels[label_silent], minlength=C) > 0  # (C,)
    dead = [c.sum(axis=0) == 0 for c in hidden_counts]  # (n_l,)
    out = np.zeros(net.n_neurons, dtype=bool)
    for layer, q in zip(layers, dead + [q_out]):
        out[layer.neurons] = q
    return out


def bump_weights(
    net: Network,
    first_times: np.ndarray,
    labels: np.ndarray,
    hidden_counts: list,
    bump: float,
    bump_output: float | None = None,
) -> np.ndarray:
    """Weights after dead-neuron recovery (module docstring): ``bump`` added to every
    incoming weight of the :func:`bumped_neurons` of the hidden layers, ``bump_output``
    (``None``: ``bump``) to those of the output layer."""
    W = np.array(net.weights)
    size = bump_sizes(net, bump, bump_output)
    if not size.any():
        return W
    q = bumped_neurons(net, first_times, labels, hidden_counts)
    W += (size * q)[None, :] * net.mask
    return W


def bump_sizes(net: Network, bump: float, bump_output: float | None = None) -> np.ndarray:
    """Each neuron's bump, shape (N,): ``bump`` for hidden neurons, ``bump_output``
    (``None``: ``bump``) for the output layer."""
    size = np.full(net.n_neurons, float(bump))
    size[layers_of(net)[-1].neurons] = bump if bump_output is None else bump_output
    return size


#: Times on ``[0, t_max]`` at which (R4) looks for a silent output's peak potential.
REVIVE_GRID = 64


def revival_step(
    net: Network,
    inputs: np.ndarray,
    labels: np.ndarray,
    first_times: np.ndarray,
    t_max: float,
    revive: float,
) -> np.ndarray:
    """The weight change (R4) of the module docstring, shape of ``W`` (zero but for the
    incoming weights of outputs silent on a sample of their own class).

    Parameters
    ----------
    inputs : ndarray, shape (B, K)      the batch's input spike times
    labels : ndarray of int, shape (B,)
    first_times : ndarray, shape (B, C)  output first spikes of the batch (``inf`` if silent)
    """
    dW = np.zeros_like(net.weights)
    B = labels.size
    silent = ~np.isfinite(first_times[np.arange(B), labels])
    if revive <= 0 or not silent.any():
        return dW
    run = simulate_batch(net, np.asarray(inputs)[silent], t_max)
    pre = run.layers[-2].times if len(run.layers) > 1 else run.inputs  # (S, n_pre, M)
    out = layers_of(net)[-1]
    cls = labels[silent]
    grid = np.linspace(0.0, t_max, REVIVE_GRID)
    d = grid[None, None, None, :] - np.where(np.isfinite(pre), pre, np.inf)[..., None]
    a, b = out.a[cls][:, None, None, None], out.b[cls][:, None, None, None]
    valid = d > 0
    h = np.zeros(d.shape)
    lo, hi = np.broadcast_to(np.minimum(a, b), d.shape), np.broadcast_to(np.maximum(a, b), d.shape)
    h[valid] = kernel_pair(d[valid], lo[valid], hi[valid])[0]
    y = h.sum(axis=2)  # (S, n_pre, G)
    w = out.weights[:, cls].T  # (S, n_pre)
    V = np.where((y > 0).any(axis=1), np.einsum("sj,sjg->sg", w, y), -np.inf)  # after input
    y_star = y[np.arange(cls.size), :, np.argmax(V, axis=1)]  # (S, n_pre)
    norm2 = (y_star**2).sum(axis=1)
    step = np.where(norm2[:, None] > 0, revive * y_star / np.maximum(norm2, 1e-300)[:, None], 0.0)
    for k in np.unique(cls):
        dW[out.sources, out.neurons[k]] = step[cls == k].mean(axis=0)
    return dW * net.mask


# --- evaluation -----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Evaluation:
    """Accuracy, loss and confusion matrix of a network on a split.

    Attributes
    ----------
    accuracy : float
    loss : float                     mean first-spike cross entropy (``config.silent``)
    confusion : ndarray, shape (C, C+1)  ``[true, predicted]``; the last column counts
        samples without a decision (no output fired, or several first at once)
    predictions : ndarray, shape (n,)    :func:`fpsnn_core.batched.predict`: ``-1`` where
        there is no decision; ``accuracy`` is the mean of ``predictions == labels``
    first_times : ndarray, shape (n, C)  ``inf`` if silent
    runaway : int                    samples whose simulation ran away (counted as silent)
    """

    accuracy: float
    loss: float
    confusion: np.ndarray
    predictions: np.ndarray
    first_times: np.ndarray
    runaway: int = 0


def correct_first(first_times: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Whether the correct output fired, and strictly before every other
    (:func:`fpsnn_core.batched.predict` gives the label); shape (B,).

    Parameters
    ----------
    first_times : ndarray, shape (B, C)  (``inf`` if silent)
    labels : ndarray of int, shape (B,)
    """
    return predict(first_times) == labels


def evaluate(net: Network, split: Split, config: TrainConfig, chunk: int = 500) -> Evaluation:
    """Forward pass over ``split`` in chunks; accuracy counts a sample right when the
    correct output fires first (and strictly before the others): the prediction of the
    confusion matrix equals the label."""
    C = len(net.layers[-1])
    times, runaway = [], 0
    for lo in range(0, len(split), chunk):
        inputs = split.inputs[lo : lo + chunk]
        try:
            T = simulate_batch(net, inputs, config.t_max).first_times
        except RunawayFiringError:  # one sample at a time; runaways stay silent
            T = np.full((len(inputs), C), np.inf)
            for k in range(len(inputs)):
                try:
                    T[k] = simulate_batch(net, inputs[k : k + 1], config.t_max).first_times[0]
                except RunawayFiringError:
                    runaway += 1
        times.append(T)
    return scored(np.concatenate(times), split.labels, config, runaway)


def scored(first_times: np.ndarray, labels, config: TrainConfig, runaway: int = 0) -> Evaluation:
    """The :class:`Evaluation` of output first spikes ``(n, C)`` (``inf``: silent) against
    ``labels``: :func:`evaluate`'s last step, for a caller that has simulated already."""
    C = first_times.shape[1]
    loss = first_spike_loss(
        _Times(first_times, config.t_max),
        labels,
        tau_0=config.tau_0,
        gamma=config.gamma,
        tau_1=config.tau_1,
        silent=config.silent,
    )
    pred = predict(first_times)
    confusion = np.zeros((C, C + 1), dtype=int)
    np.add.at(confusion, (labels, np.where(pred < 0, C, pred)), 1)
    return Evaluation(
        float((pred == labels).mean()),
        float(loss.values.mean()),
        confusion,
        pred,
        first_times,
        runaway,
    )


@dataclass(frozen=True)
class _Times:
    """Output first spikes alone, all :func:`first_spike_loss` reads of a run."""

    first_times: np.ndarray
    t_max: float


# --- the training state and one step --------------------------------------------------
@dataclass(frozen=True)
class EpochMetrics:
    """Metrics of one epoch (train: running means during the epoch, over the mini-batches
    not skipped); ``skipped`` counts training samples left out of the gradient because
    their loss depended on a grazing spike (its gradient is singular), ``skipped_batches``
    the mini-batches skipped for runaway firing; ``restored``: after this epoch's
    evaluation the run went back to its best network, (R3)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float
    skipped: int = 0
    skipped_batches: int = 0
    restored: bool = False


_NO_RUNNING = (0.0, 0, 0, 0.0, 0, 0)


@dataclass(frozen=True, eq=False)
class TrainState:
    """Everything needed to continue training (a value; steps return a new one).

    ``epoch`` counts completed epochs and ``batch`` the mini-batches done in the
    current one; ``running`` holds (loss sum, correct, samples, seconds, skipped samples,
    skipped mini-batches) of that epoch; ``skipped_batches`` counts the mini-batches of
    the whole run skipped for runaway firing. Early stopping counts the epochs since the
    best one, or since ``patience_from`` if later (:func:`resume`). ``lr_scale`` is the
    factor ``s`` of (R3) and ``plateau_from`` the epoch it last went back to the best network.
    ``ema_sum`` and ``ema_steps`` are the sum ``S`` and the step count ``k`` of (R5)
    (``None`` and 0 without ``config.ema`` or before the first step).
    """

    network: Network
    adam: AdamState
    config: TrainConfig
    epoch: int = 0
    batch: int = 0
    running: tuple = _NO_RUNNING
    history: tuple = ()
    best: Network | None = None
    best_epoch: int = 0
    best_key: tuple = (-1.0, -np.inf)
    stopped: bool = False
    skipped_batches: int = 0
    patience_from: int = 0
    lr_scale: float = 1.0
    plateau_from: int = 0
    ema_sum: np.ndarray | None = None
    ema_steps: int = 0

    @property
    def averaged(self) -> Network:
        """The network that is validated: with ``config.ema`` the average (R5) of the weights
        after each step so far (the current network before the first step), else the
        current network."""
        if self.ema_sum is None or self.ema_steps == 0:
            return self.network
        W = self.ema_sum / (1 - self.config.ema**self.ema_steps)
        return self.network.with_weights(W * self.network.mask)

    @property
    def done(self) -> bool:
        """Stopped early, or all epochs done."""
        return self.stopped or self.epoch >= self.config.epochs


def start(n_inputs: int, n_classes: int, config: TrainConfig) -> TrainState:
    """The state before the first step."""
    net = init_network(n_inputs, n_classes, config)
    return TrainState(net, AdamState.zeros(net.weights.shape), config, best=net)


def restore_best(state: TrainState) -> TrainState:
    """The run with its best-validation network as the current one (Adam moments, history
    and epoch count kept), e.g. after early stopping."""
    return replace(state, network=state.best)


def resume(state: TrainState, epochs: int) -> TrainState:
    """Let a finished run (epoch limit or early stopping) go on for ``epochs`` more epochs:
    the limit moves and the patience count starts again now; nothing else changes."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    return replace(
        state,
        config=replace(state.config, epochs=state.epoch + int(epochs)),
        stopped=False,
        patience_from=state.epoch,
    )


def _part_gradient(args) -> BatchGradient:
    net, inputs, labels, config = args
    return loss_and_gradient(
        net,
        inputs,
        labels,
        config.t_max,
        tau_0=config.tau_0,
        gamma=config.gamma,
        tau_1=config.tau_1,
        method=config.method,
        on_grazing="skip",
        silent=config.silent,
        margin=config.margin,
    )


def batch_gradient(
    net: Network, inputs, labels, config: TrainConfig, pool: Executor | None = None
) -> BatchGradient:
    """Loss and exact gradient of one mini-batch (samples whose loss depends on a grazing
    spike are left out of the gradient and counted), split in two halves over ``pool``'s
    workers when a pool is given."""
    if pool is None or len(labels) < 2:
        return _part_gradient((net, inputs, labels, config))
    halves = np.array_split(np.arange(len(labels)), 2)
    parts = list(pool.map(_part_gradient, [(net, inputs[h], labels[h], config) for h in halves]))
    w = np.array([h.size for h in halves], dtype=float) / len(labels)
    used = np.array([h.size - p.skipped - p.settled for h, p in zip(halves, parts)], dtype=float)
    wg = used / max(used.sum(), 1.0)  # skipped and settled samples leave the mean
    return BatchGradient(
        float(sum(wi * p.loss for wi, p in zip(w, parts))),
        sum(wi * p.gradient for wi, p in zip(wg, parts)),
        np.concatenate([p.losses for p in parts]),
        np.concatenate([p.first_times for p in parts]),
        [np.concatenate(c) for c in zip(*[p.spike_counts for p in parts])],
        sum(p.skipped for p in parts),
        sum(p.settled for p in parts),
    )


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The scheduled step size of ``epoch``: ``lr * lr_decay ** max(0, epoch - lr_decay_start)``,
    with ``lr_cosine`` times ``(1 + cos(pi * epoch / epochs))/ 2`` (``epochs`` of the config,
    so :func:`resume` stretches the cosine; 0 from ``epochs`` on) (:func:`step` multiplies it
    by ``TrainState.lr_scale``, (R3))."""
    lr = config.lr * config.lr_decay ** max(0, epoch - config.lr_decay_start)
    if config.lr_cosine:
        lr *= 0.5 * (1 + np.cos(np.pi * min(epoch / max(config.epochs, 1), 1.0)))
    return float(lr)


def _order(config: TrainConfig, epoch: int, n: int) -> np.ndarray:
    return np.random.default_rng([config.seed, 1, epoch]).permutation(n)


def step(state: TrainState, train: Split, pool: Executor | None = None) -> TrainState:
    """One mini-batch: exact gradient, Adam (A1), dead-neuron recovery."""
    cfg, net = state.config, state.network
    idx = _order(cfg, state.epoch, len(train))[
        state.batch * cfg.batch_size : (state.batch + 1) * cfg.batch_size
    ]
    t0 = time.perf_counter()
    try:
        g = batch_gradient(net, train.inputs[idx], train.labels[idx], cfg, pool)
    except RunawayFiringError:  # skip the batch, keep the run
        r = state.running
        return replace(
            state,
            batch=state.batch + 1,
            skipped_batches=state.skipped_batches + 1,
            running=r[:3] + (r[3] + time.perf_counter() - t0, r[4], r[5] + 1),
        )
    lr = learning_rate(cfg, state.epoch) * state.lr_scale
    W0 = np.array(net.weights)
    W, adam = adam_step(W0, g.gradient, state.adam, lr, eps=cfg.adam_eps)
    y, T = train.labels[idx], g.first_times
    if cfg.bump_guard:  # only neurons that are bumped
        q = (
            bumped_neurons(net, T, y, g.spike_counts[:-1])
            & (bump_sizes(net, cfg.bump, cfg.bump_output) > 0)
        )[None, :]
        W = np.where(q, np.maximum(W, W0), W)  # (R1): no step towards more silence
        adam = replace(adam, m=np.where(q, 0.0, adam.m))
    k = lr / cfg.lr if cfg.rescue_anneal else 1.0  # the bump and (R4) follow the step size
    bump_out = None if cfg.bump_output is None else k * cfg.bump_output
    W = bump_weights(
        net.with_weights(W * net.mask), T, y, g.spike_counts[:-1], k * cfg.bump, bump_out
    )
    if cfg.revive > 0:
        W = W + revival_step(net, train.inputs[idx], y, T, cfg.t_max, k * cfg.revive)  # (R4)
    right = correct_first(T, y)
    ls, nc, ns, sec, skipped, runaway = state.running
    running = (
        ls + g.loss * y.size,
        nc + int(right.sum()),
        ns + y.size,
        sec + time.perf_counter() - t0,
        skipped + g.skipped,
        runaway,
    )
    new_net = net.with_weights(W)
    ema_sum, ema_steps = state.ema_sum, state.ema_steps
    if cfg.ema > 0:  # (R5)
        prev = 0.0 if ema_sum is None or ema_steps == 0 else ema_sum
        ema_sum = cfg.ema * prev + (1 - cfg.ema) * new_net.weights
        ema_steps += 1
    return replace(
        state,
        network=new_net,
        adam=adam,
        batch=state.batch + 1,
        running=running,
        ema_sum=ema_sum,
        ema_steps=ema_steps,
    )


def end_epoch(state: TrainState, validation: Split) -> TrainState:
    """Close an epoch: evaluate on ``validation``, keep the best network, early stopping."""
    t0 = time.perf_counter()
    judged = state.averaged  # the network itself without (R5)
    ev = evaluate(judged, validation, state.config)
    ls, nc, ns, sec, skipped, runaway = state.running
    epoch = state.epoch + 1
    metrics = EpochMetrics(
        epoch,
        ls / max(ns, 1),
        nc / max(ns, 1),
        ev.loss,
        ev.accuracy,
        sec + time.perf_counter() - t0,
        skipped,
        runaway,
    )
    key = (ev.accuracy, -ev.loss)
    best_acc, best_neg_loss = state.best_key
    better = ev.accuracy > best_acc or (
        ev.accuracy == best_acc and -ev.loss > best_neg_loss + MIN_DELTA
    )
    best, best_epoch = (judged, epoch) if better else (state.best, state.best_epoch)
    stopped = epoch - max(best_epoch, state.patience_from) >= state.config.patience
    new = replace(
        state,
        epoch=epoch,
        batch=0,
        running=_NO_RUNNING,
        best=best,
        best_epoch=best_epoch,
        best_key=key if better else state.best_key,
        stopped=stopped,
    )
    plateau = state.config.plateau
    since = max(best_epoch, state.plateau_from, state.patience_from, state.config.plateau_start)
    if plateau and epoch - since >= plateau:
        new = replace(
            new,
            network=best,
            adam=replace(state.adam, m=np.zeros_like(state.adam.m)),
            lr_scale=state.lr_scale * state.config.plateau_factor,
            plateau_from=epoch,
            ema_sum=None,  # (R5) starts again from the best network
            ema_steps=0,
        )
        metrics = replace(metrics, restored=True)
    return replace(new, history=state.history + (metrics,))


def advance(
    state: TrainState,
    train: Split,
    validation: Split,
    n_batches: int | None = None,
    pool: Executor | None = None,
    *,
    on_batch: Callable | None = None,
    on_epoch: Callable | None = None,
) -> TrainState:
    """Up to ``n_batches`` steps (``None``: until done), closing epochs as they complete;
    stops when done. The one training loop: :func:`train` and the app's Step / Play call it.

    Parameters
    ----------
    on_batch : callable(state, per_epoch), optional
        Called after every mini-batch (progress bars).
    on_epoch : callable(state), optional
        Called after every epoch with the state (``state.history[-1]`` is the epoch).
    """
    per_epoch = -(-len(train) // state.config.batch_size)
    done = 0
    while not state.done and (n_batches is None or done < n_batches):
        state = step(state, train, pool)
        done += 1
        if on_batch is not None:
            on_batch(state, per_epoch)
        if state.batch >= per_epoch:
            state = end_epoch(state, validation)
            if on_epoch is not None:
                on_epoch(state)
    return state


def train(
    train_split: Split,
    validation: Split,
    n_classes: int,
    config: TrainConfig,
    *,
    workers: int = 1,
    on_batch: Callable | None = None,
    on_epoch: Callable | None = None,
) -> TrainState:
    """Train from scratch until ``config.epochs`` or early stopping (:func:`advance` with
    no step limit).

    Parameters
    ----------
    workers : int
        Processes over which each mini-batch is split (1: in this process).
    on_batch, on_epoch : callable, optional
        As in :func:`advance`.
    """
    state = start(train_split.inputs.shape[1], n_classes, config)
    pool = ProcessPoolExecutor(workers) if workers > 1 else None
    try:
        return advance(
            state, train_split, validation, None, pool, on_batch=on_batch, on_epoch=on_epoch
        )
    finally:
        if pool is not None:
            pool.shutdown()
