"""Screen Yin-Yang training configurations on the VALIDATION set (never the test set).

One short run per call: 5-120-3 (or ``--set hidden=[200]``), one seed, the default
Yin-Yang configuration with ``--set key=value`` overrides (JSON values), ``--epochs`` epochs
without early stopping. Prints the validation accuracy after every epoch and appends one
JSON line per run (configuration, validation accuracy by epoch, seconds) to ``--log``.
The test sets are not loaded. ``docs/yinyang_screening.md`` is written from these logs.

Run:  python bench/yinyang_screen.py --name base --epochs 30 --seed 0 \
          [--config eventprop] [--set tau_0=0.05 lr=0.005 ...] --log docs/yinyang_screening.jsonl
      python bench/yinyang_screen.py --report docs/yinyang_screening.jsonl   (Markdown table)
      python bench/yinyang_screen.py --summary docs/yinyang_screen_ema.jsonl [--within 30]
          (per run name over its seeds: best and last-five-epoch validation accuracy)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from fpsnn_core import datasets as ds
from fpsnn_core import training as tr


def report(path: str, at=(5, 10, 12)) -> str:
    """A Markdown table of the runs logged in ``path``: validation accuracy at equal epochs."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    head = (
        "| run | starts from | changes | seed | "
        + " | ".join(f"val @{e}" for e in at)
        + " | mean val, epochs 8-12 | best val (epoch) | note |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        acc = r["val_accuracy"]
        cells = [f"{100 * acc[e - 1]:.1f}" if len(acc) >= e else "-" for e in at]
        cells.append(f"{100 * sum(acc[7:12]) / 5:.2f}" if len(acc) >= 12 else "-")
        best = max(range(len(acc)), key=acc.__getitem__)
        changes = ", ".join(f"{k}={v}" for k, v in r["overrides"].items()) or "-"
        lines.append(
            f"| {r['name']} | {r['config_name']} | {changes} | {r['seed']} | "
            + " | ".join(cells)
            + f" | {100 * acc[best]:.1f} ({best + 1}) | "
            f"{r.get('note', '')} |"
        )
    return "\n".join(lines)


def summary(paths, hi: int | None = None) -> str:
    """A Markdown table per run name over its seeds: the mean, lowest and highest of each
    seed's best validation accuracy within epochs ``1..hi`` (all epochs when ``None``), and
    of the mean over its last five of those epochs (how much the kept network owes to a
    lucky epoch)."""
    rows = [
        json.loads(line)
        for path in paths
        for line in Path(path).read_text().splitlines()
        if line.strip()
    ]
    runs: dict = {}
    for r in rows:
        curves = [(r["name"], r["val_accuracy"])]
        if "val_accuracy_raw" in r:  # the same run judged without the average (R5)
            curves.append((f"{r['name']} (raw)", r["val_accuracy_raw"]))
        for name, acc in curves:
            acc = acc[:hi] if hi else acc
            runs.setdefault(name, {})[r["seed"]] = (max(acc), sum(acc[-5:]) / len(acc[-5:]))
    lines = [
        "| run | changes | epochs | seeds | best val: mean | lowest | highest | "
        "mean of the last 5 epochs: mean | lowest |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by_seed in runs.items():
        r0 = next(r for r in rows if r["name"] == name.removesuffix(" (raw)"))
        best = [b for b, _ in by_seed.values()]
        last = [v for _, v in by_seed.values()]
        over = {
            k: v for k, v in r0["overrides"].items() if not name.endswith("(raw)") or k != "ema"
        }
        changes = ", ".join(f"{k}={v}" for k, v in over.items()) or "-"
        epochs = min(hi or r0["epochs"], r0["epochs"])
        lines.append(
            f"| {name} | {changes} | {epochs} | {len(best)} ({', '.join(map(str, by_seed))}) | "
            f"{100 * sum(best) / len(best):.2f} % | {100 * min(best):.1f} % | "
            f"{100 * max(best):.1f} % | {100 * sum(last) / len(last):.2f} % | "
            f"{100 * min(last):.2f} % |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", metavar="LOG", help="print the table of a log and stop")
    parser.add_argument(
        "--summary", metavar="LOG", nargs="+", help="print the per-run table over seeds and stop"
    )
    parser.add_argument("--within", type=int, help="--summary: only epochs 1..WITHIN")
    parser.add_argument("--name")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--config",
        default="yinyang",
        choices=tuple(tr.NAMED_CONFIGS),
        help="named configuration to start from",
    )
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--log", default="docs/yinyang_screening.jsonl")
    parser.add_argument("--save", help="save the last network here (for timing it)")
    args = parser.parse_args(argv)
    if args.report:
        print(report(args.report))
        return
    if args.summary:
        print(summary(args.summary, args.within))
        return
    if not args.name:
        parser.error("--name is required to run a screen")
    over = {}
    for item in args.set:
        key, _, value = item.partition("=")
        v = json.loads(value)
        over[key] = tuple(v) if isinstance(v, list) else v
    cfg = tr.named_config(
        args.config, seed=args.seed, epochs=args.epochs, patience=args.epochs + 1, **over
    )
    task = ds.load_task("yinyang", **cfg.encoding_kwargs())
    split = lambda d: tr.Split(task.encoding.encode(d.values), d.labels)
    train, val = split(task.train), split(task.validation)  # no test set here
    t0 = time.perf_counter()
    raw = []  # with (R5): the validation accuracy of the network itself, without averaging

    def on_epoch(state):
        m = state.history[-1]
        if cfg.ema > 0:
            raw.append(tr.evaluate(state.network, val, cfg).accuracy)
        print(
            f"{args.name} epoch {m.epoch:3d} train {m.train_accuracy:.4f} val {m.val_accuracy:.4f}"
            f" loss {m.val_loss:.4f} {m.seconds:.1f}s skipped {m.skipped}",
            flush=True,
        )

    state = tr.train(train, val, task.n_classes, cfg, on_epoch=on_epoch)
    row = {
        "name": args.name,
        "config_name": args.config,
        "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in over.items()},
        "seed": args.seed,
        "epochs": args.epochs,
        "val_accuracy": [m.val_accuracy for m in state.history],
        "train_accuracy": [m.train_accuracy for m in state.history],
        **({"val_accuracy_raw": raw} if raw else {}),
        "skipped": [m.skipped for m in state.history],
        "skipped_batches": getattr(state, "skipped_batches", 0),
        "seconds": time.perf_counter() - t0,
        "load": os.getloadavg()[0],
    }
    if args.save:
        from fpsnn_core.io import save

        save(args.save, state.network, t_max=cfg.t_max, meta={"config": cfg.to_dict()})
    with Path(args.log).open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    acc = row["val_accuracy"]
    print(
        f"{args.name}: best val {max(acc):.4f}, last {acc[-1]:.4f}, mean of last 5 "
        f"{sum(acc[-5:]) / len(acc[-5:]):.4f}"
    )


if __name__ == "__main__":
    main()
