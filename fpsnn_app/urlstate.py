"""Text forms of page state that fit in a URL query string (no Streamlit here).

Widgets bound with ``bind="query-params"`` keep their own values in the URL. Three kinds of
state need a text form of their own, each exact (numbers in their shortest form that
reads back to the same float, :func:`format_number`):

* input spike times, typed as ``"0.2, 1.0"`` (:func:`parse_times`, :func:`format_times`);
* weight edits of a network, the query parameter ``edits`` holding ``j_i_value`` items
  joined by ``~``, e.g. ``edits=0_1_2.5~4_3_-1`` (:func:`encode_edits`, :func:`decode_edits`);
* an uploaded network, the query parameter ``net``: its file name and JSON, compressed
  with zlib and written in URL-safe base64 (:func:`encode_network`, :func:`decode_network`);
  a network whose text is longer than :data:`NETWORK_LINK_LIMIT` stays out of the link.
"""

from __future__ import annotations

import base64
import json
import math
import zlib

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


#: Longest ``net`` parameter (characters) put in a link; browsers and chat tools keep
#: links of a few KB, and the rest of the state needs room too.
NETWORK_LINK_LIMIT = 1500


def format_number(x: float) -> str:
    """The shortest text that reads back as exactly ``x``: ``"0.1"``, ``"2"``, ``"1e-07"``
    (Python's ``repr``, without a trailing ``.0`` and without ``+`` in the exponent, which
    a query string would turn into a space)."""
    text = repr(float(x)).replace("e+", "e")
    return text[:-2] if text.endswith(".0") else text


def format_times(times) -> str:
    """Inverse of :func:`parse_times`: ``"0.2, 1"`` (exact, :func:`format_number`)."""
    return ", ".join(format_number(t) for t in times)


def encode_edits(edits: dict) -> str:
    """``{(j, i): value}`` to ``"j_i_value~..."`` (sorted; values exact, :func:`format_number`)."""
    return "~".join(f"{j}_{i}_{format_number(v)}" for (j, i), v in sorted(edits.items()))


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


def apply_edits(
    weights: np.ndarray, mask: np.ndarray, edits: dict
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and mask with ``edits`` applied; a non-zero edit outside the mask adds the
    connection, an edit to 0 keeps the connection (a zero weight is still a parameter)."""
    W, M = np.array(weights, dtype=float), np.array(mask, dtype=bool)
    for (j, i), v in edits.items():
        W[j, i] = v
        M[j, i] |= v != 0
    return W, M


def encode_network(name: str, text: str) -> str:
    """The ``net`` parameter of an uploaded network: ``name`` and the file ``text``."""
    raw = json.dumps({"name": name, "network": text}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_network(param: str) -> tuple[str, str]:
    """``(name, text)`` from :func:`encode_network`; ``ValueError`` if it is not one."""
    try:
        stream = zlib.decompressobj()
        raw = stream.decompress(
            base64.urlsafe_b64decode(param + "=" * (-len(param) % 4)), 1_000_000
        )
        if not stream.eof:
            raise ValueError("truncated")
        doc = json.loads(raw)
        name, text = doc["name"], doc["network"]
    except (ValueError, TypeError, KeyError, zlib.error) as exc:
        raise ValueError(f"the network in the link is damaged ({type(exc).__name__})") from None
    if not isinstance(name, str) or not isinstance(text, str):
        raise ValueError("the network in the link is damaged (wrong fields)")
    return name, text
