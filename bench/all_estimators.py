"""Dump + load time over every scikit-learn estimator: paramseal vs pickle vs skops, one run.

Usage (from the repository root)::

    .venv/bin/python bench/all_estimators.py                 # every coverage configuration
    .venv/bin/python bench/all_estimators.py --repeat 5 --out /tmp/b

The configurations are those of ``paramseal.sklearn.coverage`` (the instances scikit-learn's
common tests build for every class of ``all_estimators()``, plus meta-estimator variants),
each fitted once on its small test data. For each configuration and format: the median over
``--repeat`` runs of dumping to bytes and loading those bytes back (``gc.collect()`` before
each, as in compare.py), in memory, so the file system does not enter. skops loads with
``trusted=get_untrusted_types(data=...)``, computed outside the timing.

These models are small (kilobytes), so the totals measure per-object overhead: how fast a
format walks an estimator graph. Totals are over the configurations that all three formats
handled; the others are listed. Results go to ``<out>/all_estimators.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramseal
from paramseal.sklearn import coverage

HERE = Path(__file__).resolve().parent
FORMATS = ("pickle", "skops", "paramseal")


def _dumps(name: str) -> Callable[[Any], bytes]:
    if name == "pickle":
        return lambda obj: pickle.dumps(obj, protocol=5)
    if name == "skops":
        import skops.io as sio

        return sio.dumps
    return paramseal.dumps


def _loader(name: str, data: bytes) -> Callable[[], Any]:
    """A no-argument load of ``data``; skops' trusted types are computed here, untimed."""
    if name == "pickle":
        return lambda: pickle.loads(data)
    if name == "skops":
        import skops.io as sio

        trusted = sio.get_untrusted_types(data=data)
        return lambda: sio.loads(data, trusted=trusted)
    return lambda: paramseal.loads(data)


def _median_s(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        del result
    return statistics.median(times)


def measure(estimator: Any, repeat: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in FORMATS:
        dumps = _dumps(name)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = dumps(estimator)
                load = _loader(name, data)
                load()  # warm-up; a failure here is the format's failure
                dump_s = _median_s(lambda d=dumps: d(estimator), repeat)
                load_s = _median_s(load, repeat)
        except Exception as exc:  # a format that cannot handle the model: reported
            row[name] = {"fail": f"{type(exc).__name__}: {str(exc)[:200]}"}
            continue
        row[name] = {"dump_s": dump_s, "load_s": load_s, "bytes": len(data)}
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    rows: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for case in coverage.cases():
        try:
            estimator, _ = coverage.fit(case)
        except Exception as exc:  # the harness's problem, reported
            rows[case.id] = {"unfittable": f"{type(exc).__name__}: {exc}"}
            continue
        rows[case.id] = measure(estimator, args.repeat)
    common = [k for k, r in rows.items() if all("dump_s" in r.get(f, {}) for f in FORMATS)]
    totals = {f: {"dump_s": sum(rows[k][f]["dump_s"] for k in common),
                  "load_s": sum(rows[k][f]["load_s"] for k in common),
                  "bytes": sum(rows[k][f]["bytes"] for k in common)} for f in FORMATS}
    failures = {f: sorted(k for k, r in rows.items() if "fail" in r.get(f, {}))
                for f in FORMATS}
    lines = [
        f"# All estimators: {len(rows)} configurations, {len(common)} handled by all three "
        f"formats (median of {args.repeat}; {time.perf_counter() - start:.0f} s)",
        "",
        "| format | dump total ms | load total ms | dump+load ms | size KB | failed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for f in FORMATS:
        t = totals[f]
        lines.append(f"| {f} | {t['dump_s'] * 1e3:.1f} | {t['load_s'] * 1e3:.1f} | "
                     f"{(t['dump_s'] + t['load_s']) * 1e3:.1f} | {t['bytes'] / 1e3:.0f} | "
                     f"{len(failures[f])} |")
    def both(f: str) -> float:
        return float(totals[f]["dump_s"] + totals[f]["load_s"])

    def load_s(f: str) -> float:
        return float(totals[f]["load_s"])

    lines += [
        "",
        f"- skops / paramseal: dump+load {both('skops') / both('paramseal'):.1f}x, "
        f"load {load_s('skops') / load_s('paramseal'):.1f}x",
        f"- paramseal / pickle: dump+load {both('paramseal') / both('pickle'):.2f}x, "
        f"load {load_s('paramseal') / load_s('pickle'):.2f}x",
    ]
    for f in FORMATS:
        if failures[f]:
            lines.append(f"- {f} failed on: {', '.join(failures[f])}")
    text = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "all_estimators.md").write_text(text + "\n")
    (args.out / "all_estimators.json").write_text(
        json.dumps({"rows": rows, "totals": totals, "common": common}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
