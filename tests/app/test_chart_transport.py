"""A chart crosses the cache as its JSON text and reaches the browser unchanged.

``Chart`` pickles to Plotly's JSON of its figure; ``ui.chart`` sends that text through
``st.plotly_chart`` without rebuilding a Plotly figure. These tests check that what the
browser receives is byte for byte what ``st.plotly_chart`` made of the figure itself
(validated, ``to_dict()``), for figures of every kind the pages draw (plain dicts, Plotly
objects, frames and sliders, subplots, numpy arrays sent as typed arrays), and that the
figure read back from a cached copy is the same figure.
"""

from __future__ import annotations

import json
import pickle
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from fpsnn_app.figures.common import plain_figure, sendable
from fpsnn_app.scenes.common import Chart


def _figures():
    x = np.linspace(0.0, 1.0, 7)
    objects = go.Figure(go.Scatter(x=x, y=np.sin(x), name="sin"))
    objects.update_layout(title="objects", xaxis_title="t")
    plain = plain_figure(
        [{"type": "heatmap", "z": np.arange(6.0).reshape(2, 3)}],
        {"title": {"text": "plain"}, "height": 300},
    )
    frames = go.Figure(
        go.Scatter(x=[0, 1], y=[0, 1]),
        frames=[go.Frame(data=[go.Scatter(x=[0, 1], y=[k, 1])], name=str(k)) for k in range(3)],
    )
    frames.update_layout(
        sliders=[
            {
                "steps": [
                    {"args": [[str(k)]], "method": "animate", "label": str(k)} for k in range(3)
                ]
            }
        ]
    )
    return {"objects": objects, "plain": plain, "frames": frames}


@pytest.mark.parametrize("name", ["objects", "plain", "frames"])
def test_sent_spec_is_what_plotly_chart_made_of_the_figure(name):
    fig = _figures()[name]
    before = pio.to_json(fig.to_dict(), validate=False)  # st.plotly_chart's own path
    chart = Chart(fig, "alt", "summary")
    assert chart.json == before
    copy = pickle.loads(pickle.dumps(chart))  # a cache hit
    assert copy._fig is None  # no figure rebuilt ...
    assert pio.to_json(sendable(copy.spec()), validate=False) == before  # ... to send it
    assert copy.fig.to_dict() == fig.to_dict()  # read back when asked for
    assert (copy.alt, copy.summary) == ("alt", "summary")
    if name == "frames":
        assert len(copy.fig.frames) == 3 and copy.fig.layout.sliders


def test_chart_is_read_only_and_needs_a_figure():
    chart = Chart(_figures()["plain"], "a", "s")
    with pytest.raises(AttributeError):
        chart.alt = "b"
    with pytest.raises(ValueError):
        Chart(None, "a", "s")


def test_streamlit_receives_the_same_spec_as_from_the_figure():
    """Through Streamlit itself: one script draws a figure with ``st.plotly_chart`` and
    the cached copy of its chart with ``ui.chart``; both elements carry the same spec."""

    def script():
        import pickle

        import numpy as np
        import plotly.graph_objects as go
        import streamlit as st

        from fpsnn_app import ui
        from fpsnn_app.scenes.common import Chart

        x = np.linspace(0.0, 2.0, 9)
        fig = go.Figure(go.Scatter(x=x, y=x**2, mode="lines+markers"))
        fig.update_layout(title="square")
        st.plotly_chart(fig, key="direct")
        ui.chart(pickle.loads(pickle.dumps(Chart(fig, "alt", "one line"))), key="cached")

    at = AppTest.from_function(script).run()
    assert not at.exception
    direct, cached = at.get("plotly_chart")
    assert json.loads(cached.proto.spec) == json.loads(direct.proto.spec)
    assert cached.proto.spec == direct.proto.spec


def test_download_of_a_cached_chart_is_its_figure_as_standalone_html():
    """``ui.downloads`` takes charts: the HTML (built when clicked) holds the figure's data
    and plotly.js inlined, with the export template."""
    from fpsnn_app.ui import figure_html

    fig = _figures()["objects"]
    copy = pickle.loads(pickle.dumps(Chart(fig, "alt", "summary")))
    html = figure_html(copy)()
    assert copy._fig is not None  # rebuilt for the download only
    assert html.startswith("<!doctype html>") and '<script src="http' not in html
    assert len(html) > 1_000_000  # plotly.js inlined
    assert re.search(r'"name":\s*"sin"', html) and re.search(r'"text":\s*"objects"', html)
