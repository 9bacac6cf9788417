"""Accuracy over seeds on XOR, Iris and Yin-Yang; writes a Markdown results table.

Each run trains from scratch with the task's default configuration
(``fpsnn_core.training.TASK_DEFAULTS``; ``--config NAME`` runs a named one for its task
instead), keeps the network with the best validation accuracy and reports its test
accuracy. Exact FP gradients throughout. What the sets are:

* XOR: train, validation and test are the same four points, so its number is a
  *training* accuracy.
* Iris: seed ``s`` draws its own stratified 90/30/30 split (``split_seed = s``) as well as
  its initial weights, so the spread covers splits too.
* Yin-Yang: the standard test set (seed 40, 1000 samples) and a fresh set of
  ``FRESH_SIZE`` samples from ``FRESH_SEED``, a seed used nowhere in training, screening
  or tests; both are evaluated only here, on the best-validation network.

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

#: The fresh Yin-Yang test set: a seed used nowhere else, and its size.
FRESH_SEED, FRESH_SIZE = 2026_12_01, 10_000


def run_seed(config_name: str, seed: int, workers: int = 1, overrides: dict | None = None) -> dict:
    task_name = tr.config_task(config_name)
    cfg = tr.named_config(config_name, seed=seed, **(overrides or {}))
    task = ds.load_task(
        task_name, split_seed=seed if task_name == "iris" else 0, **cfg.encoding_kwargs()
    )
    split = lambda d: tr.Split(task.encoding.encode(d.values), d.labels)
    t0 = time.perf_counter()
    state = tr.train(
        split(task.train), split(task.validation), task.n_classes, cfg, workers=workers
    )
    seconds = time.perf_counter() - t0
    test = tr.evaluate(state.best, split(task.test), cfg)
    fresh = (
        tr.evaluate(state.best, split(ds.yinyang(FRESH_SIZE, FRESH_SEED)), cfg).accuracy
        if task_name == "yinyang"
        else None
    )
    epoch_s = [m.seconds for m in state.history]
    return {
        "task": task_name,
        "config": config_name,
        "seed": seed,
        "test_accuracy": test.accuracy,
        "fresh_test_accuracy": fresh,
        "skipped_batches": state.skipped_batches,
        "val_accuracy": max(m.val_accuracy for m in state.history),
        "train_accuracy": state.history[state.best_epoch - 1].train_accuracy,
        "best_epoch": state.best_epoch,
        "epochs": len(state.history),
        "seconds": seconds,
        "median_epoch_seconds": float(np.median(epoch_s)),
    }


def summarize(rows: list[dict], key: str = "test_accuracy") -> dict:
    acc = np.array([r[key] for r in rows])
    return {
        "seeds": len(rows),
        "mean": acc.mean(),
        "std": acc.std(ddof=1) if acc.size > 1 else 0.0,
        "min": acc.min(),
        "max": acc.max(),
        "solved": np.mean(acc == 1.0),
        "median_run_s": float(np.median([r["seconds"] for r in rows])),
        "median_epoch_s": float(np.median([r["median_epoch_seconds"] for r in rows])),
    }


def evaluated_on(task: str) -> list[tuple[str, str]]:
    """(row key, what the number is) for each reported set of ``task``."""
    if task == "xor":
        return [("test_accuracy", "training accuracy (train = validation = test: the 4 points)")]
    if task == "iris":
        return [("test_accuracy", "test set (30 samples; each seed its own stratified split)")]
    seed, size = ds.YINYANG_SPLIT["test"]
    return [
        ("test_accuracy", f"standard test set (seed {seed}, {size} samples)"),
        ("fresh_test_accuracy", f"fresh test set (seed {FRESH_SEED}, {FRESH_SIZE:,} samples)"),
    ]


def markdown(results: dict, args, load_before, load_after) -> str:
    def arch(name):
        cfg = tr.named_config(name, **args.overrides)
        task = ds.load_task(tr.config_task(name), **cfg.encoding_kwargs())
        return "-".join(str(x) for x in (task.encoding.n_inputs, *cfg.hidden, task.n_classes))

    lines = [
        "# Training results",
        "",
        "Measured by `bench/train_results.py` (exact FP gradients, Adam, the network with "
        "the best validation accuracy is kept and evaluated; the test sets are used only "
        "for this table).",
        "",
        f"Command: `python bench/train_results.py {' '.join(args.argv)}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"shared with other jobs (load average {load_before:.1f} before, "
        f"{load_after:.1f} after); {args.jobs} seed(s) at a time, {args.workers} "
        "process(es) per mini-batch. Times are wall-clock under that load.",
        "",
        "| configuration | network | seeds | accuracy on | mean ± sd | min | max | "
        "100% runs | median run | median epoch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        for key, what in evaluated_on(tr.config_task(name)):
            s = summarize(rows, key)
            lines.append(
                f"| {name} | {arch(name)} | {s['seeds']} | {what} | {100 * s['mean']:.2f} ± "
                f"{100 * s['std']:.2f} % | {100 * s['min']:.1f} % | {100 * s['max']:.1f} % | "
                f"{s['solved'] * s['seeds']:.0f}/{s['seeds']} | {s['median_run_s']:.0f} s | "
                f"{s['median_epoch_s']:.2f} s |"
            )
    skipped = sum(r.get("skipped_batches", 0) for rows in results.values() for r in rows)
    lines += [
        "",
        f"Mini-batches skipped for runaway firing, all runs: {skipped}.",
        "",
        "Per seed (test: the standard test set; fresh: the fresh Yin-Yang set):",
        "",
        "| configuration | seed | test | fresh | best val | best epoch | epochs | time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        for r in rows:
            fresh = r.get("fresh_test_accuracy")
            lines.append(
                f"| {name} | {r['seed']} | {100 * r['test_accuracy']:.2f} % | "
                + (f"{100 * fresh:.2f} % | " if fresh is not None else "- | ")
                + f"{100 * r['val_accuracy']:.2f} % | {r['best_epoch']} | "
                f"{r['epochs']} | {r['seconds']:.0f} s |"
            )
    cfgs = {n: tr.named_config(n, **args.overrides).to_dict() for n in results}
    lines += [
        "",
        "Configurations (`TrainConfig`):",
        "",
        "```json",
        json.dumps(cfgs, indent=1),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(ds.TASKS), choices=ds.TASKS)
    parser.add_argument("--xor-seeds", type=int, default=20)
    parser.add_argument("--iris-seeds", type=int, default=10)
    parser.add_argument("--yinyang-seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--config",
        choices=tuple(tr.NAMED_CONFIGS),
        help="for Yin-Yang, run this named configuration instead of the task's default",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes per mini-batch")
    parser.add_argument("--jobs", type=int, default=1, help="seeds trained at a time")
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="configuration overrides (JSON values), e.g. lr=0.003",
    )
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
        name = args.config if task == "yinyang" and args.config else task
        seeds = range(args.first_seed, args.first_seed + n_seeds[task])
        fn = partial(run_seed, name, workers=args.workers, overrides=args.overrides)
        rows = []
        for row in pool.map(fn, seeds) if pool else map(fn, seeds):
            rows.append(row)
            fresh = row["fresh_test_accuracy"]
            print(
                f"{name} seed {row['seed']}: test {row['test_accuracy']:.4f}"
                + (f", fresh test {fresh:.4f}" if fresh is not None else "")
                + f" (best val {row['val_accuracy']:.4f} at epoch {row['best_epoch']}/"
                f"{row['epochs']}, {row['seconds']:.0f} s)",
                flush=True,
            )
            if args.json:  # as they come, in case of a crash
                Path(args.json).write_text(json.dumps({**results, name: rows}, indent=1))
        results[name] = rows
        for key, what in evaluated_on(task):
            s = summarize(rows, key)
            print(
                f"== {name}, {what}: {s['seeds']} seeds, {100 * s['mean']:.2f} ± "
                f"{100 * s['std']:.2f} % (min {100 * s['min']:.1f}, max "
                f"{100 * s['max']:.1f}), 100% in {s['solved'] * s['seeds']:.0f}/{s['seeds']}",
                flush=True,
            )
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
