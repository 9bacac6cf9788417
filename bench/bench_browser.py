"""Every page in Chromium: first-load time and its main interaction, until the page settles.

Starts ``streamlit run app.py`` of this checkout (``bench/browser.py``), then for each page:

* **first load**: a new browser context (a new session) opens the page's URL; the time
  until it settles (``browser.settle``: script finished, every chart drawn, no DOM change
  for 120 ms, the quiet stretch not counted). The first open of a page is *cold* (the
  server's caches are empty for it); ``--loads - 1`` more opens are *warm*.
* **interactions**: the page's main control(s), operated like a user (keys on a focused
  slider, clicks on a select box's option, a click on a button), ``--repeat`` times,
  each timed from the key press or click until the page settles. A value the session has
  not shown before counts as *new* (the page recomputes it); then the last values are
  revisited the same number of times, *cached* (scene cache hits).

Controls that run in the browser only (Plotly sliders inside a chart: the Jacobian's FP
step, the EventProp replay, the Network page's selected spike, the Surrogate page's ``dt``)
are timed the same way from the click on a slider step until the page settles; they send
nothing to the server (``tests/app/test_app_client_side*.py`` checks that).

Targets (quiet 2-core machine): interaction p50 <= 150 ms, p95 <= 400 ms; first load of
every page <= 2 s (cold: the first open after the server started). The load average is printed before and after: on a shared machine the
figures are upper bounds.

Run:

    python bench/bench_browser.py                       # every page, 10 repeats
    python bench/bench_browser.py --pages jacobian,eventprop --repeat 6
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "app"))  # clientside: Plotly slider helpers

from browser import launch, server, settle  # noqa: E402

from fpsnn_app.registry import PAGES  # noqa: E402


@dataclass(frozen=True)
class Slider:
    """A slider (or select slider) moved one notch with the arrow keys."""

    label: str
    name: str = ""

    def describe(self) -> str:
        return self.name or f"slider '{self.label}'"


@dataclass(frozen=True)
class Select:
    """A select box: open it and click another option."""

    label: str
    name: str = ""

    def describe(self) -> str:
        return self.name or f"select '{self.label}'"


@dataclass(frozen=True)
class Button:
    """A button clicked again and again (every click is new work)."""

    label: str
    name: str = ""

    def describe(self) -> str:
        return self.name or f"button '{self.label}'"


@dataclass(frozen=True)
class ChartSlider:
    """A Plotly slider inside a chart (browser only): a click on each step in turn."""

    chart: int  # which chart of the page (st.plotly_chart elements, in page order)
    name: str

    def describe(self) -> str:
        return self.name


#: The main interaction(s) of each page (by the page's file stem), and the query string
#: the page is opened with. A chart's slider comes after the page's select boxes (clicked
#: on a chart scrolled into view, a select box's list may not open).
INTERACTIONS: dict[str, tuple] = {
    "home": (Slider("Weight w of input 0", "weight slider"),),
    "neuron": (Slider("Weight W0", "weight W0 slider"),),
    "network": (
        Select("Selected spike", "select a spike"),
        Select("Motif", "change motif"),
        ChartSlider(0, "spike slider in the chart (browser)"),
    ),
    "jacobian": (
        ChartSlider(1, "FP step slider in the chart (browser)"),
        Select("Motif", "change motif"),
    ),
    "gradient_check": (Select("Weight to slice", "weight to slice"),),
    "sensitivity": (Select("Derivative of", "derivative of a spike or the loss"),),
    "surrogate": (
        ChartSlider(1, "dt slider in the chart (browser)"),
        Slider("Time step dt", "dt select slider"),
    ),
    "eventprop": (
        Select("Loss", "change loss"),
        ChartSlider(0, "replay slider in the chart (browser)"),
    ),
    "derivation": (Slider("w, weight of the input", "weight slider"),),
    "training": (Button("Step", "Step (one epoch of XOR)"),),
}
QUERY = {"training": "?training.task=XOR"}


def _slider_value(page, label: str) -> str:
    return page.get_by_role("slider", name=label).input_value()


def _slider_moves(page, s: Slider, repeat: int):
    """Yield ``(elapsed, cached)`` per notch: ``repeat`` new values, then ``repeat``
    revisits."""
    thumb = page.get_by_role("slider", name=s.label)
    lo, hi = float(thumb.get_attribute("min")), float(thumb.get_attribute("max"))
    seen = {_slider_value(page, s.label)}
    key = "ArrowRight"
    path = []
    for n in range(2 * repeat):
        now = float(_slider_value(page, s.label))
        if n < repeat:  # walk, turning at the ends
            if key == "ArrowRight" and now >= hi:
                key = "ArrowLeft"
            elif key == "ArrowLeft" and now <= lo:
                key = "ArrowRight"
        else:  # back and forth over the last two values
            key = "ArrowLeft" if path[-1] == "ArrowRight" else "ArrowRight"
        thumb.focus()
        t0 = time.perf_counter()
        thumb.press(key)
        t1 = settle(page)
        value = _slider_value(page, s.label)
        path.append(key)
        yield t1 - t0, value in seen
        seen.add(value)


def _combobox(page, label: str):
    return page.get_by_role("combobox", name=label, exact=True)


def _open(page, label: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has=_combobox(page, label)).get_by_role(
        "button", name="Open"
    ).click()
    page.get_by_role("listbox").wait_for()


def _select_moves(page, s: Select, repeat: int):
    _open(page, s.label)
    options = [o.inner_text().strip() for o in page.get_by_role("option").all()]
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)
    current = _combobox(page, s.label).input_value()
    seen = {current}
    order = [o for o in options if o != current]
    # new values: the options in turn (up to `repeat`); cached: back and forth over two
    sequence = order[:repeat]
    tail = sequence[-2:] if len(sequence) >= 2 else [current, *sequence]
    sequence += [tail[k % 2] for k in range(repeat)]
    for name in sequence:
        if _combobox(page, s.label).input_value() == name:
            continue
        _open(page, s.label)
        option = page.get_by_role("option", name=name, exact=True)
        option.wait_for()
        t0 = time.perf_counter()
        option.click()
        t1 = settle(page)
        yield t1 - t0, name in seen
        seen.add(name)


def _button_moves(page, b: Button, repeat: int):
    for _ in range(repeat):
        # the accessible name may carry a keyboard shortcut after the label
        button = page.get_by_role("button", name=re.compile(rf"^{re.escape(b.label)}\b")).first
        if button.is_disabled():
            return
        t0 = time.perf_counter()
        button.click()
        t1 = settle(page)
        yield t1 - t0, False


def _chart_slider_moves(page, s: ChartSlider, repeat: int):
    """``repeat`` clicks on new steps, then ``repeat`` back and forth over two steps
    (*cached*: their views are in the chart already, like every other step's)."""
    from clientside import click_slider_step, slider_steps

    chart = page.get_by_test_id("stPlotlyChart").nth(s.chart)
    chart.scroll_into_view_if_needed()
    n = slider_steps(chart).count()
    steps = [(k * 3 + 1) % n for k in range(repeat)]
    steps += [steps[-2 + k % 2] for k in range(repeat)]
    seen = set()
    for step in steps:
        t0 = time.perf_counter()
        click_slider_step(chart, step)
        t1 = settle(page, started=True)
        yield t1 - t0, step in seen
        seen.add(step)


MOVES = {
    Slider: _slider_moves,
    Select: _select_moves,
    Button: _button_moves,
    ChartSlider: _chart_slider_moves,
}


def _load(browser, url: str, viewport) -> tuple[float, object, object]:
    ctx = browser.new_context(viewport=viewport)
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    t1 = settle(page, timeout=120, started=True)
    if page.get_by_test_id("stException").count():
        raise RuntimeError(f"{url}: the page shows an exception")
    return t1 - t0, ctx, page


def _ms(values, q: float) -> str:
    return f"{1e3 * np.percentile(values, q):.0f}" if len(values) else "-"


def _loadavg() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def page_options(p: argparse.ArgumentParser) -> None:
    """The options that choose the pages and the window: ``--pages --width --height``."""
    p.add_argument("--pages", default="", help="comma-separated page names (default all)")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=900)


def chosen_pages(args) -> tuple[list, dict]:
    """The registry's entries ``--pages`` names (all without it) and the viewport."""
    wanted = set(filter(None, args.pages.split(",")))
    entries = [e for e in PAGES if not wanted or e.name in wanted]
    return entries, {"width": args.width, "height": args.height}


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    page_options(p)
    p.add_argument(
        "--repeat",
        type=int,
        default=10,
        help="new values per interaction (and as many cached revisits)",
    )
    p.add_argument("--loads", type=int, default=3, help="opens per page (first one cold)")
    args = p.parse_args(argv)
    entries, viewport = chosen_pages(args)
    print(
        f"before: {_loadavg()} (machine shared with other jobs: figures are upper bounds)",
        flush=True,
    )
    rows = []
    with server() as (url, proc), sync_playwright() as pw:
        browser = launch(pw)
        for entry in entries:
            page_url = f"{url}/{entry.url_path}{QUERY.get(entry.name, '')}"
            cold, ctx, page = _load(browser, page_url, viewport)
            results = []
            for inter in INTERACTIONS.get(entry.name, ()):
                new, cached = [], []
                for elapsed, hit in MOVES[type(inter)](page, inter, args.repeat):
                    (cached if hit else new).append(elapsed)
                if page.get_by_test_id("stException").count():
                    raise RuntimeError(f"{entry.name}: exception after {inter.describe()}")
                results.append((inter, new, cached))
            ctx.close()
            warm = []
            for _ in range(args.loads - 1):
                t, ctx, _page = _load(browser, page_url, viewport)
                warm.append(t)
                ctx.close()
            for inter, new, cached in results:
                rows.append((entry.title, inter.describe(), new, cached, cold, warm))
                print(
                    f"  {entry.title}: {inter.describe()}: new {_ms(new, 50)}/{_ms(new, 95)} "
                    f"ms ({len(new)}), cached {_ms(cached, 50)}/{_ms(cached, 95)} ms "
                    f"({len(cached)}); load cold {cold:.2f} s, warm "
                    f"{np.median(warm) if warm else float('nan'):.2f} s",
                    flush=True,
                )
        browser.close()
    print()
    print(
        f"Chromium {viewport['width']}x{viewport['height']}, {args.repeat} new values per "
        "interaction; times in ms until the page settles (p50 / p95)."
    )
    print(
        "| page | interaction | new p50 | new p95 | cached p50 | cached p95 | first load "
        "(cold) | first load (warm p50) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for title, what, new, cached, cold, warm in rows:
        miss = []
        allv = new + cached
        if allv and (np.percentile(allv, 50) > 0.15 or np.percentile(allv, 95) > 0.4):
            miss.append("interaction")
        if cold > 2.0:
            miss.append("load")
        flag = f" (misses: {', '.join(miss)})" if miss else ""
        print(
            f"| {title} | {what}{flag} | {_ms(new, 50)} | {_ms(new, 95)} | {_ms(cached, 50)} | "
            f"{_ms(cached, 95)} | {1e3 * cold:.0f} | "
            f"{1e3 * np.median(warm) if warm else float('nan'):.0f} |"
        )
    print(f"\nafter: {_loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
