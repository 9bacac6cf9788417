"""Bad uploads never crash a page: the upload is refused with a message naming
the problem, and every network page keeps working for the rest of the session."""

import json

from apphelpers import assert_clean, metric, open_page

import fpsnn_core as fp
from fpsnn_app.presets import output_neurons
from fpsnn_app.registry import page

NET = fp.Network([[6.0, 0.0], [0.0, 3.0], [0.0, 0.0]], 1, 0.5, 1.0, 1.0)


def _doc(**fields):
    doc = json.loads(fp.to_json(NET, [[0.2, 0.9]], 3.0))
    doc.update(fields)
    return json.dumps(doc).encode()


BAD = {
    "outputs-null.json": (_doc(meta={"outputs": [None]}), "must be an integer"),
    "outputs-str.json": (_doc(meta={"outputs": ["a"]}), "must be an integer"),
    "outputs-list.json": (_doc(meta={"outputs": [[1]]}), "must be an integer"),
    "deep.json": (
        _doc()[:-1] + b', "meta": {"x": ' + b"[" * 3000 + b"]" * 3000 + b"}}",
        "nested too deeply",
    ),
    "empty-layer.json": (_doc(layers=[[]]), "layer 0 must name at least one neuron"),
}


def test_bad_uploads_are_refused_and_every_page_still_works():
    at = open_page("network")
    for name, (data, match) in BAD.items():
        at.file_uploader(key="net.upload").set_value((name, data, "application/json"))
        at.run()
        assert not at.exception, (name, [e.message for e in at.exception])
        errors = [e.value for e in at.error]
        assert any(name in e and match in e for e in errors), (name, errors)
        assert at.selectbox(key="motif").value != "uploaded"
    # a UTF-8 byte order mark is fine (fp.load accepts the same bytes)
    at.file_uploader(key="net.upload").set_value(
        ("bom.json", b"\xef\xbb\xbf" + _doc(), "application/json")
    )
    at.run()
    assert_clean(at)
    assert at.selectbox(key="motif").value == "uploaded"
    assert int(metric(at, "Spikes")) == fp.simulate(NET, [[0.2, 0.9]], 3.0).n_spikes
    for name in ("gradient_check", "eventprop", "jacobian", "surrogate"):
        at.switch_page(page(name).path)
        at.run()
        assert not at.exception, (name, [e.message for e in at.exception])


def test_output_neurons_ignore_bad_meta():
    net = fp.Network([[6.0, 0.0], [0.0, 3.0], [0.0, 0.0]], 1, layers=[[0], [1]])
    for meta in (
        {"outputs": [None]},
        {"outputs": ["a"]},
        {"outputs": [[1]]},
        {"outputs": []},
        {"outputs": [5]},
        {"outputs": "1"},
        {"outputs": [1, 1]},
    ):
        assert output_neurons(net, meta) == (1,)
    assert output_neurons(net, {"outputs": [0]}) == (0,)
