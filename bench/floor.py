"""How fast could a paramseal load of a small model be? A no-checks floor against pickle.

Usage (from the repository root)::

    .venv/bin/python bench/floor.py                 # linreg and logreg, 101 samples each
    .venv/bin/python bench/floor.py --models linreg --samples 301

``bench/compare.py`` times every load after ``gc.collect()`` (the method of peers-results.md).
For models of a few kilobytes that method measures mostly cold CPU caches: whatever code a
loader touches first after a collection is slow, whatever it does. This script times, by the
same method and in one process:

- ``pickle``: ``pickle.load`` of the protocol-5 file;
- ``paramseal``: ``paramseal.load`` (every check of the spec);
- ``floor``: a loader that reads the same paramseal file with *no* validation at all: the
  prelude with ``struct``, header and schema with ``msgpack.unpackb``, the safetensors header with
  ``json.loads``, arrays with ``np.frombuffer``, the estimator through ``__new__`` and its
  ``__dict__``. It understands only the nodes these linear models use, and it is unsafe by
  construction: it exists to show what the format costs before any check runs.

If ``floor / pickle`` is above 1, no amount of tuning the checks brings paramseal under pickle
on that model by this method; the gap between ``paramseal`` and ``floor`` is the price of the
checks.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import models as bench_models  # bench/models.py
import msgpack
import numpy as np
import sklearn.linear_model

import paramseal

PRELUDE = struct.Struct("<8sHHIII")
DTYPES = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "I32": "<i4"}
ESTIMATORS = {
    "sklearn.linear_model.LinearRegression": sklearn.linear_model.LinearRegression,
    "sklearn.linear_model.LogisticRegression": sklearn.linear_model.LogisticRegression,
}


def floor_load(path: str) -> Any:
    """Rebuild a linear model from a paramseal file, trusting every byte (never do this)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, 1 << 24)
    finally:
        os.close(fd)
    _, _, _, header_len, sig_len, _ = PRELUDE.unpack_from(data, 0)
    header = msgpack.unpackb(data[PRELUDE.size:PRELUDE.size + header_len])
    data_start = (PRELUDE.size + header_len + sig_len + 63) & ~63
    sections = {s["name"]: (data_start + s["offset"], s["length"]) for s in header["sections"]}
    start, length = sections["schema"]
    schema = msgpack.unpackb(data[start:start + length])
    start, _ = sections["params"]
    (table_len,) = struct.unpack_from("<Q", data, start)
    table = json.loads(data[start + 8:start + 8 + table_len])
    base = start + 8 + table_len

    def node(value: Any) -> Any:
        if type(value) is not dict:
            return value
        tag = value["@"]
        if tag == "ndarray":
            info = table[str(value["tensor"])]
            lo, hi = info["data_offsets"]
            dtype = np.dtype(DTYPES[info["dtype"]])
            flat = np.frombuffer(data, dtype, (hi - lo) // dtype.itemsize, base + lo)
            if "strides" in value:  # column-major: stored transposed
                return flat.reshape(value["shape"][::-1]).T
            return flat.reshape(value["shape"])
        if tag == "scalar":
            return np.frombuffer(value["data"], value["dtype"])[0]
        raise ValueError(tag)

    root = schema["root"]
    model = ESTIMATORS[root["@"]].__new__(ESTIMATORS[root["@"]])
    model.__dict__.update(root["params"])
    model.__dict__.update({k: node(v) for k, v in root["state"].items()})
    return model


def median_cold_us(fn: Callable[[], Any], samples: int) -> float:
    times = []
    fn()
    for _ in range(samples):
        gc.collect()
        t0 = time.perf_counter()
        obj = fn()
        times.append(time.perf_counter() - t0)
        del obj
    return statistics.median(times) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="linreg,logreg")
    parser.add_argument("--samples", type=int, default=101)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            fitted = bench_models.get(name)
            pkl, pseal = Path(tmp, f"{name}.pkl"), Path(tmp, f"{name}.pseal")
            pkl.write_bytes(pickle.dumps(fitted.model, protocol=5))
            paramseal.dump(fitted.model, pseal)
            X = fitted.X_test
            floor_model = floor_load(str(pseal))
            if not np.array_equal(floor_model.predict(X), fitted.model.predict(X)):
                raise SystemExit(f"{name}: the floor loader rebuilt a different model")

            def load_pickle(path: Path = pkl) -> Any:
                with open(path, "rb") as f:
                    return pickle.load(f)

            # Interleave the three so that drift in machine state hits them alike.
            timings: dict[str, list[float]] = {"pickle": [], "floor": [], "paramseal": []}
            loaders: dict[str, Callable[[], Any]] = {
                "pickle": load_pickle,
                "floor": lambda p=str(pseal): floor_load(p),
                "paramseal": lambda p=pseal: paramseal.load(p),
            }
            for _ in range(5):
                for label, fn in loaders.items():
                    timings[label].append(median_cold_us(fn, max(1, args.samples // 5)))
            med = {k: statistics.median(v) for k, v in timings.items()}
            rows.append((name, med))
    print("| model | pickle µs | floor µs | paramseal µs | floor / pickle | paramseal / pickle |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, med in rows:
        print(f"| {name} | {med['pickle']:.0f} | {med['floor']:.0f} | {med['paramseal']:.0f} | "
              f"{med['floor'] / med['pickle']:.2f} | {med['paramseal'] / med['pickle']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
