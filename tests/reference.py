"""Independent reference simulator for the LIF network of docs/model.md#the-network.

This module deliberately shares no code with ``fpsnn_core``: it integrates the
ODE system

    I_i' = -a_i I_i + sum_j W[j, i] sum_{g in F_j} delta(t - g)
    V_i' = -b_i V_i + I_i
    V_i reaches theta_i from below at time f  ->  spike (f, i), V_i -= theta_i

numerically with ``scipy.integrate.solve_ivp`` (DOP853) and event detection,
never with the closed-form kernels.  It is slow but simple, and is meant only to
check the project's exact simulator in tests.

Procedure
---------
* Integration runs piecewise between breakpoints: the input spike times (and,
  for :func:`reference_potential`, the requested grid times).  At an input spike
  of channel j every current I_i jumps by W[j, i]; V is continuous.
* Within a piece, ``V_i - theta_i`` (direction +1, terminal) is an event for
  every neuron.  When one fires, the crossing time returned by solve_ivp (brentq
  on the dense output) is refined: the state is re-integrated from the start of
  the piece to that time without events (step-accurate rather than
  interpolant-accurate), then Newton steps on ``V_i - theta_i`` use a
  second-order Taylor step of the ODE right-hand side.  The spike is recorded,
  V_i is reset by theta_i, all currents jump by W[K+i, :], and integration
  restarts from the spike time.
* Equal times: jumps in I do not change V instantaneously, so a spike at time t
  does not affect other crossings at time t.  Any other neuron that is at
  threshold at the refined spike time (within ``_SIMUL_TOL`` and rising, or
  numerically at/above threshold) is recorded as spiking at the same time,
  before any of the jumps is applied.
* Values reported by :func:`reference_potential` at a time t are left limits:
  events at exactly t (input jumps, resets) are not yet applied, matching the
  strict ``g < t`` of the closed form (docs/model.md#the-closed-form).  Input times
  are exact breakpoints;
  a grid time that coincides with a neuron's spike to within the integration
  accuracy may land on either side of its reset.
"""

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["reference_spikes", "reference_potential"]

_RTOL = 1e-13  # solve_ivp warns below 100 * eps (2.2e-14)
_ATOL = 1e-15
_METHOD = "DOP853"
# neurons within this (relative to max(1, theta)) of threshold and rising at a
# spike time are treated as spiking at the same time
_SIMUL_TOL = 1e-12
_NEWTON_ITERS = 4


def _as_param(x, n, name):
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


class _Net:
    def __init__(self, W, n_inputs, tau_s, tau_n, theta):
        W = np.asarray(W, dtype=float)
        if W.ndim != 2:
            raise ValueError("W must be 2-D of shape (K+N, N)")
        K = int(n_inputs)
        N = W.shape[1]
        if W.shape[0] != K + N:
            raise ValueError(f"W has shape {W.shape}, expected ({K + N}, {N})")
        self.W, self.K, self.N = W, K, N
        tau_s = _as_param(tau_s, N, "tau_s")
        tau_n = _as_param(tau_n, N, "tau_n")
        if np.any(tau_s <= 0) or np.any(tau_n <= 0):
            raise ValueError("time constants must be positive")
        self.a = 1.0 / tau_s
        self.b = 1.0 / tau_n
        self.theta = _as_param(theta, N, "theta")
        if np.any(self.theta <= 0):
            raise ValueError("theta must be positive")
        self.events = [self._make_event(i) for i in range(N)]

    # state y = [I_0..I_{N-1}, V_0..V_{N-1}]
    def rhs(self, t, y):
        N = self.N
        I, V = y[:N], y[N:]
        return np.concatenate((-self.a * I, -self.b * V + I))

    def rhs2(self, y):
        """Second time derivative of the state (linear ODE: J @ f(y))."""
        N = self.N
        f = self.rhs(0.0, y)
        dI, dV = f[:N], f[N:]
        return np.concatenate((-self.a * dI, -self.b * dV + dI))

    def _make_event(self, i):
        N, theta = self.N, self.theta

        def ev(t, y):
            return y[N + i] - theta[i]

        ev.terminal = True
        ev.direction = 1
        return ev

    def integrate(self, t0, t1, y0, events=None):
        """solve_ivp from t0 to t1; returns the OdeResult."""
        return solve_ivp(
            self.rhs, (t0, t1), y0, method=_METHOD, rtol=_RTOL, atol=_ATOL, events=events
        )

    def advance(self, t0, t1, y0):
        """State at t1 integrated from (t0, y0) without events."""
        if t1 == t0:
            return np.array(y0, dtype=float)
        res = self.integrate(t0, t1, y0)
        if res.status != 0:
            raise RuntimeError(f"solve_ivp failed: {res.message}")
        return res.y[:, -1].copy()

    def taylor(self, y, dt):
        return y + dt * self.rhs(0.0, y) + 0.5 * dt * dt * self.rhs2(y)


def _input_events(inputs, K, t_end):
    """Sorted unique input times in [0, t_end] and, per time, the summed count per channel."""
    if len(inputs) != K:
        raise ValueError(f"expected {K} input spike trains, got {len(inputs)}")
    times, chans = [], []
    for j, tr in enumerate(inputs):
        tr = np.atleast_1d(np.asarray(tr, dtype=float)).ravel()
        if tr.size and (not np.all(np.isfinite(tr)) or np.any(tr < 0)):
            raise ValueError("input spike times must be finite and >= 0")
        tr = tr[tr <= t_end]
        times.append(tr)
        chans.append(np.full(tr.size, j, dtype=int))
    times = np.concatenate(times) if times else np.zeros(0)
    chans = np.concatenate(chans) if chans else np.zeros(0, dtype=int)
    uniq = np.unique(times)
    counts = {}
    for t, j in zip(times, chans):
        counts.setdefault(float(t), []).append(int(j))
    return uniq, counts


def _simulate(net, inputs, t_end, max_spikes, t_grid=None):
    N, K, W, theta = net.N, net.K, net.W, net.theta
    in_times, in_chans = _input_events(inputs, K, t_end)
    grid = np.zeros(0) if t_grid is None else np.asarray(t_grid, dtype=float)
    breaks = np.unique(np.concatenate((in_times, grid, [t_end])))
    breaks = breaks[breaks >= 0.0]
    grid_set = set(float(g) for g in grid)
    grid_vals = {}

    y = np.zeros(2 * N)
    t = 0.0
    spike_t, spike_i = [], []
    scale = np.maximum(1.0, np.abs(theta))

    def fire(te, ye, first):
        nonlocal y, t
        g = ye[N:] - theta
        gdot = -net.b * ye[N:] + ye[:N]
        simul = (g >= 0) | ((g >= -_SIMUL_TOL * scale) & (gdot > 0))
        if first is not None:
            simul[first] = True
        who = np.nonzero(simul)[0]
        if len(spike_t) + who.size > max_spikes:
            raise RuntimeError(
                f"more than max_spikes={max_spikes} spikes before t={te!r} (runaway firing?)"
            )
        ye = ye.copy()
        for i in who:
            spike_t.append(te)
            spike_i.append(int(i))
            ye[N + i] -= theta[i]
        ye[:N] += W[K + who, :].sum(axis=0)
        y, t = ye, te

    for tb in breaks:
        tb = float(tb)
        # numerically at/above threshold at the start of the piece: fire now
        if np.any(y[N:] - theta >= 0):
            fire(t, y, None)
        while t < tb:
            t_start, y_start = t, y.copy()
            res = net.integrate(t_start, tb, y_start, events=net.events)
            if res.status == -1:
                raise RuntimeError(f"solve_ivp failed: {res.message}")
            if res.status == 0:
                y, t = res.y[:, -1].copy(), tb
                break
            # a terminal event: which neuron, and when
            hits = [(float(te[0]), i) for i, te in enumerate(res.t_events) if te.size]
            te, i = min(hits)
            # refine: step-accurate state at te, then Newton on V_i - theta_i
            ye = net.advance(t_start, te, y_start)
            for _ in range(_NEWTON_ITERS):
                g = ye[N + i] - theta[i]
                gdot = -net.b[i] * ye[N + i] + ye[i]
                if not gdot > 0:
                    break
                dt = -g / gdot
                dt = min(max(dt, t_start - te), tb - te)  # stay inside the piece
                if dt == 0.0:
                    break
                ye = net.taylor(ye, dt)
                te = te + dt
                if abs(dt) <= 4 * np.finfo(float).eps * max(1.0, abs(te)):
                    break
            fire(te, ye, i)
        # at tb: record left limits, then apply input jumps
        if tb in grid_set:
            grid_vals[tb] = y.copy()
        for j in in_chans.get(tb, ()):
            y[:N] += W[j, :]

    times = np.asarray(spike_t, dtype=float)
    neurons = np.asarray(spike_i, dtype=int)
    order = np.lexsort((neurons, times))
    out = (times[order], neurons[order])
    if t_grid is not None:
        Y = np.array([grid_vals[float(g)] for g in grid]).reshape(len(grid), 2 * N)
        return out, Y[:, N:], Y[:, :N]
    return out


def reference_spikes(W, n_inputs, tau_s, tau_n, theta, inputs, t_max, max_spikes=5000):
    """Spikes of the network on [0, t_max] by numerical ODE integration.

    Returns ``(times, neurons)``: a 1-D float array in ascending order and a 1-D
    int array of neuron indices 0..N-1.  Raises RuntimeError after more than
    ``max_spikes`` spikes.
    """
    net = _Net(W, n_inputs, tau_s, tau_n, theta)
    t_max = float(t_max)
    if not t_max >= 0:
        raise ValueError("t_max must be >= 0")
    return _simulate(net, inputs, t_max, max_spikes)


def reference_potential(W, n_inputs, tau_s, tau_n, theta, inputs, t_grid, max_spikes=5000):
    """Membrane potential V and current I at the times ``t_grid`` (ascending, >= 0).

    Returns ``(V, I)``, each of shape ``(len(t_grid), N)``, obtained by the same
    ODE integration as :func:`reference_spikes` (integration stops exactly at
    each grid time).  Values are left limits: at a grid time equal to an input
    time, that input's jump is not yet applied.  A grid time within the
    reference's accuracy (~1e-14) of a neuron's spike may fall on either side of
    that spike's reset; sample a little before or after spike times instead.
    """
    net = _Net(W, n_inputs, tau_s, tau_n, theta)
    grid = np.asarray(t_grid, dtype=float).ravel()
    if grid.size == 0:
        return np.zeros((0, net.N)), np.zeros((0, net.N))
    if np.any(np.diff(grid) < 0) or grid[0] < 0:
        raise ValueError("t_grid must be ascending and >= 0")
    _, V, I = _simulate(net, inputs, float(grid[-1]), max_spikes, t_grid=grid)
    return V, I
