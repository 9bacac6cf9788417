"""Warm start: after it, the first open of a default page computes nothing (no SymPy
derivation, no simulation) and shows the same numbers."""

import threading

import numpy as np
import pytest
from apphelpers import assert_clean, metric, open_page

import fpsnn_core as fp
from fpsnn_app import derivation, presets, ui, warm
from fpsnn_app.scene_cache import SCENES
from fpsnn_app.scenes import derivation as derivation_scene
from fpsnn_app.scenes import gradient_check, home, network, neuron


def _forget_everything() -> None:
    SCENES.clear()
    for fn in (
        derivation.symbolic_kernel,
        derivation.derive,
        derivation.kernel_functions,
        gradient_check.slice_runs,
        network.simulate_file,
    ):
        fn.cache_clear()


def _refuse(*_args, **_kwargs):
    raise AssertionError("computed again after the warm start")


@pytest.fixture
def warmed():
    """Every cache emptied, then filled by the warm start alone."""
    _forget_everything()
    thread = warm.start(ui.cached_call)
    thread.join(timeout=300)
    assert not thread.is_alive() and thread.name == "fpsnn-warm-start"
    yield
    SCENES.clear()


def test_every_step_succeeds():
    assert warm.import_heavy() == []
    assert warm.warm(ui.cached_call) == []


def test_not_started_under_apptest():
    at = open_page("home")
    assert_clean(at)
    assert ui.warm_start() is None
    assert "fpsnn-warm-start" not in [t.name for t in threading.enumerate()]


def test_derivation_after_warm_start_pays_no_sympy(warmed, monkeypatch):
    kernel_misses = derivation.symbolic_kernel.cache_info().misses
    assert kernel_misses == 1, "the warm start derived the kernel once"
    monkeypatch.setattr(derivation_scene, "derive", _refuse)
    monkeypatch.setattr(derivation_scene, "kernel_functions", _refuse)
    at = open_page("derivation")
    assert_clean(at)
    assert derivation.symbolic_kernel.cache_info().misses == kernel_misses
    # the numbers are those of a fresh derivation
    monkeypatch.undo()
    fresh = derivation_scene.derivation_scene(
        presets.TAU_S, presets.TAU_N, presets.THETA, derivation_scene.DEFAULT_W
    )
    shown = at.table[0].value["df/dw"].tolist()
    assert shown[0] == f"{fresh.df_dw_sympy:.8f}" and shown[1] == f"{fresh.df_dw_fp:.8f}"


@pytest.mark.parametrize(
    "page, module", [("home", home), ("neuron", neuron), ("gradient_check", gradient_check)]
)
def test_default_pages_after_warm_start_simulate_nothing(warmed, monkeypatch, page, module):
    monkeypatch.setattr(module, "simulate", _refuse)
    if page == "gradient_check":
        monkeypatch.setattr(module, "simulate_file", _refuse)
    at = open_page(page)
    assert_clean(at)
    if page == "gradient_check":  # the same loss as the core's
        net, wiring = presets.motif_network(presets.DEFAULT_MOTIF, 0)
        sim = fp.simulate(net, wiring.inputs, presets.T_MAX)
        loss = fp.first_spike_cross_entropy(sim, list(wiring.outputs), 0, silent_time=presets.T_MAX)
        assert np.isclose(float(metric(at, "Loss")), loss.value, atol=1e-5)
        assert len(at.get("plotly_chart")) == 2
