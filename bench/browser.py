"""Shared by the browser scripts in ``bench/``: a ``streamlit run`` server of this checkout
and Chromium driven by Playwright (``/usr/bin/chromium``, never a downloaded browser).

``settle(page)`` waits until Streamlit's script has finished (``data-test-script-state``
is ``notRunning``) and no Plotly chart is still being drawn or replaced.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(port: int | None = None, log: Path | None = None, extra: tuple = ()):
    """``streamlit run app.py`` on ``port`` (a free one by default); yields ``(url, proc)``."""
    port = port or free_port()
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
            *extra,
        ],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit server did not start")
            time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


def launch(playwright):
    """Headless Debian chromium."""
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


#: True while the script runs or a chart is still unrendered (Plotly draws asynchronously).
_BUSY_JS = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return true;
  if (document.querySelector('[data-testid=stStatusWidget] [data-testid=stStatusWidgetRunningIcon]'))
    return true;
  for (const c of document.querySelectorAll('[data-testid=stPlotlyChart]'))
    if (!c.querySelector('.js-plotly-plot .main-svg')) return true;
  return false;
}"""


def settle(
    page,
    timeout: float = 60.0,
    quiet_ms: float = 120.0,
    start_ms: float = 1500.0,
    started: bool = False,
) -> float:
    """Wait until the page is settled; return the time (``perf_counter``) it settled.

    The page counts as settled once it has been idle (script not running, every chart drawn,
    no DOM change) for ``quiet_ms``; the returned time is the start of that idle stretch,
    so the quiet period itself is not counted. When ``started`` is false, first wait up to
    ``start_ms`` for the rerun to begin (an interaction's rerun starts a few ms later).
    """
    page.evaluate("""() => { window.__fpsnnLast = performance.now();
      if (!window.__fpsnnObs) { window.__fpsnnObs = new MutationObserver(
        () => { window.__fpsnnLast = performance.now(); });
        window.__fpsnnObs.observe(document.body, {subtree: true, childList: true,
                                                  attributes: true, characterData: true}); } }""")
    if not started:
        with contextlib.suppress(Exception):
            page.wait_for_function(_BUSY_JS, timeout=start_ms, polling=10)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        busy = page.evaluate(_BUSY_JS)
        if not busy:
            idle = page.evaluate("() => performance.now() - window.__fpsnnLast")
            if idle >= quiet_ms:
                return time.perf_counter() - idle / 1000.0
        page.wait_for_timeout(10)
    raise TimeoutError("page did not settle")
