"""The output layer's own bump size (``bump_output``): hidden neurons silent on a whole
mini-batch are still revived, while an output silent on a sample of its class gets
``bump_output`` (the Yin-Yang default: none) instead of ``bump``."""

import numpy as np
import pytest

import fpsnn_core as fp
from fpsnn_core import batched as bt
from fpsnn_core import training as tr


def _silent_case(tau_s=0.25, tau_n=1.0):
    """A 2-3-2 network (Yin-Yang's time constants) whose hidden neuron 2 fires in no sample
    and whose output 1 is silent on the samples of its class (label 1)."""
    net = fp.Network.feedforward(
        [2, 3, 2],
        np.random.default_rng(0),
        weight_mean=[8.0, 2.0],
        weight_std=[0.3, 0.05],
        tau_s=tau_s,
        tau_n=tau_n,
        theta=1.0,
    )
    W = net.weights.copy()
    W[0:2, 2] = -1.0  # hidden neuron 2 (column 2): dead
    W[2:5, 4] = 0.3  # output 1 (column 4): silent, peak 0.27
    net = net.with_weights(W)
    inputs = np.array([[0.1, 0.2], [0.3, 0.1], [0.2, 0.2]])
    run = bt.simulate_batch(net, inputs, 3.0)
    counts = np.isfinite(run.layers[0].times).sum(axis=2)
    assert np.all(counts[:, 2] == 0) and np.all(counts[:, :2] > 0)
    assert not np.isfinite(run.first_times[:, 1]).any() and np.isfinite(run.first_times[:, 0]).all()
    return net, inputs, np.array([1, 1, 0]), run


@pytest.mark.parametrize("bump_output, expected_out", [(None, 0.1), (0.0, 0.0), (0.03, 0.03)])
def test_bump_output_sets_the_output_layers_bump(bump_output, expected_out):
    net, _, labels, run = _silent_case()
    counts = [np.isfinite(run.layers[0].times).sum(axis=2)]
    dW = tr.bump_weights(net, run.first_times, labels, counts, 0.1, bump_output) - net.weights
    expected = np.zeros_like(dW)
    expected[0:2, 2] = 0.1  # the dead hidden neuron: bump
    expected[2:5, 4] = expected_out  # the silent label output: bump_output
    assert np.allclose(dW, expected, rtol=0, atol=1e-15)


def test_yinyang_default_step_bumps_dead_hidden_neurons_and_revives_silent_outputs():
    """One training step of the Yin-Yang default configuration: the dead hidden neuron's
    incoming weights rise by ``bump`` (no gradient reaches them), and the silent output's
    change is Adam's step (computed here from the batch gradient) plus (R4), not the
    uniform bump: the weight from the hidden neuron that never fired does not move."""
    cfg = tr.default_config(
        "yinyang", hidden=(3,), weight_mean=(8.0, 2.0), weight_std=(0.3, 0.05), batch_size=3
    )
    net, inputs, labels, _ = _silent_case(cfg.tau_s, cfg.tau_n)
    state = tr.TrainState(net, tr.AdamState.zeros(net.weights.shape), cfg)
    after = tr.step(state, tr.Split(inputs, labels))
    g = bt.loss_and_gradient(
        net,
        inputs,
        labels,
        cfg.t_max,
        tau_0=cfg.tau_0,
        gamma=cfg.gamma,
        tau_1=cfg.tau_1,
        silent=cfg.silent,
        on_grazing="skip",
    ).gradient
    assert np.all(g[0:2, 2] == 0)  # no gradient for a dead neuron
    # Adam's first step is lr * sign(g) where g != 0 (A1 with m = g, v = g^2)
    adam = -cfg.lr * g / (np.abs(g) + cfg.adam_eps)
    dW = after.network.weights - net.weights
    assert cfg.bump > 0
    assert np.allclose(dW[0:2, 2], cfg.bump, rtol=0, atol=1e-12)
    assert cfg.revive > 0 and cfg.bump_output == 0
    revival = tr.revival_step(
        net, inputs, labels, bt.simulate_batch(net, inputs, 3.0).first_times, cfg.t_max, cfg.revive
    )
    assert np.allclose(dW[2:5, 4], adam[2:5, 4] + revival[2:5, 4], rtol=0, atol=1e-12)
    assert dW[4, 4] == 0 and np.all(dW[2:4, 4] > 0)  # hidden neuron 2 is silent


def _output_potential(net, x, c, grid):
    """``V`` of output ``c`` on ``grid`` with the general simulator and its traces."""
    sim = fp.simulate(net, [[v] for v in x], 3.0)
    return fp.potentials(net, sim, grid, [int(net.layers[-1][c])]).V[:, 0]


def test_revival_raises_a_silent_outputs_peak_by_revive():
    """(R4): one silent label output on one sample; the step raises its potential at the
    grid time of its peak by exactly ``revive`` (V is linear in the weights), and leaves
    every other weight alone."""
    net, inputs, labels, run = _silent_case()
    x, c = inputs[:1], 1
    grid = np.linspace(0.0, 3.0, tr.REVIVE_GRID)
    before = _output_potential(net, x[0], c, grid)
    assert before.max() < net.theta[4]
    dW = tr.revival_step(net, x, labels[:1], run.first_times[:1], 3.0, 0.05)
    assert np.count_nonzero(dW[:, [0, 1, 2, 3]]) == 0 and np.all(dW[2:5, 4] >= 0)
    after = _output_potential(net.with_weights(net.weights + dW), x[0], c, grid)
    peak = np.argmax(before)
    assert after[peak] - before[peak] == pytest.approx(0.05, abs=1e-12)
    # a sample whose label output fires (label 0 here) gives no change
    assert not tr.revival_step(net, x, np.array([0]), run.first_times[:1], 3.0, 0.05).any()


def test_revival_makes_a_dead_output_fire_again():
    """Repeated (R4) steps alone revive an output that is silent on its samples, in about
    ``(theta - peak) / revive`` steps, where the uniform bump of the same number of steps
    would change all its weights."""
    net, inputs, labels, _ = _silent_case()
    steps = 0
    while True:
        T = bt.simulate_batch(net, inputs, 3.0).first_times
        if np.isfinite(T[labels == 1, 1]).all() or steps > 50:
            break
        net = net.with_weights(net.weights + tr.revival_step(net, inputs, labels, T, 3.0, 0.2))
        steps += 1
    assert np.isfinite(T[labels == 1, 1]).all()
    grid = np.linspace(0.0, 3.0, tr.REVIVE_GRID)
    peak0 = max(_output_potential(_silent_case()[0], x, 1, grid).max() for x in inputs[:2])
    assert 1 <= steps <= int(np.ceil((1.0 - peak0) / 0.2)) + 2


def test_bump_guard_leaves_an_output_alone_when_outputs_are_not_bumped():
    """(R1) acts on bumped neurons only: with ``bump_output=0`` a silent label output is not
    bumped, so Adam's momentum may still lower its weights, while with the shared bump the
    guard keeps them from going down."""
    net, inputs, labels, _ = _silent_case()
    W = net.weights
    m = np.zeros_like(W)
    m[2:5, 4] = 0.5  # earlier steps pushing output 1 down
    for bump_output, goes_down in ((0.0, True), (None, False)):
        cfg = tr.TrainConfig(
            hidden=(3,),
            batch_size=3,
            lr=0.1,
            bump=0.01,
            bump_guard=True,
            bump_output=bump_output,
            tau_s=0.25,
            t_max=3.0,
        )
        state = tr.TrainState(net, tr.AdamState(m, np.full_like(W, 1e-4), 5), cfg)
        dW = tr.step(state, tr.Split(inputs, labels)).network.weights[2:5, 4] - W[2:5, 4]
        assert np.all(dW < 0) if goes_down else np.allclose(dW, 0.01, rtol=0, atol=1e-12)
