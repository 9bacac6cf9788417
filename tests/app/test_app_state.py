"""The state model (``fpsnn_app.state``): controls whose range depends on the network are
reconciled when the network changes: clamped or reset with a visible note, never an
exception, never a stale value that changes later, and the link carries the reconciled value.
"""

import numpy as np
import pytest
from apphelpers import assert_clean, metric, open_page, reopen

import fpsnn_core as fp
from fpsnn_app.presets import T_MAX, motif_network
from fpsnn_app.state import clamp_number, reconcile_choice, reconcile_subset


def _notes(at) -> str:
    return " ".join(e.value for e in (*at.caption, *at.info))


# --- defect 1: FP step at its end, then two motif switches ---------------------------
def test_jacobian_step_survives_motif_switches():
    at = open_page("jacobian", {"jacobian.step": "13"})  # the default network's last
    assert_clean(at)
    for motif in ("recurrent_pair", "competition"):
        at.selectbox(key="motif").set_value(motif).run()
        assert_clean(at)
        slider = _fp_slider(at)
        assert 0 <= slider["active"] < len(slider["steps"])
        assert "FP step" in _notes(at), "the clamp is announced"
    # the link reopens on the same step
    again = reopen(at)
    assert_clean(again)
    assert _fp_slider(again)["active"] == _fp_slider(at)["active"]


def _fp_slider(at) -> dict:
    """The FP-step slider inside the Jacobian page's replay chart."""
    from apphelpers import figure

    return figure(at, 1)["layout"]["sliders"][0]


# --- defect 2: the class label after a motif switch ----------------------------------
LOSS = {
    "eventprop": ("eventprop.label", "Loss", 4, True),
    "gradient_check": ("gradient_check.label", "Loss", 5, True),
    "surrogate": ("surrogate.label", "Loss, exact", 5, False),
}


def _shown(at, key) -> str:
    box = at.selectbox(key=key)
    return box.options[box.index]


def _loss(motif: str, neuron: int, silent: bool) -> float:
    net, wiring = motif_network(motif, 0)
    sim = fp.simulate(net, wiring.inputs, T_MAX)
    outputs = list(wiring.outputs)
    kw = {"silent_time": T_MAX} if silent else {}
    return fp.first_spike_cross_entropy(sim, outputs, outputs.index(neuron), **kw).value


@pytest.mark.parametrize("name", sorted(LOSS))
def test_class_label_follows_the_network(name):
    key, label, digits, silent = LOSS[name]
    at = open_page(name)
    at.selectbox(key=key).set_value(4).run()
    assert _shown(at, key) == "n4"  # the default motif's 2nd class
    at.selectbox(key="motif").set_value("recurrent_pair").run()  # outputs n0, n1
    assert_clean(at)
    shown = _shown(at, key)
    assert shown in ("n0", "n1"), f"the box shows {shown}, no output of the recurrent pair"
    assert "n4" in _notes(at), "the reset is announced"
    loss = float(metric(at, label))
    assert loss == pytest.approx(_loss("recurrent_pair", int(shown[1:]), silent), abs=10.0**-digits)
    # an unrelated interaction does not move the loss, and the link reproduces it
    at.run()
    assert float(metric(at, label)) == loss
    again = reopen(at)
    assert_clean(again)
    assert float(metric(again, label)) == loss


@pytest.mark.parametrize("name", ["gradient_check", "surrogate"])
def test_target_times_follow_the_number_of_outputs(name):
    at = open_page(name)
    at.radio(key=f"{name}.loss").set_value("mse").run()
    at.text_input(key=f"{name}.targets").input("1.25, 2").run()
    assert_clean(at)
    at.selectbox(key="motif").set_value("inhibition").run()  # one output
    assert_clean(at)
    assert "Target times: 1.25, 2" in _notes(at)
    assert at.metric, "the page stays"
    again = reopen(at)
    assert_clean(again)
    assert [m.value for m in again.metric] == [m.value for m in at.metric]


# --- the pure rules -------------------------------------------------------------------
def test_pure_rules():
    assert clamp_number(13, 0, 4) == (4, True)
    assert clamp_number(-1, 0, 4) == (0, True)
    assert clamp_number(3, 0, 4) == (3, False)
    assert reconcile_choice(4, (0, 1), 0) == (0, True)
    assert reconcile_choice(1, (0, 1), 0) == (1, False)
    assert reconcile_subset([0, 5, 2], (0, 1, 2), [0]) == ([0, 2], True)
    assert reconcile_subset([5], (0, 1, 2), [0, 1]) == ([0, 1], True)
    assert reconcile_subset([1], (0, 1, 2), [0]) == ([1], False)
    assert np.isfinite(clamp_number(2.5, 0.0, 1.0)[0])
