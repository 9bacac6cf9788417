"""The Training page in a real browser: first-screen screenshots and Play's update interval.

Starts ``streamlit run app.py`` on a free port, opens the Training page in headless
Chromium (``/usr/bin/chromium``) at 1280x720, light and dark, and saves the first screen
(no scrolling) to ``assets/screenshots/training-first-screen{,-dark}.png``. Then, for each
task, presses Play and records in the browser when the first screen's views (decision
regions, network drawing) have been redrawn with new data, for ``--seconds`` seconds, and prints the median and the
90th percentile of the intervals between updates; the page aims at one update a second or
faster with all its views (regions, network drawing, neuron maps, curves).

Training and drawing share one Python process: one core is busy with training while
playing, the browser and Plotly use the other.

Run:

    python bench/bench_training_page.py                      # screenshots and timings
    python bench/bench_training_page.py --no-screenshots --tasks xor --seconds 20
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LABELS = {"xor": "XOR", "iris": "Iris", "yinyang": "Yin-Yang"}

# in the page: remember when the first screen's views were redrawn with data not shown
# before (the decision regions or the network drawing: a hash of their traces, polled every
# 50 ms; the copies Streamlit keeps while a run redraws them are skipped)
WATCH = """() => {
  window.__updates = [];
  const seen = {regions: new Set(), network: new Set()};
  const hash = s => { let h = 5381; for (let i = 0; i < s.length; i++)
                        h = ((h * 33) ^ s.charCodeAt(i)) | 0; return h; };
  setInterval(() => {
    let changed = false;
    for (const gd of document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')) {
      if (gd.closest('[data-stale=true]')) continue;      // the previous run's copy
      const names = (gd.data || []).map(t => t.name);
      const kind = names.includes('prediction') ? 'regions'
                 : names.includes('synapses') ? 'network' : null;
      if (!kind) continue;
      const h = hash(JSON.stringify(gd.data.map(
        t => [t.z, t.x, t.y, t.line, t.marker && t.marker.color])));
      if (seen[kind].size && !seen[kind].has(h)) changed = true;   // data not shown before
      seen[kind].add(h);
    }
    if (changed) window.__updates.push(performance.now());
  }, 50);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def wait_ready(page, n_charts: int = 3, timeout: float = 90_000) -> None:
    page.wait_for_selector(
        "[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]"
        ".filter(c => c.querySelector('.js-plotly-plot .main-svg'))"
        f".length >= {n_charts}",
        timeout=timeout,
    )
    page.wait_for_timeout(800)


def screenshots(browser, url: str, out: Path) -> None:
    for scheme, suffix in (("light", ""), ("dark", "-dark")):
        ctx = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme=scheme)
        page = ctx.new_page()
        page.goto(f"{url}/training")
        wait_ready(page)
        path = out / f"training-first-screen{suffix}.png"
        page.screenshot(path=str(path))
        print(f"saved {path.relative_to(ROOT)}")
        ctx.close()


def play_intervals(browser, url: str, task: str, seconds: float) -> np.ndarray:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{url}/training?training.task={LABELS[task]}")
    wait_ready(page)
    page.evaluate(WATCH)
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(seconds * 1000)
    if os.environ.get("BENCH_DEBUG"):
        page.screenshot(path=f"/tmp/bench-{task}.png")
    stamps = np.array(page.evaluate("() => window.__updates")) / 1000
    pause = page.get_by_role("button", name="Pause")
    if pause.count():  # still playing (it pauses by itself at a plateau)
        try:
            pause.click(timeout=10_000, no_wait_after=True)
        except Exception as exc:  # noqa: BLE001 - the timings are already read
            print(f"  (could not press Pause: {type(exc).__name__})", file=sys.stderr)
    ctx.close()
    return np.diff(stamps) if stamps.size > 1 else np.zeros(0)


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", nargs="+", default=list(LABELS))
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--no-screenshots", action="store_true")
    args = p.parse_args(argv)
    port = free_port()
    server = start_server(port)
    url = f"http://127.0.0.1:{port}"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
            )
            if not args.no_screenshots:
                screenshots(browser, url, ROOT / "assets" / "screenshots")
            print("| task | updates | median interval | 90th percentile |")
            print("|---|---|---|---|")
            for task in args.tasks:
                d = play_intervals(browser, url, task, args.seconds)
                if d.size:
                    print(
                        f"| {LABELS[task]} | {d.size} | {np.median(d):.2f} s | "
                        f"{np.percentile(d, 90):.2f} s |",
                        flush=True,
                    )
                else:
                    print(f"| {LABELS[task]} | 0 | - | - |")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    print(f"load average {os.getloadavg()[0]:.1f} (shared machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
