"""Server time of one rerun of each registered page, default example (printed, not asserted).

Each page runs under ``streamlit.testing.v1.AppTest`` (the script and everything it calls,
in this process; no browser). Two medians per page:

* **recompute**: the scene cache cleared before each rerun, so the page recomputes its
  scene as after a widget change;
* **cached**: a plain rerun that hits the cache.

AppTest's own bookkeeping is included, so both are upper bounds of the server's time.
The first run of a process also pays imports and, on the Derivation page, SymPy's one-off
symbolic derivation; it is reported separately and not part of the medians.

With ``--server`` it times instead the first open of each page on a real server (a
``streamlit run`` process and one new websocket session per page, as a new visitor), after
a first session has started the warm start (:mod:`fpsnn_app.warm`) and ``--wait`` seconds.

Usage: ``python bench/bench_app.py [--repeat 7] [--pages neuron,network] [--server [--wait 20]]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from fpsnn_app.registry import PAGES  # noqa: E402
from fpsnn_app.scene_cache import SCENES  # noqa: E402


def _open(entry) -> tuple[AppTest, float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if entry.url_path:
        at.run()
        at.switch_page(entry.path)
    t0 = time.perf_counter()
    at.run()
    return at, time.perf_counter() - t0


def _median_ms(at: AppTest, repeat: int, clear: bool) -> float:
    times = []
    for _ in range(repeat):
        if clear:
            SCENES.clear()
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise RuntimeError(f"page raised: {at.exception[0].message}")
    return 1e3 * statistics.median(times)


def _quiet() -> None:
    """Drop two notices Streamlit prints when driven outside a server."""
    import logging

    for name, text in (
        ("streamlit.runtime.caching.cache_data_api", "No runtime found"),
        ("streamlit.runtime.scriptrunner_utils.script_run_context", "missing ScriptRunContext"),
    ):
        logging.getLogger(name).addFilter(lambda record, text=text: text not in record.getMessage())


def cold_opens(wanted: set, wait: float) -> None:
    """Seconds to the end of the first run of each page, each in a new session of a fresh
    server, after one session on Home and ``wait`` seconds (the warm start's time)."""
    import asyncio
    import random

    from bench_load import Session
    from browser import server

    async def first_open(url: str, url_path: str) -> float:
        session = Session(url, random.Random(0))
        await session.connect()
        try:
            return await session.rerun(url_path)
        finally:
            await session.ws.close()

    with server() as (url, _):
        home = asyncio.run(first_open(url, ""))
        print(f"server started; first session on Home {1e3 * home:.0f} ms; waiting {wait:g} s")
        time.sleep(wait)
        print(f"{'page':<16} {'first open (ms, new session)':>30}")
        for entry in PAGES:
            if wanted and entry.name not in wanted:
                continue
            print(f"{entry.name:<16} {1e3 * asyncio.run(first_open(url, entry.url_path)):>30.0f}")


def main() -> None:
    _quiet()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pages", default="", help="comma-separated page names (default all)")
    parser.add_argument("--server", action="store_true", help="first opens on a real server")
    parser.add_argument("--wait", type=float, default=20.0, help="seconds for the warm start")
    args = parser.parse_args()
    wanted = set(filter(None, args.pages.split(",")))
    if args.server:
        sys.path.insert(0, str(ROOT / "bench"))
        cold_opens(wanted, args.wait)
        return
    print(
        f"{'page':<16} {'first run':>10} {'recompute':>10} {'cached':>8}   (ms, median of "
        f"{args.repeat}; AppTest, no browser)"
    )
    for entry in PAGES:
        if wanted and entry.name not in wanted:
            continue
        at, first = _open(entry)
        recompute = _median_ms(at, args.repeat, clear=True)
        cached = _median_ms(at, args.repeat, clear=False)
        flag = "" if recompute < 300 else "   > 300 ms"
        print(f"{entry.name:<16} {1e3 * first:>10.0f} {recompute:>10.0f} {cached:>8.0f}{flag}")


if __name__ == "__main__":
    main()
