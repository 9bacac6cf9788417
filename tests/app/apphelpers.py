"""Helpers of the app tests: run a page under AppTest and read what it shows."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from fpsnn_app.registry import PAGES, page

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


# --- AppTest -------------------------------------------------------------------------
def open_page(name: str, query: dict | None = None, timeout: float = 60) -> AppTest:
    """Run the app on page ``name`` (file stem in the registry), with URL ``query``."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    entry = page(name)
    if entry.url_path:  # AppTest starts on the default page
        at.run()
        at.switch_page(entry.path)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def charts(at: AppTest) -> list:
    """The Plotly charts of the current run."""
    return list(at.get("plotly_chart"))


def figure(at: AppTest, i: int) -> dict:
    """The ``i``-th Plotly chart's figure as a dict (``proto.spec``)."""
    return json.loads(charts(at)[i].proto.spec)


def values(v) -> np.ndarray:
    """A trace's ``x``/``y``/``z`` as an array: Plotly may encode arrays as base64, and
    ``None`` (a gap) becomes ``NaN``; non-numeric data stays an object array."""
    if isinstance(v, dict) and "bdata" in v:
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            arr = arr.reshape([int(n) for n in str(v["shape"]).split(",")])
        return arr
    arr = np.array(v, dtype=object)
    try:
        return np.where(arr == None, np.nan, arr).astype(float)  # noqa: E711
    except (TypeError, ValueError):
        return arr


def metric(at: AppTest, label: str) -> str:
    """Value of the metric with this label."""
    for m in at.metric:
        if m.label == label:
            return m.value
    raise KeyError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def assert_clean(at: AppTest) -> None:
    """No exception and no error element on the page."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- the link a browser would show -----------------------------------------------------
def _elements(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _elements(child)


def walk_elements(at: AppTest) -> list:
    """Every element of the last run, in order (inside columns, expanders, the sidebar)."""
    return list(_elements(at._tree))


def bound_widgets(at: AppTest) -> list:
    """The widgets of the last run that are bound to a query parameter."""
    return [
        el
        for el in _elements(at._tree)
        if getattr(getattr(el, "proto", None), "query_param_key", "")
    ]


def link(at: AppTest) -> dict:
    """The query parameters of the page's link, as the browser's address bar shows them.

    AppTest keeps only the parameters the server wrote (``edits``, ``net``, corrections);
    the browser also writes every URL-bound widget's value, leaving defaults out. This adds
    them the way the server itself serializes a bound value (its URL auto-correction).
    """
    from streamlit.runtime.state.query_params import _coerce_value_for_query_url

    state = at._session_state._state
    query = dict(at.query_params)
    for el in bound_widgets(at):
        meta = state._get_widget_metadata(el.id)
        value = meta.serializer(state[el.id])
        if value == meta.serializer(meta.deserializer(None)):
            query.pop(el.proto.query_param_key, None)
        else:
            text = _coerce_value_for_query_url(value, meta.value_type)
            query[el.proto.query_param_key] = (
                text[0] if isinstance(text, list) and len(text) == 1 else text
            )
    return query


def reopen(at: AppTest, timeout: float = 60) -> AppTest:
    """A fresh session opened on ``at``'s page with ``at``'s link."""
    fresh = AppTest.from_file(APP, default_timeout=timeout)
    url_path = at._registered_pages.get(at._finished_page_script_hash, {}).get("url_pathname", "")
    if url_path:  # as open_page: a run of the default page first, without the query
        fresh.run()
        fresh.switch_page(next(p.path for p in PAGES if p.url_path == url_path))
    for key, value in link(at).items():
        fresh.query_params[key] = value
    return fresh.run()
