"""The scene cache (:mod:`fpsnn_app.scene_cache`): shared results within a byte budget."""

from __future__ import annotations

import pickle
import threading
import time

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
