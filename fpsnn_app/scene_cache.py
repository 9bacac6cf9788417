"""The scenes' cache of a server process: shared by every session, bounded in bytes.

A class follows the lecturer, so most students ask for views someone computed a moment
ago: each scene function's result is kept, keyed by the function and every argument, and
shared by all sessions of the server process. It is kept as a pickle, so each caller gets
a fresh copy (as ``st.cache_data`` hands out) and the cache's size is known exactly: the
pickles together stay within ``max_bytes``, the least recently used going first. Entry
counts alone (``st.cache_data``'s ``max_entries``) do not bound memory: one student on the
largest networks the app accepts makes results of several megabytes each, and 64 of them
per scene function grew a server by 0.9 GB in a minute (``bench/bench_load.py --heavy 1``).

While one session computes a key, another asking for the same key waits for that result
instead of computing it again (30 students moving to the lecturer's value at once cost one
computation). Errors are not cached: the next call tries again.

A server computes its misses in worker processes
(:class:`~fpsnn_app.scene_worker.Workers`, ``FPSNN_SCENE_WORKERS``, default 2): a scene computed in the server process holds the GIL that every session's
rerun needs, so one student on a large network (a second of simulation per view) would
stall the class's reruns; in a worker it runs on another core and the server process only
receives the pickle it keeps anyway. A worker that dies (killed, out of memory) takes only
its computation with it: the caller gets :class:`~fpsnn_app.scene_worker.WorkerLost` and
the next call starts a new worker. Without workers (``0``, or under ``AppTest``) misses are computed in the
calling thread.

No Streamlit here; :func:`fpsnn_app.ui.cached_call` is the pages' entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from .scene_worker import WorkerLost, Workers  # noqa: F401  (WorkerLost: for callers)

T = TypeVar("T")

#: Default budget, MiB: ``FPSNN_SCENE_CACHE_MB`` in the server's environment overrides it.
DEFAULT_MB = 256
#: Default number of worker processes: ``FPSNN_SCENE_WORKERS`` overrides it (0: none).
DEFAULT_WORKERS = 2


class SceneCache:
    """A least-recently-used cache of pickled results within ``max_bytes``.

    A result whose pickle alone exceeds a quarter of the budget is returned but not kept.
    Misses are computed by ``workers`` when given (:meth:`use_workers`), else in the
    calling thread.
    """

    def __init__(self, max_bytes: int, workers: Workers | None = None):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[bytes, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[bytes, threading.Lock] = {}
        self.hits = self.misses = 0
        self.workers = workers

    def use_workers(self, workers: Workers | None) -> None:
        """Compute later misses with ``workers`` (``None``: in the calling thread)."""
        self.workers = workers

    @property
    def nbytes(self) -> int:
        """Bytes of the pickles kept."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def _get(self, key: bytes) -> bytes | None:
        with self._lock:
            blob = self._items.get(key)
            if blob is not None:
                self._items.move_to_end(key)
                self.hits += 1
            return blob

    def _put(self, key: bytes, blob: bytes) -> None:
        if len(blob) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= len(old) if old is not None else 0
            self._items[key] = blob
            self._bytes += len(blob)
            while self._bytes > self.max_bytes:
                _, gone = self._items.popitem(last=False)
                self._bytes -= len(gone)

    def call(self, fn: Callable[..., T], *args) -> T:
        """``fn(*args)``, from the cache when kept (a fresh copy each time)."""
        key = _key(fn, args)
        blob = self._get(key)
        if blob is not None:
            return pickle.loads(blob)
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:  # one computation of a key at a time
            blob = self._get(key)
            if blob is not None:
                return pickle.loads(blob)
            try:
                with self._lock:
                    self.misses += 1
                workers = self.workers
                if workers is None:
                    value = fn(*args)
                    self._put(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                    return value
                blob = workers.pickled(fn, args)
                self._put(key, blob)
                return pickle.loads(blob)
            finally:
                with self._lock:
                    if self._computing.get(key) is gate:
                        del self._computing[key]

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._items.clear()
            self._bytes = 0


def _key(fn: Callable, args: tuple) -> bytes:
    """The function's qualified name and a digest of its pickled arguments."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    return (
        name.encode()
        + b":"
        + hashlib.blake2b(
            pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL), digest_size=20
        ).digest()
    )


def budget_from_env(environ=os.environ) -> int:
    """The budget in bytes: ``FPSNN_SCENE_CACHE_MB`` (MiB, >= 0) or :data:`DEFAULT_MB`."""
    text = environ.get("FPSNN_SCENE_CACHE_MB", "")
    try:
        mb = float(text) if text else DEFAULT_MB
    except ValueError:
        mb = -1.0
    if not mb >= 0:
        raise ValueError(f"FPSNN_SCENE_CACHE_MB must be a number of MiB >= 0, got {text!r}")
    return int(mb * 2**20)


def workers_from_env(environ=os.environ) -> int:
    """Worker processes: ``FPSNN_SCENE_WORKERS`` (an integer >= 0) or
    :data:`DEFAULT_WORKERS`."""
    text = environ.get("FPSNN_SCENE_WORKERS", "").strip()
    try:
        n = int(text) if text else DEFAULT_WORKERS
    except ValueError:
        n = -1
    if n < 0:
        raise ValueError(f"FPSNN_SCENE_WORKERS must be an integer >= 0, got {text!r}")
    return n


#: The server process's cache (one per process: each Streamlit process behind the balancer
#: has its own).
SCENES = SceneCache(budget_from_env())
