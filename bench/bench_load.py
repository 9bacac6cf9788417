"""Many students at once: concurrent sessions driving the pages, server CPU and memory.

Serves the app one of three ways: one ``streamlit run app.py`` of this checkout
(``bench/browser.py``, the default); ``--processes N``: N Streamlit processes behind HAProxy
with sticky sessions (``deploy/serve_class.py``); or ``--url``: a deployment already running.
For each level of ``--sessions`` (10, then 30), that many sessions run at once for
``--seconds``. Each session fetches the page's HTML first, as a browser does, keeps the
cookies of that response (HAProxy's ``FPSNN_SERVER`` names the process that holds the
session) and sends them on its websocket; it then speaks Streamlit's own session protocol
(``/_stcore/stream``: the ``BackMsg`` a browser sends, the ``ForwardMsg`` it receives), so no
browser is drawn and the client costs little: what is measured is the server. A session
opens a page, then moves that page's main control (:data:`SCENARIO`) to random values (a
slider anywhere in its range, another option of a select box) ``--per-page`` times with a
pause of ``--think`` seconds (uniform 0.5x-1.5x) between interactions, then opens the next
page, and so on round the pages. A control drawn inside an ``st.fragment`` reruns only
that fragment, as in a browser. When a page has no control of that label, the first
slider or select box of the page's main area is used instead, and the report says so.

Reported per level:

* **interaction**: the time from the widget change sent to ``script_finished`` received
  (the server's whole rerun, every delta sent; the browser's drawing, 50-300 ms more in
  ``bench/bench_browser.py``, is not included), p50 and p95; page opens the same way;
* **server CPU per interaction**: the CPU seconds (``/proc/<pid>/stat``, user + system) of
  every Streamlit process together over the level, divided by interactions + page opens
  (HAProxy's own CPU is printed apart);
* **server memory**: resident set size (``/proc/<pid>/status``, summed over the processes)
  at the start and end of each level, and sampled ten times during it; with bounded caches
  (``max_entries``) it levels off.

A Streamlit server runs every script in a thread of one Python process: pure-Python work
(Plotly figures) holds the GIL, so one server uses about one core however many it has.

Run:

    python bench/bench_load.py                          # 10 then 30 sessions, 60 s each
    python bench/bench_load.py --sessions 30 --minutes 30
    python bench/bench_load.py --processes 2 --sessions 60 --seconds 120
    python bench/bench_load.py --url http://127.0.0.1:8501 --sessions 60
    python bench/bench_load.py --sessions 30 --heavy 1     # one heavy student besides

``--heavy N`` adds N students who open a link to the heaviest network a link can carry
(:func:`heavy_query`) and then, without pausing, go round the network pages
(:data:`HEAVY_PAGES`) giving it a new time constant each time; the class's interaction
times are reported without theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "deploy"))

from browser import server  # noqa: E402
from serve_class import COOKIE, DEPLOYMENT_ENV, Deployment, free_ports  # noqa: E402

#: page url path -> label of its main control (a slider, select slider or select box); a
#: label missing from its page falls back to the page's first slider or select box
SCENARIO = {
    "": "Weight w of input 0",
    "neuron": "Weight W0",
    "network": "Selected spike",
    "jacobian": "Motif",
    "gradient-check": "Weight to slice",
    "surrogate": "Time step dt",
    "eventprop": "Loss",
    "derivation": "w, weight of the input",
}
TIMEOUT = 180.0
CONTROLS = ("slider", "selectbox")
#: ``script_finished`` statuses that end a run (2: ended early, another run follows)
FINISHED = {0, 1, 3}
#: all the exceptions of the app's pages in full (its config hides them from visitors)
SERVER_FLAGS = ("--client.showErrorDetails=full",)
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def with_workers(pids) -> list[int]:
    """``pids`` and their descendants (the scene cache's worker processes): a server's CPU
    and memory are those of all its processes."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in out:
            out.add(pid)
            todo.extend(children.get(pid, ()))
    return sorted(out)


def _proc_cpu(pids, workers: bool = True) -> float:
    """User + system CPU seconds of the processes ``pids`` and (``workers``) their
    descendants together (gone ones count 0: read before and after, so count live workers
    only)."""
    total = 0.0
    for pid in with_workers(pids) if workers else pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _proc_rss_mib(pids) -> float:
    """Resident memory of the processes ``pids`` and their descendants together, MiB."""
    total = 0.0
    for pid in with_workers(pids):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def deployment_pids(url: str) -> list[int]:
    """The Streamlit processes of a ``deploy/serve_class.py`` deployment on this machine
    serving ``url`` (found by the port in their environment); empty if none."""
    port = str(urllib.parse.urlsplit(url).port or 80)
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError):
                env = (d / "environ").read_bytes().split(b"\0")
                if f"{DEPLOYMENT_ENV}={port}".encode() in env:
                    out.append(int(d.name))
    return sorted(out)


def _first_response_cookies(url: str) -> dict[str, str]:
    """The cookies set by the page's HTML response (a browser's first request)."""
    with _HTTP.open(url + "/", timeout=TIMEOUT) as r:
        r.read()
        cookies = {}
        for header in r.headers.get_all("Set-Cookie") or ():
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
    return cookies


class Session:
    """One student's tab: a websocket session of the app."""

    def __init__(self, url: str, rng: random.Random):
        self.url, self.rng = url, rng
        self.ws = None
        #: label -> (element type, proto, fragment id, drawn in the main area)
        self.widgets: dict[str, tuple[str, object, str, bool]] = {}
        self.errors = 0
        self.messages: set[str] = set()
        self.backend = ""  # HAProxy's cookie value: the process of this session

    async def connect(self):
        import websockets

        cookies = await asyncio.to_thread(_first_response_cookies, self.url)
        self.backend = cookies.get(COOKIE, "")
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else None
        self.ws = await websockets.connect(
            self.url.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            ping_interval=None,
            proxy=None,
        )

    async def rerun(self, page: str, states=(), fragment_id: str = "", query: str = "") -> float:
        """Send a rerun of ``page`` (or of one fragment of it) with widget ``states`` and
        the URL's ``query`` string; seconds until it finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        msg.rerun_script.fragment_id = fragment_id
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
                if etype in CONTROLS and w.label:
                    path = fwd.metadata.delta_path
                    self.widgets[w.label] = (
                        etype,
                        w,
                        fwd.delta.fragment_id,
                        bool(path) and path[0] == 0,
                    )
            elif kind == "script_finished" and fwd.script_finished in FINISHED:
                return time.perf_counter() - t0

    def control(self, page: str) -> str | None:
        """The label of the control to move on ``page``: :data:`SCENARIO`'s, else the first
        slider or select box of the main area (None if it has none)."""
        label = SCENARIO.get(page)
        if label in self.widgets:
            return label
        return next((k for k, (_, _, _, main) in self.widgets.items() if main), None)

    def change(self, label: str):
        """A WidgetState moving control ``label`` to a random other value, and the id of
        the fragment it lives in ("" for the whole page)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        etype, w, fragment_id, _ = self.widgets[label]
        state = WidgetState(id=w.id)
        if etype == "slider" and w.options:  # a select slider: the option's label
            state.string_array_value.data.append(self.rng.choice(list(w.options)))
        elif etype == "slider":
            n = int(round((w.max - w.min) / w.step))
            state.double_array_value.data.append(w.min + w.step * self.rng.randint(0, n))
        else:
            state.string_value = self.rng.choice(list(w.options))
        return state, fragment_id


async def student(
    url: str, seed: int, stop_at: float, per_page: int, think: float, out: dict
) -> None:
    rng = random.Random(seed)
    s = Session(url, rng)
    await s.connect()
    out["backends"][s.backend or "-"] += 1
    pages = list(SCENARIO)
    k = rng.randrange(len(pages))  # students start on different pages
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
                label = s.control(page)
                if label is None:  # e.g. a disabled control
                    break
                out["controls"].add((page, label))
                state, fragment_id = s.change(label)
                out["interactions"].append(await s.rerun(page, [state], fragment_id))
    finally:
        out["errors"] += s.errors
        out["messages"] |= s.messages
        await s.ws.close()


#: The heavy student's pages and networks: the default motif with the weight edits of
#: ``bench/bench_limits.py``'s "edits" case (about 1,100 spikes and 400,000 causal edges, the
#: heaviest network a link can carry), each time with another weight so nothing is cached.
HEAVY_PAGES = ("network", "jacobian", "gradient-check", "surrogate", "eventprop")
#: what the heavy student moves: a new time constant is a new network for every page;
#: these values keep it heavy (about 670-1,490 spikes and 140,000-760,000 causal edges;
#: from 0.7 on it fires past the app's spike limit and is refused at once)
HEAVY_CONTROL = "τ_s, synapse"
HEAVY_TAU_S = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)


def heavy_query(w: int) -> str:
    return "edits=" + "~".join(f"{j}_{i}_{w}" for j in (0, 1) for i in (0, 1, 2))


async def heavy_student(url: str, seed: int, stop_at: float, out: dict) -> None:
    """One student on the heaviest network: opens a link to it (one session), then goes
    round the network pages moving the sidebar's tau_s to a random value on each, so every
    run is a new network (nothing cached), without pausing; the times are kept apart from
    the class's."""
    rng = random.Random(10_000 + seed)
    s = Session(url, rng)
    await s.connect()
    try:
        out["heavy"].append(await s.rerun(HEAVY_PAGES[0], query=heavy_query(120)))
        while time.perf_counter() < stop_at:
            page = rng.choice(HEAVY_PAGES)
            out["heavy"].append(await s.rerun(page))
            if HEAVY_CONTROL in s.widgets and time.perf_counter() < stop_at:
                state, fragment_id = s.change(HEAVY_CONTROL)
                del state.double_array_value.data[:]
                state.double_array_value.data.append(rng.choice(HEAVY_TAU_S))
                out["heavy"].append(await s.rerun(page, [state], fragment_id))
    finally:
        out["errors"] += s.errors
        out["messages"] |= s.messages
        await s.ws.close()


async def _sample_rss(pids, stop_at: float, every: float, out: list) -> None:
    t0 = time.perf_counter()
    while time.perf_counter() < stop_at:
        await asyncio.sleep(min(every, max(stop_at - time.perf_counter(), 0.0)))
        out.append((time.perf_counter() - t0, _proc_rss_mib(pids)))


async def level(
    url: str, pids, n: int, seconds: float, per_page: int, think: float, seed: int, heavy: int = 0
) -> dict:
    out = {
        "opens": [],
        "interactions": [],
        "errors": 0,
        "messages": set(),
        "rss": [],
        "backends": Counter(),
        "controls": set(),
        "heavy": [],
    }
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(
        *(student(url, seed + i, stop_at, per_page, think, out) for i in range(n)),
        *(heavy_student(url, seed + i, stop_at, out) for i in range(heavy)),
        _sample_rss(pids, stop_at, max(seconds / 10, 10.0), out["rss"]),
    )
    return out


async def _warm_up(urls) -> None:
    """Open every page once on each of ``urls`` at once: a server's first run of a page
    imports its modules."""

    async def one(url):
        s = Session(url, random.Random(0))
        await s.connect()
        for page in SCENARIO:
            await s.rerun(page)
        await s.ws.close()

    await asyncio.gather(*(one(u) for u in urls))


def _ms(v, q):
    return f"{1e3 * np.percentile(v, q):.0f}" if len(v) else "-"


def _loadavg() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


@contextlib.contextmanager
def _served(args):
    """``(url, Streamlit pids, HAProxy pid or None, warm-up urls, what)`` of the app served
    as ``args`` asks."""
    if args.url:
        url = args.url.rstrip("/")
        pids = [int(x) for x in args.pids.split(",")] if args.pids else deployment_pids(url)
        yield url, pids, None, [url] * max(len(pids), 1), f"the deployment at {url}"
    elif args.processes:
        first = free_ports(args.processes + 1)
        with Deployment(
            args.processes,
            port=first,
            address="127.0.0.1",
            backend_port=first + 1,
            extra=SERVER_FLAGS,
        ) as dep:
            yield (
                dep.url,
                dep.pids(),
                dep.procs["haproxy"].pid,
                [b.url for b in dep.backends],
                f"{args.processes} Streamlit processes behind HAProxy (sticky sessions)",
            )
    else:
        with server(extra=SERVER_FLAGS) as (url, proc):
            yield url, [proc.pid], None, [url], "One server"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", default="10,30", help="comma-separated levels")
    p.add_argument("--seconds", type=float, default=60.0, help="duration of each level")
    p.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="duration of each level, minutes (overrides --seconds)",
    )
    p.add_argument("--think", type=float, default=3.0, help="mean pause between interactions")
    p.add_argument("--per-page", type=int, default=5, help="interactions before the next page")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--heavy",
        type=int,
        default=0,
        help="heavy students besides the class: each works on the heaviest network "
        "a link carries, a new time constant on every network page, no pause "
        "(their times are reported apart; their reruns count in the CPU)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--processes",
        type=int,
        default=None,
        help="start N Streamlit processes behind HAProxy (deploy/serve_class.py)",
    )
    where.add_argument(
        "--url",
        default=None,
        help="a running deployment (e.g. http://127.0.0.1:8501), not started here",
    )
    p.add_argument(
        "--pids",
        default=None,
        help="with --url: comma-separated pids of its Streamlit processes (default: "
        "found by deploy/serve_class.py's marker; none: CPU not measured)",
    )
    args = p.parse_args(argv)
    if args.processes is not None and args.processes < 1:
        p.error(f"--processes must be at least 1, got {args.processes}")
    seconds = 60 * args.minutes if args.minutes else args.seconds
    levels = [int(x) for x in args.sessions.split(",") if x]
    print(
        f"before: {_loadavg()} (machine shared with other jobs: figures are upper bounds)",
        flush=True,
    )
    rows, controls = [], set()
    with _served(args) as (url, pids, balancer, warm_urls, what):
        rss0 = _proc_rss_mib(pids)
        asyncio.run(_warm_up(warm_urls))
        print(
            f"{what}: Streamlit pids {pids or 'unknown (CPU and memory not measured)'}, RSS "
            f"after start {rss0:.0f} MiB, after opening every page once (imports, not timed) "
            f"{_proc_rss_mib(pids):.0f} MiB",
            flush=True,
        )
        for n in levels:
            rss_start, cpu0, t0 = _proc_rss_mib(pids), _proc_cpu(pids), time.perf_counter()
            main0 = _proc_cpu(pids, workers=False)
            bal0 = _proc_cpu([balancer]) if balancer else 0.0
            res = asyncio.run(
                level(url, pids, n, seconds, args.per_page, args.think, args.seed, args.heavy)
            )
            wall, cpu = time.perf_counter() - t0, _proc_cpu(pids) - cpu0
            main = _proc_cpu(pids, workers=False) - main0
            rss_end = _proc_rss_mib(pids)
            done = len(res["interactions"]) + len(res["opens"]) + len(res["heavy"])
            rows.append((n, wall, res, cpu, done, rss_start, rss_end))
            controls |= res["controls"]
            print(
                f"  {n} sessions, {wall:.0f} s: {len(res['interactions'])} interactions p50 "
                f"{_ms(res['interactions'], 50)} ms p95 {_ms(res['interactions'], 95)} ms; "
                f"{len(res['opens'])} page opens p50 {_ms(res['opens'], 50)} ms p95 "
                f"{_ms(res['opens'], 95)} ms; server CPU {cpu:.1f} s ({cpu / wall:.2f} "
                f"cores), {cpu / max(done, 1):.3f} s per rerun; RSS {rss_start:.0f} -> "
                f"{rss_end:.0f} MiB; exceptions {res['errors']}",
                flush=True,
            )
            print(
                f"    of that CPU, Streamlit process(es) {main:.1f} s ({main / wall:.2f} cores: "
                f"the GIL's share), scene workers {cpu - main:.1f} s",
                flush=True,
            )
            if args.heavy:
                print(
                    f"    heavy student(s): {len(res['heavy'])} heavy page opens, p50 "
                    f"{_ms(res['heavy'], 50)} ms, max {_ms(res['heavy'], 100)} ms",
                    flush=True,
                )
            print(
                "    sessions per process (HAProxy's cookie): "
                + ", ".join(f"{k} {v}" for k, v in sorted(res["backends"].items())),
                flush=True,
            )
            if balancer:
                bal = _proc_cpu([balancer]) - bal0
                print(f"    HAProxy CPU {bal:.1f} s ({bal / wall:.3f} cores)", flush=True)
            print(
                "    RSS over the level (s: MiB): "
                + ", ".join(f"{t:.0f}: {m:.0f}" for t, m in res["rss"]),
                flush=True,
            )
            for text in sorted(res["messages"]):
                print(f"    exception: {text}")
    print()
    print(
        "Controls moved: "
        + "; ".join(
            f"{page or 'home'}: {label!r}"
            + ("" if SCENARIO[page] == label else f" (no {SCENARIO[page]!r} on the page)")
            for page, label in sorted(controls)
        )
    )
    print(
        f"{what}, sessions over Streamlit's websocket protocol (no browser drawing), "
        f"think time {args.think:g} s (0.5x-1.5x), {args.per_page} interactions per page, "
        f"{seconds:.0f} s per level."
    )
    if args.heavy:
        print(
            f"{args.heavy} heavy student(s) besides the sessions of each level (not in the "
            "interaction and page open columns; in reruns and CPU)."
        )
    print(
        "| sessions | reruns/s | interaction p50 | interaction p95 | page open p50 | "
        "page open p95 | server CPU per rerun | server CPU | RSS start -> end | exceptions |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, wall, res, cpu, done, rss_start, rss_end in rows:
        measured = bool(pids)
        print(
            f"| {n} | {done / wall:.1f} | {_ms(res['interactions'], 50)} ms | "
            f"{_ms(res['interactions'], 95)} ms | {_ms(res['opens'], 50)} ms | "
            f"{_ms(res['opens'], 95)} ms | "
            + (
                f"{1e3 * cpu / max(done, 1):.0f} ms | {cpu / wall:.2f} cores | "
                f"{rss_start:.0f} -> {rss_end:.0f} MiB | "
                if measured
                else "- | - | - | "
            )
            + f"{res['errors']} |"
        )
    if rows and pids:
        per = sum(r[3] for r in rows) / max(sum(r[4] for r in rows), 1)
        rate = 1.0 / args.think
        print(
            f"\nServer CPU per rerun over all levels: {1e3 * per:.0f} ms. A student "
            f"interacting every {args.think:g} s costs {per * rate:.3f} cores; one "
            f"server process (about one core: the GIL) serves about "
            f"{int(1.0 / (per * rate))} such students, if the machine is otherwise idle."
        )
    print(f"after: {_loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
