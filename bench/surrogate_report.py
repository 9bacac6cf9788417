"""Figures and numbers of docs/surrogate.md: surrogate-gradient BPTT against the exact gradient.

Two seeded ensembles of random feed-forward networks (tau_s = 0.5, tau_n = 1, theta = 1,
t_max = 4; one or two spikes per input in [0, 2]; redrawn until every output fires):

* ``A``: 5-20-3, one hidden layer (the paper's Yin-Yang shape, smaller);
* ``B``: 4-10-8-3, two hidden layers.

Loss: first-spike cross entropy with label 0. For each network, each surrogate (default
slopes) and each ``dt``: cosine similarity and relative norm of the BPTT gradient against
the exact FP gradient, over the hidden weights (those whose gradient passes through a spike
function), with sigma' applied per step (standard) and per unit time
(``time_normalized``); then a slope sweep at ``dt = 0.01``, the order of convergence of the
spike times, and the effect of keeping the reset in the backward pass. Medians and
quartiles over the networks; nothing is asserted.

Figures of one example (the app's feed-forward 2-3-2 motif) and of the ensemble medians go
to ``docs/figures/surrogate_*.png``, rendered by headless Chromium through Playwright
(``--html`` writes one self-contained HTML file instead). Tables are printed as Markdown
and written to ``docs/figures/surrogate_tables.md``.

Run:  python bench/surrogate_report.py [--networks 12] [--html]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

import fpsnn_core as fp
from fpsnn_app.figures import surrogate as figs
from fpsnn_app.presets import motif_network
from fpsnn_app.style import standalone
from fpsnn_app.surrogate_compare import (
    DEFAULT_SLOPES,
    LossSpec,
    Options,
    Sweep,
    compare_gradients,
    hidden_weights,
    similarity,
    surrogate_gradients,
    sweep_dt,
    sweep_slope,
    synapse_credit,
)
from fpsnn_core.discrete import simulate_discrete, spike_time_error

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"
DTS = (0.1, 0.03, 0.01, 0.003, 0.001)
SLOPES = tuple(np.geomspace(0.3, 30, 9))
ENSEMBLES = {
    "A": dict(sizes=[5, 20, 3], means=[1.5, 0.3], stds=[0.8, 0.3]),
    "B": dict(sizes=[4, 10, 8, 3], means=[1.8, 0.45, 0.5], stds=[0.8, 0.4, 0.4]),
}
T_MAX = 4.0
NAMES = list(DEFAULT_SLOPES)


def draw_network(rng: np.random.Generator, sizes, means, stds):
    """A random network whose outputs all fire, with its inputs."""
    while True:
        net = fp.Network.feedforward(
            sizes, rng, weight_mean=means, weight_std=stds, tau_s=0.5, tau_n=1.0, theta=1.0
        )
        inputs = [
            np.sort(rng.uniform(0.0, 0.5 * T_MAX, rng.integers(1, 3))) for _ in range(sizes[0])
        ]
        sim = fp.simulate(net, inputs, T_MAX)
        if np.all(sim.spike_counts(net.n_neurons)[list(net.layers[-1])] > 0):
            return net, inputs


def median_sweep(sweeps: list[Sweep]) -> Sweep:
    """The median over networks of every array of a list of sweeps (NaN ignored)."""

    def med(arrs):
        with warnings.catch_warnings():  # a dt where no network matches: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(np.stack(arrs), axis=0)

    metric = {
        attr: {n: med([getattr(s, attr)[n] for s in sweeps]) for n in sweeps[0].cosine}
        for attr in ("cosine", "relative_norm", "cosine_hidden", "relative_norm_hidden")
    }
    return Sweep(
        sweeps[0].values,
        med([s.spike_time_error for s in sweeps]),
        med([s.loss for s in sweeps]),
        **metric,
    )


def quartiles(values) -> str:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "n/a"
    q1, q2, q3 = np.percentile(v, [25, 50, 75])
    return f"{q2:.3g} [{q1:.3g}, {q3:.3g}]"


def dt_table(title: str, sweeps: list[Sweep]) -> str:
    head = "| surrogate | metric | " + " | ".join(f"dt={dt:g}" for dt in DTS) + " |"
    lines = [
        f"**{title}** (median [quartiles] over {len(sweeps)} networks, hidden weights)",
        "",
        head,
        "|" + "---|" * (len(DTS) + 2),
    ]
    for name in NAMES:
        for attr, label in (("cosine_hidden", "cosine"), ("relative_norm_hidden", "rel. norm")):
            cells = [
                quartiles([getattr(s, attr)[name][d] for s in sweeps]) for d in range(len(DTS))
            ]
            lines.append(
                f"| {figs.surrogate_title(name, DEFAULT_SLOPES[name])} | {label} | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def slope_table(title: str, sweeps: list[Sweep]) -> str:
    head = "| surrogate | " + " | ".join(f"β={b:.3g}" for b in SLOPES) + " |"
    lines = [
        f"**{title}** (median cosine, hidden weights, dt = 0.01)",
        "",
        head,
        "|" + "---|" * (len(SLOPES) + 1),
    ]
    for name in NAMES:
        cells = [
            f"{np.nanmedian([s.cosine_hidden[name][k] for s in sweeps]):.3f}"
            for k in range(len(SLOPES))
        ]
        lines.append(f"| {figs.surrogate_title(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def within_neuron_table(title: str, nets) -> str:
    """Cosine over each hidden neuron's incoming weights, pooled over networks, dt = 0.001."""
    pooled = {n: [] for n in NAMES}
    for net, inp in nets:
        sims = per_neuron_similarity(net, inp)
        for n in NAMES:
            pooled[n].extend(sims[n].cosine_per_neuron.tolist())
    cells = []
    for n in NAMES:
        c = np.asarray(pooled[n])
        c = c[np.isfinite(c)]
        cells.append(f"{figs.surrogate_title(n)} {quartiles(c)}, negative in {np.mean(c < 0):.0%}")
    return (
        f"**{title}, cosine within each hidden neuron** (over its incoming weights; "
        f"median [quartiles] over {len(c)} hidden neurons, dt = 0.001): " + "; ".join(cells)
    )


def per_neuron_similarity(net, inputs) -> dict:
    """:class:`Similarity` of each surrogate at dt = 0.001 (per-neuron cosines included)."""
    loss = LossSpec(net.layers[-1])
    sim = fp.simulate(net, inputs, T_MAX)
    exact = fp.fp_gradient(net, sim, loss(sim).dloss_dtimes)
    dsim = simulate_discrete(net, inputs, T_MAX, 0.001)
    grads = surrogate_gradients(net, dsim, loss, DEFAULT_SLOPES, Options())
    hidden = hidden_weights(net)
    return {n: similarity(g, exact, net.mask, hidden) for n, g in grads.items()}


def chain_table() -> str:
    """A hidden neuron n0 (driven by input 0 at t = 0) excites the output n1, which input 1
    drives at a later time; loss: the output's first spike time (MSE against 0). The exact
    gradient of W[in0 -> n0] changes sign when the lag between the two spikes passes the
    peak time of the kernel h; the surrogate gradient keeps its sign."""
    tau_s, tau_n = 0.5, 1.0
    t_peak = np.log(tau_n / tau_s) / (1 / tau_s - 1 / tau_n)
    W = np.zeros((4, 2))
    W[0, 0], W[1, 1], W[2, 1] = 4.6, 4.6, 0.8
    net = fp.Network(W, 2, tau_s=tau_s, tau_n=tau_n, theta=1.0)
    loss = LossSpec((1,), "mse", targets=(0.0,))
    rows = [
        "| lag f_out − f_hidden | exact dL/dW[in0→n0] (FP) | finite differences | "
        "sigmoid surrogate (per unit time, dt = 0.001) |",
        "|---|---|---|---|",
    ]
    for t1 in (0.3, 0.5, 0.7, 0.9, 1.3, 2.0):
        inputs = [[0.0], [t1]]
        sim = fp.simulate(net, inputs, 6.0)
        exact = fp.fp_gradient(net, sim, loss(sim).dloss_dtimes)[0, 0]
        fd = fp.finite_difference_loss_gradient(
            net, inputs, 6.0, lambda s: loss(s).value, entries=[(0, 0)]
        ).jacobian[0, 0]
        dsim = simulate_discrete(net, inputs, 6.0, 0.001)
        g = surrogate_gradients(
            net, dsim, loss, {"sigmoid": DEFAULT_SLOPES["sigmoid"]}, Options(time_normalized=True)
        )["sigmoid"][0, 0]
        lag = sim.spikes_of(1)[0] - sim.spikes_of(0)[0]
        rows.append(f"| {lag:.2f} | {exact:+.4f} | {fd:+.4f} | {g:+.4f} |")
    return (
        f"**Chain input → n0 → n1, loss = first spike time of n1** (peak time of h: "
        f"{t_peak:.3f})\n\n" + "\n".join(rows)
    )


def convergence_orders(networks) -> tuple[list, list]:
    """Fitted order of the largest spike-time error over dt = 2^-5..2^-10, for arbitrary
    inputs (all spikes) and for inputs on the grid (first spikes of the first layer)."""
    dts = 2.0 ** -np.arange(5, 11)
    all_orders, first_orders = [], []
    for net, inputs in networks:
        grid = [np.round(np.asarray(x) * 16) / 16 for x in inputs]
        cases = ((inputs, all_orders, None), (grid, first_orders, list(net.layers[0])))
        for inp, out, neurons in cases:
            sim = fp.simulate(net, inp, T_MAX)
            errs = []
            for dt in dts:
                d = simulate_discrete(net, inp, T_MAX, dt)
                if not np.array_equal(
                    d.spike_counts(net.n_neurons), sim.spike_counts(net.n_neurons)
                ):
                    errs = []  # spike counts differ at this dt: no order
                    break
                errs.append(spike_time_error(sim, d, net.n_neurons, neurons))
            if errs:
                out.append(np.polyfit(np.log(dts), np.log(errs), 1)[0])
    return all_orders, first_orders


def export(figures: dict, html: bool) -> None:
    """PNG per figure through headless Chromium, or one self-contained HTML file."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    parts = [
        standalone(fig).to_html(
            full_html=False, include_plotlyjs=k == 0, default_width="1100px", div_id=name
        )
        for k, (name, fig) in enumerate(figures.items())
    ]
    page = '<html><head><meta charset="utf-8"></head><body>' + "".join(parts) + "</body></html>"
    if html:
        (FIGURES / "surrogate_figures.html").write_text(page, encoding="utf-8")
        return
    from playwright.sync_api import sync_playwright

    tmp = FIGURES / "_surrogate_tmp.html"
    tmp.write_text(page, encoding="utf-8")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
            )
            page_ = browser.new_page(viewport={"width": 1140, "height": 900})
            page_.goto(tmp.as_uri())
            page_.wait_for_selector(".plot-container")
            for name in figures:
                page_.locator(f"#{name}").screenshot(path=str(FIGURES / f"{name}.png"))
            browser.close()
    finally:
        tmp.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=12, help="networks per ensemble")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--html", action="store_true", help="write HTML instead of PNG")
    args = parser.parse_args()
    t_start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    tables, medians = [], {}
    for key, spec in ENSEMBLES.items():
        nets = [draw_network(rng, **spec) for _ in range(args.networks)]
        size = "-".join(map(str, spec["sizes"]))
        for normalized in (False, True):
            opts = Options(time_normalized=normalized)
            sweeps = [
                sweep_dt(net, inp, T_MAX, LossSpec(net.layers[-1]), DTS, DEFAULT_SLOPES, opts)
                for net, inp in nets
            ]
            mode = "sigma' per unit time" if normalized else "sigma' per step"
            tables.append(dt_table(f"Ensemble {key} ({size}), {mode}", sweeps))
            medians[(key, normalized)] = median_sweep(sweeps)
        for normalized in (False, True):
            slope_sweeps = [
                sweep_slope(
                    net,
                    inp,
                    T_MAX,
                    LossSpec(net.layers[-1]),
                    0.01,
                    SLOPES,
                    NAMES,
                    Options(time_normalized=normalized),
                )
                for net, inp in nets
            ]
            mode = "sigma' per unit time" if normalized else "sigma' per step"
            tables.append(
                slope_table(f"Ensemble {key} ({size}), slope sweep, {mode}", slope_sweeps)
            )
            medians[(key, "slope", normalized)] = median_sweep(slope_sweeps)
        tables.append(within_neuron_table(f"Ensemble {key} ({size})", nets))
        kept = [
            sweep_dt(
                net,
                inp,
                T_MAX,
                LossSpec(net.layers[-1]),
                (0.01,),
                DEFAULT_SLOPES,
                Options(detach_reset=False),
            )
            for net, inp in nets
        ]
        cells = [
            f"{figs.surrogate_title(n)} "
            f"{np.nanmedian([s.cosine_hidden[n][0] for s in kept]):.3f} / "
            f"{np.nanmedian([s.relative_norm_hidden[n][0] for s in kept]):.3g}"
            for n in NAMES
        ]
        tables.append(
            f"**Ensemble {key}, reset kept in the backward pass** (dt = 0.01, median "
            "cosine / relative norm, hidden weights): " + "; ".join(cells)
        )
        all_o, first_o = convergence_orders(nets)
        tables.append(
            f"**Ensemble {key}, order of convergence of the spike times** (fit over "
            f"dt = 2^-5..2^-10): all spikes {quartiles(all_o)} ({len(all_o)} networks "
            f"with matching spike counts); first spikes of the first layer with inputs on "
            f"the grid {quartiles(first_o)}"
        )

    # one example: the app's feed-forward motif
    net, wiring = motif_network("feedforward", 0)
    loss = LossSpec(wiring.outputs)
    cmp = compare_gradients(net, wiring.inputs, T_MAX, loss, 0.01, DEFAULT_SLOPES)
    credit = synapse_credit(net, wiring.inputs, T_MAX, 0, 2, 0.01, DEFAULT_SLOPES)
    example = (
        "| surrogate | cosine (all) | rel. norm (all) | cosine (hidden) | "
        "rel. norm (hidden) |\n|---|---|---|---|---|\n"
    )
    example += "\n".join(
        f"| {figs.surrogate_title(n, DEFAULT_SLOPES[n])} | {s.cosine:.3f} | "
        f"{s.relative_norm:.3g} | {s.cosine_hidden:.3f} | "
        f"{s.relative_norm_hidden:.3g} |"
        for n, s in cmp.similarity.items()
    )
    fd_err = np.nanmax(np.abs(cmp.finite_diff - cmp.exact)) / np.abs(cmp.exact).max()
    tables.insert(
        0,
        f"**Example: feed-forward 2-3-2 motif (seed 0), dt = 0.01** (FP vs finite "
        f"differences: largest relative difference {fd_err:.1e})\n\n{example}",
    )
    tables.insert(1, chain_table())
    text = "\n\n".join(tables) + "\n"
    print(text)
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / "surrogate_tables.md").write_text(
        "<!-- written by bench/surrogate_report.py; do not edit -->\n\n" + text, encoding="utf-8"
    )
    export(
        {
            "surrogate_shapes": figs.surrogate_shapes_figure(DEFAULT_SLOPES),
            "surrogate_credit": figs.credit_figure(credit, DEFAULT_SLOPES, net.n_inputs),
            "surrogate_gradients": figs.gradient_figure(cmp, DEFAULT_SLOPES, normalize=True),
            "surrogate_dt_sweep_A": figs.dt_sweep_figure(medians[("A", False)], DEFAULT_SLOPES),
            "surrogate_dt_sweep_B": figs.dt_sweep_figure(medians[("B", False)], DEFAULT_SLOPES),
            "surrogate_dt_sweep_B_normalized": figs.dt_sweep_figure(
                medians[("B", True)], DEFAULT_SLOPES
            ),
            "surrogate_slope_sweep_B_normalized": figs.slope_sweep_figure(
                medians[("B", "slope", True)]
            ),
        },
        args.html,
    )
    print(f"figures in {FIGURES}; {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
