"""Hostile input to the core and the command line: oversized JSON, unbounded work asked of
a public function, options out of range. Each is refused before the work starts (or
within a few seconds, for runaway firing) with a message that names the argument or
the limit. The hostile files are generated here."""

import os
import time
import tracemalloc

import numpy as np
import pytest
import test_cli_bad_input

import fpsnn_core as fp
from fpsnn_core import discrete, finite_diff, io, traces
from fpsnn_core.cli import main

MIB = 2**20
_fails = test_cli_bad_input._fails
xor_file = test_cli_bad_input.xor_file  # a fixture: a network trained for one epoch


def spike_flood(n_spikes: int) -> bytes:
    """A network document with one input that spikes ``n_spikes`` times (5 bytes each)."""
    head = (
        b'{"format": "fpsnn-network", "version": 1, "n_inputs": 1, '
        b'"weights": [[1.0], [0.0]], "inputs": [['
    )
    return head + b"0.5, " * (n_spikes - 1) + b"0.5]]}"


def refused(fn, *args, match: str, seconds: float = 1.0, peak_mib: float = 4.0, **kw):
    """Assert ``fn(*args, **kw)`` raises ``ValueError`` matching ``match`` within
    ``seconds``, allocating at most ``peak_mib`` MiB on the way; the message."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=match) as exc:
            fn(*args, **kw)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, f"refused after {elapsed:.2f} s"
    assert peak < peak_mib * MIB, f"peak {peak / MIB:.1f} MiB"
    return str(exc.value)


# --- JSON documents ------------------------------------------------------------------
@pytest.fixture(scope="module")
def flood():
    data = spike_flood(5_000_000)
    assert len(data) > 24_000_000 > io.MAX_BYTES
    return data


def test_oversized_json_is_refused_before_it_is_parsed(flood, tmp_path):
    msg = refused(fp.from_json, flood, match="max_bytes")
    assert f"{len(flood)} bytes" in msg
    refused(fp.from_json, flood.decode(), match="max_bytes")
    path = tmp_path / "flood.json"
    path.write_bytes(flood)
    assert str(path) in refused(fp.load, path, match="max_bytes")


def test_load_reads_at_most_the_cap_from_a_file_of_unknown_size():
    # /dev/zero states size 0 and never ends: only max_bytes + 1 bytes are read
    msg = refused(fp.load, "/dev/zero", max_bytes=1000, match="more than max_bytes=1000")
    assert "/dev/zero" in msg


def test_max_bytes_argument(tmp_path):
    text = fp.to_json(fp.Network([[1.0], [0.0]], 1), [[0.5]], 2.0)
    assert fp.from_json(text, max_bytes=len(text)).network.n_neurons == 1
    refused(fp.from_json, text, max_bytes=len(text) - 1, match=f"max_bytes={len(text) - 1}")
    assert fp.from_json(text.encode() * 1, max_bytes=None).t_max == 2.0
    path = tmp_path / "n.json"
    path.write_text(text)
    assert fp.load(path, max_bytes=len(text)).t_max == 2.0
    refused(fp.load, path, max_bytes=len(text) - 1, match="max_bytes")
    for bad in (0, -1, 1.5, "many", True):
        refused(fp.from_json, text, max_bytes=bad, match="max_bytes")


# --- runaway firing with the default budgets -------------------------------------------
def dense_excitatory(n: int, k: int = 2) -> fp.Network:
    rng = np.random.default_rng(0)
    W = np.vstack([rng.uniform(2.0, 4.0, (k, n)), rng.uniform(0.2, 0.6, (n, n))])
    W[k + np.arange(n), np.arange(n)] = 0.0
    return fp.Network(W, k, 1.0, 2.0, 1.0)


@pytest.mark.parametrize("n", [100, 300])
def test_runaway_firing_is_reported_within_seconds_by_default(n):
    net = dense_excitatory(n)
    t0 = time.perf_counter()
    with pytest.raises(fp.RunawayFiringError, match="runaway firing: the work budget"):
        fp.simulate(net, [[0.2, 1.0], [0.5]], 10.0)
    assert time.perf_counter() - t0 < 6.0
    # a delivery takes 3-12 microseconds on 2 shared cores: the default budget is reached
    # within 3 s even under load (the former default, 10**6, took 10-30 s)
    assert fp.MAX_WORK * 12e-6 <= 3.0


# --- traces ----------------------------------------------------------------------------
def busy_inputs(n_neurons: int = 100, n_inputs: int = 20, per_input: int = 100):
    """A network of silent neurons fed by ``n_inputs * per_input`` input spikes."""
    rng = np.random.default_rng(1)
    W = np.vstack([rng.uniform(0.0, 0.01, (n_inputs, n_neurons)), np.zeros((n_neurons, n_neurons))])
    net = fp.Network(W, n_inputs, 0.5, 1.0, 1.0)
    inputs = [np.sort(rng.uniform(0.0, 10.0, per_input)) for _ in range(n_inputs)]
    return net, fp.simulate(net, inputs, 10.0)


def test_feeding_kernels_are_chunked():
    net, sim = busy_inputs()  # 100 neurons, 2,000 events
    t = np.linspace(0.0, 10.0, 200)
    tracemalloc.start()
    try:
        y = fp.feeding_kernels(net, sim, t)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert y.shape == (200, 120, 100)
    assert peak < y.nbytes + 8 * 8 * traces.CHUNK, f"peak {peak / MIB:.0f} MiB"
    # the sum of kernels over each input's spikes, computed directly
    j, i, k = 7, 42, 150
    direct = fp.kernel(t[k] - sim.inputs[j], net.a[i], net.b[i]).sum()
    assert y[k, j, i] == pytest.approx(direct, rel=1e-12)
    assert np.all(y[:, 20:, :] == 0.0)  # the neurons never fire


def test_feeding_kernels_do_not_depend_on_the_chunk_size(monkeypatch):
    net = fp.Network([[3.0, 1.0], [0.0, 0.8], [0.9, 0.0]], 1, 0.5, 1.0, 1.0)
    sim = fp.simulate(net, [[0.0, 0.3, 1.1]], 4.0)
    t = np.linspace(0.0, 4.0, 37)
    whole = fp.feeding_kernels(net, sim, t)
    monkeypatch.setattr(traces, "CHUNK", 3)
    np.testing.assert_allclose(fp.feeding_kernels(net, sim, t), whole, rtol=1e-14, atol=0)
    np.testing.assert_allclose(
        fp.feeding_kernels(net, sim, t, neurons=[1]), whole[:, :, [1]], rtol=1e-14, atol=0
    )


def test_traces_on_a_huge_grid_are_refused_before_the_work():
    net, sim = busy_inputs()
    t = np.linspace(0.0, 10.0, 1_000_000)
    for fn in (fp.potentials, fp.feeding_kernels):
        msg = refused(fn, net, sim, t, match="max_work", peak_mib=12)
        assert "1000000 time points" in msg
    assert fp.potentials(net, sim, t[:1000]).V.shape == (1000, 100)


# --- discrete simulation, finite differences, feedforward ------------------------------
def test_discrete_simulation_with_too_many_steps_is_refused():
    net = fp.Network([[1.0], [0.0]], 1)
    msg = refused(fp.simulate_discrete, net, [[0.5]], 10.0, 1e-6, match="max_steps")
    assert "10000000 steps" in msg
    assert fp.simulate_discrete(net, [[0.5]], 10.0, 0.1, max_steps=100).n_steps == 100
    refused(fp.simulate_discrete, net, [[0.5]], 10.0, 0.1, max_steps=99, match="max_steps=99")
    refused(fp.simulate_discrete, net, [[0.5]], 10.0, 0.1, max_steps="x", match="max_steps")
    assert discrete.MAX_STEPS == fp.simulate_discrete.__kwdefaults__["max_steps"]


def test_finite_differences_on_a_large_network_are_refused_before_the_work():
    net, _ = busy_inputs(n_inputs=2, per_input=5)
    inputs = [[0.5, 1.0], [2.0]]
    for fn in (fp.finite_difference_jacobian, fp.finite_difference_loss_gradient):
        args = (net, inputs, 3.0) + (
            (lambda s: 0.0,) if fn is not fp.finite_difference_jacobian else ()
        )
        msg = refused(fn, *args, match="max_total_work", seconds=2.0, peak_mib=16)
        assert "10100 weights" in msg  # the mask: every connection
        few = fn(*args, entries=[(0, 0), (1, 5)])
        assert few.valid.sum() == 2
    assert (
        finite_diff.MAX_TOTAL_WORK == fp.finite_difference_jacobian.__kwdefaults__["max_total_work"]
    )


def test_feedforward_without_a_generator_draws_fresh_weights():
    net = fp.Network.feedforward([2, 3, 1], None)
    assert net.weights.shape == (6, 4) and np.count_nonzero(net.weights) == 9
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        fp.Network.feedforward([2, 3], "seed")


# --- command line ----------------------------------------------------------------------
def test_cli_options_out_of_range_name_the_option(tmp_path, capsys, monkeypatch, xor_file):
    from fpsnn_core import cli

    def no_training(*a, **k):
        raise AssertionError("training started with a bad option")

    monkeypatch.setattr(cli, "train", no_training)
    out = str(tmp_path / "n.json")
    base = ("train", "--task", "xor", "--quiet", "--out", out)
    cases = [
        (("--seed", "-1"), "--seed must be >= 0"),
        (("--split-seed", "-3"), "--split-seed must be >= 0"),
        (("--lr", "1e300"), "--lr must be"),
        (("--lr", "nan"), "--lr must be"),
        (("--lr", "0"), "--lr must be"),
        (("--hidden", "100000"), "--hidden"),
        (("--hidden", "0"), "--hidden"),
        (("--hidden",) + ("10",) * 50, "--hidden"),
        (("--workers", "100000"), "--workers"),
        (("--epochs", "10000000000"), "--epochs"),
        (("--batch-size", "10000000000"), "--batch-size"),
    ]
    for extra, match in cases:
        assert match in _fails(capsys, *base, *extra), extra
    line = _fails(capsys, "evaluate", str(xor_file), "--task", "yinyang", "--size", "1000000000")
    assert "--size must be <=" in line
    line = _fails(capsys, "evaluate", str(xor_file), "--task", "yinyang", "--seed", "-1")
    assert "--seed must be >= 0" in line
    assert not os.path.exists(out)


def test_cli_refuses_an_oversized_network_file(tmp_path, capsys, flood):
    path = tmp_path / "flood.json"
    path.write_bytes(flood)
    t0 = time.perf_counter()
    line = _fails(capsys, "evaluate", str(path), "--task", "xor")
    assert "max_bytes" in line and time.perf_counter() - t0 < 1.0
    line = _fails(capsys, "convert", str(path), str(tmp_path / "x.nir"))
    assert "max_bytes" in line


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_cli_write_that_fails_saves_elsewhere_and_exits_non_zero(capsys):
    code = main(
        ["train", "--task", "xor", "--seed", "0", "--out", "/dev/full", "--epochs", "1", "--quiet"]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    line = next(ln for ln in err.splitlines() if ln.startswith("error: could not write /dev/full"))
    rescued = line.split("saved the network to ")[1].split(" instead")[0]
    try:
        assert fp.load(rescued).meta["task"] == "xor"
    finally:
        os.unlink(rescued)
