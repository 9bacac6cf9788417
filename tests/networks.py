"""Random test networks in which every neuron fires several times."""

import numpy as np

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
    net = fp.Network.feedforward(sizes, rng, weight_mean=[2.5] + [0.9] * (n_layers - 1),
                                 weight_std=0.4, tau_s=tau_s, tau_n=tau_n, theta=theta)
    inputs = [np.sort(rng.uniform(0.0, 0.5 * t_max, rng.integers(1, 3))) for _ in range(sizes[0])]
    return net, inputs, t_max


def case(kind, seed, **kw):
    rng = np.random.default_rng(seed)
    return (random_recurrent if kind == "recurrent" else random_layered)(rng, **kw)
