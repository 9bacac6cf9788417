"""Back-propagation through time (BPTT) of the discrete model, with a surrogate spike
derivative; and the credit a synapse receives over time (docs/model.md#surrogate-gradients).

**The loss.** Any loss of :mod:`fpsnn_core.losses` evaluated on a
:class:`~fpsnn_core.discrete.DiscreteSimulation` is a function of the spike times
``t_hat`` of (D5); its ``dloss_dtimes`` reaches the voltages by (D6) of
:mod:`fpsnn_core.discrete`: ``c_V[n, i]`` on ``V[n]`` and ``c_V+[n-1, i]`` on
``V+[n-1]`` for each spike at step ``n``. The same loss on an exact
:class:`~fpsnn_core.Simulation` gives the FP gradient, and its finite differences are
taken on the exact simulation: all three are gradients of one loss, up to the
discretization of the spike times.

**The backward pass** is the chain rule through (D1)-(D4), backwards in time, with the
adjoints ``gV[n] = dLoss/dV[n]``, ``gV+[n]``, ``gI[n] = dLoss/dI+[n]`` and
``gs[n] = dLoss/ds[n]`` (vectors over neurons; zero past ``T``)::

    gI[n]  = h(dt) gV[n+1] + exp(-a dt) gI[n+1]                              (B1)
    gV+[n] = exp(-b dt) gV[n+1] + c_V+[n]                                    (B2)
    gs[n]  = W_rec gI[n]  -  theta gV+[n] (the second term only if the reset is kept)  (B3)
    gV[n]  = c_V[n] + gV+[n] + sigma'(V[n] - theta) gs[n]                   (B4)
    dLoss/dW[j, i] = sum_n u_j[n] gI_i[n]                                    (B5)

where ``W_rec = W[K:]`` is ``(N, N)``, ``u = (x, s)`` as in (D4), and ``sigma'`` is the
surrogate that stands in for ``dH/dV`` (:mod:`fpsnn_core.surrogate`). With
``surrogate=None`` spikes pass no gradient: (B1)-(B5) is then the exact derivative of
the piecewise-smooth discrete model wherever no spike changes step. ``detach_reset``
drops the reset path of (B3), as recommended by Zenke & Vogels (2021) and done by most
libraries; keeping it multiplies ``gV`` by ``1 - theta sigma'`` at every step near
threshold.

**Per step or per time.** Standard discrete BPTT applies ``sigma'`` once per step. A
threshold crossing then collects credit from the ``~ 1 / (beta V' dt)`` steps near
threshold, and every layer of hidden neurons multiplies the gradient by ``~ tau_n / dt``:
it has no limit as ``dt -> 0``. With ``time_normalized=True``, ``sigma'`` is multiplied
by ``dt / tau_n`` (of the spiking neuron), so the credit becomes the integral
``int sigma'(V(t) - theta) y(t) dt / tau_n``, the continuous-time form of SuperSpike
(Zenke & Ganguli 2018), which converges as ``dt -> 0``.

**Credit over time** for one synapse ``j -> i`` (docs/model.md#surrogate-gradients).
The surrogate's
immediate credit at step ``n`` is ``sigma'(V_i[n] - theta) y_ji[n]``, with the discrete
feeding kernel ``y_ji[n] = sum_{m < n} u_j[m] h((n - m) dt)`` (exact at the grid,
by (D1)): a fixed window around threshold. FP's immediate credit sits at the firing
times ``f`` of ``i``: ``df/dW[j, i] = -y_ji(f) / V_i'(f) + ...``
(docs/model.md#fp-and-the-adjoint), a
weight ``y_ji(f) / V_i'(f)`` that adapts to the slope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .discrete import DiscreteSimulation, spike_time_voltage_derivatives, step_constants
from .kernels import kernel
from .network import Network
from .simulate import Simulation
from .surrogate import Surrogate
from .traces import feeding_kernels


@dataclass(frozen=True, eq=False)
class BPTTResult:
    """Result of :func:`backward`.

    Attributes
    ----------
    weights : ndarray, shape (K+N, N)    ``dLoss/dW`` (B5), zero outside the mask
    dloss_dI : ndarray, shape (T+1, N)   ``gI`` of (B1)
    dloss_dV : ndarray, shape (T+1, N)   ``gV`` of (B4)
    dloss_ds : ndarray, shape (T+1, N)   ``gs`` of (B3)
    """

    weights: np.ndarray
    dloss_dI: np.ndarray
    dloss_dV: np.ndarray
    dloss_ds: np.ndarray


def spike_derivative(
    net: Network,
    sim: DiscreteSimulation,
    surrogate: Surrogate | None,
    time_normalized: bool = False,
) -> np.ndarray:
    """``sigma'(V[n] - theta)`` of (B4) on the whole grid (times ``dt / tau_n`` if
    ``time_normalized``), shape (T+1, N); zeros for ``surrogate=None``."""
    if surrogate is None:
        return np.zeros_like(sim.V)
    sg = np.asarray(surrogate.grad(sim.V - net.theta), dtype=float)
    return sg * (sim.dt * net.b) if time_normalized else sg


def backward(
    net: Network,
    sim: DiscreteSimulation,
    dloss_dV,
    dloss_dVpost,
    surrogate: Surrogate | None,
    *,
    detach_reset: bool = True,
    time_normalized: bool = False,
) -> BPTTResult:
    """BPTT (B1)-(B5) for a loss with direct derivatives ``c_V`` and ``c_V+``.

    Parameters
    ----------
    net : Network
        The network ``sim`` was run with.
    sim : DiscreteSimulation
    dloss_dV, dloss_dVpost : array_like, shape (T+1, N)
        ``c_V`` and ``c_V+``: partial derivatives of the loss with respect to ``V[n]``
        and ``V+[n]`` (not through later steps).
    surrogate : Surrogate or None
        Stands in for ``dH/dV``; None: spikes pass no gradient.
    detach_reset : bool
        Drop the reset term of (B3).
    time_normalized : bool
        Multiply ``sigma'`` by ``dt / tau_n`` (module docstring).
    """
    c_V, c_Vp = _direct_terms(sim, dloss_dV, dloss_dVpost)
    sg = spike_derivative(net, sim, surrogate, time_normalized)
    grad, gI, gV, gs = _backward(net, sim, c_V, c_Vp, sg[None], detach_reset)
    return BPTTResult(grad[0], gI[0], gV[0], gs[0])


def _direct_terms(sim: DiscreteSimulation, dloss_dV, dloss_dVpost):
    shape = sim.V.shape
    c_V = np.asarray(dloss_dV, dtype=float)
    c_Vp = np.asarray(dloss_dVpost, dtype=float)
    if c_V.shape != shape or c_Vp.shape != shape:
        raise ValueError(
            f"dloss_dV and dloss_dVpost must have shape {shape}, got {c_V.shape} and {c_Vp.shape}"
        )
    return c_V, c_Vp


def _backward(net: Network, sim: DiscreteSimulation, c_V, c_Vp, sg, detach_reset: bool):
    """(B1)-(B5) for ``B`` spike derivatives at once: ``sg`` of shape (B, T+1, N); returns
    ``dLoss/dW`` (B, K+N, N) and the adjoints ``gI``, ``gV``, ``gs`` (B, T+1, N)."""
    K = net.n_inputs
    decay_s, decay_n, kappa = step_constants(net, sim.dt)
    theta, W_rec = net.theta, net.weights[K:]
    shape = sg.shape
    gI, gV, gs = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    gV_next = np.zeros((shape[0], shape[2]))
    gI_next = np.zeros((shape[0], shape[2]))
    for n in range(shape[1] - 1, -1, -1):  # backwards in time
        gI[:, n] = kappa * gV_next + decay_s * gI_next  # (B1)
        gVp = decay_n * gV_next + c_Vp[n]  # (B2)
        gs[:, n] = gI[:, n] @ W_rec.T  # (B3)
        if not detach_reset:
            gs[:, n] -= theta * gVp
        gV[:, n] = c_V[n] + gVp + sg[:, n] * gs[:, n]  # (B4)
        gV_next, gI_next = gV[:, n], gI[:, n]
    u = np.concatenate([sim.x, sim.s], axis=1)  # (T+1, K+N)
    grad = (u.T @ gI) * net.mask  # (B5), summed over t
    return grad, gI, gV, gs


def spike_time_voltage_gradients(net: Network, sim: DiscreteSimulation, dloss_dtimes):
    """``(c_V, c_V+)`` of a loss on the spike times (D5), by (D6); shapes (T+1, N).

    Parameters
    ----------
    dloss_dtimes : array_like, shape (S,)
        ``dLoss/dt_hat`` for each spike of ``sim`` (a ``LossValue.dloss_dtimes``).
    """
    c = np.asarray(dloss_dtimes, dtype=float)
    if c.shape != (sim.n_spikes,):
        raise ValueError(f"dloss_dtimes must have shape ({sim.n_spikes},), got {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("dloss_dtimes must be finite")
    d_q, d_p = spike_time_voltage_derivatives(sim, net.theta)
    c_V, c_Vp = np.zeros(sim.V.shape), np.zeros(sim.V.shape)
    np.add.at(c_V, (sim.spike_steps, sim.spike_neurons), c * d_q)
    np.add.at(c_Vp, (sim.spike_steps - 1, sim.spike_neurons), c * d_p)
    return c_V, c_Vp


def bptt_gradient(
    net: Network,
    sim: DiscreteSimulation,
    dloss_dtimes,
    surrogate: Surrogate | None,
    *,
    detach_reset: bool = True,
    time_normalized: bool = False,
) -> np.ndarray:
    """``dLoss/dW`` of a loss on the discrete spike times by surrogate BPTT, shape (K+N, N).

    ``dloss_dtimes`` as returned by a loss of :mod:`fpsnn_core.losses` applied to ``sim``;
    the options are those of :func:`backward`.
    """
    if sim.relaxed:
        raise ValueError("spike times are not read out of a relaxed simulation (spike_fn)")
    c_V, c_Vp = spike_time_voltage_gradients(net, sim, dloss_dtimes)
    return backward(
        net, sim, c_V, c_Vp, surrogate, detach_reset=detach_reset, time_normalized=time_normalized
    ).weights


def bptt_gradients(
    net: Network,
    sim: DiscreteSimulation,
    dloss_dtimes,
    surrogates: Sequence[Surrogate | None],
    *,
    detach_reset: bool = True,
    time_normalized: bool = False,
) -> np.ndarray:
    """:func:`bptt_gradient` for several surrogates in one pass backwards in time (the
    loop is shared, so ``B`` surrogates cost about one); shape (B, K+N, N)."""
    if sim.relaxed:
        raise ValueError("spike times are not read out of a relaxed simulation (spike_fn)")
    c_V, c_Vp = spike_time_voltage_gradients(net, sim, dloss_dtimes)
    if len(surrogates) == 0:
        return np.zeros((0,) + net.weights.shape)
    sg = np.stack([spike_derivative(net, sim, g, time_normalized) for g in surrogates])
    return _backward(net, sim, c_V, c_Vp, sg, detach_reset)[0]


def _check_synapse(net: Network, j: int, i: int) -> None:
    if not (0 <= j < net.n_sources and 0 <= i < net.n_neurons):
        raise ValueError(f"synapse ({j}, {i}) is outside W of shape {net.weights.shape}")


def discrete_feeding_kernel(net: Network, sim: DiscreteSimulation, j: int, i: int) -> np.ndarray:
    """``y_ji[n] = sum_{m<n} u_j[m] h_i((n - m) dt)`` on the grid, shape (T+1,)."""
    _check_synapse(net, j, i)
    K = net.n_inputs
    u_j = sim.x[:, j] if j < K else sim.s[:, j - K]
    h = kernel(np.arange(sim.t.size) * sim.dt, net.a[i], net.b[i])  # h(0) = 0: m < n only
    y = np.zeros(sim.t.size)
    for m in np.flatnonzero(u_j):  # events are few: loop over them
        y[m:] += u_j[m] * h[: sim.t.size - m]
    return y


def surrogate_credit(
    net: Network, sim: DiscreteSimulation, j: int, i: int, surrogate: Surrogate
) -> np.ndarray:
    """``sigma'(V_i[n] - theta_i) y_ji[n]`` for every step, shape (T+1,): the credit per
    step; times ``dt`` it is a density in time, comparable with :func:`fp_credit`."""
    y = discrete_feeding_kernel(net, sim, j, i)
    return surrogate.grad(sim.V[:, i] - net.theta[i]) * y


def fp_credit(net: Network, sim: Simulation, j: int, i: int) -> tuple[np.ndarray, np.ndarray]:
    """FP's weights ``y_ji(f) / V_i'(f)`` at the firing times ``f`` of neuron ``i``.

    Returns
    -------
    times : ndarray, shape (F_i,)
    weights : ndarray, shape (F_i,)
    """
    _check_synapse(net, j, i)
    mine = np.flatnonzero(sim.spike_neurons == i)
    times = sim.spike_times[mine]
    y = feeding_kernels(net, sim, times)[:, j, i]
    return times, y / sim.slopes[mine]
