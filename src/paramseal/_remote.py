"""Reading and writing whole files at a location that is not a local path (spec/format.md §10.1).

A remote read asks for the signed part of the file first (prelude, header, signature block:
one range request of :data:`PROBE` bytes, a second only for an unusually long header), applies
the caller's trust policy to it, and only then downloads the sections. A file that fails the
policy therefore costs kilobytes, however large it is. The sections' digests are checked by
the usual load procedure once they are here (§3.4).
"""

from __future__ import annotations

import collections
import contextlib
import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from . import _container, _storage, signing
from . import limits as _limits
from .errors import ParamsealError, StorageError
from .policy import Policy

#: Bytes of the first range request: the signed part of nearly every file fits.
PROBE = 64 * 1024
#: Bytes per range request of the body; a transfer of more than PROGRESS_MIN reports progress.
CHUNK = 16 * 1024 * 1024
PROGRESS_MIN = 4 * 1024 * 1024

Progress = Callable[[int, int], None]


def is_url(source: Any) -> bool:
    """A ``scheme://`` (or chained ``scheme::``) string other than ``file://``."""
    return (isinstance(source, str) and _storage._URL.match(source) is not None
            and not source.lower().startswith("file://"))


@contextlib.contextmanager
def storage_errors(where: str) -> Iterator[None]:
    """Failures of the medium become :class:`StorageError` (ours stay what they are)."""
    try:
        yield
    except ParamsealError:
        raise
    except FileNotFoundError as exc:
        raise StorageError(f"{where}: not found") from exc
    except OSError as exc:
        raise StorageError(f"{where}: {exc}") from exc


def local(source: Any) -> Any:
    """A ``file://`` URL as its path; any other source unchanged."""
    if isinstance(source, str) and source[:7].lower() == "file://":
        return source[7:]
    return source


def split(url: str, storage_options: Mapping[str, Any] | None = None
          ) -> tuple[_storage.Backend, str]:
    """The backend of ``url``'s folder, and the file's key in it."""
    folder, _, name = url.rstrip("/").rpartition("/")
    if folder.endswith(":/"):  # "memory://name": the folder is the file system's root
        folder += "/"
    if not name or not folder:
        raise ValueError(f"{url!r} does not name a file")
    return _backend(folder, storage_options), _storage.check_key(name)


#: Backends of recent folders: opening one builds an fsspec file system, and for s3:// a
#: client session (~0.3 s), which loads of many files from one place should pay once.
_BACKENDS: collections.OrderedDict[tuple[str, str], _storage.Backend] = collections.OrderedDict()
_BACKENDS_LOCK = threading.Lock()
_MAX_BACKENDS = 32


def _backend(folder: str, storage_options: Mapping[str, Any] | None) -> _storage.Backend:
    try:
        options = json.dumps(storage_options or {}, sort_keys=True)
    except TypeError:  # options that are objects (a session, a callback): not shareable
        return _storage.open_backend(folder, storage_options=storage_options)
    key = (folder, options)
    with _BACKENDS_LOCK:
        backend = _BACKENDS.get(key)
        if backend is not None:
            _BACKENDS.move_to_end(key)
            return backend
    backend = _storage.open_backend(folder, storage_options=storage_options)
    with _BACKENDS_LOCK:
        _BACKENDS[key] = backend
        while len(_BACKENDS) > _MAX_BACKENDS:
            _BACKENDS.popitem(last=False)
    return backend


def fetch(backend: _storage.Backend, key: str, *, policy: Policy | None,
          limits: _limits.Limits, size: int | None = None,
          progress: Progress | None = None) -> memoryview:
    """The whole file under ``key``, read signed part first (see the module docstring).

    ``size``, when the caller knows it (a store's log records it), saves a request.
    """
    where = backend.describe(key)
    with storage_errors(where):
        if size is None:
            size = backend.size(key)
        _limits.check("file size", size, limits.max_file_bytes, where=f"at {where}")
        first = backend.read_range(key, 0, min(size, PROBE))
        if len(first) >= _container.PRELUDE.size:
            prelude = _container.PRELUDE.unpack_from(first, 0)
            # bounded before the second request: the lengths are checked against the limits
            _limits.check("header length", prelude[3], limits.max_header_bytes)
            _limits.check("signature block length", prelude[4], limits.max_sigblock_bytes)
            need = _container.data_start(first)
            if len(first) < need <= size:
                first += backend.read_range(key, len(first), need)
        head = _container.parse_head(memoryview(first), limits, size=size)
        if policy is not None:
            signing.verify_head(head, policy)
        # grown as bytes arrive, not allocated from the announced size: a server that
        # announces more than it holds costs what it sends, not what it claims
        buffer = bytearray(first)
        while len(buffer) < size:
            end = min(size, len(buffer) + CHUNK)
            buffer += backend.read_range(key, len(buffer), end)
            if progress is not None:
                progress(len(buffer), size)
    return memoryview(buffer)


def put(backend: _storage.Backend, key: str, chunks: Iterable[bytes | memoryview]) -> None:
    with storage_errors(backend.describe(key)):
        backend.write(key, chunks)


class StderrProgress:
    """``done/total MB`` on one stderr line, redrawn at most every 5 %: enough to see that a
    large transfer moves, with no dependency. Used by the command line only."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_MIN:
            return
        step = done * 20 // total
        if step == self.shown:
            return
        self.shown = step
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{self.label}: {done / 1e6:,.1f} / {total / 1e6:,.1f} MB{end}")
        sys.stderr.flush()


__all__ = ["PROBE", "StderrProgress", "fetch", "is_url", "put", "split", "storage_errors"]
