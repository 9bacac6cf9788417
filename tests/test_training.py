"""Training: Adam, weight bumping, evaluation, reproducibility, and that learning works."""

from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

import fpsnn_core as fp
from fpsnn_core import batched as bt
from fpsnn_core import datasets as ds
from fpsnn_core import training as tr


def _yinyang(n_train=300, n_val=200, hidden=(20,), config="yinyang", **kw):
    cfg = tr.named_config(config, hidden=hidden, **kw)
    enc = ds.load_task("xor", **cfg.encoding_kwargs()).encoding  # [0, 1] ranges
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
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    expected = W1 - 0.1 * (m / (1 - 0.81)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    assert np.allclose(W2, expected, rtol=0, atol=1e-15) and s2.t == 2
    assert np.array_equal(state.m, np.zeros(W.shape))  # inputs unchanged


def test_bump_weights_revives_silent_neurons():
    rng = np.random.default_rng(0)
    net = fp.Network.feedforward([3, 4, 2], rng)
    times = np.array([[0.5, np.inf], [0.7, np.inf], [0.6, 0.9], [np.inf, 0.4], [0.3, np.inf]])
    labels = np.array([1, 1, 0, 0, 0])
    counts = [np.array([[1, 0, 2, 0], [0, 0, 1, 0], [3, 0, 0, 1], [0, 0, 0, 0], [1, 0, 1, 1]])]
    W = tr.bump_weights(net, times, labels, counts, bump=0.1)
    dW = W - net.weights
    expected = np.zeros_like(dW)
    expected[0:3, 1] = 0.1  # hidden neuron 1 fired in no sample
    expected[3:7, 4] = 0.1  # output 0 silent on a sample of its class (3)
    expected[3:7, 5] = 0.1  # output 1 silent on the samples of its class
    assert np.allclose(dW, expected, rtol=0, atol=1e-15)
    labels = np.array([0, 0, 1, 1, 0])  # now each output is silent only where it is wrong
    dW = tr.bump_weights(net, times, labels, counts, bump=0.1) - net.weights
    assert np.all(dW[3:7, 4:6] == 0) and np.allclose(dW[0:3, 1], 0.1, rtol=0, atol=1e-15)
    assert np.array_equal(tr.bump_weights(net, times, labels, counts, 0.0), net.weights)


def _evaluate_by_hand(net, split, cfg):
    """Accuracy, confusion and mean loss with the general simulator, one sample at a time,
    the first spikes read from the spike list and the class decided by plain comparisons."""
    outputs = list(net.layers[-1])
    C = len(outputs)
    confusion = np.zeros((C, C + 1), dtype=int)
    first, losses = [], []
    for x, y in zip(split.inputs, split.labels.tolist()):
        sim = fp.simulate(net, [[v] for v in x], cfg.t_max)
        t = [
            min((f for f, n in zip(sim.spike_times, sim.spike_neurons) if n == o), default=np.inf)
            for o in outputs
        ]
        earliest = min(t)
        winners = [c for c in range(C) if t[c] == earliest]
        pred = winners[0] if earliest < np.inf and len(winners) == 1 else C
        confusion[y, pred] += 1
        first.append(t)
        losses.append(
            fp.first_spike_cross_entropy(
                sim,
                outputs,
                y,
                tau_0=cfg.tau_0,
                gamma=cfg.gamma,
                tau_1=cfg.tau_1,
                silent_time=cfg.t_max,
            ).value
        )
    return np.trace(confusion[:, :C]) / len(split), confusion, np.array(first), np.mean(losses)


def test_evaluate_against_the_general_simulator_by_hand():
    train, _, cfg = _yinyang(n_train=60)
    net = tr.init_network(5, 3, cfg)
    # outputs 0 and 1 get the same incoming weights: they fire at exactly the same time, so
    # no sample has a decision between them (the tie rule of accuracy and confusion)
    W = np.array(net.weights)
    W[:, net.layers[-1][1]] = W[:, net.layers[-1][0]]
    tied = net.with_weights(W)
    for network in (net, tied):
        ev = tr.evaluate(network, train, cfg, chunk=25)
        accuracy, confusion, first, loss = _evaluate_by_hand(network, train, cfg)
        # equal here; the batched path and the event loop agree to 2e-14 (test_batched)
        np.testing.assert_allclose(ev.first_times, first, rtol=1e-13, atol=0)
        assert np.array_equal(ev.confusion, confusion)
        assert ev.accuracy == accuracy
        assert ev.loss == pytest.approx(loss, rel=1e-13)
    assert confusion[:, 0].sum() == confusion[:, 1].sum() == 0  # the tied network
    assert confusion[:, 3].sum() > 0


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
    # holds: bit-identical (the two gradients differ by ~1e-17, below the weights' ulp
    # after Adam's step); allowed: a few ulp of the weights
    assert np.allclose(a.network.weights, b.network.weights, rtol=0, atol=1e-15)


def test_worker_pool_gives_the_same_gradient():
    train, _, cfg = _yinyang(n_train=40, hidden=(8,))
    net = tr.init_network(5, 3, cfg)
    x, y = train.inputs, train.labels
    one = tr.batch_gradient(net, x, y, cfg)
    with ProcessPoolExecutor(2) as pool:
        two = tr.batch_gradient(net, x, y, cfg, pool)
    # holds: 2e-16 in the loss, 0 in the gradient (sums over the split in another order)
    assert np.isclose(one.loss, two.loss, rtol=2e-15, atol=0)
    assert np.allclose(
        one.gradient, two.gradient, rtol=0, atol=2e-15 * max(1.0, np.abs(one.gradient).max())
    )
    assert np.array_equal(one.first_times, two.first_times)
    assert np.array_equal(one.spike_counts[0], two.spike_counts[0])
    assert np.array_equal(one.losses, two.losses)


def test_early_stopping_keeps_the_best_network():
    train, val, cfg = _yinyang(
        n_train=40,
        n_val=30,
        epochs=10,
        batch_size=40,
        hidden=(6,),
        lr=1e-12,
        bump=0.0,
        revive=0.0,
        patience=2,
    )
    state = tr.train(train, val, 3, cfg)
    # nothing changes, so validation never improves after epoch 1: stop after 1 + patience
    assert state.stopped and len(state.history) == 3 and state.best_epoch == 1


def test_plateau_goes_back_to_the_best_network_with_a_smaller_step():
    """(R3): after ``plateau`` epochs without a better validation result the run continues
    from its best network, Adam's first moment dropped and the step size times
    ``plateau_factor``; the counter starts again there, and not before ``plateau_start``."""
    train, val, cfg = _yinyang(
        n_train=40,
        n_val=30,
        epochs=7,
        batch_size=20,
        hidden=(20,),
        lr=1e-9,
        bump=0.0,
        revive=0.0,
        patience=100,
        plateau=2,
        plateau_factor=0.25,
    )
    assert cfg.epochs == 7 and -(-len(train) // cfg.batch_size) == 2
    state = tr.train(train, val, 3, cfg)
    # a step of 1e-9 leaves the validation result unchanged: epoch 1 stays the best one
    assert state.best_epoch == 1
    assert [m.restored for m in state.history] == [False, False, True, False, True, False, True]
    assert state.lr_scale == 0.25**3 and state.plateau_from == 7
    before = tr.advance(tr.start(5, 3, cfg), train, val, 5)  # epoch 3, first batch
    assert (before.epoch, before.batch) == (2, 1) and not np.array_equal(
        before.network.weights, before.best.weights
    )
    mid = tr.step(before, train)
    assert mid.adam.m.any()
    after = tr.end_epoch(mid, val)  # closes epoch 3
    assert after.network is after.best is before.best
    assert not after.adam.m.any() and np.array_equal(after.adam.v, mid.adam.v)
    assert after.adam.t == mid.adam.t and after.lr_scale == 0.25
    # the step size is scaled: Adam's step (A1) is proportional to it
    big = replace(after, config=replace(cfg, lr=0.01))
    one = tr.step(replace(big, lr_scale=1.0), train)
    quarter = tr.step(big, train)
    W = after.network.weights
    # holds: 2.2e-16, one ulp of the weights (the steps are taken from W and rounded)
    assert np.allclose(
        quarter.network.weights - W, 0.25 * (one.network.weights - W), rtol=0, atol=1e-15
    )
    assert np.abs(one.network.weights - W).max() > 0
    # counted from plateau_start on: nothing before it
    late = tr.train(train, val, 3, replace(cfg, plateau_start=4))
    assert [m.restored for m in late.history] == [False] * 5 + [True, False]
    off = tr.train(train, val, 3, replace(cfg, plateau=0))
    assert off.lr_scale == 1.0 and not any(m.restored for m in off.history)


@pytest.mark.parametrize(
    "bad",
    [
        {"lr": 0},
        {"batch_size": 0},
        {"method": "bptt"},
        {"weight_mean": (1.0,)},
        {"hidden": (0,)},
        {"bump": -1},
        {"plateau": -1},
        {"plateau": 2.5},
        {"plateau_factor": 0},
        {"plateau_factor": 1.5},
        {"plateau_start": -1},
    ],
)
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
    net = fp.Network.feedforward(
        [2, 3, 2],
        np.random.default_rng(0),
        weight_mean=[3.0, 0.4],
        weight_std=[0.3, 0.05],
        theta=1.0,
    )
    inputs = np.array([[0.1, 0.2], [0.3, 0.1], [0.2, 0.2]])
    run = bt.simulate_batch(net, inputs, 3.0)
    assert np.all(np.isfinite(run.layers[0].times[:, :, 0]))  # hidden layer fires
    # label 1 for every sample: make output 1 silent by pushing its weights far down
    W = net.weights.copy()
    W[2:5, 4] = -2.0
    net = net.with_weights(W)
    labels = np.array([1, 1, 1])
    assert not np.isfinite(bt.simulate_batch(net, inputs, 3.0).first_times[:, 1]).any()
    split = tr.Split(inputs, labels)
    m = np.zeros_like(W)
    m[2:5, 4] = 0.5  # momentum from earlier steps pushing it down
    for guard, goes_up in ((True, True), (False, False)):
        cfg = tr.TrainConfig(
            hidden=(3,), batch_size=3, lr=0.1, bump=0.01, bump_guard=guard, t_max=3.0
        )
        state = tr.TrainState(net, tr.AdamState(m, np.full_like(W, 1e-4), 5), cfg)
        after = tr.step(state, split)
        dW = after.network.weights[2:5, 4] - W[2:5, 4]
        if goes_up:
            assert np.allclose(dW, 0.01, rtol=0, atol=1e-12)  # the bump only
            assert np.all(after.adam.m[2:5, 4] == 0)
        else:
            assert np.all(dW < 0)  # Adam's step wins


def test_runaway_batches_are_skipped_and_the_run_kept(monkeypatch):
    """A mini-batch past the spike budget is skipped and counted; the run goes on."""
    train, val, cfg = _yinyang(n_train=60, n_val=20, epochs=2, batch_size=20, hidden=(8,))
    calls, real = [], tr.batch_gradient

    def flaky(net, x, y, config, pool=None):  # the second mini-batch runs away
        calls.append(1)
        if len(calls) == 2:
            raise fp.RunawayFiringError("neuron 3 fired more than 200 times")
        return real(net, x, y, config, pool)

    monkeypatch.setattr(tr, "batch_gradient", flaky)
    state = tr.train(train, val, 3, cfg)
    assert len(state.history) == 2 and state.skipped_batches == 1
    assert [m.skipped_batches for m in state.history] == [1, 0]
    # the skipped batch made no step: Adam counted 5 steps, not 6
    assert state.adam.t == 5 and state.best is not None


def test_real_runaway_in_training_and_evaluation(monkeypatch):
    """With a spike budget of one spike per neuron (the simulation's own check), every
    mini-batch in which a hidden neuron fires twice is skipped, and evaluation counts such
    samples as silent, hence wrong, instead of raising."""
    train, val, cfg = _yinyang(
        n_train=60, n_val=20, epochs=1, batch_size=20, hidden=(8,), config="yinyang-2021"
    )  # hidden neurons fire often
    net = tr.init_network(5, 3, cfg)
    counts = np.isfinite(bt.simulate_batch(net, val.inputs, cfg.t_max).layers[0].times).sum(2)
    multi = counts.max(axis=1) > 1
    assert 0 < multi.sum()
    monkeypatch.setitem(bt.simulate_batch.__kwdefaults__, "max_spikes", 1)
    ev = tr.evaluate(net, val, cfg, chunk=8)
    assert ev.runaway == multi.sum() and np.all(ev.predictions[multi] == -1)
    assert np.all(np.isinf(ev.first_times[multi])) and np.isfinite(ev.loss)
    state = tr.train(train, val, 3, cfg)
    assert state.skipped_batches == 3 == state.history[0].skipped_batches
    assert np.array_equal(state.network.weights, net.weights)


def test_scored_of_one_simulation_is_evaluate_in_chunks():
    """``scored`` (the Training page scores its one simulation with it) gives what
    ``evaluate`` gives simulating in chunks, loss and confusion included."""
    cfg = tr.default_config("yinyang", hidden=(20,))
    task = ds.load_task("yinyang", **cfg.encoding_kwargs())
    split = tr.Split(
        task.encoding.encode(task.validation.values[:300]), task.validation.labels[:300]
    )
    net = tr.init_network(5, 3, cfg)
    chunked = tr.evaluate(net, split, cfg, chunk=70)
    once = tr.scored(bt.simulate_batch(net, split.inputs, cfg.t_max).first_times, split.labels, cfg)
    assert once.accuracy == chunked.accuracy and 0 < once.accuracy < 1
    assert once.loss == pytest.approx(chunked.loss, rel=1e-14)
    np.testing.assert_array_equal(once.confusion, chunked.confusion)
    np.testing.assert_array_equal(once.first_times, chunked.first_times)
    assert once.confusion.sum() == 300
