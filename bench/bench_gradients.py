"""Time and peak memory of FP, the adjoint solve and EventProp as networks grow.

Two families, each at a few sizes:

* ``ff``:  the Yin-Yang-like feed-forward network 5-H-3 of ``bench_core.py`` with the
  first-spike cross entropy (a loss on 3 spikes; FP and the adjoint solve restrict
  themselves to the causal past of those spikes, EventProp sweeps every event);
* ``rec``: a fully recurrent network (K = 5 inputs, N neurons) with a loss on every spike
  time (random ``dLoss/dF``), where all methods touch all spikes.

Methods: FP with the full ``dF/dW`` (``fp.spike_time_jacobian``), FP for the loss only
(``fp.fp_gradient``, rows of the loss's spikes), the adjoint solve (``fp.adjoint_gradient``)
and EventProp (``eventprop_gradient``). Times are medians over repeats on a shared
machine (noisy); peak memory is measured by ``tracemalloc`` in a separate run (NumPy
reports its buffers to it) and is the extra memory of the call, not the process.

A second table gives, for each network, the time of the three FP and adjoint calls with
``wrt=`` each parameter (the weights, every input spike time, the thresholds and the two
time constants of every neuron), side by side.

Run:  python bench/bench_gradients.py [--repeats 5] [--quick]
Prints two tables; nothing is asserted beyond the methods agreeing.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import fpsnn_core as fp
from fpsnn_core.eventprop import eventprop_gradient
from fpsnn_core.partials import WRT


def feedforward(hidden: int, rng: np.random.Generator):
    net = fp.Network.feedforward(
        [5, hidden, 3],
        rng,
        weight_mean=[1.5, 2.0],
        weight_std=[0.8, 0.1],
        tau_s=1 / 0.99,
        tau_n=1.0,
        theta=1.0,
    )
    x, y = rng.uniform(size=2)
    inputs = [np.array([0.15 + 1.85 * v]) for v in (x, y, 1 - x, 1 - y)] + [np.array([0.15])]
    sim = fp.simulate(net, inputs, 2.0)
    c = fp.first_spike_cross_entropy(sim, list(net.layers[-1]), 0, silent_time=2.0).dloss_dtimes
    return net, sim, c


def recurrent(n: int, rng: np.random.Generator):
    K = 5
    W = rng.normal(0.0, 1.0 / np.sqrt(n), (K + n, n))
    W[:K] += rng.uniform(1.0, 2.0, (K, n))
    W[K + np.arange(n), np.arange(n)] = 0.0
    inputs = [np.sort(rng.uniform(0.0, 1.5, 3)) for _ in range(K)]
    net = fp.Network(W, K, tau_s=0.5, tau_n=1.0, theta=1.0)
    sim = fp.simulate(net, inputs, 3.0)
    return net, sim, rng.normal(size=sim.n_spikes)


METHODS = {
    "FP full dF/dW": lambda net, sim, c: fp.spike_time_jacobian(net, sim),
    "FP loss only": lambda net, sim, c: fp.fp_gradient(net, sim, c),
    "adjoint solve": lambda net, sim, c: fp.adjoint_gradient(net, sim, c),
    "EventProp": lambda net, sim, c: eventprop_gradient(net, sim, c),
}


#: The same calls for every parameter ``wrt`` (:data:`fpsnn_core.partials.WRT`).
WRT_METHODS = {
    "FP full dF/dp": lambda net, sim, c, wrt: fp.spike_time_jacobian(net, sim, wrt=wrt),
    "FP loss only": lambda net, sim, c, wrt: fp.fp_gradient(net, sim, c, wrt=wrt),
    "adjoint solve": lambda net, sim, c, wrt: fp.adjoint_gradient(net, sim, c, wrt=wrt),
}


#: FP is skipped when its dF/dW would have more entries (rows x n_params) than this: at
#: its peak it needs far more than the 8 bytes per entry (5-400-3 with 1.5e7 entries
#: peaked at 6 GB).
MAX_JACOBIAN_ENTRIES = 1e7


def median_time(fn, repeats: int) -> float:
    """Median seconds over ``repeats`` calls (one if the first takes over a second)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if times[0] > 1.0:
            break
    return float(np.median(times))


def measure(fn, repeats: int) -> tuple[float, float]:
    """:func:`median_time` and the peak traced bytes of one more call."""
    sec = median_time(fn, repeats)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return sec, float(peak)


def too_big(net, sim, rows: int, method: str) -> bool:
    """Whether FP's ``dF/dW`` would exceed :data:`MAX_JACOBIAN_ENTRIES` (the other
    parameters have ``N`` columns, or one per input spike: never too big)."""
    n_rows = sim.n_spikes if method.startswith("FP full") else rows
    return method.startswith("FP") and n_rows * net.n_params > MAX_JACOBIAN_ENTRIES


def parameter_table(cases, w_times: dict, repeats: int) -> None:
    """Time of FP and the adjoint with ``wrt=`` each parameter, one line per method; the
    ``W`` column repeats the first table's times (``w_times[(network, method)]``, seconds
    or ``None`` where skipped) rather than measuring them again."""
    print(
        f"{'network':<12}{'method':<15}" + "".join(f"{w:>10}" for w in WRT) + "   (time ms by wrt=)"
    )
    for name, net, sim, c, _rows in cases:
        for method, fn in WRT_METHODS.items():
            sec = w_times[(name, method.replace("dF/dp", "dF/dW"))]
            cells = [f"{'skipped':>10}" if sec is None else f"{sec * 1e3:>10.2f}"]
            for wrt in WRT[1:]:
                out = fn(net, sim, c, wrt)
                if method != "FP full dF/dp":  # FP and the adjoint agree
                    ref = fp.adjoint_gradient(net, sim, c, wrt=wrt)
                    assert np.allclose(out, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
                cells.append(f"{median_time(lambda: fn(net, sim, c, wrt), repeats) * 1e3:>10.2f}")
            print(f"{name:<12}{method:<15}" + "".join(cells))
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smallest sizes only")
    args = parser.parse_args()
    sizes = [
        ("ff", 30),
        ("ff", 120),
        ("ff", 400),
        ("rec", 10),
        ("rec", 30),
        ("rec", 100),
        ("rec", 300),
    ]
    if args.quick:
        sizes = [("ff", 30), ("rec", 10)]
    print(
        f"{'network':<12}{'spikes':>7}{'rows':>6}{'weights':>9}  "
        f"{'method':<15}{'time ms':>10}{'peak MiB':>10}"
    )
    cases, w_times = [], {}
    for kind, size in sizes:
        rng = np.random.default_rng(args.seed)
        net, sim, c = (feedforward if kind == "ff" else recurrent)(size, rng)
        rows = fp.causal_past(net, sim, np.flatnonzero(c)).size
        name = f"5-{size}-3" if kind == "ff" else f"rec N={size}"
        cases.append((name, net, sim, c, rows))
        g_ref = fp.adjoint_gradient(net, sim, c)
        for method, fn in METHODS.items():
            head = f"{name:<12}{sim.n_spikes:>7}{rows:>6}{net.n_params:>9}  {method:<15}"
            n_rows = sim.n_spikes if method == "FP full dF/dW" else rows
            if too_big(net, sim, rows, method):
                print(
                    f"{head}{'skipped':>10}{n_rows * net.n_params * 8 / 2**20:>9.0f}+"
                    "  (dF/dW alone; too big for a shared machine)"
                )
                w_times[(name, method)] = None
                continue
            out = fn(net, sim, c)
            if method != "FP full dF/dW":  # same gradient by every method
                assert np.allclose(out, g_ref, rtol=0, atol=1e-8 * np.abs(g_ref).max())
            sec, peak = measure(lambda: fn(net, sim, c), args.repeats)
            w_times[(name, method)] = sec
            print(f"{head}{sec * 1e3:>10.2f}{peak / 2**20:>10.2f}")
        print()
    parameter_table(cases, w_times, args.repeats)


if __name__ == "__main__":
    main()
