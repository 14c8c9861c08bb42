"""A bounded, content-addressed cache of model files (spec/format.md §10.6).

Files are keyed by the SHA-256 of their bytes, which a store's signed log names before any byte
is fetched, so a hit needs no I/O at all. Two tiers, each bounded by bytes and evicting the
least recently used file first:

- memory: the file's bytes, immutable; every load decodes them again into new estimator objects
  whose arrays are read-only views of the cached bytes (nothing is shared that can change);
- disk (optional, for remote blobs): one file per digest in a folder, hashed again when read
  back, since another process may write that folder.

A hit saves transfer and hashing only: the caller's trust policy and every check of the load
procedure still run on every load.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import threading

from . import _io

MiB = 1 << 20


class Cache:
    """``Cache(max_bytes=512 MiB, directory=None, max_disk_bytes=8 GiB)``.

    Thread-safe: :func:`paramseal.load_many` and a store's pulls may share one.
    """

    def __init__(self, max_bytes: int = 512 * MiB, *,
                 directory: str | os.PathLike[str] | None = None,
                 max_disk_bytes: int = 8192 * MiB) -> None:
        if max_bytes < 0 or max_disk_bytes < 0:
            raise ValueError("cache sizes must be non-negative")
        self.max_bytes = max_bytes
        self.max_disk_bytes = max_disk_bytes
        self.directory = os.fspath(directory) if directory is not None else None
        self._memory: collections.OrderedDict[bytes, bytes] = collections.OrderedDict()
        self._memory_bytes = 0
        self._lock = threading.Lock()
        #: Counters, for tests and benchmarks: memory hits, disk hits, misses.
        self.hits = self.disk_hits = self.misses = 0
        if self.directory is not None:
            os.makedirs(self.directory, exist_ok=True)

    # ---- memory

    def get(self, digest: bytes) -> bytes | None:
        """The file with this SHA-256, from memory or disk; None on a miss."""
        with self._lock:
            data = self._memory.get(digest)
            if data is not None:
                self._memory.move_to_end(digest)
                self.hits += 1
                return data
        data = self._disk_get(digest)
        if data is not None:
            self.disk_hits += 1
            self._remember(digest, data)
            return data
        with self._lock:
            self.misses += 1
        return None

    def put(self, digest: bytes, data: bytes | memoryview, *, disk: bool = False) -> None:
        """Keep ``data`` (whose SHA-256 the caller has checked is ``digest``); ``disk=True``
        also writes it to the disk tier, if there is one."""
        blob = bytes(data)
        self._remember(digest, blob)
        if disk and self.directory is not None and len(blob) <= self.max_disk_bytes:
            path = os.path.join(self.directory, digest.hex())
            if not os.path.exists(path):
                _io.write_chunks(path, [blob])
            self._trim_disk()

    def _remember(self, digest: bytes, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            if digest in self._memory:
                self._memory.move_to_end(digest)
                return
            self._memory[digest] = data
            self._memory_bytes += len(data)
            while self._memory_bytes > self.max_bytes:
                _, evicted = self._memory.popitem(last=False)
                self._memory_bytes -= len(evicted)

    @property
    def memory_bytes(self) -> int:
        return self._memory_bytes

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()
            self._memory_bytes = 0

    # ---- disk

    def _disk_get(self, digest: bytes) -> bytes | None:
        if self.directory is None:
            return None
        path = os.path.join(self.directory, digest.hex())
        try:
            with open(path, "rb") as f:
                data = _io.read_bounded(f, self.max_disk_bytes)
        except FileNotFoundError:
            return None
        if hashlib.sha256(data).digest() != digest:
            # not ours to trust: drop it and fetch the file again
            with contextlib.suppress(OSError):
                os.unlink(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recency for the LRU order
        return data

    def _trim_disk(self) -> None:
        if self.directory is None:
            return
        entries = []
        total = 0
        with os.scandir(self.directory) as it:
            for entry in it:
                if len(entry.name) == 64 and entry.is_file():
                    stat = entry.stat()
                    entries.append((stat.st_mtime, stat.st_size, entry.path))
                    total += stat.st_size
        for _, size, path in sorted(entries):
            if total <= self.max_disk_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            total -= size


__all__ = ["Cache"]
