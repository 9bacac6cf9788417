"""An independent reference for the NIR tests: NIR's CubaLIF equations integrated with
fixed steps (forward Euler), written from the docstring of ``nir.CubaLIF`` and sharing no
code with fpsnn_core. Used by tests/test_nir.py and bench/nir_convergence.py."""

import nir
import numpy as np


def run_nir_euler(graph, inputs, t_max, dt):
    """Fixed-step forward Euler of an Input -> Linear -> CubaLIF graph written from NIR's
    CubaLIF equations (tau_syn I' = -I + w_in S, tau_mem v' = v_leak - v + r I, spike when
    v > v_threshold, then v = v_reset); no fpsnn code. A spike's time is the linear
    interpolation of the threshold crossing within its step; the spikes of a step (input
    and neurons) act at the step's end, with their jump of ``I`` corrected to first order
    for the time since the spike, and a reset neuron evolves from ``v_reset`` for the rest of
    its step, so that only Euler's own first-order error remains.
    Returns {lif node: [spike times of each neuron]}."""
    (inp,) = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]
    K = int(graph.nodes[inp].input_type["input"][0])
    lifs = [k for k, n in graph.nodes.items() if isinstance(n, nir.CubaLIF)]
    start = {inp: 0}
    for k in lifs:
        start[k] = K + sum(graph.nodes[m].tau_syn.size for m in lifs[: lifs.index(k)])
    n_all = K + sum(graph.nodes[k].tau_syn.size for k in lifs)
    W = np.zeros((n_all, n_all))  # W[target, source], NIR's (out, in)
    for a, b in graph.edges:
        if isinstance(graph.nodes[b], nir.Linear):
            (dst,) = [d for s_, d in graph.edges if s_ == b]
            w = graph.nodes[b].weight
            W[start[dst] : start[dst] + w.shape[0], start[a] : start[a] + w.shape[1]] += w
    p = {
        f: np.concatenate([np.zeros(K)] + [getattr(graph.nodes[k], f) for k in lifs])
        for f in ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")
    }
    p["tau_syn"][:K] = p["tau_mem"][:K] = 1.0  # input rows: never used
    p["v_threshold"][:K] = np.inf
    I, v = np.zeros(n_all), np.zeros(n_all)
    times = [[] for _ in range(n_all)]
    n_steps = int(round(t_max / dt))
    count = np.zeros((n_steps + 1, n_all))  # input spikes in step n ...
    late = np.zeros((n_steps + 1, n_all))  # ... and how long before the step's end
    for j, tr in enumerate(inputs):
        tr = np.asarray(tr, dtype=float)
        step = np.minimum(np.floor(tr / dt).astype(int), n_steps)
        np.add.at(count[:, j], step, 1.0)
        np.add.at(late[:, j], step, (step + 1) * dt - tr)
    for step in range(n_steps):
        v_new = v + dt * (p["v_leak"] - v + p["r"] * I) / p["tau_mem"]
        I = I - dt * I / p["tau_syn"]
        fire = v_new > p["v_threshold"]
        spikes, delays = count[step].copy(), late[step].copy()
        for i in np.flatnonzero(fire):
            frac = (p["v_threshold"][i] - v[i]) / (v_new[i] - v[i])
            times[i].append((step + frac) * dt)
            spikes[i], delays[i] = 1.0, (1.0 - frac) * dt
        # reset at the crossing, then evolve to the step's end (first order)
        v_after = p["v_reset"] + delays * (p["v_leak"] - p["v_reset"] + p["r"] * I) / p["tau_mem"]
        v = np.where(fire, v_after, v_new)
        # the spikes of this step, applied at its end: jump J = w_in W s / tau_syn, less
        # its decay since the spike, and what it added to v meanwhile (first order)
        J = p["w_in"] * (W @ spikes) / p["tau_syn"]
        J_late = p["w_in"] * (W @ delays) / p["tau_syn"]
        I = I + J - J_late / p["tau_syn"]
        v = v + p["r"] * J_late / p["tau_mem"]
    return {k: times[start[k] : start[k] + graph.nodes[k].tau_syn.size] for k in lifs}


def ours_by_node(graph, sim, scale=1.0):
    res = {}
    for k, n in graph.nodes.items():
        if isinstance(n, nir.CubaLIF):
            res[k] = [list(sim.spikes_of(int(i)) * scale) for i in n.metadata["fpsnn_neurons"]]
    return res


def max_error(a, b):
    err = 0.0
    for k in a:
        for x, y in zip(a[k], b[k]):
            assert len(x) == len(y), f"{k}: spike counts differ {len(x)} vs {len(y)}"
            if x:
                err = max(err, float(np.max(np.abs(np.array(x) - np.array(y)))))
    return err


def convergence(net, inputs, t_max, dts, file_unit="ms"):
    """Export ``net`` (our time unit: ms) in ``file_unit``, run the graph with each ``dt``
    (in ms) and return the largest spike-time error against ``fp.simulate`` in ms, and
    the slope of log(error) against log(dt) (the observed order)."""
    import fpsnn_core as fp

    c = 1e-3 if file_unit == "s" else 1.0  # graph times = c * ours
    graph = fp.to_nir(net, time_unit="ms", file_unit=file_unit)
    ours = ours_by_node(graph, fp.simulate(net, inputs, t_max), scale=c)
    errors = [
        max_error(
            run_nir_euler(graph, [np.asarray(tr) * c for tr in inputs], t_max * c, dt * c), ours
        )
        / c
        for dt in dts
    ]
    order = float(np.polyfit(np.log(dts), np.log(errors), 1)[0])
    return errors, order, sum(len(x) for v in ours.values() for x in v)
