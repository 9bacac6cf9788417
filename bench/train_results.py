"""Accuracy over seeds on XOR, Iris and Yin-Yang; writes a Markdown results table.

Each run trains from scratch with the task's default configuration
(``fpsnn_core.training.TASK_DEFAULTS``), keeps the network with the best validation
accuracy and reports its test accuracy. Exact FP gradients throughout.

Run (the defaults reproduce the README table; Yin-Yang takes a few minutes per seed):

    python bench/train_results.py --xor-seeds 20 --iris-seeds 10 --yinyang-seeds 5 \
        --out docs/training_results.md

``--tasks`` selects tasks, ``--jobs 2`` trains two seeds at a time in separate processes
(each run is then exactly the run of ``python -m fpsnn_core train --seed S``), ``--workers 2``
splits each mini-batch over two processes instead, and ``--set key=value`` overrides a
configuration field for every task (exploration).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from fpsnn_core import datasets as ds
from fpsnn_core import training as tr


def run_seed(task_name: str, seed: int, workers: int = 1, overrides: dict | None = None) -> dict:
    cfg = tr.default_config(task_name, seed=seed, **(overrides or {}))
    task = ds.load_task(task_name, **cfg.encoding_kwargs())
    split = lambda d: tr.Split(task.encoding.encode(d.values), d.labels)
    t0 = time.perf_counter()
    state = tr.train(split(task.train), split(task.validation), task.n_classes, cfg,
                     workers=workers)
    seconds = time.perf_counter() - t0
    test = tr.evaluate(state.best, split(task.test), cfg)
    epoch_s = [m.seconds for m in state.history]
    return {"task": task_name, "seed": seed, "test_accuracy": test.accuracy,
            "val_accuracy": max(m.val_accuracy for m in state.history),
            "train_accuracy": state.history[state.best_epoch - 1].train_accuracy,
            "best_epoch": state.best_epoch, "epochs": len(state.history),
            "seconds": seconds, "median_epoch_seconds": float(np.median(epoch_s))}


def summarize(rows: list[dict], task: str) -> dict:
    acc = np.array([r["test_accuracy"] for r in rows])
    return {"task": task, "seeds": len(rows), "mean": acc.mean(),
            "std": acc.std(ddof=1) if acc.size > 1 else 0.0,
            "min": acc.min(), "max": acc.max(), "solved": np.mean(acc == 1.0),
            "median_run_s": float(np.median([r["seconds"] for r in rows])),
            "median_epoch_s": float(np.median([r["median_epoch_seconds"] for r in rows]))}


def markdown(results: dict, args, load_before, load_after) -> str:
    def arch(t):
        task, cfg = ds.load_task(t), tr.default_config(t, **args.overrides)
        return "-".join(str(x) for x in (task.encoding.n_inputs, *cfg.hidden, task.n_classes))

    lines = ["# Training results", "",
             "Measured by `bench/train_results.py` (exact FP gradients, Adam, early stopping on "
             "validation accuracy; the test accuracy is that of the best-validation network).",
             "", f"Command: `python bench/train_results.py {' '.join(args.argv)}`", "",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"shared with other jobs (load average {load_before:.1f} before, "
             f"{load_after:.1f} after); {args.jobs} seed(s) at a time, {args.workers} "
             "process(es) per mini-batch. Times are wall-clock under that load.", "",
             "| task | network | seeds | test accuracy mean ± sd | min | max | 100% runs | "
             "median run | median epoch |",
             "|---|---|---|---|---|---|---|---|---|"]
    for task, rows in results.items():
        s = summarize(rows, task)
        lines.append(f"| {task} | {arch(task)} | {s['seeds']} | {100 * s['mean']:.2f} ± "
                     f"{100 * s['std']:.2f} % | {100 * s['min']:.1f} % | {100 * s['max']:.1f} % | "
                     f"{s['solved'] * s['seeds']:.0f}/{s['seeds']} | {s['median_run_s']:.0f} s | "
                     f"{s['median_epoch_s']:.2f} s |")
    lines += ["", "Per seed:", "", "| task | seed | test | best val | best epoch | epochs | time |",
              "|---|---|---|---|---|---|---|"]
    for task, rows in results.items():
        for r in rows:
            lines.append(f"| {task} | {r['seed']} | {100 * r['test_accuracy']:.2f} % | "
                         f"{100 * r['val_accuracy']:.2f} % | {r['best_epoch']} | {r['epochs']} | "
                         f"{r['seconds']:.0f} s |")
    cfgs = {t: tr.default_config(t, **args.overrides).to_dict() for t in results}
    lines += ["", "Configurations (`TrainConfig`):", "", "```json", json.dumps(cfgs, indent=1),
              "```", ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(ds.TASKS), choices=ds.TASKS)
    parser.add_argument("--xor-seeds", type=int, default=20)
    parser.add_argument("--iris-seeds", type=int, default=10)
    parser.add_argument("--yinyang-seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes per mini-batch")
    parser.add_argument("--jobs", type=int, default=1, help="seeds trained at a time")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="configuration overrides (JSON values), e.g. lr=0.003")
    parser.add_argument("--out", help="write the Markdown table here")
    parser.add_argument("--json", help="also write all per-seed rows as JSON here")
    args = parser.parse_args(argv)
    import sys
    args.argv = sys.argv[1:] if argv is None else list(argv)
    args.overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        v = json.loads(value)
        args.overrides[key] = tuple(v) if isinstance(v, list) else v
    n_seeds = {"xor": args.xor_seeds, "iris": args.iris_seeds, "yinyang": args.yinyang_seeds}
    load_before = os.getloadavg()[0]
    results = {}
    pool = ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    for task in args.tasks:
        seeds = range(args.first_seed, args.first_seed + n_seeds[task])
        fn = partial(run_seed, task, workers=args.workers, overrides=args.overrides)
        rows = []
        for row in (pool.map(fn, seeds) if pool else map(fn, seeds)):
            rows.append(row)
            print(f"{task} seed {row['seed']}: test {row['test_accuracy']:.4f} (best val "
                  f"{row['val_accuracy']:.4f} at epoch {row['best_epoch']}/{row['epochs']}, "
                  f"{row['seconds']:.0f} s)", flush=True)
        results[task] = rows
        s = summarize(rows, task)
        print(f"== {task}: {s['seeds']} seeds, test accuracy {100 * s['mean']:.2f} ± "
              f"{100 * s['std']:.2f} % (min {100 * s['min']:.1f}, max {100 * s['max']:.1f}), "
              f"100% in {s['solved'] * s['seeds']:.0f}/{s['seeds']}", flush=True)
    if pool is not None:
        pool.shutdown()
    text = markdown(results, args, load_before, os.getloadavg()[0])
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
