"""The network: weights, connectivity mask and neuron constants (immutable).

Notation (docs/model.md#the-network):

=============  ===========================================================
``K``          number of input channels, ``n_inputs``
``N``          number of neurons, ``n_neurons``
``W[j, i]``    weight from source ``j`` to neuron ``i``; sources ``0..K-1`` are the
               inputs, ``K..K+N-1`` the neurons; shape ``(K+N, N)``
``mask``       which connections exist (bool, shape of ``W``); no self-loops
``tau_s``      synaptic time constant, ``a = 1/tau_s``, shape ``(N,)``
``tau_n``      membrane time constant, ``b = 1/tau_n``, shape ``(N,)``
``theta``      firing threshold, shape ``(N,)``
=============  ===========================================================

The parameters of the model are the weights inside the mask, zero weights included;
gradients are zero outside the mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .checks import indices, integer
from .errors import ArgumentTypeError

#: Range of ``tau_s``, ``tau_n`` and ``theta`` (units of the time and potential axes):
#: outside it the kernels and the spike-time search lose all precision or overflow.
CONSTANT_RANGE = (1e-6, 1e6)
#: Largest allowed weight magnitude: sums of many such weights stay far from overflow.
MAX_WEIGHT = 1e9


def _numeric(name: str, value) -> np.ndarray:
    """``value`` as a float array; only real numbers (not bools, strings, complex)."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ArgumentTypeError(f"{name} must be an array of real numbers: {exc}") from None
    if arr.dtype.kind not in "iuf":
        if arr.dtype.kind == "O" or arr.size:
            kind = {
                "U": "text",
                "S": "bytes",
                "b": "true/false values",
                "c": "complex numbers (not supported)",
            }.get(arr.dtype.kind, "other values")
            raise ArgumentTypeError(f"{name} must be numeric (real numbers only), got {kind}")
    return arr.astype(float)


def _frozen(x, dtype=float) -> np.ndarray:
    out = np.array(x, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def _per_neuron(name: str, value, n: int) -> np.ndarray:
    arr = _numeric(name, value)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be finite and positive, got {arr.tolist()[:10]}")
    lo, hi = CONSTANT_RANGE
    if np.any(arr < lo) or np.any(arr > hi):
        bad = arr[(arr < lo) | (arr > hi)][0]
        raise ValueError(f"{name} must lie in [{lo:g}, {hi:g}], got {bad:g}")
    return _frozen(arr)


def _layers(layers, n: int) -> tuple:
    """Each layer a non-empty list of distinct neurons; no neuron in two layers."""
    if isinstance(layers, (str, bytes, dict)) or np.isscalar(layers):
        raise ArgumentTypeError(f"layers must be a list of lists of neuron indices, got {layers!r}")
    out, seen = [], {}
    for ell, layer in enumerate(layers):
        layer = indices(f"layer {ell}", layer, n)
        for i in layer:
            if i in seen:
                raise ValueError(f"neuron {i} is in layer {seen[i]} and in layer {ell}")
            seen[i] = ell
        out.append(layer)
    return tuple(out)


@dataclass(frozen=True, eq=False)
class Network:
    """Weights, mask and constants of a LIF network; validated and read-only.

    Parameters
    ----------
    weights : array_like, shape (K+N, N)
        ``W[j, i]`` from source ``j`` (inputs first) to neuron ``i``; real numbers of
        magnitude at most :data:`MAX_WEIGHT`.
    n_inputs : int
        ``K``, the number of input channels.
    tau_s, tau_n, theta : float or array_like of shape (N,)
        Synaptic and membrane time constants and threshold, all in
        :data:`CONSTANT_RANGE`. ``tau_s == tau_n`` is allowed (the kernels' limit
        formulas are used).
    mask : array_like of bool, shape (K+N, N), optional
        Connections that exist. Default: all but self-loops. Weights outside the mask
        must be zero; the mask may not contain self-loops.
    layers : sequence of sequences of int, optional
        Neuron indices of each layer: every layer non-empty, no neuron twice.

    Wrong types raise :class:`~fpsnn_core.errors.ArgumentTypeError`, bad values
    ``ValueError``; both name the argument.
    """

    weights: np.ndarray
    n_inputs: int
    tau_s: np.ndarray = 1.0
    tau_n: np.ndarray = 1.0
    theta: np.ndarray = 1.0
    mask: np.ndarray | None = None
    layers: tuple = field(default=())

    def __post_init__(self):
        set_ = object.__setattr__
        K = integer("n_inputs", self.n_inputs, minimum=0)
        W = np.array(_numeric("weights", self.weights))
        if W.ndim != 2:
            raise ValueError(f"weights must be 2-D of shape (K+N, N), got shape {W.shape}")
        N = W.shape[1]
        if N < 1:
            raise ValueError("the network needs at least one neuron (weights has 0 columns)")
        if W.shape[0] != K + N:
            raise ValueError(
                f"weights must have shape (K+N, N) = ({K + N}, {N}) for n_inputs={K}, got {W.shape}"
            )
        if not np.all(np.isfinite(W)):
            bad = np.argwhere(~np.isfinite(W))[0]
            raise ValueError(f"weights must be finite; W[{bad[0]}, {bad[1]}] = {W[tuple(bad)]}")
        if np.any(np.abs(W) > MAX_WEIGHT):
            bad = np.argwhere(np.abs(W) > MAX_WEIGHT)[0]
            raise ValueError(
                f"weights must have magnitude <= {MAX_WEIGHT:g}; "
                f"W[{bad[0]}, {bad[1]}] = {W[tuple(bad)]:g}"
            )
        self_loops = W[K + np.arange(N), np.arange(N)]
        if np.any(self_loops != 0):
            i = int(np.flatnonzero(self_loops)[0])
            raise ValueError(
                f"self-loops are not allowed: W[{K + i}, {i}] = {self_loops[i]} "
                f"(neuron {i} onto itself) must be 0"
            )
        if self.mask is None:
            mask = np.ones_like(W, dtype=bool)
            mask[K + np.arange(N), np.arange(N)] = False
        else:
            mask = np.asarray(self.mask)
            if mask.dtype.kind not in "biuf":
                raise ArgumentTypeError(f"mask must be boolean (or 0/1), got {mask.dtype} values")
            if mask.shape != W.shape:
                raise ValueError(f"mask must have the shape of weights {W.shape}, got {mask.shape}")
            if mask.dtype != bool:
                if not np.all((mask == 0) | (mask == 1)):
                    raise ValueError("mask must be boolean (or 0/1)")
                mask = mask.astype(bool)
            if np.any(mask[K + np.arange(N), np.arange(N)]):
                raise ValueError("mask may not contain self-loops (mask[K+i, i] must be False)")
            outside = (~mask) & (W != 0)
            if np.any(outside):
                j, i = np.argwhere(outside)[0]
                raise ValueError(
                    f"W[{j}, {i}] = {W[j, i]} lies outside the mask; set it to 0 "
                    "or include the connection in the mask"
                )
        set_(self, "n_inputs", K)
        set_(self, "weights", _frozen(W))
        set_(self, "mask", _frozen(mask, bool))
        set_(self, "tau_s", _per_neuron("tau_s", self.tau_s, N))
        set_(self, "tau_n", _per_neuron("tau_n", self.tau_n, N))
        set_(self, "theta", _per_neuron("theta", self.theta, N))
        set_(self, "layers", _layers(self.layers, N))

    # --- sizes and derived constants ---------------------------------------------
    @property
    def n_neurons(self) -> int:
        """``N``."""
        return self.weights.shape[1]

    @property
    def n_sources(self) -> int:
        """``K + N``."""
        return self.weights.shape[0]

    @property
    def a(self) -> np.ndarray:
        """``1 / tau_s``, shape (N,)."""
        return 1.0 / self.tau_s

    @property
    def b(self) -> np.ndarray:
        """``1 / tau_n``, shape (N,)."""
        return 1.0 / self.tau_n

    @property
    def n_params(self) -> int:
        """Number of parameters: connections inside the mask."""
        return int(self.mask.sum())

    def with_weights(self, weights) -> Network:
        """A copy with other weights (same mask and constants), validated."""
        return Network(
            weights, self.n_inputs, self.tau_s, self.tau_n, self.theta, self.mask, self.layers
        )

    # --- constructors -------------------------------------------------------------
    @classmethod
    def feedforward(
        cls,
        layer_sizes: Sequence[int],
        rng: np.random.Generator | None = None,
        weight_mean: Sequence[float] | float = 1.0,
        weight_std: Sequence[float] | float = 0.5,
        tau_s=1.0,
        tau_n=1.0,
        theta=1.0,
    ) -> Network:
        """Layered feed-forward network with weights drawn from normal distributions.

        Parameters
        ----------
        layer_sizes : sequence of int
            ``[K, n_1, ..., n_L]``: input channels then neurons per layer.
        rng : numpy.random.Generator or None
            Source of randomness (pass ``np.random.default_rng(seed)``); ``None``: a fresh
            ``np.random.default_rng()`` (other weights every call).
        weight_mean, weight_std : float or sequence of L floats
            Mean and standard deviation of the weights into each layer.

        Neurons are numbered layer by layer; ``layers`` holds each layer's neuron
        indices. Only connections from one layer to the next exist (the mask).
        """
        if rng is None:
            rng = np.random.default_rng()
        if not isinstance(rng, np.random.Generator):
            raise ArgumentTypeError(
                f"rng must be a numpy.random.Generator (np.random.default_rng"
                f"(seed)) or None, got {type(rng).__name__}"
            )
        sizes = [int(s) for s in layer_sizes]
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError(
                f"layer_sizes needs at least 2 positive entries, got {list(layer_sizes)}"
            )
        n_layers = len(sizes) - 1
        means = np.broadcast_to(np.asarray(weight_mean, dtype=float), (n_layers,))
        stds = np.broadcast_to(np.asarray(weight_std, dtype=float), (n_layers,))
        K, N = sizes[0], sum(sizes[1:])
        W = np.zeros((K + N, N))
        mask = np.zeros((K + N, N), dtype=bool)
        src0, dst0, layers = 0, 0, []
        for ell in range(n_layers):
            n_src, n_dst = sizes[ell], sizes[ell + 1]
            src = slice(src0, src0 + n_src)
            dst = slice(dst0, dst0 + n_dst)
            mask[src, dst] = True
            W[src, dst] = rng.normal(means[ell], stds[ell], size=(n_src, n_dst))
            layers.append(tuple(range(dst0, dst0 + n_dst)))
            src0 = K + dst0
            dst0 += n_dst
        return cls(W, K, tau_s, tau_n, theta, mask, tuple(layers))
