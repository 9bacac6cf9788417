"""NIR files in the app: the network uploader reads .nir graphs (seconds become ms), bad
files give a one-line message, every network page and the Training page offer the
network as NIR, and a browser uploads a .nir file and sees the network."""

import io

import nir
import numpy as np
from apphelpers import assert_clean, metric, open_page
from browserhelpers import metric_value, rerun_done, wait_ready

import fpsnn_core as fp
from fpsnn_app import netfiles, presets
from fpsnn_app.urlstate import parse_times


def _other_framework_graph() -> bytes:
    """Input(2) -> Affine -> CubaLIF(2) -> Output in seconds, as other tools write it."""
    nodes = {
        "in": nir.Input(input_type=np.array([2])),
        "fc": nir.Affine(weight=np.array([[2e-3, 0.0], [1e-3, 1.5e-3]]), bias=np.zeros(2)),
        "lif": nir.CubaLIF(
            tau_syn=np.full(2, 5e-4),
            tau_mem=np.full(2, 1e-3),
            r=np.ones(2),
            v_leak=np.zeros(2),
            v_threshold=np.ones(2),
            w_in=np.ones(2),
        ),
        "out": nir.Output(output_type=np.array([2])),
    }
    graph = nir.NIRGraph(
        nodes=nodes,
        edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")],
        metadata={"time_unit": "s"},
    )
    buf = io.BytesIO()
    nir.write(buf, graph)
    return buf.getvalue()


def test_netfiles_read_nir_in_ms_and_write_it_back():
    data = _other_framework_graph()
    nf = fp.from_json(netfiles.read_network_file("other.nir", data))
    assert nf.meta["time_unit"] == "ms" and nf.meta["outputs"] == [0, 1]
    np.testing.assert_allclose(nf.network.tau_s, [0.5, 0.5], rtol=1e-15)  # 5e-4 s = 0.5 ms
    back = fp.from_nir(netfiles.nir_file(fp.to_json(nf.network, meta=nf.meta)))
    assert back.meta["time_unit"] == "ms"
    np.testing.assert_array_equal(back.network.weights, nf.network.weights)


def test_upload_nir_and_bad_nir_files():
    at = open_page("network")
    for name, data, match in [
        ("junk.nir", b"not hdf5", "not an HDF5 file"),
        ("events.nir", _events(), "event data"),
    ]:
        at.file_uploader(key="net.upload").set_value((name, data, "application/x-hdf5"))
        at.run()
        assert not at.exception
        errors = [e.value for e in at.error]
        assert any(
            f"{name} is not a valid fpsnn network" in e and match in e and "Traceback" not in e
            for e in errors
        ), errors
    at.file_uploader(key="net.upload").set_value(
        ("other.nir", _other_framework_graph(), "application/x-hdf5")
    )
    at.run()
    assert at.selectbox(key="motif").value == "uploaded"
    at.text_input(key="uploaded.in0").set_value("0.2").run()
    at.text_input(key="uploaded.in1").set_value("0.5").run()
    assert_clean(at)
    net = fp.from_nir(_other_framework_graph(), time_unit="ms").network
    sim = fp.simulate(net, [[0.2], [0.5]], float(at.slider(key="uploaded.t_max").value))
    assert sim.n_spikes > 0 and int(metric(at, "Spikes")) == sim.n_spikes
    assert any("times in ms" in c.value for c in at.sidebar.caption)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download as NIR" in labels and "Network (NIR)" in labels, labels


def _events() -> bytes:
    buf = io.BytesIO()
    fp.save_nir_inputs(buf, [[0.1], [0.2]], 2, 1.0)
    return buf.getvalue()


def test_browser_uploads_a_nir_file(page, server_url, tmp_path):
    path = tmp_path / "other.nir"
    path.write_bytes(_other_framework_graph())
    page.goto(f"{server_url}/network")
    wait_ready(page)
    page.get_by_text("Load / save network").click()
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
    rerun_done(page)
    page.wait_for_url("**motif=Uploaded*")
    page.wait_for_function(
        "() => document.querySelectorAll('input[aria-label=\"Input 0 spike times\"]').length === 1"
    )
    page.get_by_role("textbox", name="Input 0 spike times").fill("0.2")
    page.keyboard.press("Enter")
    rerun_done(page)
    page.get_by_role("textbox", name="Input 1 spike times").fill("0.5")
    page.keyboard.press("Enter")
    rerun_done(page)
    assert page.get_by_test_id("stException").count() == 0
    assert "motif=Uploaded%3A+other.nir" in page.url
    assert (
        page.get_by_text(
            "From the file: weights W and constants τ_s, τ_n, θ; no input spike "
            "times (type them below); times in ms."
        ).count()
        == 1
    )
    net = fp.from_nir(path, time_unit="ms").network
    sim = fp.simulate(net, [[0.2], [0.5]], 4.0)
    assert int(metric_value(page, "Spikes")) == sim.n_spikes > 0


def _inhibition_run():
    """The Feed-forward inhibition motif as the sidebar builds it by default (seed 0,
    default constants) and its spike count, simulated here from the preset."""
    net, wiring = presets.motif_network(
        "inhibition", 0, presets.TAU_S, presets.TAU_N, presets.THETA
    )
    sim = fp.simulate(net, wiring.inputs, presets.T_MAX)
    return net, wiring.inputs, sim


def test_nir_round_trip_keeps_the_input_spike_times():
    """The NIR file of the page's network, uploaded in a fresh session, gives back the
    weights and the input spike times: the same spikes, and the page says what came from
    the file."""
    net, inputs, sim = _inhibition_run()
    at = open_page("network")
    at.selectbox(key="motif").set_value("inhibition").run()
    data = netfiles.nir_file(at.session_state["fpsnn.network"].json)
    fresh = open_page("network")
    fresh.file_uploader(key="net.upload").set_value(
        ("fpsnn-inhibition.nir", data, "application/x-hdf5")
    )
    fresh.run()
    assert_clean(fresh)
    assert fresh.selectbox(key="motif").value == "uploaded"
    for j, train in enumerate(inputs):
        assert parse_times(fresh.text_input(key=f"uploaded.in{j}").value) == tuple(train)
    assert fresh.slider(key="uploaded.t_max").value == presets.T_MAX
    assert sim.n_spikes > 0 and int(metric(fresh, "Spikes")) == sim.n_spikes
    n_in = sum(len(t) for t in inputs)
    assert any(
        f"From the file: weights W and constants τ_s, τ_n, θ, input spike times "
        f"({n_in} spikes); times in ms." == c.value
        for c in fresh.sidebar.caption
    ), [c.value for c in fresh.sidebar.caption]


def test_browser_nir_download_then_upload_keeps_the_inputs(page, server_url, tmp_path):
    """Chromium: "Download as NIR" on Feed-forward inhibition, then that file uploaded in a
    new tab: the network spikes as before (not silent)."""
    _, _, sim = _inhibition_run()
    page.goto(f"{server_url}/network?motif=Feed-forward+inhibition")
    wait_ready(page)
    assert int(metric_value(page, "Spikes")) == sim.n_spikes > 0
    page.get_by_text("Load / save network").click()
    button = page.get_by_role("button", name="Download as NIR")
    button.wait_for()
    # the file is built when clicked (the server's first one imports nir and h5py); the
    # 30 s default ran out once in a full run on a machine loaded by a training run
    with page.expect_download(timeout=90_000) as info:
        button.click()
    path = tmp_path / "fpsnn-inhibition.nir"
    info.value.save_as(path)
    fresh = page.context.new_page()
    fresh.goto(f"{server_url}/network")
    wait_ready(fresh)
    fresh.get_by_text("Load / save network").click()
    fresh.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
    rerun_done(fresh)
    fresh.wait_for_url("**motif=Uploaded*")
    rerun_done(fresh)
    assert fresh.get_by_test_id("stException").count() == 0
    assert int(metric_value(fresh, "Spikes")) == sim.n_spikes
    assert fresh.get_by_text("input spike times (3 spikes)", exact=False).count() == 1
    fresh.close()
