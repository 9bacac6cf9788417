"""Spike times of an exported NIR graph, integrated independently from NIR's own CubaLIF
equations with fixed steps (tests/nir_reference.py, forward Euler), against fp.simulate:
the largest spike-time error for each step and the observed order.

    python bench/nir_convergence.py

The networks are those of tests/test_nir.py (feed-forward 3-4-3-2, recurrent 2+4, and
per-neuron constants with a random mask); the recurrent one is exported in seconds, the
others in ms (our time unit: ms); errors are in ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from nir_reference import convergence  # noqa: E402
from test_nir import NETWORKS  # noqa: E402

DTS = [1e-3 / 2**k for k in range(5)]


def main() -> None:
    print(
        f"{'network':<12} {'file unit':<9} {'spikes':>6}  "
        + "  ".join(f"dt={dt:.2e}" for dt in DTS)
        + "   orders (successive halvings)"
    )
    for kind, unit in (("feedforward", "ms"), ("recurrent", "s"), ("per-neuron", "ms")):
        net, inputs, t_max = NETWORKS[kind]()
        errors, _, n = convergence(net, inputs, t_max, DTS, unit)
        orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
        print(
            f"{kind:<12} {unit:<9} {n:>6}  "
            + "  ".join(f"{e:11.2e}" for e in errors)
            + "   "
            + " ".join(f"{o:.2f}" for o in orders)
        )


if __name__ == "__main__":
    main()
