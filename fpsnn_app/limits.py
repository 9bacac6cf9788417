"""Budgets that bound every page's work, whatever network the app is given.

* what the app accepts (uploads, weight edits): at most :data:`MAX_NEURONS` neurons,
  :data:`MAX_INPUTS` inputs and :data:`MAX_INPUT_SPIKES` input spikes, in a file of at
  most :data:`MAX_UPLOAD_BYTES` bytes (checked before the file is parsed);
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
from fpsnn_core import finite_diff

MAX_SPIKES = 2_000
MAX_WORK = 40_000
MAX_NEURONS = 200
MAX_INPUTS = 50
MAX_INPUT_SPIKES = 1_000
MAX_FD_WEIGHTS = 60
#: Bytes one number of a network file may take: a float written by ``json.dumps`` (at most
#: 24 characters) with its separator, or one number per line indented by a pretty-printer.
BYTES_PER_NUMBER = 40
#: Bytes of ``meta`` (free-form: an encoding, a training history) an upload may add.
META_BYTES = 2**20
#: Largest network file the app reads: the numbers of the largest accepted network
#: (weights and mask, three constants per neuron, layers, input spikes) at
#: :data:`BYTES_PER_NUMBER` each, plus :data:`META_BYTES` (5.1 MB).
MAX_UPLOAD_BYTES = (
    BYTES_PER_NUMBER
    * (2 * (MAX_INPUTS + MAX_NEURONS) * MAX_NEURONS + 4 * MAX_NEURONS + MAX_INPUT_SPIKES)
    + META_BYTES
)
MAX_WEIGHTS_DRAWN = 150
MAX_EDGES_DRAWN = 1_500
#: Spike deliveries a page may spend on repeated simulations (finite differences, the loss
#: along one weight): the number of repeats shrinks as one simulation costs more.
REPEAT_WORK = 200_000
#: Deliveries one spike counts for in :func:`cost`.
SPIKE_COST = finite_diff.SPIKE_COST
#: What one more simulation like a given one costs, in spike deliveries.
cost = finite_diff.simulation_cost


def repeats(sim: fp.Simulation, lo: int, hi: int, per_item: int = 1) -> int:
    """How many items of ``per_item`` simulations like ``sim`` fit in
    :data:`REPEAT_WORK`, in ``[lo, hi]`` (``lo``: the least that still shows something)."""
    return int(np.clip(REPEAT_WORK // max(per_item * cost(sim), 1), lo, hi))


def simulate(net: fp.Network, inputs, t_max: float) -> fp.Simulation:
    """``fp.simulate`` within the app's spike and work budgets."""
    return fp.simulate(net, inputs, t_max, max_spikes=MAX_SPIKES, max_work=MAX_WORK)


def check_upload_bytes(size: int) -> None:
    """``ValueError`` when a file of ``size`` bytes is larger than the app reads."""
    if size > MAX_UPLOAD_BYTES:
        raise ValueError(
            f"the file is {size:,} bytes: the app reads network files of at most "
            f"{MAX_UPLOAD_BYTES:,} bytes"
        )


def check_size(net: fp.Network, inputs=None) -> None:
    """``ValueError`` naming the limit when a network is larger than the app accepts."""
    if net.n_neurons > MAX_NEURONS:
        raise ValueError(
            f"{net.n_neurons} neurons: the app accepts at most {MAX_NEURONS} "
            "(use the fpsnn_core library for larger networks)"
        )
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
    order = np.argsort(-score[rest], kind="stable")  # ties: lower index first
    return np.sort(np.concatenate([np.array(keep, dtype=int), rest[order][: cap - len(keep)]]))
