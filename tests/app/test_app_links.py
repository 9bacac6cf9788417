"""Complete, exact links: every control of every page is bound to the URL, and opening a
page's link in a fresh session shows the same numbers."""

import numpy as np
import pytest
from apphelpers import assert_clean, figure, link, metric, open_page, reopen, values, walk_elements
from streamlit.testing.v1.element_tree import Button, DownloadButton, FileUploader, Widget

import fpsnn_core as fp
from fpsnn_app.presets import T_MAX, motif_network
from fpsnn_app.registry import PAGES
from fpsnn_app.urlstate import NETWORK_LINK_LIMIT, decode_edits

#: Widgets that cannot be bound to the URL in Streamlit 1.67: actions, not state.
UNBOUND = (Button, DownloadButton, FileUploader)


@pytest.mark.parametrize("entry", PAGES, ids=[p.name for p in PAGES])
def test_every_widget_is_bound_to_the_url(entry):
    at = open_page(entry.name)
    widgets = [
        el for el in walk_elements(at) if isinstance(el, Widget) and not isinstance(el, UNBOUND)
    ]
    assert widgets
    unbound = [
        (type(w).__name__, w.key) for w in widgets if not w.key or w.proto.query_param_key != w.key
    ]
    assert not unbound, f"{entry.name}: widgets not in the link: {unbound}"
    if entry.name == "training":
        assert any("not the training progress" in c.value for c in at.caption)


def test_eventprop_replay_and_neurons_are_in_the_link():
    at = open_page("eventprop", {"eventprop.replay": "4"})
    at.multiselect(key="eventprop.neurons").set_value([3]).run()
    assert_clean(at)
    q = link(at)
    assert q["eventprop.replay"] == "4" and q["eventprop.neurons"] == "n3"
    again = reopen(at)
    assert_clean(again)
    assert figure(again, 0)["layout"]["sliders"][0]["active"] == 4  # opens on step 4
    assert figure(again, 0) == figure(at, 0) and figure(again, 1) == figure(at, 1)


def test_neuron_equation_choice_is_in_the_link():
    at = open_page("neuron")
    box = at.selectbox(key="neuron.k")
    assert len(box.options) >= 2
    box.set_value(1).run()
    assert_clean(at)
    assert link(at)["neuron.k"] == "f2"
    again = reopen(at)
    assert again.latex[0].value == at.latex[0].value and "f_{2}" in at.latex[0].value


def test_weight_edits_are_exact_in_the_link():
    w = 2.2000000000000313  # differs from 2.2 in the 14th digit
    at = open_page("network", {"motif": "Recurrent pair", "edits": f"2_0_{w!r}"})
    assert_clean(at)
    assert decode_edits(link(at)["edits"], (3, 2)) == {(2, 0): w}
    net, wiring = motif_network("recurrent_pair", 0)
    W = np.array(net.weights)
    W[2, 0] = w
    exact = fp.simulate(
        fp.Network(W, 1, net.tau_s, net.tau_n, net.theta, net.mask), wiring.inputs, T_MAX
    )
    spikes = next(tr for tr in figure(at, 0)["data"] if tr.get("name") == "spikes")
    assert np.array_equal(values(spikes["x"]), exact.spike_times)
    again = reopen(at)
    assert figure(again, 0) == figure(at, 0)


def _upload(at, net, inputs, name="mine.json"):
    doc = fp.to_json(net, inputs, 3.0).encode()
    at.file_uploader(key="net.upload").set_value((name, doc, "application/json"))
    return at.run()


def test_small_upload_travels_in_the_link():
    at = open_page("network")
    net = fp.Network([[6.0, 0.0], [0.0, 3.0], [0.0, 0.0]], 1, 0.5, 1.0, 1.0)
    _upload(at, net, [[0.2, 0.9]])
    assert_clean(at)
    assert "net" in link(at) and len(link(at)["net"]) <= NETWORK_LINK_LIMIT
    again = reopen(at)
    assert_clean(again)
    assert again.selectbox(key="motif").value == "uploaded"
    assert metric(again, "Spikes") == metric(at, "Spikes")
    assert figure(again, 0) == figure(at, 0)


def test_large_upload_is_not_in_the_link_and_the_page_says_so():
    at = open_page("network")
    rng = np.random.default_rng(1)
    net = fp.Network(rng.normal(0, 0.3, (44, 40)) * (1 - np.eye(44, 40, -4)), 4, 0.5, 1.0, 1.0)
    _upload(at, net, [[0.2], [0.4], [0.6], [0.8]])
    assert not at.exception
    assert "net" not in link(at)
    assert any("too large for a link" in w.value for w in at.warning)
    again = reopen(at)
    assert_clean(again)
    assert any("not in it" in i.value for i in again.info)


def test_damaged_network_in_the_link_is_a_message():
    at = open_page("network", {"net": "eJwDAAAAAAE", "motif": "Uploaded: x.json"})
    assert not at.exception
    assert any("Ignoring the network in the link" in w.value for w in at.warning)
    assert at.selectbox(key="motif").value != "uploaded"
