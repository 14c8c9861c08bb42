"""Throughput and peak memory of paramseal's age v1 implementation (src/paramseal/_age.py).

Usage (from the repository root)::

    .venv/bin/python bench/age_throughput.py            # 256 MiB, best of 3
    .venv/bin/python bench/age_throughput.py --mib 64 --repeat 5

Reports, for one X25519 recipient:

- ``encrypt``: MB/s of ``_age.encrypt`` over a contiguous buffer, ciphertext pieces discarded
  (crypto and framing only), and with the pieces written to a file;
- ``decrypt``: MB/s of ``_age.decrypt_into`` over an mmap of the ciphertext file (the way a
  loader reads it), and of ``_age.decrypt_file_into`` (``preadv`` into one chunk buffer);
  plaintext allocated by the call;
- ``memory``: for each of the two, in a fresh child process that only opens (and mmaps) the file
  and decrypts it, the peak RSS (``VmHWM``) and its split into anonymous memory (the plaintext
  buffer) and file-backed pages (the touched ciphertext mapping, reclaimable page cache)
  relative to the state just before the call.

MB is 10^6 bytes; sizes are given in MiB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import mmap
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paramseal import _age


def _status() -> dict[str, int]:
    """VmHWM, VmRSS, RssAnon, RssFile of this process, in bytes (Linux)."""
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) * 1024
    return out


def _reset_peak() -> None:
    # Writing "5" to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def child(path: str, identity: str, mode: str) -> None:
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        view = memoryview(mm)
        _reset_peak()
        before = _status()
        start = time.perf_counter()
        if mode == "mmap":
            out = _age.decrypt_into(view, identities=[identity])
        else:
            out = _age.decrypt_file_into(f, identities=[identity])
        seconds = time.perf_counter() - start
        after = _status()
        result = {"plaintext": len(out), "seconds": seconds, "before": before, "after": after}
        del out
        view.release()
    print(json.dumps(result))


def _report(path: str, identity: str, mode: str, label: str) -> None:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", path, identity, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(proc.stdout)
    b, a = r["before"], r["after"]
    mib = 1024 * 1024
    anon = (a["RssAnon"] - b["RssAnon"]) / mib
    file_backed = (a["RssFile"] - b["RssFile"]) / mib
    print(
        f"fresh process, {label}: {r['plaintext'] / mib:.0f} MiB in {r['seconds']:.3f} s "
        f"({r['plaintext'] / r['seconds'] / 1e6:.0f} MB/s)"
    )
    print(
        f"  peak RSS {a['VmHWM'] / mib:.0f} MiB (before the call {b['VmRSS'] / mib:.0f} MiB); "
        f"rise {(a['VmHWM'] - b['VmRSS']) / mib:.0f} MiB = {anon:.1f} MiB anonymous "
        f"(plaintext + buffers) + {file_backed:.1f} MiB file-backed (mapped ciphertext pages, "
        f"reclaimable page cache)"
    )
    print(f"  anonymous rise / plaintext = {anon * mib / r['plaintext']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="plaintext size in MiB")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is shown")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    size = args.mib * 1024 * 1024
    data = os.urandom(size)
    identity, recipient = _age.generate_identity()
    print(
        f"plaintext {args.mib} MiB ({size / 1e6:.1f} MB), 1 X25519 recipient, "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )

    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        total = 0
        for piece in _age.encrypt([memoryview(data)], size, recipients=[recipient]):
            total += len(piece)
        best = min(best, time.perf_counter() - start)
    print(f"encrypt (discard output)  {size / best / 1e6:8.0f} MB/s   {best:.3f} s")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.age")
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            with open(path, "wb") as f:
                for piece in _age.encrypt([memoryview(data)], size, recipients=[recipient]):
                    f.write(piece)
            best = min(best, time.perf_counter() - start)
        print(f"encrypt (write to file)   {size / best / 1e6:8.0f} MB/s   {best:.3f} s")
        print(
            f"ciphertext {os.path.getsize(path)} bytes "
            f"(+{os.path.getsize(path) - size} over the plaintext)"
        )

        best = float("inf")
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            view = memoryview(mm)
            for _ in range(args.repeat):
                start = time.perf_counter()
                out = _age.decrypt_into(view, identities=[identity])
                best = min(best, time.perf_counter() - start)
                assert out == data
                del out
            view.release()
        print(f"decrypt (mmap -> buffer)  {size / best / 1e6:8.0f} MB/s   {best:.3f} s")
        del data

        best = float("inf")
        with open(path, "rb") as f:
            for _ in range(args.repeat):
                start = time.perf_counter()
                out = _age.decrypt_file_into(f, identities=[identity])
                best = min(best, time.perf_counter() - start)
                del out
        print(f"decrypt (file -> buffer)  {size / best / 1e6:8.0f} MB/s   {best:.3f} s")

        _report(path, identity, "mmap", "decrypt_into(mmap view)")
        _report(path, identity, "file", "decrypt_file_into(file)")


if __name__ == "__main__":
    main()
