"""Compressed paramseal files (spec/format.md §5.4) against raw paramseal, joblib and pickle.

Usage (from the repository root)::

    .venv/bin/python bench/compression.py                  # the eight peer models
    .venv/bin/python bench/compression.py --models rf,knn

For each model of bench/models.py: the file size of paramseal (raw), paramseal with
``compress=True`` (zstd level 3 per tensor, raw where it saves < 10 %), joblib ``compress=3``
(zlib level 3, joblib's meaning of 3) and pickle protocol 5; then the load time of the raw and
the compressed paramseal file, by path, median of 7 samples after a warm-up (5 / 3 / 1 for
slower loads, as in bench/compare.py), ``gc.collect()`` before each sample. Every compressed
load is checked to give the same predictions as the original. Printed as a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import models as bench_models  # bench/models.py (the script's folder is on sys.path)
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import paramseal  # noqa: E402


def _samples(warmup_s: float) -> int:
    return 7 if warmup_s < 1 else 5 if warmup_s < 4 else 3 if warmup_s < 15 else 0


def median_ms(task: Callable[[], Any]) -> float:
    """Median wall time of ``task`` in ms: a warm-up, then up to 7 samples, gc before each."""
    gc.collect()
    t0 = time.perf_counter()
    result = task()
    warmup = time.perf_counter() - t0
    del result
    times = [warmup]
    for _ in range(_samples(warmup)):
        gc.collect()
        t0 = time.perf_counter()
        result = task()
        elapsed = time.perf_counter() - t0
        del result
        times.append(elapsed)
    if len(times) > 1:
        times = times[1:]
    return statistics.median(times) * 1000


def _predictions(model: Any, X: Any) -> Any:
    for name in ("predict_proba", "predict", "transform"):
        method = getattr(model, name, None)
        if method is not None:
            return np.asarray(method(X))
    raise AssertionError(f"{type(model).__name__} has no inference method")


def run(name: str, folder: Path) -> dict[str, Any]:
    fitted = bench_models.get(name)
    model = fitted.model
    raw_path, z_path = folder / f"{name}.paramseal", folder / f"{name}.z.paramseal"
    jl_path, pk_path = folder / f"{name}.joblib", folder / f"{name}.pkl"
    paramseal.dump(model, raw_path)
    paramseal.dump(model, z_path, compress=True)
    joblib.dump(model, jl_path, compress=3)
    with open(pk_path, "wb") as f:
        pickle.dump(model, f, protocol=5)
    loaded = paramseal.load(z_path)
    expected, got = _predictions(model, fitted.X_test), _predictions(loaded, fitted.X_test)
    assert expected.tobytes() == got.tobytes(), f"{name}: compressed load changed outputs"
    del loaded
    return {
        "model": name,
        "raw": raw_path.stat().st_size,
        "zstd": z_path.stat().st_size,
        "joblib": jl_path.stat().st_size,
        "pickle": pk_path.stat().st_size,
        "version": paramseal.inspect(z_path).format_version,
        "load_raw": median_ms(lambda: paramseal.load(raw_path)),
        "load_zstd": median_ms(lambda: paramseal.load(z_path)),
    }


def _mb(n: int) -> str:
    return f"{n / 1e6:.3f}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| model | paramseal raw MB | paramseal zstd MB | joblib c=3 MB | pickle MB "
        "| raw / zstd | zstd / joblib | format | load raw ms | load zstd ms | zstd / raw load |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {_mb(r['raw'])} | {_mb(r['zstd'])} | {_mb(r['joblib'])} "
            f"| {_mb(r['pickle'])} | {r['raw'] / r['zstd']:.2f} | {r['zstd'] / r['joblib']:.2f} "
            f"| {r['version']} | {r['load_raw']:.2f} | {r['load_zstd']:.2f} "
            f"| {r['load_zstd'] / r['load_raw']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(bench_models.NAMES))
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="paramseal-compression-") as tmp:
        for name in args.models.split(","):
            rows.append(run(name, Path(tmp)))
            print(f"# {name} done", file=sys.stderr, flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
