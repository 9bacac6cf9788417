"""Oversized uploads are refused by their byte count before anything parses them: a
25 MB JSON file with 5 million input spikes, and a NIR file over the same cap."""

import json
import time

import numpy as np
from apphelpers import open_page

import fpsnn_core as fp
from fpsnn_app import limits, netfiles


def spike_flood(n_spikes: int) -> bytes:
    head = (
        b'{"format": "fpsnn-network", "version": 1, "n_inputs": 1, '
        b'"weights": [[1.0], [0.0]], "inputs": [['
    )
    return head + b"0.5, " * (n_spikes - 1) + b"0.5]]}"


def test_oversized_uploads_are_refused_by_size():
    flood = spike_flood(5_000_000)
    fake_nir = b"\x89HDF\r\n\x1a\n" + b"\0" * limits.MAX_UPLOAD_BYTES
    assert len(flood) > 24_000_000 and len(fake_nir) > limits.MAX_UPLOAD_BYTES
    at = open_page("network")
    for name, data in (("flood.json", flood), ("big.nir", fake_nir)):
        at.file_uploader(key="net.upload").set_value((name, data, "application/octet-stream"))
        t0 = time.perf_counter()
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        errors = [e.value for e in at.error]
        assert any(
            name in e and f"at most {limits.MAX_UPLOAD_BYTES:,} bytes" in e for e in errors
        ), errors
        assert time.perf_counter() - t0 < 10.0
        assert at.selectbox(key="motif").value != "uploaded"


def test_upload_cap_is_checked_before_parsing(monkeypatch):
    def no_parse(*a, **k):
        raise AssertionError("parsed an oversized file")

    monkeypatch.setattr(netfiles.fp, "from_nir", no_parse)
    monkeypatch.setattr(netfiles.fp, "from_json", no_parse)
    for name in ("x.json", "x.nir"):
        t0 = time.perf_counter()
        try:
            netfiles.read_network_file(name, b" " * (limits.MAX_UPLOAD_BYTES + 1))
        except ValueError as exc:
            assert f"{limits.MAX_UPLOAD_BYTES + 1:,} bytes" in str(exc)
        else:
            raise AssertionError("an oversized upload was accepted")
        assert time.perf_counter() - t0 < 0.5


def test_the_largest_accepted_network_fits_the_cap_even_pretty_printed():
    K, N = limits.MAX_INPUTS, limits.MAX_NEURONS
    W = np.full((K + N, N), -0.12345678901234567)
    W[K + np.arange(N), np.arange(N)] = 0.0
    net = fp.Network(W, K, layers=[list(range(N))])
    inputs = [list(np.linspace(0.001, 0.999, limits.MAX_INPUT_SPIKES // K) * 1.2345678901)] * K
    text = json.dumps(json.loads(fp.to_json(net, inputs, 1.3)), indent=4).encode()
    assert len(text) <= limits.MAX_UPLOAD_BYTES
