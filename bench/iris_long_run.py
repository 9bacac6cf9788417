"""Iris left playing: train for a fixed number of epochs without early stopping.

The Training page trains until the lecturer pauses it, so a network that has learned must
not unlearn when left running. This script trains Iris with the task's default configuration
(``fpsnn_core.training.TASK_DEFAULTS['iris']``) but with no early stopping, for
``--epochs`` epochs on each seed, and reports per seed the best *validation* accuracy (and
its epoch), the validation accuracy at the last epoch, the lowest validation accuracy after
the best epoch, and the largest share of validation samples without any output spike.
A run passes when its last validation accuracy is at least its best minus ``--margin``
(3 points).

Run (README table; about a minute per seed on an idle core):

    python bench/iris_long_run.py --seeds 0 1 2 3 4 --epochs 300

``--set key=value`` overrides a configuration field (e.g. ``--set bump_guard=false
lr_decay=1.0`` reproduces the configuration before the fix).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from fpsnn_core import datasets as ds
from fpsnn_core import training as tr


def parse_set(items) -> dict:
    out = {}
    for item in items or ():
        key, _, value = item.partition("=")
        out[key] = json.loads(value)
    return out


def long_run(seed: int, epochs: int, overrides: dict) -> dict:
    cfg = tr.default_config("iris", seed=seed, epochs=epochs, patience=epochs + 1, **overrides)
    task = ds.load_task("iris", **cfg.encoding_kwargs())
    split = lambda d: tr.Split(task.encoding.encode(d.values), d.labels)
    t0 = time.perf_counter()
    state = tr.train(split(task.train), split(task.validation), task.n_classes, cfg)
    val = np.array([m.val_accuracy for m in state.history])
    best = int(np.argmax(val))
    return {
        "seed": seed,
        "best": float(val[best]),
        "best_epoch": best + 1,
        "last": float(val[-1]),
        "min_after_best": float(val[best:].min()),
        "epochs": len(val),
        "seconds": time.perf_counter() - t0,
        "trace": [round(float(v), 4) for v in val],
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--margin", type=float, default=0.03)
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", help="also write all rows (with the per-epoch trace) here")
    args = p.parse_args(argv)
    overrides = parse_set(args.set)
    print(
        f"Iris, {args.epochs} epochs, no early stopping, overrides {overrides or 'none'}; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    print(
        "| seed | best validation | at epoch | last validation | lowest after best | "
        "passes (last >= best - 3 points) |"
    )
    print("|---|---|---|---|---|---|")
    rows, ok = [], True
    for seed in args.seeds:
        r = long_run(seed, args.epochs, overrides)
        passes = r["last"] >= r["best"] - args.margin - 1e-12
        ok &= passes
        rows.append(r)
        print(
            f"| {seed} | {100 * r['best']:.1f} % | {r['best_epoch']} | {100 * r['last']:.1f} % "
            f"| {100 * r['min_after_best']:.1f} % | {'yes' if passes else 'NO'} |",
            flush=True,
        )
    print(
        f"load average {os.getloadavg()[0]:.1f}; median run "
        f"{np.median([r['seconds'] for r in rows]):.0f} s (shared machine)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "rows": rows}, f)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
