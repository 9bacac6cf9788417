"""Time and peak memory (``tracemalloc``) to refuse each hostile input, with the default
budgets of the core and the app's upload cap; the README's security section quotes the
table. Nothing is asserted here (``tests/test_hostile_input.py`` and
``tests/app/test_app_hostile_upload.py`` assert the refusals).

Usage: ``python bench/bench_hostile.py``
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from test_hostile_input import busy_inputs, dense_excitatory, spike_flood  # noqa: E402

import fpsnn_core as fp  # noqa: E402
from fpsnn_app import limits, netfiles  # noqa: E402


def measure(label: str, fn, memory: bool = True) -> None:
    """Run ``fn`` and print its time, peak memory and outcome (the error's first words).
    ``memory=False``: time only (``tracemalloc`` slows the event loop threefold)."""
    if memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    try:
        fn()
        outcome = "accepted"
    except (ValueError, fp.FPSNNError) as exc:
        outcome = f"{type(exc).__name__}: {str(exc)[:60]}"
    seconds = time.perf_counter() - t0
    peak = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f}" if memory else "-"
    tracemalloc.stop()
    print(f"| {label} | {seconds:.3f} | {peak} | {outcome} |", flush=True)


def main() -> None:
    print("| hostile input | seconds | peak MiB | outcome |\n|---|---|---|---|")
    flood = spike_flood(5_000_000)
    at_cap = spike_flood((limits.MAX_UPLOAD_BYTES - 200) // 5)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flood.json"
        path.write_bytes(flood)
        measure(
            f"JSON, {len(flood) / 1e6:.0f} MB, 5M input spikes: fp.from_json",
            lambda: fp.from_json(flood),
        )
        measure("the same file: fp.load", lambda: fp.load(path))
        measure(
            "the same file uploaded: netfiles.read_network_file",
            lambda: netfiles.read_network_file("flood.json", flood),
        )
    measure(
        f"JSON at the app's cap ({len(at_cap) / 1e6:.1f} MB, {len(at_cap) // 5:,} spikes) uploaded",
        lambda: netfiles.read_network_file("cap.json", at_cap),
    )
    measure(
        "NIR upload over the cap",
        lambda: netfiles.read_network_file(
            "big.nir", b"\x89HDF\r\n\x1a\n" + b"\0" * limits.MAX_UPLOAD_BYTES
        ),
    )
    for n in (50, 100, 200, 300):
        net = dense_excitatory(n)
        measure(
            f"dense excitatory network, {n} neurons: fp.simulate (default budgets)",
            lambda: fp.simulate(net, [[0.2, 1.0], [0.5]], 10.0),
            memory=False,
        )
    net, sim = busy_inputs()
    grid = np.linspace(0.0, 10.0, 200)
    measure(
        "fp.feeding_kernels, 100 neurons, 2,000 events, 200 time points",
        lambda: fp.feeding_kernels(net, sim, grid),
    )
    huge = np.linspace(0.0, 10.0, 1_000_000)
    measure("fp.feeding_kernels on 1e6 time points", lambda: fp.feeding_kernels(net, sim, huge))
    measure("fp.potentials on 1e6 time points", lambda: fp.potentials(net, sim, huge))
    one = fp.Network([[1.0], [0.0]], 1)
    measure(
        "fp.simulate_discrete with 1e7 steps",
        lambda: fp.simulate_discrete(one, [[0.5]], 10.0, 1e-6),
    )
    small, _ = busy_inputs(n_inputs=2, per_input=5)
    measure(
        "fp.finite_difference_jacobian, 100 neurons (10,100 weights)",
        lambda: fp.finite_difference_jacobian(small, [[0.5, 1.0], [2.0]], 3.0),
    )


if __name__ == "__main__":
    main()
