"""Exact event-driven simulation of a LIF network in continuous time.

The model is docs/model.md#the-network (current-based LIF, reset by subtracting ``theta``).
Between two events a neuron with state ``(V0, I0)`` at time ``t0`` evolves in closed
form, with ``h`` the joint kernel of :mod:`fpsnn_core.kernels`::

    I(t0 + s) = I0 exp(-a s)
    V(t0 + s) = V0 exp(-b s) + I0 h(s)                                 (S1)
    V'(t0 + s) = -b V0 exp(-b s) + I0 h'(s)

An event of source ``j`` at time ``g`` adds ``W[j, i]`` to ``I_i`` (``V`` is continuous).
``V`` of (S1) has at most one extremum for ``s > 0``. With ``V0 < theta``:

* if ``I0 <= 0`` or ``V'(0) <= 0``, ``V`` never reaches ``theta`` before the next event;
* otherwise ``V`` rises to its maximum at ``s*`` (the root of ``V'``; ``d = b - a``)::

      s* = log1p(d / a) / d + log1p(-V0 d / I0) / d                     (S2)

  (limit ``1/a - V0/I0`` at ``d = 0``; no root when ``1 - V0 d / I0 <= 0``), and the
  first crossing is bracketed in ``[0, min(s*, horizon)]`` where ``V`` increases. It is
  found by Newton's method safeguarded by bisection, to the last bits of a float64.

At a crossing ``f`` the neuron fires, ``V`` drops from ``theta`` to ``0`` and the
left-sided slope ``V'(f-) = I(f-) - b theta`` is recorded: it is ``L_kk`` of the
implicit equations (J1 of :mod:`fpsnn_core.implicit`).

Equal times (a measure-zero event, defined here): at one instant, neurons that reach
threshold fire first, in ascending neuron index, then input spikes are delivered.
A spike at time ``t`` changes other neurons' currents from ``t`` on but, ``V`` being
continuous, never causes or prevents a crossing at ``t`` itself; in the implicit
equations only strictly earlier spikes appear. ``Simulation.ties`` counts spikes that
share their time with another event reaching the same neuron; there the gradient is
the one-sided derivative of that convention.

A neuron's potential is reported "grazing" when its slope at threshold is tiny
relative to ``b theta + |I(f-)|`` (below ``grazing_tol``): the spike time is exact but
its gradient is (nearly) singular; the gradient functions refuse such spikes.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .checks import integer, real
from .errors import ArgumentTypeError, RunawayFiringError
from .kernels import kernel_pair
from .network import Network

#: Default spike budget of :func:`simulate`: past it the run stops with an error.
MAX_SPIKES = 50_000
#: Default work budget of :func:`simulate`, in spike deliveries (one event reaching one
#: target neuron, each a threshold search): it bounds the time of a run (10-15 s per
#: million deliveries on one core, so a few seconds at this default), whatever the fan-out.
MAX_WORK = 200_000
#: Default relative slope below which a threshold crossing counts as grazing.
GRAZING_TOL = 1e-6

_EPS = np.finfo(float).eps


class SpikeRecord:
    """Queries on ``spike_times`` and ``spike_neurons`` (ascending time), shared by the
    exact and the discrete simulations so that the losses apply to both."""

    spike_times: np.ndarray
    spike_neurons: np.ndarray

    @property
    def n_spikes(self) -> int:
        return int(self.spike_times.size)

    def spikes_of(self, neuron: int) -> np.ndarray:
        """Spike times of one neuron, ascending."""
        return self.spike_times[self.spike_neurons == neuron]

    def spike_counts(self, n_neurons: int) -> np.ndarray:
        """Number of spikes of each neuron, shape (n_neurons,)."""
        return np.bincount(self.spike_neurons, minlength=n_neurons)

    def first_spikes(self, neurons: Sequence[int]) -> np.ndarray:
        """Index into ``spike_times`` of each neuron's first spike, ``-1`` if it is silent."""
        out = np.full(len(neurons), -1, dtype=int)
        for n, i in enumerate(neurons):
            idx = np.flatnonzero(self.spike_neurons == i)
            if idx.size:
                out[n] = idx[0]
        return out


@dataclass(frozen=True, eq=False)
class Simulation(SpikeRecord):
    """Result of :func:`simulate`. Arrays are read-only.

    Attributes
    ----------
    spike_times : ndarray, shape (S,)
        All neuron spikes, ascending (the order of ``F`` and of ``L``).
    spike_neurons : ndarray of int, shape (S,)
        Neuron (``0..N-1``) of each spike.
    slopes : ndarray, shape (S,)
        ``V'(f-)`` of each spike, from the simulator's state.
    inputs : tuple of K ndarrays
        The input spike times used (sorted, only those in ``[0, t_max]``).
    t_max : float
        End of the simulated interval.
    grazing : ndarray of int
        Indices of spikes whose relative slope is below ``grazing_tol``.
    ties : int
        Number of spikes at exactly the time of another event reaching their neuron.
    network : Network or None
        The network simulated (checked by the functions that take ``net`` and ``sim``).
    work : int
        Spike deliveries made (see ``max_work`` of :func:`simulate`).
    """

    spike_times: np.ndarray
    spike_neurons: np.ndarray
    slopes: np.ndarray
    inputs: tuple
    t_max: float
    grazing: np.ndarray
    ties: int = 0
    network: Network | None = field(default=None, repr=False)
    work: int = 0


def check_t_max(t_max) -> float:
    """``t_max`` as a float; ``ValueError`` unless it is a finite number > 0."""
    return real("t_max", t_max, positive=True)


def spike_time_array(times, what: str = "input spike times") -> np.ndarray:
    """``times`` as a float array, checked: every entry ``>= 0`` or ``+inf``.

    The one convention for input spike times, shared by :func:`simulate` and the batched
    path: ``+inf`` means "no spike" (like any time after ``t_max``, it is ignored; padded
    arrays of the batched path use it), while ``nan``, ``-inf`` and negative times are
    errors; strings, dicts, booleans and complex numbers are refused
    (:class:`ArgumentTypeError`).
    """
    bad_type = times is None or isinstance(
        times, (str, bytes, dict, set, frozenset, bool, np.bool_)
    )
    try:
        arr = None if bad_type else np.asarray(times)
    except (TypeError, ValueError):
        arr = None
    if arr is None or (arr.dtype.kind not in "iuf" and (arr.size or arr.dtype.kind == "O")):
        raise ArgumentTypeError(f"{what} must be real numbers, got {_short(times)}")
    arr = arr.astype(float)
    bad = np.isnan(arr) | (arr < 0)
    if np.any(bad):
        raise ValueError(
            f"{what} must be >= 0 (inf for no spike), not nan or negative; got "
            f"{arr[bad].reshape(-1)[:3].tolist()}"
        )
    return arr


def validate_inputs(inputs, n_inputs: int, t_max: float) -> tuple:
    """Check input spike trains and ``t_max``; return sorted read-only arrays in ``[0, t_max]``
    (times after ``t_max``, ``inf`` among them, are dropped: :func:`spike_time_array`).

    ``inputs`` is a sequence of ``n_inputs`` spike trains, each a sequence of real numbers
    (or a 2-D array, one row per channel). Strings, dicts, sets and booleans are refused
    with :class:`ArgumentTypeError` rather than read as numbers.
    """
    t_max = check_t_max(t_max)
    if isinstance(inputs, np.ndarray) and inputs.ndim == 2:
        inputs = list(inputs)
    if (
        inputs is None
        or isinstance(inputs, (str, bytes, dict, set, frozenset))
        or np.isscalar(inputs)
    ):
        raise ArgumentTypeError(
            f"inputs must be a sequence of {n_inputs} spike-time lists (one "
            f"per input channel), got {_short(inputs)}"
        )
    try:
        trains = list(inputs)
    except TypeError:
        raise ArgumentTypeError(
            f"inputs must be a sequence of {n_inputs} spike-time lists, got {_short(inputs)}"
        ) from None
    if len(trains) != n_inputs:
        raise ValueError(
            f"inputs must have one spike train per input channel: expected "
            f"{n_inputs}, got {len(trains)}"
        )
    out = []
    for j, train in enumerate(trains):
        arr = spike_time_array(train, f"input channel {j}: spike times").reshape(-1)
        arr = np.sort(arr[arr <= t_max])
        arr.setflags(write=False)
        out.append(arr)
    return tuple(out)


def _short(x, n: int = 80) -> str:
    text = repr(x)
    return text if len(text) <= n else text[: n - 3] + "..."


def check_simulation(net: Network, sim) -> None:
    """Refuse a simulation that does not belong to ``net``: another network's spikes give
    meaningless Jacobians (or index errors), never an error on their own.

    A :class:`Simulation` remembers the network it was run on (``sim.network``); a
    network with the same weights, mask and constants counts as the same.
    """
    if not isinstance(sim, SpikeRecord):
        raise ArgumentTypeError(f"expected a Simulation from fp.simulate, got {_short(sim)}")
    ran = getattr(sim, "network", None)
    if ran is not None and ran is not net and not _same_network(ran, net):
        raise ValueError(
            "this simulation was run on another network (other weights, mask or "
            "constants); simulate this network first"
        )
    if len(sim.inputs) != net.n_inputs or (
        sim.n_spikes and int(sim.spike_neurons.max()) >= net.n_neurons
    ):
        raise ValueError(
            f"this simulation does not fit the network ({net.n_inputs} inputs, "
            f"{net.n_neurons} neurons): it has {len(sim.inputs)} input channels"
            + (f" and spikes of neuron {int(sim.spike_neurons.max())}" if sim.n_spikes else "")
        )


def _same_network(a: Network, b: Network) -> bool:
    return (
        a.n_inputs == b.n_inputs
        and a.weights.shape == b.weights.shape
        and all(
            np.array_equal(getattr(a, k), getattr(b, k))
            for k in ("weights", "mask", "tau_s", "tau_n", "theta")
        )
    )


def grazing(slopes, b, theta, grazing_tol: float = GRAZING_TOL):
    """Whether spikes graze the threshold: ``V'(f-) <= grazing_tol (b theta + |I(f-)|)``
    with ``I(f-) = V'(f-) + b theta`` (module docstring); arrays broadcast, ``nan`` slopes
    (padding) are not grazing. The one test of :func:`simulate` and the batched path."""
    bt = b * theta
    return slopes <= grazing_tol * (bt + np.abs(slopes + bt))


def _take(x, idx):
    """``x[idx]`` for an array, ``x`` itself for a scalar (a constant shared by all)."""
    return x[idx] if np.ndim(x) else x


def peak_time(V0, I0, a, b):
    """``s*`` of (S2), where ``V`` of (S1) has its maximum (``I0 > 0``), else ``inf``;
    arrays, or floats shared by all."""
    d = b - a
    arg = np.maximum(-V0 * d / I0, -1.0)  # no peak where arg <= -1
    if np.ndim(d) == 0 and d == 0.0:
        return np.where(arg > -1.0, 1.0 / a - V0 / I0, np.inf)  # the limit d -> 0
    d_safe = np.where(d != 0.0, d, 1.0)
    with np.errstate(divide="ignore"):  # log1p(-1) = -inf: no peak
        peak = np.where(d != 0.0, (np.log1p(d / a) + np.log1p(arg)) / d_safe, 1.0 / a - V0 / I0)
    return np.where(arg > -1.0, peak, np.inf)


def crossing(V0, I0, horizon, a, b, theta) -> np.ndarray:
    """First ``s`` in ``(0, horizon]`` with ``V(s) = theta`` by (S1), else ``inf``.

    The crossing search of the module docstring, vectorized: no crossing unless ``I0 > 0``
    and ``V'(0) > 0``; bracket ``[0, min(s*, horizon)]`` (:func:`peak_time`), no crossing
    unless ``V >= theta`` at its right end; Newton's method from the root of the
    second-order Taylor expansion of ``V`` at 0, safeguarded by bisection, until the step
    or the bracket is 4 ulp. ``V0``, ``I0``, ``horizon`` are arrays of one shape (P,);
    ``a``, ``b``, ``theta`` arrays of that shape or floats shared by all. The batched path
    calls it; the event loop of :func:`simulate` calls its float specialisation
    ``_Neuron.crossing`` (40 times faster on one neuron; tested equal to this one).
    """
    out = np.full(V0.shape, np.inf)
    dv0 = I0 - b * V0  # V'(0)
    go = np.flatnonzero((I0 > 0.0) & (dv0 > 0.0) & (horizon > 0.0))
    if go.size == 0:
        return out
    V0, I0, dv0, hz = V0[go], I0[go], dv0[go], horizon[go]
    a, b, theta = (_take(x, go) for x in (a, b, theta))
    end = np.minimum(peak_time(V0, I0, a, b), hz)
    r_lo, r_hi = np.minimum(a, b), np.maximum(a, b)
    reach = np.flatnonzero(V0 * np.exp(-b * end) + I0 * kernel_pair(end, r_lo, r_hi)[0] >= theta)
    if reach.size == 0:
        return out
    go, V0, I0, dv0, end = go[reach], V0[reach], I0[reach], dv0[reach], end[reach]
    a, b, theta, r_lo, r_hi = (_take(x, reach) for x in (a, b, theta, r_lo, r_hi))
    gap = theta - V0
    ddv0 = -b * dv0 - a * I0  # V''(0)
    disc = dv0 * dv0 + 2.0 * ddv0 * gap
    x = np.where(disc > 0.0, 2.0 * gap / (dv0 + np.sqrt(np.maximum(disc, 0.0))), end)
    lo, hi = np.zeros_like(end), end.copy()
    x = np.where((lo < x) & (x < hi), x, 0.5 * hi)
    root = np.empty(x.shape)
    todo = np.arange(x.size)
    shared = all(np.ndim(v) == 0 for v in (b, r_lo, r_hi, theta))  # constants shared by all
    b_is_lo = shared and b == r_lo  # exp(-b x) = exp(-lo x)
    for _ in range(100):
        xs, V0s, I0s, lt, ht = x[todo], V0[todo], I0[todo], lo[todo], hi[todo]
        bs, ls, hs, ths = (
            (b, r_lo, r_hi, theta) if shared else (_take(v, todo) for v in (b, r_lo, r_hi, theta))
        )
        e_b = np.exp(-bs * xs)
        h, dh = kernel_pair(xs, ls, hs, e_lo=e_b if b_is_lo else None)
        F = V0s * e_b + I0s * h - ths  # V(x) - theta, (S1)
        lt = np.where(F < 0.0, xs, lt)
        ht = np.where(F > 0.0, xs, ht)
        dF = -bs * V0s * e_b + I0s * dh  # V'(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = np.where(dF > 0.0, xs - F / dF, -1.0)
        xn = np.where((lt < xn) & (xn < ht), xn, 0.5 * (lt + ht))
        exact = F == 0.0
        done = exact | (np.abs(xn - xs) <= 4.0 * _EPS * xn) | (ht - lt <= 4.0 * _EPS * ht)
        root[todo] = np.where(exact, xs, np.minimum(np.maximum(xn, lt), ht))
        x[todo], lo[todo], hi[todo] = xn, lt, ht
        todo = todo[~done]
        if todo.size == 0:
            break
    root[todo] = hi[todo]
    out[go] = root
    return out


class _Neuron:
    """Scalar constants of one neuron, for the event loop (plain floats are fastest)."""

    __slots__ = ("a", "b", "theta", "lo", "hi", "d")

    def __init__(self, a: float, b: float, theta: float):
        self.a, self.b, self.theta = a, b, theta
        self.lo, self.hi = min(a, b), max(a, b)
        self.d = b - a

    def h(self, s: float) -> float:
        """``h(s)`` of :func:`fpsnn_core.kernels.kernel_pair`, specialised to one float."""
        x = -(self.hi - self.lo) * s
        return s * math.exp(-self.lo * s) * (math.expm1(x) / x if x != 0.0 else 1.0)

    def peak(self, V0: float, I0: float) -> float:
        """:func:`peak_time` specialised to one float."""
        d, a = self.d, self.a
        arg = -V0 * d / I0
        if arg <= -1.0:
            return math.inf
        if d == 0.0:
            return 1.0 / a - V0 / I0
        return (math.log1p(d / a) + math.log1p(arg)) / d

    def crossing(self, V0: float, I0: float, horizon: float) -> float:
        """:func:`crossing` specialised to one neuron and plain floats, step for step
        (``V``, ``V'`` and ``h`` written out inline: this is the simulator's innermost
        loop, and NumPy calls on one element cost 40 times more here)."""
        a, b, theta, lo_ab, hi_ab = self.a, self.b, self.theta, self.lo, self.hi
        dv0 = I0 - b * V0  # V'(0)
        if I0 <= 0.0 or dv0 <= 0.0:
            return math.inf
        end = min(self.peak(V0, I0), horizon)
        if V0 * math.exp(-b * end) + I0 * self.h(end) < theta:
            return math.inf
        gap = theta - V0
        ddv0 = -b * dv0 - a * I0  # V''(0)
        disc = dv0 * dv0 + 2.0 * ddv0 * gap
        x = 2.0 * gap / (dv0 + math.sqrt(disc)) if disc > 0.0 else end
        lo, hi = 0.0, end
        if not lo < x < hi:
            x = 0.5 * (lo + hi)
        spread = lo_ab - hi_ab
        for _ in range(100):
            e_lo = math.exp(-lo_ab * x)
            e_b = e_lo if b == lo_ab else math.exp(-b * x)
            z = spread * x
            p = math.expm1(z) / z if z != 0.0 else 1.0
            F = V0 * e_b + I0 * x * e_lo * p - theta  # V(x) - theta, (S1)
            if F < 0.0:
                lo = x
            elif F > 0.0:
                hi = x
            else:
                return x
            dF = -b * V0 * e_b + I0 * e_lo * (1.0 - hi_ab * x * p)  # V'(x)
            xn = x - F / dF if dF > 0.0 else -1.0
            if not lo < xn < hi:
                xn = 0.5 * (lo + hi)
            if abs(xn - x) <= 4.0 * _EPS * xn or hi - lo <= 4.0 * _EPS * hi:
                return min(max(xn, lo), hi)
            x = xn
        return hi


def simulate(
    net: Network,
    inputs,
    t_max: float,
    *,
    max_spikes: int = MAX_SPIKES,
    grazing_tol: float = GRAZING_TOL,
    max_work: int | None = MAX_WORK,
) -> Simulation:
    """Simulate ``net`` exactly on ``[0, t_max]``, event by event.

    Parameters
    ----------
    net : Network
    inputs : sequence of K 1-D arrays
        Spike times of each input channel (``>= 0``; those after ``t_max`` are ignored, and
        ``inf`` means no spike: :func:`spike_time_array`).
    t_max : float
        End of the simulation, ``> 0``.
    max_spikes : int
        Spike budget; reaching it raises :class:`RunawayFiringError`.
    grazing_tol : float
        Relative slope below which a crossing is reported in ``Simulation.grazing``.
    max_work : int or None
        Work budget in spike deliveries (each input or neuron spike counts once per
        target neuron): it bounds the running time where the spike budget does not (a
        dense network of N neurons costs O(N) per spike). Reaching it raises
        :class:`RunawayFiringError`; ``None``: no work budget.

    Returns
    -------
    Simulation
    """
    if not isinstance(net, Network):
        raise ArgumentTypeError(f"net must be a Network, got {_short(net)}")
    max_spikes = integer("max_spikes", max_spikes, minimum=0)
    if max_work is not None:
        max_work = integer("max_work", max_work, minimum=0)
    grazing_tol = real("grazing_tol", grazing_tol, nonnegative=True)
    trains = validate_inputs(inputs, net.n_inputs, t_max)
    t_max = float(t_max)
    K, N = net.n_inputs, net.n_neurons
    neurons = [_Neuron(float(a), float(b), float(th)) for a, b, th in zip(net.a, net.b, net.theta)]
    W = net.weights
    targets = [[(int(i), float(W[j, i])) for i in np.flatnonzero(W[j])] for j in range(K + N)]

    # input events in time order (ties: channel order)
    ev_t = np.concatenate([t for t in trains] + [np.zeros(0)])
    ev_j = np.concatenate([np.full(t.size, j) for j, t in enumerate(trains)] + [np.zeros(0, int)])
    order = np.lexsort((ev_j, ev_t))
    ev_t, ev_j = ev_t[order].tolist(), ev_j[order].astype(int).tolist()

    t0 = [0.0] * N  # time of each neuron's state
    V = [0.0] * N
    I = [0.0] * N
    I_left = [0.0] * N  # I just before any jump at time t0[i] (for left slopes)
    cand = [math.inf] * N  # next crossing with no further events
    last = [-1.0] * N  # time of each neuron's last spike
    version = [0] * N
    heap: list = []
    times, who, slopes, ties = [], [], [], 0
    work = 0

    def advance(i: int, t: float) -> None:
        s = t - t0[i]
        if s > 0.0:
            nrn = neurons[i]
            V[i] = V[i] * math.exp(-nrn.b * s) + I[i] * nrn.h(s)
            I[i] = I[i] * math.exp(-nrn.a * s)
            t0[i] = t
            I_left[i] = I[i]

    def schedule(i: int) -> None:
        s = neurons[i].crossing(V[i], I[i], t_max - t0[i])
        cand[i] = t0[i] + s
        version[i] += 1
        if s < math.inf:
            heapq.heappush(heap, (cand[i], i, version[i]))

    def deliver(j: int, t: float) -> None:
        nonlocal ties, work
        work += len(targets[j])
        if max_work is not None and work > max_work:
            _runaway(f"the work budget max_work={max_work} spike deliveries was reached", t)
        for i, w in targets[j]:
            fires_now = cand[i] == t  # it fires at t anyway: the event acts after t
            if fires_now or last[i] == t:
                ties += 1
            advance(i, t)
            I[i] += w
            if not fires_now:
                schedule(i)

    def _runaway(what: str, t: float) -> None:
        counts = np.bincount(np.array(who, dtype=int), minlength=N)
        top = int(np.argmax(counts))
        raise RunawayFiringError(
            f"runaway firing: {what} at t={t:.6g} < t_max={t_max:g}, after {len(times)} "
            f"spikes of {int(np.count_nonzero(counts))} neuron(s) (most: neuron {top}, "
            f"{int(counts[top])} spikes). Lower the weights, shorten t_max or raise "
            + ("max_spikes." if what.startswith("the spike") else "max_work.")
        )

    k_in = 0
    while True:
        while heap and heap[0][2] != version[heap[0][1]]:
            heapq.heappop(heap)
        t_next_in = ev_t[k_in] if k_in < len(ev_t) else math.inf
        if heap and heap[0][0] <= t_next_in and heap[0][0] <= t_max:
            f, i, _ = heapq.heappop(heap)
            if len(times) >= max_spikes:
                _runaway(
                    f"the spike budget max_spikes={max_spikes} (spikes of all neurons "
                    "together) was reached",
                    f,
                )
            nrn = neurons[i]
            advance(i, f)
            slopes.append(I_left[i] - nrn.b * nrn.theta)
            times.append(f)
            who.append(i)
            last[i] = f
            V[i] = 0.0
            schedule(i)
            deliver(K + i, f)
        elif t_next_in <= t_max:
            deliver(ev_j[k_in], t_next_in)
            k_in += 1
        else:
            break

    spike_times = np.array(times, dtype=float)
    spike_neurons = np.array(who, dtype=int)
    slope_arr = np.array(slopes, dtype=float)
    grazes = np.flatnonzero(
        grazing(slope_arr, net.b[spike_neurons], net.theta[spike_neurons], grazing_tol)
    )
    for arr in (spike_times, spike_neurons, slope_arr, grazes):
        arr.setflags(write=False)
    return Simulation(spike_times, spike_neurons, slope_arr, trains, t_max, grazes, ties, net, work)
