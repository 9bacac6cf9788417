"""EventProp: the gradient by adjoint dynamics run backwards in time between spikes.

Wunderlich & Pehle (2021) compute ``dLoss/dW`` with one adjoint state per neuron that
evolves backwards in time, jumps at spikes, and is read off at presynaptic spike times.
Here the method is derived for the model of docs/model.md#the-network (``I' = -a I + inputs``,
``V' = -b V + I``, reset by subtracting ``theta``, zero delay, no self-loops) and a loss
``Loss(F)`` on spike times with ``c_k = dLoss/df_k``.

**Adjoint variables.** ``lambda_V,i(t) = dLoss/dV_i(t)`` and ``lambda_I,i(t) = dLoss/dI_i(t)``:
the change of the loss per unit of an instantaneous kick to the state of neuron ``i`` at
``t``, every later spike time re-adjusting. (W&P's multipliers are the negatives of
these, scaled by their ``tau``; with sensitivities the signs read off directly.)

**Free dynamics.** Between events ``x = (V_i, I_i)`` obeys ``x' = A x`` with
``A = [[-b, 1], [0, -a]]``, so a kick ``dx`` at ``t`` is ``exp(A s) dx`` at ``t + s`` and
``lambda(t)^T = lambda(t + s)^T exp(A s)``, i.e. ``lambda' = -A^T lambda``. Backwards from
``t1`` over ``s >= 0``, in closed form with the joint kernel ``h`` of
:mod:`fpsnn_core.kernels` (``a == b`` is its limit, continuous in ``a``)::

    lambda_V(t1 - s) = lambda_V(t1) exp(-b s)
    lambda_I(t1 - s) = lambda_I(t1) exp(-a s) + lambda_V(t1) h(s)              (E1)

the forward dynamics with the roles of ``V`` and ``I`` exchanged: ``lambda_V`` feeds
``lambda_I`` through the same kernel through which ``I`` feeds ``V``.

**Arrivals.** A spike of source ``j`` at ``g`` adds the constant ``W[j, i]`` to ``I_i``;
kicks pass through unchanged, so ``lambda`` is continuous there.

**Jump at a spike** ``f = f_k`` of neuron ``n`` with left slope ``Vdot = V_n'(f-) =
I_n(f) - b theta > 0`` (``L_kk``, (J1) of :mod:`fpsnn_core.implicit`). Kick the state
just before ``f`` by
``(dV, dI)``. The crossing moves by ``df = -dV / Vdot`` (``dI`` moves it only at second
order). Compared at a common time just after both versions of the spike, to first order:

* the loss changes by ``c_k df``;
* neuron ``n`` resets ``df`` later: ``x(f-) - x(f+) = theta e_V`` and
  ``xdot(f-) - xdot(f+) = A theta e_V = (-b theta, 0)``, so ``n``'s state differs by
  ``(dV - b theta df, dI)``;
* each postsynaptic ``m`` receives the jump ``w = W[K+n, m]`` of ``I_m`` ``df`` later:
  ``xdot(f+) - xdot(f-) = A w e_I = w (1, -a_m)``, so ``m``'s state differs by
  ``-w df (1, -a_m)``.

Equating ``lambda_V,n(f-) dV + lambda_I,n(f-) dI`` with the sum of these effects
(weighted by ``lambda(f+)``) for all ``(dV, dI)`` gives, with everything on the right at
``f+``::

    lambda_I,n(f-) = lambda_I,n(f+)
    lambda_V,n(f-) = lambda_V,n(f+) - eps_k                                    (E2)
    eps_k = ( c_k - theta b lambda_V,n - sum_m W[K+n, m] (lambda_V,m - a_m lambda_I,m) ) / Vdot

and every other neuron's ``lambda`` is continuous at ``f``. ``eps_k`` is the jump of
``lambda_V,n`` at ``f_k`` seen forwards in time (``lambda_V(f+) - lambda_V(f-)``).

**Gradient.** ``W[j, i]`` enters only as the size of ``I_i``'s jump at each ``g`` in
``F_j``; raising it by ``dw`` kicks ``I_i`` by ``dw`` at ``g`` (the spike-time changes
that follow are what ``lambda`` accounts for), so, ``lambda_I`` being continuous::

    dLoss/dW[j, i] = sum_{g in F_j} lambda_I,i(g)        (zero outside the mask)  (E3)

**The adjoint solve seen again.** Unrolling (E1) and (E2) from ``lambda = 0`` after the last
spike::

    lambda_V,i(t) = -sum_{k: i_k = i, f_k > t} eps_k exp(-b (f_k - t))
    lambda_I,i(t) = -sum_{k: i_k = i, f_k > t} eps_k h(f_k - t)

and since ``exp(-b s) - a h(s) = h'(s)``, (E2) reads ``L_kk eps_k = c_k - sum_{l > k}
L_lk eps_l`` with the entries (J1)-(J3) of :mod:`fpsnn_core.implicit`: that is
``L^T lam = c`` of :mod:`fpsnn_core.gradients` (G3), ``eps = lam``, solved backwards in
time; and (E3) is ``-sum_k lam_k y_ji(f_k) = -lam^T dPhi/dW``. EventProp stores ``lam``
as the jumps of continuous traces and carries ``2 N`` numbers between events instead
of the matrix ``L``: ``O(E N)`` time for ``E`` events, ``O(N)`` memory beyond the spike
record, and no dependence on how many weights there are until (E3) reads them off.

**Ties.** Only strictly earlier events enter a spike (docs/model.md#ties-and-grazing,
:mod:`fpsnn_core.simulate`):
all spikes at one instant read ``lambda(f+)`` before any of their jumps is applied.

**Grazing.** ``eps_k`` divides by ``Vdot``. A spike whose jump is needed (``c_k != 0``, or
a neuron it feeds in the mask, itself included, has a needed spike strictly later: the
causal past of :func:`fpsnn_core.causal_past`) and that grazes the threshold raises
:class:`GrazingSpikeError`; spikes that are not needed get ``eps_k = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import real_array
from .errors import GrazingSpikeError
from .kernels import kernel
from .network import Network
from .simulate import Simulation, check_simulation


@dataclass(frozen=True, eq=False)
class BackwardPass:
    """Result of :func:`eventprop`. Arrays are read-only.

    Attributes
    ----------
    gradient : ndarray, shape (K+N, N)
        ``dLoss/dW`` by (E3).
    jumps : ndarray, shape (S,)
        ``eps_k`` of (E2) per spike (time order): ``lambda_V(f_k+) - lambda_V(f_k-)`` of
        neuron ``i_k``; equal to the adjoint ``lam`` of the triangular solve (G3).
    event_times : ndarray, shape (T_e,)
        The distinct event times (inputs and spikes), ascending; empty unless recorded.
    lambda_V_left, lambda_I_left : ndarray, shape (T_e, N)
        ``lambda(t-)`` at each event time, after its jumps; empty unless recorded.
    """

    gradient: np.ndarray
    jumps: np.ndarray
    event_times: np.ndarray
    lambda_V_left: np.ndarray
    lambda_I_left: np.ndarray


@dataclass(frozen=True, eq=False)
class AdjointTraces:
    """``lambda_V`` and ``lambda_I`` on a grid and the jumps of ``lambda_V``.

    Attributes
    ----------
    t : ndarray, shape (T,)
    lambda_V, lambda_I : ndarray, shape (T, N)
        Left limits at event times (as :func:`fpsnn_core.potentials` for ``V``).
    jump_times, jump_sizes : ndarray, shape (S,)
        Spike times and ``eps_k`` (forwards-in-time jump of ``lambda_V``).
    jump_neurons : ndarray of int, shape (S,)
    """

    t: np.ndarray
    lambda_V: np.ndarray
    lambda_I: np.ndarray
    jump_times: np.ndarray
    jump_neurons: np.ndarray
    jump_sizes: np.ndarray


def _check_dloss(sim: Simulation, dloss_dtimes) -> np.ndarray:
    return real_array("dloss_dtimes", dloss_dtimes, (sim.n_spikes,))


def _raise_grazing(sim: Simulation, k: int) -> None:
    raise GrazingSpikeError(
        f"spike {k} (neuron {sim.spike_neurons[k]}, t={sim.spike_times[k]:.6g}) only grazes "
        f"the threshold (slope {sim.slopes[k]:.3g}): the jump of lambda_V there divides by "
        "that slope, and the gradient would be singular"
    )


def _event_groups(net: Network, sim: Simulation, t_start: float):
    """Distinct event times ``<= t_start``, descending, with the sources and spikes at each.

    Yields ``(t, sources, spikes)``: sources ``j`` (inputs ``< K``, neurons ``K + n``) of
    every event at ``t`` and the indices of the neuron spikes at ``t``.
    """
    t_in = [np.asarray(tr, dtype=float) for tr in sim.inputs]
    times = np.concatenate(t_in + [sim.spike_times])
    src = np.concatenate(
        [np.full(tr.size, j) for j, tr in enumerate(t_in)] + [net.n_inputs + sim.spike_neurons]
    ).astype(int)
    spike = np.concatenate([np.full(times.size - sim.n_spikes, -1), np.arange(sim.n_spikes)])
    keep = times <= t_start
    times, src, spike = times[keep], src[keep], spike[keep]
    if times.size == 0:
        return
    order = np.argsort(-times, kind="stable")
    times, src, spike = times[order], src[order], spike[order]
    starts = np.flatnonzero(np.r_[True, times[1:] != times[:-1]])
    ends = np.r_[starts[1:], times.size]
    for lo, hi in zip(starts.tolist(), ends.tolist()):
        sp_ = spike[lo:hi]
        yield float(times[lo]), src[lo:hi], sp_[sp_ >= 0]


def eventprop(net: Network, sim: Simulation, dloss_dtimes, *, record: bool = False) -> BackwardPass:
    """Run the adjoint dynamics (E1)-(E3) backwards from ``t_max`` to 0, event by event.

    Parameters
    ----------
    net, sim : Network, Simulation
    dloss_dtimes : array_like, shape (n_spikes,)
        ``c = dLoss/dF`` in time order.
    record : bool
        Keep ``lambda(t-)`` at every event time (for :func:`adjoint_traces`).

    Returns
    -------
    BackwardPass
    """
    check_simulation(net, sim)
    c = _check_dloss(sim, dloss_dtimes)
    K, N = net.n_inputs, net.n_neurons
    a, b, theta = net.a, net.b, net.theta
    W_out = net.weights[K:]  # (N, N): W[K+n, m]
    feeds = net.mask[K:] | np.eye(N, dtype=bool)  # n feeds m (itself through its resets)
    grazing = np.zeros(sim.n_spikes, dtype=bool)
    grazing[sim.grazing] = True

    lam_V, lam_I = np.zeros(N), np.zeros(N)
    live = np.zeros(N, dtype=bool)  # neuron has a needed spike later
    G = np.zeros((net.n_sources, N))
    eps = np.zeros(sim.n_spikes)
    rec_t, rec_V, rec_I = [], [], []
    loss_spikes = np.flatnonzero(c)
    # lambda = 0 after the last spike the loss depends on: start the sweep there
    t_cur = sim.spike_times[loss_spikes[-1]] if loss_spikes.size else -np.inf
    for t, sources, spikes in _event_groups(net, sim, t_cur):  # backwards in time
        s = t_cur - t
        if s > 0.0:  # (E1)
            lam_I = lam_I * np.exp(-a * s) + lam_V * kernel(s, a, b)
            lam_V = lam_V * np.exp(-b * s)
            t_cur = t
        for j in sources.tolist():  # (E3), lambda_I continuous
            G[j] += lam_I
        if spikes.size:  # (E2), all at f+ first
            n = sim.spike_neurons[spikes]
            needed = (c[spikes] != 0) | (feeds[n] & live).any(axis=1)
            bad = spikes[needed & grazing[spikes]]
            if bad.size:
                _raise_grazing(sim, int(bad[0]))
            k, n = spikes[needed], n[needed]
            drive = W_out[n] @ (lam_V - a * lam_I)
            eps[k] = (c[k] - theta[n] * b[n] * lam_V[n] - drive) / sim.slopes[k]
            lam_V = lam_V.copy()
            lam_V[n] -= eps[k]
            live[n] = True
        if record:
            rec_t.append(t)
            rec_V.append(lam_V)
            rec_I.append(lam_I)
    G *= net.mask
    out = [
        G,
        eps,
        np.array(rec_t[::-1], dtype=float),
        np.array(rec_V[::-1], dtype=float).reshape(-1, N),
        np.array(rec_I[::-1], dtype=float).reshape(-1, N),
    ]
    for arr in out:
        arr.setflags(write=False)
    return BackwardPass(*out)


def eventprop_gradient(net: Network, sim: Simulation, dloss_dtimes) -> np.ndarray:
    """``dLoss/dW`` by EventProp (E3), shape (K+N, N); ``dloss_dtimes`` of shape (n_spikes,)."""
    return np.array(eventprop(net, sim, dloss_dtimes).gradient)


def adjoint_traces(net: Network, sim: Simulation, dloss_dtimes, t_grid) -> AdjointTraces:
    """``lambda_V`` and ``lambda_I`` of every neuron on ``t_grid`` (shape (T,)).

    Each grid time ``t`` takes ``lambda(tau-)`` of the first event ``tau >= t`` and runs it
    back to ``t`` by (E1); after the last event both are zero.
    """
    t = np.asarray(t_grid, dtype=float).reshape(-1)
    if not np.all(np.isfinite(t)):
        raise ValueError("the time grid must be finite")
    run = eventprop(net, sim, dloss_dtimes, record=True)
    N = net.n_neurons
    idx = np.searchsorted(run.event_times, t, side="left")  # first event >= t
    after = idx >= run.event_times.size
    idx = np.minimum(idx, max(run.event_times.size - 1, 0))
    lam_V = np.zeros((t.size, N))
    lam_I = np.zeros((t.size, N))
    if run.event_times.size:
        s = np.maximum(run.event_times[idx] - t, 0.0)[:, None]  # (T, 1)
        V0, I0 = run.lambda_V_left[idx], run.lambda_I_left[idx]
        lam_V = V0 * np.exp(-net.b * s)  # (E1)
        lam_I = I0 * np.exp(-net.a * s) + V0 * kernel(s, net.a, net.b)
        lam_V[after] = 0.0
        lam_I[after] = 0.0
    return AdjointTraces(t, lam_V, lam_I, sim.spike_times, sim.spike_neurons, run.jumps)
