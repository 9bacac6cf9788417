"""The command line on bad input: one line ``error: ...`` and exit status 2,
never a traceback; the output path is checked before training; a run never ends
without saving what it has."""

import json
import os

import pytest

import fpsnn_core as fp
from fpsnn_core import cli
from fpsnn_core.cli import main


def _fails(capsys, *args):
    code = main(list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def xor_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("xor") / "xor.json"
    assert (
        main(
            ["train", "--task", "xor", "--seed", "0", "--out", str(out), "--epochs", "1", "--quiet"]
        )
        == 0
    )
    return out


def _variant(tmp_path, src, name, edit):
    doc = json.loads(src.read_text())
    edit(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def test_evaluate_bad_files_give_one_line(tmp_path, xor_file, capsys):
    cases = [
        (
            lambda d: d["meta"].__setitem__("config", "abc"),
            "xor",
            "meta 'config' must be an object",
        ),
        (lambda d: d.__setitem__("layers", []), "xor", "has no layers"),
        (
            lambda d: d["meta"].update(task="iris", split_seed="x"),
            "iris",
            "split_seed must be an integer",
        ),
        (lambda d: d["meta"]["config"].__setitem__("lr", "fast"), "xor", "lr"),
    ]
    for k, (edit, task, match) in enumerate(cases):
        path = _variant(tmp_path, xor_file, f"v{k}.json", edit)
        assert match in _fails(capsys, "evaluate", path, "--task", task)
    deep = tmp_path / "deep.json"
    deep.write_text(xor_file.read_text()[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}")
    assert "nested too deeply" in _fails(capsys, "evaluate", str(deep), "--task", "xor")
    line = _fails(capsys, "evaluate", str(xor_file), "--task", "yinyang", "--size", "0")
    assert "--size must be >= 1" in line


def test_train_checks_its_arguments_and_output_path_before_training(tmp_path, capsys, monkeypatch):
    def no_training(*a, **k):
        raise AssertionError("training started before the output path was checked")

    monkeypatch.setattr(cli, "train", no_training)
    base = ("train", "--task", "xor", "--quiet")
    assert "--epochs must be >= 1" in _fails(
        capsys, *base, "--epochs", "0", "--out", str(tmp_path / "a.json")
    )
    assert "is a directory" in _fails(capsys, *base, "--out", str(tmp_path))
    assert "does not exist" in _fails(capsys, *base, "--out", str(tmp_path / "no" / "x.json"))
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        assert "cannot be written" in _fails(capsys, *base, "--out", str(ro / "x.json"))
    assert not (tmp_path / "a.json").exists()


def test_interrupted_or_unwritable_runs_still_save(tmp_path, capsys, monkeypatch):
    real_train = cli.train

    def interrupted(*args, on_epoch=None, **kw):
        def stop_after_first(state):
            on_epoch(state)
            raise KeyboardInterrupt

        return real_train(*args, on_epoch=stop_after_first, **kw)

    monkeypatch.setattr(cli, "train", interrupted)
    out = tmp_path / "x.json"
    assert main(["train", "--task", "xor", "--out", str(out), "--epochs", "5", "--quiet"]) == 130
    assert "saved the best network so far" in capsys.readouterr().err
    assert fp.load(out).meta["best_epoch"] >= 0
    monkeypatch.setattr(cli, "train", real_train)

    # the output directory disappears during training: the network goes to a rescue file
    calls = []

    def save_fails_once(path, *a, **k):
        calls.append(path)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return fp.save(path, *a, **k)

    monkeypatch.setattr(cli, "save", save_fails_once)
    out2 = tmp_path / "y.json"
    assert main(["train", "--task", "xor", "--out", str(out2), "--epochs", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "could not write" in err and len(calls) == 2
    rescued = calls[1]
    assert fp.load(rescued).meta["task"] == "xor"
    os.unlink(rescued)


def test_non_finite_history_is_saved_as_null():
    assert cli._json_safe({"a": [1.0, float("nan")], "b": float("inf"), "c": "x"}) == {
        "a": [1.0, None],
        "b": None,
        "c": "x",
    }
