"""Hostile NIR (HDF5) files: nothing outside the file's own bytes is read, every budget holds
while reading, and every refusal is a one-line ``ValueError``.

Each hostile file is made here with h5py, in memory. A folder watch (inotify,
``tests/fswatch.py``) proves that no file beside the upload is opened: the "secret" the
hostile files point to lives in a folder that is watched while they are read.
"""

from __future__ import annotations

import io

import h5py
import numpy as np
import pytest
from fswatch import FolderWatch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from networks import case

import fpsnn_core as fp
from fpsnn_core import hdf5_safe, nir_io

SECRET = b"root:x:0:0:root:/root:/bin/bash\n" * 8


@pytest.fixture(scope="module")
def secret_dir(tmp_path_factory):
    """A folder with a secret text file and an HDF5 file that hostile files point to."""
    folder = tmp_path_factory.mktemp("secret")
    (folder / "passwd").write_bytes(SECRET)
    with h5py.File(folder / "other.h5", "w") as f:
        f["weight"] = np.frombuffer(SECRET[:48], dtype=float).reshape(3, 2)
        f.create_group("node")
    return folder


def network_bytes() -> bytes:
    return fp.nir_bytes(case("layered", 1)[0])


def weight_path(data: bytes) -> tuple[str, tuple]:
    """Path and shape of the first Linear weight of an NIR file."""
    found = []
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(
            lambda name, obj: found.append((name, obj.shape)) if name.endswith("/weight") else None
        )
    return found[0]


def edit(data: bytes, change) -> bytes:
    """``data`` with ``change(h5py.File)`` applied (in memory)."""
    buf = io.BytesIO(data)
    with h5py.File(buf, "r+") as f:
        change(f)
    return buf.getvalue()


def replace_weight(data: bytes, **create) -> bytes:
    path, shape = weight_path(data)

    def change(f):
        del f[path]
        f.create_dataset(path, shape=shape, dtype=float, **create)

    return edit(data, change)


def refused(data: bytes, match: str, folder) -> None:
    """``from_nir`` refuses ``data`` with a message matching ``match`` and opens no file of
    ``folder``."""
    with FolderWatch(folder) as watch:
        with pytest.raises(ValueError, match=match) as info:
            fp.from_nir(data)
        assert watch.events() == []
    assert "\n" not in str(info.value)


def test_the_folder_watch_sees_a_read(secret_dir):
    with FolderWatch(secret_dir) as watch:
        (secret_dir / "passwd").read_bytes()
        assert "passwd" in watch.events()


def test_external_storage_is_refused_before_reading(secret_dir):
    """The attack: a Linear weight whose raw bytes are declared to live in /etc/passwd."""
    everything = h5py.h5s.UNLIMITED
    data = replace_weight(network_bytes(), external=[(str(secret_dir / "passwd"), 0, everything)])
    with h5py.File(io.BytesIO(data), "r") as f:  # what a naive reader would get
        leaked = f[weight_path(data)[0]][()].tobytes()
        assert leaked == SECRET[: len(leaked)]
    refused(data, "keeps its data in another file .*passwd.*external storage", secret_dir)
    rel = replace_weight(network_bytes(), external=[("passwd", 0, everything)])
    refused(rel, "external storage", secret_dir)


def test_virtual_datasets_are_refused(secret_dir):
    path, shape = weight_path(network_bytes())

    def change(f):
        layout = h5py.VirtualLayout(shape=shape, dtype=float)
        layout[:] = h5py.VirtualSource(str(secret_dir / "other.h5"), "weight", shape=shape)
        del f[path]
        f.create_virtual_dataset(path, layout)

    refused(edit(network_bytes(), change), "virtual dataset", secret_dir)


@pytest.mark.parametrize("target", ["other.h5", "missing.h5"])
def test_external_links_are_refused_resolvable_or_not(secret_dir, target):
    path, _ = weight_path(network_bytes())

    def change(f):
        del f[path]
        f[path] = h5py.ExternalLink(str(secret_dir / target), "/weight")

    refused(edit(network_bytes(), change), "external link", secret_dir)


def test_soft_links_and_cycles_are_refused(secret_dir):
    path, _ = weight_path(network_bytes())

    def soft(f):
        del f[path]
        f[path] = h5py.SoftLink("/node/type")

    refused(edit(network_bytes(), soft), "soft link", secret_dir)

    def cycle(f):
        f["node/nodes/loop"] = f["node"]  # a hard link back up: a cycle

    refused(edit(network_bytes(), cycle), "already reached", secret_dir)

    def shared(f):
        f["node/twice"] = f[path]  # one dataset reached twice

    refused(edit(network_bytes(), shared), "already reached", secret_dir)


def test_deep_nesting_is_refused_without_recursion(secret_dir):
    def deep(f):
        g = f["node"]
        for _ in range(5000):
            g = g.create_group("g")

    refused(edit(network_bytes(), deep), "nested more than 32 deep", secret_dir)


def test_declared_sizes_are_checked_before_any_data_is_read(secret_dir):
    huge = replace_weight(
        network_bytes(), maxshape=(None, None), chunks=(4096, 4096), compression="gzip"
    )
    refused(huge, "a chunk of .* holds 134,217,728 bytes", secret_dir)
    path, _ = weight_path(network_bytes())

    def bomb(f):  # 8 GB of zeros in a few KB
        f.create_dataset(
            "node/bomb", shape=(10**9,), dtype=float, chunks=(1000,), compression="gzip"
        )

    data = edit(network_bytes(), bomb)
    assert len(data) < 200_000  # mostly the chunk index
    refused(data, "holds 8,000,000,000 bytes", secret_dir)


def test_a_long_string_is_counted_in_bytes(secret_dir):
    def long_string(f):
        f.create_dataset("node/metadata_note", data="x" * (3 * 2**20), dtype=h5py.string_dtype())

    refused(edit(network_bytes(), long_string), "string of 3,145,728 bytes", secret_dir)

    def many_strings(f):
        f.create_dataset(
            "node/notes", data=np.array(["ab"] * 60_000, dtype=object), dtype=h5py.string_dtype()
        )

    refused(edit(network_bytes(), many_strings), "more than 50,000 strings", secret_dir)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda f: f.create_dataset("node/c", data=np.ones(3, complex)), "datatype complex"),
        (
            lambda f: f.create_dataset(
                "node/r", data=np.array([[1, 2]], dtype=[("a", "i4"), ("b", "f8")])
            ),
            "datatype",
        ),
        (
            lambda f: f.create_dataset("node/v", shape=(2,), dtype=h5py.vlen_dtype(np.int32)),
            "datatype",
        ),
        (
            lambda f: f.create_dataset("node/ref", data=f["node"].ref, dtype=h5py.ref_dtype),
            "datatype",
        ),
        (lambda f: f.create_dataset("node/opaque", data=np.void(b"abcd")), "datatype"),
        (lambda f: f.__setitem__("node/named_type", np.dtype("f8")), "Datatype, not a group"),
        (
            lambda f: f.create_dataset(
                "node/s", data=np.arange(100.0), chunks=(10,), scaleoffset=2
            ),
            "filter 6 .*accepts only gzip",
        ),
        (lambda f: [f["node"].attrs.__setitem__(f"a{i}", i) for i in range(65)], "65 attributes"),
        (
            lambda f: f["node"].attrs.__setitem__("list", np.array(["a", "b"], dtype=object)),
            "array of variable-length strings",
        ),
        (lambda f: f.create_dataset("node/empty", data=h5py.Empty("f8")), "null"),
    ],
)
def test_datatypes_filters_and_attributes_the_reader_does_not_need(
    secret_dir, make, match, monkeypatch
):
    monkeypatch.setattr(nir_io, "MAX_DATASET_BYTES", 2**20)
    refused(edit(network_bytes(), make), match, secret_dir)


def test_a_large_attribute_is_refused_before_it_is_read():
    buf = io.BytesIO()
    with h5py.File(buf, "w", libver="latest") as f:  # dense storage: large attributes
        f.create_group("node").attrs["big"] = np.zeros(2**17 + 1)
    with pytest.raises(ValueError, match="attribute 'big' of '/node' holds 1,048,584 bytes"):
        hdf5_safe.read_tree(buf.getvalue(), hdf5_safe.Budget(max_dataset_bytes=2**20))


def test_gzip_shuffle_fletcher_and_lzf_are_read():
    """What ``nir.write`` and h5py's own filters produce stays readable."""
    base = network_bytes()
    path, _ = weight_path(base)
    want = fp.from_nir(base).network
    for create in (
        dict(compression="lzf"),
        dict(compression="gzip", shuffle=True, fletcher32=True),
    ):

        def change(f, create=create):
            w = f[path][()]
            del f[path]
            f.create_dataset(path, data=w, chunks=w.shape, **create)

        got = fp.from_nir(edit(base, change)).network
        np.testing.assert_array_equal(got.weights, want.weights)


def test_hostile_event_data(secret_dir):
    good = io.BytesIO()
    fp.save_nir_inputs(good, [[0.1], [0.2]], 2, 1.0)
    data = good.getvalue()
    assert [t.tolist() for t in fp.inputs_from_nir(data)[0]] == [[0.1], [0.2]]

    def ext(f):
        g = f["nodes/input/observables/spikes"]
        del g["time"]
        g.create_dataset(
            "time", shape=(1, 2), dtype=float, external=[(str(secret_dir / "passwd"), 0, 16)]
        )

    def channels(f):
        f["nodes/input/observables/spikes"].attrs["n_neurons"] = 10**12

    def text(f):
        f["nodes/input/observables/spikes"].attrs["t_max"] = "soon"

    for change, match in [
        (ext, "external storage"),
        (channels, "n_neurons = 1000000000000"),
        (text, "must be numbers"),
    ]:
        with FolderWatch(secret_dir) as watch:
            with pytest.raises(ValueError, match=match):
                fp.inputs_from_nir(edit(data, change), 2)
            assert watch.events() == []


# --- fuzz: Hypothesis-built HDF5 structures ---------------------------------------------
LINKS = ["hard", "soft", "soft-missing", "external", "external-missing", "up", "sibling"]
DTYPES = ["f8", "f4", "i8", "u1", "bool", "S8", "str", "complex", "compound", "vlen-int"]
STORAGE = ["plain", "gzip", "lzf", "shuffle", "scaleoffset", "external", "virtual", "huge"]

node_strategy = st.recursive(
    st.tuples(
        st.just("dataset"),
        st.sampled_from(DTYPES),
        st.sampled_from(STORAGE),
        st.sampled_from(LINKS),
        st.integers(0, 3),
    ),
    lambda children: st.tuples(
        st.just("group"), st.lists(children, max_size=4), st.sampled_from(LINKS), st.integers(0, 3)
    ),
    max_leaves=12,
)


def _value(dtype: str, n: int):
    if dtype == "str":
        return np.array(["edge"] * n, dtype=object), h5py.string_dtype()
    if dtype == "compound":
        return np.zeros(n, dtype=[("a", "i4"), ("b", "f8")]), None
    if dtype == "vlen-int":
        return None, h5py.vlen_dtype(np.int32)
    if dtype == "complex":
        return np.ones(n, complex), None
    return np.ones(n).astype(dtype), None


def _build(f, group, node, secret_dir, counter):
    """Write one Hypothesis-described node into ``group`` (errors of h5py itself skipped)."""
    counter[0] += 1
    name = f"n{counter[0]}"
    kind, link, attrs = node[0], node[-2], node[-1]
    target = secret_dir / ("other.h5" if "missing" not in link else "missing.h5")
    if link.startswith("soft"):
        group[name] = h5py.SoftLink("/node" if link == "soft" else "/nowhere")
        return
    if link.startswith("external"):
        group[name] = h5py.ExternalLink(str(target), "/weight")
        return
    if link == "up":
        group[name] = f["/"]
        return
    if link == "sibling" and len(group):
        group[name] = group[next(iter(group))]
        return
    if kind == "group":
        sub = group.create_group(name)
        for i in range(attrs):
            sub.attrs[f"a{i}"] = i
        for child in node[1]:
            _build(f, sub, child, secret_dir, counter)
        return
    _, dtype, storage, _, n = node
    n += 1
    data, dt = _value(dtype, n)
    opts = {"shape": (n,), "dtype": dt if dt is not None else data.dtype}
    if storage in ("gzip", "lzf"):
        opts.update(compression=storage, chunks=(n,))
    elif storage == "shuffle":
        opts.update(shuffle=True, chunks=(n,))
    elif storage == "scaleoffset":
        opts.update(scaleoffset=0, chunks=(n,))
    elif storage == "external":
        opts.update(external=[(str(secret_dir / "passwd"), 0, h5py.h5s.UNLIMITED)])
    elif storage == "huge":
        opts.update(shape=(10**10,), chunks=(1000,), compression="gzip")
    if storage == "virtual":
        layout = h5py.VirtualLayout(shape=(3, 2), dtype=float)
        layout[:] = h5py.VirtualSource(str(secret_dir / "other.h5"), "weight", shape=(3, 2))
        group.create_virtual_dataset(name, layout)
        return
    ds = group.create_dataset(name, **opts)
    if data is not None and storage not in ("external", "huge"):
        ds[...] = data


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.lists(node_strategy, min_size=1, max_size=4), into_graph=st.booleans())
def test_fuzz_no_escape_and_no_raw_exception(secret_dir, tree, into_graph):
    """Random structures of links, nesting, datatypes, filters and storage, alone or inside a
    valid NIR graph: the reader returns or raises ``ValueError``, and opens nothing else."""
    buf = io.BytesIO(network_bytes() if into_graph else b"")
    try:
        with h5py.File(buf, "r+" if into_graph else "w") as f:
            root = f["node"] if into_graph else f
            counter = [0]
            for node in tree:
                _build(f, root, node, secret_dir, counter)
    except (TypeError, ValueError, OSError, KeyError):  # h5py cannot write that structure
        event("h5py could not write it")
        return
    data = buf.getvalue()
    with FolderWatch(secret_dir) as watch:
        for read in (
            lambda: fp.from_nir(data),
            lambda: fp.inputs_from_nir(data),
            lambda: hdf5_safe.read_tree(data),
        ):
            try:
                read()
                event("read")
            except ValueError as exc:
                assert "\n" not in str(exc)
                event(f"refused: {str(exc).split(';')[0].split(' ')[-1]}"[:40])
        assert watch.events() == []
