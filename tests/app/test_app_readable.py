"""Readable on a projector, checked on what the pages send to the browser: figure JSON and
page text under AppTest.

Each test failed before its fix: a see-through zero of the diverging scale, minor log ticks
reading "2" and "5", node labels as 11 px trace text under the edges and the selection
ring, 184 labels and tangents on one neuron, a message asking for a ``max_spikes`` control
the app lacks, an intro pointing "below" at a selector above, a clipped table column.
"""

from __future__ import annotations

import json

import numpy as np
from apphelpers import assert_clean, figure, open_page, values

from fpsnn_app import style
from fpsnn_app.figures.network import RING_RADIUS
from fpsnn_app.figures.neuron import MAX_MARKED


def _rgba(color: str) -> tuple[float, float, float, float]:
    color = color.strip()
    if color.startswith("#"):
        h = color[1:]
        return (*(int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)), 1.0)
    inner = color[color.index("(") + 1 : color.rindex(")")].split(",")
    r, g, b = (float(x) / 255 for x in inner[:3])
    return r, g, b, float(inner[3]) if len(inner) > 3 else 1.0


def _luminance(rgb) -> float:
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in rgb]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast_on(color: str, background: str) -> float:
    """WCAG contrast ratio of ``color`` painted (alpha-blended) on ``background``."""
    r, g, b, a = _rgba(color)
    bg = _rgba(background)[:3]
    seen = [a * x + (1 - a) * y for x, y in zip((r, g, b), bg)]
    lo, hi = sorted((_luminance(seen), _luminance(bg)))
    return (hi + 0.05) / (lo + 0.05)


def _diverging_heatmaps(fig: dict) -> list[dict]:
    return [tr for tr in fig["data"] if tr.get("type") == "heatmap" and tr.get("zmid") == 0]


def _assert_zero_visible(fig: dict) -> None:
    maps = _diverging_heatmaps(fig)
    assert maps, "expected a diverging heatmap"
    for tr in maps:
        stops = dict((float(p), c) for p, c in tr["colorscale"])
        for theme, bg in style.BACKGROUNDS.items():
            # the colour of zero, and of values within 10 % of the range around it
            for pos in (0.45, 0.5, 0.55):
                near = min(stops, key=lambda p: abs(p - pos))
                assert contrast_on(stops[near], bg) >= 1.5, (theme, pos, stops[near])


def test_diverging_heatmaps_show_zero_on_both_themes():
    at = open_page("jacobian")
    assert_clean(at)
    figs = [figure(at, i) for i in range(len(at.get("plotly_chart")))]
    with_maps = [f for f in figs if _diverging_heatmaps(f)]
    assert len(with_maps) >= 2  # L and the FP replay
    for fig in with_maps:
        _assert_zero_visible(fig)
    at = open_page("eventprop")
    assert_clean(at)
    sweeps = figure(at, 1)  # FP replay: dF/dW beside EventProp's eps
    _assert_zero_visible(sweeps)


def test_log_axes_label_minor_ticks_in_full():
    at = open_page("surrogate")
    assert_clean(at)
    log_axes = 0
    for i in range(len(at.get("plotly_chart"))):
        layout = figure(at, i)["layout"]
        for name, axis in layout.items():
            if name.startswith(("xaxis", "yaxis")) and axis.get("type") == "log":
                log_axes += 1
                assert axis.get("minorloglabels") == "complete", name
    assert log_axes >= 5


def test_causal_graph_labels_are_large_and_above_edges_and_ring():
    at = open_page("network", {"network.spike": "n1.1"})
    assert_clean(at)
    graph = figure(at, 0)
    assert any(tr.get("marker", {}).get("symbol") == "circle-open" for tr in graph["data"])
    nodes = [tr for tr in graph["data"] if tr.get("name") == "spikes"][0]
    labels = [a for a in graph["layout"].get("annotations", ()) if a["text"] in nodes["text"]]
    assert len(labels) == len(nodes["text"])  # every spike labelled, as an annotation
    for a in labels:
        assert a["font"]["size"] >= 14
        assert abs(a["yshift"]) > RING_RADIUS  # below the selection ring, not under it
        assert a.get("bgcolor")
    assert not any("text" in (tr.get("mode") or "") for tr in graph["data"])


def test_many_spikes_get_thinned_labels_and_tangents():
    at = open_page("neuron", {"neuron.theta": "0.1", "neuron.w0": "8.0", "neuron.w1": "8.0"})
    assert_clean(at)
    fig = figure(at, 0)
    marks = [tr for tr in fig["data"] if tr.get("name") == "V(f)=θ"][0]
    n = len(values(marks["x"]))
    assert n > 150  # 181 spikes, as the issue saw
    labelled = [t for t in marks["text"] if t]
    assert 5 <= len(labelled) <= MAX_MARKED
    tangent = [tr for tr in fig["data"] if tr.get("name") == "slope V'(f-)"][0]
    segments = int(np.sum(np.isnan(values(tangent["x"]))))
    assert 5 <= segments <= MAX_MARKED
    # a few spikes keep every label and tangent
    fig = figure(open_page("neuron"), 0)
    marks = [tr for tr in fig["data"] if tr.get("name") == "V(f)=θ"][0]
    assert all(marks["text"]) and len(marks["text"]) >= 2


def test_runaway_message_names_the_apps_own_controls():
    # two neurons exciting each other with weight 10: runaway firing
    at = open_page(
        "network",
        {"motif": "Recurrent pair", "edits": "1_1_10~2_0_10", "recurrent_pair.t_max": "20"},
    )
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "Runaway firing" in text and "(most: neuron 0, 1000 spikes)" in text
    assert "max_spikes" not in text and "max_work" not in text
    assert "t_max" in text and "θ" in text


def test_network_intro_points_at_the_selector_and_tables_fit():
    at = open_page("network")
    intro = at.markdown[0].value
    assert "below" not in intro and "Selected spike" in intro
    at = open_page("gradient_check")
    assert_clean(at)
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["FD status"]["width"] in ("medium", "large")
