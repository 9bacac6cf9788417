"""The grazing-spike message, triggered: a neuron whose potential only touches its
threshold. With tau_s = tau_n = 1 one input spike at 0 of weight w gives V(t) = w t e^-t,
whose maximum w/e lies at t = 1; w = e (1 + 1e-13) lifts it a hair above theta = 1, so the
neuron fires just before t = 1 with a slope of ~4e-7 of b theta: a grazing spike."""

import math

from apphelpers import open_page

import fpsnn_core as fp
from fpsnn_app.registry import page

NET = fp.Network(
    [[math.e * (1 + 1e-13), 0.0], [0.0, 3.0], [0.0, 0.0]], 1, tau_s=1.0, tau_n=1.0, theta=1.0
)
INPUTS, T_MAX = [[0.0]], 3.0


def test_the_network_grazes():
    sim = fp.simulate(NET, INPUTS, T_MAX)
    assert sim.grazing.tolist() == [0] and abs(sim.spike_times[0] - 1.0) < 1e-6


def test_grazing_spike_gives_a_message_not_a_traceback():
    at = open_page("network")
    doc = fp.to_json(NET, INPUTS, T_MAX).encode()
    at.file_uploader(key="net.upload").set_value(("grazing.json", doc, "application/json"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("only grazes the threshold" in w and "Spike #0" in w for w in warnings), warnings
    # the gradient pages need the derivative of that spike: they say so, with no traceback
    for name in ("gradient_check", "eventprop"):
        at.switch_page(page(name).path)
        at.run()
        assert not at.exception, (name, [e.message for e in at.exception])
        warnings = [w.value for w in at.warning]
        assert any("Grazing spike: the gradient is singular" in w for w in warnings), warnings
