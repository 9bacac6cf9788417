"""The shared network of the network pages: sidebar picker, weight editor, upload/download.

``app.py`` calls :func:`network_sidebar` before running a page whose registry entry has
``uses_network=True``, so the picker's widgets are the same on every such page and its
state (bound to the URL, persisted for the session) follows the user from page to page.
Pages read the result with :func:`current_network`.

URL state: ``motif`` (the motif's title, as bound selectboxes store their label),
``net.seed``, ``net.tau_s``, ``net.tau_n``, ``net.theta``, ``<motif>.t_max`` and input
times ``<motif>.in<j>``
(widgets with ``bind="query-params"``), and weight edits ``edits``
(:mod:`fpsnn_app.urlstate`). An uploaded network travels in the link as ``net``
(:func:`fpsnn_app.urlstate.encode_network`) when it is small enough; a larger one stays in
the session, and the sidebar says so next to the share hint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

import fpsnn_core as fp

from .. import netfiles, presets
from ..figures.common import source_label
from ..limits import check_size
from ..urlstate import (
    NETWORK_LINK_LIMIT,
    apply_edits,
    decode_edits,
    decode_network,
    encode_edits,
    encode_network,
)
from . import nir_button, times_input

UPLOADED = "uploaded"
#: Query parameter holding the weight edits (:func:`fpsnn_app.urlstate.encode_edits`).
EDITS_PARAM = "edits"
#: Query parameter holding a small uploaded network (:func:`fpsnn_app.urlstate.encode_network`).
NET_PARAM = "net"
_STATE = "fpsnn.network"  # the NetworkChoice of this run
_EDITS = "fpsnn.edits"  # {source key: {(j, i): value}}
_UPLOAD = "fpsnn.upload"  # (file name, JSON text) of the last valid upload
_UPLOAD_ERROR = "fpsnn.upload_error"


@dataclass(frozen=True)
class NetworkChoice:
    """The network the pages work on.

    Attributes
    ----------
    json : str
        ``fp.to_json`` of network, inputs and ``t_max``: the plain value passed to scenes.
    outputs : tuple of int
        Output neurons (classes of the losses).
    title : str
        Human name (motif title or uploaded file name).
    """

    json: str
    outputs: tuple
    title: str


def current_network() -> NetworkChoice | None:
    """The choice made by :func:`network_sidebar` in this run (``None`` if it failed)."""
    return st.session_state.get(_STATE)


def _on_upload() -> None:
    file = st.session_state.get("net.upload")
    if file is None:
        return
    try:
        text = netfiles.read_network_file(file.name, file.getvalue())
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError) as exc:
        st.session_state[_UPLOAD_ERROR] = f"{file.name} is not a valid fpsnn network: {exc}"
        return
    _install(file.name, text)


def open_network(name: str, text: str) -> None:
    """Make the network file ``text`` the picker's choice, as if uploaded under ``name``
    (its inputs and ``t_max`` too): the Training page's microscope opens a trained network
    and one sample's input on the network pages this way."""
    fp.from_json(text)  # ValueError for a bad file, before any change
    _install(name, text)


def _install(name: str, text: str) -> None:
    """Make ``text`` this session's uploaded network and the picker's choice.

    Every upload shares the fields ``uploaded.t_max`` and ``uploaded.in<j>``: the previous
    upload's values (in the session and in the link) and weight edits are dropped, so the
    new file's own inputs and ``t_max`` show.
    """
    st.session_state[_UPLOAD] = (name, text)
    st.session_state.pop(_UPLOAD_ERROR, None)
    st.session_state[_EDITS] = {
        k: v for k, v in st.session_state.get(_EDITS, {}).items() if k != UPLOADED
    }
    for key in [k for k in st.session_state if str(k).startswith(f"{UPLOADED}.")]:
        del st.session_state[key]
    st.session_state.pop(f"net.weights.{UPLOADED}", None)  # the weight table's edits
    for key in [k for k in st.query_params if k.startswith(f"{UPLOADED}.")] + [EDITS_PARAM]:
        if key in st.query_params:
            del st.query_params[key]
    st.session_state["motif"] = UPLOADED


def _edits(source: str, shape: tuple[int, int]) -> dict:
    """This source's weight edits: from the session, else from the URL's ``w``."""
    store = st.session_state.setdefault(_EDITS, {})
    if source not in store:
        text = st.query_params.get(EDITS_PARAM, "")
        try:
            store[source] = decode_edits(text, shape)
        except ValueError as exc:
            st.sidebar.warning(f"Ignoring the weight edits in the link: {exc}")
            store[source] = {}
    return store[source]


def _edited(base: fp.Network, edits: dict) -> fp.Network:
    """``base`` with the weight ``edits``; ``ValueError`` if that is no valid network."""
    W, mask = apply_edits(base.weights, base.mask, edits)
    return fp.Network(W, base.n_inputs, base.tau_s, base.tau_n, base.theta, mask, base.layers)


def _valid_edits(source: str, base: fp.Network, edits: dict) -> dict:
    """The weight edits that keep a valid network (from the link or the weight table):
    one that does not (a self-loop, a weight beyond the core's limit) is dropped with a
    warning, so the rest of the page stays."""
    kept, refused = {}, []
    for (j, i), v in sorted(edits.items()):
        try:
            _edited(base, {**kept, (j, i): v})
            kept[(j, i)] = v
        except ValueError as exc:
            refused.append(str(exc))
    if refused:
        st.warning(
            f"Ignoring the weight edits that make no valid network: {'; '.join(refused)}.",
            icon=":material/warning:",
        )
        set_edits(source, kept)
        st.session_state.pop(f"net.weights.{source}", None)  # the table shows what is kept
    return kept


def set_edits(source: str, edits: dict) -> None:
    """Replace this source's weight edits (used by the weight editor)."""
    st.session_state.setdefault(_EDITS, {})[source] = dict(edits)


def _sync_url(edits: dict) -> None:
    if edits:
        st.query_params[EDITS_PARAM] = encode_edits(edits)
    elif EDITS_PARAM in st.query_params:
        del st.query_params[EDITS_PARAM]


def _motif_changed() -> None:
    # the link's weight edits belonged to the previous motif; the new one's (if any) are
    # in the session and are written back to the URL by _sync_url
    if EDITS_PARAM in st.query_params:
        del st.query_params[EDITS_PARAM]


def network_sidebar() -> NetworkChoice | None:
    """Draw the network picker in the sidebar; store and return the choice."""
    st.session_state[_STATE] = None
    with st.sidebar:
        st.subheader("Network")
        choice = _picker()
    st.session_state[_STATE] = choice
    return choice


def _upload_from_link() -> None:
    """Install the network carried by the link (``net``) as this session's upload."""
    param = st.query_params.get(NET_PARAM)
    if param is None or _UPLOAD in st.session_state:
        return
    try:
        name, text = decode_network(param)
        loaded = fp.from_json(text)
        check_size(loaded.network, loaded.inputs)
    except ValueError as exc:
        st.warning(f"Ignoring the network in the link: {exc}. Showing a motif instead.")
        del st.query_params[NET_PARAM]
        return
    st.session_state[_UPLOAD] = (name, text)


def _share_hint(source: str, upload) -> None:
    """Put a small upload into the link (``net``), say when it is too large, and say what
    the link holds."""
    param = encode_network(*upload) if source == UPLOADED else None
    if param is not None and len(param) <= NETWORK_LINK_LIMIT:
        if st.query_params.get(NET_PARAM) != param:
            st.query_params[NET_PARAM] = param
    elif NET_PARAM in st.query_params:
        del st.query_params[NET_PARAM]
    st.caption(
        ":material/link: The page's link (address bar) holds everything you set here "
        "and on the page: copy it to share what you see."
    )
    if param is not None and len(param) > NETWORK_LINK_LIMIT:
        st.warning(
            f"This uploaded network is too large for a link ({len(param)} characters, "
            f"limit {NETWORK_LINK_LIMIT}): the link opens the default motif. Share its "
            "JSON file (Load / save) instead.",
            icon=":material/link_off:",
        )


def _picker() -> NetworkChoice | None:
    _upload_from_link()
    upload = st.session_state.get(_UPLOAD)
    linked = st.query_params.get("motif", "")
    if upload is None and linked.startswith("Uploaded"):
        st.info(
            "The link names an uploaded network that is not in it (too large for a "
            "link): showing the default motif. Upload its JSON file to see it."
        )
    options = list(presets.MOTIFS) + ([UPLOADED] if upload else [])
    titles = {k: m.title for k, m in presets.MOTIFS.items()}
    titles[UPLOADED] = f"Uploaded: {upload[0]}" if upload else "Uploaded"
    source = st.selectbox(
        "Motif",
        options,
        index=options.index(presets.DEFAULT_MOTIF),
        format_func=titles.get,
        key="motif",
        bind="query-params",
        persist_state="session",
        on_change=_motif_changed,
    )
    if source == UPLOADED:
        loaded = fp.from_json(upload[1])
        base = loaded.network
        inputs0 = loaded.inputs or tuple(() for _ in range(base.n_inputs))
        t_max_default = float(np.clip(loaded.t_max or presets.T_MAX, 0.5, 20.0))
        outputs = presets.output_neurons(base, loaded.meta)
        unit = netfiles.time_unit(loaded.meta)
        st.caption(
            f"From the file: {netfiles.file_parts(loaded)}"
            + (f"; times in {unit}." if unit else ".")
        )
    else:
        motif = presets.MOTIFS[source]
        st.caption(motif.description)
        seed = st.number_input(
            "Seed",
            0,
            9999,
            0,
            key="net.seed",
            bind="query-params",
            persist_state="session",
            disabled=not motif.random,
            help="Draws the random weights of the feed-forward motif.",
        )
        c = [
            st.slider(
                label,
                0.1,
                3.0,
                default,
                0.05,
                key=key,
                bind="query-params",
                persist_state="session",
            )
            for label, default, key in (
                ("τ_s, synapse", presets.TAU_S, "net.tau_s"),
                ("τ_n, membrane", presets.TAU_N, "net.tau_n"),
                ("θ, threshold", presets.THETA, "net.theta"),
            )
        ]
        base, wiring = presets.motif_network(source, seed, *c)
        inputs0, t_max_default, outputs = wiring.inputs, presets.T_MAX, wiring.outputs
        unit = None
    t_max = st.slider(
        "t_max",
        0.5,
        20.0,
        t_max_default,
        0.5,
        key=f"{source}.t_max",
        bind="query-params",
        persist_state="session",
    )
    inputs = [
        times_input(
            f"Input {j} spike times",
            inputs0[j],
            key=f"{source}.in{j}",
            t_max=t_max,
            persist_state="session",
        )
        for j in range(base.n_inputs)
    ]
    edits = _valid_edits(source, base, _edits(source, base.weights.shape))
    _sync_url(edits)
    net = _edited(base, edits)
    meta = {"outputs": list(outputs), **({"time_unit": unit} if unit else {})}
    _load_save(net, inputs, t_max, source, meta)
    _share_hint(source, upload)
    title = titles[source] + (f" ({len(edits)} weight edits)" if edits else "")
    return NetworkChoice(fp.to_json(net, inputs, t_max, meta=meta), tuple(outputs), title)


def _load_save(net: fp.Network, inputs, t_max: float, source: str, meta: dict) -> None:
    with st.expander("Load / save network", icon=":material/folder_open:"):
        st.file_uploader(
            "Upload a network (JSON or NIR)",
            type=list(netfiles.UPLOAD_TYPES),
            key="net.upload",
            on_change=_on_upload,
            help="A JSON file saved by this app or by fpsnn_core.save(), or an "
            "NIR graph (.nir) exported from snnTorch, Norse, Lava, Rockpool, "
            "...: Input, Linear/Affine, CubaLIF and Output nodes.",
        )
        if st.session_state.get(_UPLOAD_ERROR):
            st.error(st.session_state[_UPLOAD_ERROR])
        network_json = fp.to_json(net, inputs, t_max, meta=meta)
        st.download_button(
            "Download this network (JSON)",
            network_json,
            file_name=f"fpsnn-{source}.json",
            mime="application/json",
            on_click="ignore",
            icon=":material/download:",
        )
        nir_button(network_json, f"fpsnn-{source}.nir", "Download as NIR")


def weight_editor(choice: NetworkChoice) -> None:
    """An editable table of ``W[j, i]`` (rows: sources, columns: neurons).

    A blank cell is no connection; typing a number there adds one. Edits are kept per
    motif in the session and in the URL (``edits``).
    """
    import pandas as pd

    loaded = netfiles.parse(choice.json)
    net = loaded.network
    source = st.session_state.get("motif", presets.DEFAULT_MOTIF)
    K, N = net.n_inputs, net.n_neurons
    rows = [source_label(j, K) for j in range(net.n_sources)]
    cols = [f"→ n{i}" for i in range(N)]
    table = pd.DataFrame(np.where(net.mask, net.weights, np.nan), index=rows, columns=cols)
    edited = st.data_editor(
        table,
        key=f"net.weights.{source}",
        width="stretch",
        column_config={
            "_index": st.column_config.TextColumn("source", disabled=True),
            **{c: st.column_config.NumberColumn(c, format="%.3f") for c in cols},
        },
    )
    new = np.nan_to_num(edited.to_numpy(dtype=float), nan=0.0)
    old = np.where(net.mask, net.weights, 0.0)
    changed = np.argwhere(
        ~np.isclose(new, old, rtol=0, atol=1e-12)
        | (np.isnan(edited.to_numpy(dtype=float)) != ~net.mask)
    )
    if changed.size:
        self_loops = [(j, i) for j, i in changed if j - K == i]
        if self_loops:
            st.warning("A neuron cannot connect to itself (no self-loops); that edit is ignored.")
        edits = dict(st.session_state.get(_EDITS, {}).get(source, {}))
        for j, i in changed:
            if j - K != i:
                edits[(int(j), int(i))] = float(new[j, i])
        if edits != st.session_state.get(_EDITS, {}).get(source, {}):
            set_edits(source, edits)
            st.rerun()
    c1, c2 = st.columns([1, 3])
    if c1.button(
        "Reset weights",
        icon=":material/restart_alt:",
        disabled=not st.session_state.get(_EDITS, {}).get(source),
    ):
        set_edits(source, {})
        st.session_state.pop(f"net.weights.{source}", None)
        if EDITS_PARAM in st.query_params:
            del st.query_params[EDITS_PARAM]
        st.rerun()
    c2.caption(
        "Rows: sources (inputs, then neurons); columns: target neurons. None: no "
        "connection; type a number there to add one (recurrent links too). Clearing a "
        "cell sets the weight to 0. Edits go into the link (?edits=...)."
    )
