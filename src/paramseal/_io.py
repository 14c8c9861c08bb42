"""Getting a whole file into memory, and writing one atomically (spec/format.md §7.1, §7.8).

Reads are bounded before anything is allocated. Large files are memory-mapped read-only, so
arrays are zero-copy views; ``mmap=False`` copies the file into a private, writable buffer.
Writes to a path go to a temporary file in the same folder, are flushed to disk, then renamed
over the target, so a crash leaves either the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import io
import mmap as _mmap
import os
import tempfile
from collections.abc import Iterable
from typing import IO, Any

from . import limits as _limits
from .errors import ContainerError

#: Below this size a read is cheaper than a mapping.
MMAP_THRESHOLD = 1 << 20

Source = str | os.PathLike[str] | IO[bytes]


def read_buffer(source: Any, *, use_mmap: bool, limits: _limits.Limits) -> memoryview:
    """The whole file as a memoryview: mapped, read into bytes, or copied into a bytearray."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            _limits.check("file size", size, limits.max_file_bytes)
            if use_mmap and size >= MMAP_THRESHOLD:
                return memoryview(_mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_READ))
            if use_mmap:
                # small file: one read into an immutable buffer (arrays are read-only views)
                data = f.read(size + 1)
                if len(data) != size:
                    raise ContainerError("file changed size while it was being read")
                return memoryview(data)
            return _read_exactly(f, size, writable=True)
    if isinstance(source, (bytes, bytearray, memoryview)):
        raise TypeError("use paramseal.loads() for bytes; load() takes a path or a binary file")
    read = getattr(source, "read", None)
    if read is None:
        raise TypeError("load() takes a path or a file object opened in binary mode")
    data = read_bounded(source, limits.max_file_bytes)
    return memoryview(bytearray(data) if not use_mmap else data)


_CHUNK = 16 << 20


def release(buffer: memoryview, start: int, end: int) -> None:
    """Drop the pages of a read-only file mapping between ``start`` and ``end`` (offsets in the
    file) from this process's memory: read once (hashed, decrypted), they are not needed again,
    and the kernel reads them back from its page cache if they are. No-op for other buffers."""
    mapping = buffer.obj
    if not isinstance(mapping, _mmap.mmap) or not hasattr(_mmap, "MADV_DONTNEED"):
        return
    page = _mmap.PAGESIZE
    first = -(-start // page) * page
    last = min(end, len(mapping)) // page * page
    if last > first:
        mapping.madvise(_mmap.MADV_DONTNEED, first, last - first)


def read_bounded(source: Any, limit: int) -> bytes:
    """Everything a binary file object holds, refusing more than ``limit`` bytes."""
    if isinstance(source, io.BytesIO):
        view = source.getbuffer()
        remaining = view.nbytes - source.tell()
        _limits.check("file size", remaining, limit)
        view.release()
        return source.read()
    chunks = []
    total = 0
    while True:
        chunk = source.read(min(_CHUNK, limit + 1 - total))
        if isinstance(chunk, str):
            raise TypeError("file must be opened in binary mode, e.g. open(path, 'rb')")
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        _limits.check("file size", total, limit)
    return b"".join(chunks)


def _read_exactly(f: IO[bytes], size: int, *, writable: bool) -> memoryview:
    buffer = bytearray(size)
    view = memoryview(buffer)
    done = 0
    while done < size:
        n = f.readinto(view[done:])  # type: ignore[attr-defined]
        if not n:
            raise ContainerError("file shrank while it was being read", offset=done)
        done += n
    return view if writable else view.toreadonly()


def write_chunks(target: Any, chunks: Iterable[bytes | memoryview], *,
                 mode: int | None = None) -> None:
    """Write ``chunks`` to a path (atomically) or to a binary file object (in order).

    A path keeps the mode of the file it replaces, or gets ``mode`` (default 0644); the
    temporary file is 0600 until then, so a private key is never readable by others.
    """
    if not isinstance(target, (str, os.PathLike)):
        write = getattr(target, "write", None)
        if write is None:
            raise TypeError("dump() takes a path or a file object opened in binary mode")
        for chunk in chunks:
            write(chunk)
        return
    path = os.fspath(target)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".paramseal-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path) if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _mode_for(path: str) -> int:
    """Keep the mode of the file being replaced; a new file is 0644 (mkstemp makes 0600)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return 0o644


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
