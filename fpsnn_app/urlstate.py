"""Text forms of page state that fit in a URL query string (no Streamlit here).

Widgets bound with ``bind="query-params"`` keep their own values in the URL. Two kinds of
state need a text form of their own:

* input spike times, typed as ``"0.2, 1.0"`` (:func:`parse_times`, :func:`format_times`);
* weight edits of a network, the query parameter ``edits`` holding ``j_i_value`` items
  joined by ``~``, e.g. ``edits=0_1_2.5~4_3_-1`` (:func:`encode_edits`, :func:`decode_edits`).
"""

from __future__ import annotations

import math

import numpy as np


def parse_times(text: str, t_max: float | None = None) -> tuple[float, ...]:
    """Spike times from ``"0.2, 1.0 1.5"`` (commas, semicolons or spaces), sorted.

    Raises
    ------
    ValueError
        With a message naming the offending entry, for anything that is not a finite
        number >= 0 (or, when ``t_max`` is given, a time after ``t_max``).
    """
    items = [s for s in text.replace(";", ",").replace(",", " ").split() if s]
    times = []
    for s in items:
        try:
            t = float(s)
        except ValueError:
            raise ValueError(f"{s!r} is not a number; write times like 0.2, 1.0") from None
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"spike times must be finite and >= 0, got {s}")
        if t_max is not None and t > t_max:
            raise ValueError(f"spike time {s} lies after t_max = {t_max:g}")
        times.append(t)
    return tuple(sorted(times))


def format_times(times) -> str:
    """Inverse of :func:`parse_times`: ``"0.2, 1"``."""
    return ", ".join(f"{float(t):g}" for t in times)


def encode_edits(edits: dict) -> str:
    """``{(j, i): value}`` to ``"j_i_value~..."`` (sorted, values to 6 significant digits)."""
    return "~".join(f"{j}_{i}_{float(v):.6g}" for (j, i), v in sorted(edits.items()))


def decode_edits(text: str, shape: tuple[int, int]) -> dict:
    """Parse :func:`encode_edits` output; ``ValueError`` for a malformed or out-of-range item."""
    edits = {}
    for item in filter(None, text.split("~")):
        parts = item.split("_")
        try:
            j, i, v = int(parts[0]), int(parts[1]), float(parts[2])
            if len(parts) != 3:
                raise IndexError
        except (ValueError, IndexError):
            raise ValueError(f"weight edit {item!r} is not of the form j_i_value") from None
        if not (0 <= j < shape[0] and 0 <= i < shape[1]) or not math.isfinite(v):
            raise ValueError(f"weight edit {item!r} is outside W of shape {shape}")
        edits[(j, i)] = v
    return edits


def apply_edits(weights: np.ndarray, mask: np.ndarray,
                edits: dict) -> tuple[np.ndarray, np.ndarray]:
    """Weights and mask with ``edits`` applied; a non-zero edit outside the mask adds the
    connection, an edit to 0 keeps the connection (a zero weight is still a parameter)."""
    W, M = np.array(weights, dtype=float), np.array(mask, dtype=bool)
    for (j, i), v in edits.items():
        W[j, i] = v
        M[j, i] |= v != 0
    return W, M
