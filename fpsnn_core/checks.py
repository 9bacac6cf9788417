"""Checks of plain arguments shared by the core: numbers, integers, neuron indices.

Each returns the value converted (``float``, ``int``, ``tuple`` of ``int``) or raises
``ValueError`` (a bad value) or :class:`~fpsnn_core.errors.ArgumentTypeError` (a wrong
type, also a ``ValueError``) with a message that names the argument.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import ArgumentTypeError


def real(name: str, value, *, positive: bool = False, nonnegative: bool = False) -> float:
    """A finite real number (not a bool, a string or a complex number)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number, got {value!r}")
    x = float(value)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and x <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if nonnegative and x < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return x


def integer(name: str, value, *, minimum: int | None = None) -> int:
    """An integer (a Python or NumPy int, not a bool or a float)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an integer, got {value!r}")
    n = int(value)
    if minimum is not None and n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {n}")
    return n


def indices(
    name: str, values, n: int, *, what: str = "neuron", nonempty: bool = True, unique: bool = True
) -> tuple[int, ...]:
    """A sequence of distinct integers in ``0..n-1`` (neuron or spike indices)."""
    if isinstance(values, (str, bytes, dict, set, frozenset)) or np.isscalar(values):
        raise ArgumentTypeError(f"{name} must be a list of {what} indices, got {values!r}")
    try:
        items = list(values)
    except TypeError:
        raise ArgumentTypeError(
            f"{name} must be a list of {what} indices, got {values!r}"
        ) from None
    out = tuple(integer(f"{name}[{k}]", v) for k, v in enumerate(items))
    if nonempty and not out:
        raise ValueError(f"{name} must name at least one {what}")
    bad = [v for v in out if not 0 <= v < n]
    if bad:
        raise ValueError(
            f"{name} names {what} {bad[0]}, which does not exist (valid: 0..{n - 1})"
            if n
            else f"{name} names {what} {bad[0]}, but there are none"
        )
    if unique and len(set(out)) != len(out):
        dup = next(v for v in out if out.count(v) > 1)
        raise ValueError(f"{name} names {what} {dup} twice")
    return out


def real_array(name: str, value, shape: tuple | None = None) -> np.ndarray:
    """A float array of finite real numbers (of ``shape`` when given)."""
    if isinstance(value, (str, bytes, dict, set, frozenset)):
        raise ArgumentTypeError(f"{name} must be an array of numbers, got {value!r}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{name} must be an array of numbers") from None
    if arr.dtype.kind not in "iuf" and (arr.size or arr.dtype.kind == "O"):
        raise ArgumentTypeError(f"{name} must hold real numbers only, got {arr.dtype} values")
    arr = arr.astype(float)
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr
