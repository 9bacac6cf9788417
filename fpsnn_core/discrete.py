"""Discrete-time simulation of the LIF model of docs/model.md#the-network, with step ``dt``.

This is the time-stepped network that surrogate-gradient training uses
(docs/model.md#surrogate-gradients), kept as close to the exact model as a step grid
allows. Steps are
``t_n = n dt``, ``n = 0..T`` with ``T = ceil(t_max / dt)``. Per neuron, ``I[n]`` and
``V[n]`` are the current and potential at ``t_n``, before anything happens at ``t_n``.

**Exact decay per step.** With no event inside ``(t_n, t_n + dt)`` the linear system
``I' = -a I``, ``V' = -b V + I`` is solved exactly (the closed form (S1) of
:mod:`fpsnn_core.simulate`)::

    I[n+1] = exp(-a dt) I+[n]
    V[n+1] = exp(-b dt) V+[n] + h(dt) I+[n]                                   (D1)

with ``h`` the joint kernel of :mod:`fpsnn_core.kernels`: ``h(dt) = (exp(-a dt) -
exp(-b dt)) / (b - a)``, and ``h(dt) = dt exp(-b dt)`` when ``tau_s == tau_n``. No
error is made between events: a subthreshold neuron driven by inputs on the grid has
exactly the potential of :func:`fpsnn_core.potentials` at every ``t_n``.

**Events on the grid.** At step ``n``, in this order::

    s[n]  = H(V[n] - theta)                    spike when V >= theta          (D2)
    V+[n] = V[n] - theta s[n]                  reset by subtraction            (D3)
    I+[n] = I[n] + sum_j W[j, i] u_j[n]        u = (x[n], s[n])                (D4)

where ``x_j[n]`` counts the spikes of input ``j`` in ``(t_{n-1}, t_n]`` (an input at
time ``g`` is delivered at the first grid time ``>= g``) and ``s[n]`` are the neurons'
own spikes, delivered to their targets at the step they occur (zero delay, as in the
exact model: a spike changes other neurons' currents, never their potentials, at the
instant it happens). A neuron fires at most once per step.

**Spike times.** A spike at step ``n`` happened between ``t_{n-1}`` and ``t_n``. Its
time is read out by linear interpolation of the threshold crossing between the
post-reset potential of the step before, ``p = V+[n-1] < theta``, and ``q = V[n] >=
theta``::

    t_hat = t_{n-1} + dt (theta - p) / (q - p)                                  (D5)
    d t_hat / d q = -dt (theta - p) / (q - p)^2
    d t_hat / d p = -dt (q - theta) / (q - p)^2                                 (D6)

(D5) is differentiable in the voltages, so a loss on spike times passes its gradient
to ``V[n]`` and ``V+[n-1]`` by (D6) (see :mod:`fpsnn_core.surrogate`). The sum of the
two derivatives is ``-dt / (q - p) ~ -1 / V'(t_hat)``: the discrete counterpart of
``df/dV = -1/V'(f)``. If ``p >= theta`` (the neuron fired at the step before and is
still above threshold) the crossing is placed at ``t_{n-1}`` with zero derivative, and
the spike is listed in ``saturated``.

Errors against the exact model: an input off the grid is delayed by less than ``dt``,
and so are a neuron's spikes as they reach its targets and its own reset; the spike
times therefore converge at first order in ``dt``. When every input lies on the grid,
a neuron's first spike before any neuron spike reaches it is exact up to the
interpolation (D5), second order in ``dt``.

**Relaxed forward pass.** ``spike_fn`` may replace ``H`` in (D2) by a smooth function
(a surrogate's ``fn``); ``s`` is then real-valued and everything is smooth in ``W``.
This exists to check back-propagation through time against finite differences; spike
times are not read out then.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .checks import integer
from .kernels import kernel
from .network import Network
from .simulate import SpikeRecord, validate_inputs

#: Largest ``(T + 1) * N`` a discrete simulation may allocate.
MAX_STATE_SIZE = 20_000_000
#: Default step budget ``max_steps`` of :func:`simulate_discrete`: the steps run one by one
#: (a few microseconds each), so the budget bounds the time to about a second.
MAX_STEPS = 200_000
_GRID_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class DiscreteSimulation(SpikeRecord):
    """Result of :func:`simulate_discrete`. Arrays are read-only.

    Attributes
    ----------
    dt : float
    t : ndarray, shape (T+1,)             the grid ``n dt``
    V : ndarray, shape (T+1, N)           ``V[n]`` before the spike test (D2)
    I : ndarray, shape (T+1, N)           ``I+[n]``, after the jumps (D4)
    s : ndarray, shape (T+1, N)           ``s[n]``: 0/1, or real with ``spike_fn``
    x : ndarray, shape (T+1, K)           input spikes delivered at each step
    spike_steps : ndarray of int, shape (S,)     step ``n`` of each spike, ascending
    spike_neurons : ndarray of int, shape (S,)   neuron of each spike
    spike_times : ndarray, shape (S,)            ``t_hat`` of (D5)
    saturated : ndarray of int                   spikes with ``V+[n-1] >= theta``
    inputs : tuple of K ndarrays, t_max : float  as given (inputs sorted, in [0, t_max])
    relaxed : bool                               True when ``spike_fn`` replaced ``H``
    """

    dt: float
    t: np.ndarray
    V: np.ndarray
    I: np.ndarray
    s: np.ndarray
    x: np.ndarray
    spike_steps: np.ndarray
    spike_neurons: np.ndarray
    spike_times: np.ndarray
    saturated: np.ndarray
    inputs: tuple
    t_max: float
    relaxed: bool = False

    @property
    def n_steps(self) -> int:
        """``T``: the grid has ``T + 1`` points."""
        return self.t.size - 1


def step_constants(net: Network, dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``exp(-a dt)``, ``exp(-b dt)`` and ``h(dt)`` of (D1), each of shape (N,)."""
    return np.exp(-net.a * dt), np.exp(-net.b * dt), kernel(dt, net.a, net.b)


def n_steps(t_max: float, dt: float) -> int:
    """``T = ceil(t_max / dt)`` (a ratio within 1e-9 of an integer counts as that integer)."""
    return int(math.ceil(t_max / dt - _GRID_TOL))


def input_counts(trains: tuple, dt: float, T: int) -> np.ndarray:
    """``x[n, j]``: spikes of input ``j`` delivered at step ``n``, shape (T+1, K).

    An input at ``g`` goes to step ``ceil(g / dt)`` (within 1e-9 of a grid point counts
    as on it), the first grid time ``>= g``."""
    x = np.zeros((T + 1, len(trains)))
    for j, train in enumerate(trains):
        steps = np.minimum(np.ceil(np.asarray(train) / dt - _GRID_TOL), T).astype(int)
        np.add.at(x[:, j], np.maximum(steps, 0), 1.0)
    return x


def _check_dt(dt, t_max: float, n_neurons: int, max_steps: int = MAX_STEPS) -> float:
    if not np.isscalar(dt) or not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a finite number > 0, got {dt!r}")
    steps = n_steps(t_max, float(dt))
    if steps > max_steps:
        raise ValueError(
            f"t_max={t_max:g} with dt={dt:g} takes {steps} steps, more than "
            f"max_steps={max_steps}: raise dt or max_steps"
        )
    size = (steps + 1) * n_neurons
    if size > MAX_STATE_SIZE:
        raise ValueError(
            f"dt={dt:g} is too small for t_max={t_max:g} and {n_neurons} neurons: "
            f"the state would hold {size:.3g} numbers (limit {MAX_STATE_SIZE:.0e})"
        )
    return float(dt)


def simulate_discrete(
    net: Network,
    inputs,
    t_max: float,
    dt: float,
    *,
    spike_fn: Callable[[np.ndarray], np.ndarray] | None = None,
    max_steps: int = MAX_STEPS,
) -> DiscreteSimulation:
    """Simulate ``net`` on the grid ``n dt`` by (D1)-(D4) and read spike times by (D5).

    Parameters
    ----------
    net : Network
    inputs : sequence of K 1-D arrays
        Input spike times, as for :func:`fpsnn_core.simulate`.
    t_max : float
        End of the simulation, ``> 0``; the grid runs to ``ceil(t_max / dt) dt``.
    dt : float
        Step, ``> 0``.
    spike_fn : callable, optional
        Replaces ``H(V - theta)`` in (D2) by ``spike_fn(V - theta)`` (relaxed pass);
        arrays of shape (N,) in and out.
    max_steps : int
        Step budget (default :data:`MAX_STEPS`): a grid of more steps is refused with a
        ``ValueError`` before anything runs.

    Returns
    -------
    DiscreteSimulation
    """
    max_steps = integer("max_steps", max_steps, minimum=1)
    trains = validate_inputs(inputs, net.n_inputs, t_max)
    t_max = float(t_max)
    dt = _check_dt(dt, t_max, net.n_neurons, max_steps)
    K, N = net.n_inputs, net.n_neurons
    T = n_steps(t_max, dt)
    decay_s, decay_n, kappa = step_constants(net, dt)
    theta = net.theta
    x = input_counts(trains, dt, T)
    drive = x @ net.weights[:K]  # (T+1, N)
    W_rec = net.weights[K:]
    V = np.zeros((T + 1, N))
    I = np.zeros((T + 1, N))
    s = np.zeros((T + 1, N))
    v_post = np.zeros(N)
    i_post = np.zeros(N)
    for n in range(T + 1):  # forward in time
        if n > 0:
            V[n] = decay_n * v_post + kappa * i_post  # (D1)
            i_pre = decay_s * i_post
        else:
            i_pre = np.zeros(N)
        s[n] = (V[n] >= theta) if spike_fn is None else spike_fn(V[n] - theta)  # (D2)
        v_post = V[n] - theta * s[n]  # (D3)
        i_post = i_pre + drive[n] + s[n] @ W_rec  # (D4)
        I[n] = i_post
    if spike_fn is None:
        steps, who, t_hat, saturated = _read_spike_times(V, s, theta, dt)
    else:
        steps = who = np.zeros(0, dtype=int)
        t_hat, saturated = np.zeros(0), np.zeros(0, dtype=int)
    arrays = [np.arange(T + 1) * dt, V, I, s, x, steps, who, t_hat, saturated]
    for arr in arrays:
        arr.setflags(write=False)
    return DiscreteSimulation(
        dt, *arrays[:5], steps, who, t_hat, saturated, trains, t_max, spike_fn is not None
    )


def crossing_fraction(p: np.ndarray, q: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``(theta - p) / (q - p)`` of (D5), and 0 where ``p >= theta``; arrays broadcast."""
    ok = p < theta
    return np.where(ok, (theta - p) / np.where(ok, q - p, 1.0), 0.0)


def _read_spike_times(V, s, theta, dt):
    """Spikes in time order (ties by neuron) with their times (D5)."""
    steps, who = np.nonzero(s)  # row-major: by step
    p = V[steps - 1, who] - theta[who] * s[steps - 1, who]  # V+[n-1] (steps >= 1)
    frac = crossing_fraction(p, V[steps, who], theta[who])
    t_hat = (steps - 1 + frac) * dt  # (D5)
    saturated = np.flatnonzero(p >= theta[who])
    return steps.astype(int), who.astype(int), t_hat, saturated


def spike_time_voltage_derivatives(sim: DiscreteSimulation, theta: np.ndarray):
    """(D6) for every spike: ``(d t_hat / d V[n], d t_hat / d V+[n-1])``, shapes (S,).

    Zero for the ``saturated`` spikes (their time does not move with the voltages)."""
    n, i = sim.spike_steps, sim.spike_neurons
    p = sim.V[n - 1, i] - theta[i] * sim.s[n - 1, i]
    q = sim.V[n, i]
    ok = p < theta[i]
    denom = np.where(ok, q - p, 1.0) ** 2
    d_q = np.where(ok, -sim.dt * (theta[i] - p) / denom, 0.0)
    d_p = np.where(ok, -sim.dt * (q - theta[i]) / denom, 0.0)
    return d_q, d_p


def spike_time_error(
    exact: SpikeRecord, approx: SpikeRecord, n_neurons: int, neurons: Sequence[int] | None = None
) -> float:
    """Largest spike-time error of ``approx`` (e.g. a :class:`DiscreteSimulation`) against
    ``exact`` (e.g. :func:`fpsnn_core.simulate`): the ``k``-th spike of each neuron is
    matched with the ``k``-th spike of the same neuron.

    With ``neurons`` given, only the first spikes of those neurons are compared (neurons
    silent in both are skipped). ``0.0`` when there is nothing to compare.

    Raises ``ValueError`` when the two records do not have the same spikes to match: a
    neuron with another number of spikes (all spikes), or silent in one record only
    (first spikes). Such a pair has no spike-time error, only a different spike count.
    """
    if neurons is None:
        if not np.array_equal(exact.spike_counts(n_neurons), approx.spike_counts(n_neurons)):
            raise ValueError("the two simulations have different spike counts per neuron")
        a = np.lexsort((exact.spike_times, exact.spike_neurons))
        b = np.lexsort((approx.spike_times, approx.spike_neurons))
        d = approx.spike_times[b] - exact.spike_times[a]
    else:
        ke, ka = exact.first_spikes(neurons), approx.first_spikes(neurons)
        if not np.array_equal(ke >= 0, ka >= 0):
            raise ValueError("a neuron fires in one simulation and is silent in the other")
        ok = ke >= 0
        d = approx.spike_times[ka[ok]] - exact.spike_times[ke[ok]]
    return float(np.abs(d).max()) if d.size else 0.0
