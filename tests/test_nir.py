"""NIR import and export (fpsnn_core.nir_io): round trips, an independent fixed-step run
of the exported graph from NIR's own CubaLIF equations, a hand-written graph of the kind
other frameworks export, event data, the CLI, and the refusals."""

import io
import subprocess
import sys
from pathlib import Path

import nir
import numpy as np
import pytest
from networks import case
from nir_reference import convergence
from scipy.optimize import brentq

import fpsnn_core as fp
from fpsnn_core import nir_io
from fpsnn_core.cli import main

ROOT = Path(__file__).resolve().parent.parent


def per_neuron_network(seed=4):
    """Random mask (some zero weights inside it), per-neuron tau_s, tau_n and theta,
    recurrent links, no layers."""
    rng = np.random.default_rng(seed)
    K, N = 3, 5
    W = rng.normal(0.0, 0.6, (K + N, N))
    W[:K] += rng.uniform(1.5, 3.0, (K, N))
    mask = rng.uniform(size=W.shape) < 0.75
    mask[K + np.arange(N), np.arange(N)] = False
    W[~mask] = 0.0
    W[np.argwhere(mask)[0][0], np.argwhere(mask)[0][1]] = 0.0  # a zero weight inside the mask
    net = fp.Network(
        W,
        K,
        tau_s=rng.uniform(0.3, 0.9, N),
        tau_n=rng.uniform(0.8, 1.5, N),
        theta=rng.uniform(0.8, 1.2, N),
        mask=mask,
    )
    inputs = [np.sort(rng.uniform(0, 1.5, 2)) for _ in range(K)]
    return net, inputs, 4.0


NETWORKS = {
    "feedforward": lambda: case("layered", 1),
    "recurrent": lambda: case("recurrent", 2),
    "per-neuron": per_neuron_network,
}


def assert_same_network(a: fp.Network, b: fp.Network, rtol=0.0):
    assert (a.n_inputs, a.n_neurons, a.layers) == (b.n_inputs, b.n_neurons, b.layers)
    np.testing.assert_array_equal(a.mask, b.mask)
    for name in ("weights", "tau_s", "tau_n", "theta"):
        np.testing.assert_allclose(
            getattr(a, name), getattr(b, name), rtol=rtol, atol=0, err_msg=name
        )


# --- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", NETWORKS)
def test_round_trip_is_identical(kind, tmp_path):
    net, inputs, t_max = NETWORKS[kind]()
    path = tmp_path / "net.nir"
    fp.save_nir(path, net)
    nir.read(path)  # NIR's own type check accepts it
    back = fp.from_nir(path)
    assert_same_network(net, back.network)  # bit for bit (rtol 0)
    assert back.meta["time_unit"] == "ms" and back.meta["source"] == "nir"
    assert_same_network(net, fp.from_nir(fp.nir_bytes(net)).network)
    assert_same_network(net, fp.from_nir(fp.to_nir(net)).network)
    a, b = fp.simulate(net, inputs, t_max), fp.simulate(back.network, inputs, t_max)
    np.testing.assert_array_equal(a.spike_times, b.spike_times)


def test_round_trip_with_unit_conversion():
    net, _, _ = per_neuron_network()
    graph = fp.to_nir(net, time_unit="ms", file_unit="s")
    lif = graph.nodes["lif0"]
    np.testing.assert_allclose(lif.tau_syn, net.tau_s * 1e-3, rtol=1e-15)
    back = fp.from_nir(graph, time_unit="ms")
    assert_same_network(net, back.network, rtol=1e-14)
    as_is = fp.from_nir(graph).network  # kept in seconds: weights scale by c
    np.testing.assert_allclose(as_is.weights, net.weights * 1e3, rtol=1e-14)
    np.testing.assert_allclose(as_is.tau_s, net.tau_s * 1e-3, rtol=1e-15)


def test_layers_that_do_not_partition_the_neurons_survive():
    net0, _, _ = case("layered", 1)
    net = fp.Network(net0.weights, net0.n_inputs, mask=net0.mask, layers=net0.layers[1:])
    graph = fp.to_nir(net)
    assert [k for k in graph.nodes if k.startswith("lif")] == ["lif0"]  # one group
    assert_same_network(net, fp.from_nir(graph).network)


def test_event_data_round_trip(tmp_path):
    net, inputs, t_max = case("recurrent", 2)
    path = tmp_path / "in.nir"
    fp.save_nir_inputs(path, inputs, net.n_inputs, t_max)
    data = nir.read_data(str(path))
    ev = data.nodes["input"].observables["spikes"]
    assert type(ev) is nir.EventData and ev.n_neurons == 2 and ev.t_max == t_max
    assert np.all(np.diff(ev.time[0]) >= 0)
    trains, t = fp.inputs_from_nir(path, net.n_inputs)
    assert t == t_max
    for a, b in zip(trains, inputs):
        np.testing.assert_array_equal(a, b)
    # in seconds, read back into ms
    fp.save_nir_inputs(path, inputs, 2, t_max, time_unit="ms", file_unit="s")
    trains, t = fp.inputs_from_nir(path, 2, scale=1e3)
    np.testing.assert_allclose(np.concatenate(trains), np.concatenate(inputs), rtol=1e-15)


@pytest.mark.parametrize("kind", NETWORKS)
def test_graph_file_carries_its_input_spike_trains(kind, tmp_path):
    """save_nir(..., inputs=, t_max=) writes the inputs as NIR event data beside the graph:
    nir.read still reads the graph, h5py finds nir.write_data's layout in the group
    'data', and from_nir / inputs_from_nir give back the very same spike times."""
    import h5py

    net, inputs, t_max = NETWORKS[kind]()
    path = tmp_path / "net.nir"
    fp.save_nir(path, net, inputs=inputs, t_max=t_max)
    assert isinstance(nir.read(str(path)), nir.NIRGraph)  # other tools see a plain graph
    with h5py.File(path, "r") as f:  # read without our reader
        ev = f["data/nodes/input/observables/spikes"]
        assert f["data"].attrs["__type__"] == "NIRGraphData"
        assert ev.attrs["__type__"] == "EventData" and ev.attrs["t_max"] == t_max
        idx, time = ev["idx"][0], ev["time"][0]
    for j, train in enumerate(inputs):
        np.testing.assert_array_equal(np.sort(time[idx == j]), np.sort(train))
    back = fp.from_nir(path)
    assert back.t_max == t_max and len(back.inputs) == net.n_inputs
    for a, b in zip(back.inputs, inputs):
        np.testing.assert_array_equal(a, np.sort(b))
    assert_same_network(net, back.network)
    trains, t = fp.inputs_from_nir(path, net.n_inputs)  # the same file as event data
    assert t == t_max
    for a, b in zip(trains, inputs):
        np.testing.assert_array_equal(a, np.sort(b))
    assert fp.from_nir(fp.nir_bytes(net)).inputs is None  # a graph alone has none


def test_graph_file_inputs_follow_the_time_unit(tmp_path):
    net, inputs, t_max = case("recurrent", 2)
    data = fp.nir_bytes(net, inputs=inputs, t_max=t_max, time_unit="ms", file_unit="s")
    seconds = fp.from_nir(data)  # kept in the file's unit
    assert seconds.t_max == pytest.approx(t_max * 1e-3, rel=1e-15)
    np.testing.assert_allclose(
        np.concatenate(seconds.inputs), np.concatenate(inputs) * 1e-3, rtol=1e-15
    )
    ms = fp.from_nir(data, time_unit="ms")
    assert ms.t_max == pytest.approx(t_max, rel=1e-15)
    np.testing.assert_allclose(np.concatenate(ms.inputs), np.concatenate(inputs), rtol=1e-15)


def test_bad_inputs_beside_the_graph_are_refused(tmp_path):
    import h5py

    net, inputs, t_max = case("layered", 1)
    with pytest.raises(ValueError, match="t_max"):
        fp.nir_bytes(net, inputs=inputs)
    path = tmp_path / "bad.nir"
    fp.save_nir(path, net, inputs=inputs, t_max=t_max)
    with h5py.File(path, "a") as f:
        ev = f["data/nodes/input/observables/spikes"]
        idx = ev["idx"][()]
        del ev["idx"]
        ev["idx"] = np.full_like(idx, net.n_inputs + 3)
    with pytest.raises(ValueError, match="beside the graph: .*channel index is outside"):
        fp.from_nir(path)


# --- an independent run of the exported graph ---------------------------------------------
@pytest.mark.parametrize("kind,file_unit", [("feedforward", "ms"), ("recurrent", "s")])
def test_nir_equations_run_independently_converge_to_our_spike_times(kind, file_unit):
    """tests/nir_reference.py integrates NIR's own equations on the exported graph (in
    seconds for the recurrent case, so the unit conversion of the weights is checked too);
    its spike times converge to ours at first order, as forward Euler should."""
    net, inputs, t_max = NETWORKS[kind]()
    dts = [1e-3, 5e-4, 2.5e-4, 1.25e-4]
    errors, _, n_spikes = convergence(net, inputs, t_max, dts, file_unit)
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    print(
        f"{kind}: {n_spikes} spikes, max spike-time error {errors} for dt {dts}, "
        f"observed orders {orders}"
    )
    assert n_spikes >= 10
    assert errors[-1] < 3e-3
    assert np.all((orders > 0.9) & (orders < 1.1)), orders


# --- a graph as other frameworks write it -------------------------------------------------
def _handwritten(unit_meta=True):
    """Input(2) -> Affine(2x2, zero bias) -> CubaLIF -> Output, in seconds, r = w_in = 1."""
    W = np.array([[0.04, 0.0], [0.015, 0.03]])
    nodes = {
        "in": nir.Input(input_type=np.array([2])),
        "fc": nir.Affine(weight=W, bias=np.zeros(2)),
        "lif": nir.CubaLIF(
            tau_syn=np.full(2, 5e-3),
            tau_mem=np.full(2, 1e-2),
            r=np.ones(2),
            v_leak=np.zeros(2),
            v_threshold=np.ones(2),
            w_in=np.ones(2),
        ),
        "out": nir.Output(output_type=np.array([2])),
    }
    meta = {"time_unit": "s"} if unit_meta else {}
    return nir.NIRGraph(
        nodes=nodes, edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")], metadata=meta
    ), W


def _first_spike_analytic(weights, times, tau_s=5e-3, tau_m=1e-2):
    """NIR's equations solved by hand with r = w_in = 1: each input spike adds
    w / (tau_s tau_m) (exp(-s/tau_m) - exp(-s/tau_s)) / (1/tau_s - 1/tau_m) to v."""

    def v(t):
        return sum(
            w
            / (tau_s * tau_m)
            * (np.exp(-(t - t0) / tau_m) - np.exp(-(t - t0) / tau_s))
            / (1 / tau_s - 1 / tau_m)
            for w, t0 in zip(weights, times)
            if t > t0
        )

    grid = np.linspace(0, 0.03, 30001)
    k = int(np.argmax([v(t) > 1.0 for t in grid]))
    return brentq(lambda t: v(t) - 1.0, grid[k - 1], grid[k], xtol=1e-15)


def test_handwritten_graph_in_seconds_gives_the_expected_spike_times(tmp_path):
    graph, W = _handwritten()
    path = tmp_path / "other.nir"
    nir.write(path, graph)
    inputs_s = [np.array([1e-3]), np.array([3e-3])]
    expect = [
        _first_spike_analytic([W[0, 0]], [1e-3]),
        _first_spike_analytic([W[1, 0], W[1, 1]], [1e-3, 3e-3]),
    ]
    nf = fp.from_nir(path)  # kept in seconds
    assert nf.meta["time_unit"] == "s" and nf.meta["outputs"] == [0, 1]
    sim = fp.simulate(nf.network, inputs_s, 0.03)
    got = [sim.spikes_of(i)[0] for i in range(2)]
    np.testing.assert_allclose(got, expect, rtol=0, atol=1e-12)
    ms = fp.from_nir(path, time_unit="ms")  # converted: weights scale by 1e-3
    sim = fp.simulate(ms.network, [x * 1e3 for x in inputs_s], 30.0)
    np.testing.assert_allclose(
        [sim.spikes_of(i)[0] for i in range(2)], np.array(expect) * 1e3, rtol=1e-12
    )
    # the same file without unit metadata: as is, or with the unit stated by the caller
    bare, _ = _handwritten(unit_meta=False)
    assert fp.from_nir(bare).meta["time_unit"] is None
    np.testing.assert_allclose(
        fp.from_nir(bare, file_unit="s", time_unit="ms").network.weights, ms.network.weights, rtol=0
    )


# --- refusals -----------------------------------------------------------------------------
def _lif(n=2, **kw):
    p = dict(
        tau_syn=np.full(n, 0.5),
        tau_mem=np.ones(n),
        r=np.ones(n),
        v_leak=np.zeros(n),
        v_threshold=np.ones(n),
        w_in=np.ones(n),
    )
    p.update(kw)
    return nir.CubaLIF(**p)


def _graph(nodes, edges, **meta):
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)


def _chain(lif=None, weight=None, extra=None, edges=None, **meta):
    nodes = {
        "in": nir.Input(input_type=np.array([2])),
        "fc": nir.Linear(weight=np.ones((2, 2)) if weight is None else weight),
        "lif": lif or _lif(),
        "out": nir.Output(output_type=np.array([2])),
    }
    nodes.update(extra or {})
    return _graph(nodes, edges or [("in", "fc"), ("fc", "lif"), ("lif", "out")], **meta)


BAD = {
    "LIF neuron": (
        lambda: _chain(
            lif=nir.LIF(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2))
        ),
        "other neuron models",
    ),
    "delay": (
        lambda: _chain(
            extra={"d": nir.Delay(delay=np.ones(2))},
            edges=[("in", "d"), ("d", "fc"), ("fc", "lif"), ("lif", "out")],
        ),
        "delays are not represented",
    ),
    "conv": (
        lambda: _chain(
            extra={
                "c": nir.Conv1d(
                    input_shape=4,
                    weight=np.ones((2, 1, 3)),
                    stride=1,
                    padding=0,
                    dilation=1,
                    groups=1,
                    bias=np.zeros(2),
                )
            }
        ),
        "convolution",
    ),
    "edge to a missing node": (
        lambda: _chain(edges=[("in", "fc"), ("fc", "lif"), ("lif", "nope")]),
        "does not exist",
    ),
    "missing edge": (lambda: _chain(edges=[("in", "fc"), ("lif", "out")]), "no outgoing edge"),
    "no incoming edge": (
        lambda: _chain(
            extra={"fc2": nir.Linear(weight=np.ones((2, 2)))},
            edges=[("in", "fc"), ("fc", "lif"), ("lif", "out"), ("fc2", "lif")],
        ),
        "no incoming edge",
    ),
    "inconsistent shapes": (lambda: _chain(weight=np.ones((3, 2))), "shapes do not match"),
    "NaN": (lambda: _chain(lif=_lif(tau_syn=np.array([0.5, np.nan]))), r"tau_syn\[1\] is nan"),
    "v_leak": (lambda: _chain(lif=_lif(v_leak=np.array([0.0, -0.1]))), "v_leak"),
    "v_reset": (lambda: _chain(lif=_lif(v_reset=np.array([0.2, 0.0]))), "v_reset"),
    "tau <= 0": (lambda: _chain(lif=_lif(tau_mem=np.array([1.0, 0.0]))), r"tau_mem\[1\] = 0.0"),
    "bias": (
        lambda: _chain(extra={"fc": nir.Affine(weight=np.ones((2, 2)), bias=np.ones(2))}),
        "bias",
    ),
    "self-loop": (
        lambda: _chain(
            extra={"rec": nir.Linear(weight=np.ones((2, 2)))},
            edges=[("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")],
        ),
        "self-loops",
    ),
    "algebraic loop": (
        lambda: _chain(
            extra={"fc2": nir.Linear(weight=np.ones((2, 2)))},
            edges=[("in", "fc"), ("fc", "fc2"), ("fc2", "fc"), ("fc", "lif"), ("lif", "out")],
        ),
        "algebraic loop",
    ),
    "linear readout": (
        lambda: _chain(
            extra={"ro": nir.Linear(weight=np.ones((2, 2)))},
            edges=[("in", "fc"), ("fc", "lif"), ("lif", "ro"), ("ro", "out")],
        ),
        "non-spiking readout",
    ),
    "2-D input": (lambda: _chain(extra={"in": nir.Input(input_type=np.array([2, 2]))}), "not 1-D"),
    "units disagree": (
        lambda: _chain(lif=_lif(metadata={"time_unit": "ms"}), time_unit="s"),
        "units do not match",
    ),
    "unknown unit": (lambda: _chain(time_unit="min"), "time_unit"),
    "no Input": (
        lambda: _graph(
            {
                "lif": _lif(),
                "fc": nir.Linear(weight=np.ones((2, 2))),
                "out": nir.Output(output_type=np.array([2])),
            },
            [("lif", "fc"), ("fc", "lif"), ("lif", "out")],
        ),
        "no Input",
    ),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_graphs_are_refused_clearly(name, tmp_path):
    build, match = BAD[name]
    with pytest.raises(ValueError, match=match):
        fp.from_nir(build())
    path = tmp_path / "bad.nir"
    try:
        nir.write(path, build())
    except Exception:  # noqa: BLE001 - some bad graphs cannot even be written
        return
    with pytest.raises(ValueError, match=match):  # the same message from the file
        fp.from_nir(path)


def test_unit_arguments_are_checked():
    graph, _ = _handwritten()
    with pytest.raises(ValueError, match="units do not match: file_unit='ms'"):
        fp.from_nir(graph, file_unit="ms")
    bare, _ = _handwritten(unit_meta=False)
    with pytest.raises(ValueError, match="does not state its time unit"):
        fp.from_nir(bare, time_unit="ms")
    with pytest.raises(ValueError, match="time_unit must be one of"):
        fp.to_nir(case("layered", 1)[0], time_unit="hours")


def test_size_caps(monkeypatch, tmp_path):
    net, _, _ = case("layered", 1)
    data = fp.nir_bytes(net)
    monkeypatch.setattr(nir_io, "MAX_DATASET_BYTES", 95)  # weight 4x3 float64 = 96 bytes
    with pytest.raises(
        ValueError, match="'/node/nodes/w_\\w+/weight' holds 96 bytes, above the cap of 95"
    ):
        fp.from_nir(data)
    monkeypatch.setattr(nir_io, "MAX_DATASET_BYTES", 96)
    fp.from_nir(data)
    monkeypatch.setattr(nir_io, "MAX_FILE_BYTES", len(data) - 1)
    with pytest.raises(ValueError, match="larger than"):
        fp.from_nir(data)
    path = tmp_path / "net.nir"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="larger than"):
        fp.from_nir(path)
    monkeypatch.setattr(nir_io, "MAX_FILE_BYTES", len(data))
    monkeypatch.setattr(nir_io, "MAX_NEURONS", 5)
    with pytest.raises(ValueError, match="above the caps"):
        fp.from_nir(data)


def test_files_that_are_not_nir_graphs(tmp_path):
    with pytest.raises(ValueError, match="not an HDF5 file"):
        fp.from_nir(b'{"format": "fpsnn-network"}')
    with pytest.raises(ValueError, match="no such file"):
        fp.from_nir(tmp_path / "missing.nir")
    events = tmp_path / "events.nir"
    fp.save_nir_inputs(events, [[0.1], [0.2]], 2, 1.0)
    with pytest.raises(ValueError, match="event data"):
        fp.from_nir(events)
    with pytest.raises(ValueError, match="not an NIR event-data file"):
        fp.inputs_from_nir(fp.nir_bytes(case("layered", 1)[0]))


def test_bad_event_data(tmp_path):
    def write(idx, time, n=2, t_max=1.0):
        ev = nir.EventData(
            idx=np.array([idx]), time=np.array([time], dtype=float), n_neurons=n, t_max=t_max
        )
        buf = io.BytesIO()
        nir.write_data(buf, nir.NIRGraphData(nodes={"input": nir.NIRNodeData({"spikes": ev})}))
        return buf.getvalue()

    trains, t_max = fp.inputs_from_nir(write([1, 0, -1], [0.1, 0.3, np.inf]))
    assert [tr.tolist() for tr in trains] == [[0.3], [0.1]] and t_max == 1.0
    with pytest.raises(ValueError, match="after t_max"):
        fp.inputs_from_nir(write([0], [2.0]))
    with pytest.raises(ValueError, match="outside 0..1"):
        fp.inputs_from_nir(write([5], [0.5]))
    with pytest.raises(ValueError, match="3 channels, the network 2"):
        fp.inputs_from_nir(write([0], [0.5], n=3), 2)


# --- without nir, and the command line -----------------------------------------------------
def test_core_imports_without_nir():
    code = (
        "import sys; sys.modules['nir'] = None\n"
        "import numpy as np, fpsnn_core as fp\n"
        "net = fp.Network([[5.0], [0.0]], 1)\n"
        "assert fp.simulate(net, [[0.1]], 3.0).n_spikes >= 1\n"
        "try:\n    fp.to_nir(net)\nexcept ImportError as e:\n    print(e)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert "pip install 'fpsnn[nir]'" in res.stdout


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "fpsnn_core", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_cli_convert_both_ways(tmp_path):
    net, inputs, t_max = case("recurrent", 2)
    fp.save(tmp_path / "a.json", net, inputs, t_max)
    res = _cli("convert", "a.json", "a.nir", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "a.inputs.nir").exists()
    res = _cli("convert", "a.nir", "b.json", "--inputs", "a.inputs.nir", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    back = fp.load(tmp_path / "b.json")
    assert_same_network(net, back.network)
    assert back.t_max == t_max and back.meta["time_unit"] == "ms"
    for a, b in zip(back.inputs, inputs):
        np.testing.assert_array_equal(a, b)
    (tmp_path / "junk.nir").write_text("not hdf5")
    res = _cli("convert", "junk.nir", "c.json", cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.startswith("error: not an HDF5 file")
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "args,match",
    [
        (("a.json", "c.json"), "both files are json"),
        (("a.nir", "c.json", "--file-unit", "s"), "units do not match"),
        (("a.nir", "c.txt"), "unknown file type"),
        (("missing.nir", "c.json"), "no such file"),
    ],
)
def test_cli_convert_refuses_with_one_line(args, match, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    net, inputs, t_max = case("layered", 1)
    fp.save("a.json", net)
    fp.save_nir("a.nir", net)
    assert main(["convert", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err and len(err.strip().splitlines()) == 1


def test_skip_and_recurrent_links_between_layers_round_trip(tmp_path):
    net0, inputs, t_max = case("layered", 1)
    K, (_l0, l1, l2) = net0.n_inputs, net0.layers
    W, mask = np.array(net0.weights), np.array(net0.mask)
    mask[np.ix_(range(K), l2)] = True  # inputs -> last layer
    W[np.ix_(range(K), l2)] = 0.3
    mask[np.ix_([K + i for i in l1], l1)] = True  # recurrent inside layer 1
    mask[K + np.array(l1), np.array(l1)] = False
    W[np.ix_([K + i for i in l1], l1)] = np.where(mask[np.ix_([K + i for i in l1], l1)], -0.2, 0)
    net = fp.Network(W, K, net0.tau_s, net0.tau_n, net0.theta, mask, net0.layers)
    graph = fp.to_nir(net)
    assert {"w_input_lif2", "w_lif1_lif1"} <= set(graph.nodes)
    fp.save_nir(tmp_path / "s.nir", net)
    nir.read(tmp_path / "s.nir")
    assert_same_network(net, fp.from_nir(tmp_path / "s.nir").network)


def test_subgraphs_are_flattened():
    """A recurrent layer exported as a subgraph (as snnTorch does for RSynaptic), with
    edges naming the subgraph or its inner nodes ('sub.node')."""

    def layer():
        return nir.NIRGraph(
            nodes={
                "input": nir.Input(input_type=np.array([3])),
                "lif": _lif(3),
                "w_rec": nir.Linear(weight=np.array([[0, 0.5, 0], [0.2, 0, 0], [0, 0, 0.0]])),
                "output": nir.Output(output_type=np.array([3])),
            },
            edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
            type_check=False,
        )

    fc = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    for edges in (
        [("in", "fc"), ("fc", "rec"), ("rec", "out")],
        [("in", "fc"), ("fc", "rec.input"), ("rec.output", "out")],
    ):
        nodes = {
            "in": nir.Input(input_type=np.array([2])),
            "fc": nir.Linear(weight=fc),
            "rec": layer(),
            "out": nir.Output(output_type=np.array([3])),
        }
        nf = fp.from_nir(_graph(nodes, edges))
        net = nf.network
        factor = 1.0 / 0.5  # r w_in / (tau_syn tau_mem) of _lif
        np.testing.assert_allclose(net.weights[:2], fc.T * factor)
        np.testing.assert_allclose(
            net.weights[2:], np.array([[0, 0.2, 0], [0.5, 0, 0], [0, 0, 0]]) * factor
        )
        assert net.mask[2:].sum() == 6 and nf.meta["outputs"] == [0, 1, 2]
