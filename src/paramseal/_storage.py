"""Byte-level storage of objects under keys, on a local folder or behind an fsspec URL
(spec/format.md §10 "Locations and stores", §10.1).

Everything above this module (loading from a URL, the model store, its audit log, the cache)
needs only a handful of operations on named byte strings, so that is all a :class:`Backend`
offers: whole and ranged reads, atomic replacement, create-only writes, listing. Two
implementations:

- :class:`LocalBackend`, a folder. Writes go to a temporary file in the same folder, are
  fsynced, then renamed (replace) or hard-linked (create-only) into place, so a crash leaves
  the old object or the new one, never a mix, and two processes can never both create a key.
- :class:`FsspecBackend`, any other ``scheme://`` URL (``s3://``, ``gs://``, ``az://``,
  ``memory://``, ``http(s)://`` read-only) through the optional ``remote`` extra. A write is one
  PUT, which object stores apply all-or-nothing; create-only is the server's
  ``If-None-Match: *``.

Keys are checked before they touch a path or a URL (:func:`check_key`), so a key can never
leave the backend's root, whatever produced it. Reads say how many bytes they expect and refuse
any other number: a server that ignores ``Range`` answers with the whole object, and a file can
change size while it is read.
"""

from __future__ import annotations

import abc
import contextlib
import errno
import os
import re
import tempfile
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from . import _io
from . import limits as _limits
from .errors import ContainerError, MissingExtraError, StorageError

#: One key segment: letters, digits, ``_``, ``-`` and ``.``, not starting with ``.``. Nothing
#: that means something to a shell, a URL (``%``, ``#``, ``?``, ``+``), an fsspec glob
#: (``*``, ``[``), Windows (``:``, ``\\``), nor a hidden or temporary file of the backend.
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
#: S3's limit on a key, in bytes; a segment is bounded by common file systems' 255.
MAX_KEY_LENGTH = 1024
MAX_SEGMENT_LENGTH = 255
#: ``scheme://...`` or a chained fsspec URL ``scheme::...``; a Windows drive (``C:\\``) is neither.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*(://|::)")
#: Prefix of the temporary files of local writes (never a key: keys do not start with ``.``).
_TMP_PREFIX = ".paramseal-"
#: Largest single read call.
_READ_CHUNK = 64 << 20
#: fsspec protocols that can only be read (and cannot be listed reliably).
_HTTP = frozenset({"http", "https"})


def check_key(key: str) -> str:
    """Return ``key`` if it is a valid key, else raise :class:`ValueError`.

    A key is relative and ``/``-separated; each segment matches ``[A-Za-z0-9_-][A-Za-z0-9._-]*``
    (so no ``..``, no empty segment, no backslash, nothing outside printable ASCII, no hidden
    name) and is at most 255 characters; the whole key is at most 1024. The same key then names
    the same object on every backend, and the local one cannot be led out of its folder.
    """
    if not isinstance(key, str):
        raise TypeError(f"a storage key is a str, not {type(key).__name__}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"storage key must have 1 to {MAX_KEY_LENGTH} characters, "
                         f"found {len(key)}")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment) or len(segment) > MAX_SEGMENT_LENGTH:
            raise ValueError(f"invalid storage key {key!r}: segment {segment!r} is not 1 to "
                             f"{MAX_SEGMENT_LENGTH} characters of [A-Za-z0-9._-] that do not "
                             "start with '.'")
    return key


def _check_prefix(prefix: str) -> str:
    """A listing prefix is a key, or ``""`` for the whole backend."""
    return prefix if prefix == "" else check_key(prefix)


def _check_range(start: int, end: int) -> None:
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"range {name} must be an int, not {type(value).__name__}")
    if not 0 <= start <= end:
        raise ValueError(f"invalid byte range [{start}, {end}): expected 0 <= start <= end")


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ValueError(f"read limit must be a non-negative int, found {limit!r}")


def _range_answer(data: bytes, start: int, end: int, where: str) -> bytes:
    """``data`` if it holds exactly the ``end - start`` bytes asked for."""
    if len(data) != end - start:
        raise ContainerError(
            f"range read of {where} returned {len(data)} bytes, expected {end - start} "
            f"(bytes {start} to {end}): the object is shorter than the range, or the server "
            "ignored the Range header",
            offset=start)
    return data


class Backend(abc.ABC):
    """Named byte strings under one root. Keys are checked by :func:`check_key`.

    A missing key raises :class:`FileNotFoundError` from :meth:`read`, :meth:`read_range` and
    :meth:`size`; other failures of the medium propagate as the :class:`OSError` it raised.
    """

    #: What the caller passed (a path or URL), for messages.
    url: str

    @abc.abstractmethod
    def read(self, key: str, *, limit: int) -> bytes:
        """The whole object; :class:`~paramseal.errors.LimitError` if it is larger than
        ``limit`` bytes, checked before its bytes are read wherever the backend tells the size
        first. :class:`~paramseal.errors.ContainerError` if it changed size while read."""

    @abc.abstractmethod
    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Exactly bytes ``start`` to ``end`` (exclusive), in one request on a remote backend;
        any other number of bytes is a :class:`~paramseal.errors.ContainerError`."""

    @abc.abstractmethod
    def size(self, key: str) -> int:
        """The object's length in bytes."""

    @abc.abstractmethod
    def write(self, key: str, chunks: Iterable[bytes | memoryview]) -> None:
        """Create or replace the object, atomically: readers see the old bytes or all the new
        ones."""

    @abc.abstractmethod
    def create(self, key: str, data: bytes) -> bool:
        """Write the object only if the key does not exist yet, atomically with respect to
        every other writer (other processes and machines included). ``True`` if this call
        created it, ``False`` if the key already existed (its object is left untouched)."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """The keys below the folder ``prefix`` (a key, or ``""`` for everything), sorted; an
        empty list if there is none. Names that are not valid keys are left out: they were
        not written through this interface."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key`` (a folder of keys is not an object)."""

    @abc.abstractmethod
    def local_path(self, key: str) -> str | None:
        """The file system path of ``key`` on a local backend, so that the caller can map it
        into memory; ``None`` on a remote one."""

    def describe(self, key: str) -> str:
        """``key`` as a location for messages."""
        return f"{self.url.rstrip('/')}/{key}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


class LocalBackend(Backend):
    """Objects are files under a folder; a key's segments are its subfolders."""

    def __init__(self, folder: str | os.PathLike[str], *, url: str | None = None) -> None:
        self.root = os.path.abspath(os.fspath(folder))
        self.url = url if url is not None else os.fspath(folder)

    def _path(self, key: str) -> str:
        return os.path.join(self.root, *check_key(key).split("/"))

    def local_path(self, key: str) -> str:
        return self._path(key)

    def read(self, key: str, *, limit: int) -> bytes:
        _check_limit(limit)
        with open(self._path(key), "rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            _limits.check("object size", size, limit, where=f"at {self.describe(key)}")
            # one byte more than the size, so that a file that grew is noticed
            data = _read_at_most(f, size + 1)
        if len(data) != size:
            raise ContainerError(f"{self.describe(key)} changed size while it was being read: "
                                 f"{size} bytes, then {len(data)} or more")
        return data

    def read_range(self, key: str, start: int, end: int) -> bytes:
        _check_range(start, end)
        with open(self._path(key), "rb", buffering=0) as f:
            if start == end:
                return b""
            f.seek(start)
            data = _read_at_most(f, end - start)
        return _range_answer(data, start, end, self.describe(key))

    def size(self, key: str) -> int:
        return os.stat(self._path(key)).st_size

    def _folder_for(self, key: str) -> tuple[str, str]:
        """The key's path, after making its folders."""
        path = self._path(key)
        folder = os.path.dirname(path)
        try:
            os.makedirs(folder, exist_ok=True)
        except FileExistsError as exc:
            raise NotADirectoryError(errno.ENOTDIR, "a parent of the key is an object",
                                     path) from exc
        return path, folder

    def write(self, key: str, chunks: Iterable[bytes | memoryview]) -> None:
        path, _ = self._folder_for(key)
        _io.write_chunks(path, chunks)

    def create(self, key: str, data: bytes) -> bool:
        """The bytes go to a temporary file first and are fsynced; then ``os.link`` puts that
        file under the key's name, which the kernel does atomically and only if the name is
        free. So a reader never sees a partial object, and of several processes creating one
        key exactly one wins. (``open(path, "xb")`` would be exclusive too, but readers could
        see the file before its bytes are written.)"""
        path, folder = self._folder_for(key)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            try:
                os.link(tmp, path)
            except FileExistsError:
                if os.path.isdir(path):
                    # keys of a folder exist, not the object: on S3 both could, not here
                    raise IsADirectoryError(errno.EISDIR, "the key is a folder of keys",
                                            path) from None
                return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        _io._fsync_folder(folder)
        return True

    def list(self, prefix: str = "") -> list[str]:
        top = os.path.join(self.root, *_check_prefix(prefix).split("/")) if prefix else self.root
        keys = []
        for folder, subfolders, files in os.walk(top):
            # never into hidden folders (they hold no keys); os.walk does not follow links
            subfolders[:] = [d for d in subfolders if not d.startswith(".")]
            rel = os.path.relpath(folder, self.root)
            base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            for name in files:
                key = base + name
                if _is_key(key):
                    keys.append(key)
        return sorted(keys)

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._path(key))


class FsspecBackend(Backend):
    """Objects under a root path of an fsspec file system (``url_to_fs(url)``)."""

    def __init__(self, fs: Any, root: str, *, url: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.url = url
        protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
        #: http(s) serves files; it cannot write them, and its "listing" scrapes HTML links.
        self.read_only = bool(_HTTP.intersection(protocols))

    def _path(self, key: str) -> str:
        key = check_key(key)
        return f"{self.root}/{key}" if self.root else key

    def _refuse_write(self, what: str) -> None:
        if self.read_only:
            raise StorageError(errno.EROFS, f"cannot {what} {self.url}: http(s) locations are "
                          "read-only")

    def local_path(self, key: str) -> None:
        check_key(key)
        return None

    def _fresh(self) -> None:
        """Forget fsspec's cached listings: another process may have written since, and s3fs
        answers ``info``/``exists`` from its listing cache when it has one."""
        self.fs.invalidate_cache()

    def _info_size(self, path: str) -> int | None:
        self._fresh()
        info = self.fs.info(path)
        if info.get("type", "file") != "file":
            raise FileNotFoundError(errno.ENOENT, "not an object", path)
        size = info.get("size")
        return size if isinstance(size, int) and not isinstance(size, bool) else None

    def size(self, key: str) -> int:
        path = self._path(key)
        size = self._info_size(path)
        if size is None:
            raise StorageError(errno.EIO,
                               f"{self.describe(key)}: the server does not tell the size")
        return size

    def read(self, key: str, *, limit: int) -> bytes:
        _check_limit(limit)
        path = self._path(key)
        where = f"at {self.describe(key)}"
        size = self._info_size(path)
        if size is not None:
            _limits.check("object size", size, limit, where=where)
        if size is None or self.read_only:
            # no announced size, or an HTTP server (which may not honour Range): stream, and
            # stop one byte past what may be accepted
            data = self._stream(path, (limit if size is None else size) + 1, None)
            _limits.check("object size", len(data), limit, where=where)
        elif size == 0:
            return b""
        else:
            # one byte more than the announced size: an object replaced by a longer one
            # between the two requests is noticed without downloading it
            data = bytes(self.fs.cat_file(path, start=0, end=size + 1))
        if size is not None and len(data) != size:
            raise ContainerError(f"{self.describe(key)} changed size while it was being read: "
                                 f"{size} bytes announced, {len(data)} received")
        return data

    def read_range(self, key: str, start: int, end: int) -> bytes:
        _check_range(start, end)
        path = self._path(key)
        if start == end:
            return b""
        try:
            if self.read_only:
                data = self._stream(path, end - start + 1, f"bytes={start}-{end - 1}")
            else:
                # keywords: s3fs's third positional parameter is version_id, not start
                data = bytes(self.fs.cat_file(path, start=start, end=end))
        except Exception as exc:
            # 416: the range starts past the end; the same failure as a short answer
            if _server_said(exc, 416, "InvalidRange"):
                raise ContainerError(f"range read of {self.describe(key)}: bytes {start} to "
                                     f"{end} are past the end of the object",
                                     offset=start) from exc
            raise
        return _range_answer(data, start, end, self.describe(key))

    def _stream(self, path: str, most: int, byte_range: str | None) -> bytes:
        """At most ``most`` bytes of one streamed GET (with a ``Range`` header if given).

        fsspec's HTTP ``cat_file`` buffers the whole response before returning it, so a server
        that ignores ``Range`` (Python's ``http.server`` does) would make a header read
        download the whole model. Streaming and closing the connection early bounds it."""
        kwargs: dict[str, Any] = {}
        if self.read_only:
            kwargs["block_size"] = 0  # HTTPStreamFile: one GET, no read-ahead
            if byte_range is not None:
                kwargs["headers"] = {"Range": byte_range}
        elif byte_range is not None:
            raise AssertionError("ranged streams are only used over http(s)")
        with self.fs.open(path, "rb", **kwargs) as f:
            return _read_at_most(f, most)

    def write(self, key: str, chunks: Iterable[bytes | memoryview]) -> None:
        self._refuse_write("write to")
        path = self._path(key)
        # one PUT (or one multipart upload, completed at once): all-or-nothing on the server
        self.fs.pipe_file(path, b"".join(chunks))

    def create(self, key: str, data: bytes) -> bool:
        self._refuse_write("create objects in")
        path = self._path(key)
        try:
            self.fs.pipe_file(path, data, mode="create")
        except FileExistsError:
            return False
        except OSError as exc:
            # s3fs raises FileExistsError for a 412 only when the server names the
            # If-None-Match condition in its answer; SeaweedFS does not, and s3fs then raises
            # OSError(EINVAL). EINVAL alone is not enough: s3fs uses it for many unrelated
            # errors, and taking one of them for "exists" would make a writer that moves on
            # to the next name loop forever.
            if _server_said(exc, 412, "PreconditionFailed"):
                return False
            raise
        return True

    def list(self, prefix: str = "") -> list[str]:
        if self.read_only:
            raise StorageError(errno.EOPNOTSUPP,
                          f"cannot list {self.url}: http(s) locations have no listing")
        prefix = _check_prefix(prefix)
        top = self._path(prefix) if prefix else self.root
        self._fresh()
        strip = f"{self.root}/" if self.root else ""
        below = f"{prefix}/" if prefix else ""
        keys = []
        for found in self.fs.find(top, withdirs=False):
            name = str(found) if self.root else str(found).lstrip("/")
            if name.startswith(strip):
                key = name[len(strip):]
                if key.startswith(below) and _is_key(key):
                    keys.append(key)
        return sorted(keys)

    def exists(self, key: str) -> bool:
        """Not ``fs.isfile``/``fs.exists``: they answer ``False`` to every exception, so a
        wrong credential or an unreachable server would look like a free key."""
        path = self._path(key)
        self._fresh()
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return False
        return bool(info.get("type", "file") == "file")


def _read_at_most(f: Any, most: int) -> bytes:
    """Up to ``most`` bytes of ``f``, fewer only at its end. (One ``read`` call is not enough:
    Linux returns at most 2 GiB per call, and a network stream returns what has arrived.)"""
    chunks = []
    remaining = most
    while remaining > 0:
        chunk = f.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(bytes(chunk))
        remaining -= len(chunk)
    return b"".join(chunks)


def _is_key(name: str) -> bool:
    try:
        check_key(name)
    except ValueError:
        return False
    return True


def _server_said(exc: BaseException, status: int, code: str) -> bool:
    """Whether the HTTP answer behind ``exc`` had ``status`` (or the S3 error ``code``).

    fsspec implementations translate HTTP errors into :class:`OSError` with an errno that
    often loses the status: s3fs gives EINVAL to a dozen unrelated S3 errors (412 and 416
    among them). The original answer is still reachable through ``__cause__``/``__context__``:
    botocore's ``ClientError.response``, or aiohttp's ``ClientResponseError.status``.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "status", None) == status:
            return True
        response = getattr(current, "response", None)
        if isinstance(response, Mapping):
            error = response.get("Error")
            if isinstance(error, Mapping) and error.get("Code") in (code, str(status)):
                return True
            meta = response.get("ResponseMetadata")
            if isinstance(meta, Mapping) and meta.get("HTTPStatusCode") == status:
                return True
        current = current.__cause__ or current.__context__
    return False


def _local_folder(location: str) -> str | None:
    """The folder that ``location`` names on this machine, or ``None`` if it is a URL for
    fsspec. ``file://`` URLs are local (host empty or ``localhost``); so is a plain path."""
    if not _URL.match(location):
        return location
    parts = urllib.parse.urlsplit(location)
    if parts.scheme.lower() != "file" or not location.lower().startswith("file://"):
        return None
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"file URL {location!r} names another host ({parts.netloc!r})")
    if parts.query or parts.fragment:
        raise ValueError(f"file URL {location!r} has a query or fragment")
    return urllib.parse.unquote(parts.path)


def open_backend(location: str | os.PathLike[str], *,
                 storage_options: Mapping[str, Any] | None = None) -> Backend:
    """The backend for a folder path, a ``file://`` URL, or any fsspec URL.

    ``storage_options`` go to the fsspec file system (credentials, ``client_kwargs``...).
    fsspec is imported only here, so that ``import paramseal`` does not pay for it; a missing
    fsspec or protocol package raises :class:`~paramseal.errors.MissingExtraError`.
    """
    if isinstance(location, os.PathLike):
        return LocalBackend(location)
    if not isinstance(location, str):
        raise TypeError(f"a storage location is a path or a URL, not {type(location).__name__}")
    folder = _local_folder(location)
    if folder is not None:
        if storage_options:
            raise ValueError("storage_options apply to URLs, not to local folders")
        return LocalBackend(folder, url=location)
    scheme = location.split(":", 1)[0].lower()
    try:
        import fsspec.core
    except ImportError as exc:
        raise MissingExtraError(
            f"{scheme}:// locations need fsspec: pip install 'paramseal[remote]'") from exc
    try:
        fs, root = fsspec.core.url_to_fs(location, **dict(storage_options or {}))
    except ImportError as exc:
        raise MissingExtraError(
            f"{scheme}:// locations need the fsspec implementation of {scheme}, which is not "
            f"installed ({exc}): pip install 'paramseal[remote]' covers s3://; other "
            "protocols need their own package (gcsfs, adlfs)") from exc
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return LocalBackend(root, url=location)
    return FsspecBackend(fs, root, url=location)
