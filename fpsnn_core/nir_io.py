r"""NIR import and export: networks from snnTorch, Norse, Lava, Rockpool, ... and back.

NIR (Neuromorphic Intermediate Representation, the ``nir`` package, saved as HDF5) is the
field's exchange format. This module maps an NIR graph made of ``Input``, ``Linear`` /
``Affine`` (zero bias), ``CubaLIF`` and ``Output`` nodes onto a :class:`~fpsnn_core.Network`
and back. It needs the optional packages ``nir`` and ``h5py`` (``pip install
'fpsnn[nir]'``); the rest of the core imports without them. Checked against ``nir`` 1.0.8.

The two models
--------------
NIR's ``CubaLIF`` (the docstring of ``nir.CubaLIF``), per neuron, with input ``S`` the
output of the ``Linear`` node feeding it, ``S(t) = sum_j W_nir[i, j] sum_k delta(t - t_jk)``::

    tau_syn I' = -I + w_in S                                               (N1)
    tau_mem v' = (v_leak - v) + r I                                        (N2)
    z = 1 when v > v_threshold, and then v -> v_reset                      (N3)

Ours (:mod:`fpsnn_core.simulate`), per neuron ``i``::

    I_i' = -I_i / tau_s + sum_j W[j, i] sum_k delta(t - t_jk)
    V_i' = -V_i / tau_n + I_i,  spike when V_i reaches theta, then V_i -> V_i - theta

Mapping (derivation)
--------------------
Let one time unit of the NIR file be ``u_file`` seconds and one time unit of our network
``u_net`` seconds, and ``c = u_net / u_file``, so ``t_file = c t_net``. Integrating (N1)
over a spike of source ``j`` makes ``I`` jump by ``w_in W_nir[i, j] / tau_syn``; between
spikes ``I`` decays with ``tau_syn``. With ``v_leak = 0``, (N2) is ``v' = -v / tau_mem +
(r / tau_mem) I``, so ``J = (r / tau_mem) I`` obeys our current equation in file time, with
jumps ``r w_in W_nir / (tau_mem tau_syn)``. Changing to our time multiplies every rate by
``c`` (``dv/dt_net = c dv/dt_file``), hence::

    tau_s = tau_syn / c,   tau_n = tau_mem / c,   theta = v_threshold
    W[j, i] = c r_i w_in_i / (tau_syn_i tau_mem_i) W_nir[i, j]             (N4)

``V = v`` is dimensionless in both. Reset: ``v`` is continuous and a spike happens exactly
when it reaches the threshold (``>`` and ``>=`` differ only on a set of measure zero), so
"reset to ``v_reset = 0``" and our "subtract ``theta``" leave the same ``V = 0``. Both
models start at rest, ``v(0) = I(0) = 0``.

Export writes ``W_nir = W`` unchanged and chooses ``r = tau_mem`` and ``w_in = tau_syn / c
= tau_s`` so that the factor of (N4) is one (exactly one, in floating point, when the file
and the network use the same unit, the default): ``v_leak = v_reset = 0``,
``v_threshold = theta``.

What is refused (``ValueError`` naming the node): other node types (``LIF``, ``IF``,
``LI``, ``CubaLI``, ``Threshold``, ``Scale``: other neuron models; ``Delay``: we have zero
transmission delay; ``Conv``, pooling, ``Flatten``: only 1-D, fully connected shapes),
``v_leak != 0`` (a rest potential other than 0), ``v_reset != 0`` (reset to another value
is not reset by subtraction), a nonzero ``Affine`` bias (a constant input current),
``tau <= 0``, ``v_threshold <= 0``, non-finite parameters, a neuron onto itself (self-loop),
shapes that do not match along an edge, edges to missing nodes, nodes without the edges
they need, cycles without a neuron (algebraic loops), and sizes above
:data:`MAX_NEURONS` and :data:`MAX_INPUTS`.

Reading a file
--------------
A file is untrusted: it is read from its bytes only (a path is read into memory, at most
:data:`MAX_FILE_BYTES`), by :func:`fpsnn_core.hdf5_safe.read_tree`, which refuses external
storage, virtual datasets, soft, external and user-defined links, cycles, filters and
datatypes an NIR file does not need, and checks :data:`MAX_DATASET_BYTES` and
:data:`MAX_TOTAL_BYTES` before it reads any data (so a small compressed file cannot unpack
gigabytes). ``nir`` then builds its nodes from the values read (``nir.dict2NIRNode``, as
``nir.read`` does); it never opens the file itself. ``docs/nir.md`` lists what is accepted.

Time units
----------
The ``nir`` package states no unit for its time constants, and exporters differ (seconds,
milliseconds, a ``dt`` folded in). Our network has no intrinsic unit; its weights depend
on it through ``c`` of (N4). Convention: an exported graph carries ``time_unit`` (``"s"``,
``"ms"`` or ``"us"``) in the metadata of the graph and of every ``CubaLIF`` node; by
default one time unit of our network is one millisecond and the file is written in ms
(``to_nir(net, time_unit="ms", file_unit="s")`` rescales). On import the file's unit is
the one its metadata states, else the ``file_unit`` argument, else unknown: then values
are taken as they are (``c = 1``; spike times come out in the file's unit, whatever it
is). ``time_unit=`` asks for a network in that unit and needs the file's unit. Metadata
units that disagree with each other or with ``file_unit`` are refused.

Graph layout written by :func:`to_nir`: node ``input`` (``Input``, K), one ``CubaLIF`` node
``lif<l>`` per layer (the whole network in ``lif0`` when its layers do not partition the
neurons), a ``Linear`` node ``w_<src>_<dst>`` for each pair of groups with a connection
(recurrent ones included), ``output`` fed by the last group. ``Linear`` metadata
``fpsnn_mask`` keeps the mask, ``CubaLIF`` metadata ``fpsnn_neurons`` the neuron indices,
graph metadata ``fpsnn_layers`` the layers, so that a round trip is identical. Graphs
from other tools number their neurons node by node in breadth-first order from the
inputs, each ``CubaLIF`` node becomes a layer, and every weight of a ``Linear`` block is a
parameter (mask) except self-loops.

Input spike trains use NIR's event-data format (``nir.EventData`` inside
``nir.NIRGraphData``, written by ``nir.write_data``): node ``input``, observable
``spikes``, one sample, ``idx`` the channel, ``time`` in the graph file's unit
(``NIRGraphData`` has no metadata of its own). They are written either to a file of their
own (:func:`save_nir_inputs`) or into the graph's file (``save_nir(..., inputs=,
t_max=)``): the group :data:`DATA_GROUP` beside the graph's ``node`` group holds exactly
the layout ``nir.write_data`` writes at a file's root. ``nir.read`` reads only ``node``,
so the file stays an ordinary NIR graph for other tools; :func:`from_nir` returns the
inputs and ``t_max`` it finds there (times converted like the graph's), and
:func:`inputs_from_nir` reads them from either kind of file.
"""

from __future__ import annotations

import io
import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .hdf5_safe import Budget, Group, first_line, read_tree
from .io import NetworkFile
from .network import Network

FORMAT = "fpsnn-nir"
VERSION = 1
#: Seconds per time unit.
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
DEFAULT_TIME_UNIT = "ms"
#: Size caps of an imported graph.
MAX_NEURONS = 2_000
MAX_INPUTS = 2_000
#: Caps of a file read (:mod:`fpsnn_core.hdf5_safe`): its size, the decoded bytes of one
#: dataset (a 2,000 x 2,000 weight matrix of float64) and of all its data together.
MAX_FILE_BYTES = 128 * 2**20
MAX_DATASET_BYTES = 32 * 2**20
MAX_TOTAL_BYTES = 128 * 2**20
MAX_NODES = 1_000
#: The group of a graph file that holds its input spike trains (NIR event data).
DATA_GROUP = "data"

INSTALL_HINT = "pip install 'fpsnn[nir]' (the nir and h5py packages)"
_SUPPORTED = {"NIRGraph", "Input", "Output", "Linear", "Affine", "CubaLIF"}
_REFUSED = {
    **{
        t: "other neuron models are not represented: fpsnn simulates current-based LIF "
        "neurons (CubaLIF) with reset by subtraction"
        for t in ("LIF", "IF", "LI", "I", "CubaLI", "Threshold")
    },
    "Scale": "a Scale node (elementwise gain) is not represented; fold it into the weights",
    "Delay": "delays are not represented: fpsnn has zero transmission delay",
    **{
        t: "convolution, pooling and flatten layers are not represented: fpsnn networks "
        "are 1-D and fully connected (Linear/Affine)"
        for t in ("Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten")
    },
}


def _nir():
    try:
        import nir
    except ImportError:
        raise ImportError(f"NIR support needs the optional nir package: {INSTALL_HINT}") from None
    return nir


def _unit_seconds(unit, what: str) -> float:
    if isinstance(unit, bytes):
        unit = unit.decode("utf-8", "replace")
    if not isinstance(unit, str) or unit not in TIME_UNITS:
        raise ValueError(f"{what} must be one of {', '.join(TIME_UNITS)}, got {unit!r}")
    return TIME_UNITS[unit]


# --- export -----------------------------------------------------------------------------
def _groups(net: Network) -> list[np.ndarray]:
    """Neuron groups of the export: the layers if they partition the neurons, else all."""
    layers = [layer for layer in net.layers if layer]
    flat = [i for layer in layers for i in layer]
    if layers and sorted(flat) == list(range(net.n_neurons)):
        return [np.array(layer, dtype=np.int64) for layer in layers]
    return [np.arange(net.n_neurons, dtype=np.int64)]


def to_nir(net: Network, *, time_unit: str = DEFAULT_TIME_UNIT, file_unit: str | None = None):
    """The network as a ``nir.NIRGraph`` (module docstring: mapping, layout, units).

    Parameters
    ----------
    time_unit : str
        What one time unit of ``net`` is: ``"s"``, ``"ms"`` (default) or ``"us"``.
    file_unit : str, optional
        The unit the graph is written in (default: ``time_unit``, values unchanged).
    """
    nir = _nir()
    if not isinstance(net, Network):
        raise ValueError(f"to_nir needs an fpsnn Network, got {type(net).__name__}")
    file_unit = time_unit if file_unit is None else file_unit
    c = _unit_seconds(time_unit, "time_unit") / _unit_seconds(file_unit, "file_unit")
    K = net.n_inputs
    if K < 1:
        raise ValueError(
            "a network without inputs cannot be exported: an NIR graph starts at an Input node"
        )
    groups = _groups(net)
    names = [f"lif{g}" for g in range(len(groups))]
    nodes = {"input": nir.Input(input_type=np.array([K]))}
    for name, idx in zip(names, groups):
        tau_syn, tau_mem = net.tau_s[idx] * c, net.tau_n[idx] * c
        zeros = np.zeros(idx.size)
        nodes[name] = nir.CubaLIF(
            tau_syn=tau_syn,
            tau_mem=tau_mem,
            r=tau_mem.copy(),
            v_leak=zeros,
            v_threshold=net.theta[idx].copy(),
            v_reset=zeros.copy(),
            w_in=net.tau_s[idx].copy(),
            metadata={"fpsnn_neurons": idx.copy(), "time_unit": file_unit},
        )
    sources = [("input", np.arange(K))] + [(n, K + idx) for n, idx in zip(names, groups)]
    edges = []
    for src_name, rows in sources:
        for dst_name, cols in zip(names, groups):
            block = net.mask[np.ix_(rows, cols)]
            if not block.any():
                continue
            lin = f"w_{src_name}_{dst_name}"
            nodes[lin] = nir.Linear(
                weight=net.weights[np.ix_(rows, cols)].T.copy(),
                metadata={"fpsnn_mask": block.T.copy()},
            )
            edges += [(src_name, lin), (lin, dst_name)]
    last = names[-1]
    nodes["output"] = nir.Output(output_type=np.array([groups[-1].size]))
    edges.append((last, "output"))
    meta = {
        "fpsnn_format": FORMAT,
        "fpsnn_version": VERSION,
        "time_unit": file_unit,
        "fpsnn_layers": json.dumps([list(layer) for layer in net.layers]),
    }
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def save_nir(
    path,
    net: Network,
    *,
    time_unit: str = DEFAULT_TIME_UNIT,
    file_unit: str | None = None,
    inputs=None,
    t_max: float | None = None,
) -> None:
    """Write :func:`to_nir` of the network to ``path`` (a path or a binary file object;
    HDF5, ``nir.write``); with ``inputs`` and ``t_max``, their :func:`inputs_to_nir` goes
    into the same file (group :data:`DATA_GROUP`, module docstring)."""
    data = nir_bytes(net, time_unit=time_unit, file_unit=file_unit, inputs=inputs, t_max=t_max)
    if hasattr(path, "write"):
        path.write(data)
    else:
        Path(path).write_bytes(data)


def nir_bytes(
    net: Network,
    *,
    time_unit: str = DEFAULT_TIME_UNIT,
    file_unit: str | None = None,
    inputs=None,
    t_max: float | None = None,
) -> bytes:
    """The bytes of the ``.nir`` file :func:`save_nir` writes (for downloads)."""
    nir = _nir()
    graph = to_nir(net, time_unit=time_unit, file_unit=file_unit)
    buf = io.BytesIO()
    nir.write(buf, graph)
    if inputs is None:
        return buf.getvalue()
    if t_max is None:
        raise ValueError("input spike trains need their t_max to be written")
    events = io.BytesIO()
    nir.write_data(
        events, inputs_to_nir(inputs, net.n_inputs, t_max, time_unit=time_unit, file_unit=file_unit)
    )
    import h5py

    with h5py.File(events, "r") as src, h5py.File(buf, "a") as dst:
        src.copy(src["/"], dst, name=DATA_GROUP)
    return buf.getvalue()


# --- reading files ----------------------------------------------------------------------
def _budget() -> Budget:
    """The reader's budget from this module's caps (read at call time)."""
    return Budget(
        max_file_bytes=MAX_FILE_BYTES,
        max_dataset_bytes=MAX_DATASET_BYTES,
        max_total_bytes=MAX_TOTAL_BYTES,
    )


def _file_bytes(source) -> bytes:
    """The bytes of a file given as bytes, a path or a binary file object, read at most
    :data:`MAX_FILE_BYTES` + 1 bytes: a larger file is refused before it is read whole."""
    cap = MAX_FILE_BYTES
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        try:
            with open(path, "rb") as fh:
                data = fh.read(cap + 1)
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    elif hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(cap + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise ValueError("expected a binary file object (opened with 'rb')")
        data = bytes(data)
    else:
        raise ValueError(f"expected an NIR graph, a path or bytes, got {type(source).__name__}")
    if len(data) > cap:
        raise ValueError(
            f"the file is larger than {cap:,} bytes, above the cap (fpsnn works on small networks)"
        )
    return data


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value.item())
    return str(value)


def _read_file(source, expect: str) -> Group:
    """The file's tree (:func:`~fpsnn_core.hdf5_safe.read_tree`: nothing outside the file's
    bytes is opened, budgets checked before reading), checked to be an NIR graph
    (``expect="graph"``: node count and types) or NIR event data (``"data"``)."""
    tree = read_tree(_file_bytes(source), _budget())
    kind = _text(tree.attrs.get("__type__", ""))
    if expect == "data":
        if kind != "NIRGraphData":
            tree = _embedded_data(tree)
            if tree is None:
                raise ValueError(
                    "not an NIR event-data file (written by nir.write_data), nor "
                    f"an NIR graph with input spike trains (a {DATA_GROUP!r} group)"
                )
        return tree
    node = tree.members.get("node")
    if not isinstance(node, Group):
        hint = (
            " (it holds NIR event data: load it as input spike trains)"
            if kind == "NIRGraphData"
            else ""
        )
        raise ValueError(f"not an NIR graph file: it has no 'node' group{hint}")
    n_nodes, stack = 0, [("", node)]
    while stack:
        name, group = stack.pop()
        if isinstance(group.members.get("type"), str):
            n_nodes += 1
            if n_nodes > MAX_NODES:
                raise ValueError(f"the graph has more than {MAX_NODES} nodes, above the cap")
            _check_type(group.members["type"], name.split("/")[-1] or "node")
        stack += [
            (f"{name}/{k}" if name else k, g)
            for k, g in group.members.items()
            if isinstance(g, Group)
        ]
    return tree


def _embedded_data(tree: Group) -> Group | None:
    """The event data a graph file holds beside its graph (group :data:`DATA_GROUP`),
    if any."""
    data = tree.members.get(DATA_GROUP)
    if isinstance(data, Group) and _text(data.attrs.get("__type__", "")) == "NIRGraphData":
        return data
    return None


def _check_type(kind: str, name: str) -> None:
    if kind in _SUPPORTED:
        return
    if kind in _REFUSED:
        raise ValueError(f"node {name!r} is a {kind}: {_REFUSED[kind]}")
    raise ValueError(
        f"node {name!r} has the unknown type {kind!r}; fpsnn reads Input, "
        "Linear, Affine, CubaLIF and Output nodes"
    )


def read_graph(source):
    """An ``nir.NIRGraph`` from a graph, a path, bytes or a binary file object, read by
    :func:`_read_file` and built by ``nir`` from the values read; every failure is a
    one-line ``ValueError``."""
    return _read_graph(source)[0]


def _read_graph(source):
    """:func:`read_graph` and the event data the file holds beside the graph (a
    :class:`~fpsnn_core.hdf5_safe.Group`, or ``None``)."""
    nir = _nir()
    if isinstance(source, nir.NIRGraph):
        return source, None
    tree = _read_file(source, "graph")
    doc = tree.members["node"].plain()
    if "type_check" in doc:
        raise ValueError("the NIR file has a 'type_check' entry, which NIR files do not have")
    doc["type_check"] = False
    try:
        graph = nir.dict2NIRNode(doc)
    except Exception as exc:  # noqa: BLE001 - nir raises many types
        raise ValueError(f"the NIR file could not be read: {first_line(exc)}") from None
    if not isinstance(graph, nir.NIRGraph):
        raise ValueError("the NIR file does not hold a graph (NIRGraph) at its top")
    return graph, _embedded_data(tree)


# --- import -----------------------------------------------------------------------------
@dataclass
class _Flat:
    kind: str  # input, output, ident, linear, lif
    node: object
    dim_in: int = 0
    dim_out: int = 0
    weight: np.ndarray | None = None
    mask: np.ndarray | None = None


def _array(name: str, field: str, value, ndim: int) -> np.ndarray:
    """A finite float array of ``ndim`` dimensions (1: one value per neuron, 2: weights)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"node {name!r}: {field} must be numbers") from None
    if arr.ndim != ndim:
        what = "1-D (one value per neuron)" if ndim == 1 else "2-D (out, in)"
        raise ValueError(f"node {name!r}: {field} must be {what}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(x) for x in np.argwhere(~np.isfinite(arr))[0])
        where = ", ".join(map(str, bad))
        raise ValueError(
            f"node {name!r}: {field}[{where}] is {arr[bad]}; parameters must be finite"
        )
    return arr


def _vector(name: str, field: str, value) -> np.ndarray:
    return _array(name, field, value, 1)


def _shape_1d(name: str, shape) -> int:
    arr = np.asarray(shape).reshape(-1) if shape is not None else np.array([])
    if arr.size != 1:
        raise ValueError(
            f"node {name!r}: shape {tuple(arr.tolist())} is not 1-D; fpsnn "
            "networks take a flat vector of input channels (flatten it)"
        )
    n = int(arr[0])
    if n < 1:
        raise ValueError(f"node {name!r}: shape must be positive, got {n}")
    return n


def _flatten(nir, graph, prefix: str, top: bool, flat: dict, edges: list) -> tuple:
    """Flatten (sub)graphs into ``flat`` / ``edges``; return the (inputs, outputs) names."""
    ins, outs = [], []
    if len(graph.nodes) + len(flat) > MAX_NODES:
        raise ValueError(f"the graph has more than {MAX_NODES} nodes, above the cap")
    subs = {}
    for key, node in graph.nodes.items():
        name = prefix + str(key)
        kind = type(node).__name__
        if isinstance(node, nir.NIRGraph):
            subs[str(key)] = _flatten(nir, node, name + ".", False, flat, edges)
            continue
        _check_type(kind, name)
        if isinstance(node, nir.Input):
            n = _shape_1d(name, node.input_type.get("input"))
            flat[name] = _Flat("input" if top else "ident", node, n, n)
            ins.append(name)
        elif isinstance(node, nir.Output):
            n = _shape_1d(name, node.output_type.get("output"))
            flat[name] = _Flat("output" if top else "ident", node, n, n)
            outs.append(name)
        elif isinstance(node, (nir.Linear, nir.Affine)):
            W = _array(name, "weight", node.weight, 2)
            if isinstance(node, nir.Affine):
                b = _vector(name, "bias", node.bias)
                if b.shape != (W.shape[0],):
                    raise ValueError(
                        f"node {name!r}: bias has shape {b.shape}, the weight "
                        f"{W.shape} needs ({W.shape[0]},)"
                    )
                if np.any(b != 0):
                    raise ValueError(
                        f"node {name!r}: a nonzero Affine bias is a constant input "
                        "current, which fpsnn does not represent (bias must be 0)"
                    )
            flat[name] = _Flat(
                "linear", node, W.shape[1], W.shape[0], W, _stored_mask(node, W.shape)
            )
        else:  # CubaLIF
            n = _lif_params(name, node)["v_threshold"].size  # validates
            flat[name] = _Flat("lif", node, n, n)
    for a, b in graph.edges:
        a, b = _endpoint(prefix, str(_text(a)), subs, 1), _endpoint(prefix, str(_text(b)), subs, 0)
        for end in (a, b):
            if end not in flat:
                raise ValueError(
                    f"edge ({a!r}, {b!r}) names the node {end!r}, which does not exist"
                )
        edges.append((a, b))
    return ins, outs


def _endpoint(prefix: str, key: str, subs: dict, out: int) -> str:
    """An edge end: a plain node, ``sub.node`` inside a subgraph, or a subgraph (its one
    Output when edges leave it, its one Input when they enter)."""
    if key in subs:
        ends = subs[key][out]
        if len(ends) != 1:
            what = "Output" if out else "Input"
            raise ValueError(
                f"an edge names the subgraph {prefix + key!r}, which has "
                f"{len(ends)} {what} nodes (needs exactly one)"
            )
        return ends[0]
    return prefix + key


def _lif_params(name: str, node) -> dict:
    p = {
        f: _vector(name, f, getattr(node, f))
        for f in ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in")
    }
    n = p["v_threshold"].size
    for f, v in p.items():
        if v.shape != (n,):
            raise ValueError(f"node {name!r}: {f} has shape {v.shape}, the other parameters ({n},)")
    for f in ("tau_syn", "tau_mem", "v_threshold"):
        if np.any(p[f] <= 0):
            i = int(np.flatnonzero(p[f] <= 0)[0])
            raise ValueError(f"node {name!r}: {f}[{i}] = {p[f][i]} must be > 0")
    if np.any(p["v_leak"] != 0):
        i = int(np.flatnonzero(p["v_leak"])[0])
        raise ValueError(
            f"node {name!r}: v_leak[{i}] = {p['v_leak'][i]}; fpsnn neurons rest "
            "at 0 (v_leak must be 0)"
        )
    if np.any(p["v_reset"] != 0):
        i = int(np.flatnonzero(p["v_reset"])[0])
        raise ValueError(
            f"node {name!r}: v_reset[{i}] = {p['v_reset'][i]}; fpsnn resets by "
            "subtracting the threshold, which equals a reset to 0 only "
            "(v_reset must be 0)"
        )
    return p


def _stored_mask(node, shape) -> np.ndarray | None:
    """The ``fpsnn_mask`` metadata of a Linear node written by :func:`to_nir`, if valid."""
    m = (getattr(node, "metadata", None) or {}).get("fpsnn_mask")
    if m is None:
        return None
    m = np.asarray(m)
    if m.shape != shape or m.dtype != bool:
        raise ValueError(
            f"the fpsnn_mask metadata of a Linear node has shape {m.shape} and "
            f"type {m.dtype}; the weight needs a boolean mask of shape {shape}"
        )
    return m


def _declared_units(graph, flat: dict) -> dict:
    found = {}
    meta = getattr(graph, "metadata", None) or {}
    if "time_unit" in meta:
        found["the graph"] = _text(meta["time_unit"])
    for name, f in flat.items():
        m = getattr(f.node, "metadata", None) if f.kind == "lif" else None
        if m and "time_unit" in m:
            found[f"node {name!r}"] = _text(m["time_unit"])
    for where, unit in found.items():
        _unit_seconds(unit, f"the time_unit of {where}")
    return found


def _resolve_units(graph, flat, file_unit, time_unit) -> tuple[float, str | None]:
    """``(c, unit of the result)`` with ``c = u_net / u_file`` of (N4)."""
    declared = _declared_units(graph, flat)
    units = set(declared.values())
    if len(units) > 1:
        listed = ", ".join(f"{w} says {u!r}" for w, u in declared.items())
        raise ValueError(f"units do not match: {listed}")
    if file_unit is not None:
        _unit_seconds(file_unit, "file_unit")
        if units and file_unit not in units:
            raise ValueError(
                f"units do not match: file_unit={file_unit!r} but the file states {units.pop()!r}"
            )
    unit = units.pop() if units else file_unit
    if time_unit is None:
        return 1.0, unit
    u_net = _unit_seconds(time_unit, "time_unit")
    if unit is None:
        raise ValueError(
            "the file does not state its time unit: pass file_unit ('s', 'ms' "
            "or 'us') to convert it to time_unit"
        )
    return u_net / TIME_UNITS[unit], time_unit


def _add(total: dict, src: str, M, mask, n_src: int) -> None:
    if src in total:
        M0, m0 = total[src]
        M0 = np.eye(n_src) if M0 is None else M0
        m0 = np.eye(n_src, dtype=bool) if m0 is None else m0
        M = np.eye(n_src) if M is None else M
        mask = np.eye(n_src, dtype=bool) if mask is None else mask
        total[src] = (M0 + M, m0 | mask)
    else:
        total[src] = (M, mask)


def _incoming(name, flat, preds, memo, active) -> dict:
    """The linear map from spike sources to the signal entering ``name``, summed over its
    edges: ``{source: (M, mask)}``, ``M`` of shape (dim_in of name, dim of source);
    ``None`` stands for the identity (a direct edge)."""
    f = flat[name]
    total: dict = {}
    for p in preds.get(name, []):
        fp_ = flat[p]
        if fp_.kind == "output":
            raise ValueError(f"edge ({p!r}, {name!r}) leaves an Output node")
        if fp_.dim_out != f.dim_in:
            raise ValueError(
                f"shapes do not match along edge ({p!r}, {name!r}): {p!r} gives "
                f"{fp_.dim_out} values, {name!r} takes {f.dim_in}"
            )
        if fp_.kind in ("input", "lif"):
            _add(total, p, None, None, fp_.dim_out)
            continue
        for src, (M, m) in _outgoing(p, flat, preds, memo, active).items():
            _add(total, src, M, m, flat[src].dim_out)
    return total


def _outgoing(name, flat, preds, memo, active) -> dict:
    """Like :func:`_incoming`, for the signal leaving a Linear or identity node."""
    if name in memo:
        return memo[name]
    if name in active:
        raise ValueError(
            f"the graph has a cycle through {name!r} without a neuron on it (an "
            "algebraic loop), which no spiking model can run"
        )
    active.add(name)
    f = flat[name]
    total = _incoming(name, flat, preds, memo, active)
    if f.kind == "linear":
        out = {}
        for src, (M, _m) in total.items():
            n_src = flat[src].dim_out
            if M is None:  # straight from the source: its own mask
                mask = f.mask if f.mask is not None else np.ones(f.weight.shape, dtype=bool)
                out[src] = (f.weight.copy(), mask)
            else:  # composed maps: every weight is a parameter
                out[src] = (f.weight @ M, np.ones((f.dim_out, n_src), dtype=bool))
        total = out
    active.discard(name)
    memo[name] = total
    return total


def from_nir(source, *, file_unit: str | None = None, time_unit: str | None = None) -> NetworkFile:
    """Read an NIR graph (a ``nir.NIRGraph``, a path, bytes or a binary file object).

    Returns a :class:`~fpsnn_core.io.NetworkFile` whose ``meta`` holds ``outputs`` (the
    neurons feeding ``Output`` nodes), ``time_unit`` (the unit of the network's times, or
    ``None`` when the file states none) and ``source: "nir"``; its ``inputs`` and ``t_max``
    are the input spike trains the file holds beside the graph (group :data:`DATA_GROUP`,
    times converted like the graph's: ``t_net = t_file / c``), else ``None``. Units: module
    docstring. Raises ``ValueError`` naming the node for anything fpsnn cannot represent.
    """
    nir = _nir()
    graph, data = _read_graph(source)
    flat: dict[str, _Flat] = {}
    edges: list = []
    _flatten(nir, graph, "", True, flat, edges)
    if len(set(edges)) != len(edges):
        dup = next(e for e in edges if edges.count(e) > 1)
        raise ValueError(f"the edge {dup} appears twice")
    c, unit = _resolve_units(graph, flat, file_unit, time_unit)
    preds: dict[str, list] = {}
    succs: dict[str, list] = {}
    for a, b in edges:
        preds.setdefault(b, []).append(a)
        succs.setdefault(a, []).append(b)
    inputs = [n for n, f in flat.items() if f.kind == "input"]
    lifs_all = [n for n, f in flat.items() if f.kind == "lif"]
    if not inputs:
        raise ValueError("the graph has no Input node")
    if not lifs_all:
        raise ValueError("the graph has no CubaLIF neurons")
    for n, f in flat.items():
        if f.kind in ("input", "linear", "lif", "ident") and not succs.get(n):
            raise ValueError(f"node {n!r} has no outgoing edge (a missing edge?)")
        if f.kind in ("output", "linear", "lif", "ident") and not preds.get(n):
            raise ValueError(f"node {n!r} has no incoming edge (a missing edge?)")
        if f.kind == "output" and succs.get(n):
            raise ValueError(f"the Output node {n!r} has an outgoing edge")
    # neuron numbering: breadth-first from the inputs (then any unreached node)
    order, seen, queue = [], set(inputs), deque(inputs)
    while queue:
        n = queue.popleft()
        if flat[n].kind == "lif":
            order.append(n)
        for m in succs.get(n, []):
            if m not in seen:
                seen.add(m)
                queue.append(m)
    order += [n for n in lifs_all if n not in order]
    K = sum(flat[n].dim_out for n in inputs)
    N = sum(flat[n].dim_out for n in order)
    if K > MAX_INPUTS or N > MAX_NEURONS:
        raise ValueError(
            f"the graph has {K} inputs and {N} neurons, above the caps of "
            f"{MAX_INPUTS} and {MAX_NEURONS} (fpsnn works on small networks)"
        )
    cols, start = {}, 0
    stored = [getattr(flat[n].node, "metadata", {}).get("fpsnn_neurons") for n in order]
    if all(s is not None for s in stored):
        idx = [np.asarray(s).reshape(-1).astype(np.int64) for s in stored]
        flat_idx = np.concatenate(idx)
        if all(i.size == flat[n].dim_out for i, n in zip(idx, order)) and np.array_equal(
            np.sort(flat_idx), np.arange(N)
        ):
            cols = dict(zip(order, idx))
    if not cols:
        for n in order:
            cols[n] = np.arange(start, start + flat[n].dim_out)
            start += flat[n].dim_out
    rows, start = {}, 0
    for n in inputs:
        rows[n] = np.arange(start, start + flat[n].dim_out)
        start += flat[n].dim_out
    for n in order:
        rows[n] = K + cols[n]
    W = np.zeros((K + N, N))
    mask = np.zeros((K + N, N), dtype=bool)
    tau_s, tau_n, theta = np.empty(N), np.empty(N), np.empty(N)
    memo: dict = {}
    for dst in order:
        p = _lif_params(dst, flat[dst].node)
        factor = c * p["r"] * p["w_in"] / (p["tau_syn"] * p["tau_mem"])
        d = cols[dst]
        tau_s[d], tau_n[d], theta[d] = p["tau_syn"] / c, p["tau_mem"] / c, p["v_threshold"]
        for src, (M, m) in _incoming(dst, flat, preds, memo, set()).items():
            n_src = flat[src].dim_out
            M = np.eye(n_src) if M is None else M
            m = np.eye(n_src, dtype=bool) if m is None else m
            r = rows[src]
            W[np.ix_(r, d)] += (M * factor[:, None]).T
            mask[np.ix_(r, d)] |= m.T
    self_w = W[K + np.arange(N), np.arange(N)]
    if np.any(self_w != 0):
        i = int(np.flatnonzero(self_w)[0])
        raise ValueError(
            f"neuron {i} connects onto itself with weight {self_w[i]:.6g}: "
            "fpsnn has no self-loops (the recurrent weight matrix needs a zero "
            "diagonal)"
        )
    mask[K + np.arange(N), np.arange(N)] = False
    layers = tuple(tuple(int(i) for i in cols[n]) for n in order)
    meta_layers = (getattr(graph, "metadata", None) or {}).get("fpsnn_layers")
    if meta_layers is not None:
        try:
            parsed = json.loads(_text(meta_layers))
            layers = tuple(tuple(int(i) for i in layer) for layer in parsed)
        except (ValueError, TypeError):
            raise ValueError(
                "the graph's fpsnn_layers metadata is not a list of lists of neuron indices"
            ) from None
        if any(i < 0 or i >= N for layer in layers for i in layer):
            raise ValueError("the graph's fpsnn_layers metadata names a neuron that does not exist")
    try:
        net = Network(W, K, tau_s, tau_n, theta, mask, layers)
    except ValueError as exc:
        raise ValueError(f"the NIR graph does not give a valid network: {exc}") from None
    outputs = []
    for n, f in flat.items():
        if f.kind == "output":
            outputs += [int(i) for i in _spiking_sources(n, flat, preds, cols)]
    meta = {"source": "nir", "time_unit": unit, "outputs": outputs}
    if data is None:
        return NetworkFile(net, None, None, meta)
    try:
        inputs, t_max = _inputs(_observables(data), K, 0, 1.0 / c)
    except ValueError as exc:
        raise ValueError(f"the input spike trains beside the graph: {exc}") from None
    return NetworkFile(net, inputs, t_max, meta)


def _spiking_sources(name, flat, preds, cols):
    """Neurons whose spikes reach the Output ``name`` unchanged (through identities)."""
    out = []
    for p in preds.get(name, []):
        kind = flat[p].kind
        if kind == "lif":
            out += list(cols[p])
        elif kind == "ident":
            out += _spiking_sources(p, flat, preds, cols)
        elif kind == "input":
            continue
        else:
            raise ValueError(
                f"the Output node {name!r} is fed by {p!r}, not by neurons: a "
                "non-spiking readout is not represented"
            )
    return out


# --- input spike trains: NIR event data -------------------------------------------------
def inputs_to_nir(
    inputs,
    n_inputs: int,
    t_max: float,
    *,
    time_unit: str = DEFAULT_TIME_UNIT,
    file_unit: str | None = None,
    node: str = "input",
):
    """One sample of input spike trains as ``nir.NIRGraphData`` (``EventData`` of the
    graph's ``Input`` node, observable ``spikes``; times in ``file_unit``)."""
    from .simulate import validate_inputs

    nir = _nir()
    file_unit = time_unit if file_unit is None else file_unit
    c = _unit_seconds(time_unit, "time_unit") / _unit_seconds(file_unit, "file_unit")
    trains = validate_inputs(inputs, n_inputs, t_max)
    idx = np.concatenate(
        [np.full(tr.size, j, dtype=np.int64) for j, tr in enumerate(trains)]
        + [np.zeros(0, np.int64)]
    )
    time = np.concatenate([np.asarray(tr) for tr in trains] + [np.zeros(0)]) * c
    order = np.argsort(time, kind="stable")
    events = nir.EventData(
        idx=idx[order][None, :],
        time=time[order][None, :],
        n_neurons=int(n_inputs),
        t_max=float(t_max) * c,
    )
    return nir.NIRGraphData(nodes={node: nir.NIRNodeData(observables={"spikes": events})})


def save_nir_inputs(
    path,
    inputs,
    n_inputs: int,
    t_max: float,
    *,
    time_unit: str = DEFAULT_TIME_UNIT,
    file_unit: str | None = None,
) -> None:
    """Write :func:`inputs_to_nir` to ``path`` (``nir.write_data``)."""
    _nir().write_data(
        path, inputs_to_nir(inputs, n_inputs, t_max, time_unit=time_unit, file_unit=file_unit)
    )


def inputs_from_nir(
    source, n_inputs: int | None = None, *, sample: int = 0, scale: float = 1.0
) -> tuple[tuple, float]:
    """Input spike trains and ``t_max`` from NIR event data (``nir.NIRGraphData``, a path,
    bytes or a binary file object): the one ``EventData`` observable of the data's one
    node, sample ``sample``. Times are multiplied by ``scale`` (``1 / c`` of the graph's
    unit conversion; 1 when the network keeps the file's unit). A graph file written with
    inputs (``save_nir(..., inputs=)``) is read too."""
    nir = _nir()
    if isinstance(source, nir.NIRGraphData):
        found = [
            (n, k, type(o).__name__, o)
            for n, d in source.nodes.items()
            if isinstance(d, nir.NIRNodeData)
            for k, o in d.observables.items()
        ]
    else:
        found = _observables(_read_file(source, "data"))
    return _inputs(found, n_inputs, sample, scale)


def _inputs(found: list, n_inputs: int | None, sample: int, scale: float) -> tuple[tuple, float]:
    """:func:`inputs_from_nir` of the observables found in the event data."""
    from .simulate import validate_inputs

    events = [(n, k, o) for n, k, kind, o in found if kind == "EventData"]
    if len(events) != 1:
        kinds = ", ".join(f"{n}.{k}: {kind}" for n, k, kind, _ in found) or "nothing"
        raise ValueError(f"expected exactly one EventData observable (input spikes), found {kinds}")
    name, key, ev = events[0]
    try:
        idx = np.asarray(ev.idx)
        time = np.asarray(ev.time, dtype=float)
        K, t_max = int(np.asarray(ev.n_neurons).item()), float(np.asarray(ev.t_max).item())
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}.{key}: idx, time, n_neurons and t_max must be numbers "
            "(n_neurons and t_max one each)"
        ) from None
    if idx.dtype.kind not in "iu":
        raise ValueError(f"{name}.{key}: idx must hold integer channel indices, got {idx.dtype}")
    if not 1 <= K <= MAX_INPUTS:
        raise ValueError(
            f"{name}.{key}: n_neurons = {K}; fpsnn takes 1 to {MAX_INPUTS} input channels"
        )
    if idx.ndim != 2 or idx.shape != time.shape:
        raise ValueError(
            f"{name}.{key}: idx and time must have the same shape (samples, "
            f"events), got {idx.shape} and {time.shape}"
        )
    if not 0 <= sample < idx.shape[0]:
        raise ValueError(f"{name}.{key} has {idx.shape[0]} samples; sample {sample} does not exist")
    if n_inputs is not None and K != n_inputs:
        raise ValueError(f"{name}.{key} has {K} channels, the network {n_inputs} inputs")
    t_max = t_max * scale
    i, t = idx[sample], time[sample] * scale
    valid = i != -1
    if np.any((i[valid] < 0) | (i[valid] >= K)):
        raise ValueError(f"{name}.{key}: a channel index is outside 0..{K - 1}")
    if np.any(~np.isfinite(t[valid])) or not np.isfinite(t_max) or t_max <= 0:
        raise ValueError(f"{name}.{key}: spike times and t_max must be finite (t_max > 0)")
    if np.any(t[valid] > t_max):
        raise ValueError(f"{name}.{key}: a spike time lies after t_max = {t_max:g}")
    trains = [t[valid & (i == j)] for j in range(K)]
    return validate_inputs(trains, K, t_max), t_max


@dataclass(frozen=True)
class _Events:
    """The fields of an ``EventData`` observable read from a file."""

    idx: object
    time: object
    n_neurons: object
    t_max: object


def _observables(tree: Group) -> list:
    """``(node, observable, type name, fields)`` of the nodes of NIR event data read by
    :func:`_read_file` (the layout ``nir.write_data`` writes: group ``nodes``, each node's
    group ``observables``, the type in the attribute ``__type__``); ``fields`` is an
    :class:`_Events` for event data, else ``None``."""
    nodes = tree.members.get("nodes")
    if not isinstance(nodes, Group):
        raise ValueError("the NIR event data has no 'nodes' group")
    found = []
    for name, node in nodes.members.items():
        if not isinstance(node, Group) or _text(node.attrs.get("__type__", "")) != "NIRNodeData":
            continue
        obs = node.members.get("observables")
        for key, g in obs.members.items() if isinstance(obs, Group) else ():
            kind = _text(g.attrs.get("__type__", "")) if isinstance(g, Group) else "?"
            if kind != "EventData":
                found.append((name, key, kind or "?", None))
                continue
            try:
                ev = _Events(
                    g.members["idx"], g.members["time"], g.attrs["n_neurons"], g.attrs["t_max"]
                )
            except KeyError as exc:
                raise ValueError(f"{name}.{key}: the event data has no {exc.args[0]!r}") from None
            found.append((name, key, kind, ev))
    return found
