"""Why some Yin-Yang runs stop near 96 %: per-epoch diagnostics of training runs.

Trains Yin-Yang seeds with the default configuration (or ``--config``/``--set``
overrides) on the training set, judged on the VALIDATION set only (the test sets are not
loaded), and after every epoch appends one JSON line to ``--log`` (an interrupted run
loses nothing). Each line holds, besides train/validation accuracy:

* on a probe of ``--probe`` training samples (the first ones of the training set):
  ``dead`` hidden neurons (silent on every probe sample), ``rare`` ones (firing on fewer
  than 5 % of them), ``constant`` ones (firing on every sample with a first-spike time
  whose standard deviation over the samples is below ``CONSTANT_SD``: they carry no
  information about the input), ``silent_label`` (share of samples whose label output
  is silent: under ``silent="exclude"`` they give no gradient), ``silent_any``,
  ``margin_median`` (median of ``t_other - t_label``, the earliest wrong output's first
  spike minus the label output's, silent outputs at ``t_max``), ``near`` (share of
  samples with ``|t_other - t_label| < tau_0``: the ones the sharp softmax still pushes),
  ``grad_norm`` per layer (Frobenius norm of the mean gradient over the probe's first
  ``--grad-probe`` samples);
* from the epoch's mini-batches: ``bump_share`` per layer, the L1 size of the weight
  changes made by the dead-neuron bump over that of all changes (Adam's plus the bump's),
  and ``bumped`` per layer (neuron-bumps summed over the epoch).

Run (one training process at a time, ``nice -n 19`` on the shared machine):

    nice -n 19 python bench/yinyang_diagnose.py --name default --seeds 0 4 5 9 7 8 \
        --epochs 15 --log docs/yinyang_diagnosis.jsonl
    python bench/yinyang_diagnose.py --report docs/yinyang_diagnosis.jsonl \
        docs/yinyang_screen_fix.jsonl                       (Markdown tables)

A variant of the screen is the same command with ``--name NAME --set key=value ...``
(JSON values) and ``--log docs/yinyang_screen_fix.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from fpsnn_core import datasets as ds
from fpsnn_core import training as tr
from fpsnn_core.batched import layers_of, loss_and_gradient, simulate_batch

#: A hidden neuron firing on every sample with first-spike times this close (sd, in units
#: of tau_n = 20 ms, i.e. 1 ms) counts as "constant".
CONSTANT_SD = 0.05


def probe_stats(net, probe: tr.Split, cfg: tr.TrainConfig, n_grad: int) -> dict:
    """Hidden-layer activity, output silence and margins on ``probe``; gradient norms on
    its first ``n_grad`` samples."""
    run = simulate_batch(net, probe.inputs, cfg.t_max)
    first = run.layers[0].times[:, :, 0]  # (B, n) hidden first spikes
    fired = np.isfinite(first)
    share = fired.mean(axis=0)
    always = fired.all(axis=0)
    sd = np.where(always, np.std(np.where(fired, first, 0.0), axis=0), np.inf)
    T = run.first_times
    B, C = T.shape
    y = probe.labels
    t = np.where(np.isfinite(T), T, cfg.t_max)
    t_y = t[np.arange(B), y]
    t_other = np.where(np.arange(C)[None, :] == y[:, None], np.inf, t).min(axis=1)
    margin = t_other - t_y
    g = loss_and_gradient(
        net,
        probe.inputs[:n_grad],
        y[:n_grad],
        cfg.t_max,
        tau_0=cfg.tau_0,
        gamma=cfg.gamma,
        tau_1=cfg.tau_1,
        on_grazing="skip",
        silent=cfg.silent,
    )
    norms = [
        float(np.linalg.norm(g.gradient[np.ix_(L.sources, L.neurons)])) for L in layers_of(net)
    ]
    return {
        "dead": int((share == 0).sum()),
        "rare": int(((share > 0) & (share < 0.05)).sum()),
        "constant": int((sd < CONSTANT_SD).sum()),
        "hidden_spikes_per_sample": float(np.isfinite(run.layers[0].times).sum() / B),
        "silent_label": float((~np.isfinite(T[np.arange(B), y])).mean()),
        "silent_any": float((~np.isfinite(T)).any(axis=1).mean()),
        "margin_median": float(np.median(margin)),
        "near": float((np.abs(margin) < cfg.tau_0).mean()),
        "probe_accuracy": float((tr.correct_first(T, y)).mean()),
        "grad_norm": norms,
    }


class BumpMeter:
    """Wraps :func:`fpsnn_core.training.bump_weights` to measure, per layer, the L1 size
    of the bump's changes and of Adam's (the weights it receives minus those before the
    step, which :meth:`before` records)."""

    def __init__(self, net):
        self.layers = layers_of(net)
        self.original = tr.bump_weights
        self.W0 = None
        self.reset()

    def reset(self):
        n = len(self.layers)
        self.adam, self.bump, self.bumped = np.zeros(n), np.zeros(n), np.zeros(n, dtype=int)

    def before(self, net):
        self.W0 = np.array(net.weights)

    def __call__(self, net, first_times, labels, hidden_counts, bump, bump_output=None):
        W = self.original(net, first_times, labels, hidden_counts, bump, bump_output)
        q = tr.bumped_neurons(net, first_times, labels, hidden_counts)
        q[self.layers[-1].neurons] &= (bump if bump_output is None else bump_output) > 0
        q[np.concatenate([L.neurons for L in self.layers[:-1]])] &= bump > 0
        for k, L in enumerate(self.layers):
            blk = np.ix_(L.sources, L.neurons)
            self.adam[k] += np.abs(net.weights[blk] - self.W0[blk]).sum()
            self.bump[k] += np.abs(W[blk] - net.weights[blk]).sum()
            self.bumped[k] += int(q[L.neurons].sum())
        return W


def run_seed(
    name: str,
    config_name: str,
    over: dict,
    seed: int,
    epochs: int,
    log: Path,
    n_probe: int,
    n_grad: int,
) -> None:
    cfg = tr.named_config(config_name, seed=seed, epochs=epochs, patience=epochs + 1, **over)
    task = ds.load_task("yinyang", **cfg.encoding_kwargs())
    split = lambda d: tr.Split(task.encoding.encode(d.values), d.labels)
    train, val = split(task.train), split(task.validation)  # no test set here
    probe = tr.Split(train.inputs[:n_probe], train.labels[:n_probe])
    state = tr.start(train.inputs.shape[1], task.n_classes, cfg)
    meter = BumpMeter(state.network)
    tr.bump_weights = meter
    per_epoch = -(-len(train) // cfg.batch_size)
    row0 = {
        "name": name,
        "config_name": config_name,
        "seed": seed,
        "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in over.items()},
    }
    try:
        with log.open("a") as fh:
            stats = probe_stats(state.network, probe, cfg, n_grad)
            fh.write(json.dumps({**row0, "epoch": 0, **stats}) + "\n")
            fh.flush()
            while not state.done:
                t0 = time.perf_counter()
                meter.reset()
                for _ in range(per_epoch):
                    meter.before(state.network)
                    state = tr.step(state, train)
                state = tr.end_epoch(state, val)
                m = state.history[-1]
                seconds = time.perf_counter() - t0
                stats = probe_stats(state.network, probe, cfg, n_grad)
                total = meter.adam + meter.bump
                row = {
                    **row0,
                    "epoch": m.epoch,
                    "train_accuracy": m.train_accuracy,
                    "val_accuracy": m.val_accuracy,
                    "val_loss": m.val_loss,
                    **stats,
                    "bump_share": (meter.bump / np.maximum(total, 1e-300)).tolist(),
                    "bumped": meter.bumped.tolist(),
                    "lr": tr.learning_rate(cfg, m.epoch - 1),
                    "seconds": seconds,
                    "load": os.getloadavg()[0],
                }
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                print(
                    f"{name} seed {seed} epoch {m.epoch:3d} val {m.val_accuracy:.3f} "
                    f"dead {stats['dead']} const {stats['constant']} rare {stats['rare']} "
                    f"silent_label {stats['silent_label']:.3f} near {stats['near']:.3f} "
                    f"grad {[float(f'{x:.3g}') for x in stats['grad_norm']]} "
                    f"bump {[float(f'{x:.3f}') for x in row['bump_share']]} {seconds:.0f}s",
                    flush=True,
                )
    finally:
        tr.bump_weights = meter.original


def load(path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def report(rows: list[dict], at=(1, 5, 10, 15, 20)) -> str:
    """Markdown: per run and seed, the diagnostics at a few epochs and the best validation."""
    runs = {}
    for r in rows:
        runs.setdefault((r["name"], r["seed"]), []).append(r)
    head = (
        "| run | seed | best val (epoch) | epoch | val | dead | rare | constant | "
        "spikes/sample | label output silent | margin median | near | grad hidden | "
        "grad out | bump share hidden | bump share out |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for (name, seed), rs in runs.items():
        ep = {r["epoch"]: r for r in rs}
        vals = [(r["val_accuracy"], r["epoch"]) for r in rs if r["epoch"] > 0]
        best = max(vals, key=lambda v: (v[0], -v[1])) if vals else (float("nan"), 0)
        for e in at:
            if e not in ep:
                continue
            r = ep[e]
            bs = r.get("bump_share", [float("nan")] * 2)
            lines.append(
                f"| {name} | {seed} | {100 * best[0]:.1f} ({best[1]}) | {e} | "
                f"{100 * r.get('val_accuracy', float('nan')):.1f} | {r['dead']} | {r['rare']} | "
                f"{r['constant']} | {r['hidden_spikes_per_sample']:.1f} | "
                f"{100 * r['silent_label']:.1f} % | {r['margin_median']:.3f} | "
                f"{100 * r['near']:.1f} % | {r['grad_norm'][0]:.3g} | {r['grad_norm'][-1]:.3g} | "
                f"{bs[0]:.3f} | {bs[-1]:.3f} |"
            )
    return "\n".join(lines)


def summary(rows: list[dict], lo: int = 3, hi: int = 15) -> str:
    """Markdown: per run and seed, the best validation accuracy beside the means over
    epochs ``lo..hi`` of the bump's share of the weight changes, of the share of samples
    with a silent label output and of the median margin."""
    runs = {}
    for r in rows:
        runs.setdefault((r["name"], r["seed"]), []).append(r)
    head = (
        f"| run | seed | best val (epoch) | best val, epochs 1-{hi} | val at last epoch | "
        f"bump share out, mean of "
        f"epochs {lo}-{hi} | bump share hidden | label output silent | margin median | "
        f"output neuron-bumps per epoch |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for (name, seed), rs in runs.items():
        rs = sorted((r for r in rs if r["epoch"] > 0), key=lambda r: r["epoch"])
        w = [r for r in rs if lo <= r["epoch"] <= hi]
        if not w:
            continue
        best = max(rs, key=lambda r: (r["val_accuracy"], -r["epoch"]))
        mean = lambda f: float(np.mean([f(r) for r in w]))
        lines.append(
            f"| {name} | {seed} | {100 * best['val_accuracy']:.1f} ({best['epoch']}) | "
            f"{100 * max(r['val_accuracy'] for r in rs if r['epoch'] <= hi):.1f} | "
            f"{100 * rs[-1]['val_accuracy']:.1f} ({rs[-1]['epoch']}) | "
            f"{mean(lambda r: r['bump_share'][-1]):.2f} | {mean(lambda r: r['bump_share'][0]):.2f} | "
            f"{100 * mean(lambda r: r['silent_label']):.2f} % | "
            f"{mean(lambda r: r['margin_median']):.3f} | {mean(lambda r: r['bumped'][-1]):.1f} |"
        )
    return "\n".join(lines)


def per_run(rows: list[dict], hi: int = 15) -> str:
    """Markdown: per run, the mean and the lowest over its seeds of the best validation
    accuracy within epochs ``1..hi`` (runs cut short count their epochs so far)."""
    best = {}
    for r in rows:
        if 0 < r["epoch"] <= hi:
            key = (r["name"], r["seed"])
            best[key] = max(best.get(key, 0.0), r["val_accuracy"])
    names = list(dict.fromkeys(name for name, _ in best))
    lines = [
        f"| run | seeds | best val within epochs 1-{hi}: mean | lowest | highest |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        v = np.array([b for (n, _), b in best.items() if n == name])
        lines.append(
            f"| {name} | {v.size} | {100 * v.mean():.2f} % | {100 * v.min():.1f} % | "
            f"{100 * v.max():.1f} % |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--report", metavar="LOG", nargs="+", help="print the tables of these logs and stop"
    )
    parser.add_argument("--name", default="default")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 4, 5, 9, 7, 8])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--config", default="yinyang", choices=tuple(tr.NAMED_CONFIGS))
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--probe", type=int, default=1000)
    parser.add_argument("--grad-probe", type=int, default=256)
    parser.add_argument("--log", default="docs/yinyang_diagnosis.jsonl")
    args = parser.parse_args(argv)
    if args.report:
        rows = [row for path in args.report for row in load(path)]
        print(per_run(rows) + "\n\n" + summary(rows) + "\n\n" + report(rows))
        return
    over = {}
    for item in args.set:
        key, _, value = item.partition("=")
        v = json.loads(value)
        over[key] = tuple(v) if isinstance(v, list) else v
    for seed in args.seeds:
        run_seed(
            args.name,
            args.config,
            over,
            seed,
            args.epochs,
            Path(args.log),
            args.probe,
            args.grad_probe,
        )


if __name__ == "__main__":
    main()
