"""Serving many users from one server: bounded caches, and no state shared by sessions.

Streamlit runs every browser tab as its own session in one Python process. Anything kept
per user must live in ``st.session_state``; the caches (``st.cache_data``,
``st.cache_resource``, ``functools.lru_cache``) are shared by all sessions and must be
bounded, or a server that serves a class for an hour grows without limit.
"""

from __future__ import annotations

import ast

from apphelpers import ROOT, assert_clean, figure, link, metric, open_page

import fpsnn_core as fp

SOURCES = (
    sorted((ROOT / "fpsnn_app").rglob("*.py"))
    + sorted((ROOT / "app_pages").glob("*.py"))
    + [ROOT / "app.py"]
)
STREAMLIT_CACHES = {"cache_data", "cache_resource"}
LRU_CACHES = {"lru_cache", "cache"}


def _name(node) -> str:
    """``st.cache_data`` -> ``cache_data``; ``lru_cache`` -> ``lru_cache``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def unbounded_caches(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` makes a cache with no bound: ``st.cache_data`` / ``st.cache_resource``
    without ``max_entries`` (a bare decorator, or a call without it or with
    ``max_entries=None``), ``functools.cache``, or ``lru_cache`` with ``maxsize=None``."""
    tree = ast.parse(source, filename)
    out = []
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            name = _name(node.func)
            kw = {k.arg: k.value for k in node.keywords}
            if name in STREAMLIT_CACHES:
                bound = kw.get("max_entries")
                if bound is None or (isinstance(bound, ast.Constant) and bound.value is None):
                    out.append(f"{where}: {name} without max_entries")
            elif name == "lru_cache":
                size = kw.get("maxsize", node.args[0] if node.args else None)
                if isinstance(size, ast.Constant) and size.value is None:
                    out.append(f"{where}: lru_cache(maxsize=None)")
        elif isinstance(node, (ast.Attribute, ast.Name)) and id(node) not in calls:
            name = _name(node)
            # a bare decorator or a reference used as a function (st.cache_data(fn)
            # is a Call, caught above); "cache" alone only as functools' decorator
            if name in STREAMLIT_CACHES and isinstance(getattr(node, "ctx", None), ast.Load):
                if _is_decorator(tree, node):
                    out.append(f"{where}: bare @{name} (no max_entries)")
            elif name in LRU_CACHES and _is_decorator(tree, node):
                out.append(f"{where}: @{name} without maxsize")
    return out


def _is_decorator(tree, node) -> bool:
    return any(node in getattr(f, "decorator_list", ()) for f in ast.walk(tree))


def test_the_scan_finds_unbounded_caches():
    bad = (
        "import functools, streamlit as st\n"
        "@st.cache_data\ndef a(x): return x\n"
        "@st.cache_resource(ttl=60)\ndef b(x): return x\n"
        "c = st.cache_data(len, max_entries=None)\n"
        "@functools.lru_cache(maxsize=None)\ndef d(x): return x\n"
        "@functools.cache\ndef e(x): return x\n"
    )
    found = unbounded_caches(bad)
    assert len(found) == 5, found
    good = (
        "import functools, streamlit as st\n"
        "@st.cache_data(max_entries=8, ttl=600)\ndef a(x): return x\n"
        "c = st.cache_data(len, max_entries=64)\n"
        "@functools.lru_cache(maxsize=4)\ndef d(x): return x\n"
    )
    assert unbounded_caches(good) == []


def test_every_cache_of_the_app_is_bounded():
    assert len(SOURCES) > 20
    found = [
        hit
        for path in SOURCES
        for hit in unbounded_caches(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == []


def _upload(at, name="class-demo.json"):
    net = fp.Network([[6.0, 0.0], [0.0, 3.0], [0.0, 0.0]], 1, 0.5, 1.0, 1.0)
    at.file_uploader(key="net.upload").set_value(
        (name, fp.to_json(net, [[0.2, 0.9]], 3.0).encode(), "application/json")
    )
    return at.run()


def _seen(at) -> dict:
    return {
        "motif": at.selectbox(key="motif").value,
        "options": tuple(at.selectbox(key="motif").options),
        "spikes": metric(at, "Spikes"),
        "link": link(at),
        "figure": figure(at, 0),
    }


def test_one_sessions_motif_edits_and_upload_stay_in_that_session():
    fresh = _seen(open_page("network"))
    # session A: another motif with a weight edit from its link, then an upload
    a = open_page("network", {"motif": "Recurrent pair", "edits": "2_0_2.5"})
    assert_clean(a)
    edited = _seen(a)
    assert edited["motif"] != fresh["motif"] and "edits" in edited["link"]
    _upload(a)
    assert_clean(a)
    assert a.selectbox(key="motif").value == "uploaded"
    # session B opened afterwards on the same server process sees none of it
    b = open_page("network")
    assert_clean(b)
    assert _seen(b) == fresh
    assert not any("class-demo" in o for o in b.selectbox(key="motif").options)
    # ... and B's run does not disturb A
    a.run()
    assert a.selectbox(key="motif").value == "uploaded"
    assert any("class-demo" in o for o in a.selectbox(key="motif").options)


def test_one_sessions_training_progress_stays_in_that_session():
    a = open_page("training", {"training.task": "XOR"})
    a.button(key="training.step").click().run()
    assert_clean(a)
    assert metric(a, "Epoch") == "1"
    b = open_page("training", {"training.task": "XOR"})
    assert_clean(b)
    assert metric(b, "Epoch") == "0"
    a.run()
    assert metric(a, "Epoch") == "1"
