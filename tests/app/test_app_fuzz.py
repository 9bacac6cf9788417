"""Model-based fuzz test of the app: seeded random walks over every page.

Each walk (``fuzzwalk.run_walk``) draws its next action from what the current page shows
(motif and constants in the network picker, sliders and number inputs at their ends or
anywhere on their grid, classes, losses and other options, toggles, malformed then valid
text, uploads of a small network and of a broken file, page switches that keep the URL as
the browser does, URL edits with out-of-range or garbage values) and checks after every
run: no exception, no error but the app's own messages, the value just set is the value
shown (or the state model says why not), a plain rerun changes nothing, and every few
steps a fresh session opened from the page's link shows the same numbers. A failure prints
the walk as a list of actions for ``fuzzwalk.replay``.

Training is walked with its cheap actions only (Step at most once, on XOR; no Play).
"""

import pytest
from apphelpers import assert_clean, link, open_page, reopen
from fuzzwalk import run_walk

import fpsnn_core as fp

#: (seed, first page, steps): the network pages and Training are starts; the walks reach
#: Home, Neuron and Derivation by page switches.
WALKS = [
    (1, "network", 12),
    (2, "jacobian", 12),
    (3, "gradient_check", 12),
    (10, "surrogate", 12),
    (5, "eventprop", 12),
    (6, "training", 12),
]


@pytest.mark.parametrize("seed, start, steps", WALKS, ids=[f"seed{s}-{p}" for s, p, _ in WALKS])
def test_random_walk(seed, start, steps):
    walk = run_walk(seed, start, steps)
    assert len(walk.actions) >= steps


# --- found by the walks -------------------------------------------------------------------
def _upload(at, name, inputs, t_max, w=6.0):
    net = fp.Network([[w, 0.0], [0.0, 3.0], [0.0, 0.0]], 1, 0.5, 1.0, 1.0)
    doc = fp.to_json(net, inputs, t_max).encode()
    at.file_uploader(key="net.upload").set_value((name, doc, "application/json"))
    return at.run()


@pytest.mark.parametrize("edited", [False, True], ids=["as-loaded", "edited"])
def test_a_second_upload_shows_its_own_inputs_and_t_max(edited):
    """Uploading another network showed the first one's input times and t_max (their
    fields are keyed ``uploaded.*`` for every upload), so the page simulated the new
    weights on the old inputs; with edited fields the link carried the old values too."""
    at = _upload(open_page("network"), "a.json", [[0.2, 0.9]], 3.0)
    if edited:
        at.text_input(key="uploaded.in0").input("0.4").run()
        at.slider(key="uploaded.t_max").set_value(4.5).run()
        assert link(at)["uploaded.in0"] == "0.4"
    _upload(at, "b.json", [[1.5]], 6.0, w=4.0)
    assert_clean(at)
    assert at.text_input(key="uploaded.in0").value == "1.5"
    assert at.slider(key="uploaded.t_max").value == 6.0
    fresh = _upload(open_page("network"), "b.json", [[1.5]], 6.0, w=4.0)
    assert [m.value for m in at.metric] == [m.value for m in fresh.metric]
    again = reopen(at)
    assert [m.value for m in again.metric] == [m.value for m in fresh.metric]


@pytest.mark.parametrize("edit", ["0_0_1e308", "3_1_5"], ids=["huge", "self-loop"])
def test_an_invalid_weight_edit_is_ignored_and_the_page_stays(edit):
    """A weight edit that makes no valid network (|w| above the core's limit, a self-loop)
    hid every network page behind one error, the Network page's "Reset weights" too, for
    the rest of the session; now it is dropped with a warning, as a malformed one is."""
    at = open_page("network", {"motif": "2-3-2 with feedback", "edits": edit})
    assert_clean(at)
    assert any("Ignoring the weight edits" in w.value for w in at.warning)
    plain = open_page("network", {"motif": "2-3-2 with feedback"})
    assert [m.value for m in at.metric] == [m.value for m in plain.metric]
    assert "edits" not in link(at)
    at.switch_page("app_pages/jacobian.py")
    at.run()
    assert_clean(at)
    assert at.metric


def test_an_invalid_weight_typed_in_the_table_is_dropped():
    """The same edit typed in the weight table (stored as the session's edits)."""
    at = open_page("network", {"motif": "2-3-2 with feedback"})
    at.session_state["fpsnn.edits"] = {"feedback": {(0, 0): 1e12, (2, 1): 0.5}}
    at.run()
    assert_clean(at)
    assert any("Ignoring the weight edits" in w.value for w in at.warning)
    assert at.metric and link(at)["edits"] == "2_1_0.5"  # the valid edit stays
