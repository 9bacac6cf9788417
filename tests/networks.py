"""Random test networks: hand-tuned ones in which every neuron fires several times, and a
hypothesis strategy over small random networks."""

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import fpsnn_core as fp


def random_recurrent(rng, K=2, N=4, tau_s=0.5, tau_n=1.0, theta=1.0, t_max=4.0):
    """A fully recurrent network (no self-loops) driven hard enough that neurons fire
    several times, with recurrent weights of both signs; returns (net, inputs, t_max)."""
    W = rng.normal(0.0, 0.5, (K + N, N))
    W[:K] += rng.uniform(2.0, 3.5, (K, N))
    W[K + np.arange(N), np.arange(N)] = 0.0
    inputs = [np.sort(rng.uniform(0.0, 0.6 * t_max, rng.integers(2, 4))) for _ in range(K)]
    return fp.Network(W, K, tau_s=tau_s, tau_n=tau_n, theta=theta), inputs, t_max


def random_layered(rng, sizes=(3, 4, 3, 2), tau_s=0.5, tau_n=1.0, theta=1.0, t_max=4.0):
    """A feed-forward network with several layers; returns (net, inputs, t_max)."""
    n_layers = len(sizes) - 1
    net = fp.Network.feedforward(
        sizes,
        rng,
        weight_mean=[2.5] + [0.9] * (n_layers - 1),
        weight_std=0.4,
        tau_s=tau_s,
        tau_n=tau_n,
        theta=theta,
    )
    inputs = [np.sort(rng.uniform(0.0, 0.5 * t_max, rng.integers(1, 3))) for _ in range(sizes[0])]
    return net, inputs, t_max


def case(kind, seed, **kw):
    rng = np.random.default_rng(seed)
    return (random_recurrent if kind == "recurrent" else random_layered)(rng, **kw)


def kernel_peak(a, b):
    """The maximum of the kernel ``h`` (at ``ln(a/b)/(a-b)``, or ``1/b`` when ``a == b``):
    the largest potential one unit input spike can cause."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    same = np.isclose(a, b, rtol=1e-12)
    t = np.where(same, 1 / b, np.log(a / b) / np.where(same, 1.0, a - b))
    return fp.kernel(t, a, b)


@st.composite
def small_networks(draw):
    """Small random networks (1-3 inputs, 1-5 neurons, random mask without self-loops,
    random or per-neuron time constants) that fire: every input channel spikes 1-3 times
    and its weights are scaled by the kernel's peak so that its first spike alone would
    lift a neuron to ``0.6``-``2.5`` times its threshold (``drive``); returns
    (net, inputs, t_max, rng). ``tests/test_properties.py`` counts how many examples are
    silent or discarded."""
    K = draw(st.integers(1, 3))
    N = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    drive = draw(st.floats(1.2, 2.5))
    tau_s = draw(st.sampled_from([0.5, 1.0, 2.0, None]))
    tau_s = rng.uniform(0.3, 2.0, N) if tau_s is None else np.full(N, tau_s)
    theta = rng.uniform(0.8, 1.2, N)
    unit = theta / kernel_peak(1 / tau_s, 1.0)  # weight that just reaches theta
    W = rng.normal(0.0, 0.3, (K + N, N)) * unit
    W[:K] += drive * rng.uniform(0.5, 1.0, (K, N)) * unit
    mask = rng.uniform(size=W.shape) < 0.8
    mask[rng.integers(0, K, N), np.arange(N)] = True  # every neuron hears an input
    mask[K + np.arange(N), np.arange(N)] = False
    W[~mask] = 0.0
    net = fp.Network(W, K, tau_s=tau_s, tau_n=1.0, theta=theta, mask=mask)
    inputs = [np.sort(rng.uniform(0, 1.5, rng.integers(1, 4))) for _ in range(K)]
    return net, inputs, 3.0, rng


def simulate_or_reject(net, inputs, t_max, max_spikes=300):
    """``fp.simulate`` for a hypothesis example, rejecting the example on runaway firing."""
    try:
        return fp.simulate(net, inputs, t_max, max_spikes=max_spikes)
    except fp.RunawayFiringError:
        assume(False)
