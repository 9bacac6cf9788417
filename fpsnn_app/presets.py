"""Default examples: the single neuron and the network motifs (Neuronify-style).

A motif fixes the wiring, the weights and default input spikes; the neuron constants
``tau_s``, ``tau_n``, ``theta`` and the horizon ``t_max`` are chosen on the page and shared
by every motif (defaults :data:`TAU_S`, :data:`TAU_N`, :data:`THETA`, :data:`T_MAX`), so
that each default example fires a handful of times. Only the random feed-forward motif
uses the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import fpsnn_core as fp
from fpsnn_core.checks import indices

TAU_S = 0.5
TAU_N = 1.0
THETA = 1.0
T_MAX = 4.0
from .limits import MAX_NEURONS, MAX_SPIKES  # noqa: E402, F401  (the app's budgets live there)


@dataclass(frozen=True)
class NeuronExample:
    """The Neuron page's default: ``K`` input channels with spike times and weights."""

    inputs: tuple[tuple[float, ...], ...] = ((0.5, 1.0, 2.2), (0.8, 1.3), (1.6,))
    weights: tuple[float, ...] = (4.0, 3.0, -3.0)
    tau_s: float = TAU_S
    tau_n: float = TAU_N
    theta: float = THETA
    t_max: float = T_MAX


NEURON = NeuronExample()


@dataclass(frozen=True)
class Wiring:
    """What a motif builds: weights ``(K+N, N)``, mask, ``K``, layers, inputs, outputs."""

    weights: np.ndarray
    mask: np.ndarray
    n_inputs: int
    layers: tuple
    inputs: tuple[tuple[float, ...], ...]
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class Motif:
    """A named network to start from."""

    key: str
    title: str
    description: str
    build: Callable[[int], Wiring]
    random: bool = False


def _from_edges(K: int, N: int, edges: dict, inputs, outputs, layers=()) -> Wiring:
    W = np.zeros((K + N, N))
    for (j, i), w in edges.items():
        W[j, i] = w
    return Wiring(W, W != 0, K, tuple(layers), tuple(map(tuple, inputs)), tuple(outputs))


def _feedforward(seed: int) -> Wiring:
    net = fp.Network.feedforward(
        [2, 3, 2], np.random.default_rng(seed), weight_mean=[2.5, 1.2], weight_std=0.7
    )
    return Wiring(
        np.array(net.weights),
        np.array(net.mask),
        2,
        net.layers,
        ((0.2, 1.0), (0.5, 1.6)),
        net.layers[-1],
    )


def _feedback(seed: int) -> Wiring:
    # the feed-forward net plus feedback n3 -> n1 (+), n4 -> n0 (-) and competing outputs
    ff = _feedforward(seed)
    W, M = np.array(ff.weights), np.array(ff.mask)
    for j, i, w in ((5, 1, 0.5), (6, 0, -0.5), (5, 4, -0.5), (6, 3, -0.5)):
        W[j, i], M[j, i] = w, True
    return Wiring(W, M, 2, ff.layers, ff.inputs, ff.outputs)


def _recurrent_pair(seed: int) -> Wiring:
    # input 0 -> neuron 0 -> neuron 1 -> neuron 0 (sources: 0 = input, 1 = n0, 2 = n1)
    return _from_edges(1, 2, {(0, 0): 5.0, (1, 1): 2.6, (2, 0): 2.2}, [(0.2, 1.5)], (0, 1))


def _inhibition(seed: int) -> Wiring:
    # input 0 drives relay n0 and output n2; input 1 drives interneuron n1, which inhibits n2
    edges = {(0, 0): 5.0, (0, 2): 3.0, (1, 1): 5.0, (2, 2): 4.0, (3, 2): -6.0}
    return _from_edges(2, 3, edges, [(0.2, 1.8), (0.3,)], (2,), layers=[(0, 1), (2,)])


def _competition(seed: int) -> Wiring:
    # two neurons driven by their own input, inhibiting each other
    edges = {(0, 0): 5.0, (1, 1): 4.5, (2, 1): -2.0, (3, 0): -2.0}
    return _from_edges(2, 2, edges, [(0.3, 0.9, 1.5), (0.3, 0.9, 1.5)], (0, 1))


MOTIFS: dict[str, Motif] = {
    m.key: m
    for m in (
        Motif(
            "feedback",
            "2-3-2 with feedback",
            "The 2-3-2 net plus feedback from the outputs to the hidden layer and mutual "
            "inhibition of the outputs; random weights from the seed.",
            _feedback,
            random=True,
        ),
        Motif(
            "feedforward",
            "Feed-forward 2-3-2",
            "Two inputs, three hidden neurons, two outputs; random weights from the seed.",
            _feedforward,
            random=True,
        ),
        Motif(
            "recurrent_pair",
            "Recurrent pair",
            "Two neurons exciting each other: activity echoes back and forth after each input.",
            _recurrent_pair,
        ),
        Motif(
            "inhibition",
            "Feed-forward inhibition",
            "An interneuron driven by input 1 inhibits the output; input 0 excites it.",
            _inhibition,
        ),
        Motif(
            "competition",
            "Mutual inhibition",
            "Two neurons with their own inputs silence each other: a winner-take-all race.",
            _competition,
        ),
    )
}
DEFAULT_MOTIF = "feedback"


def motif_network(
    key: str, seed: int = 0, tau_s: float = TAU_S, tau_n: float = TAU_N, theta: float = THETA
) -> tuple[fp.Network, Wiring]:
    """The motif ``key`` as a :class:`fpsnn_core.Network` with the given constants."""
    if key not in MOTIFS:
        raise ValueError(f"unknown motif {key!r}; known: {sorted(MOTIFS)}")
    wiring = MOTIFS[key].build(int(seed))
    net = fp.Network(
        wiring.weights, wiring.n_inputs, tau_s, tau_n, theta, wiring.mask, wiring.layers
    )
    return net, wiring


def output_neurons(net: fp.Network, meta: dict | None = None) -> tuple[int, ...]:
    """Output neurons: ``meta["outputs"]`` if valid, else the last layer, else all neurons."""
    if isinstance(meta, dict) and "outputs" in meta:
        try:
            return indices("outputs", meta["outputs"], net.n_neurons)
        except ValueError:
            pass
    if net.layers:
        return tuple(net.layers[-1])
    return tuple(range(net.n_neurons))
