"""The cost of verifying: paramseal.load with a trust policy against without, in one run.

Usage (from the repository root)::

    .venv/bin/python bench/verified.py                      # rf, knn, hgb, tfidf_lr
    .venv/bin/python bench/verified.py --models rf --samples 9

For each model: the file is dumped signed with a fresh Ed25519 key, then loaded by path,
round-robin, ``--samples`` times each (after a warm-up that also puts the file in the page
cache, ``gc.collect()`` before each sample, as in compare.py):

- ``unverified``: ``paramseal.load(path)`` (well-formedness and every validator, no digests);
- ``verified``: ``paramseal.load(path, policy=...)``: the signature over the header, then the
  digest of every section (chunked SHA-256, pieces hashed on every core), then the same load;
- ``sha256 only``: the section digests alone, for reference.

It prints medians and the verified / unverified ratio, and the machine's single-core SHA-256
throughput, which bounds what verification can cost.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import models as bench_models  # bench/models.py

import paramseal
from paramseal import _container, _digest, _io
from paramseal import limits as _limits


def _sample_ms(fn: Callable[[], Any], samples: list[float]) -> None:
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    samples.append((time.perf_counter() - t0) * 1e3)
    del result


def _digests_only(path: Path) -> None:
    buffer = _io.read_buffer(path, use_mmap=True, limits=_limits.DEFAULT)
    container = _container.parse(buffer)
    for section in container.header.sections:
        _digest.section_digest(container.sections[section.name])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="rf,knn,hgb,tfidf_lr")
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args(argv)
    data = os.urandom(256 << 20)
    t0 = time.perf_counter()
    hashlib.sha256(data).digest()
    throughput = 256 / 1.048576 / (time.perf_counter() - t0)
    del data
    key = paramseal.PrivateKey.generate()
    policy = paramseal.Policy.from_keys([key.public_key])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            model = bench_models.get(name).model
            path = Path(tmp, f"{name}.paramseal")
            paramseal.dump(model, path, sign=key)
            del model
            tasks: dict[str, Callable[[], Any]] = {
                "unverified": lambda p=path: paramseal.load(p),
                "verified": lambda p=path: paramseal.load(p, policy=policy),
                "sha256 only": lambda p=path: _digests_only(p),
            }
            times: dict[str, list[float]] = {label: [] for label in tasks}
            for fn in tasks.values():
                fn()  # warm-up
            for _ in range(args.samples):
                for label, fn in tasks.items():
                    _sample_ms(fn, times[label])
            med = {label: statistics.median(v) for label, v in times.items()}
            rows.append((name, path.stat().st_size, med))
    print(f"SHA-256 on one core: {throughput:,.0f} MB/s; cores: {os.cpu_count()}\n")
    print("| model | file MB | unverified ms | verified ms | digests alone ms | verified / "
          "unverified |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, size, med in rows:
        print(f"| {name} | {size / 1e6:.1f} | {med['unverified']:.2f} | {med['verified']:.2f} | "
              f"{med['sha256 only']:.2f} | {med['verified'] / med['unverified']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
