"""Serve the app to a class: N Streamlit processes behind HAProxy, with sticky sessions.

One Streamlit process runs every session's script in threads of one Python process, so it
uses about one core. This script starts ``--processes`` of them (one per core by default) on
``127.0.0.1:8601``, ``8602``, ... and HAProxy on the public ``--address:--port`` in front of
them. HAProxy sends each new browser to the process with the fewest open connections and
inserts a cookie (``FPSNN_SERVER``) on its first response, so the browser's websocket, its
uploads, its downloads and its health checks all reach the process that holds its session.
The HAProxy configuration is rendered from ``deploy/haproxy.cfg.in`` (``--render`` prints
it; the container image in ``deploy/Dockerfile`` renders the same template).

Ctrl-C or SIGTERM stops HAProxy and every Streamlit process; a Streamlit process that dies
is started again. Logs go to ``--log-dir`` (a temporary directory by default), one file per
process.

Run (HAProxy from Debian: ``apt-get install -y haproxy``):

    python deploy/serve_class.py                          # one process per core, port 8501
    python deploy/serve_class.py --processes 4 --port 80
    python deploy/serve_class.py --render --backends app1:8501,app2:8501 --address '*'
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import random
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg.in")
COOKIE = "FPSNN_SERVER"
#: set in each Streamlit process's environment to the public port, so that tools on the
#: same machine (``bench/bench_load.py --url``) can find the processes of a deployment
DEPLOYMENT_ENV = "FPSNN_DEPLOYMENT"
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Backend:
    """One Streamlit process as HAProxy sees it; ``name`` is also its cookie value."""

    name: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _check_port(port: int, arg: str) -> int:
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"{arg} must be a port number 1-65535, got {port!r}")
    return port


def local_backends(processes: int, first_port: int) -> list[Backend]:
    """``processes`` Streamlit processes on ``127.0.0.1``, ports ``first_port``, ``+1``, ..."""
    if not isinstance(processes, int) or processes < 1:
        raise ValueError(f"processes must be a positive integer, got {processes!r}")
    _check_port(first_port, "backend_port")
    _check_port(first_port + processes - 1, "backend_port + processes - 1")
    return [Backend(f"app{i + 1}", "127.0.0.1", first_port + i) for i in range(processes)]


def parse_backends(text: str) -> list[Backend]:
    """``"app1:8501,app2:8501"`` -> backends named ``app1``, ``app2`` (for ``--render``)."""
    out = []
    for i, item in enumerate(x.strip() for x in text.split(",") if x.strip()):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"backends must be HOST:PORT,HOST:PORT,..., got {item!r}")
        out.append(Backend(f"app{i + 1}", host, _check_port(int(port), "backends")))
    if not out:
        raise ValueError("backends must name at least one HOST:PORT")
    return out


def render_config(backends: list[Backend], address: str, port: int) -> str:
    """HAProxy's configuration: ``deploy/haproxy.cfg.in`` with the public bind address and
    one ``server`` line per backend (its cookie value is its name)."""
    _check_port(port, "port")
    bind = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    servers = "\n".join(f"    server {b.name} {b.host}:{b.port} cookie {b.name}" for b in backends)
    return string.Template(TEMPLATE.read_text()).substitute(bind=bind, servers=servers)


def streamlit_command(backend: Backend) -> list[str]:
    """``streamlit run app.py`` for one backend: local only, headless, no file watcher, no
    telemetry (``.streamlit/config.toml`` sets the rest)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        f"--server.address={backend.host}",
        f"--server.port={backend.port}",
        "--server.headless=true",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
    ]


def _die_with_parent() -> None:
    """In a child, before exec: get SIGTERM when the parent dies (Linux), so no Streamlit
    process outlives a killed deployment."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host if host not in ("*", "") else "0.0.0.0", port))
        except OSError:
            return False
    return True


def free_ports(n: int, host: str = "127.0.0.1") -> int:
    """The first of ``n`` consecutive ports free on ``host`` now (for tests and benchmarks)."""
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(20000, 60000 - n)
        if all(_port_free(host, first + i) for i in range(n)):
            return first
    raise RuntimeError(f"no {n} consecutive free ports on {host}")


class Deployment:
    """HAProxy on ``address:port`` in front of ``processes`` Streamlit processes.

    ``start()`` returns once every process answers its health check and so does the
    balancer; ``stop()`` terminates them all (also as a context manager).
    """

    def __init__(
        self,
        processes: int,
        port: int = 8501,
        address: str = "0.0.0.0",
        backend_port: int = 8601,
        haproxy: str = "haproxy",
        log_dir: Path | None = None,
        extra: tuple[str, ...] = (),
    ):
        self.backends = local_backends(processes, backend_port)
        self.port, self.address = _check_port(port, "port"), address
        if port in {b.port for b in self.backends}:
            raise ValueError(
                f"port {port} overlaps the backend ports "
                f"{self.backends[0].port}-{self.backends[-1].port}"
            )
        # Debian puts it in /usr/sbin, which is not on a user's PATH
        self.haproxy = shutil.which(haproxy) or shutil.which(haproxy, path="/usr/sbin:/sbin")
        if self.haproxy is None:
            raise ValueError(f"haproxy: {haproxy!r} not found (apt-get install -y haproxy)")
        self._own_log_dir = log_dir is None
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="fpsnn-class-"))
        self.extra = tuple(extra)
        self.config = self.log_dir / "haproxy.cfg"
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []
        self.restarts = 0

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "*", "") else self.address
        return f"http://{host}:{self.port}"

    def pids(self) -> list[int]:
        """Process ids of the Streamlit processes (not HAProxy)."""
        return [p.pid for name, p in self.procs.items() if name != "haproxy"]

    def _spawn(self, name: str, cmd: list[str], env: dict | None = None) -> None:
        log = open(self.log_dir / f"{name}.log", "a")
        self._logs.append(log)
        self.procs[name] = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def _spawn_backend(self, b: Backend) -> None:
        env = {
            **os.environ,
            DEPLOYMENT_ENV: str(self.port),
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }
        self._spawn(b.name, [*streamlit_command(b), *self.extra], env)

    def start(self) -> Deployment:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        busy = [
            p
            for h, p in [(self.address, self.port)] + [(b.host, b.port) for b in self.backends]
            if not _port_free(h, p)
        ]
        if busy:
            raise ValueError(f"port(s) already in use: {', '.join(map(str, busy))}")
        self.config.write_text(render_config(self.backends, self.address, self.port))
        check = subprocess.run(
            [self.haproxy, "-c", "-q", "-f", str(self.config)], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(f"haproxy rejected {self.config}: {check.stderr.strip()}")
        try:
            for b in self.backends:
                self._spawn_backend(b)
            self._wait([b.url for b in self.backends], "Streamlit")
            self._spawn("haproxy", [self.haproxy, "-db", "-f", str(self.config)])
            self._wait([self.url], "HAProxy")
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self, urls: list[str], what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(urls)
        while pending:
            pending = [u for u in pending if not healthy(u)]
            dead = [n for n, p in self.procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(
                    f"{', '.join(dead)} exited while starting; logs in {self.log_dir}"
                )
            if pending and time.monotonic() > deadline:
                raise RuntimeError(
                    f"{what} did not answer on {', '.join(pending)} within "
                    f"{START_TIMEOUT:.0f} s; logs in {self.log_dir}"
                )
            if pending:
                time.sleep(0.2)

    def poll(self) -> str | None:
        """Restart a Streamlit process that died; the name of a dead HAProxy, else None."""
        for b in self.backends:
            p = self.procs.get(b.name)
            if p is not None and p.poll() is not None:
                self.restarts += 1
                self._spawn_backend(b)
                print(
                    f"{b.name} (port {b.port}) exited with {p.returncode}; started again as "
                    f"pid {self.procs[b.name].pid}",
                    file=sys.stderr,
                    flush=True,
                )
        p = self.procs.get("haproxy")
        return "haproxy" if p is not None and p.poll() is not None else None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to every child, SIGKILL to any still running after ``timeout`` s."""
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + timeout
        for p in self.procs.values():
            try:
                p.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop(signal.Signals(signum).name)


def main(argv=None) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--processes",
        type=int,
        default=cores,
        help=f"Streamlit processes (default: one per core, {cores})",
    )
    p.add_argument("--port", type=int, default=8501, help="public port (HAProxy)")
    p.add_argument("--address", default="0.0.0.0", help="public address (default: every interface)")
    p.add_argument(
        "--backend-port",
        type=int,
        default=8601,
        help="port of the first Streamlit process (on 127.0.0.1); the next ones follow",
    )
    p.add_argument("--haproxy", default="haproxy", help="HAProxy executable")
    p.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help="where the logs and haproxy.cfg go (default: a temporary directory)",
    )
    p.add_argument(
        "--render",
        action="store_true",
        help="print the HAProxy configuration for --backends and exit",
    )
    p.add_argument(
        "--backends",
        default=None,
        help="with --render: HOST:PORT,HOST:PORT,... (default: the local processes)",
    )
    args = p.parse_args(argv)
    try:
        if args.render:
            backends = (
                parse_backends(args.backends)
                if args.backends
                else local_backends(args.processes, args.backend_port)
            )
            sys.stdout.write(render_config(backends, args.address, args.port))
            return 0
        dep = Deployment(
            args.processes, args.port, args.address, args.backend_port, args.haproxy, args.log_dir
        )
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        print(
            f"starting {len(dep.backends)} Streamlit processes and HAProxy (logs in "
            f"{dep.log_dir}) ...",
            flush=True,
        )
        dep.start()
        for b in dep.backends:
            print(f"  {b.name}: pid {dep.procs[b.name].pid} on {b.url}", flush=True)
        shown = socket.gethostname() if args.address in ("0.0.0.0", "*", "") else args.address
        print(f"serving the app on http://{shown}:{args.port} (Ctrl-C stops)", flush=True)
        while True:
            if dep.poll():
                print(f"haproxy exited; see {dep.log_dir / 'haproxy.log'}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except _Stop as e:
        print(f"{e}: stopping", flush=True)
        return 0
    except (RuntimeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        dep.stop()


if __name__ == "__main__":
    sys.exit(main())
