"""Loading from a model store: S3 against local disk, a cache hit, and ``load_many``.

Usage (from the repository root; needs the test extra for the SeaweedFS server and s3fs)::

    .venv/bin/python bench/store.py                 # rf (195 MB) and knn (90 MB); 20 x hgb
    .venv/bin/python bench/store.py --models knn --samples 3 --many 20

One run starts a SeaweedFS S3 server on 127.0.0.1 (tests/s3server.py), pushes each model to a
store on it and to a store in a local folder, and times, as medians of ``--samples`` runs with
``gc.collect()`` before each:

- ``paramseal.load`` of the local file, and of the same file at an ``s3://`` URL (signed part
  first, then the body in 16 MiB ranges); pickle of the same model read locally and fetched
  from S3 (``fs.cat_file`` + ``pickle.loads``), for scale;
- ``Store.pull`` with a trust policy from the local store, from the S3 store, and a second
  pull of the same version through a memory :class:`paramseal.Cache` (no I/O);
- ``paramseal.load_many`` of ``--many`` different small models from S3 URLs with
  ``max_workers=8``, against a sequential loop of ``paramseal.load`` over the same URLs (and
  the same from local paths).

The server and the client share this machine's 2 cores: S3 numbers include the server's
work, and are a lower bound on what a network adds.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import models as bench_models  # bench/models.py
import numpy as np

import paramseal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import s3server  # noqa: E402  (tests/s3server.py: starts SeaweedFS)


def _median(fn: Callable[[], Any], samples: int) -> float:
    times = []
    for _ in range(samples):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _row(label: str, seconds: float, base: float | None) -> str:
    ratio = f"{seconds / base:6.2f}x" if base else "      "
    return f"| {label:<52} | {seconds * 1000:10.1f} | {ratio} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="rf,knn")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--many", type=int, default=20)
    args = parser.parse_args()
    os.environ.update(s3server.CLIENT_ENV)
    work = Path(tempfile.mkdtemp(prefix="paramseal-bench-store-"))
    (work / "seaweedfs").mkdir()
    proc, server = s3server.start(work / "seaweedfs")
    try:
        _run(args, server, work)
    finally:
        s3server.stop(proc)


def _bench_model(name: str, args: argparse.Namespace, server: Any, fs: Any, work: Path,
                 key: Any, policy: Any, prefix: str) -> None:
    options = server.storage_options
    fitted = bench_models.get(name)
    model = fitted.model
    local = work / f"{name}.paramseal"
    paramseal.dump(model, local, sign=key)
    size = local.stat().st_size
    url = server.url(prefix, f"{name}.paramseal")
    fs.pipe_file(url.removeprefix("s3://"), local.read_bytes())
    pickled = pickle.dumps(model, protocol=5)
    pickle_local = work / f"{name}.pkl"
    pickle_local.write_bytes(pickled)
    fs.pipe_file(url.removeprefix("s3://") + ".pkl", pickled)

    local_store = paramseal.Store(work / "store", key=key, state=work / "s1.json")
    s3_store = paramseal.Store(server.url(prefix, "store"), key=key,
                               state=work / "s2.json", storage_options=options)
    local_store.push(local, name)
    s3_store.push(local, name)
    cached = paramseal.Store(server.url(prefix, "store"), state=work / "s3.json",
                             storage_options=options,
                             cache=paramseal.Cache(max_bytes=2 * size + (64 << 20)))
    cached.pull(name, 1, policy=policy)  # fills the cache

    def read_pickle_s3(path: str = url.removeprefix("s3://") + ".pkl") -> Any:
        return pickle.loads(fs.cat_file(path))

    base = _median(lambda: paramseal.load(local), args.samples)
    print(f"| **{name}**, {size / 1e6:,.1f} MB | | |")
    print(_row("paramseal.load, local file", base, base))
    print(_row("paramseal.load, s3:// URL", _median(
        lambda: paramseal.load(url, storage_options=options), args.samples), base))
    print(_row("paramseal.load, s3:// URL, with policy", _median(
        lambda: paramseal.load(url, policy=policy, storage_options=options),
        args.samples), base))
    print(_row("Store.pull with policy, local folder", _median(
        lambda: local_store.pull(name, 1, policy=policy), args.samples), base))
    print(_row("Store.pull with policy, S3", _median(
        lambda: s3_store.pull(name, 1, policy=policy), args.samples), base))
    print(_row("Store.pull with policy, S3, cache hit", _median(
        lambda: cached.pull(name, 1, policy=policy), args.samples), base))
    print(_row("pickle.load, local file", _median(
        lambda: pickle.loads(pickle_local.read_bytes()), args.samples), base))
    print(_row("pickle.loads, fetched from S3", _median(read_pickle_s3, args.samples), base))
    del model, fitted
    gc.collect()


def _run(args: argparse.Namespace, server: Any, work: Path) -> None:
    import fsspec.core

    options = server.storage_options
    fs, _ = fsspec.core.url_to_fs(server.url(), **options)
    key = paramseal.PrivateKey.generate()
    policy = paramseal.Policy.from_keys([key.public_key])
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    print(f"SeaweedFS on {server.endpoint_url}; {args.samples} samples per cell (median)\n")
    print("| case | ms | vs local load |")
    print("|---|---:|---:|")
    for name in args.models.split(","):
        _bench_model(name, args, server, fs, work, key, policy, prefix)
        gc.collect()

    # load_many: --many different small models
    fitted = bench_models.get("hgb")
    urls, paths = [], []
    for i in range(args.many):
        path = work / f"many-{i}.paramseal"
        fitted.model.set_params(learning_rate=0.1 + i / 1000)  # distinct files
        paramseal.dump(fitted.model, path)
        paths.append(path)
        url = server.url(prefix, "many", path.name)
        fs.pipe_file(url.removeprefix("s3://"), path.read_bytes())
        urls.append(url)
    sizes = sum(p.stat().st_size for p in paths)
    print(f"| **load_many**, {args.many} x hgb, {sizes / 1e6:,.1f} MB in all | | vs loop |")
    for label, sources, opts in (("local", paths, {}), ("S3", urls, {"storage_options": options})):
        loop = _median(lambda s=sources, o=opts: [paramseal.load(x, **o) for x in s],
                       args.samples)
        many = _median(lambda s=sources, o=opts: paramseal.load_many(s, max_workers=8, **o),
                       args.samples)
        print(_row(f"sequential loop of paramseal.load, {label}", loop, loop))
        print(_row(f"paramseal.load_many(max_workers=8), {label}", many, loop))
    check = paramseal.load_many(urls[:2], storage_options=options)
    assert np.isclose(check[1].learning_rate, 0.101)


if __name__ == "__main__":
    main()
