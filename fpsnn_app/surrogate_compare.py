"""Surrogate-gradient BPTT against the exact FP gradient: the numbers behind the
"Surrogate gradients" page and ``bench/surrogate_report.py`` (no Streamlit here).

One loss for all three gradients (:class:`LossSpec`): the first-spike cross entropy of
:func:`fpsnn_core.first_spike_cross_entropy`, or the first-spike MSE of
:func:`fpsnn_core.spike_time_mse`, on the output neurons, evaluated on the exact
simulation (FP gradient, finite differences) and on the discrete one with spike times
read out by interpolation (surrogate BPTT; :mod:`fpsnn_core.bptt`).

Two numbers compare a gradient ``g`` with the exact ``g*`` over a set of weights::

    cosine        = <g, g*> / (|g| |g*|)        direction, 1 when aligned
    relative norm = |g| / |g*|                  scale, 1 when equal

each over all weights and over the *hidden* weights only: those into neurons that
project to other neurons (the hidden layers of a feed-forward network, every neuron of a
recurrent one). The other weights reach the loss through the spike-time readout alone,
where BPTT needs no surrogate; only the hidden weights test the surrogate. The cosine is
also taken *within* each hidden neuron, over its incoming weights: it tells apart the
direction of the credit a neuron hands to its synapses (the kernel, fixed or adaptive)
from the scale and sign each neuron receives from the layers above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

import fpsnn_core as fp
from fpsnn_core.bptt import bptt_gradients, discrete_feeding_kernel, fp_credit
from fpsnn_core.discrete import DiscreteSimulation, simulate_discrete
from fpsnn_core.surrogate import SURROGATES, surrogate

from .limits import MAX_FD_WEIGHTS, MAX_SPIKES, MAX_WORK, repeats, simulate, strongest


@dataclass(frozen=True)
class Options:
    """How the surrogate gradient is computed (see :mod:`fpsnn_core.bptt`)."""

    time_normalized: bool = False
    detach_reset: bool = True


@dataclass(frozen=True, eq=False)
class Similarity:
    """Cosine and relative norm against the exact gradient, over all and hidden weights."""

    cosine: float
    relative_norm: float
    cosine_hidden: float
    relative_norm_hidden: float
    cosine_per_neuron: np.ndarray

    @property
    def cosine_within_neurons(self) -> float:
        """Median over hidden neurons of the cosine over each one's incoming weights."""
        c = self.cosine_per_neuron[np.isfinite(self.cosine_per_neuron)]
        return float(np.median(c)) if c.size else float("nan")


def _cosine_and_ratio(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = float(a @ b / (na * nb)) if na > 0 and nb > 0 else float("nan")
    return cos, float(na / nb) if nb > 0 else float("nan")


def similarity(
    g: np.ndarray, exact: np.ndarray, mask: np.ndarray, hidden: np.ndarray
) -> Similarity:
    """:class:`Similarity` of ``g`` to ``exact`` (shapes (K+N, N)); NaN where a norm is 0.

    Parameters
    ----------
    mask : ndarray of bool, shape (K+N, N)     the parameters
    hidden : ndarray of bool, shape (K+N, N)   parameters whose gradient passes a spike
    """
    sel = mask & hidden
    per_neuron = np.array(
        [
            _cosine_and_ratio(g[sel[:, i], i], exact[sel[:, i], i])[0]
            for i in np.flatnonzero(sel.any(axis=0))
        ]
    )
    return Similarity(
        *_cosine_and_ratio(g[mask], exact[mask]), *_cosine_and_ratio(g[sel], exact[sel]), per_neuron
    )


def hidden_weights(net: fp.Network) -> np.ndarray:
    """Mask of the weights into neurons with outgoing connections, shape (K+N, N)."""
    projects = net.mask[net.n_inputs :].any(axis=1)
    return net.mask & projects[None, :]


@dataclass(frozen=True)
class LossSpec:
    """The loss on first spike times of ``outputs``: ``"cross_entropy"`` with ``label``
    (an index into ``outputs``), or ``"mse"`` against ``targets`` (one time per output, or
    one for all)."""

    outputs: tuple
    kind: str = "cross_entropy"
    label: int = 0
    targets: tuple = (1.0,)

    def __post_init__(self):
        outputs = tuple(int(i) for i in self.outputs)
        targets = tuple(float(t) for t in np.atleast_1d(self.targets))
        object.__setattr__(self, "outputs", outputs)
        if not outputs:
            raise ValueError("the loss needs at least one output neuron")
        if self.kind not in ("cross_entropy", "mse"):
            raise ValueError(f"loss kind must be 'cross_entropy' or 'mse', got {self.kind!r}")
        if self.kind == "cross_entropy" and len(outputs) < 2:
            raise ValueError(
                "cross entropy needs at least two output neurons (with one it is "
                "always 0); use the squared error"
            )
        if self.kind == "cross_entropy" and not 0 <= self.label < len(outputs):
            raise ValueError(f"label must be in 0..{len(outputs) - 1}, got {self.label}")
        if len(targets) == 1:
            targets = targets * len(outputs)
        if len(targets) != len(outputs) or not all(np.isfinite(targets)):
            raise ValueError(f"give {len(outputs)} finite target times, one per output neuron")
        object.__setattr__(self, "targets", targets)

    def __call__(self, sim) -> fp.LossValue:
        """The loss on an exact or a discrete simulation; :class:`fpsnn_core.NoSpikeError`
        naming the simulation when an output is silent."""
        first = sim.first_spikes(self.outputs)
        if np.any(first < 0):
            silent = [o for o, k in zip(self.outputs, first) if k < 0]
            discrete = isinstance(sim, DiscreteSimulation)
            where = f"discrete (dt = {sim.dt:g})" if discrete else "exact"
            raise fp.NoSpikeError(
                f"output neuron(s) {silent} do not fire before t_max = {sim.t_max:g} in the "
                f"{where} simulation, so the loss has no spike time for them. Raise the weights, "
                "add input spikes or lower θ" + (", or take a smaller step." if discrete else ".")
            )
        if self.kind == "mse":
            return fp.spike_time_mse(sim, list(self.outputs), list(self.targets))
        return fp.first_spike_cross_entropy(sim, list(self.outputs), self.label)


def surrogate_gradients(
    net, dsim: DiscreteSimulation, loss: LossSpec, slopes: Mapping[str, float], options: Options
) -> dict:
    """``{name: dLoss/dW}`` by BPTT with each surrogate ``name`` at ``slopes[name]``."""
    dloss = loss(dsim).dloss_dtimes
    grads = bptt_gradients(
        net,
        dsim,
        dloss,
        [surrogate(n, b) for n, b in slopes.items()],
        detach_reset=options.detach_reset,
        time_normalized=options.time_normalized,
    )
    return dict(zip(slopes, grads))


@dataclass(frozen=True, eq=False)
class GradientComparison:
    """Exact, finite-difference and surrogate gradients of one loss, shapes (K+N, N).

    ``finite_diff`` is NaN where a step changes the spike count or order;
    ``spike_time_error`` is that of :func:`spike_time_error` at this ``dt``.
    """

    exact: np.ndarray
    finite_diff: np.ndarray
    surrogate: dict
    similarity: dict
    loss_exact: float
    loss_discrete: float
    mask: np.ndarray
    hidden: np.ndarray
    n_inputs: int
    spike_time_error: float
    fd_checked: int = 0
    dt: float | None = None


@dataclass(frozen=True, eq=False)
class Reference:
    """The exact side of a comparison, independent of ``dt`` and the surrogates: the
    simulation, the loss value, the FP gradient and central differences (``NaN`` where not
    checked; ``checked`` of them computed)."""

    sim: fp.Simulation
    value: float
    exact: np.ndarray
    finite_diff: np.ndarray
    checked: int


def reference(
    net: fp.Network, inputs, t_max: float, loss: LossSpec, fd_eps: float = 1e-6
) -> Reference:
    """Exact FP gradient and central differences of the first-spike loss.

    Finite differences (two simulations per weight) run on the weights with the largest
    exact gradients only, as many as :func:`~fpsnn_app.limits.repeats` allows (at most
    :data:`~fpsnn_app.limits.MAX_FD_WEIGHTS`); the others are ``NaN``."""
    sim = simulate(net, inputs, t_max)
    value = loss(sim)
    exact = fp.fp_gradient(net, sim, value.dloss_dtimes)
    params = np.argwhere(net.mask)
    checked = strongest(
        exact[params[:, 0], params[:, 1]], repeats(sim, 1, MAX_FD_WEIGHTS, per_item=2)
    )
    fd = np.full(exact.shape, np.nan)
    part = fp.finite_difference_loss_gradient(
        net,
        inputs,
        t_max,
        lambda s: loss(s).value,
        eps=fd_eps,
        entries=params[checked],
        max_spikes=MAX_SPIKES,
        max_work=MAX_WORK,
    ).jacobian
    fd[params[checked, 0], params[checked, 1]] = part[params[checked, 0], params[checked, 1]]
    return Reference(sim, value.value, exact, fd, int(checked.size))


def compare_gradients(
    net: fp.Network,
    inputs,
    t_max: float,
    loss: LossSpec,
    dt: float,
    slopes: Mapping[str, float],
    options: Options = Options(),
    fd_eps: float = 1e-6,
    ref: Reference | None = None,
) -> GradientComparison:
    """Exact FP gradient, central differences (:func:`reference`, or ``ref`` computed
    before for the same network and loss) and surrogate BPTT of the first-spike loss."""
    ref = ref if ref is not None else reference(net, inputs, t_max, loss, fd_eps)
    dsim = simulate_discrete(net, inputs, t_max, dt)
    grads = surrogate_gradients(net, dsim, loss, slopes, options)
    hidden = hidden_weights(net)
    sims = {name: similarity(g, ref.exact, net.mask, hidden) for name, g in grads.items()}
    return GradientComparison(
        ref.exact,
        ref.finite_diff,
        grads,
        sims,
        ref.value,
        loss(dsim).value,
        np.array(net.mask),
        hidden,
        net.n_inputs,
        spike_time_error(ref.sim, dsim, net.n_neurons),
        ref.checked,
        dt,
    )


def spike_time_error(sim: fp.Simulation, dsim: DiscreteSimulation, n_neurons: int) -> float:
    """Largest ``|t_hat - f|`` over all spikes, matched neuron by neuron in order; NaN when
    some neuron fires a different number of times in the two simulations."""
    if not np.array_equal(sim.spike_counts(n_neurons), dsim.spike_counts(n_neurons)):
        return float("nan")
    if sim.n_spikes == 0:
        return 0.0
    a = np.lexsort((sim.spike_times, sim.spike_neurons))
    b = np.lexsort((dsim.spike_times, dsim.spike_neurons))
    return float(np.abs(dsim.spike_times[b] - sim.spike_times[a]).max())


@dataclass(frozen=True, eq=False)
class Sweep:
    """Metrics along a swept value (``dt`` or a slope); arrays of shape (D,), NaN where the
    discrete loss is undefined (an output is silent at that ``dt``)."""

    values: np.ndarray
    spike_time_error: np.ndarray
    loss: np.ndarray
    cosine: dict
    relative_norm: dict
    cosine_hidden: dict
    relative_norm_hidden: dict
    gradients: tuple = ()  # per value {name: dLoss/dW} ({} where undefined)


def _sweep(values, rows, names, gradients=()) -> Sweep:
    """Collect ``(spike_time_error, loss, {name: Similarity})`` rows into a :class:`Sweep`."""
    attrs = ("cosine", "relative_norm", "cosine_hidden", "relative_norm_hidden")
    metrics = {
        attr: {
            name: np.array([getattr(r[2][name], attr) if name in r[2] else np.nan for r in rows])
            for name in names
        }
        for attr in attrs
    }
    return Sweep(
        np.asarray(values, float),
        np.array([r[0] for r in rows]),
        np.array([r[1] for r in rows]),
        **metrics,
        gradients=tuple(gradients),
    )


def _exact(net, inputs, t_max, loss, ref: Reference | None):
    if ref is not None:
        return ref.sim, ref.exact, hidden_weights(net)
    sim = simulate(net, inputs, t_max)
    return sim, fp.fp_gradient(net, sim, loss(sim).dloss_dtimes), hidden_weights(net)


def sweep_dt(
    net: fp.Network,
    inputs,
    t_max: float,
    loss: LossSpec,
    dts: Sequence[float],
    slopes: Mapping[str, float],
    options: Options = Options(),
    ref: Reference | None = None,
) -> Sweep:
    """Spike-time error, discrete loss, and gradient and similarity of each surrogate, for
    each ``dt`` (the exact side from ``ref`` when given)."""
    sim, exact, hidden = _exact(net, inputs, t_max, loss, ref)
    rows, gradients = [], []
    for dt in dts:
        dsim = simulate_discrete(net, inputs, t_max, dt)
        err = spike_time_error(sim, dsim, net.n_neurons)
        try:
            value = loss(dsim).value
            grads = surrogate_gradients(net, dsim, loss, slopes, options)
        except fp.NoSpikeError:
            value, grads = float("nan"), {}
        rows.append(
            (err, value, {n: similarity(g, exact, net.mask, hidden) for n, g in grads.items()})
        )
        gradients.append(grads)
    return _sweep(dts, rows, list(slopes), gradients)


def sweep_slope(
    net: fp.Network,
    inputs,
    t_max: float,
    loss: LossSpec,
    dt: float,
    slope_values: Sequence[float],
    names: Sequence[str],
    options: Options = Options(),
    ref: Reference | None = None,
) -> Sweep:
    """Similarity of each surrogate ``names`` for each slope, at one ``dt`` (the exact
    side from ``ref`` when given)."""
    sim, exact, hidden = _exact(net, inputs, t_max, loss, ref)
    dsim = simulate_discrete(net, inputs, t_max, dt)
    err, value = spike_time_error(sim, dsim, net.n_neurons), loss(dsim).value
    rows = []
    for slope in slope_values:
        grads = surrogate_gradients(net, dsim, loss, {n: slope for n in names}, options)
        rows.append(
            (err, value, {n: similarity(g, exact, net.mask, hidden) for n, g in grads.items()})
        )
    return _sweep(slope_values, rows, list(names))


@dataclass(frozen=True, eq=False)
class Credit:
    """Credit over time for the synapse ``j -> i`` (docs/model.md#surrogate-gradients).

    Attributes
    ----------
    fp_times, fp_weights : ndarray, shape (F,)   firing times of ``i`` and ``y_ji(f)/V_i'(f)``
    t : ndarray, shape (T+1,)                     the step grid
    V : ndarray, shape (T+1,)                     discrete ``V_i[n]``
    y : ndarray, shape (T+1,)                     discrete ``y_ji[n]``
    density : dict name -> ndarray (T+1,)         ``sigma'(V_i[n] - theta) y_ji[n]``
    theta : float
    """

    j: int
    i: int
    fp_times: np.ndarray
    fp_weights: np.ndarray
    t: np.ndarray
    V: np.ndarray
    y: np.ndarray
    density: dict
    theta: float
    dt: float

    def cumulative(self, name: str) -> np.ndarray:
        """``int_0^t sigma'(V_i - theta) y_ji ds`` by the step sum times ``dt``, shape (T+1,)."""
        return self.integral(self.density[name])

    def integral(self, density: np.ndarray) -> np.ndarray:
        """The running step sum of ``density`` times ``dt``, shape (T+1,)."""
        return np.cumsum(density) * self.dt

    def density_at(self, name: str, slope: float) -> np.ndarray:
        """``sigma'(V_i[n] - theta) y_ji[n]`` of surrogate ``name`` at ``slope``, shape (T+1,)."""
        return surrogate(name, slope).grad(self.V - self.theta) * self.y


def synapse_credit(
    net: fp.Network, inputs, t_max: float, j: int, i: int, dt: float, slopes: Mapping[str, float]
) -> Credit:
    """:class:`Credit` of ``j -> i`` for each surrogate in ``slopes``."""
    if not net.mask[j, i]:
        raise ValueError(f"W[{j}, {i}] is not a connection of the network")
    sim = simulate(net, inputs, t_max)
    times, weights = fp_credit(net, sim, j, i)
    dsim = simulate_discrete(net, inputs, t_max, dt)
    y = discrete_feeding_kernel(net, dsim, j, i)
    credit = Credit(j, i, times, weights, dsim.t, dsim.V[:, i], y, {}, float(net.theta[i]), dt)
    credit.density.update((name, credit.density_at(name, slope)) for name, slope in slopes.items())
    return credit


#: Default slope of each surrogate, by name.
DEFAULT_SLOPES = {name: cls().slope for name, cls in SURROGATES.items()}
