"""A/B speed of two versions of the core, interleaved in one process.

On a shared virtual machine the CPU time of one and the same run drifts by 20-30 % from one
minute to the next, so two versions timed one after the other cannot be compared to a few
per cent. This script loads both versions side by side (this checkout's ``fpsnn_core`` and
the one under ``--baseline``, e.g. a ``git worktree`` of an older commit) and sends the same
Yin-Yang mini-batches alternately through each (the order swapped on every batch), so drift
hits both alike. The work is one training epoch's gradients: 5,000 samples in batches of 32
through ``batched.loss_and_gradient`` (exact simulation and FP gradient) with the Yin-Yang
training network's constants (5-120-3, ``tau_s = 0.25``, ``tau_n = 1``, the task's
initialization and loss constants) at its initial weights.

Run:

    git worktree add /tmp/baseline <commit>
    python bench/bench_ab.py --baseline /tmp/baseline [--epochs 5]

Prints each epoch's CPU seconds per version and the median ratio new/old.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def load(name: str, root: Path):
    """The package ``root/fpsnn_core`` imported under the name ``name``."""
    pkg = root / "fpsnn_core"
    spec = importlib.util.spec_from_file_location(
        name, pkg / "__init__.py", submodule_search_locations=[str(pkg)]
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, type=Path, help="checkout of the old version")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=32)
    args = p.parse_args()
    versions = {"old": load("fp_old", args.baseline.resolve()), "new": load("fp_new", ROOT)}
    batched = {k: importlib.import_module(f"{m.__name__}.batched") for k, m in versions.items()}
    data = importlib.import_module("fp_new.datasets").yinyang(5000, 42)
    x = np.concatenate(
        [1.5 * np.asarray(data.values, float), np.zeros((len(data.labels), 1))], axis=1
    )  # latencies in [0, 1.5], bias 0
    y = np.asarray(data.labels)
    nets = {
        k: m.Network.feedforward(
            [5, 120, 3],
            np.random.default_rng(0),
            weight_mean=[1.5, 0.93],
            weight_std=[0.78, 0.1],
            tau_s=0.25,
            tau_n=1.0,
            theta=1.0,
        )
        for k, m in versions.items()
    }
    total = {"old": [], "new": []}
    for epoch in range(args.epochs):
        spent = {"old": 0.0, "new": 0.0}
        for j, i in enumerate(range(0, len(y), args.batch)):
            for k in ("old", "new") if j % 2 == 0 else ("new", "old"):
                t0 = time.process_time()
                batched[k].loss_and_gradient(
                    nets[k],
                    x[i : i + args.batch],
                    y[i : i + args.batch],
                    3.0,
                    tau_0=0.025,
                    gamma=3e-3,
                    tau_1=0.32,
                    method="fp",
                    on_grazing="skip",
                )
                spent[k] += time.process_time() - t0
        for k in spent:
            total[k].append(spent[k])
        print(
            f"epoch {epoch}: old {spent['old']:.2f} s, new {spent['new']:.2f} s CPU "
            f"(new/old {spent['new'] / spent['old']:.3f})",
            flush=True,
        )
    ratio = np.array(total["new"]) / np.array(total["old"])
    print(
        f"median epoch CPU: old {np.median(total['old']):.2f} s, new "
        f"{np.median(total['new']):.2f} s; median ratio new/old {np.median(ratio):.3f}"
    )


if __name__ == "__main__":
    main()
