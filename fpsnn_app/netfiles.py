"""Network files for the app, without Streamlit: an upload (JSON or NIR) read into the
core's JSON, and the NIR file of a network (:mod:`fpsnn_core.nir_io`).

NIR files that state their time unit are shown in milliseconds (the app's sliders suit
time constants near 1); files that state none keep their numbers as they are.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import fpsnn_core as fp

from .limits import MAX_UPLOAD_BYTES, check_size, check_upload_bytes

#: File types the network uploader accepts.
UPLOAD_TYPES = ("json", "nir")
APP_TIME_UNIT = "ms"


@lru_cache(maxsize=8)
def parse(network_json: str) -> fp.NetworkFile:
    """``fp.from_json`` of a network text the app has already accepted, kept for the last
    few texts: a page run parses the same text in several places, and a 10,000-weight
    network takes tens of milliseconds each time. The result is shared, so read it only
    (``Network`` and the input arrays are read-only)."""
    return fp.from_json(network_json)


def file_inputs(loaded: fp.NetworkFile) -> list:
    """The input spike trains of a parsed network file; a file without inputs has every
    input silent."""
    return loaded.inputs if loaded.inputs is not None else [()] * loaded.network.n_inputs


def nir_available() -> bool:
    """Whether the optional ``nir`` package is installed."""
    return importlib.util.find_spec("nir") is not None


def read_network_file(name: str, data: bytes) -> str:
    """The core's JSON of an uploaded ``.json`` or ``.nir`` file; ``ValueError`` with a
    one-line reason when the file is not a network the core can represent, or is larger
    than :data:`limits.MAX_UPLOAD_BYTES` (checked before anything is parsed)."""
    check_upload_bytes(len(data))
    if name.lower().endswith(".nir"):
        if not nir_available():
            raise ValueError(
                "reading NIR files needs the optional nir package (pip install 'fpsnn[nir]')"
            )
        nf = fp.from_nir(data)
        if nf.meta["time_unit"] not in (None, APP_TIME_UNIT):
            nf = fp.from_nir(data, time_unit=APP_TIME_UNIT)
    else:
        nf = fp.from_json(data, max_bytes=MAX_UPLOAD_BYTES)  # a UTF-8 byte order mark is fine
    check_size(nf.network, nf.inputs)  # the largest network the app accepts
    return fp.to_json(nf.network, nf.inputs, nf.t_max, nf.meta)


def nir_file(network_json: str) -> bytes:
    """The ``.nir`` file of a network given as the core's JSON; its ``meta.time_unit``
    (default ms) is the unit written. Input spike trains and ``t_max``, when the JSON has
    them, go into the same file as NIR event data (:func:`fpsnn_core.nir_io.nir_bytes`)."""
    nf = fp.from_json(network_json)
    unit = (nf.meta or {}).get("time_unit") or APP_TIME_UNIT
    if nf.inputs is None or nf.t_max is None:
        return fp.nir_bytes(nf.network, time_unit=unit)
    return fp.nir_bytes(nf.network, time_unit=unit, inputs=nf.inputs, t_max=nf.t_max)


def file_parts(loaded: fp.NetworkFile) -> str:
    """What an uploaded network file gave the page, in words: weights and constants always,
    input spike times when the file holds them."""
    parts = "weights W and constants τ_s, τ_n, θ"
    if loaded.inputs is None:
        return parts + "; no input spike times (type them below)"
    n = sum(len(train) for train in loaded.inputs)
    return parts + f", input spike times ({n} spike{'s' if n != 1 else ''})"


def time_unit(meta: dict | None) -> str | None:
    """The time unit a network's ``meta`` states (NIR imports), if any."""
    unit = (meta or {}).get("time_unit")
    return unit if isinstance(unit, str) else None
