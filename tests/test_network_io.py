"""Network validation, immutability and JSON files."""

import json

import numpy as np
import pytest

import fpsnn_core as fp


def test_defaults_and_derived_constants():
    net = fp.Network(np.ones((3, 2)) - np.array([[0, 0], [1, 0], [0, 1]]), 1, tau_s=0.5, tau_n=2.0)
    assert net.n_neurons == 2 and net.n_sources == 3 and net.n_params == 4
    np.testing.assert_array_equal(net.a, [2.0, 2.0])
    np.testing.assert_array_equal(net.b, [0.5, 0.5])
    assert net.mask.tolist() == [[True, True], [False, True], [True, False]]


def test_network_is_immutable_and_copies_its_inputs():
    W = np.array([[1.0], [0.0]])
    net = fp.Network(W, 1)
    W[0, 0] = 5.0
    assert net.weights[0, 0] == 1.0
    with pytest.raises(ValueError):
        net.weights[0, 0] = 2.0
    with pytest.raises(AttributeError):
        net.n_inputs = 3


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(weights=[[1.0], [np.nan]], n_inputs=1), "finite"),
        (dict(weights=[[1.0, 0.0]], n_inputs=1), r"shape \(K\+N, N\)"),
        (dict(weights=[1.0, 2.0], n_inputs=1), "2-D"),
        (dict(weights=[[1.0], [0.5]], n_inputs=1), "self-loops"),
        (dict(weights=[[1.0], [0.0]], n_inputs=1, tau_s=0.0), "tau_s"),
        (dict(weights=[[1.0], [0.0]], n_inputs=1, tau_n=-1.0), "tau_n"),
        (dict(weights=[[1.0], [0.0]], n_inputs=1, theta=0.0), "theta"),
        (dict(weights=[[1.0], [0.0]], n_inputs=1, theta=[1.0, 2.0]), "theta"),
        (dict(weights=[[1.0], [0.0]], n_inputs=1.5), "n_inputs"),
        (dict(weights=[[1.0], [0.0]], n_inputs=1, mask=[[False], [False]]), "outside the mask"),
        (dict(weights=[[1.0], [0.0]], n_inputs=1, mask=[[True], [True]]), "self-loops"),
        (dict(weights=[["x"], [0.0]], n_inputs=1), "numeric"),
    ],
)
def test_bad_networks_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fp.Network(**kwargs)


def test_feedforward_constructor():
    net = fp.Network.feedforward(
        [5, 120, 3], np.random.default_rng(0), [1.5, 2.0], [0.8, 0.1], tau_s=1 / 0.99
    )
    assert net.weights.shape == (128, 123) and net.layers == (tuple(range(120)), (120, 121, 122))
    assert net.n_params == 5 * 120 + 120 * 3
    assert net.weights[:5, :120].mean() == pytest.approx(1.5, abs=0.1)
    assert net.weights[5:125, 120:].std() == pytest.approx(0.1, abs=0.02)
    again = fp.Network.feedforward([5, 120, 3], np.random.default_rng(0), [1.5, 2.0], [0.8, 0.1])
    np.testing.assert_array_equal(again.weights, net.weights)


def test_json_round_trip(tmp_path):
    net = fp.Network.feedforward(
        [2, 3, 1], np.random.default_rng(1), 2.0, 0.3, tau_s=[0.5, 0.6, 0.7, 1.0]
    )
    path = tmp_path / "net.json"
    fp.save(path, net, inputs=[[0.1, 0.4], []], t_max=3.0, meta={"encoding": "latency"})
    loaded = fp.load(path)
    np.testing.assert_array_equal(loaded.network.weights, net.weights)
    np.testing.assert_array_equal(loaded.network.mask, net.mask)
    np.testing.assert_array_equal(loaded.network.tau_s, net.tau_s)
    assert loaded.network.layers == net.layers
    assert [tr.tolist() for tr in loaded.inputs] == [[0.1, 0.4], []]
    assert loaded.t_max == 3.0 and loaded.meta == {"encoding": "latency"}
    sim_a = fp.simulate(net, [[0.1, 0.4], []], 3.0)
    sim_b = fp.simulate(loaded.network, loaded.inputs, loaded.t_max)
    np.testing.assert_array_equal(sim_a.spike_times, sim_b.spike_times)


def _doc():
    return json.loads(fp.to_json(fp.Network([[1.0], [0.0]], 1), inputs=[[0.2]], t_max=1.0))


@pytest.mark.parametrize(
    "edit,match",
    [
        (lambda d: "not json", "not valid JSON"),
        (lambda d: [], "JSON object"),
        (lambda d: {**d, "format": "other"}, "not an fpsnn network file"),
        (lambda d: {**d, "version": 9}, "unsupported version"),
        (lambda d: {k: v for k, v in d.items() if k != "weights"}, "no 'weights'"),
        (lambda d: {**d, "weights": [[1.0], ["a"]]}, "only numbers"),
        (lambda d: {**d, "weights": [[1.0, 2.0], [0.0]]}, "same length"),
        (lambda d: {**d, "weights": [[1.0], [3.0]]}, "self-loops"),
        (lambda d: {**d, "tau_s": -1}, "tau_s"),
        (lambda d: {**d, "tau_s": "fast"}, "tau_s"),
        (lambda d: {**d, "mask": [[1], [0]]}, "true/false"),
        (lambda d: {**d, "inputs": [[-1.0]]}, ">= 0"),
        (lambda d: {**d, "inputs": [[0.1], [0.2]]}, "one spike train per input channel"),
        (lambda d: {**d, "t_max": 0}, "t_max"),
        (lambda d: {**d, "layers": [[5]]}, "does not exist"),
    ],
)
def test_malformed_files_raise_clear_errors(edit, match):
    doc = edit(_doc())
    text = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(ValueError, match=match):
        fp.from_json(text)


def test_binary_garbage_is_rejected():
    with pytest.raises(ValueError, match="not valid JSON"):
        fp.from_json(b"\xff\xfe\x00garbage")


def test_documents_built_in_python_are_checked_like_parsed_ones():
    """``network_from_dict`` takes a document built in Python, not only one from
    ``json.loads``: NumPy floats are numbers, ``True`` is not, and a subclass of dict or list
    counts towards the nesting depth (the checks' fast path looks at exact types only)."""
    from collections import OrderedDict

    from fpsnn_core.io import MAX_DEPTH, network_from_dict

    doc = _doc()
    loaded = network_from_dict({**doc, "weights": [[np.float64(0.5)], [0.0]]})
    assert loaded.network.weights[:, 0].tolist() == [0.5, 0.0]
    for row in ([True], [1]), ([1.0], [None]):
        with pytest.raises(ValueError, match="only numbers"):
            network_from_dict({**doc, "weights": list(row)})
    with pytest.raises(ValueError, match="true/false"):
        network_from_dict({**doc, "mask": [[np.bool_(True)], [False]]})

    class Box(list):
        pass

    deep = 0
    for _ in range(MAX_DEPTH + 1):
        deep = Box([deep])
    with pytest.raises(ValueError, match="nested too deeply"):
        network_from_dict({**doc, "meta": OrderedDict(x=deep)})
    assert network_from_dict({**doc, "meta": OrderedDict(x=Box([1, "a", None]))}).meta["x"] == [
        1,
        "a",
        None,
    ]
