"""The command line end to end, on tiny runs (subprocesses)."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fpsnn_core as fp
from fpsnn_core import datasets as ds
from fpsnn_core import training as tr
from fpsnn_core.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "fpsnn_core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_train_then_evaluate_yinyang(tmp_path):
    out = tmp_path / "net.json"
    res = _run(
        "train",
        "--task",
        "yinyang",
        "--seed",
        "3",
        "--out",
        str(out),
        "--epochs",
        "2",
        "--hidden",
        "10",
        "--train-size",
        "150",
        "--batch-size",
        "50",
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert sum(line.startswith("epoch ") for line in lines) == 2  # per-epoch metrics
    assert re.fullmatch(r"test accuracy: [01]\.\d{4}", lines[-1])
    assert "epoch 2/2 [" in res.stderr and "100%" in res.stderr  # progress bar
    nf = fp.load(out)
    assert nf.network.n_inputs == 5 and [len(l) for l in nf.network.layers] == [10, 3]
    assert nf.t_max == tr.default_config("yinyang").t_max and nf.meta["task"] == "yinyang"
    enc = ds.Encoding.from_dict(nf.meta["encoding"])
    cfg = tr.default_config("yinyang")
    assert (enc.t_early, enc.t_late, enc.t_bias) == (cfg.t_early, cfg.t_late, cfg.t_bias)
    assert len(nf.meta["history"]) == 2

    # the standard test set: the printed accuracy is the library's
    res = _run("evaluate", str(out), "--task", "yinyang")
    assert res.returncode == 0, res.stderr
    last = res.stdout.strip().splitlines()[-1]
    task = ds.load_task("yinyang")
    cfg = tr.TrainConfig.from_dict(nf.meta["config"])
    ev = tr.evaluate(nf.network, tr.Split(enc.encode(task.test.values), task.test.labels), cfg)
    assert last == f"test accuracy: {ev.accuracy:.4f}"
    assert float(nf.meta["test_accuracy"]) == ev.accuracy
    assert "confusion matrix" in res.stdout

    # a fresh test set from another seed
    res = _run("evaluate", str(out), "--task", "yinyang", "--seed", "7", "--size", "200")
    assert res.returncode == 0, res.stderr
    fresh = ds.yinyang(200, 7)
    ev = tr.evaluate(nf.network, tr.Split(enc.encode(fresh.values), fresh.labels), cfg)
    assert res.stdout.strip().splitlines()[-1] == f"test accuracy: {ev.accuracy:.4f}"
    assert "seed 7, 200 samples" in res.stdout


def test_train_xor_quiet_and_adjoint(tmp_path):
    out = tmp_path / "xor.json"
    res = _run(
        "train",
        "--task",
        "xor",
        "--seed",
        "0",
        "--out",
        str(out),
        "--epochs",
        "3",
        "--method",
        "adjoint",
        "--quiet",
    )
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert fp.load(out).meta["config"]["method"] == "adjoint"
    res = _run("evaluate", str(out), "--task", "xor")
    assert re.fullmatch(r"test accuracy: [01]\.\d{4}", res.stdout.strip().splitlines()[-1])


def test_errors_are_messages_not_tracebacks(tmp_path, capsys):
    res = _run("evaluate", str(tmp_path / "missing.json"), "--task", "yinyang")
    assert res.returncode == 2 and res.stderr.startswith("error:")
    assert "Traceback" not in res.stderr

    def fails(*args):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse rejects unknown choices itself
            code = exc.code
        return code, capsys.readouterr().err

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, err = fails("evaluate", str(bad), "--task", "iris")
    assert code == 2 and "not valid JSON" in err
    code, err = fails("train", "--task", "iris", "--out", str(tmp_path / "x.json"), "--lr", "-1")
    assert code == 2 and err.startswith("error: --lr must be a number in (0, 10]")
    code, err = fails("train", "--task", "mnist", "--out", "x.json")
    assert code == 2 and "invalid choice" in err
    # a network trained on one task cannot be evaluated on another
    net = fp.Network.feedforward([3, 2, 2], np.random.default_rng(0))
    other = tmp_path / "other.json"
    fp.save(
        other,
        net,
        t_max=2.0,
        meta={"task": "xor", "encoding": ds.Encoding([0, 0], [1, 1]).to_dict()},
    )
    code, err = fails("evaluate", str(other), "--task", "yinyang")
    assert code == 2 and "trained on task 'xor'" in err
    code, err = fails("evaluate", str(other), "--task", "xor", "--size", "10")
    assert code == 2 and "--size applies to yinyang only" in err


def test_train_help_lists_each_named_configuration(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert set(tr.NAMED_CONFIGS) >= {*ds.TASKS, "eventprop"}
    for name in tr.NAMED_CONFIGS:
        c = tr.named_config(name)
        assert (
            f"{name} ({tr.config_task(name)}): hidden {c.hidden[0]}, tau_s {c.tau_s:.3g}, "
            f"tau_n {c.tau_n:g}, {c.epochs} epochs, mini-batches of {c.batch_size}, "
            f"lr {c.lr:g}"
        ) in text
    for task in ds.TASKS:  # a task's name is its default configuration
        assert tr.named_config(task) == tr.default_config(task)


def test_train_named_configuration(tmp_path, capsys):
    out = tmp_path / "ep.json"
    code = main(
        [
            "train",
            "--config",
            "eventprop",
            "--epochs",
            "1",
            "--hidden",
            "6",
            "--train-size",
            "40",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    assert "configuration eventprop" in capsys.readouterr().out
    nf = fp.load(out)
    expect = tr.named_config("eventprop", hidden=(6,), epochs=1)
    assert nf.meta["config_name"] == "eventprop" and nf.meta["task"] == "yinyang"
    assert tr.TrainConfig.from_dict(nf.meta["config"]) == expect
    assert expect.tau_n == 4 * expect.tau_s and expect.bump == 0
    enc = ds.Encoding.from_dict(nf.meta["encoding"])
    assert (enc.t_early, enc.t_late, enc.t_bias) == (0.0, 1.5, 0.0)
    assert main(["train", "--config", "eventprop", "--task", "xor", "--out", str(out)]) == 2
    assert "is for task 'yinyang', not 'xor'" in capsys.readouterr().err
    assert main(["train", "--out", str(out)]) == 2
    assert "give --task or --config" in capsys.readouterr().err


def test_evaluate_iris_keeps_the_training_split(tmp_path, capsys):
    out = tmp_path / "iris.json"
    assert (
        main(
            [
                "train",
                "--task",
                "iris",
                "--seed",
                "0",
                "--split-seed",
                "2",
                "--out",
                str(out),
                "--epochs",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    capsys.readouterr()
    # the stored split (seed 2): its test part is disjoint from the training part
    assert main(["evaluate", str(out), "--task", "iris"]) == 0
    assert "test accuracy:" in capsys.readouterr().out
    assert main(["evaluate", str(out), "--task", "iris", "--seed", "2"]) == 0
    capsys.readouterr()
    # any other split's test set overlaps the training data: refused, with the reason
    assert main(["evaluate", str(out), "--task", "iris", "--seed", "0"]) == 2
    err = capsys.readouterr().err
    assert "would split Iris anew" in err and "split seed 2" in err
    assert fp.load(out).meta.get("split_seed") == 2


def test_convert_carries_the_input_spike_trains_a_nir_file_holds(tmp_path, capsys):
    """A .nir file with input spike trains beside its graph (group ``data``, as the app's
    NIR download writes them) converts to a JSON with those inputs, and back to a .nir
    file that holds them again (read by ``fp.from_nir`` as the app reads an upload)."""
    pytest.importorskip("nir")
    net = fp.Network.feedforward([3, 4, 2], np.random.default_rng(1))
    inputs = (np.array([0.25, 1.5]), np.array([]), np.array([0.75]))
    t_max = 3.0
    fp.save_nir(tmp_path / "app.nir", net, inputs=inputs, t_max=t_max)

    assert main(["convert", str(tmp_path / "app.nir"), str(tmp_path / "a.json")]) == 0
    assert "input spikes from" in capsys.readouterr().out
    got = fp.load(tmp_path / "a.json")
    assert got.t_max == t_max and got.inputs is not None
    for a, b in zip(got.inputs, inputs, strict=True):
        np.testing.assert_array_equal(a, b)

    assert main(["convert", str(tmp_path / "a.json"), str(tmp_path / "b.nir")]) == 0
    back = fp.from_nir(tmp_path / "b.nir")
    assert back.t_max == t_max and back.inputs is not None
    for a, b in zip(back.inputs, inputs, strict=True):
        np.testing.assert_array_equal(a, b)
    # the separate event-data file is still written, as before
    assert (tmp_path / "b.inputs.nir").exists()


def test_convert_inputs_file_follows_time_unit(tmp_path, capsys):
    """--inputs with --time-unit: the spike trains of the event-data file are converted
    like the network (the file's seconds to milliseconds), as those beside the graph are."""
    pytest.importorskip("nir")
    net = fp.Network.feedforward([2, 3, 2], np.random.default_rng(1))
    inputs = (np.array([0.5, 1.5]), np.array([0.75]))
    kw = dict(time_unit="ms", file_unit="s")
    fp.save_nir(tmp_path / "g.nir", net, inputs=inputs, t_max=3.0, **kw)
    fp.save_nir_inputs(tmp_path / "i.nir", inputs, 2, 3.0, **kw)
    for extra, out in (((), "a.json"), (("--inputs", str(tmp_path / "i.nir")), "b.json")):
        args = ["convert", str(tmp_path / "g.nir"), str(tmp_path / out), "--time-unit", "ms"]
        assert main([*args, *extra]) == 0, capsys.readouterr().err
        got = fp.load(tmp_path / out)
        assert got.meta["time_unit"] == "ms" and got.t_max == pytest.approx(3.0), out
        for a, b in zip(got.inputs, inputs, strict=True):
            np.testing.assert_allclose(a, b, err_msg=out)
