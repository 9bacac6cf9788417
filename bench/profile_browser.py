"""Where an interaction's time goes after the server: Chromium's side, per page (a table).

``bench/profile_table.py`` splits the *server's* time of an interaction; this script
splits the rest. It opens each page of a ``streamlit run app.py`` of this checkout in
headless Chromium, operates the page's main controls as ``bench/bench_browser.py`` does
(its :data:`~bench_browser.INTERACTIONS`, new values only), and for every interaction
records

* **total**: from the key press or click until the page settles (``browser.settle``);
* **server**: from the page's first websocket frame to the server (the widget's new
  value) to the last frame back (Streamlit's ``script_finished``), both as Chromium's
  network stack stamps them (DevTools ``Network.webSocketFrame*`` timestamps, so a busy
  main thread does not stretch it); 0 when the control runs in the browser and nothing is
  sent: the server's rerun plus the trip there and back;
* the browser main thread's work meanwhile, from Chromium's own counters
  (DevTools ``Performance.getMetrics``, differences over the interaction): **script**
  (JavaScript: React, Plotly), **style** (style recalculation), **layout**, and
  **other** = all main-thread tasks minus those three (painting and rasterizing in
  software on a machine without a GPU, parsing, garbage collection);
* **idle**: total minus the main thread's work and minus the server's part when the
  two do not overlap (waiting on timers, animation frames, the network).

Medians over ``--repeat`` new values per interaction (ms). Not asserted; the machine's
load average is printed with the table.

Run:

    python bench/profile_browser.py                    # every page, 5 new values each
    python bench/profile_browser.py --pages neuron,home --repeat 8
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_browser as bb  # noqa: E402  (also puts the repo and tests/app on the path)
from browser import launch, server  # noqa: E402

#: Chromium's cumulative main-thread counters (seconds) read before and after a move.
COUNTERS = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")


def _counters(cdp) -> dict:
    got = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {k: got.get(k, 0.0) for k in COUNTERS}


def profile_moves(page, cdp, frames: dict, inter, repeat: int) -> list[dict]:
    """One row per new value of ``inter``: total, server and main-thread parts (s)."""
    rows = []
    moves = bb.MOVES[type(inter)](page, inter, repeat)
    while True:
        before = _counters(cdp)
        n_sent, n_received = len(frames["sent"]), len(frames["received"])
        try:
            elapsed, cached = next(moves)
        except StopIteration:
            return rows
        after = _counters(cdp)
        if cached:
            continue
        sent, received = frames["sent"][n_sent:], frames["received"][n_received:]
        d = {k: after[k] - before[k] for k in COUNTERS}
        main = d["TaskDuration"]
        server_s = max(received) - min(sent) if sent and received else 0.0
        rows.append(
            {
                "total": elapsed,
                "server": server_s,
                "script": d["ScriptDuration"],
                "style": d["RecalcStyleDuration"],
                "layout": d["LayoutDuration"],
                "other": max(
                    0.0, main - d["ScriptDuration"] - d["RecalcStyleDuration"] - d["LayoutDuration"]
                ),
                "main": main,
                "idle": max(0.0, elapsed - main - server_s),
            }
        )


def main(argv=None) -> int:
    import os

    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bb.page_options(p)
    p.add_argument("--repeat", type=int, default=5, help="new values per interaction")
    args = p.parse_args(argv)
    entries, viewport = bb.chosen_pages(args)
    table = []
    load_before = os.getloadavg()[0]
    with server() as (url, _proc), sync_playwright() as pw:
        browser = launch(pw)
        for entry in entries:
            ctx = browser.new_context(viewport=viewport)
            page = ctx.new_page()
            frames: dict = {"sent": [], "received": []}
            cdp = ctx.new_cdp_session(page)
            cdp.send("Performance.enable")
            cdp.send("Network.enable")
            # browser-side timestamps (seconds, one monotonic clock) of every frame
            cdp.on("Network.webSocketFrameSent", lambda e: frames["sent"].append(e["timestamp"]))
            cdp.on(
                "Network.webSocketFrameReceived",
                lambda e: frames["received"].append(e["timestamp"]),
            )
            page.goto(
                f"{url}/{entry.url_path}{bb.QUERY.get(entry.name, '')}",
                wait_until="domcontentloaded",
            )
            bb.settle(page, timeout=120, started=True)
            for inter in bb.INTERACTIONS.get(entry.name, ()):
                rows = profile_moves(page, cdp, frames, inter, args.repeat)
                if not rows:
                    continue
                med = {k: 1e3 * statistics.median(r[k] for r in rows) for k in rows[0]}
                table.append((entry.title, inter.describe(), len(rows), med))
                print(
                    f"  {entry.title}: {inter.describe()}: "
                    + ", ".join(f"{k} {v:.0f}" for k, v in med.items()),
                    flush=True,
                )
            ctx.close()
        browser.close()
    print()
    print(
        f"Chromium {viewport['width']}x{viewport['height']}, medians over new values (ms); "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        f"({os.cpu_count()} cores)."
    )
    cols = ("total", "server", "main", "script", "style", "layout", "other", "idle")
    print("| page | interaction | n | " + " | ".join(cols) + " |")
    print("|---|---|---:|" + "---:|" * len(cols))
    for title, what, n, med in table:
        print(f"| {title} | {what} | {n} | " + " | ".join(f"{med[c]:.0f}" for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
