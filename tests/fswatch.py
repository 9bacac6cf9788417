"""Seeing whether a process opens or reads any file in a folder (Linux inotify, via ctypes).

``with FolderWatch(folder) as w: ...`` then ``w.events()`` lists the names of files in
``folder`` that anything on the machine opened or read meanwhile: a check that shares no
code with what it watches (HDF5 opens files in C, below Python's own audit hooks).
"""

from __future__ import annotations

import ctypes
import os
import struct

IN_ACCESS = 0x001
IN_OPEN = 0x020
_HEADER = struct.Struct("iIII")


class FolderWatch:
    def __init__(self, folder):
        self.folder = os.fsencode(str(folder))
        self.fd = -1
        self._seen: list[str] = []

    def __enter__(self) -> FolderWatch:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if libc.inotify_add_watch(self.fd, self.folder, IN_OPEN | IN_ACCESS) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch failed")
        return self

    def events(self) -> list[str]:
        """Names of the files opened or read so far (``""`` for the folder itself)."""
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return list(self._seen)
            pos = 0
            while pos < len(buf):
                _, _, _, length = _HEADER.unpack_from(buf, pos)
                name = buf[pos + _HEADER.size : pos + _HEADER.size + length].rstrip(b"\0")
                self._seen.append(name.decode("utf-8", "replace"))
                pos += _HEADER.size + length

    def __exit__(self, *exc) -> None:
        os.close(self.fd)
