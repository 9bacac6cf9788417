"""Time of one Yin-Yang epoch: 5000 samples, batched simulation and exact gradient.

One epoch = every mini-batch of the training set (default size from the Yin-Yang
configuration) simulated and differentiated (first-spike cross entropy, FP or adjoint),
without the optimizer (negligible). Timed at the initial weights of the configuration's
network (``--config``, default the Yin-Yang default, 5-160-3; ``--hidden 120`` for another
hidden layer) and, with
``--network net.json``, at a trained network. Medians over ``--repeats`` epochs, for one
process and for the mini-batch split over two worker processes. The machine may be shared:
the load average is printed with the numbers.

Run:  python bench/bench_training.py [--repeats 5] [--config yinyang] [--hidden 120]
      [--network net.json] [--method adjoint] [--no-workers] [--clock cpu]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import fpsnn_core as fp
from fpsnn_core import datasets as ds
from fpsnn_core import training as tr

CLOCK = time.perf_counter


def epoch_seconds(net, split, cfg, pool=None) -> float:
    t0 = CLOCK()
    for lo in range(0, len(split), cfg.batch_size):
        part = slice(lo, lo + cfg.batch_size)
        tr.batch_gradient(net, split.inputs[part], split.labels[part], cfg, pool)
    return CLOCK() - t0


def spikes_per_sample(net, split, cfg) -> tuple[float, float]:
    """Mean hidden spikes per sample: all on [0, t_max], and those before the last output
    first spike (what the gradient uses)."""
    from fpsnn_core import batched as bt

    run = bt.simulate_batch(net, split.inputs[:500], cfg.t_max)
    cut = bt.causal_cut(run)
    count = lambda r: float(np.isfinite(r.layers[0].times).sum(axis=(1, 2)).mean())
    return count(run), count(cut)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: this process's CPU time, steadier on a shared machine "
        "(with workers it leaves out theirs: use --no-workers)",
    )
    parser.add_argument("--method", choices=("fp", "adjoint"), default="fp")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--hidden", type=int, nargs="+", help="hidden layer sizes")
    parser.add_argument("--config", default="yinyang", choices=tuple(tr.NAMED_CONFIGS))
    parser.add_argument(
        "--no-workers",
        action="store_true",
        help="time one process only (skip the two-worker split)",
    )
    parser.add_argument(
        "--network",
        help="a trained Yin-Yang network file (python -m fpsnn_core train --task yinyang ...)",
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.perf_counter if args.clock == "wall" else time.process_time
    over = {"method": args.method}
    if args.batch_size:
        over["batch_size"] = args.batch_size
    if args.hidden:
        over["hidden"] = tuple(args.hidden)
    if tr.config_task(args.config) != "yinyang":
        parser.error("--config must be a Yin-Yang configuration")
    cfg = tr.named_config(args.config, **over)
    task = ds.load_task("yinyang", **cfg.encoding_kwargs())
    split = tr.Split(task.encoding.encode(task.train.values), task.train.labels)
    nets = {"initial weights": tr.init_network(5, 3, cfg)}
    if args.network:
        nf = fp.load(args.network)
        cfg = tr.TrainConfig.from_dict({**nf.meta["config"], **over})
        nets["trained " + os.path.basename(args.network)] = nf.network
    print(
        f"Yin-Yang epoch ({args.config}, {'-'.join(map(str, (5, *cfg.hidden, 3)))}): "
        f"{len(split)} samples, mini-batches of {cfg.batch_size}, "
        f"{cfg.method} gradients, t_max {cfg.t_max}; load average before "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    with ProcessPoolExecutor(2) as pool:
        for name, net in nets.items():
            every, used = spikes_per_sample(net, split, cfg)
            print(
                f"{name}: hidden spikes per sample {every:.0f} (of which {used:.0f} before "
                "the last output first spike)"
            )
            for label, p in (("1 process", None), ("2 workers", pool))[
                : 1 if args.no_workers else 2
            ]:
                epoch_seconds(net, split.__class__(split.inputs[:300], split.labels[:300]), cfg, p)
                times = [epoch_seconds(net, split, cfg, p) for _ in range(args.repeats)]
                q = np.percentile(times, [25, 50, 75])
                print(
                    f"  {label}: median {q[1]:.2f} s per epoch (quartiles {q[0]:.2f}-{q[2]:.2f},"
                    f" {args.repeats} epochs)",
                    flush=True,
                )
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
