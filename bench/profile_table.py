"""Where the server time of one interaction goes, per page (a Markdown table; not asserted).

Each page runs under ``streamlit.testing.v1.AppTest`` and gets its main interaction with a
new value at every run (so nothing comes from the scene cache); the script thread's time
is split by timing wrappers around the entry points of each part, each counted once
(exclusive: time inside a nested part is charged to that part):

* **sim**: functions of ``fpsnn_core`` (the simulator, gradients, finite differences);
* **scene**: the scene function itself, minus the parts it calls;
* **figures**: ``fpsnn_app.figures``, ``style.finish`` and Plotly's figure and trace objects;
* **cache**: the scene cache's own work (hashing the arguments, pickling the result in,
  unpickling a copy out);
* **JSON**: ``plotly.io.to_json`` (what ``st.plotly_chart`` sends);
* **st**: everything else in the script thread: the page script, widgets and Streamlit's
  elements and delta messages;
* **compile** (not counted): AppTest compiles the scripts at every run, a server once;
* **pb**: serializing the run's forward messages to protobuf bytes, as the server does
  before sending them (AppTest does not; timed afterwards, once per run);
* **server** = script thread + pb: the server's time for the interaction. **CPU** is the
  script thread's CPU time (+ pb), which other processes on the machine do not inflate.

``KB`` is the size of those messages, the payload of the rerun. Medians over ``--repeat``
interactions after one warm-up; the machine's load average is printed with the table.

Usage: ``python bench/profile_table.py [--repeat 5] [--pages home,neuron]``
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from fpsnn_app.registry import PAGES  # noqa: E402

PARTS = ("sim", "scene", "figures", "cache", "JSON", "st", "pb")
#: A part that keeps the time of these parts when it calls them: rebuilding a cached
#: figure's copy is the cache's cost, turning a figure into a dict is the JSON's.
ABSORBS = {"cache": {"figures"}, "JSON": {"figures"}}

#: Main interaction of each page: (widget kind, key, values; one new value per run). The
#: network pages get a new network (the sidebar's seed): everything is recomputed.
INTERACTIONS = {
    "home": ("slider", "home.w", [3.0 + 0.1 * k for k in range(30)]),
    "neuron": ("slider", "neuron.w0", [1.5 + 0.1 * k for k in range(30)]),
    "gradient_check": ("slider", "gradient_check.span", [0.5 + 0.1 * k for k in range(30)]),
    "derivation": ("slider", "derivation.w", [4.0 + 0.1 * k for k in range(30)]),
    "training": ("number_input", "training.seed", list(range(1, 31))),
}
NETWORK_INTERACTION = ("number_input", "net.seed", list(range(1, 31)))


class Split:
    """Exclusive timers: a stack per thread; entering a part pauses the enclosing one."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._local = threading.local()

    def reset(self) -> None:
        self.totals.clear()

    def wrap(self, part: str, fn):
        if getattr(fn, "_split_part", None):
            return fn

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            stack = self._local.__dict__.setdefault("stack", [])
            if stack and part in ABSORBS.get(stack[-1][0], ()):
                return fn(*args, **kwargs)
            now = time.perf_counter()
            if stack:
                self.totals[stack[-1][0]] += now - stack[-1][1]
            stack.append([part, now])
            try:
                return fn(*args, **kwargs)
            finally:
                end = time.perf_counter()
                name, start = stack.pop()
                self.totals[name] += end - start
                if stack:
                    stack[-1][1] = end

        timed._split_part = part
        return timed


def _is_function(obj) -> bool:
    return callable(obj) and not isinstance(obj, type) and hasattr(obj, "__module__")


def instrument(split: Split) -> None:
    """Install the wrappers (on module attributes, so both ``fp.f`` and ``from m import f``
    calls are timed)."""
    import plotly.graph_objects as go
    import plotly.io
    import plotly.subplots

    import fpsnn_app.figures  # noqa: F401
    import fpsnn_app.scenes  # noqa: F401
    import fpsnn_app.ui as ui
    from fpsnn_app import registry
    from fpsnn_app.scenes import common as scenes_common

    for entry in PAGES:  # import every scene and figure module
        try:
            __import__(f"fpsnn_app.scenes.{entry.name}")
        except ImportError as exc:  # the page then reports it in its row
            print(f"  {entry.name}: {exc}", file=sys.stderr)
    del registry

    def part_of(obj) -> str | None:
        mod = getattr(obj, "__module__", "") or ""
        if mod.startswith("fpsnn_core"):
            return "sim"
        if mod.startswith("fpsnn_app.figures") or getattr(obj, "__qualname__", "") == "finish":
            return "figures"
        return None

    for name, mod in list(sys.modules.items()):
        if not (name.startswith("fpsnn_app") or name == "fpsnn_core") or mod is None:
            continue
        for attr, obj in list(vars(mod).items()):
            if _is_function(obj) and (part := part_of(obj)):
                setattr(mod, attr, split.wrap(part, obj))
    for meth in (
        "__init__",
        "add_trace",
        "add_traces",
        "update_layout",
        "update_xaxes",
        "update_yaxes",
        "add_hline",
        "add_vline",
        "add_hrect",
        "add_vrect",
        "add_annotation",
        "add_shape",
    ):
        setattr(go.Figure, meth, split.wrap("figures", getattr(go.Figure, meth)))
    for cls in ("Scatter", "Heatmap", "Bar", "Scattergl", "Contour", "Histogram"):
        klass = getattr(go, cls)
        klass.__init__ = split.wrap("figures", klass.__init__)
    plotly.subplots.make_subplots = split.wrap("figures", plotly.subplots.make_subplots)
    plotly.io.to_json = split.wrap("JSON", plotly.io.to_json)
    for attr in ("_restore_chart",):
        setattr(scenes_common, attr, split.wrap("cache", getattr(scenes_common, attr)))

    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    ScriptCache.get_bytecode = split.wrap("compile", ScriptCache.get_bytecode)

    original = ui.compute

    def compute(fn, *args):
        return split.wrap("cache", original)(split.wrap("scene", fn), *args)

    ui.compute = compute


class ScriptClock:
    """Wall and CPU time of each script run, measured in the script thread."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def install(self) -> None:
        from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

        original, clock = ScriptRunner._run_script, self

        def _run_script(runner, rerun_data):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return original(runner, rerun_data)
            finally:
                clock.wall += time.perf_counter() - t0
                clock.cpu += time.thread_time() - c0

        ScriptRunner._run_script = _run_script


def _interact(at: AppTest, kind: str, key: str, value) -> bool:
    try:
        widget = getattr(at, kind)(key=key)
    except KeyError:
        return False
    widget.set_value(value)
    return True


def profile_page(entry, split: Split, clock: ScriptClock, repeat: int) -> dict:
    """Medians (ms, KB) of ``repeat`` interactions on one page, after one warm-up."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    if entry.url_path:
        at.switch_page(entry.path)
        at.run()
    kind, key, vals = INTERACTIONS.get(entry.name, NETWORK_INTERACTION)
    rows = []
    for n in range(repeat + 1):
        if not _interact(at, kind, key, vals[n % len(vals)]):
            return {"note": f"no widget {key!r}"}
        split.reset()
        clock.wall = clock.cpu = 0.0
        at.run()
        if at.exception:
            return {"note": f"page raised: {at.exception[0].message}"}
        if at.error:  # a row of a page that failed would be too fast
            return {"note": f"page showed an error: {at.error[0].value[:120]}"}
        msgs = at._script_runner_forward_msgs()
        t0 = time.perf_counter()
        payload = sum(len(m.SerializeToString()) for m in msgs)
        pb = time.perf_counter() - t0
        row = {p: 1e3 * split.totals.get(p, 0.0) for p in PARTS[:-2]}
        compile_ = split.totals.get("compile", 0.0)
        row["st"] = 1e3 * (clock.wall - compile_) - sum(row.values())
        row["pb"] = 1e3 * pb
        row["server"] = 1e3 * (clock.wall - compile_ + pb)
        row["CPU"] = 1e3 * (clock.cpu - compile_ + pb)
        row["KB"] = payload / 1e3
        if n:  # the first run is a warm-up
            rows.append(row)
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def _capture_messages() -> None:
    """Keep each AppTest's script runner reachable, to read its forward messages."""
    from streamlit.testing.v1 import app_test
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    original = LocalScriptRunner.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        app_test._last_runner = self  # noqa: SLF001

    LocalScriptRunner.__init__ = __init__
    AppTest._script_runner_forward_msgs = lambda at: list(app_test._last_runner.forward_msgs())


def table(results: dict, repeat: int) -> str:
    cols = (*PARTS, "server", "CPU", "KB")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    out = [
        f"Load average (1, 5, 15 min): {load}. Medians of {repeat} interactions, ms (KB: payload).",
        "",
        "| page | interaction | " + " | ".join(cols) + " |",
        "|---|---|" + "---:|" * len(cols),
    ]
    for name, row in results.items():
        what = INTERACTIONS.get(name, NETWORK_INTERACTION)[1]
        if "note" in row:
            out.append(f"| {name} | {what} | {row['note']} |" + " |" * (len(cols) - 1))
            continue
        out.append(
            f"| {name} | {what} | "
            + " | ".join(f"{row[c]:.1f}" if c == "KB" else f"{row[c]:.0f}" for c in cols)
            + " |"
        )
    return "\n".join(out)


def main(argv=None) -> int:
    logging.disable(logging.WARNING)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--pages", default="", help="comma-separated page names (default all)")
    args = p.parse_args(argv)
    wanted = set(filter(None, args.pages.split(",")))
    split, clock = Split(), ScriptClock()
    instrument(split)
    clock.install()
    _capture_messages()
    results = {}
    for entry in PAGES:
        if wanted and entry.name not in wanted:
            continue
        results[entry.name] = profile_page(entry, split, clock, args.repeat)
        print(f"  {entry.name} done", file=sys.stderr)
    print(table(results, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
