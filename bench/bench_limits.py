"""Every network page on the largest networks the app accepts and on hostile uploads
(the cases of ``tests/test_hostile_input.py`` and ``tests/app/test_app_bad_input.py``):
server time of a page's run (median of ``--repeats`` runs, the scene cache and the app's
parse/simulation caches cleared before each, so each run computes) and the size of
the figures it sends (Plotly JSON), printed per page; nothing is asserted here (the tests
assert the caps structurally).

Cases:

* ``unconnected``: 2 inputs driving 100 neurons that are not connected to each other
  (every connection in the mask, recurrent weights 0: 10,100 parameters), uploaded;
* ``edits``: the default motif with the weight edits ``0_0_100~0_1_100~0_2_100~1_0_100~
  1_1_100~1_2_100`` in the URL (about 1,100 spikes and 400,000 causal edges before the caps);
* ``dense``: the largest accepted network (``limits.MAX_NEURONS`` neurons, all connected,
  excitatory: runaway firing, stopped by the work budget);
* ``layered``: the largest accepted network, layered and moderately active.

Usage: ``python bench/bench_limits.py [--cases unconnected,edits] [--pages network,jacobian]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import fpsnn_core as fp  # noqa: E402
from fpsnn_app import limits, netfiles, presets  # noqa: E402
from fpsnn_app.registry import PAGES, page  # noqa: E402
from fpsnn_app.scene_cache import SCENES  # noqa: E402
from fpsnn_app.scenes import network  # noqa: E402

NETWORK_PAGES = [e.name for e in PAGES if e.uses_network]
EDITS = "0_0_100~0_1_100~0_2_100~1_0_100~1_1_100~1_2_100"


def _unconnected() -> bytes:
    K, N = 2, 100
    W = np.zeros((K + N, N))
    W[:K] = np.linspace(2.5, 4.0, N)  # every neuron driven by both inputs
    net = fp.Network(W, K, presets.TAU_S, presets.TAU_N, presets.THETA)
    return fp.to_json(net, [[0.2, 1.0], [0.5]], presets.T_MAX).encode()


def _dense() -> bytes:
    K, N = 2, limits.MAX_NEURONS
    rng = np.random.default_rng(0)
    W = np.vstack([rng.uniform(2.0, 4.0, (K, N)), rng.uniform(0.2, 0.6, (N, N))])
    W[K + np.arange(N), np.arange(N)] = 0.0
    net = fp.Network(W, K, presets.TAU_S, presets.TAU_N, presets.THETA)
    return fp.to_json(net, [[0.2, 1.0], [0.5]], presets.T_MAX).encode()


def _layered() -> bytes:
    K = 4
    sizes = [K] + [limits.MAX_NEURONS // 4] * 3 + [limits.MAX_NEURONS // 4]
    net = fp.Network.feedforward(
        sizes,
        np.random.default_rng(0),
        weight_mean=[1.5, 0.05, 0.05, 0.05],
        weight_std=0.03,
        tau_s=presets.TAU_S,
        tau_n=presets.TAU_N,
        theta=presets.THETA,
    )
    return fp.to_json(net, [[0.2, 1.0], [0.5], [0.3, 0.8], [0.1]], presets.T_MAX).encode()


CASES = {
    "unconnected": ("upload", _unconnected),
    "edits": ("url", {"edits": EDITS}),
    "dense": ("upload", _dense),
    "layered": ("upload", _layered),
}


def _figure_bytes(at: AppTest) -> list[int]:
    return [len(c.proto.spec) for c in at.get("plotly_chart")]


def run_case(name: str, pages: list[str], timeout: float, repeats: int = 3) -> list[dict]:
    kind, what = CASES[name]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page(page("network").path)
    if kind == "url":
        for k, v in what.items():
            at.query_params[k] = v
        at.run()
    else:
        at.run()
        at.file_uploader(key="net.upload").set_value((f"{name}.json", what(), "application/json"))
        at.run()
    rows = []
    for p in pages:
        at.switch_page(page(p).path)
        times = []
        for _ in range(repeats):  # each run computes: the caches are cleared first
            SCENES.clear()
            netfiles.parse.cache_clear()
            network.simulate_file.cache_clear()
            t0 = time.perf_counter()
            try:
                at.run()
                status = "error: " + at.exception[0].message[:60] if at.exception else "ok"
            except RuntimeError as exc:  # AppTest's timeout
                status = f"timeout ({exc})"[:70]
            times.append(time.perf_counter() - t0)
            if status != "ok":
                break
        seconds = float(np.median(times))
        figs = _figure_bytes(at)
        notes = [e.value[:70] for e in list(at.error) + list(at.warning)][:2]
        rows.append(
            dict(
                case=name,
                page=p,
                seconds=seconds,
                worst=max(times),
                figures=len(figs),
                figure_kb=sum(figs) / 1024,
                largest_kb=max(figs, default=0) / 1024,
                status=status,
                notes=notes,
            )
        )
        print(
            f"{name:12s} {p:15s} {seconds:7.2f} s (worst {max(times):6.2f})  {len(figs):2d} figures  "
            f"{sum(figs) / 1024:8.1f} KB (largest {max(figs, default=0) / 1024:7.1f} KB)  "
            f"{status}  {' | '.join(notes)}",
            flush=True,
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--pages", default=",".join(NETWORK_PAGES))
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--repeats", type=int, default=3, help="runs per page; the median is shown")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    rows = []
    for name in args.cases.split(","):
        rows += run_case(name, args.pages.split(","), args.timeout, args.repeats)
    worst = max(rows, key=lambda r: r["seconds"])
    print(
        f"slowest: {worst['case']} / {worst['page']} {worst['seconds']:.2f} s; largest figure "
        f"{max(r['largest_kb'] for r in rows):.1f} KB"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
