"""Save and load a network (optionally with input spikes and ``t_max``) as JSON.

The document is an object::

    {"format": "fpsnn-network", "version": 1,
     "n_inputs": K, "weights": [[...], ...] (K+N rows of N numbers),
     "mask": [[true, ...], ...] (optional), "tau_s": x or [N], "tau_n": ..., "theta": ...,
     "layers": [[neuron, ...], ...] (optional),
     "inputs": [[t, ...], ...] (optional, K lists), "t_max": x (optional),
     "meta": {...} (optional, free-form, e.g. an input encoding; "outputs", when
              present, lists the output neurons)}

Loading validates everything and raises ``ValueError`` with the offending field. Plain
JSON only, both ways: no ``NaN`` or ``Infinity`` (not JSON numbers), nesting at most
:data:`MAX_DEPTH` levels, a leading UTF-8 byte order mark is ignored. A document longer
than ``max_bytes`` (default :data:`MAX_BYTES`) is refused before it is parsed, and
:func:`load` reads at most ``max_bytes + 1`` bytes of a file. Saving checks the
document before it writes anything, so a bad ``t_max`` or ``meta`` never leaves a file
that cannot be read back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checks import indices, integer, real
from .errors import ArgumentTypeError
from .network import Network
from .simulate import validate_inputs

FORMAT = "fpsnn-network"
VERSION = 1
_NO_T_MAX = np.finfo(float).max  # keep every input time when no t_max is given
#: Deepest nesting of arrays and objects accepted in a network document.
MAX_DEPTH = 64
#: Longest network document :func:`from_json` and :func:`load` accept by default, in bytes
#: (16 MiB: a dense network of about 700 neurons written by :func:`to_json`).
MAX_BYTES = 16 * 2**20


@dataclass(frozen=True, eq=False)
class NetworkFile:
    """What a network file holds: the network and, when present, inputs and ``t_max``."""

    network: Network
    inputs: tuple | None = None
    t_max: float | None = None
    meta: dict | None = None


def network_to_dict(
    net: Network, inputs=None, t_max: float | None = None, meta: dict | None = None
) -> dict:
    """The JSON-ready document of a network (module docstring)."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "n_inputs": net.n_inputs,
        "weights": net.weights.tolist(),
        "mask": net.mask.tolist(),
        "tau_s": net.tau_s.tolist(),
        "tau_n": net.tau_n.tolist(),
        "theta": net.theta.tolist(),
        "layers": [list(layer) for layer in net.layers],
    }
    if not isinstance(net, Network):
        raise ArgumentTypeError(f"net must be a Network, got {type(net).__name__}")
    if t_max is not None:
        doc["t_max"] = real("t_max", t_max, positive=True)
    if inputs is not None:
        trains = validate_inputs(inputs, net.n_inputs, t_max if t_max is not None else _NO_T_MAX)
        doc["inputs"] = [tr.tolist() for tr in trains]
    if meta is not None and not isinstance(meta, dict):
        raise ArgumentTypeError(f"meta must be a dict, got {type(meta).__name__}")
    if meta:
        _check_meta(meta, net.n_neurons)
        doc["meta"] = meta
    return doc


def to_json(net: Network, inputs=None, t_max: float | None = None, meta: dict | None = None) -> str:
    """Serialize to a JSON string (standard JSON: ``ValueError`` if ``meta`` holds NaN,
    infinity or something JSON cannot hold)."""
    doc = network_to_dict(net, inputs, t_max, meta)
    try:
        return json.dumps(doc, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"meta cannot be written as JSON ({exc}); use finite numbers, "
            "strings, lists and dicts only"
        ) from None
    except RecursionError:
        raise ValueError(f"meta is nested too deeply (at most {MAX_DEPTH} levels)") from None


#: The types of JSON's scalars as ``json.loads`` gives them (any other type, subclasses of
#: ``list`` and ``dict`` included, goes through ``isinstance``).
_SCALAR_TYPES = frozenset((int, float, str, bool, type(None)))
#: The types of JSON numbers as ``json.loads`` gives them (not bool).
_NUMBER_TYPES = frozenset((int, float))
_BOOL_TYPE = frozenset((bool,))  # bool has no subclasses
_NESTED = (list, dict)


def _depth(doc) -> int:
    """Nesting depth of lists and dicts, without recursion."""
    if not isinstance(doc, _NESTED):
        return 0
    deepest, stack = 0, [(doc, 1)]
    while stack:
        x, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > MAX_DEPTH:
            return deepest
        values = x.values() if isinstance(x, dict) else x
        if _SCALAR_TYPES.issuperset(map(type, values)):  # no container inside: no deeper
            continue
        stack.extend((v, d + 1) for v in values if isinstance(v, _NESTED))
    return deepest


def _numbers_only(rows) -> bool:
    """Whether every row holds only numbers (``int`` or ``float``, not ``bool``): the exact
    types first (one pass in C per row), then ``isinstance`` for subclasses such as
    NumPy's ``float64``."""
    return all(_NUMBER_TYPES.issuperset(map(type, r)) for r in rows) or not any(
        isinstance(x, bool) or not isinstance(x, (int, float)) for r in rows for x in r
    )


def _check_meta(meta: dict, n_neurons: int) -> None:
    if _depth(meta) > MAX_DEPTH - 1:
        raise ValueError(f"'meta' is nested too deeply (at most {MAX_DEPTH - 1} levels)")
    if "outputs" in meta:
        indices("meta 'outputs'", meta["outputs"], n_neurons)


def network_from_dict(doc) -> NetworkFile:
    """Validate a document and build the network; ``ValueError`` names what is wrong."""
    if not isinstance(doc, dict):
        raise ValueError("a network file must hold a JSON object")
    if doc.get("format") != FORMAT:
        raise ValueError(f"not an fpsnn network file: 'format' must be {FORMAT!r}")
    if doc.get("version") != VERSION:
        raise ValueError(
            f"unsupported version {doc.get('version')!r} (this reads version {VERSION})"
        )
    for key in ("n_inputs", "weights"):
        if key not in doc:
            raise ValueError(f"the network file has no {key!r}")
    kw = {k: doc[k] for k in ("tau_s", "tau_n", "theta") if k in doc}
    for k, v in kw.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, list)):
            raise ValueError(f"{k!r} must be a number or a list of numbers")
    weights = doc["weights"]
    if not isinstance(weights, list) or not all(isinstance(r, list) for r in weights):
        raise ValueError("'weights' must be a list of rows of numbers")
    if not weights or not weights[0]:
        raise ValueError("'weights' is empty: it needs K+N rows of N numbers (N >= 1 neurons)")
    if not _numbers_only(weights):
        raise ValueError("'weights' must contain only numbers")
    mask = doc.get("mask")
    if mask is not None and (
        not isinstance(mask, list)
        or any(not isinstance(r, list) or not _BOOL_TYPE.issuperset(map(type, r)) for r in mask)
    ):
        raise ValueError("'mask' must be a list of rows of true/false")
    layers = doc.get("layers", [])
    if not isinstance(layers, list) or any(
        not isinstance(l, list) or any(isinstance(x, bool) or not isinstance(x, int) for x in l)
        for l in layers
    ):
        raise ValueError("'layers' must be a list of lists of neuron indices")
    if len(set(map(len, weights))) > 1:
        raise ValueError("'weights' rows must all have the same length")
    net = Network(
        np.array(weights, dtype=float).reshape(len(weights), -1),
        doc["n_inputs"],
        mask=None if mask is None else np.array(mask, dtype=bool),
        layers=tuple(layers),
        **kw,
    )
    t_max = doc.get("t_max")
    if t_max is not None and (
        isinstance(t_max, bool)
        or not isinstance(t_max, (int, float))
        or not np.isfinite(t_max)
        or t_max <= 0
    ):
        raise ValueError(f"'t_max' must be a number > 0, got {t_max!r}")
    inputs = doc.get("inputs")
    if inputs is not None:
        if not isinstance(inputs, list) or any(not isinstance(tr, list) for tr in inputs):
            raise ValueError("'inputs' must be a list of lists of spike times")
        if any(isinstance(x, bool) or not isinstance(x, (int, float)) for tr in inputs for x in tr):
            raise ValueError("'inputs' must contain only numbers")
        inputs = validate_inputs(inputs, net.n_inputs, t_max if t_max is not None else _NO_T_MAX)
    meta = doc.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise ValueError("'meta' must be an object")
    if meta:
        _check_meta(meta, net.n_neurons)
    return NetworkFile(net, inputs, None if t_max is None else float(t_max), meta)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number (use finite numbers)")


def _check_max_bytes(max_bytes) -> int | None:
    return None if max_bytes is None else integer("max_bytes", max_bytes, minimum=1)


def _too_long(
    size: int, max_bytes: int, what: str = "the network document", at_least: bool = False
) -> ValueError:
    return ValueError(
        f"{what} is {'at least ' if at_least else ''}{size} bytes, more than "
        f"max_bytes={max_bytes}: not read (pass a larger max_bytes, or None, "
        "for a file you trust)"
    )


def from_json(text: str | bytes, *, max_bytes: int | None = MAX_BYTES) -> NetworkFile:
    """Parse and validate a JSON network document (module docstring); a document longer
    than ``max_bytes`` (bytes, or characters of a ``str``; ``None``: no limit) is refused
    before it is parsed."""
    max_bytes = _check_max_bytes(max_bytes)
    if (
        isinstance(text, (str, bytes, bytearray))
        and max_bytes is not None
        and len(text) > max_bytes
    ):
        raise _too_long(len(text), max_bytes)
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not valid JSON: the file is not UTF-8 text ({exc})") from None
    if not isinstance(text, str):
        raise ArgumentTypeError(
            f"from_json needs JSON text (str or bytes), got {type(text).__name__}"
        )
    try:
        doc = json.loads(text.removeprefix("\ufeff"), parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError(
            f"not a network file: nested too deeply (at most {MAX_DEPTH} levels)"
        ) from None
    if _depth(doc) > MAX_DEPTH:
        raise ValueError(f"not a network file: nested too deeply (at most {MAX_DEPTH} levels)")
    return network_from_dict(doc)


def save(
    path, net: Network, inputs=None, t_max: float | None = None, meta: dict | None = None
) -> None:
    """Write the network (and optional inputs, ``t_max``, ``meta``) to ``path``.

    The document is built and checked first: on an error nothing is written."""
    Path(path).write_text(to_json(net, inputs, t_max, meta))


def load(path, *, max_bytes: int | None = MAX_BYTES) -> NetworkFile:
    """Read and validate a network file; one longer than ``max_bytes`` is refused after
    reading at most ``max_bytes + 1`` bytes (a file of unknown size, a pipe, included)."""
    max_bytes = _check_max_bytes(max_bytes)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size  # 0 for a pipe or a device
        if max_bytes is not None and size > max_bytes:
            raise _too_long(size, max_bytes, str(path))
        data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise _too_long(len(data), max_bytes, str(path), at_least=True)
    return from_json(data, max_bytes=None)
