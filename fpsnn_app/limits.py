"""Budgets that bound every page's work, whatever network the app is given.

* what the app accepts (uploads, weight edits): at most :data:`MAX_NEURONS` neurons,
  :data:`MAX_INPUTS` inputs and :data:`MAX_INPUT_SPIKES` input spikes;
* every exact simulation stops at :data:`MAX_SPIKES` spikes or :data:`MAX_WORK` spike
  deliveries (:func:`simulate`; the work budget bounds the time where the spike budget
  does not: a dense network costs O(N) per spike);
* computations per weight run on at most :data:`MAX_FD_WEIGHTS` weights (finite
  differences: two simulations each), fewer when one simulation is costly
  (:func:`repeats`), and figures draw at most :data:`MAX_WEIGHTS_DRAWN`
  weights and :data:`MAX_EDGES_DRAWN` causal edges, the strongest ones
  (:func:`strongest`); the page says so when it leaves some out.

``bench/bench_limits.py`` feeds the largest accepted networks to every page.
"""

from __future__ import annotations

import numpy as np

import fpsnn_core as fp

MAX_SPIKES = 2_000
MAX_WORK = 40_000
MAX_NEURONS = 200
MAX_INPUTS = 50
MAX_INPUT_SPIKES = 1_000
MAX_FD_WEIGHTS = 60
MAX_WEIGHTS_DRAWN = 150
MAX_EDGES_DRAWN = 1_500
#: Spike deliveries a page may spend on repeated simulations (finite differences, the loss
#: along one weight): the number of repeats shrinks as one simulation costs more.
REPEAT_WORK = 200_000
#: Deliveries one spike counts for in :func:`cost` (heap and bookkeeping per spike; timed
#: on a network of 100 neurons that deliver almost nothing, one spike costs as much as
#: 10-20 deliveries).
SPIKE_COST = 16


def cost(sim: fp.Simulation) -> int:
    """What one more simulation like ``sim`` costs, in spike deliveries: its deliveries
    plus :data:`SPIKE_COST` per spike (the event loop's own work per spike)."""
    return int(sim.work) + SPIKE_COST * sim.n_spikes


def repeats(sim: fp.Simulation, lo: int, hi: int, per_item: int = 1) -> int:
    """How many items of ``per_item`` simulations like ``sim`` fit in
    :data:`REPEAT_WORK`, in ``[lo, hi]`` (``lo``: the least that still shows something)."""
    return int(np.clip(REPEAT_WORK // max(per_item * cost(sim), 1), lo, hi))


def simulate(net: fp.Network, inputs, t_max: float) -> fp.Simulation:
    """``fp.simulate`` within the app's spike and work budgets."""
    return fp.simulate(net, inputs, t_max, max_spikes=MAX_SPIKES, max_work=MAX_WORK)


def check_size(net: fp.Network, inputs=None) -> None:
    """``ValueError`` naming the limit when a network is larger than the app accepts."""
    if net.n_neurons > MAX_NEURONS:
        raise ValueError(f"{net.n_neurons} neurons: the app accepts at most {MAX_NEURONS} "
                         "(use the fpsnn_core library for larger networks)")
    if net.n_inputs > MAX_INPUTS:
        raise ValueError(f"{net.n_inputs} inputs: the app accepts at most {MAX_INPUTS}")
    n_in = sum(len(tr) for tr in inputs) if inputs is not None else 0
    if n_in > MAX_INPUT_SPIKES:
        raise ValueError(f"{n_in} input spikes: the app accepts at most {MAX_INPUT_SPIKES}")


def strongest(score, cap: int, keep=()) -> np.ndarray:
    """Indices (ascending) of at most ``cap`` entries: ``keep`` first, then the largest
    ``|score|`` (NaN counts as 0); all of them when there are no more than ``cap``."""
    score = np.nan_to_num(np.abs(np.asarray(score, dtype=float)), nan=0.0)
    if score.size <= cap:
        return np.arange(score.size)
    keep = list(dict.fromkeys(int(k) for k in keep if 0 <= int(k) < score.size))[:cap]
    others = np.ones(score.size, dtype=bool)
    others[keep] = False
    rest = np.flatnonzero(others)
    order = np.argsort(-score[rest], kind="stable")          # ties: lower index first
    return np.sort(np.concatenate([np.array(keep, dtype=int), rest[order][:cap - len(keep)]]))
