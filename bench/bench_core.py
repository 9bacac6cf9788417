"""Time per sample of the general simulator and of the FP gradient of the first-spike loss.

The paper's Yin-Yang network 5-120-3: tau_s = 1/0.99, tau_n = 1, theta = 1, t_max = 2;
first-layer weights ~ N(1.5, 0.8), second-layer ~ N(2, 0.1); inputs (x, y, 1-x, 1-y) with
x, y uniform in [0, 1] encoded as one spike each at 0.15 + 1.85 v, plus a bias spike at 0.15.
Hidden neurons fire several times and outputs hundreds of times.

The same samples then go through the batched fast path for layered networks
(``fpsnn_core.batched.loss_and_gradient``, batches of 150 samples, one process): hidden
layer simulated completely, outputs up to their first spike (all the first-spike loss
needs), exact FP gradient; its time per sample is the batch time divided by 150.

Run:  python bench/bench_core.py [--samples 50] [--clock cpu]
Prints medians (and quartiles) over samples; nothing is asserted.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fpsnn_core as fp
from fpsnn_core.batched import loss_and_gradient


def yin_yang_like_inputs(rng: np.random.Generator):
    x, y = rng.uniform(size=2)
    values = np.array([x, y, 1 - x, 1 - y])
    return [np.array([0.15 + 1.85 * v]) for v in values] + [np.array([0.15])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=7, help="batches for the fast path")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: this process's CPU time (steadier on a shared machine)",
    )
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    rng = np.random.default_rng(args.seed)
    net = fp.Network.feedforward(
        [5, 120, 3],
        rng,
        weight_mean=[1.5, 2.0],
        weight_std=[0.8, 0.1],
        tau_s=1 / 0.99,
        tau_n=1.0,
        theta=1.0,
    )
    outputs = list(net.layers[-1])
    t_sim, t_grad, n_spk, n_hidden, n_out, n_rows = [], [], [], [], [], []
    for n in range(args.samples + 1):
        inputs = yin_yang_like_inputs(rng)
        t0 = clock()
        sim = fp.simulate(net, inputs, 2.0)
        t1 = clock()
        loss = fp.first_spike_cross_entropy(sim, outputs, int(rng.integers(3)), silent_time=2.0)
        fp.fp_gradient(net, sim, loss.dloss_dtimes)
        t2 = clock()
        if n == 0:
            continue  # warm-up
        t_sim.append(t1 - t0)
        t_grad.append(t2 - t1)
        counts = sim.spike_counts(net.n_neurons)
        n_spk.append(sim.n_spikes)
        n_hidden.append(counts[:120].mean())
        n_out.append(counts[120:].mean())
        first = sim.first_spikes(outputs)
        n_rows.append(fp.causal_past(net, sim, first[first >= 0]).size)

    def q(x, scale=1e3):
        a = np.percentile(np.asarray(x) * scale, [25, 50, 75])
        return f"{a[1]:8.2f}  (quartiles {a[0]:.2f} - {a[2]:.2f})"

    print(f"Yin-Yang network 5-120-3, {args.samples} samples, seed {args.seed}")
    print(
        f"spikes per sample (median): {np.median(n_spk):.0f}; per hidden neuron "
        f"{np.median(n_hidden):.2f}; per output neuron {np.median(n_out):.0f}"
    )
    print(f"spikes in the causal past of the first output spikes (median): {np.median(n_rows):.0f}")
    print(f"simulate                      ms/sample: {q(t_sim)}")
    print(f"FP gradient, first-spike loss ms/sample: {q(t_grad)}")
    print(f"together                      ms/sample: {q(np.add(t_sim, t_grad))}")

    batch, t_batch = 150, []
    for _ in range(args.repeats + 1):
        samples = [yin_yang_like_inputs(rng) for _ in range(batch)]
        x = np.array([[train[0] for train in sample] for sample in samples])  # (B, K)
        labels = rng.integers(3, size=batch)
        t0 = clock()
        loss_and_gradient(net, x, labels, 2.0, method="fp")
        t_batch.append((clock() - t0) / batch)
    print(
        f"batched fast path (simulate + FP gradient, batches of {batch}) ms/sample: "
        f"{q(t_batch[1:])}"
    )


if __name__ == "__main__":
    main()
