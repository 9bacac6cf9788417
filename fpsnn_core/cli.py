"""Command line: train a layered network on a task, evaluate a saved one, convert NIR.

::

    python -m fpsnn_core train --task yinyang --seed 0 --out net.json [--epochs N ...]
    python -m fpsnn_core train --config eventprop --seed 0 --out net.json
    python -m fpsnn_core evaluate net.json --task yinyang [--seed S --size M]
    python -m fpsnn_core convert model.nir net.json [--inputs spikes.nir] [--file-unit s]
    python -m fpsnn_core convert net.json model.nir [--time-unit ms] [--file-unit s]

``train`` runs a task's default configuration (``--task``) or a named one (``--config``,
:data:`fpsnn_core.training.NAMED_CONFIGS`), shows a progress bar on stderr, prints one
line of metrics per epoch, the test accuracy of the best network (by validation accuracy)
and saves it with :func:`fp.save`; mini-batches skipped for runaway firing are counted
and reported at the end;
its ``meta`` holds the task, the input encoding, the configuration and the history.
``evaluate`` encodes the test set with the saved encoding and prints the confusion matrix
and, as its last line, ``test accuracy: 0.xxxx``. For Yin-Yang, ``--seed``/``--size`` draw a
fresh test set (default: the standard one, seed 40, 1000 samples). Iris is evaluated on
the test part of the split the network was trained on (``meta["split_seed"]``); another
``--seed`` is refused, since that split's test set would overlap the training data.

``convert`` goes from an NIR graph (``.nir``, HDF5) to the core's JSON and back
(:mod:`fpsnn_core.nir_io`: mapping, units, what is refused). Input spike trains travel
with the network both ways. NIR to JSON: the spike trains the graph's file holds beside the
graph (its ``data`` group, as the app's NIR download writes them) go into the JSON;
``--inputs`` reads them from NIR event data instead (a file of its own, or another graph
file that holds some); ``--file-unit`` states the file's time unit when it does not,
``--time-unit`` converts the network and its input times to that unit. JSON to NIR:
``--time-unit`` is the unit of the JSON's times (default: its ``meta``'s ``time_unit``,
else ms), ``--file-unit`` the unit written; input spike trains in the JSON go into the
graph's file (group ``data``) and, as NIR event data that ``nir.read_data`` reads, to
``--inputs`` (default ``<out>.inputs.nir``) too. Bad input
(an option out of :data:`LIMITS`, a file over :data:`fpsnn_core.io.MAX_BYTES`) prints one
line ``error: ...`` naming it and exits with status 2. A trained network that cannot be
written where asked is saved to a file in the temporary directory, named in an ``error:``
line, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from . import datasets
from .errors import FPSNNError
from .io import load, save
from .training import NAMED_CONFIGS, Split, TrainConfig, config_task, evaluate, named_config, train

#: Accepted range of each integer option: a larger value would only exhaust memory or time.
LIMITS = {
    "epochs": (1, 100_000),
    "batch_size": (1, 100_000),
    "patience": (1, 100_000),
    "hidden": (1, 10_000),
    "workers": (1, 64),
    "train_size": (1, 10_000_000),
    "seed": (0, 2**32 - 1),
    "split_seed": (0, 2**32 - 1),
    "size": (1, 1_000_000),
}
#: Most hidden layers ``--hidden`` may list.
MAX_HIDDEN_LAYERS = 16
#: Largest Adam step size ``--lr`` (weights are of order 1: a step of 1 is already wild).
MAX_LR = 10.0


def check_option(name: str, value) -> None:
    """``ValueError`` naming ``--name`` when an integer option is outside :data:`LIMITS`."""
    lo, hi = LIMITS[name]
    flag = "--" + name.replace("_", "-")
    if value is not None and value < lo:
        raise ValueError(f"{flag} must be >= {lo}, got {value}")
    if value is not None and value > hi:
        raise ValueError(f"{flag} must be <= {hi}, got {value}")


def check_train_options(args) -> None:
    """Every ``train`` option in range, before any work (:data:`LIMITS`, :data:`MAX_LR`)."""
    for name in ("epochs", "batch_size", "patience", "workers", "train_size", "seed", "split_seed"):
        check_option(name, getattr(args, name))
    if args.hidden is not None:
        if len(args.hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(
                f"--hidden lists {len(args.hidden)} layers, at most {MAX_HIDDEN_LAYERS}"
            )
        for h in args.hidden:
            check_option("hidden", h)
    if args.lr is not None and not (0.0 < args.lr <= MAX_LR):
        raise ValueError(f"--lr must be a number in (0, {MAX_LR:g}], got {args.lr}")


class ProgressBar:
    """A plain-text progress bar on a stream (redrawn in place on a terminal, else
    printed at most ``lines`` times per epoch)."""

    def __init__(self, stream, width: int = 30, lines: int = 4):
        self.stream, self.width, self.lines = stream, width, lines
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = -1

    def show(self, epoch: int, epochs: int, done: int, total: int, loss: float, acc: float):
        frac = done / total
        if not self.tty:
            step = int(frac * self.lines)
            if step == self.last:
                return
            self.last = step if done < total else -1
        fill = int(round(frac * self.width))
        line = (
            f"epoch {epoch}/{epochs} [{'#' * fill}{'-' * (self.width - fill)}] "
            f"{100 * frac:3.0f}%  loss {loss:.4f}  acc {acc:.4f}"
        )
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        if self.tty and done == total:
            self.stream.write("\n")
        self.stream.flush()


def _split(task: datasets.Task, part: datasets.Dataset) -> Split:
    return Split(task.encoding.encode(part.values), part.labels)


def _print_confusion(ev, class_names, what: str, out=sys.stdout):
    names = list(class_names) + ["none"]
    width = max(len(n) for n in names) + 2
    print(
        f"confusion matrix on {what} (rows: true class, columns: predicted; none = no "
        "output spike, or several outputs first at once)",
        file=out,
    )
    print(" " * width + "".join(f"{n:>{width}}" for n in names), file=out)
    for name, row in zip(class_names, ev.confusion):
        print(f"{name:>{width}}" + "".join(f"{v:>{width}d}" for v in row), file=out)


def check_output_path(path) -> Path:
    """Refuse an output path that cannot be written, before any work is done: a
    directory, a missing parent directory, or one without write permission."""
    out = Path(path)
    if out.is_dir():
        raise ValueError(
            f"--out {path} is a directory; give a file name such as {out / 'net.json'}"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"--out {path}: the directory {parent} does not exist")
    existed = out.exists()
    try:
        with open(out, "a"):
            pass
    except OSError as exc:
        raise ValueError(f"--out {path} cannot be written: {exc.strerror or exc}") from None
    if not existed:
        out.unlink()
    return out


def _json_safe(x):
    """``x`` with every non-finite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _save_or_rescue(path: Path, net, t_max: float, meta: dict) -> tuple[Path, bool]:
    """Save and return ``(path, True)``; if that fails (disk full, directory removed
    meanwhile), save to a fresh file in the temporary directory instead, say so in an
    ``error:`` line and return ``(that file, False)``: a run never ends unsaved."""
    try:
        save(path, net, t_max=t_max, meta=meta)
        return path, True
    except OSError as exc:
        fd, rescue = tempfile.mkstemp(prefix="fpsnn-rescued-", suffix=".json")
        os.close(fd)
        save(rescue, net, t_max=t_max, meta=meta)
        print(
            f"error: could not write {path} ({exc.strerror or exc}); saved the network to "
            f"{rescue} instead",
            file=sys.stderr,
        )
        return Path(rescue), False


def cmd_train(args) -> int:
    overrides = {
        k: v
        for k, v in {
            "hidden": tuple(args.hidden) if args.hidden else None,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "patience": args.patience,
            "method": args.method,
            "seed": args.seed,
        }.items()
        if v is not None
    }
    check_train_options(args)
    if args.task is None and args.config is None:
        raise ValueError("give --task or --config")
    name = args.config or args.task
    if args.task is not None and config_task(name) != args.task:
        raise ValueError(
            f"configuration {name!r} is for task {config_task(name)!r}, not {args.task!r}"
        )
    args.task = config_task(name)
    out = check_output_path(args.out)
    config = named_config(name, **overrides)
    task = datasets.load_task(args.task, split_seed=args.split_seed, **config.encoding_kwargs())
    train_part = (
        task.train if args.train_size is None else task.train.subset(slice(0, args.train_size))
    )
    tr, va, te = _split(task, train_part), _split(task, task.validation), _split(task, task.test)
    bar = ProgressBar(sys.stderr)
    arch = "-".join(str(x) for x in (tr.inputs.shape[1], *config.hidden, task.n_classes))
    print(
        f"task {args.task}: {len(tr)} train / {len(va)} validation / {len(te)} test samples, "
        f"network {arch}, configuration {name}, {config.method} gradients, seed {config.seed}, "
        f"{args.workers} worker(s)"
    )

    def on_batch(state, per_epoch):
        if args.quiet:
            return
        ls, nc, ns = state.running[:3]
        bar.show(
            state.epoch + 1, config.epochs, state.batch, per_epoch, ls / max(ns, 1), nc / max(ns, 1)
        )

    def on_epoch(state):
        m = state.history[-1]
        print(
            f"epoch {m.epoch:3d}  train loss {m.train_loss:.4f} acc {m.train_accuracy:.4f}"
            f"  |  val loss {m.val_loss:.4f} acc {m.val_accuracy:.4f}  |  {m.seconds:.1f} s"
            + (f"  ({m.skipped} samples skipped: grazing spike)" if m.skipped else "")
            + (
                f"  ({m.skipped_batches} mini-batches skipped: runaway firing)"
                if m.skipped_batches
                else ""
            )
            + (
                f"  (back to the best network, epoch {state.best_epoch}; step size x"
                f"{state.lr_scale:g})"
                if m.restored
                else ""
            ),
            flush=True,
        )

    t0 = time.perf_counter()
    seen = {}

    def on_epoch_kept(state):
        seen["state"] = state
        on_epoch(state)

    try:
        state = train(
            tr,
            va,
            task.n_classes,
            config,
            workers=args.workers,
            on_batch=on_batch,
            on_epoch=on_epoch_kept,
        )
    except KeyboardInterrupt:
        state = seen.get("state")
        if state is None or not state.history:
            print("\ninterrupted before the first epoch ended: nothing to save", file=sys.stderr)
            return 130
        path, _ = _save_or_rescue(
            out, state.best, config.t_max, _json_safe(_meta(args, name, task, config, state, None))
        )
        print(
            f"\ninterrupted after epoch {state.history[-1].epoch}: saved the best network so "
            f"far (epoch {state.best_epoch}) to {path}",
            file=sys.stderr,
        )
        return 130
    if not state.history:
        raise ValueError("training ran no epoch: nothing to save")
    ev = evaluate(state.best, te, config)
    path, written = _save_or_rescue(
        out,
        state.best,
        config.t_max,
        _json_safe(_meta(args, name, task, config, state, ev.accuracy)),
    )
    _print_confusion(ev, task.class_names, f"the test set ({len(te)} samples)")
    print(
        f"best epoch {state.best_epoch} (validation accuracy "
        f"{max(m.val_accuracy for m in state.history):.4f}); "
        f"trained in {time.perf_counter() - t0:.1f} s; saved {path}"
    )
    if state.skipped_batches:
        print(
            f"{state.skipped_batches} mini-batch(es) skipped for runaway firing (a neuron "
            "past the spike budget); the saved network is the best one by validation"
        )
    print(f"test accuracy: {ev.accuracy:.4f}")
    return 0 if written else 1


def _meta(args, name, task, config, state, test_accuracy) -> dict:
    meta = {
        "task": args.task,
        "config_name": name,
        "split_seed": args.split_seed,
        "encoding": task.encoding.to_dict(),
        "classes": list(task.class_names),
        "outputs": list(state.best.layers[-1]),
        "config": config.to_dict(),
        "best_epoch": state.best_epoch,
        "history": [m.__dict__ for m in state.history],
        "skipped_batches": state.skipped_batches,
    }
    if test_accuracy is not None:
        meta["test_accuracy"] = test_accuracy
    return meta


def cmd_evaluate(args) -> int:
    check_option("size", args.size)
    check_option("seed", args.seed)
    nf = load(args.network)
    meta = nf.meta or {}
    if not nf.network.layers:
        raise ValueError(
            f"{args.network} has no layers: evaluate needs a layered network "
            "(its last layer holds the outputs)"
        )
    config = meta.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(
            f"{args.network}: meta 'config' must be an object, got {type(config).__name__}"
        )
    if meta.get("task") not in (None, args.task):
        raise ValueError(
            f"{args.network} was trained on task {meta.get('task')!r}, not {args.task!r}"
        )
    encoding = datasets.Encoding.from_dict(meta.get("encoding"))
    if nf.t_max is None:
        raise ValueError(f"{args.network} has no t_max")
    if args.task == "yinyang" and (args.seed is not None or args.size is not None):
        seed, size = datasets.YINYANG_SPLIT["test"]
        data = datasets.yinyang(
            size if args.size is None else args.size, seed if args.seed is None else args.seed
        )
        classes = datasets.YINYANG_CLASSES
        what = (
            f"a fresh Yin-Yang set (seed {seed if args.seed is None else args.seed}, "
            f"{len(data)} samples)"
        )
    else:
        if args.size is not None:
            raise ValueError("--size applies to yinyang only")
        split_seed = meta.get("split_seed", 0)
        if args.seed is not None and args.task != "iris":
            raise ValueError(f"--seed applies to yinyang and iris only, not {args.task}")
        if args.seed is not None and args.seed != meta.get("split_seed"):
            raise ValueError(
                f"--seed {args.seed} would split Iris anew, so that its test set overlaps the "
                f"data {args.network} was trained on (trained on split seed "
                f"{meta.get('split_seed', 'unknown')}); leave --seed out to use that split"
            )
        task = datasets.load_task(args.task, split_seed=split_seed)
        data, classes = task.test, task.class_names
        what = f"the {args.task} test set ({len(data)} samples)"
    if encoding.n_inputs != nf.network.n_inputs:
        raise ValueError(
            f"the encoding gives {encoding.n_inputs} inputs, the network has {nf.network.n_inputs}"
        )
    cfg = TrainConfig.from_dict({**config, "t_max": nf.t_max})
    ev = evaluate(nf.network, Split(encoding.encode(data.values), data.labels), cfg)
    _print_confusion(ev, classes, what)
    print(f"test accuracy: {ev.accuracy:.4f}")
    return 0


def _file_kind(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".nir", ".h5", ".hdf5"):
        return "nir"
    raise ValueError(f"{path}: unknown file type {suffix or '(none)'!r}; use .json or .nir")


def cmd_convert(args) -> int:
    from . import nir_io

    src, dst = _file_kind(args.source), _file_kind(args.dest)
    if src == dst:
        raise ValueError(f"both files are {src}: convert goes from .nir to .json or back")
    if src == "nir":
        nf = nir_io.from_nir(args.source, file_unit=args.file_unit, time_unit=args.time_unit)
        inputs, t_max = nf.inputs, nf.t_max  # the spike trains the graph's file holds
        if args.inputs:
            scale = 1.0
            if args.time_unit is not None:  # the network was converted: so are times,
                # from the graph file's unit (nf.meta states the converted one)
                unit = nir_io.from_nir(args.source, file_unit=args.file_unit).meta["time_unit"]
                scale = nir_io.TIME_UNITS[unit] / nir_io.TIME_UNITS[args.time_unit]
            inputs, t_max = nir_io.inputs_from_nir(args.inputs, nf.network.n_inputs, scale=scale)
        save(args.dest, nf.network, inputs, t_max, meta=nf.meta)
        net = nf.network
        spikes_from = args.inputs or (args.source if inputs is not None else None)
        print(
            f"{args.source} -> {args.dest}: {net.n_inputs} inputs, {net.n_neurons} neurons "
            f"in {len(net.layers)} layer(s), time unit {nf.meta.get('time_unit') or 'as in the file (not stated)'}"
            + (f", input spikes from {spikes_from}" if spikes_from else "")
        )
        return 0
    nf = load(args.source)
    stated = (nf.meta or {}).get("time_unit")
    if args.time_unit is not None and stated is not None and args.time_unit != stated:
        raise ValueError(
            f"units do not match: --time-unit {args.time_unit} but {args.source} states {stated!r}"
        )
    unit = args.time_unit or stated or nir_io.DEFAULT_TIME_UNIT
    t_max = None
    if nf.inputs is not None:
        t_max = (
            nf.t_max
            if nf.t_max is not None
            else max([float(tr.max()) for tr in nf.inputs if tr.size] + [1.0])
        )
    nir_io.save_nir(
        args.dest,
        nf.network,
        time_unit=unit,
        file_unit=args.file_unit,
        inputs=nf.inputs,
        t_max=t_max,
    )
    msg = f"{args.source} -> {args.dest}: time unit {args.file_unit or unit}"
    if nf.inputs is not None:
        out = args.inputs or str(Path(args.dest).with_suffix(".inputs.nir"))
        nir_io.save_nir_inputs(
            out, nf.inputs, nf.network.n_inputs, t_max, time_unit=unit, file_unit=args.file_unit
        )
        msg += f"; input spike trains -> {args.dest} (beside the graph) and {out}"
    print(msg)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fpsnn_core",
        description="Train and evaluate spiking networks with exact gradients.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    epilog = "named configurations (--config; each task's name is its default):\n" + "\n".join(
        f"  {name} ({config_task(name)}): hidden {' '.join(map(str, c.hidden))}, tau_s "
        f"{c.tau_s:.3g}, tau_n {c.tau_n:g}, {c.epochs} epochs, mini-batches of {c.batch_size}, "
        f"lr {c.lr:g} (x{c.lr_decay:g} per epoch), patience {c.patience}, softmax "
        f"temperature {c.tau_0:g}, bump {c.bump:g}"
        for name, c in ((n, named_config(n)) for n in NAMED_CONFIGS)
    )
    t = sub.add_parser(
        "train",
        help="train a layered network on a task",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument(
        "--task",
        choices=datasets.TASKS,
        help="train the task's default configuration (or give --config)",
    )
    t.add_argument(
        "--config",
        choices=tuple(NAMED_CONFIGS),
        help="a named configuration (listed below); overrides such as --epochs apply on top",
    )
    t.add_argument("--seed", type=int, default=0, help="initial weights and sample order")
    t.add_argument("--out", required=True, help="where to save the network (JSON)")
    task_default = "default: the configuration's, below"
    t.add_argument("--epochs", type=int, help=task_default)
    t.add_argument(
        "--hidden", type=int, nargs="+", help="hidden layer sizes, e.g. 120; " + task_default
    )
    t.add_argument("--batch-size", type=int, help=task_default)
    t.add_argument("--lr", type=float, help="Adam step size; " + task_default)
    t.add_argument("--patience", type=int, help="early stopping; " + task_default)
    t.add_argument("--method", choices=("fp", "adjoint"), help="default: fp")
    t.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes per mini-batch: 2 uses both cores, which pays off only for "
        "large mini-batches (e.g. --batch-size 150)",
    )
    t.add_argument("--train-size", type=int, help="use only the first N training samples")
    t.add_argument("--split-seed", type=int, default=0, help="Iris: seed of the split")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    e = sub.add_parser("evaluate", help="evaluate a saved network on a test set")
    e.add_argument("network", help="network file written by 'train'")
    e.add_argument("--task", required=True, choices=datasets.TASKS)
    e.add_argument(
        "--seed",
        type=int,
        help="yinyang: draw a fresh test set from this seed; "
        "iris: must be the training split's seed (the "
        "file's; other splits overlap the training data)",
    )
    e.add_argument("--size", type=int, help="yinyang: size of the fresh test set")
    units = ("s", "ms", "us")
    c = sub.add_parser(
        "convert",
        help="convert an NIR graph (.nir) to the core's JSON or back, input spike trains included",
        description="Convert an NIR graph (.nir, HDF5) to the core's JSON or "
        "back; the direction follows the file extensions. Input spike trains go along "
        "both ways: those a .nir file holds beside its graph (group 'data', NIR event "
        "data as the app's NIR download writes it) go into the JSON; a JSON's go into "
        "the .nir file's 'data' group and to --inputs.",
    )
    c.add_argument("source", help="a .nir or .json file")
    c.add_argument("dest", help="the .json or .nir file to write")
    c.add_argument(
        "--inputs",
        help="NIR event data (.nir) of the input spike trains: read (nir -> json; "
        "instead of those the graph's file holds) or written as well (json -> nir; "
        "default <dest>.inputs.nir)",
    )
    c.add_argument(
        "--time-unit",
        choices=units,
        help="nir -> json: convert the network to this unit; json -> nir: the "
        "unit of the JSON's times (default: its meta, else ms)",
    )
    c.add_argument(
        "--file-unit",
        choices=units,
        help="the NIR file's time unit: stated for a file without one (nir -> "
        "json), or the unit to write (json -> nir; default: --time-unit)",
    )
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "convert":
            return cmd_convert(args)
        if args.command == "train":
            return cmd_train(args)
        return cmd_evaluate(args)
    except (ValueError, FPSNNError, OSError) as exc:
        return _fail(str(exc))
    except ImportError as exc:  # the optional nir package is missing
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (TypeError, KeyError, IndexError, RecursionError, MemoryError) as exc:
        # a bad value that no check named: still one line, never a traceback
        return _fail(f"{type(exc).__name__}: {exc}")


def _fail(message: str) -> int:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    return 2
