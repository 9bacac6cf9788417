"""The Training page's sample microscope uses the training's own rules: the loss it shows is
the loss training minimises (the task's silent-output rule), and its prediction is the core's
(no decision on a tie), checked against ``fpsnn_core.training.evaluate`` on the same sample."""

import numpy as np

import fpsnn_core as fp
from fpsnn_app.scenes.training import evaluation_settings, sample_scene, task_data
from fpsnn_core import training as tr


def test_microscope_loss_and_prediction_are_the_trainings():
    cfg = tr.default_config("yinyang", seed=0)
    assert cfg.silent == "exclude"  # the rule the old microscope ignored
    data = task_data("yinyang", **cfg.encoding_kwargs())
    state = tr.start(data.validation.inputs.shape[1], 3, cfg)
    net = state.network
    theta = net.theta.copy()
    theta[net.layers[-1][2]] = 1e6  # output 2 never fires
    net = fp.Network(net.weights, net.n_inputs, net.tau_s, net.tau_n, theta, net.mask, net.layers)
    net_json = fp.to_json(net)
    ev = tr.evaluate(net, data.validation, cfg)
    assert not np.isfinite(ev.first_times[:, 2]).any()
    # samples of class 2 (their own output silent: where the rules differ) and of class 0
    picked = np.concatenate(
        [
            np.flatnonzero(data.validation.labels == 2)[:3],
            np.flatnonzero(data.validation.labels == 0)[:1],
        ]
    )
    for index in picked.tolist():
        scene = sample_scene(net_json, "yinyang", evaluation_settings(cfg), index)
        one = tr.Split(
            data.validation.inputs[index : index + 1], data.validation.labels[index : index + 1]
        )
        want = tr.evaluate(net, one, cfg)
        np.testing.assert_allclose(scene.loss, want.loss, rtol=1e-12)
        assert scene.predicted == int(want.predictions[0])
        np.testing.assert_array_equal(scene.first_times, ev.first_times[index])


def test_microscope_gives_no_decision_on_a_tie():
    """Two outputs fed by the same input with the same weight fire at the same time."""
    cfg = tr.default_config("xor", seed=0)
    data = task_data("xor", **cfg.encoding_kwargs())
    state = tr.start(data.validation.inputs.shape[1], 2, cfg)
    net = state.network
    W = net.weights.copy()
    out = list(net.layers[-1])
    W[:, out[1]] = W[:, out[0]]
    tied = fp.Network(W, net.n_inputs, net.tau_s, net.tau_n, net.theta, net.mask, net.layers)
    scene = sample_scene(fp.to_json(tied), "xor", evaluation_settings(cfg), 0)
    assert np.isfinite(scene.first_times).all() and scene.first_times[0] == scene.first_times[1]
    assert scene.predicted == -1
