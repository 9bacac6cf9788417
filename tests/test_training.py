"""Training: Adam, weight bumping, evaluation, reproducibility, and that learning works."""

from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

import fpsnn_core as fp
from fpsnn_core import batched as bt
from fpsnn_core import datasets as ds
from fpsnn_core import training as tr


def _yinyang(n_train=300, n_val=200, hidden=(20,), **kw):
    cfg = tr.default_config("yinyang", hidden=hidden, **kw)
    enc = ds.load_task("xor", **cfg.encoding_kwargs()).encoding      # [0, 1] ranges
    enc = ds.Encoding([0] * 4, [1] * 4, enc.t_early, enc.t_late, enc.t_bias)
    split = lambda d: tr.Split(enc.encode(d.values), d.labels)
    return split(ds.yinyang(n_train, 1)), split(ds.yinyang(n_val, 2)), cfg


def test_adam_step_by_hand():
    W = np.array([[1.0, -2.0]])
    g1, g2 = np.array([[0.5, -0.1]]), np.array([[-0.2, 0.3]])
    state = tr.AdamState.zeros(W.shape)
    W1, s1 = tr.adam_step(W, g1, state, lr=0.1)
    # first step: bias-corrected m = g, v = g^2, so the step is lr * g / (|g| + eps)
    assert np.allclose(W1, W - 0.1 * g1 / (np.abs(g1) + 1e-8), rtol=0, atol=1e-15)
    W2, s2 = tr.adam_step(W1, g2, s1, lr=0.1)
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1 ** 2 + 0.001 * g2 ** 2
    expected = W1 - 0.1 * (m / (1 - 0.81)) / (np.sqrt(v / (1 - 0.999 ** 2)) + 1e-8)
    assert np.allclose(W2, expected, rtol=0, atol=1e-15) and s2.t == 2
    assert np.array_equal(state.m, np.zeros(W.shape))            # inputs unchanged


def test_bump_weights_revives_silent_neurons():
    rng = np.random.default_rng(0)
    net = fp.Network.feedforward([3, 4, 2], rng)
    times = np.array([[0.5, np.inf], [0.7, np.inf], [0.6, 0.9], [np.inf, 0.4], [0.3, np.inf]])
    labels = np.array([1, 1, 0, 0, 0])
    counts = [np.array([[1, 0, 2, 0], [0, 0, 1, 0], [3, 0, 0, 1], [0, 0, 0, 0], [1, 0, 1, 1]])]
    W = tr.bump_weights(net, times, labels, counts, bump=0.1)
    dW = W - net.weights
    expected = np.zeros_like(dW)
    expected[0:3, 1] = 0.1                 # hidden neuron 1 fired in no sample
    expected[3:7, 4] = 0.1                 # output 0 silent on a sample of its class (3)
    expected[3:7, 5] = 0.1                 # output 1 silent on the samples of its class
    assert np.allclose(dW, expected, rtol=0, atol=1e-15)
    labels = np.array([0, 0, 1, 1, 0])     # now each output is silent only where it is wrong
    dW = tr.bump_weights(net, times, labels, counts, bump=0.1) - net.weights
    assert np.all(dW[3:7, 4:6] == 0) and np.allclose(dW[0:3, 1], 0.1, rtol=0, atol=1e-15)
    assert np.array_equal(tr.bump_weights(net, times, labels, counts, 0.0), net.weights)


def test_evaluate_counts_and_confusion():
    train, _, cfg = _yinyang(n_train=60)
    net = tr.init_network(5, 3, cfg)
    ev = tr.evaluate(net, train, cfg, chunk=25)
    run = bt.simulate_batch(net, train.inputs, cfg.t_max)
    T = run.first_times
    assert np.array_equal(ev.first_times, T)
    winner = np.argmin(T, axis=1)
    unique = (T == T.min(axis=1, keepdims=True)).sum(axis=1) == 1
    assert ev.accuracy == np.mean((winner == train.labels) & unique & np.isfinite(T.min(axis=1)))
    assert ev.confusion.sum() == 60
    assert np.array_equal(ev.confusion.sum(axis=1), np.bincount(train.labels, minlength=3))
    loss = bt.first_spike_loss(run, train.labels, tau_0=cfg.tau_0, gamma=cfg.gamma, tau_1=cfg.tau_1)
    assert np.isclose(ev.loss, loss.values.mean(), rtol=1e-13)


def test_short_training_run_learns_yinyang():
    train, val, cfg = _yinyang(n_train=200, epochs=6, batch_size=20, lr=0.02)
    before = tr.evaluate(tr.init_network(5, 3, cfg), val, cfg)
    state = tr.train(train, val, 3, cfg)
    after = tr.evaluate(state.best, val, cfg)
    assert len(state.history) == 6
    assert state.history[-1].train_loss < state.history[0].train_loss - 0.05
    assert after.loss < before.loss - 0.01
    # chance is 1/3; the initial network is at about 1/4
    assert after.accuracy > 0.6 > before.accuracy + 0.2, (before.accuracy, after.accuracy)


def test_runs_are_reproducible_resumable_and_seeded():
    train, val, cfg = _yinyang(n_train=90, n_val=30, epochs=2, batch_size=20, hidden=(8,))
    a = tr.train(train, val, 3, cfg)
    # the same run in chunks of 3 mini-batches, as the page does
    state = tr.start(5, 3, cfg)
    while not state.done:
        state = tr.advance(state, train, val, 3)
    assert np.array_equal(a.network.weights, state.network.weights)
    assert [m.val_loss for m in a.history] == [m.val_loss for m in state.history]
    other = tr.train(train, val, 3, replace(cfg, seed=1))
    assert not np.array_equal(a.network.weights, other.network.weights)


def test_fp_and_adjoint_train_alike():
    train, val, cfg = _yinyang(n_train=60, n_val=20, epochs=1, batch_size=20, hidden=(8,))
    a = tr.train(train, val, 3, cfg)
    b = tr.train(train, val, 3, replace(cfg, method="adjoint"))
    assert np.allclose(a.network.weights, b.network.weights, rtol=0, atol=1e-9)


def test_worker_pool_gives_the_same_gradient():
    train, _, cfg = _yinyang(n_train=40, hidden=(8,))
    net = tr.init_network(5, 3, cfg)
    x, y = train.inputs, train.labels
    one = tr.batch_gradient(net, x, y, cfg)
    with ProcessPoolExecutor(2) as pool:
        two = tr.batch_gradient(net, x, y, cfg, pool)
    assert np.isclose(one.loss, two.loss, rtol=1e-13)
    assert np.allclose(one.gradient, two.gradient, rtol=0,
                       atol=1e-13 * max(1.0, np.abs(one.gradient).max()))
    assert np.array_equal(one.first_times, two.first_times)
    assert np.array_equal(one.spike_counts[0], two.spike_counts[0])
    assert np.array_equal(one.losses, two.losses)


def test_early_stopping_keeps_the_best_network():
    train, val, cfg = _yinyang(n_train=40, n_val=30, epochs=10, batch_size=40, hidden=(6,),
                               lr=1e-12, bump=0.0, patience=2)
    state = tr.train(train, val, 3, cfg)
    # nothing changes, so validation never improves after epoch 1: stop after 1 + patience
    assert state.stopped and len(state.history) == 3 and state.best_epoch == 1


@pytest.mark.parametrize("bad", [{"lr": 0}, {"batch_size": 0}, {"method": "bptt"},
                                 {"weight_mean": (1.0,)}, {"hidden": (0,)}, {"bump": -1}])
def test_bad_config(bad):
    with pytest.raises(ValueError):
        tr.default_config("yinyang", **bad)
    with pytest.raises(ValueError):
        tr.default_config("mnist")


def test_config_round_trip():
    cfg = tr.default_config("iris", seed=4)
    assert tr.TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        tr.TrainConfig.from_dict({"learning_rate": 1})


def test_bump_guard_stops_adam_pushing_a_silent_output_further_down():
    """(R1): an output silent on a sample of its own class only gains weight in that step,
    however hard the gradient from the samples where it fires wrongly pushes it down; its
    Adam momentum (which kept pushing it down) is dropped. Without the guard the same step
    lowers its weights (the Iris collapse)."""
    net = fp.Network.feedforward([2, 3, 2], np.random.default_rng(0), weight_mean=[3.0, 0.4],
                                 weight_std=[0.3, 0.05], theta=1.0)
    inputs = np.array([[0.1, 0.2], [0.3, 0.1], [0.2, 0.2]])
    run = bt.simulate_batch(net, inputs, 3.0)
    assert np.all(np.isfinite(run.layers[0].times[:, :, 0]))          # hidden layer fires
    # label 1 for every sample: make output 1 silent by pushing its weights far down
    W = net.weights.copy()
    W[2:5, 4] = -2.0
    net = net.with_weights(W)
    labels = np.array([1, 1, 1])
    assert not np.isfinite(bt.simulate_batch(net, inputs, 3.0).first_times[:, 1]).any()
    split = tr.Split(inputs, labels)
    m = np.zeros_like(W)
    m[2:5, 4] = 0.5                          # momentum from earlier steps pushing it down
    for guard, goes_up in ((True, True), (False, False)):
        cfg = tr.TrainConfig(hidden=(3,), batch_size=3, lr=0.1, bump=0.01, bump_guard=guard,
                             t_max=3.0)
        state = tr.TrainState(net, tr.AdamState(m, np.full_like(W, 1e-4), 5), cfg)
        after = tr.step(state, split)
        dW = after.network.weights[2:5, 4] - W[2:5, 4]
        if goes_up:
            assert np.allclose(dW, 0.01, rtol=0, atol=1e-12)          # the bump only
            assert np.all(after.adam.m[2:5, 4] == 0)
        else:
            assert np.all(dW < 0)                                     # Adam's step wins
