"""The scene cache (:mod:`fpsnn_app.scene_cache`): shared results within a byte budget."""

from __future__ import annotations

import dataclasses
import pickle
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from fpsnn_app import scene_cache
from fpsnn_app.scene_cache import SceneCache, budget_from_env

CALLS: list = []


def array_of(n: int, fill: float = 1.0) -> np.ndarray:
    CALLS.append((n, fill))
    return np.full(n, fill)


def test_hits_are_fresh_copies_and_keys_are_every_argument():
    CALLS.clear()
    cache = SceneCache(10 * 2**20)
    a = cache.call(array_of, 100, 2.0)
    a[:] = -1.0  # the caller's copy only
    b = cache.call(array_of, 100, 2.0)
    assert CALLS == [(100, 2.0)] and np.all(b == 2.0)
    b[:] = -1.0
    assert np.all(cache.call(array_of, 100, 2.0) == 2.0)
    cache.call(array_of, 100, 3.0)
    cache.call(array_of, 101, 2.0)
    assert CALLS == [(100, 2.0), (100, 3.0), (101, 2.0)]
    assert (cache.hits, cache.misses) == (2, 3)


def test_bytes_stay_within_the_budget_least_recently_used_first():
    CALLS.clear()
    one = len(pickle.dumps(np.full(10_000, 1.0), protocol=pickle.HIGHEST_PROTOCOL))
    cache = SceneCache(4 * one + one // 2)  # room for four results
    for k in range(4):
        cache.call(array_of, 10_000, float(k))
    cache.call(array_of, 10_000, 0.0)  # 0 is now the most recent
    cache.call(array_of, 10_000, 4.0)  # evicts 1, the least recent
    assert len(cache) == 4 and cache.nbytes == 4 * one <= cache.max_bytes
    CALLS.clear()
    cache.call(array_of, 10_000, 0.0)
    cache.call(array_of, 10_000, 1.0)
    assert CALLS == [(10_000, 1.0)]
    for k in range(50):  # many more: the bound holds
        cache.call(array_of, 10_000, 10.0 + k)
        assert cache.nbytes <= cache.max_bytes


def test_a_result_larger_than_a_quarter_of_the_budget_is_not_kept():
    CALLS.clear()
    cache = SceneCache(100_000)
    assert cache.call(array_of, 5_000).size == 5_000  # 40 kB > 25 kB
    assert cache.call(array_of, 5_000).size == 5_000
    assert len(cache) == 0 and len(CALLS) == 2


def test_errors_are_not_cached():
    cache = SceneCache(2**20)
    tries = []

    def flaky(x):
        tries.append(x)
        if len(tries) == 1:
            raise ValueError("first time")
        return x

    with pytest.raises(ValueError, match="first time"):
        cache.call(flaky, 1)
    assert cache.call(flaky, 1) == 1 and cache.call(flaky, 1) == 1
    assert tries == [1, 1]


def test_sessions_asking_for_one_key_at_once_share_one_computation():
    cache = SceneCache(2**20)
    started = []

    def slow(x):
        started.append(x)
        time.sleep(0.3)
        return x * 2

    out = []
    threads = [threading.Thread(target=lambda: out.append(cache.call(slow, 21))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert out == [42] * 8 and started == [21]


def test_budget_from_the_environment():
    assert budget_from_env({}) == scene_cache.DEFAULT_MB * 2**20
    assert budget_from_env({"FPSNN_SCENE_CACHE_MB": "64"}) == 64 * 2**20
    assert budget_from_env({"FPSNN_SCENE_CACHE_MB": "0"}) == 0
    for bad in ("-1", "lots", "nan"):
        with pytest.raises(ValueError, match="FPSNN_SCENE_CACHE_MB"):
            budget_from_env({"FPSNN_SCENE_CACHE_MB": bad})


def test_requests_run_here_until_a_worker_has_started():
    import os

    w = scene_cache.Workers(1, init="fpsnn_app.warm:prepare_worker")  # seconds of imports
    try:
        assert SceneCache(2**20, workers=w).call(os.getpid) == os.getpid()
        assert w.ready()
        assert SceneCache(2**20, workers=w).call(os.getpid) == w.pids()[0] != os.getpid()
    finally:
        w.shutdown()


def test_workers_from_the_environment():
    assert scene_cache.workers_from_env({}) == scene_cache.DEFAULT_WORKERS
    assert scene_cache.workers_from_env({"FPSNN_SCENE_WORKERS": "0"}) == 0
    assert scene_cache.workers_from_env({"FPSNN_SCENE_WORKERS": " 3 "}) == 3
    for bad in ("-1", "two", "1.5"):
        with pytest.raises(ValueError, match="FPSNN_SCENE_WORKERS"):
            scene_cache.workers_from_env({"FPSNN_SCENE_WORKERS": bad})
    with pytest.raises(ValueError, match="n >= 1"):
        scene_cache.Workers(0)


@pytest.fixture(scope="module")
def workers():
    w = scene_cache.Workers(1, init="fpsnn_app.warm:prepare_worker")  # as a server does
    assert w.ready()
    yield w
    w.shutdown()


def test_a_worker_computes_misses_in_another_process_and_the_result_is_kept(workers):
    import os

    import fpsnn_core as fp
    from fpsnn_app.scenes.home import DEFAULT_DW, DEFAULT_W, home_scene

    cache = SceneCache(64 * 2**20, workers=workers)
    pid = cache.call(os.getpid)
    assert pid != os.getpid() and workers.pids() == [pid]
    assert cache.call(os.getpid) == pid and (cache.hits, cache.misses) == (1, 1)
    # a scene from a worker is the scene computed here, number for number
    there = cache.call(home_scene, DEFAULT_W, DEFAULT_DW)
    here = home_scene(DEFAULT_W, DEFAULT_DW)
    assert type(there) is type(here)
    for name in dataclasses.fields(here):
        a, b = getattr(here, name.name), getattr(there, name.name)
        assert pickle.dumps(a) == pickle.dumps(b), name.name
    # a function that is not at a module's top level runs here
    CALLS.clear()

    def local(n):
        CALLS.append(n)
        return os.getpid()

    assert cache.call(local, 1) == os.getpid() and CALLS == [1]
    # the core's errors arrive as themselves, with their message, and are not cached
    net = fp.Network(np.array([[3.0], [0.0]]), n_inputs=1, tau_s=1.0, tau_n=2.0)
    for _ in range(2):
        with pytest.raises(fp.ArgumentTypeError, match="t_max must be a number, got 'x'"):
            cache.call(fp.simulate, net, [np.array([1.0])], "x")
    assert cache.misses == 5


def test_a_worker_that_dies_takes_only_its_call_and_the_next_call_gets_a_new_one(workers):
    import os

    before = SceneCache(2**20, workers=workers).call(os.getpid)
    cache = SceneCache(2**20, workers=workers)
    with pytest.raises(scene_cache.WorkerLost, match="stopped"):
        cache.call(os._exit, 3)  # the worker exits without an answer
    assert workers.pids() == []
    assert cache.call(os.getppid) == os.getppid()  # no worker: computed here meanwhile
    assert workers.ready()  # its replacement has started
    after = cache.call(os.getpid)
    assert after not in (before, os.getpid()) and workers.pids() == [after]
    assert cache.call(os.getpid) == after and len(cache) == 2  # kept; the failure was not


def test_a_worker_exits_when_its_server_dies_without_cleaning_up(tmp_path):
    import os
    import subprocess
    import sys

    script = (
        "import os\n"
        "from fpsnn_app.scene_worker import Workers\n"
        "w = Workers(1)\n"
        "w.ready()\n"
        "print(w.pickled(os.getpid, ()) and w.pids()[0], flush=True)\n"
        "os._exit(0)\n"  # no shutdown, no atexit: as a killed server
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return  # gone
        if state == "Z":
            return  # exited (a zombie until init reaps it)
        time.sleep(0.1)
    os.kill(pid, 9)
    pytest.fail(f"worker {pid} outlived its server by 20 s")
