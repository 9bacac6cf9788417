"""Scene worker processes: ``fn(*args)`` computed in another process, its result sent back
pickled (:class:`Workers`; the scene cache's misses, :mod:`fpsnn_app.scene_cache`).

A worker is ``python -m fpsnn_app.scene_worker [--init module:function]``, a fresh
interpreter (not a fork of the server's threads, and not ``multiprocessing``'s spawn, which
would run the server's main script again: Streamlit installs the page script as
``__main__``). It reads requests on its standard input and answers on its standard output
(the script's own prints go to standard error), one at a time, each a length-prefixed
pickle:

- request ``(fn, args)``, ``fn`` pickled by reference (a function at a module's top level);
- answer ``(True, pickle of fn(*args))`` or ``(False, the exception)``: the caller raises
  the exception ``fn`` raised, with its type and message.

It exits when its input closes, so a server that stops, however it stops, leaves no worker
behind. A worker that dies mid-request (killed, out of memory) costs only that request: the
caller gets :class:`WorkerLost` and a new worker starts in its place.
"""

from __future__ import annotations

import importlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable

_LEN = struct.Struct("<Q")


class WorkerLost(RuntimeError):
    """The worker process computing a result stopped before returning it."""


def _send(stream, obj) -> None:
    blob = obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LEN.pack(len(blob)))
    stream.write(blob)
    stream.flush()


def _receive(stream) -> bytes | None:
    """One message's bytes, or ``None`` at the end of the stream."""
    head = stream.read(_LEN.size)
    if len(head) < _LEN.size:
        return None
    (n,) = _LEN.unpack(head)
    blob = stream.read(n)
    return blob if len(blob) == n else None


def _answer(fn: Callable, args: tuple) -> tuple[bool, object]:
    try:
        return True, pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - sent to the caller, who raises it
        try:
            pickle.dumps(exc)
            return False, exc
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            return False, RuntimeError(f"{type(exc).__name__}: {exc}")


def serve(init: str = "") -> None:
    """The worker's loop (``python -m fpsnn_app.scene_worker``)."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # prints of the code it runs go to standard error
    if init:
        module, _, name = init.partition(":")
        getattr(importlib.import_module(module), name)()
    while (blob := _receive(requests)) is not None:
        try:
            fn, args = pickle.loads(blob)
        except Exception as exc:  # noqa: BLE001 - e.g. a function this worker cannot import
            _send(answers, (False, RuntimeError(f"{type(exc).__name__}: {exc}")))
            continue
        _send(answers, _answer(fn, args))


class _Worker:
    def __init__(self, init: str):
        cmd = [sys.executable, "-m", "fpsnn_app.scene_worker"] + (["--init", init] if init else [])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def ask(self, request: bytes) -> tuple[bool, object]:
        try:
            _send(self.proc.stdin, request)
            blob = _receive(self.proc.stdout)
        except (BrokenPipeError, OSError, ValueError):
            blob = None
        if blob is None:
            self.stop()
            raise WorkerLost(
                "the worker process computing this view stopped (killed or out of memory); "
                "try again, or a smaller network"
            )
        return pickle.loads(blob)

    def stop(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Workers:
    """``n`` worker processes, each computing one request at a time.

    They start one after the other in a background thread as soon as the pool is made,
    each running ``init`` (``"module:function"``: imports, warm-up) before it takes
    requests. A request that finds no worker running yet (the pool is starting, or its
    workers were lost and their replacements are starting) runs in the calling thread
    rather than wait for a start, so the first visitors of a fresh server wait for no
    import; while workers run and are all busy, a request waits for one. Functions that do
    not pickle by reference (lambdas, local functions) run in the calling thread.
    """

    def __init__(self, n: int, init: str = ""):
        if n < 1:
            raise ValueError(f"a worker pool needs n >= 1, got {n}")
        self.n = int(n)
        self.init = init
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()
        self._starting = 0
        self._closed = False
        self._lock = threading.Lock()
        self._start(self.n)

    def _start(self, k: int) -> None:
        with self._lock:
            if self._closed:
                return
            self._starting += k
        threading.Thread(target=self._starter, args=(k,), daemon=True).start()

    def _starter(self, k: int) -> None:
        ping = pickle.dumps((os.getpid, ()), protocol=pickle.HIGHEST_PROTOCOL)
        for _ in range(k):
            worker = None
            try:
                worker = _Worker(self.init)
                worker.ask(ping)  # answered once its init is done
            except Exception:  # noqa: BLE001 - a worker that cannot start is not used
                worker = None
            with self._lock:
                self._starting -= 1
                if worker is not None and self._closed:
                    worker.stop()
                    worker = None
                if worker is not None:
                    self._all.add(worker)
            if worker is not None:
                self._idle.put(worker)

    def ready(self, timeout: float = 120.0) -> bool:
        """Wait until no worker is starting (``True``) or ``timeout`` seconds passed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._starting == 0:
                    return True
            time.sleep(0.02)
        return False

    def _take(self) -> _Worker | None:
        """An idle worker (waiting while every running worker is busy); ``None`` when no
        worker runs."""
        while True:
            try:
                return self._idle.get(timeout=0.25)
            except queue.Empty:
                with self._lock:
                    if not self._all:
                        return None

    def pickled(self, fn: Callable, args: tuple) -> bytes:
        """``fn(*args)`` pickled, computed in a worker (errors of ``fn`` propagate)."""
        try:
            request = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError):
            request = None
        worker = self._take() if request is not None else None
        if worker is None:
            return pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            ok, value = worker.ask(request)
        except WorkerLost:
            with self._lock:
                self._all.discard(worker)
            self._start(1)  # a replacement
            raise
        self._idle.put(worker)
        if not ok:
            raise value
        return value

    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        with self._lock:
            return sorted(w.proc.pid for w in self._all)

    def shutdown(self) -> None:
        """Stop the workers (call it when none is busy); the pool is not used again."""
        self.ready()
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for w in workers:
            w.stop()


if __name__ == "__main__":
    serve(sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--init" else "")
