r"""Reading an untrusted HDF5 file: only what is inside its own bytes, within budgets.

An HDF5 file can say that its data lives elsewhere, and a reader that follows it reads
files of the machine it runs on: *external storage* (a dataset's raw bytes in any path),
*virtual datasets* (data mapped from other HDF5 files), *external links* (an object in
another file), soft and user-defined links (paths resolved when followed, possibly to an
external link). It can also make a naive reader spend without bound: groups nested
thousands deep, hard links that form cycles or share one object many times, a dataset of a
few bytes whose declared shape, chunk or fill value unpacks to gigabytes, a filter that
makes HDF5 load a plug-in library, a variable-length string array whose entries all point
to one large heap object.

:func:`read_tree` reads a file given as **bytes** (never a path: nothing but those bytes
is opened) into a :class:`Group` tree of plain values and checks every object *before* it
reads any data:

* links: hard links only (soft, external and user-defined links are refused); an object
  reached twice (a cycle or a shared object) is refused; groups are walked iteratively,
  at most :attr:`Budget.max_depth` deep and :attr:`Budget.max_objects` objects in all,
  with at most :attr:`Budget.max_attrs` attributes each;
* datasets: no external storage, no virtual layout, filters only deflate (gzip), shuffle,
  Fletcher-32 and LZF (all built in, decoding into buffers of the chunk's size), chunks
  and data within the byte budget; datatypes only booleans, integers, floats (at most 8
  bytes) and strings (fixed length, or variable length read one entry at a time with each
  entry's bytes counted);
* bytes: every dataset and attribute counts its decoded bytes against
  :attr:`Budget.max_dataset_bytes` (one object) and :attr:`Budget.max_total_bytes` (the
  file), checked before it is read (strings: as each entry is read).

Every refusal is a one-line ``ValueError`` naming the object. Needs ``h5py``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

#: HDF5 filter identifiers that may appear in a dataset's pipeline: deflate (gzip),
#: shuffle, Fletcher-32 and h5py's LZF (``nir.write`` uses gzip).
ALLOWED_FILTERS = {1: "gzip", 2: "shuffle", 3: "fletcher32", 32000: "lzf"}


@dataclass(frozen=True)
class Budget:
    """What one file may make the reader spend."""

    max_file_bytes: int = 128 * 2**20
    max_dataset_bytes: int = 32 * 2**20
    max_total_bytes: int = 128 * 2**20
    max_objects: int = 20_000
    max_depth: int = 32
    max_attrs: int = 64
    max_string_bytes: int = 1 * 2**20
    max_strings: int = 50_000


@dataclass
class Group:
    """A group read from the file: its members (``Group`` or a value) and attributes."""

    members: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)

    def plain(self) -> dict:
        """Nested dicts of values, strings decoded (the form ``nir`` builds nodes from)."""
        return {k: v.plain() if isinstance(v, Group) else v for k, v in self.members.items()}


class _Spent:
    def __init__(self, budget: Budget):
        self.budget, self.bytes, self.strings = budget, 0, 0

    def check(self, n: int, where: str) -> None:
        """Refuse ``n`` decoded bytes for one object above the one-object cap."""
        if n > self.budget.max_dataset_bytes:
            raise ValueError(
                f"{where} holds {n:,} bytes, above the cap of "
                f"{self.budget.max_dataset_bytes:,} for one dataset"
            )

    def take(self, n: int, where: str) -> None:
        """Count ``n`` decoded bytes against both caps."""
        self.check(n, where)
        self.bytes += n
        if self.bytes > self.budget.max_total_bytes:
            raise ValueError(
                f"the file holds more than {self.budget.max_total_bytes:,} bytes "
                f"of data (at {where}), above the cap"
            )


def read_tree(data: bytes, budget: Budget = Budget()) -> Group:
    """The whole file as a :class:`Group` tree (module docstring: what is refused)."""
    import h5py

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"expected the file's bytes, got {type(data).__name__}")
    if len(data) > budget.max_file_bytes:
        raise ValueError(
            f"the file has {len(data):,} bytes, above the cap of {budget.max_file_bytes:,}"
        )
    try:
        f = h5py.File(io.BytesIO(bytes(data)), "r")
    except Exception as exc:  # noqa: BLE001 - any unreadable file is bad input
        raise ValueError(f"not an HDF5 file: {first_line(exc)}") from None
    with f:
        try:
            return _walk(f, budget)
        except ValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged file raises anything
            raise ValueError(f"the HDF5 file is damaged: {first_line(exc)}") from None


def _walk(root, budget: Budget) -> Group:
    import h5py

    spent = _Spent(budget)
    top = Group()
    seen = {h5py.h5o.get_info(root.id).addr}
    stack = [(root, top, "/", 0)]
    _read_attrs(root, top, "/", spent)
    count = 1
    while stack:
        group, node, path, depth = stack.pop()
        n = group.id.get_num_objs()
        if count + n > budget.max_objects:
            raise ValueError(
                f"the file has more than {budget.max_objects:,} objects, above the cap"
            )
        for raw in group.id.__iter__():
            name = raw.decode("utf-8", "replace")
            where = f"{path.rstrip('/')}/{name}"
            kind = group.id.links.get_info(raw).type
            if kind != h5py.h5l.TYPE_HARD:
                what = {
                    h5py.h5l.TYPE_SOFT: "a soft link",
                    h5py.h5l.TYPE_EXTERNAL: "an external link (to another file)",
                }.get(kind, "a user-defined link")
                raise ValueError(
                    f"{where!r} is {what}; only objects stored in the file itself are read"
                )
            obj = group[raw]
            addr = h5py.h5o.get_info(obj.id).addr
            if addr in seen:
                raise ValueError(
                    f"{where!r} links to an object already reached (a cycle or a "
                    "shared object), which NIR files do not have"
                )
            seen.add(addr)
            count += 1
            if isinstance(obj, h5py.Group):
                if depth + 1 > budget.max_depth:
                    raise ValueError(
                        f"groups are nested more than {budget.max_depth} deep (at {where!r})"
                    )
                child = Group()
                _read_attrs(obj, child, where, spent)
                node.members[name] = child
                stack.append((obj, child, where, depth + 1))
            elif isinstance(obj, h5py.Dataset):
                _read_attrs(obj, None, where, spent)
                node.members[name] = _read_dataset(obj, where, spent)
            else:
                raise ValueError(f"{where!r} is a {type(obj).__name__}, not a group or a dataset")
    return top


def _check_dtype(dt: np.dtype, where: str, budget: Budget) -> str:
    """``"number"``, ``"fixed string"`` or ``"string"`` (variable length), else refused."""
    import h5py

    info = h5py.check_string_dtype(dt)
    if info is not None:
        if info.length is None:
            return "string"
        if info.length > budget.max_string_bytes:
            raise ValueError(f"{where!r} has strings of {info.length:,} bytes, above the cap")
        return "fixed string"
    if dt.kind == "S" and dt.itemsize <= budget.max_string_bytes:
        return "fixed string"
    if (
        dt.kind in "biuf"
        and dt.itemsize <= 8
        and dt.fields is None
        and dt.subdtype is None
        and h5py.check_vlen_dtype(dt) is None
        and h5py.check_ref_dtype(dt) is None
    ):
        return "number"
    raise ValueError(
        f"{where!r} has the datatype {dt}, which the reader does not need "
        "(numbers and strings only)"
    )


def _shape_bytes(shape, itemsize: int, where: str) -> int:
    if shape is None:
        raise ValueError(f"{where!r} is an empty (null) dataspace, which NIR files do not have")
    return int(np.prod(shape, dtype=object)) * itemsize if shape else itemsize


def _read_dataset(dset, where: str, spent: _Spent):
    import h5py

    plist = dset.id.get_create_plist()
    if plist.get_external_count() > 0:
        name = plist.get_external(0)[0].decode("utf-8", "replace")
        raise ValueError(
            f"{where!r} keeps its data in another file ({name!r}, HDF5 external "
            "storage); only data stored in the file itself is read"
        )
    if plist.get_layout() == h5py.h5d.VIRTUAL:
        raise ValueError(
            f"{where!r} is a virtual dataset (data mapped from other files); "
            "only data stored in the file itself is read"
        )
    for i in range(plist.get_nfilters()):
        code, _, _, fname = plist.get_filter(i)
        if code not in ALLOWED_FILTERS:
            raise ValueError(
                f"{where!r} uses the HDF5 filter {code} "
                f"({fname.decode('utf-8', 'replace')}); the reader accepts only "
                f"{', '.join(ALLOWED_FILTERS.values())}"
            )
    kind = _check_dtype(dset.dtype, where, spent.budget)
    if kind == "string":  # bytes counted as each entry is read
        _shape_bytes(dset.shape, 1, where)
        return _read_strings(lambda index: dset[index], dset.shape, where, spent)
    itemsize = dset.dtype.itemsize
    if dset.chunks is not None:  # a chunk is decoded whole
        spent.check(_shape_bytes(dset.chunks, itemsize, where), f"a chunk of {where!r}")
    spent.take(_shape_bytes(dset.shape, itemsize, where), repr(where))
    return _plain(dset[()])


def _read_strings(get, shape, where: str, spent: _Spent):
    """Variable-length strings one entry at a time, each entry's bytes counted as read:
    many entries may point to one large heap object, so the count of entries says nothing
    about the bytes."""
    budget = spent.budget
    n = int(np.prod(shape, dtype=object)) if shape else 1
    spent.strings += n
    if spent.strings > budget.max_strings:
        raise ValueError(
            f"the file holds more than {budget.max_strings:,} strings, above the cap (at {where!r})"
        )
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape) if shape else [()]:
        value = get(index)
        size = len(value) if isinstance(value, (bytes, str)) else 0
        if size > budget.max_string_bytes:
            raise ValueError(
                f"{where!r} holds a string of {size:,} bytes, above the cap of "
                f"{budget.max_string_bytes:,}"
            )
        spent.take(size, repr(where))
        out[index] = value
    return _plain(out[()] if not shape else out)


def _read_attrs(obj, node: Group | None, where: str, spent: _Spent) -> None:
    """Check the attributes of ``obj``; read them into ``node.attrs`` (groups only: NIR keeps
    no attributes on datasets, so theirs are checked, not read)."""
    import h5py

    budget = spent.budget
    n = h5py.h5o.get_info(obj.id).num_attrs
    if n > budget.max_attrs:
        raise ValueError(f"{where!r} has {n} attributes, above the cap of {budget.max_attrs}")
    for raw in obj.attrs.keys():
        aid = obj.attrs.get_id(raw)
        at = f"attribute {raw!r} of {where!r}"
        kind = _check_dtype(aid.dtype, at, budget)
        if kind == "string" and aid.shape:
            raise ValueError(
                f"{at} is an array of variable-length strings, which NIR files do not have"
            )
        size = _shape_bytes(aid.shape, 0 if kind == "string" else aid.dtype.itemsize, at)
        if node is None:
            spent.check(size, at)
            continue
        spent.take(size, at)
        value = obj.attrs[raw]
        if kind == "string":
            value = _read_strings(lambda index, v=value: v, (), at, spent)
        node.attrs[raw] = _plain(value)


def _plain(value):
    """Bytes decoded to text (as ``nir``'s reader does); arrays and numbers as read."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def first_line(exc: BaseException) -> str:
    """``"Type: first line of the message"``, at most 300 characters."""
    text = str(exc).strip().splitlines()
    msg = text[0] if text else ""
    msg = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return msg if len(msg) <= 300 else msg[:297] + "..."
