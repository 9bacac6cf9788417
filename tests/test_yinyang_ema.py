"""(R5), the average of the weights that is validated and kept, and the cosine step size."""

from dataclasses import replace

import numpy as np
import pytest

from fpsnn_core import datasets as ds
from fpsnn_core import training as tr


def _task(n_train=60, n_val=30, **kw):
    cfg = tr.default_config("yinyang", hidden=(8,), batch_size=10, **kw)
    enc = ds.load_task("xor", **cfg.encoding_kwargs()).encoding  # [0, 1] ranges
    enc = ds.Encoding([0] * 4, [1] * 4, enc.t_early, enc.t_late, enc.t_bias)
    split = lambda d: tr.Split(enc.encode(d.values), d.labels)
    return split(ds.yinyang(n_train, 1)), split(ds.yinyang(n_val, 2)), cfg


def test_average_is_the_hand_computed_weighted_mean_of_the_steps():
    """After k steps the validated weights are sum_i (1-d) d^(k-i) W_i / (1 - d^k)."""
    d = 0.8
    train, val, cfg = _task(ema=d, lr=0.02)
    state = tr.start(5, 3, cfg)
    assert state.averaged is state.network  # before the first step
    Ws = []
    for _ in range(5):  # within the first epoch (6 mini-batches)
        state = tr.step(state, train)
        Ws.append(np.array(state.network.weights))
    k = len(Ws)
    hand = sum((1 - d) * d ** (k - i) * W for i, W in enumerate(Ws, 1)) / (1 - d**k)
    np.testing.assert_allclose(state.averaged.weights, hand, rtol=0, atol=1e-14)
    assert np.abs(hand - Ws[-1]).max() > 1e-4  # a real average, not the last step
    # the same steps without (R5) train the same network and validate it
    plain = tr.start(5, 3, replace(cfg, ema=0.0))
    for _ in range(5):
        plain = tr.step(plain, train)
    assert np.array_equal(plain.network.weights, state.network.weights)
    assert plain.averaged is plain.network and plain.ema_sum is None


def test_the_average_is_validated_and_kept_training_goes_on_from_the_raw_weights():
    train, val, cfg = _task(ema=0.9, lr=0.02, epochs=2, patience=5)
    state = tr.advance(tr.start(5, 3, cfg), train, val, 6)  # exactly one epoch
    assert state.epoch == 1 and state.best_epoch == 1
    assert np.array_equal(state.best.weights, state.averaged.weights)
    assert not np.array_equal(state.best.weights, state.network.weights)
    ev = tr.evaluate(state.averaged, val, cfg)
    assert state.history[-1].val_accuracy == ev.accuracy
    assert state.history[-1].val_loss == ev.loss
    nxt = tr.step(state, train)  # from the raw network, the average goes on
    assert nxt.ema_steps == 7
    raw = tr.step(replace(state, ema_sum=None, ema_steps=0), train)
    assert np.array_equal(nxt.network.weights, raw.network.weights)


def test_yinyang_default_is_the_screened_configuration():
    """The Yin-Yang default trains 5-160-3 for 60 epochs on a half cosine, keeps the average
    (R5) and anneals the bump and (R4) with the step (chosen on validation data, README)."""
    cfg = tr.default_config("yinyang")
    assert (cfg.hidden, cfg.epochs, cfg.lr_decay, cfg.lr_cosine, cfg.ema, cfg.rescue_anneal) == (
        (160,),
        60,
        1.0,
        True,
        0.99,
        True,
    )
    assert tr.learning_rate(cfg, 30) == pytest.approx(cfg.lr / 2)


def test_cosine_step_size():
    cfg = tr.default_config("yinyang", lr=0.01, lr_decay=1.0, lr_cosine=True, epochs=40)
    assert tr.learning_rate(cfg, 0) == pytest.approx(0.01)
    assert tr.learning_rate(cfg, 20) == pytest.approx(0.005)
    assert tr.learning_rate(cfg, 39) == pytest.approx(0.01 * (1 + np.cos(np.pi * 39 / 40)) / 2)
    assert tr.learning_rate(cfg, 40) == pytest.approx(0.0, abs=1e-18)
    both = replace(cfg, lr_decay=0.9)
    assert tr.learning_rate(both, 20) == pytest.approx(0.005 * 0.9**20)
    assert tr.learning_rate(replace(cfg, lr_cosine=False), 39) == 0.01


@pytest.mark.parametrize(
    "bad", [{"ema": 1.0}, {"ema": -0.1}, {"lr_cosine": 1}, {"rescue_anneal": 0}]
)
def test_bad_values(bad):
    with pytest.raises(ValueError):
        tr.default_config("yinyang", **bad)


def test_rescue_anneal_scales_the_bump_and_the_revival_with_the_step_size():
    """With ``rescue_anneal`` the bump and (R4) are multiplied by the step size over ``lr``:
    at an epoch where the schedule has halved it, their change of the weights is half."""
    train, _, cfg = _task(
        lr=1e-12,
        lr_decay=0.5,
        lr_cosine=False,
        bump=0.02,
        revive=0.05,
        bump_output=0.03,
        rescue_anneal=False,
    )
    state = replace(tr.start(5, 3, cfg), epoch=1)  # step size 0.5 lr: Adam moves ~1e-12
    W = state.network.weights
    plain = tr.step(state, train).network.weights - W
    half = tr.step(replace(state, config=replace(cfg, rescue_anneal=True)), train)
    assert np.abs(plain).max() > 1e-3  # bumps and revivals happened
    np.testing.assert_allclose(half.network.weights - W, 0.5 * plain, rtol=0, atol=1e-11)
