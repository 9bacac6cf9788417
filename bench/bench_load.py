"""Many students on one server: concurrent sessions driving the pages, server CPU and memory.

Starts one ``streamlit run app.py`` of this checkout (``bench/browser.py``) and, for each
level of ``--sessions`` (10, then 30), runs that many sessions at once for ``--seconds``.
Each session speaks Streamlit's own session protocol over the websocket
(``/_stcore/stream``: the ``BackMsg`` a browser sends, the ``ForwardMsg`` it receives),
so no browser is drawn and the client costs little: what is measured is the server. A
session opens a page, then moves that page's main control to random values (a slider
anywhere in its range, another option of a select box) ``--per-page`` times with a pause of
``--think`` seconds (uniform 0.5x-1.5x) between interactions, then opens the next page, and
so on round the pages.

Reported per level:

* **interaction**: the time from the widget change sent to ``script_finished`` received
  (the server's whole rerun, every delta sent; the browser's drawing, 50-300 ms more in
  ``bench/bench_browser.py``, is not included), p50 and p95; page opens the same way;
* **server CPU per interaction**: the server process's CPU seconds (``/proc/<pid>/stat``,
  user + system) over the level divided by interactions + page opens;
* **server memory**: resident set size (``/proc/<pid>/status``) at the start and end of
  each level, and sampled ten times during it; with bounded caches (``max_entries``) it
  levels off.

A Streamlit server runs every script in a thread of one Python process: pure-Python work
(Plotly figures) holds the GIL, so one server uses about one core however many it has.

Run:

    python bench/bench_load.py                          # 10 then 30 sessions, 60 s each
    python bench/bench_load.py --sessions 30 --minutes 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from browser import server  # noqa: E402

#: page url path -> label of its main control (a slider, select slider or select box)
SCENARIO = {
    "": "Weight w of input 0",
    "neuron": "Weight W0",
    "network": "Selected spike",
    "jacobian": "FP step k (spike in time order)",
    "gradient-check": "Weight to slice",
    "surrogate": "Time step dt",
    "eventprop": "Replay step: spikes taken by each sweep",
    "derivation": "w, weight of the input",
}
TIMEOUT = 180.0


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Session:
    """One student's tab: a websocket session of the app."""

    def __init__(self, url: str, rng: random.Random):
        self.url, self.rng = url, rng
        self.ws = None
        self.widgets: dict[str, tuple[str, object]] = {}   # label -> (element type, proto)
        self.errors = 0
        self.messages: set[str] = set()

    async def connect(self):
        import websockets

        self.ws = await websockets.connect(
            self.url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
            max_size=None, ping_interval=None)

    async def rerun(self, page: str, states=()) -> float:
        """Send a rerun of ``page`` with widget ``states``; seconds until it finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = page
        msg.rerun_script.widget_states.widgets.extend(states)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                etype = el.WhichOneof("type")
                if etype == "exception":
                    self.errors += 1
                    self.messages.add(f"{page}: {el.exception.type}: {el.exception.message[:160]}")
                w = getattr(el, etype)
                if etype in ("slider", "selectbox") and w.label:
                    self.widgets[w.label] = (etype, w)
            elif kind == "script_finished":
                # 2: ended early for a rerun (st.rerun): the next run follows
                if fwd.script_finished != 2:
                    return time.perf_counter() - t0

    def change(self, label: str):
        """A WidgetState moving control ``label`` to a random other value."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        etype, w = self.widgets[label]
        state = WidgetState(id=w.id)
        if etype == "slider" and w.options:        # a select slider: the option's label
            state.string_array_value.data.append(self.rng.choice(list(w.options)))
        elif etype == "slider":
            n = int(round((w.max - w.min) / w.step))
            state.double_array_value.data.append(w.min + w.step * self.rng.randint(0, n))
        else:
            state.string_value = self.rng.choice(list(w.options))
        return state


async def student(url: str, seed: int, stop_at: float, per_page: int, think: float,
                  out: dict) -> None:
    rng = random.Random(seed)
    s = Session(url, rng)
    await s.connect()
    pages = list(SCENARIO)
    k = rng.randrange(len(pages))               # students start on different pages
    try:
        while time.perf_counter() < stop_at:
            page = pages[k % len(pages)]
            k += 1
            s.widgets.clear()
            out["opens"].append(await s.rerun(page))
            for _ in range(per_page):
                if time.perf_counter() >= stop_at:
                    break
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
                label = SCENARIO[page]
                if label not in s.widgets:          # e.g. a disabled control
                    break
                out["interactions"].append(await s.rerun(page, [s.change(label)]))
    finally:
        out["errors"] += s.errors
        out["messages"] |= s.messages
        await s.ws.close()


async def _sample_rss(pid: int, stop_at: float, every: float, out: list) -> None:
    t0 = time.perf_counter()
    while time.perf_counter() < stop_at:
        await asyncio.sleep(min(every, max(stop_at - time.perf_counter(), 0.0)))
        out.append((time.perf_counter() - t0, _proc_rss_mib(pid)))


async def level(url: str, pid: int, n: int, seconds: float, per_page: int, think: float,
                seed: int) -> dict:
    out = {"opens": [], "interactions": [], "errors": 0, "messages": set(), "rss": []}
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(*(student(url, seed + i, stop_at, per_page, think, out)
                           for i in range(n)),
                         _sample_rss(pid, stop_at, max(seconds / 10, 10.0), out["rss"]))
    return out


async def _warm_up(url: str) -> None:
    """Open every page once: the server's first run of a page imports its modules."""
    s = Session(url, random.Random(0))
    await s.connect()
    for page in SCENARIO:
        await s.rerun(page)
    await s.ws.close()


def _ms(v, q):
    return f"{1e3 * np.percentile(v, q):.0f}" if len(v) else "-"


def _loadavg() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", default="10,30", help="comma-separated levels")
    p.add_argument("--seconds", type=float, default=60.0, help="duration of each level")
    p.add_argument("--minutes", type=float, default=None, help="duration of each level, "
                                                               "minutes (overrides --seconds)")
    p.add_argument("--think", type=float, default=3.0, help="mean pause between interactions")
    p.add_argument("--per-page", type=int, default=5, help="interactions before the next page")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    seconds = 60 * args.minutes if args.minutes else args.seconds
    levels = [int(x) for x in args.sessions.split(",") if x]
    print(f"before: {_loadavg()} (machine shared with other jobs: figures are upper bounds)",
          flush=True)
    rows = []
    # full messages of any exception (the app's config hides them from visitors)
    with server(extra=("--client.showErrorDetails=full",)) as (url, proc):
        pid = proc.pid
        rss0 = _proc_rss_mib(pid)
        asyncio.run(_warm_up(url))
        print(f"server pid {pid}, RSS after start {rss0:.0f} MiB, after opening every page "
              f"once (imports, not timed) {_proc_rss_mib(pid):.0f} MiB", flush=True)
        for n in levels:
            rss_start, cpu0, t0 = _proc_rss_mib(pid), _proc_cpu(pid), time.perf_counter()
            res = asyncio.run(level(url, pid, n, seconds, args.per_page, args.think,
                                    args.seed))
            wall, cpu = time.perf_counter() - t0, _proc_cpu(pid) - cpu0
            rss_end = _proc_rss_mib(pid)
            done = len(res["interactions"]) + len(res["opens"])
            rows.append((n, wall, res, cpu, done, rss_start, rss_end))
            print(f"  {n} sessions, {wall:.0f} s: {len(res['interactions'])} interactions p50 "
                  f"{_ms(res['interactions'], 50)} ms p95 {_ms(res['interactions'], 95)} ms; "
                  f"{len(res['opens'])} page opens p50 {_ms(res['opens'], 50)} ms p95 "
                  f"{_ms(res['opens'], 95)} ms; server CPU {cpu:.1f} s ({cpu / wall:.2f} "
                  f"cores), {cpu / max(done, 1):.3f} s per rerun; RSS {rss_start:.0f} -> "
                  f"{rss_end:.0f} MiB; exceptions {res['errors']}", flush=True)
            print("    RSS over the level (s: MiB): " + ", ".join(
                f"{t:.0f}: {m:.0f}" for t, m in res["rss"]), flush=True)
            for text in sorted(res["messages"]):
                print(f"    exception: {text}")
    print()
    print(f"One server, sessions over Streamlit's websocket protocol (no browser drawing), "
          f"think time {args.think:g} s (0.5x-1.5x), {args.per_page} interactions per page, "
          f"{seconds:.0f} s per level.")
    print("| sessions | reruns/s | interaction p50 | interaction p95 | page open p50 | "
          "page open p95 | server CPU per rerun | server CPU | RSS start -> end | exceptions |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, wall, res, cpu, done, rss_start, rss_end in rows:
        print(f"| {n} | {done / wall:.1f} | {_ms(res['interactions'], 50)} ms | "
              f"{_ms(res['interactions'], 95)} ms | {_ms(res['opens'], 50)} ms | "
              f"{_ms(res['opens'], 95)} ms | {1e3 * cpu / max(done, 1):.0f} ms | "
              f"{cpu / wall:.2f} cores | {rss_start:.0f} -> {rss_end:.0f} MiB | "
              f"{res['errors']} |")
    if rows:
        per = sum(r[3] for r in rows) / max(sum(r[4] for r in rows), 1)
        rate = 1.0 / args.think
        print(f"\nServer CPU per rerun over all levels: {1e3 * per:.0f} ms. A student "
              f"interacting every {args.think:g} s costs {per * rate:.3f} cores; one "
              f"server process (about one core: the GIL) serves about "
              f"{int(1.0 / (per * rate))} such students, if the machine is otherwise idle.")
    print(f"after: {_loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
