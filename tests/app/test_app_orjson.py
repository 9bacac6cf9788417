"""``orjson`` is installed and is what serializes the charts (``plotly.io.to_json``'s
"auto" engine, called by ``st.plotly_chart``), with the same JSON as the standard one."""

import json

import orjson
import plotly.io as pio
from apphelpers import assert_clean, charts, open_page

from fpsnn_app.presets import NEURON
from fpsnn_app.scenes.neuron import neuron_scene


def test_charts_are_serialized_by_orjson(monkeypatch):
    calls = []
    dumps = orjson.dumps

    def counting(*args, **kwargs):
        calls.append(1)
        return dumps(*args, **kwargs)

    monkeypatch.setattr(orjson, "dumps", counting)
    at = open_page("neuron")
    assert_clean(at)
    assert len(calls) >= len(charts(at)) >= 1


def test_orjson_gives_the_same_figure():
    fig = neuron_scene(
        NEURON.inputs, NEURON.weights, NEURON.tau_s, NEURON.tau_n, NEURON.theta, NEURON.t_max
    ).chart.fig
    assert pio.json.config.default_engine in ("auto", "orjson")
    fast = json.loads(pio.to_json(fig, validate=False, engine="orjson"))
    plain = json.loads(pio.to_json(fig, validate=False, engine="json"))
    assert fast == plain
