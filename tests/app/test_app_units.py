"""The app's pure helpers: URL text forms, motifs, SymPy derivation against the core."""

from urllib.parse import parse_qs, urlencode

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import fpsnn_core as fp
from fpsnn_app.derivation import derive, t
from fpsnn_app.presets import MOTIFS, T_MAX, motif_network
from fpsnn_app.urlstate import (
    apply_edits,
    decode_edits,
    decode_network,
    encode_edits,
    encode_network,
    format_times,
    parse_times,
)


def test_parse_times_accepts_separators_and_sorts():
    assert parse_times("1.5, 0.2;0.7  3") == (0.2, 0.7, 1.5, 3.0)
    assert parse_times("") == ()
    assert parse_times(format_times((0.25, 1.0))) == (0.25, 1.0)


@pytest.mark.parametrize(
    "text, message",
    [("0.1, x", "'x' is not a number"), ("-1", ">= 0"), ("inf", "finite"), ("5", "after t_max")],
)
def test_parse_times_rejects_with_a_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_times(text, t_max=4.0)


FINITE = st.floats(allow_nan=False, allow_infinity=False)


@given(st.dictionaries(st.tuples(st.integers(0, 6), st.integers(0, 4)), FINITE, max_size=8))
def test_edits_round_trip_exactly(edits):
    text = encode_edits(edits)
    back = decode_edits(
        parse_qs(urlencode({"edits": text}), keep_blank_values=True)["edits"][0], (7, 5)
    )
    assert {k: v.hex() for k, v in back.items()} == {k: v.hex() for k, v in edits.items()}


@given(st.lists(st.floats(0, 1e6, allow_nan=False), max_size=6))
def test_times_round_trip_exactly(times):
    assert [t.hex() for t in parse_times(format_times(times))] == [t.hex() for t in sorted(times)]


@given(st.text(max_size=30), st.text(max_size=300))
def test_network_link_round_trip(name, text):
    param = encode_network(name, text)
    assert parse_qs(urlencode({"net": param}))["net"][0] == param  # URL-safe as it is
    assert decode_network(param) == (name, text)


@pytest.mark.parametrize("bad", ["", "not base64!", "eJwDAAAAAAE", encode_network("a", "b")[:-3]])
def test_damaged_network_link_is_a_value_error(bad):
    with pytest.raises(ValueError, match="damaged"):
        decode_network(bad)


def test_edits_reject_garbage_and_add_connections():
    for bad in ("1_2", "a_b_c", "9_0_1", "0_0_nan"):
        with pytest.raises(ValueError):
            decode_edits(bad, (7, 5))
    W, M = apply_edits(np.zeros((3, 2)), np.zeros((3, 2), bool), {(0, 1): 2.0, (1, 0): 0.0})
    assert W[0, 1] == 2.0 and M[0, 1] and not M[1, 0]


@pytest.mark.parametrize("key", sorted(MOTIFS))
def test_every_motif_fires_without_grazing(key):
    net, wiring = motif_network(key, 0)
    sim = fp.simulate(net, wiring.inputs, T_MAX)
    assert sim.n_spikes >= 3 and sim.grazing.size == 0
    assert all(sim.spike_counts(net.n_neurons)[list(wiring.outputs)] > 0)


@pytest.mark.parametrize("tau_s, tau_n", [(0.5, 1.0), (1.3, 0.4), (0.7, 0.7)])
def test_sympy_kernel_equals_the_core_kernel(tau_s, tau_n):
    d = derive(tau_s, tau_n)
    grid = np.linspace(0.01, 6.0, 50)
    h = sp.lambdify(t, d.h, "numpy")(grid)
    dh = sp.lambdify(t, d.dh, "numpy")(grid)
    assert np.allclose(h, fp.kernel(grid, 1 / tau_s, 1 / tau_n), rtol=1e-12, atol=1e-14)
    assert np.allclose(dh, fp.kernel_derivative(grid, 1 / tau_s, 1 / tau_n), rtol=1e-11, atol=1e-13)
