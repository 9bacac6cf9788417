"""The batched fast path against the general core: spike times, losses and gradients."""

import numpy as np
import pytest

import fpsnn_core as fp
from fpsnn_core import batched as bt

# What holds between the batched path and the general core, over the cases of
# test_fast_path_agrees_with_the_core (about 10x the largest error seen):
TOL_T = 2e-13  # spike times: 2.1e-14 (the deep case; the Yin-Yang cases 1.3e-15)
TOL_LOSS = 1e-14  # loss values: 1.1e-15
TOL_G = 2e-15  # gradients, relative to max(1, largest entry): 2.2e-16 (FP - adjoint 5.6e-17)


def _yinyang_regime(rng, n_hidden=12):
    """5-n-3 network in the Yin-Yang training regime: hidden neurons fire several times."""
    net = fp.Network.feedforward(
        [5, n_hidden, 3],
        rng,
        weight_mean=[1.5, 2.0],
        weight_std=[0.8, 0.1],
        tau_s=1 / 0.99,
        tau_n=1.0,
        theta=1.0,
    )
    x = np.concatenate([rng.uniform(0.15, 2.0, (6, 4)), np.full((6, 1), 0.9)], axis=1)
    return net, x, 2.0


def _deep(rng):
    """4-6-5-3 network with two input spikes per channel (one channel with only one),
    constants that differ between the neurons of the first layer, an equal-time-constant
    output layer (a == b), and hidden neurons firing many times."""
    tau_s = np.r_[np.linspace(0.4, 0.6, 6), [0.5] * 5, [1.0] * 3]
    theta = np.r_[np.linspace(0.8, 1.2, 6), [1.0] * 8]
    net = fp.Network.feedforward(
        [4, 6, 5, 3],
        rng,
        weight_mean=[2.0, 1.0, 1.0],
        weight_std=[0.6, 0.5, 0.5],
        tau_s=tau_s,
        tau_n=1.0,
        theta=theta,
    )
    x = rng.uniform(0.0, 1.5, (5, 4, 2))
    x[0, 1, 1] = np.inf
    return net, x, 4.0


def _core_reference(net, x, labels, t_max):
    """Per sample with the general core: sims, first-spike losses, summed FP and adjoint
    gradients."""
    x = np.asarray(x, float).reshape(x.shape[0], x.shape[1], -1)
    outputs = list(net.layers[-1])
    sims, losses = [], []
    g_fp, g_adj = np.zeros(net.weights.shape), np.zeros(net.weights.shape)
    for xb, label in zip(x, labels):
        sim = fp.simulate(net, [row[np.isfinite(row)] for row in xb], t_max)
        loss = fp.first_spike_cross_entropy(
            sim, outputs, int(label), tau_0=0.3, gamma=0.1, tau_1=1.5, silent_time=t_max
        )
        g_fp += fp.fp_gradient(net, sim, loss.dloss_dtimes)
        g_adj += fp.adjoint_gradient(net, sim, loss.dloss_dtimes)
        sims.append(sim)
        losses.append(loss)
    return sims, losses, g_fp, g_adj


def _yinyang_full_size(rng):
    return _yinyang_regime(rng, n_hidden=120)


def _bursting(rng):
    """5-12-3 network whose hidden neurons fire twice before the outputs' first spikes."""
    net = fp.Network.feedforward(
        [5, 12, 3],
        rng,
        weight_mean=[4.0, 0.6],
        weight_std=[0.8, 0.1],
        tau_s=1 / 0.99,
        tau_n=1.0,
        theta=1.0,
    )
    x = np.concatenate([rng.uniform(0.15, 2.0, (6, 4)), np.full((6, 1), 0.9)], axis=1)
    return net, x, 4.0


def _hidden_counts(run):
    """Spikes per (sample, hidden neuron) of a batched run."""
    return np.concatenate([np.isfinite(s.times).sum(axis=2) for s in run.layers[:-1]], axis=1)


# (build, least number of hidden neurons per sample that fire at least twice in the
# gradient's causal past): in the Yin-Yang regime the outputs fire before any second
# hidden spike, so the other two cases carry repeated spikes into the gradient.
CASES = [(_yinyang_regime, 0), (_yinyang_full_size, 0), (_deep, 8), (_bursting, 3)]


@pytest.mark.parametrize("build,repeating", CASES, ids=[c[0].__name__ for c in CASES])
def test_fast_path_agrees_with_the_core(build, repeating):
    rng = np.random.default_rng(11)
    net, x, t_max = build(rng)
    labels = rng.integers(0, 3, x.shape[0])
    sims, losses, g_fp, g_adj = _core_reference(net, x, labels, t_max)
    run = bt.simulate_batch(net, x, t_max)
    hidden = [n for layer in net.layers[:-1] for n in layer]
    counts = _hidden_counts(run)
    assert counts.max() >= 3, "the test must cover neurons that fire several times"
    in_gradient = _hidden_counts(bt.causal_cut(run))
    assert np.all(in_gradient <= counts)
    assert (in_gradient >= 2).sum(axis=1).min() == repeating
    for b, sim in enumerate(sims):
        core_counts = sim.spike_counts(net.n_neurons)[hidden]
        assert np.array_equal(counts[b], core_counts)
        bt_times = np.concatenate([s.times[b].reshape(-1) for s in run.layers[:-1]])
        core_times = np.concatenate(
            [
                np.pad(
                    sim.spikes_of(i),
                    (0, run.layers[k].times.shape[2] - core_counts[j]),
                    constant_values=np.inf,
                )
                for j, (k, i) in enumerate(
                    (k, i) for k, layer in enumerate(net.layers[:-1]) for i in layer
                )
            ]
        )
        fin = np.isfinite(core_times)
        assert np.array_equal(fin, np.isfinite(bt_times))
        assert np.max(np.abs(bt_times[fin] - core_times[fin]), initial=0) < TOL_T
        first = sim.first_spikes(list(net.layers[-1]))
        core_first = np.where(first >= 0, sim.spike_times[np.maximum(first, 0)], np.inf)
        assert np.array_equal(np.isfinite(core_first), np.isfinite(run.first_times[b]))
        ok = np.isfinite(core_first)
        assert np.all(np.abs(run.first_times[b][ok] - core_first[ok]) < TOL_T)
    loss = bt.first_spike_loss(run, labels, tau_0=0.3, gamma=0.1, tau_1=1.5)
    assert np.allclose(loss.values, [lv.value for lv in losses], rtol=0, atol=TOL_LOSS)
    scale = max(1.0, np.abs(g_fp).max())
    assert np.abs(g_fp - g_adj).max() < TOL_G * scale  # the core's two methods
    for method in bt.METHODS:
        grad = bt.loss_gradient(net, run, loss.dloss_dt, method)
        assert np.abs(grad - g_fp).max() < TOL_G * scale, method
        assert np.all(grad[~net.mask] == 0)
    assert np.abs(g_fp).max() > 1e-3  # a real, non-zero gradient


def test_silent_outputs_use_t_max_and_pass_no_gradient():
    rng = np.random.default_rng(5)
    net = fp.Network.feedforward(
        [3, 6, 3],
        rng,
        weight_mean=[2.5, 1.5],
        weight_std=[0.5, 0.3],
        tau_s=0.5,
        tau_n=1.0,
        theta=1.0,
    )
    W = np.array(net.weights)
    W[3:9, 6 + 2] = -0.5  # output 2 never fires
    net = net.with_weights(W)
    x = rng.uniform(0.0, 1.0, (4, 3))
    labels = np.array([2, 0, 1, 2])
    run = bt.simulate_batch(net, x, 3.0)
    assert np.all(np.isinf(run.first_times[:, 2])) and np.all(np.isfinite(run.first_times[:, :2]))
    loss = bt.first_spike_loss(run, labels, tau_0=0.3, gamma=0.1, tau_1=1.5)
    assert np.all(loss.silent[:, 2]) and np.all(loss.dloss_dt[:, 2] == 0)
    _, core, g_fp, _ = _core_reference(net, x, labels, 3.0)
    assert np.allclose(loss.values, [lv.value for lv in core], rtol=0, atol=TOL_LOSS)
    grad = bt.loss_gradient(net, run, loss.dloss_dt, "adjoint")
    assert np.abs(grad - g_fp).max() < TOL_G * max(1.0, np.abs(g_fp).max())
    assert np.all(grad[:, 8] == 0)  # nothing flows into output 2
    assert run.predictions().tolist() == np.argmin(run.first_times, axis=1).tolist()


def test_predict_decides_only_for_one_earliest_output():
    T = np.array(
        [[0.5, 0.2, np.inf], [0.3, 0.3, 1.0], [np.inf] * 3, [0.1, np.inf, 0.1], [2.0, 1.0, 0.7]]
    )
    assert bt.predict(T).tolist() == [1, -1, -1, -1, 2]


def test_crossing_matches_the_closed_form_of_tau_n_equal_two_tau_s():
    """For tau_n = 2 tau_s, V(s) = A x^2 + B x with x = exp(-b s): a quadratic."""
    rng = np.random.default_rng(2)
    a, b, theta = 2.0, 1.0, 1.0
    V0 = rng.uniform(-0.5, 0.9, 200)
    I0 = rng.uniform(0.5, 6.0, 200)
    s = bt.crossing(
        V0, I0, np.full(200, 50.0), np.full(200, a), np.full(200, b), np.full(200, theta)
    )
    # V(s) = V0 x + I0 (x - x^2) / (a - b) with x = exp(-b s), since exp(-a s) = x^2
    A, B = -I0 / (a - b), V0 + I0 / (a - b)
    disc = B * B + 4 * A * theta  # A x^2 + B x - theta = 0
    with np.errstate(invalid="ignore"):
        x = (-B - np.sqrt(disc)) / (2 * A)  # A < 0: the larger root, first in time
    fires = (disc >= 0) & (x > 0) & (x < 1)
    assert np.array_equal(np.isfinite(s), fires)
    np.testing.assert_allclose(s[fires], -np.log(x[fires]) / b, rtol=4e-14, atol=0)  # 3.7e-15
    assert 20 < fires.sum() < 200


def test_errors_are_clear():
    rng = np.random.default_rng(0)
    recurrent = fp.Network(
        rng.normal(1, 0.5, (2 + 3, 3)) * (1 - np.vstack([np.zeros((2, 3)), np.eye(3)])), 2
    )
    with pytest.raises(ValueError, match="layered"):
        bt.simulate_batch(recurrent, np.zeros((1, 2)), 1.0)
    net = fp.Network.feedforward([2, 3, 2], rng)
    for bad in (np.zeros((1, 3)), -np.ones((1, 2)), [[np.nan, 0.0]], "x"):
        with pytest.raises(ValueError):
            bt.simulate_batch(net, bad, 1.0)
    with pytest.raises(ValueError):
        bt.simulate_batch(net, np.zeros((1, 2)), 0.0)
    run = bt.simulate_batch(net, np.zeros((2, 2)), 3.0)
    with pytest.raises(ValueError):
        bt.first_spike_loss(run, [0, 2])
    with pytest.raises(ValueError):
        bt.loss_gradient(net, run, np.zeros((2, 2)), method="bptt")
    with pytest.raises(ValueError):
        bt.loss_gradient(net, run, np.zeros((3, 2)))


def test_runaway_firing_raises():
    rng = np.random.default_rng(0)
    net = fp.Network.feedforward([2, 3, 2], rng, weight_mean=[40.0, 1.0], weight_std=[1.0, 0.1])
    with pytest.raises(fp.RunawayFiringError, match="fired more than 5 times"):
        bt.simulate_batch(net, np.zeros((2, 2)), 3.0, max_spikes=5)


def test_grazing_spike_raises_or_is_skipped():
    """Output 0 peaks a hair above theta (slope ~ 0 at its crossing): its gradient is
    singular. The core flags it too."""
    a, b = 2.0, 1.0
    s_peak = np.log(a / b) / (a - b)
    h_peak = (np.exp(-b * s_peak) - np.exp(-a * s_peak)) / (a - b)
    W = np.array([[(1 + 1e-13) / h_peak, 2.0 / h_peak], [0.0, 0.0], [0.0, 0.0]])
    net = fp.Network(W, 1, tau_s=1 / a, tau_n=1 / b, theta=1.0, mask=W != 0, layers=((0, 1),))
    x = np.array([[0.0], [0.5]])
    assert fp.simulate(net, [[0.0]], 4.0).grazing.size == 1
    run = bt.simulate_batch(net, x, 4.0)
    assert np.all(np.isfinite(run.first_times))
    assert bt.grazing_samples(net, run).tolist() == [True, True]
    loss = bt.first_spike_loss(run, [1, 1])
    with pytest.raises(fp.GrazingSpikeError):
        bt.loss_gradient(net, run, loss.dloss_dt)
    g = bt.loss_and_gradient(net, x[:1], [1], 4.0, on_grazing="skip")
    assert g.skipped == 1 and np.all(g.gradient == 0)


def test_skipped_grazing_samples_leave_the_mean():
    """A batch of a grazing sample and a clean one: the mean gradient over the samples used
    is the clean sample's own (not half of it), also when the batch is split in parts."""
    a, b = 2.0, 1.0
    s_peak = np.log(a / b) / (a - b)
    h_peak = (np.exp(-b * s_peak) - np.exp(-a * s_peak)) / (a - b)
    # input 0 alone brings output 0 a hair above theta (grazing); with input 1 it crosses
    W = np.array(
        [[(1 + 1e-13) / h_peak, 2.0 / h_peak], [1.0 / h_peak, 0.0], [0.0, 0.0], [0.0, 0.0]]
    )
    net = fp.Network(
        W,
        2,
        tau_s=1 / a,
        tau_n=1 / b,
        theta=1.0,
        mask=np.array([[1, 1], [1, 1], [0, 0], [0, 0]], dtype=bool),
        layers=((0, 1),),
    )
    x = np.array([[0.0, np.inf], [0.0, 0.0]])
    run = bt.simulate_batch(net, x, 4.0)
    assert bt.grazing_samples(net, run).tolist() == [True, False]
    both = bt.loss_and_gradient(net, x, [1, 1], 4.0, on_grazing="skip")
    clean = bt.loss_and_gradient(net, x[1:], [1], 4.0)
    assert both.skipped == 1 and np.any(clean.gradient != 0)
    np.testing.assert_allclose(both.gradient, clean.gradient, rtol=1e-14, atol=0)
    # the training's split over workers (a serial stand-in for the pool) weighs parts alike
    from types import SimpleNamespace

    from fpsnn_core import training as tr

    cfg = tr.TrainConfig(
        hidden=(1,),
        weight_mean=(1.0, 1.0),
        weight_std=(0.0, 0.0),
        tau_s=1 / a,
        tau_n=1 / b,
        t_max=4.0,
        tau_0=1.0,
        gamma=0.0,
    )
    parts = tr.batch_gradient(net, x, np.array([1, 1]), cfg, SimpleNamespace(map=map))
    assert parts.skipped == 1
    np.testing.assert_allclose(parts.gradient, clean.gradient, rtol=1e-14, atol=0)


def test_settled_samples_by_hand():
    """(L3) of ``fpsnn_core.batched``: the label's output fires, every other output fires at least ``margin`` later
    or not at all; a tie, a silent label output or ``margin = 0`` never settles a sample."""
    inf = np.inf
    T = np.array(
        [
            [1.0, 1.5, inf],  # label 0: next at +0.5 -> settled for margin 0.5
            [1.0, 1.4, 2.0],  # label 0: next at +0.4 -> not settled
            [inf, inf, inf],  # silent
            [2.0, 1.0, inf],  # label 1 first, other at +1.0 -> settled
            [1.0, 1.0, 3.0],
        ]
    )  # tie
    labels = [0, 0, 0, 1, 0]
    assert bt.settled_samples(T, labels, 0.5).tolist() == [True, False, False, True, False]
    assert bt.settled_samples(T, labels, 0.4).tolist() == [True, True, False, True, False]
    assert not bt.settled_samples(T, labels, 0.0).any()
    assert bt.settled_samples(T, [1, 1, 1, 0, 0], 0.1).tolist() == [False] * 5


def test_margin_leaves_settled_samples_out_of_the_gradient():
    """With a margin, the gradient is the mean gradient of the unsettled samples alone
    (computed without the rule), and the reported loss still covers the whole batch."""
    rng = np.random.default_rng(3)
    net, x, t_max = _yinyang_regime(rng)
    labels = rng.integers(0, 3, x.shape[0])
    plain = bt.loss_and_gradient(net, x, labels, t_max, tau_0=0.3)
    gaps = np.sort(plain.first_times, axis=1)
    margin = float(np.median(gaps[:, 1] - gaps[:, 0]))
    settled = bt.settled_samples(plain.first_times, labels, margin)
    assert 0 < settled.sum() < len(labels), settled  # a mix, so the test can fail
    ruled = bt.loss_and_gradient(net, x, labels, t_max, tau_0=0.3, margin=margin)
    rest = bt.loss_and_gradient(net, x[~settled], labels[~settled], t_max, tau_0=0.3)
    assert ruled.settled == settled.sum() and ruled.loss == plain.loss
    np.testing.assert_allclose(ruled.gradient, rest.gradient, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("build", [_deep, _bursting, _yinyang_regime])
def test_causal_cut_keeps_the_causal_past_of_the_output_first_spikes(build):
    """``causal_cut`` keeps, per sample and hidden neuron, exactly the spikes in the causal
    past of the output first spikes that the core's ``causal_past`` finds on the general
    simulation (chains of earlier spikes along the mask), and drops some in these cases."""
    from fpsnn_core.implicit import causal_past

    rng = np.random.default_rng(11)
    net, x, t_max = build(rng)
    run = bt.simulate_batch(net, x, t_max)
    cut = bt.causal_cut(run)
    hidden = [(k, j, i) for k, layer in enumerate(net.layers[:-1]) for j, i in enumerate(layer)]
    dropped = 0
    for b in range(x.shape[0]):
        sim = fp.simulate(
            net, [row[np.isfinite(row)] for row in x[b].reshape(x.shape[1], -1)], t_max
        )
        first = sim.first_spikes(list(net.layers[-1]))
        past = causal_past(net, sim, first[first >= 0])
        for k, j, i in hidden:
            want = sim.spike_times[past[sim.spike_neurons[past] == i]]
            got = cut.layers[k].times[b, j]
            got = got[np.isfinite(got)]
            assert got.size == want.size, (b, i)
            np.testing.assert_allclose(got, want, rtol=0, atol=TOL_T)
            dropped += np.isfinite(run.layers[k].times[b, j]).sum() - got.size
    assert dropped > 0


@pytest.mark.parametrize("method", bt.METHODS)
def test_gradient_of_a_batch_larger_than_a_chunk_sums_its_parts(method):
    """``loss_gradient`` works through ``CHUNK`` samples at a time; a batch of more samples
    gives the sum of the gradients of its parts (each within one chunk)."""
    rng = np.random.default_rng(4)
    net = fp.Network.feedforward(
        [5, 6, 3],
        rng,
        weight_mean=[1.5, 2.0],
        weight_std=[0.8, 0.1],
        tau_s=1 / 0.99,
        tau_n=1.0,
        theta=1.0,
    )
    B = bt.CHUNK + 7
    x = np.concatenate([rng.uniform(0.15, 2.0, (B, 4)), np.full((B, 1), 0.9)], axis=1)
    labels = rng.integers(0, 3, B)
    cut = B // 2

    def grad(rows):
        run = bt.simulate_batch(net, x[rows], 2.0)
        loss = bt.first_spike_loss(run, labels[rows], tau_0=0.3)
        return bt.loss_gradient(net, run, loss.dloss_dt, method)

    whole, parts = grad(slice(None)), grad(slice(0, cut)) + grad(slice(cut, None))
    assert np.abs(parts).max() > 1e-3
    np.testing.assert_allclose(whole, parts, rtol=0, atol=TOL_G * np.abs(parts).max())
