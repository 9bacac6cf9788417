"""Batched exact simulation and exact gradients of layered feed-forward networks.

The general core (:mod:`fpsnn_core.simulate`, :mod:`fpsnn_core.gradients`) handles any
topology, one sample at a time. Here the network is layered (as built by
:meth:`Network.feedforward`): layer ``l = 1..L`` receives only from layer ``l-1`` (layer 0
being the ``K`` inputs) through ``W_l``, the block of ``W`` of shape ``(n_{l-1}, n_l)``.
Then a layer's neurons are independent of each other given the spikes of the layer
below, and the work vectorizes over samples and neurons at once.

Spike trains of a layer for a batch of ``B`` samples are padded arrays ``times`` of shape
``(B, n, M)`` (each neuron's spikes ascending, ``inf`` after its last) with the slopes
``V'(f-)`` beside them.

**Simulation** (the model and the crossing search of :mod:`fpsnn_core.simulate`, (S1) and
(S2)): one loop over the merged input events of a layer, vectorized over all
(sample, neuron) pairs. In each inter-event interval, every pair whose potential reaches
``theta`` fires; pairs that fired are searched again (a neuron can fire several times
between two events) until none fires; then all pairs advance to the next event.

**Loss** (docs/model.md#losses): only the first spike of each output neuron enters the
first-spike cross entropy, so the output layer stops at its first spike (one spike per
output neuron), and only hidden spikes before it enter its gradient (its causal past; later
spikes meet zero kernels). A silent output uses ``t_max`` in the loss and passes no
gradient, as ``first_spike_cross_entropy(..., silent_time=t_max)`` of the core.

**Gradients** (docs/model.md#fp-and-the-adjoint, entries (J1)-(J4) of
:mod:`fpsnn_core.implicit`). In
a layered network ``L`` couples a spike ``f`` of neuron ``i`` in layer ``l`` only to the
spikes ``p`` of layer ``l-1`` before it (J2: ``-W_l[j,i] h'(f - p)``) and to the neuron's own
earlier spikes ``m`` (J3: ``-theta b exp(-b (f - m))``). With ``S_f = L_ff`` the slope:

* FP, forward in layers and, within a neuron, forward in time (G2)::

      df/dW = ( sum_p W_l[j,i] h'(f - p) dp/dW + theta b sum_m exp(-b (f - m)) dm/dW
                - dPhi_f/dW ) / S_f,         dPhi_f/dW_l[j,i] = y_ji(f)            (L1)

* adjoint, backward in layers and, within a neuron, backward in time (G3)::

      lam_f = ( c_f + sum_q W_{l+1}[i,k] h'(q - f) lam_q
                + theta b sum_{m > f} exp(-b (m - f)) lam_m ) / S_f
      dLoss/dW_l[j,i] = - sum_f lam_f y_ji(f)                                    (L2)

  with ``c_f = dLoss/df`` (non-zero only at the output first spikes) and ``q`` the spikes
  of layer ``l+1`` after ``f`` that receive it.

Both give the numbers of the core (tests compare to 1e-10).

As in the core, a neuron firing more than ``max_spikes`` times in a sample raises
:class:`RunawayFiringError`, and a spike that only grazes the threshold (relative slope
below ``GRAZING_TOL``) makes its gradient singular: :func:`loss_gradient` raises
:class:`GrazingSpikeError`, or leaves such samples out and lets the caller count them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import GrazingSpikeError, RunawayFiringError
from .kernels import kernel_pair
from .losses import cross_entropy_of_first_spikes
from .network import Network
from .simulate import GRAZING_TOL, _take, check_t_max, crossing, grazing, spike_time_array

#: Default bound on the spikes of one neuron in one sample (runaway firing).
MAX_SPIKES_PER_NEURON = 200
#: Samples per chunk in the gradient (bounds the memory of the kernel tensors).
CHUNK = 128


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer of a layered network.

    Attributes
    ----------
    sources : ndarray of int, shape (n_pre,)
        Rows of ``W`` feeding the layer (inputs, or ``K +`` neurons of the layer below).
    neurons : ndarray of int, shape (n,)
        The layer's neurons (columns of ``W``).
    weights : ndarray, shape (n_pre, n)
        ``W_l = W[sources][:, neurons]``.
    mask : ndarray of bool, shape (n_pre, n)
    a, b, theta : ndarray, shape (n,)
    """

    sources: np.ndarray
    neurons: np.ndarray
    weights: np.ndarray
    mask: np.ndarray
    a: np.ndarray
    b: np.ndarray
    theta: np.ndarray


def layers_of(net: Network) -> tuple[Layer, ...]:
    """Split a layered feed-forward network into its layers.

    Raises ``ValueError`` unless ``net.layers`` is set and every connection of the mask
    goes from one layer (or the inputs) to the next.
    """
    if not net.layers:
        raise ValueError(
            "the batched path needs a layered network (Network.feedforward); "
            "this network has no 'layers'"
        )
    K = net.n_inputs
    allowed = np.zeros_like(net.mask)
    out, sources = [], np.arange(K)
    for neurons in net.layers:
        neurons = np.asarray(neurons, dtype=int)
        allowed[np.ix_(sources, neurons)] = True
        out.append(
            Layer(
                sources,
                neurons,
                net.weights[np.ix_(sources, neurons)],
                net.mask[np.ix_(sources, neurons)],
                net.a[neurons],
                net.b[neurons],
                net.theta[neurons],
            )
        )
        sources = K + neurons
    if np.any(net.mask & ~allowed):
        j, i = np.argwhere(net.mask & ~allowed)[0]
        raise ValueError(
            f"the batched path needs a layered feed-forward network; the "
            f"connection W[{j}, {i}] skips or goes back a layer"
        )
    return tuple(out)


@dataclass(frozen=True, eq=False)
class LayerSpikes:
    """Spikes of one layer for a batch.

    Attributes
    ----------
    times : ndarray, shape (B, n, M)
        Each neuron's spike times ascending, ``inf`` after its last.
    slopes : ndarray, shape (B, n, M)
        ``V'(f-)`` of each spike (``nan`` for padding).
    """

    times: np.ndarray
    slopes: np.ndarray


@dataclass(frozen=True, eq=False)
class BatchRun:
    """Result of :func:`simulate_batch`.

    Attributes
    ----------
    inputs : ndarray, shape (B, K, M0)
        Input spike times used (``inf`` where none, and for those after ``t_max``).
    layers : tuple of LayerSpikes
        Hidden layers with all their spikes in ``[0, t_max]``; the output layer (last)
        with its first spike only (``M = 1``).
    t_max : float
    """

    inputs: np.ndarray
    layers: tuple
    t_max: float

    @property
    def first_times(self) -> np.ndarray:
        """First spike time of each output neuron, shape (B, C); ``inf`` if silent."""
        return self.layers[-1].times[:, :, 0]

    def predictions(self) -> np.ndarray:
        """:func:`predict` of :attr:`first_times`, shape (B,)."""
        return predict(self.first_times)


def predict(first_times: np.ndarray) -> np.ndarray:
    """The class of each sample: the output that fired first, alone; ``-1`` where no output
    fired or several share the earliest time (no decision). The one prediction rule (the
    training's accuracy and confusion matrix, the app).

    Parameters
    ----------
    first_times : ndarray, shape (B, C)   (``inf`` if silent)
    """
    T = np.asarray(first_times, dtype=float)
    t_min = T.min(axis=1)
    alone = (T == t_min[:, None]).sum(axis=1) == 1
    return np.where(np.isfinite(t_min) & alone, np.argmin(T, axis=1), -1)


# --- simulation ---------------------------------------------------------------------
def _constant(x: np.ndarray, B: int):
    """A layer constant for the event loop: a float if all neurons share it, else the
    per-pair array (samples x neurons, flattened)."""
    return float(x[0]) if np.all(x == x[0]) else np.tile(x, B)


def _merge_events(times: np.ndarray):
    """Events of a layer's input, time-ordered per sample (ties: lower source first).

    ``times`` (B, n_src, M) -> ``(t, src)`` of shape (B, E); padding has ``t = inf``.
    """
    B, n_src, M = times.shape
    flat = times.reshape(B, n_src * M)
    order = np.argsort(flat, axis=1, kind="stable")
    t = np.take_along_axis(flat, order, axis=1)
    keep = np.isfinite(t).any(axis=0)
    return t[:, keep], (order // M)[:, keep]


def _simulate_layer(
    pre_times: np.ndarray,
    layer: Layer,
    t_max: float,
    first_only: bool,
    max_spikes: int = MAX_SPIKES_PER_NEURON,
) -> LayerSpikes:
    """Spikes of one layer given the spikes of the layer below (module docstring);
    :class:`RunawayFiringError` when a neuron fires more than ``max_spikes`` times."""
    ev_t, ev_src = _merge_events(pre_times)
    B, E = ev_t.shape
    n = layer.neurons.size
    P = B * n
    a, b, theta = (_constant(x, B) for x in (layer.a, layer.b, layer.theta))
    r_lo, r_hi = np.minimum(a, b), np.maximum(a, b)
    W0 = np.vstack([layer.weights, np.zeros((1, n))])  # row -1: padding events
    ev_src = np.where(np.isfinite(ev_t), ev_src, -1)
    V, I, t0 = np.zeros(P), np.zeros(P), np.zeros(P)
    alive = np.ones(P, dtype=bool)
    count = np.zeros(P, dtype=int)
    rec_i, rec_m, rec_f, rec_s = [], [], [], []
    for e in range(E + 1):  # loop over events
        t_e = np.repeat(np.minimum(ev_t[:, e], t_max) if e < E else np.full(B, t_max), n)
        cand = np.flatnonzero(alive & (I > 0.0))
        while cand.size:  # spikes before event e
            s = crossing(
                V[cand],
                I[cand],
                t_e[cand] - t0[cand],
                _take(a, cand),
                _take(b, cand),
                _take(theta, cand),
            )
            fired = np.isfinite(s)
            cand, s = cand[fired], s[fired]
            if cand.size == 0:
                break
            I_f = I[cand] * np.exp(-_take(a, cand) * s)
            rec_i.append(cand)
            rec_m.append(count[cand])
            rec_f.append(t0[cand] + s)
            rec_s.append(I_f - _take(b, cand) * _take(theta, cand))  # V'(f-) = I(f) - b theta
            count[cand] += 1
            if count[cand].max() > max_spikes:
                k = cand[np.argmax(count[cand])]
                raise RunawayFiringError(
                    f"runaway firing: neuron {layer.neurons[k % n]} fired more than {max_spikes} "
                    f"times before t={t0[k] + s[np.argmax(count[cand])]:.6g} (sample {k // n}). "
                    "Lower the weights or raise max_spikes."
                )
            V[cand], I[cand], t0[cand] = 0.0, I_f, t0[cand] + s  # reset by subtraction
            if first_only:
                alive[cand] = False
                break
        if e == E or not alive.any():
            break
        s = t_e - t0  # advance to the event, (S1)
        V = V * np.exp(-b * s) + I * kernel_pair(s, r_lo, r_hi)[0]
        I = I * np.exp(-a * s)
        t0 = t_e
        I += W0[ev_src[:, e]].reshape(P)
    M = max(int(count.max()), 1)
    times = np.full((P, M), np.inf)
    slopes = np.full((P, M), np.nan)
    if rec_i:
        i, m = np.concatenate(rec_i), np.concatenate(rec_m)
        times[i, m], slopes[i, m] = np.concatenate(rec_f), np.concatenate(rec_s)
    return LayerSpikes(times.reshape(B, n, M), slopes.reshape(B, n, M))


def _check_inputs(inputs, K: int, t_max: float) -> np.ndarray:
    """Inputs as (B, K, M0), sorted, times after ``t_max`` set to ``inf``; the checks of
    :func:`fpsnn_core.simulate.check_t_max` and :func:`~fpsnn_core.simulate.spike_time_array`."""
    t_max = check_t_max(t_max)
    x = spike_time_array(inputs)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[1] != K or x.shape[0] < 1:
        raise ValueError(
            f"inputs must have shape (B, {K}) or (B, {K}, M0) with B >= 1, got {np.shape(inputs)}"
        )
    x[x > t_max] = np.inf
    return np.sort(x, axis=2)


def simulate_batch(
    net: Network, inputs, t_max: float, *, max_spikes: int = MAX_SPIKES_PER_NEURON
) -> BatchRun:
    """Simulate a layered network on a batch of inputs, exactly.

    Parameters
    ----------
    net : Network
        Layered feed-forward (see :func:`layers_of`).
    inputs : array_like, shape (B, K) or (B, K, M0)
        Input spike times per sample and channel (``inf`` for none; times after
        ``t_max`` are ignored).
    t_max : float
    max_spikes : int
        Spikes allowed per neuron and sample; more raise :class:`RunawayFiringError`.

    Returns
    -------
    BatchRun
        Hidden layers complete on ``[0, t_max]``; output layer up to its first spike.
    """
    layers = layers_of(net)
    x = _check_inputs(inputs, net.n_inputs, t_max)
    out, pre = [], x
    for ell, layer in enumerate(layers):
        spikes = _simulate_layer(pre, layer, float(t_max), ell == len(layers) - 1, max_spikes)
        out.append(spikes)
        pre = spikes.times
    return BatchRun(x, tuple(out), float(t_max))


# --- loss -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BatchLoss:
    """First-spike cross entropy of a batch ((C1)-(C2) of :mod:`fpsnn_core.losses`).

    Attributes
    ----------
    values : ndarray, shape (B,)      loss of each sample
    dloss_dt : ndarray, shape (B, C)  ``dloss/dt_c``; zero for silent outputs
    times : ndarray, shape (B, C)     first spike times used (``t_max`` if silent)
    silent : ndarray of bool, shape (B, C)
    """

    values: np.ndarray
    dloss_dt: np.ndarray
    times: np.ndarray
    silent: np.ndarray


def first_spike_loss(
    run: BatchRun,
    labels,
    *,
    tau_0: float = 1.0,
    gamma: float = 0.0,
    tau_1: float = 1.0,
    silent: str = "t_max",
) -> BatchLoss:
    """First-spike cross entropy of every sample
    (:func:`fpsnn_core.losses.cross_entropy_of_first_spikes`; by default silent outputs
    count at ``t_max``).

    Parameters
    ----------
    labels : array_like of int, shape (B,)
    """
    values, dt, t, quiet = cross_entropy_of_first_spikes(
        run.first_times, labels, run.t_max, tau_0=tau_0, gamma=gamma, tau_1=tau_1, silent=silent
    )
    return BatchLoss(values, dt, t, quiet)


# --- gradients ------------------------------------------------------------------------
def _pair_delays(post: np.ndarray, pre: np.ndarray):
    """``f - p`` for post spikes (B, n, M) and pre spikes (B, n_pre, M_pre), shape
    (B, n_pre, M_pre, n, M), and where ``p < f`` (both real)."""
    fin_post, fin_pre = np.isfinite(post), np.isfinite(pre)
    D = (
        np.where(fin_post, post, 0.0)[:, None, None, :, :]
        - np.where(fin_pre, pre, 0.0)[:, :, :, None, None]
    )
    valid = fin_post[:, None, None] & fin_pre[..., None, None] & (D > 0)
    return np.where(valid, D, 0.0), valid


def _kernels(D, valid, layer: Layer):
    """``h`` and ``h'`` (:mod:`fpsnn_core.kernels`) of every (pre, post) pair of
    :func:`_pair_delays`, zero where ``p >= f``; evaluated on the valid pairs only."""
    shape = D.shape
    a = np.broadcast_to(layer.a[:, None], shape)[valid]
    b = np.broadcast_to(layer.b[:, None], shape)[valid]
    h, dh = np.zeros(shape), np.zeros(shape)
    h[valid], dh[valid] = kernel_pair(D[valid], np.minimum(a, b), np.maximum(a, b))
    return h, dh


def causal_cut(run: BatchRun) -> BatchRun:
    """The run without hidden spikes that no output first spike depends on.

    In a layered network a spike of layer ``l-1`` can influence layer ``l`` only through
    spikes after it, so those at or after the last kept spike of layer ``l`` (per sample)
    are dropped, from the top down; the padding dimension ``M`` shrinks accordingly.
    """
    layers = list(run.layers)
    for ell in range(len(layers) - 2, -1, -1):
        above = layers[ell + 1].times
        t_last = np.where(np.isfinite(above), above, -np.inf).max(axis=(1, 2))  # (B,)
        t, S = layers[ell].times, layers[ell].slopes
        keep = t < t_last[:, None, None]
        M = max(int(keep.sum(axis=2).max()), 1)
        layers[ell] = LayerSpikes(
            np.where(keep, t, np.inf)[:, :, :M], np.where(keep, S, np.nan)[:, :, :M]
        )
    return BatchRun(run.inputs, tuple(layers), run.t_max)


def _own_decay(times: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``exp(-b (f_{m+1} - f_m))`` between consecutive spikes, shape (B, n, M-1); 0 at padding."""
    ok = np.isfinite(times[:, :, 1:])
    gap = np.where(ok, times[:, :, 1:] - np.where(ok, times[:, :, :-1], 0.0), 0.0)
    return np.where(ok, np.exp(-b[:, None] * gap), 0.0)


def _adjoint(layers, run: BatchRun, dloss_dt: np.ndarray) -> list[np.ndarray]:
    """``dLoss/dW_l`` for every layer by (L2)."""
    out = [None] * len(layers)
    spikes = run.layers
    lam = np.where(np.isfinite(spikes[-1].times), dloss_dt[:, :, None] / spikes[-1].slopes, 0.0)
    for ell in range(len(layers) - 1, -1, -1):
        layer = layers[ell]
        pre = run.inputs if ell == 0 else spikes[ell - 1].times
        D, valid = _pair_delays(spikes[ell].times, pre)
        h, dh = _kernels(D, valid, layer)
        y = h.sum(axis=2)  # y_ji(f), (B, n_pre, n, M)
        out[ell] = -np.einsum("bjim,bim->ji", y, lam) * layer.mask
        if ell == 0:
            break
        below = layers[ell - 1]
        r = np.einsum("bjpim,bim,ji->bjp", dh, lam, layer.weights, optimize=True)
        S, times = spikes[ell - 1].slopes, spikes[ell - 1].times
        decay = _own_decay(times, below.b)
        lam = np.zeros_like(r)
        R = np.zeros(r.shape[:2])  # sum_{m>f} e^{-b(m-f)} lam_m
        for m in range(r.shape[2] - 1, -1, -1):  # backwards in time
            if m < r.shape[2] - 1:
                R = decay[:, :, m] * (lam[:, :, m + 1] + R)
            ok = np.isfinite(times[:, :, m])
            lam[:, :, m] = np.where(
                ok, (r[:, :, m] + below.theta * below.b * R) / np.where(ok, S[:, :, m], 1.0), 0.0
            )
    return out


def _forward(layers, run: BatchRun, dloss_dt: np.ndarray) -> list[np.ndarray]:
    """``dLoss/dW_l`` for every layer by FP (L1): the Jacobians of every layer's spikes,
    layer after layer, then ``dLoss/dF dF/dW``."""
    spikes = run.layers
    jac_prev: list = []  # d(spikes of layer l-1)/dW_l' for l' < l, full shapes
    for ell, layer in enumerate(layers):
        pre = run.inputs if ell == 0 else spikes[ell - 1].times
        times, S = spikes[ell].times, spikes[ell].slopes
        D, valid = _pair_delays(times, pre)
        h, dh = _kernels(D, valid, layer)
        # driving terms of (L1): own weights (-dPhi/dW), then weights of lower layers
        own = -h.sum(axis=2).transpose(0, 2, 3, 1)  # (B, n, M, n_pre)
        drive = []
        if ell > 0:
            dhw = dh * layer.weights[None, :, None, :, None]  # W_l[j,i] h'(f - p)
            for k, J in enumerate(jac_prev):
                if k == ell - 1:  # compact: dp_j/dW_{l-1}[q, j] only, (B, n_pre, M_pre, n_q)
                    drive.append(np.einsum("bjpim,bjpq->bimqj", dhw, J))
                else:
                    drive.append(np.einsum("bjpim,bjp...->bim...", dhw, J))
        decay = _own_decay(times, layer.b)
        terms = [own] + drive
        jac = [np.zeros_like(x) for x in terms]
        ok = np.isfinite(times)
        scale = np.where(ok, 1.0 / np.where(ok, S, 1.0), 0.0)
        tb = layer.theta * layer.b
        for x, J in zip(terms, jac):
            extra = (1,) * (x.ndim - 3)
            R = np.zeros(x.shape[:2] + x.shape[3:])
            for m in range(x.shape[2]):  # forward in time
                if m > 0:
                    R = decay[:, :, m - 1].reshape(R.shape[:2] + extra) * (J[:, :, m - 1] + R)
                J[:, :, m] = (x[:, :, m] + tb.reshape((1, -1) + extra) * R) * scale[
                    :, :, m
                ].reshape(scale.shape[:2] + extra)
        jac_prev = jac[1:] + [jac[0]]  # lower layers (full), then this one (compact)
    # the output layer: jac = [own compact (B, C, 1, n_pre), lower layers full ...]
    c = dloss_dt
    grads = [np.einsum("bc,bc...->...", c, J[:, :, 0]) for J in jac[1:]]
    grads.append(np.einsum("bc,bcj->jc", c, jac[0][:, :, 0]))
    return [g * layer.mask for g, layer in zip(grads, layers)]


#: Gradient methods of :func:`loss_gradient`.
METHODS = ("fp", "adjoint")


def grazing_samples(net: Network, run: BatchRun, grazing_tol: float = GRAZING_TOL) -> np.ndarray:
    """Which samples have a grazing spike (relative slope below ``grazing_tol``, as in
    :mod:`fpsnn_core.simulate`) among the spikes of ``run``; shape (B,), bool.

    Pass ``causal_cut(run)`` to look only at the spikes the loss depends on.
    """
    bad = np.zeros(run.inputs.shape[0], dtype=bool)
    for spikes, layer in zip(run.layers, layers_of(net)):
        bad |= grazing(
            spikes.slopes, layer.b[None, :, None], layer.theta[None, :, None], grazing_tol
        ).any(axis=(1, 2))
    return bad


def loss_gradient(
    net: Network, run: BatchRun, dloss_dt, method: str = "fp", *, on_grazing: str = "raise"
) -> np.ndarray:
    """``sum_b dLoss_b/dW`` for ``dLoss_b/dt_c`` of each sample's output first spikes.

    Parameters
    ----------
    run : BatchRun
        From :func:`simulate_batch` on ``net``.
    dloss_dt : array_like, shape (B, C)
        Derivative of each sample's loss with respect to its output first spike times
        (ignored where an output is silent).
    method : {"fp", "adjoint"}
        Forward propagation (L1) or the adjoint (L2); the same numbers.
    on_grazing : {"raise", "skip"}
        A sample whose loss depends on a grazing spike (singular gradient) raises
        :class:`GrazingSpikeError`, or is left out of the sum ("skip"; such samples are
        ``grazing_samples(net, causal_cut(run))``).

    Returns
    -------
    ndarray, shape (K+N, N)
        Summed over the batch; zero outside the mask.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if on_grazing not in ("raise", "skip"):
        raise ValueError(f"on_grazing must be 'raise' or 'skip', got {on_grazing!r}")
    layers = layers_of(net)
    c = np.asarray(dloss_dt, dtype=float)
    B = run.inputs.shape[0]
    if c.shape != (B, layers[-1].neurons.size) or not np.all(np.isfinite(c)):
        raise ValueError(f"dloss_dt must be finite with shape ({B}, {layers[-1].neurons.size})")
    c = np.where(np.isfinite(run.first_times), c, 0.0)
    run = causal_cut(run)
    bad = grazing_samples(net, run) & np.any(c != 0, axis=1)
    if bad.any():
        if on_grazing == "raise":
            raise GrazingSpikeError(
                f"sample {int(np.flatnonzero(bad)[0])} depends on a spike that only grazes the "
                "threshold: its gradient is singular there"
            )
        c = np.where(bad[:, None], 0.0, c)
    grad = np.zeros((net.n_sources, net.n_neurons))
    solve = _forward if method == "fp" else _adjoint
    for lo in range(0, B, CHUNK):  # bounded memory
        part = slice(lo, lo + CHUNK)
        sub = BatchRun(
            run.inputs[part],
            tuple(LayerSpikes(s.times[part], s.slopes[part]) for s in run.layers),
            run.t_max,
        )
        for layer, g in zip(layers, solve(layers, sub, c[part])):
            grad[np.ix_(layer.sources, layer.neurons)] += g
    return grad


@dataclass(frozen=True, eq=False)
class BatchGradient:
    """Mean loss and mean gradient of a batch, with what the forward pass gave.

    Attributes
    ----------
    loss : float                   mean of ``losses``
    gradient : ndarray, shape (K+N, N)   mean ``dLoss/dW`` over the samples not skipped
        (a skipped sample leaves the denominator too; zero if all were skipped)
    losses : ndarray, shape (B,)
    first_times : ndarray, shape (B, C)  (``inf`` if silent)
    spike_counts : list of ndarray, shape (B, n_l) per layer (the output counts at most 1)
    skipped : int                  samples left out of the gradient (grazing spike)
    settled : int                  samples left out of the gradient because they are
        classified with the margin of :func:`settled_samples`
    """

    loss: float
    gradient: np.ndarray
    losses: np.ndarray
    first_times: np.ndarray
    spike_counts: list
    skipped: int = 0
    settled: int = 0


def settled_samples(first_times, labels, margin: float) -> np.ndarray:
    """Which samples are classified with room to spare: the label's output fires and every
    other output fires at least ``margin`` later, or not at all::

        t_y < inf   and   t_c >= t_y + margin   for every c != y                     (L3)

    Shape (B,), boolean; all ``False`` when ``margin <= 0`` (no margin rule).
    """
    T = np.asarray(first_times, dtype=float)
    y = np.asarray(labels, dtype=int)
    if margin <= 0 or T.size == 0:
        return np.zeros(T.shape[0], dtype=bool)
    t_y = T[np.arange(T.shape[0]), y]
    others = np.where(np.arange(T.shape[1])[None, :] == y[:, None], np.inf, T)
    return np.isfinite(t_y) & np.all(others >= t_y[:, None] + margin, axis=1)


def loss_and_gradient(
    net: Network,
    inputs,
    labels,
    t_max: float,
    *,
    tau_0: float = 1.0,
    gamma: float = 0.0,
    tau_1: float = 1.0,
    method: str = "fp",
    on_grazing: str = "raise",
    silent: str = "t_max",
    margin: float = 0.0,
) -> BatchGradient:
    """Simulate a batch, its first-spike cross entropy and the exact mean gradient
    (:func:`simulate_batch`, :func:`first_spike_loss`, :func:`loss_gradient`).

    With ``margin > 0`` the samples that are settled by (L3) (:func:`settled_samples`) give
    no gradient and leave the mean: the gradient is that of the mean loss over the other
    samples. ``loss`` and ``losses`` still cover every sample.
    """
    run = simulate_batch(net, inputs, t_max)
    loss = first_spike_loss(run, labels, tau_0=tau_0, gamma=gamma, tau_1=tau_1, silent=silent)
    B = loss.values.size
    settled = settled_samples(run.first_times, labels, margin)
    dloss_dt = np.where(settled[:, None], 0.0, loss.dloss_dt)
    skipped = 0
    if on_grazing == "skip":
        skipped = int((grazing_samples(net, causal_cut(run)) & np.any(dloss_dt != 0, axis=1)).sum())
    n_settled = int(settled.sum())
    grad = loss_gradient(net, run, dloss_dt, method, on_grazing=on_grazing) / max(
        B - skipped - n_settled, 1
    )
    counts = [np.isfinite(s.times).sum(axis=2) for s in run.layers]
    return BatchGradient(
        float(loss.values.mean()), grad, loss.values, run.first_times, counts, skipped, n_settled
    )
