"""Property tests over the public API, the JSON loader and the CLI, in two kinds kept apart:

* **invalid input** (``..._takes_anything``): any input either works or raises one of the
  documented errors (``ValueError``, ``TypeError``, ``FPSNNError``) with a message; never an
  IndexError, a RecursionError, a "math domain error", a NaN result or a hang. Most of
  these examples are refused, by design;
* **valid input** (``..._valid_...``): networks, input trains and loss arguments built
  valid by their strategies, so every example reaches the checks on the results
  (``pytest tests/test_fuzz.py --hypothesis-show-statistics`` lists the ``checked`` event
  of each: 100 % of the examples, but those a runaway network ends).

Every call runs under a time bound (SIGALRM)."""

import contextlib
import json
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from networks import small_networks

import fpsnn_core as fp
from fpsnn_core import cli

DOCUMENTED = (ValueError, TypeError, fp.FPSNNError)
BOUND_S = 10  # far above any legitimate call here (they take milliseconds)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.floats(-5, 5),
    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e300, 2**63]),
)
scalars = st.one_of(
    numbers, st.booleans(), st.none(), st.text(max_size=5), st.complex_numbers(max_magnitude=5)
)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)
_almost = (
    st.lists(numbers, max_size=5),
    st.lists(st.lists(st.floats(-5, 5), max_size=4), max_size=5),
    st.lists(st.integers(-2, 8), max_size=4),
    st.lists(st.lists(st.integers(-1, 6), max_size=3), max_size=3),
)
# values that are often almost right: numbers, lists of numbers, small nested lists
near = st.one_of(anything, *_almost)
# the same without complex numbers (what a JSON file can hold)
json_scalars = st.one_of(numbers, st.booleans(), st.none(), st.text(max_size=5))
json_near = st.one_of(
    st.recursive(
        json_scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=12,
    ),
    *_almost,
)


class _Timeout(BaseException):
    pass


@contextlib.contextmanager
def bounded(seconds=BOUND_S):
    def alarm(*_):
        raise _Timeout(f"call took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def attempt(fn, *args, **kwargs):
    """Run ``fn``; return its result or ``None`` when it raised a documented error with a
    message; fail on anything else."""
    with bounded():
        try:
            return fn(*args, **kwargs)
        except DOCUMENTED as exc:
            assert not isinstance(exc, (IndexError, KeyError, AttributeError)), repr(exc)
            msg = str(exc)
            assert msg and "math domain" not in msg, repr(exc)
            return None


def _finite(*arrays):
    for a in arrays:
        a = np.asarray(a, dtype=float)
        assert np.all(np.isfinite(a)), a


NET = fp.Network(
    [[3.0, 0.0, 1.0], [0.0, 2.5, 0.0], [0.0, 0.0, 2.0], [1.5, 0.0, 0.0]],
    1,
    tau_s=0.5,
    layers=[[0, 1], [2]],
)
SIM = fp.simulate(NET, [[0.1, 0.9]], 3.0)
FAST = settings(suppress_health_check=list(HealthCheck), max_examples=40)


@FAST
@given(
    weights=near,
    n_inputs=st.one_of(st.integers(-1, 3), anything),
    tau_s=near,
    theta=near,
    mask=st.one_of(st.none(), near),
    layers=st.one_of(st.just(()), near),
)
def test_network_takes_anything(weights, n_inputs, tau_s, theta, mask, layers):
    net = attempt(fp.Network, weights, n_inputs, tau_s=tau_s, theta=theta, mask=mask, layers=layers)
    if net is not None:
        _finite(net.weights, net.a, net.b, net.theta)
        assert all(0 <= i < net.n_neurons for layer in net.layers for i in layer)


@FAST
@given(
    inputs=near,
    t_max=st.one_of(numbers, scalars),
    max_spikes=st.one_of(st.integers(-1, 200), scalars),
    max_work=st.one_of(st.integers(-1, 2000), st.none(), scalars),
)
def test_simulate_takes_anything(inputs, t_max, max_spikes, max_work):
    sim = attempt(fp.simulate, NET, inputs, t_max, max_spikes=max_spikes, max_work=max_work)
    if sim is not None:
        _finite(sim.spike_times, sim.slopes)
        assert np.all(np.diff(sim.spike_times) >= 0)


@FAST
@given(
    outputs=near,
    label=st.one_of(st.integers(-1, 3), scalars),
    tau_0=numbers,
    gamma=numbers,
    tau_1=numbers,
    silent_time=st.one_of(st.none(), numbers, scalars),
    targets=near,
)
def test_losses_take_anything(outputs, label, tau_0, gamma, tau_1, silent_time, targets):
    loss = attempt(
        fp.first_spike_cross_entropy,
        SIM,
        outputs,
        label,
        tau_0=tau_0,
        gamma=gamma,
        tau_1=tau_1,
        silent_time=silent_time,
    )
    if loss is not None:
        _finite([loss.value], loss.dloss_dtimes)
    mse = attempt(fp.spike_time_mse, SIM, outputs, targets, silent_time=silent_time)
    if mse is not None:
        _finite([mse.value], mse.dloss_dtimes)


@FAST
@given(rows=st.one_of(st.none(), near), spikes=near, c=near, grid=near)
def test_gradients_take_anything(rows, spikes, c, grid):
    attempt(fp.implicit_system, NET, SIM, rows)
    for fn in (fp.adjoint_gradient, fp.fp_gradient, fp.eventprop_gradient):
        g = attempt(fn, NET, SIM, c)
        if g is not None:
            _finite(g)
    J = attempt(fp.spike_time_jacobian, NET, SIM, spikes)
    if J is not None:
        _finite(J)
    attempt(fp.causal_past, NET, SIM, spikes)
    tr = attempt(fp.potentials, NET, SIM, grid)
    if tr is not None:
        _finite(tr.V, tr.I)


# --- valid input: every example reaches the checks -------------------------------------
VALID = settings(suppress_health_check=list(HealthCheck), max_examples=40, deadline=None)


@st.composite
def valid_parameters(draw):
    """``(W, K, tau_s, tau_n, theta, mask)`` of a valid network: per-neuron constants
    (``tau_s == tau_n`` included), a mask without self-loops, weights outside it zero."""
    K, N = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    W = rng.normal(0.0, 2.0, (K + N, N))
    mask = rng.uniform(size=W.shape) < 0.7
    mask[K + np.arange(N), np.arange(N)] = False
    W[~mask] = 0.0
    tau_s = rng.uniform(0.2, 2.0, N)
    tau_n = np.where(rng.uniform(size=N) < 0.3, tau_s, rng.uniform(0.2, 2.0, N))
    return W, K, tau_s, tau_n, rng.uniform(0.5, 2.0, N), mask


def simulate_valid(net, inputs, t_max):
    """``fp.simulate``, or ``None`` (counted as the event ``runaway``) on runaway firing."""
    try:
        return fp.simulate(net, inputs, t_max, max_spikes=300)
    except fp.RunawayFiringError:
        event("runaway")
        return None


@VALID
@given(p=valid_parameters())
def test_network_valid_parameters_are_kept_exactly(p):
    W, K, tau_s, tau_n, theta, mask = p
    net = fp.Network(W, K, tau_s=tau_s, tau_n=tau_n, theta=theta, mask=mask)
    np.testing.assert_array_equal(net.weights, W)
    np.testing.assert_array_equal(net.mask, mask)
    np.testing.assert_array_equal(net.a, 1.0 / tau_s)
    np.testing.assert_array_equal(net.b, 1.0 / tau_n)
    np.testing.assert_array_equal(net.theta, theta)
    back = fp.from_json(fp.to_json(net)).network
    for name in ("weights", "mask", "tau_s", "tau_n", "theta"):
        np.testing.assert_array_equal(getattr(back, name), getattr(net, name), err_msg=name)
    event("checked")


@VALID
@given(case=small_networks(), shift=st.floats(0.0, 2.0))
def test_simulate_valid_input_spikes_are_causal_and_shift_with_the_inputs(case, shift):
    """Spikes are sorted, inside ``[0, t_max]``, rise through the threshold (slope > 0);
    a shorter ``t_max`` keeps every earlier spike (causality), and moving every input by
    ``shift`` moves every spike by ``shift`` (time invariance: equal up to the rounding of
    ``f + shift``, a few ulp of ``t_max``)."""
    net, inputs, t_max, _ = case
    sim = simulate_valid(net, inputs, t_max)
    if sim is None:
        return
    f = sim.spike_times
    assert np.all(np.diff(f) >= 0) and np.all((f >= 0) & (f <= t_max))
    assert np.all(sim.slopes > 0)
    if f.size:
        ends = np.append(np.unique(f), t_max)
        m = (ends.size - 1) // 2
        cut = 0.5 * (ends[m] + ends[m + 1])  # between two spike times
        early = fp.simulate(net, inputs, cut, max_spikes=300)
        keep = f <= cut
        # equal to a few ulp: t_max bounds the crossing search, so the last digit may move
        np.testing.assert_allclose(early.spike_times, f[keep], rtol=0, atol=1e-14)
        np.testing.assert_array_equal(early.spike_neurons, sim.spike_neurons[keep])
    moved = fp.simulate(
        net, [np.asarray(tr) + shift for tr in inputs], t_max + shift, max_spikes=300
    )
    np.testing.assert_array_equal(moved.spike_neurons, sim.spike_neurons)
    np.testing.assert_allclose(moved.spike_times, f + shift, rtol=0, atol=1e-13)
    event("checked")


@VALID
@given(
    case=small_networks(),
    tau_0=st.floats(0.1, 3.0),
    gamma=st.floats(0.0, 1.0),
    tau_1=st.floats(0.5, 5.0),
    data=st.data(),
)
def test_losses_valid_arguments_match_their_formulas(case, tau_0, gamma, tau_1, data):
    """(C1), (C2) and (M1) of ``fpsnn_core.losses`` recomputed here from the first spike
    times (silent outputs at ``t_max``), to rounding."""
    net, inputs, t_max, _ = case
    sim = simulate_valid(net, inputs, t_max)
    if sim is None:
        return
    N = net.n_neurons
    outputs = data.draw(st.lists(st.integers(0, N - 1), min_size=1, max_size=N, unique=True))
    label = data.draw(st.integers(0, len(outputs) - 1))
    t = np.array(
        [
            sim.spike_times[sim.spike_neurons == i][0] if np.any(sim.spike_neurons == i) else t_max
            for i in outputs
        ]
    )
    z = -t / tau_0
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    want = -np.log(p[label]) + gamma * (np.exp(t[label] / tau_1) - 1)
    ce = fp.first_spike_cross_entropy(
        sim, outputs, label, tau_0=tau_0, gamma=gamma, tau_1=tau_1, silent_time=t_max
    )
    np.testing.assert_allclose(ce.value, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(ce.times, t)
    d = (np.eye(len(outputs))[label] - p) / tau_0
    d[label] += gamma * np.exp(t[label] / tau_1) / tau_1
    for c, i in enumerate(outputs):  # each output's first spike carries dL/dt_c
        idx = np.flatnonzero(sim.spike_neurons == i)
        if idx.size:
            np.testing.assert_allclose(ce.dloss_dtimes[idx[0]], d[c], rtol=1e-12, atol=1e-14)
    targets = data.draw(
        st.lists(st.floats(0.0, t_max), min_size=len(outputs), max_size=len(outputs))
    )
    mse = fp.spike_time_mse(sim, outputs, targets, silent_time=t_max)
    np.testing.assert_allclose(
        mse.value, np.mean((t - np.array(targets)) ** 2), rtol=1e-12, atol=1e-15
    )
    event("checked")


@VALID
@given(case=small_networks(), data=st.data())
def test_gradients_valid_arguments_fp_equals_adjoint_and_eventprop(case, data):
    """FP, the adjoint and EventProp give one gradient for any ``dLoss/dF`` (to 1e-12 of
    the largest entry, where 3.8e-14 holds: the three solve the same triangular system in
    different orders; ill-conditioned examples, slopes near grazing, are not left out)."""
    net, inputs, t_max, _ = case
    sim = simulate_valid(net, inputs, t_max)
    if sim is None:
        return
    c = np.array(
        data.draw(st.lists(st.floats(-2, 2), min_size=sim.n_spikes, max_size=sim.n_spikes))
    )
    try:
        g_fp = fp.fp_gradient(net, sim, c)
    except fp.GrazingSpikeError:
        event("grazing")
        return
    g_adj, g_ep = fp.adjoint_gradient(net, sim, c), fp.eventprop_gradient(net, sim, c)
    scale = max(np.abs(g_fp).max(), 1e-300)
    np.testing.assert_allclose(g_adj, g_fp, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(g_ep, g_fp, rtol=0, atol=1e-12 * scale)
    assert g_fp.shape == (net.n_inputs + net.n_neurons, net.n_neurons)
    event("checked")


BASE = json.loads(fp.to_json(NET, [[0.1, 0.9]], 3.0, meta={"outputs": [2]}))
FIELDS = (
    "format",
    "version",
    "n_inputs",
    "weights",
    "mask",
    "tau_s",
    "tau_n",
    "theta",
    "layers",
    "inputs",
    "t_max",
    "meta",
)


@FAST
@given(
    edits=st.dictionaries(st.sampled_from(FIELDS), json_near, max_size=3),
    drop=st.lists(st.sampled_from(FIELDS), max_size=2),
    bom=st.booleans(),
)
def test_json_loader_takes_anything(edits, drop, bom):
    doc = dict(BASE, **edits)
    for k in drop:
        doc.pop(k, None)
    text = json.dumps(doc, allow_nan=True)
    for data in (text, text.encode()):
        nf = attempt(
            fp.from_json,
            (b"\xef\xbb\xbf" + data if bom else data) if isinstance(data, bytes) else data,
        )
        if nf is not None:
            again = fp.from_json(fp.to_json(nf.network, nf.inputs, nf.t_max, nf.meta))
            assert np.array_equal(again.network.weights, nf.network.weights)


@FAST
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.binary(max_size=40),
        st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
        st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    )
)
def test_json_loader_takes_any_text(text):
    attempt(fp.from_json, text)


def _one_line_or_ok(capsys, argv):
    capsys.readouterr()  # what earlier examples printed
    with bounded(60):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse: usage line + error, status 2
            code = exc.code
            assert code in (0, 2)
            return
    err = capsys.readouterr().err
    if code != 0:
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (argv, err)


@pytest.fixture(scope="module")
def xor_doc(tmp_path_factory):
    out = tmp_path_factory.mktemp("fuzz") / "xor.json"
    assert cli.main(["train", "--task", "xor", "--out", str(out), "--epochs", "1", "--quiet"]) == 0
    return json.loads(out.read_text())


class _Stop(Exception):
    pass


@settings(suppress_health_check=list(HealthCheck), max_examples=25)
@given(
    meta_edits=st.dictionaries(
        st.sampled_from(["task", "encoding", "config", "split_seed", "outputs", "classes"]),
        json_near,
        max_size=2,
    ),
    config_edits=st.dictionaries(
        st.sampled_from(["t_max", "tau_0", "lr", "hidden", "method", "silent"]),
        json_near,
        max_size=2,
    ),
    size=st.sampled_from([[], ["--size", "0"], ["--size", "-3"], ["--seed", "-1"]]),
)
def test_cli_evaluate_takes_any_file(
    tmp_path_factory, capsys, xor_doc, meta_edits, config_edits, size
):
    doc = json.loads(json.dumps(xor_doc))
    doc["meta"].update(meta_edits)
    if isinstance(doc["meta"].get("config"), dict):
        doc["meta"]["config"].update(config_edits)
    path = tmp_path_factory.mktemp("ev") / "net.json"
    path.write_text(json.dumps(doc, allow_nan=True))
    _one_line_or_ok(capsys, ["evaluate", str(path), "--task", "xor", *size])


_INT_FLOORS = {
    "--epochs": 1,
    "--batch-size": 1,
    "--patience": 1,
    "--workers": 1,
    "--train-size": 1,
    "--hidden": 1,
    "--split-seed": 0,
    "--seed": 0,
}


def _train_outcome(opts, out):
    """What ``train`` must do with these options, decided here from the documented rules
    (``fpsnn_core.cli.LIMITS``' lower ends, ``--lr`` in (0, 10], a writable ``--out``):
    ``("usage", set())`` when argparse cannot read a value (an integer option given "x",
    "2.5", "nan" or "1e400"; a float option given "x"), ``("refused", flags)`` when a value
    read is out of range (the last one given counts), else ``("starts", set())``."""
    for k, v in opts:
        try:
            float(v) if k == "--lr" else int(v)
        except ValueError:
            return "usage", set()
    bad = set()
    for k, v in dict(opts).items():  # the last value of each option
        if k == "--lr":
            if not 0.0 < float(v) <= 10.0:
                bad.add(k)
        elif int(v) < _INT_FLOORS[k]:
            bad.add(k)
    if not bad and out != "DIR/ok.json":  # a directory, a missing directory
        bad.add("--out")
    return ("refused", bad) if bad else ("starts", set())


@settings(suppress_health_check=list(HealthCheck), max_examples=40)
@given(
    opts=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "--epochs",
                    "--batch-size",
                    "--lr",
                    "--patience",
                    "--workers",
                    "--train-size",
                    "--split-seed",
                    "--hidden",
                    "--seed",
                ]
            ),
            st.sampled_from(["0", "-1", "1", "2", "x", "1e400", "nan", "2.5"]),
        ),
        max_size=3,
    ),
    out=st.sampled_from(["DIR", "DIR/missing/x.json", "DIR/ok.json", "DIR/ok.json"]),
)
def test_cli_train_arguments_are_checked_before_training(tmp_path_factory, capsys, opts, out):
    """Each argument list gets the outcome its values call for (:func:`_train_outcome`):
    argparse's usage error, one ``error:`` line naming a refused option, or training."""
    d = tmp_path_factory.mktemp("tr")
    argv = ["train", "--task", "iris", "--quiet", "--out", out.replace("DIR", str(d))]
    for k, v in opts:
        argv += [k, v]
    want, flags = _train_outcome(opts, out)
    event(want)

    def stop(*a, **k):
        raise _Stop

    original, cli.train = cli.train, stop
    capsys.readouterr()
    try:
        with bounded(60):
            code = cli.main(argv)
        got = "refused" if code == 2 else f"exit {code}"
    except SystemExit as exc:  # argparse: usage line + error
        got = "usage" if exc.code == 2 else f"exit {exc.code}"
    except _Stop:
        got = "starts"  # training would begin here
    finally:
        cli.train = original
    err = capsys.readouterr().err
    assert got == want, (argv, err)
    if want == "refused":
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
        named = {f for f in flags if f + " " in lines[0]}
        assert named, (argv, flags, err)  # names an option it refused
