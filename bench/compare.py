"""paramseal against pickle (protocol 5), joblib and skops on the eight models of peers-results.

Usage (from the repository root)::

    .venv/bin/python bench/compare.py                      # full run, about 10 minutes
    .venv/bin/python bench/compare.py --quick              # smoke run, fewer samples
    .venv/bin/python bench/compare.py --models rf,knn --out /tmp/bench

For each model and format: dump ms and load ms (medians, in process), file size, the peak RSS of
one load in a fresh process, and whether the loaded model's outputs equal the original's. Then
the ratios and the PASS/FAIL of paramseal's targets. Results go to ``<out>/compare.json`` and
``<out>/compare.md`` (``compare-quick.*`` with ``--quick``); the markdown is also printed.

Method (as in shared/research/peers-results.md, "Method" and "Peak memory"):

- ``time.perf_counter`` wall clock, ``gc.collect()`` before every sample, the loaded object is
  freed after the clock stops. Dumps, then loads, run round-robin across the formats of one
  model; the first call of each task is a warm-up (for loads it also puts the file in the page
  cache: every load reads a warm file, by path). Samples after the warm-up: 7 if the warm-up took
  <1 s, 5 if <4 s, 3 if <15 s, else the warm-up is the only sample (``n=1`` in the tables).
  ``--quick``: 3 if <1 s, 1 if <4 s, else the warm-up alone.
- skops loads with ``trusted=get_untrusted_types(file=path)``, computed once outside the timing.
- Peak memory: a fresh interpreter per measurement imports every library and every module the
  model's classes live in, builds paramseal's registry, runs ``gc.collect()``, resets the RSS
  high-water mark (``/proc/self/clear_refs`` <- "5") and loads the file once; ``peak`` is VmHWM
  after the load minus VmHWM before it, ``kept`` the same for VmRSS. Median of 3 runs (1 with
  ``--quick``). A fresh-process load also probes for crashes before the in-process loads: a
  format whose child process dies is reported as failed and not loaded in this process.
- Failures never stop the run: a format that cannot dump or load a model gets
  ``fail: <ExceptionName>`` in its cells and the message under "Failures".
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import io
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import models as bench_models  # bench/models.py (the script's folder is on sys.path)
import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results"

FORMATS = ("pickle", "joblib", "skops", "paramseal")

#: Load time of paramseal over pickle's, per model.
LOAD_TARGET = {"linreg": 1.0, "logreg": 1.0, "knn": 1.0, "mlp": 1.0,
               "rf": 1.5, "hgb": 1.5, "tfidf_lr": 1.5, "pipe": 1.5}
#: skops load time over paramseal's, at least.
SKOPS_SPEEDUP = 5.0
#: File size of paramseal over pickle's, at most.
SIZE_TARGET = 1.05
#: Peak load memory of paramseal over pickle's, at most, with an absolute allowance: RSS moves
#: by whole pages and malloc/obmalloc blocks (an obmalloc arena is 1 MiB), so peaks below about
#: 1 MB are allocator noise rather than data (linreg, logreg).
MEM_TARGET = 1.0
MEM_SLACK_MB = 1.0

NA = "\N{EN DASH}"  # an empty table cell
METHODS = ("predict", "predict_proba", "decision_function")
ERROR_CHARS = 400


# -- formats ------------------------------------------------------------------------------------


def _pickle_dump(obj: Any, path: str) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=5)


def _pickle_load(path: str, ctx: Any) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


def _joblib_dump(obj: Any, path: str) -> None:
    import joblib

    joblib.dump(obj, path)


def _joblib_load(path: str, ctx: Any) -> Any:
    import joblib

    return joblib.load(path)


def _skops_dump(obj: Any, path: str) -> None:
    import skops.io

    skops.io.dump(obj, path)


def _skops_prepare(path: str) -> Any:
    import skops.io

    return skops.io.get_untrusted_types(file=path)


def _skops_load(path: str, ctx: Any) -> Any:
    import skops.io

    return skops.io.load(path, trusted=ctx)


def _paramseal_dump(obj: Any, path: str) -> None:
    import paramseal

    paramseal.dump(obj, path)


def _paramseal_load(path: str, ctx: Any) -> Any:
    import paramseal

    return paramseal.load(path)


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    dump: Callable[[Any, str], None]
    load: Callable[[str, Any], Any]
    prepare: Callable[[str], Any] | None = None


FORMAT_DEFS = {
    "pickle": Format("pickle", ".pkl", _pickle_dump, _pickle_load),
    "joblib": Format("joblib", ".joblib", _joblib_dump, _joblib_load),
    "skops": Format("skops", ".skops", _skops_dump, _skops_load, _skops_prepare),
    "paramseal": Format("paramseal", ".paramseal", _paramseal_dump, _paramseal_load),
}


# -- the fresh-process load (peak memory) -------------------------------------------------------

CHILD = r"""
import gc, importlib, json, resource, sys, time

def status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out

fmt, path, ctx_file, modules_file = sys.argv[1:5]
import pickle, numpy, scipy, sklearn, joblib, skops.io, paramseal
from paramseal.registry import default_registry
try:
    import pandas
except ImportError:
    pass
with open(modules_file) as f:
    for name in json.load(f):
        try:
            importlib.import_module(name)
        except Exception:
            pass
default_registry()
with open(ctx_file) as f:
    ctx = json.load(f)

if fmt == "pickle":
    def load():
        with open(path, "rb") as f:
            return pickle.load(f)
elif fmt == "joblib":
    def load():
        return joblib.load(path)
elif fmt == "skops":
    def load():
        return skops.io.load(path, trusted=ctx)
else:
    def load():
        return paramseal.load(path)

gc.collect()
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    hwm = "VmHWM after clear_refs"
except OSError:
    hwm = "ru_maxrss"
before = status()
ru_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
try:
    obj = load()
except BaseException as e:
    print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"[:400],
                      "error_type": type(e).__name__}))
    sys.exit(0)
t1 = time.perf_counter()
after = status()
ru_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if hwm == "ru_maxrss":
    peak = ru_after - ru_before
else:
    peak = after["VmHWM"] - before["VmHWM"]
print(json.dumps({"ok": True, "peak_kb": peak, "kept_kb": after["VmRSS"] - before["VmRSS"],
                  "ru_maxrss_delta_kb": ru_after - ru_before, "ms": (t1 - t0) * 1e3,
                  "hwm": hwm}))
"""


class _Sink:
    def write(self, b: Any) -> int:
        return len(memoryview(b))


class _ModuleLister(pickle.Pickler):
    """Walks the object graph as pickle does and notes the module of every class and function."""

    def __init__(self, modules: set[str]) -> None:
        super().__init__(_Sink(), protocol=5)
        self.modules = modules

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            module = getattr(obj, "__module__", None)
        else:
            module = type(obj).__module__
        if isinstance(module, str):
            self.modules.add(module)
        return NotImplemented


def referenced_modules(obj: Any) -> list[str]:
    modules: set[str] = set()
    _ModuleLister(modules).dump(obj)
    return sorted(modules - {"builtins"})


def fresh_load(fmt: str, path: str, ctx_file: str, modules_file: str,
               timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-c", CHILD, fmt, path, ctx_file, modules_file]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"fresh-process load timed out after {timeout:.0f} s",
                "error_type": "Timeout"}
    if proc.returncode != 0:
        kind = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
                else f"exit status {proc.returncode}")
        tail = proc.stderr.strip().splitlines()[-3:]
        error = f"fresh-process load {kind}: {' | '.join(tail)}"
        return {"ok": False, "error": error[:ERROR_CHARS],
                "error_type": "crash" if proc.returncode < 0 else f"exit {proc.returncode}"}
    try:
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        return {"ok": False, "error": f"unreadable child output: {proc.stdout[-200:]!r}",
                "error_type": "bad output"}


# -- timing -------------------------------------------------------------------------------------


def n_samples(warm_s: float, quick: bool) -> int:
    """Samples after the warm-up; 0 means the warm-up is the only sample."""
    if quick:
        return 3 if warm_s < 1 else 1 if warm_s < 4 else 0
    return 7 if warm_s < 1 else 5 if warm_s < 4 else 3 if warm_s < 15 else 0


def describe_error(e: BaseException) -> dict[str, str]:
    return {"error_type": type(e).__name__, "error": f"{type(e).__name__}: {e}"[:ERROR_CHARS]}


def round_robin(names: Sequence[str], task: Callable[[str], Any],
                quick: bool) -> dict[str, dict[str, Any]]:
    """Warm-up, then samples round-robin across ``names``; a failure ends that name's samples."""
    out: dict[str, dict[str, Any]] = {}
    todo: dict[str, int] = {}
    for name in names:
        gc.collect()
        t0 = time.perf_counter()
        try:
            result = task(name)
        except Exception as e:
            out[name] = describe_error(e)
            continue
        warm = time.perf_counter() - t0
        del result
        out[name] = {"warmup_ms": warm * 1e3, "samples_ms": []}
        todo[name] = n_samples(warm, quick)
    for i in range(max(todo.values(), default=0)):
        for name, n in todo.items():
            if i >= n or "error" in out[name]:
                continue
            gc.collect()
            t0 = time.perf_counter()
            try:
                result = task(name)
            except Exception as e:
                out[name].update(describe_error(e))
                continue
            elapsed = time.perf_counter() - t0
            del result
            out[name]["samples_ms"].append(elapsed * 1e3)
    for cell in out.values():
        if "error" in cell:
            continue
        if not cell["samples_ms"]:
            cell["samples_ms"] = [cell["warmup_ms"]]
        cell["n"] = len(cell["samples_ms"])
        cell["median_ms"] = statistics.median(cell["samples_ms"])
    return out


# -- outputs check ------------------------------------------------------------------------------


def outputs(model: Any, X: Any) -> dict[str, Any]:
    return {m: getattr(model, m)(X) for m in METHODS if hasattr(model, m)}


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    try:
        return bool(np.array_equal(a, b, equal_nan=True))
    except TypeError:
        return bool(np.array_equal(a, b))


def check_outputs(loaded: Any, X: Any, expected: dict[str, Any]) -> str:
    got = outputs(loaded, X)
    if set(got) != set(expected):
        return f"differ: methods {sorted(got)} vs {sorted(expected)}"
    bad = [m for m in expected if not _same(got[m], expected[m])]
    return "equal" if not bad else "differ: " + ", ".join(bad)


# -- one model ----------------------------------------------------------------------------------


def bench_model(fitted: bench_models.Fitted, fmts: Sequence[str], work: Path, quick: bool,
                mem_runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    model = fitted.model
    defs = {f: FORMAT_DEFS[f] for f in fmts}
    paths = {f: str(work / f"{fitted.name}{d.suffix}") for f, d in defs.items()}
    res: dict[str, dict[str, Any]] = {f: {} for f in fmts}

    def failed(f: str) -> str | None:
        cell = res[f]
        for key in ("dump", "prepare", "load"):
            if key in cell and "error" in cell[key]:
                return str(cell[key]["error_type"])
        return None

    # 1. dumps
    dumps = round_robin(fmts, lambda f: defs[f].dump(model, paths[f]), quick)
    for f in fmts:
        res[f]["dump"] = dumps[f]
        if "error" not in dumps[f]:
            res[f]["size_bytes"] = os.path.getsize(paths[f])
    log("dump " + _progress(dumps))

    # 2. what the loads need, outside the timing (skops' trusted list)
    ctx: dict[str, Any] = {}
    for f, d in defs.items():
        if failed(f) or d.prepare is None:
            ctx[f] = None
            continue
        try:
            ctx[f] = d.prepare(paths[f])
        except Exception as e:
            res[f]["prepare"] = describe_error(e)
        else:
            res[f]["prepare"] = {"trusted": list(ctx[f])}

    # 3. fresh-process loads: peak memory, and a crash probe before loading in this process
    modules_file = work / "modules.json"
    modules_file.write_text(json.dumps(referenced_modules(model)))
    for f in fmts:
        if failed(f) or mem_runs <= 0:
            continue
        ctx_file = work / f"{f}.ctx.json"
        ctx_file.write_text(json.dumps(ctx.get(f)))
        runs = []
        for _ in range(mem_runs):
            run = fresh_load(f, paths[f], str(ctx_file), str(modules_file), timeout=600)
            runs.append(run)
            if not run.get("ok"):
                break
        bad = [r for r in runs if not r.get("ok")]
        if bad:
            res[f]["load"] = {"error": bad[0]["error"], "error_type": bad[0]["error_type"],
                              "where": "fresh process"}
            continue
        res[f]["mem"] = {
            "runs": runs,
            "peak_mb": statistics.median(r["peak_kb"] for r in runs) * 1024 / 1e6,
            "kept_mb": statistics.median(r["kept_kb"] for r in runs) * 1024 / 1e6,
            "ms_median": statistics.median(r["ms"] for r in runs),
            "ms_min": min(r["ms"] for r in runs),
            "ms_max": max(r["ms"] for r in runs),
            "hwm": runs[0]["hwm"],
        }
    log("fresh " + " ".join(
        f"{f}={res[f]['mem']['peak_mb']:.1f}MB" if "mem" in res[f] else f"{f}=fail"
        for f in fmts))

    # 4. in-process loads
    alive = [f for f in fmts if not failed(f)]
    loads = round_robin(alive, lambda f: defs[f].load(paths[f], ctx[f]), quick)
    for f in alive:
        res[f]["load"] = loads[f]
    log("load " + _progress(loads))

    # 5. outputs of the loaded model against the original's
    expected = outputs(model, fitted.X_test)
    for f in fmts:
        if failed(f):
            continue
        try:
            loaded = defs[f].load(paths[f], ctx[f])
            res[f]["verify"] = check_outputs(loaded, fitted.X_test, expected)
            del loaded
        except Exception as e:
            res[f]["verify"] = "fail: " + type(e).__name__
            res[f]["verify_error"] = describe_error(e)["error"]
    log("verify " + " ".join(f"{f}={res[f].get('verify', '-')}" for f in fmts))

    for p in paths.values():
        with contextlib.suppress(OSError):
            os.remove(p)
    return {"details": fitted.details, "fit_s": fitted.fit_s, "fit_cached": fitted.cached,
            "checked_methods": sorted(expected), "formats": res}


def _progress(cells: dict[str, dict[str, Any]]) -> str:
    return " ".join(f"{f}=" + (f"{c['median_ms']:.3g}ms" if "median_ms" in c
                               else f"fail:{c['error_type']}") for f, c in cells.items())


# -- report -------------------------------------------------------------------------------------


def num(x: float) -> str:
    """Three significant digits, thousands separated (as in peers-results)."""
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _fail_cell(cell: dict[str, Any]) -> str | None:
    for key in ("dump", "prepare", "load"):
        if key in cell and "error" in cell[key]:
            return "fail: " + str(cell[key]["error_type"])
    return None


def _table(header: str, names: Sequence[str], rows: list[tuple[str, list[str]]],
           right: bool = True) -> list[str]:
    align = "---:" if right else "---"
    lines = [f"| {header} | " + " | ".join(names) + " |",
             "|---|" + "|".join(align for _ in names) + "|"]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return lines


def _ms_cell(cell: dict[str, Any], key: str) -> str:
    fail = _fail_cell(cell)
    sub = cell.get(key, {})
    if "median_ms" in sub:
        n = sub["n"]
        return num(sub["median_ms"]) + (f" (n={n})" if n < 5 else "")
    if "error" in sub:
        return "fail: " + str(sub["error_type"])
    return fail or NA


def _get(results: dict[str, Any], model: str, fmt: str) -> dict[str, Any]:
    return dict(results["models"].get(model, {}).get("formats", {}).get(fmt, {}))


def _load_ms(cell: dict[str, Any]) -> float | None:
    v = cell.get("load", {}).get("median_ms")
    return None if v is None else float(v)


def _size(cell: dict[str, Any]) -> float | None:
    v = cell.get("size_bytes")
    return None if v is None or _fail_cell(cell) else float(v)


def _peak(cell: dict[str, Any]) -> float | None:
    v = cell.get("mem", {}).get("peak_mb")
    return None if v is None else float(v)


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if b == 0:
        return float("inf") if a > 0 else 1.0
    return a / b


def _ratio_cell(r: float | None) -> str:
    return NA if r is None else f"{r:.2f}"


def targets(results: dict[str, Any], names: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """Each target with, per model: {"pass": bool | None, "value": ..., "cell": str}."""
    rows: list[tuple[str, dict[str, Any]]] = []

    def verdict(ok: bool | None, shown: str, why: str | None = None) -> dict[str, Any]:
        if ok is None:
            return {"pass": None, "cell": why or "n/a"}
        return {"pass": ok, "cell": ("PASS " if ok else "FAIL ") + shown}

    def missing(p: dict[str, Any], other: dict[str, Any], other_name: str) -> str:
        if _fail_cell(p):
            return "FAIL (" + str(_fail_cell(p)) + ")"
        if _fail_cell(other):
            return f"n/a ({other_name} {_fail_cell(other)})"
        return "n/a"

    row: dict[str, Any] = {}
    for m in names:
        p, k = _get(results, m, "paramseal"), _get(results, m, "pickle")
        r = _ratio(_load_ms(p), _load_ms(k))
        row[m] = (verdict(r <= LOAD_TARGET[m], f"{r:.2f}x (<= {LOAD_TARGET[m]:g}x)")
                  if r is not None else {"pass": False if _fail_cell(p) else None,
                                         "cell": missing(p, k, "pickle")})
    rows.append(("load <= 1.0x pickle (linreg, logreg, knn, mlp), "
                 "<= 1.5x (rf, hgb, tfidf_lr, pipe)", row))

    row = {}
    for m in names:
        p, s = _get(results, m, "paramseal"), _get(results, m, "skops")
        r = _ratio(_load_ms(s), _load_ms(p))
        row[m] = (verdict(r >= SKOPS_SPEEDUP, f"{r:.1f}x")
                  if r is not None else {"pass": False if _fail_cell(p) else None,
                                         "cell": missing(p, s, "skops")})
    rows.append((f"load >= {SKOPS_SPEEDUP:g}x faster than skops", row))

    row = {}
    for m in names:
        p, k = _get(results, m, "paramseal"), _get(results, m, "pickle")
        r = _ratio(_size(p), _size(k))
        row[m] = (verdict(r <= SIZE_TARGET, f"{r:.3f}x")
                  if r is not None else {"pass": False if _fail_cell(p) else None,
                                         "cell": missing(p, k, "pickle")})
    rows.append((f"size <= {SIZE_TARGET:g}x pickle", row))

    row = {}
    for m in names:
        p, k = _get(results, m, "paramseal"), _get(results, m, "pickle")
        a, b = _peak(p), _peak(k)
        if a is None or b is None:
            row[m] = {"pass": False if _fail_cell(p) else None, "cell": missing(p, k, "pickle")}
        else:
            row[m] = verdict(a <= b * MEM_TARGET + MEM_SLACK_MB, f"{num(a)} vs {num(b)} MB")
    rows.append((f"peak load memory <= pickle's (+{MEM_SLACK_MB:g} MB allocator slack)", row))

    row = {}
    for m in names:
        p = _get(results, m, "paramseal")
        v = p.get("verify")
        if v is None:
            row[m] = {"pass": False if _fail_cell(p) else None,
                      "cell": "FAIL (" + str(_fail_cell(p)) + ")" if _fail_cell(p) else "n/a"}
        else:
            row[m] = ({"pass": True, "cell": "PASS"} if v == "equal"
                      else verdict(False, f"({v})"))
    rows.append(("outputs of the loaded model equal the original's", row))
    return rows


def render(results: dict[str, Any]) -> str:
    names = [m for m in results["model_order"] if m in results["models"]]
    fmts = results["formats"]
    mach = results["machine"]
    ver = results["versions"]
    out = [
        "# paramseal vs pickle, joblib and skops",
        "",
        f"Generated by `bench/compare.py` on {results['generated']} "
        f"(total run {results['total_s'] / 60:.1f} min{', --quick' if results['quick'] else ''}).",
        "",
        f"- Machine: {mach['cpu']} ({mach['cpus']} cores visible), {mach['ram_gib']:.1f} GiB "
        f"RAM, kernel {mach['kernel']}, files on {mach['fs']}; load average "
        f"{mach['loadavg_start']} at start, {mach.get('loadavg_end', '?')} at end.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in ver.items()),
        "- Medians of wall-clock samples, files read warm from the page cache; `(n=k)` marks "
        "cells with fewer than 5 samples. paramseal's dump fsyncs and renames (an atomic write); "
        "pickle, joblib and skops write in place.",
        "",
        "## Dump time (ms, median)",
        "",
    ]
    cell = lambda m, f: _get(results, m, f)  # noqa: E731
    out += _table("format", names, [(f, [_ms_cell(cell(m, f), "dump") for m in names])
                                    for f in fmts])
    out += ["", "## Load time (ms, median)", "",
            "skops: `skops.io.load(path, trusted=get_untrusted_types(file=path))`, the list "
            "computed outside the timing.", ""]
    out += _table("format", names, [(f, [_ms_cell(cell(m, f), "load") for m in names])
                                    for f in fmts])

    def size_cell(c: dict[str, Any]) -> str:
        s = _size(c)
        return num(s / 1e6) if s is not None else (_fail_cell(c) or NA)

    out += ["", "## File size (MB, 10^6 bytes)", ""]
    out += _table("format", names, [(f, [size_cell(cell(m, f)) for m in names]) for f in fmts])

    def mem_cell(c: dict[str, Any], key: str) -> str:
        if "mem" in c:
            return num(c["mem"][key])
        return _fail_cell(c) or NA

    out += ["", "## Peak memory of one load in a fresh process (MB)", "",
            "VmHWM after the load minus VmHWM before it (reset through `/proc/self/clear_refs` "
            "after all imports), median of the runs; `kept` = VmRSS after - before.", ""]
    out += _table("format", names, [(f, [mem_cell(cell(m, f), "peak_mb") for m in names])
                                    for f in fmts])
    out += ["", "Kept after the load (MB):", ""]
    out += _table("format", names, [(f, [mem_cell(cell(m, f), "kept_mb") for m in names])
                                    for f in fmts])
    out += ["", "Fresh-process load time (ms, median of the runs; every page is new, so these "
            "swing widely):", ""]
    out += _table("format", names, [(f, [mem_cell(cell(m, f), "ms_median") for m in names])
                                    for f in fmts])

    out += ["", "## Outputs after load", "",
            "`equal`: `predict`, `predict_proba` and `decision_function` (those the model has) "
            "give arrays of the same dtype, shape and values as the original model's on held-out "
            "rows.", ""]
    out += _table("format", names, [(f, [str(cell(m, f).get("verify", _fail_cell(cell(m, f))
                                                            or NA)) for m in names])
                                    for f in fmts], right=False)

    if "paramseal" in fmts:
        def r(m: str, a: str, b: str, get: Callable[[dict[str, Any]], float | None]) -> str:
            return _ratio_cell(_ratio(get(cell(m, a)), get(cell(m, b))))

        out += ["", "## Ratios (median / median)", ""]
        rows = []
        if "pickle" in fmts:
            rows.append(("paramseal / pickle load", [r(m, "paramseal", "pickle", _load_ms)
                                                     for m in names]))
        if "skops" in fmts:
            rows.append(("skops / paramseal load", [r(m, "skops", "paramseal", _load_ms)
                                                    for m in names]))
        if "joblib" in fmts:
            rows.append(("joblib / paramseal load", [r(m, "joblib", "paramseal", _load_ms)
                                                     for m in names]))
        if "pickle" in fmts:
            rows.append(("paramseal / pickle size", [r(m, "paramseal", "pickle", _size)
                                                     for m in names]))
            rows.append(("paramseal / pickle peak memory", [r(m, "paramseal", "pickle", _peak)
                                                            for m in names]))
        out += _table("ratio", names, rows)

        out += ["", "## Targets", ""]
        trows = results["targets"]
        out += _table("target", names, [(label, [row[m]["cell"] for m in names])
                                        for label, row in trows], right=False)
        verdicts = [row[m]["pass"] for _, row in trows for m in names]
        out += ["", f"{verdicts.count(True)} PASS, {verdicts.count(False)} FAIL, "
                f"{verdicts.count(None)} n/a."]

    fails = []
    for m in names:
        for f in fmts:
            c = cell(m, f)
            for key in ("dump", "prepare", "load"):
                if key in c and "error" in c[key]:
                    where = c[key].get("where", "in process")
                    fails.append(f"- {m} / {f} / {key} ({where}): `{c[key]['error']}`")
            if "verify_error" in c:
                fails.append(f"- {m} / {f} / verify: `{c['verify_error']}`")
    if fails:
        out += ["", "## Failures", "", *fails]

    out += ["", "## Models", ""]
    out += _table("model", ["fit s", "details"], [
        (m, [f"{results['models'][m]['fit_s']:.2f}"
             + (" (cached)" if results["models"][m]["fit_cached"] else ""),
             "`" + json.dumps(results["models"][m]["details"]) + "`"]) for m in names],
        right=False)
    skops_trust = [(m, cell(m, "skops").get("prepare", {}).get("trusted")) for m in names]
    if any(t is not None for _, t in skops_trust):
        out += ["", "skops `get_untrusted_types` (passed as `trusted=`): "
                + "; ".join(f"{m}: {', '.join(t) if t else '(none)'}"
                            for m, t in skops_trust if t is not None)]
    return "\n".join(out) + "\n"


# -- machine ------------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "scikit-learn", "joblib", "skops", "paramseal",
                 "safetensors", "msgpack", "pandas"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _machine(folder: Path) -> dict[str, Any]:
    cpu, mhz = "", ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not cpu:
                cpu = value.strip()
            elif key.strip() == "cpu MHz" and not mhz:
                mhz = value.strip()
    cpu = cpu or platform.processor() or "unknown CPU"
    ram = 0.0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 2**20
    fs, best = "unknown", ""
    with contextlib.suppress(OSError), open("/proc/mounts") as f:
        target = str(folder.resolve())
        for line in f:
            parts = line.split()
            if len(parts) > 2 and target.startswith(parts[1]) and len(parts[1]) > len(best):
                best, fs = parts[1], parts[2]
    return {
        "cpu": cpu + (f", {mhz} MHz" if mhz else ""),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "ram_gib": ram,
        "kernel": platform.release(),
        "platform": platform.platform(),
        "fs": fs,
        "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- main ---------------------------------------------------------------------------------------


def _names(value: str, allowed: Sequence[str], what: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in names if v not in allowed]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {', '.join(unknown) or '(none)'}; expected some of "
            + ", ".join(allowed))
    return names


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", type=lambda v: _names(v, bench_models.NAMES, "model"),
                    default=list(bench_models.NAMES),
                    help="comma-separated subset of " + ",".join(bench_models.NAMES))
    ap.add_argument("--formats", type=lambda v: _names(v, FORMATS, "format"),
                    default=list(FORMATS), help="comma-separated subset of " + ",".join(FORMATS))
    ap.add_argument("--quick", action="store_true", help="fewer samples: a smoke run")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="folder for compare.json and compare.md (default bench/results)")
    ap.add_argument("--cache", type=Path, default=bench_models.DEFAULT_CACHE,
                    help="folder of the fitted-model cache (default bench/results/cache)")
    ap.add_argument("--refit", action="store_true", help="fit the models again")
    ap.add_argument("--mem-runs", type=int, default=None,
                    help="fresh-process loads per cell (default 3, 1 with --quick; 0 skips them)")
    args = ap.parse_args(argv)

    start = time.perf_counter()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    stem = "compare-quick" if args.quick else "compare"
    mem_runs = args.mem_runs if args.mem_runs is not None else (1 if args.quick else 3)
    fmts = [f for f in FORMATS if f in args.formats]
    results: dict[str, Any] = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "argv": list(sys.argv if argv is None else argv),
        "quick": args.quick,
        "formats": fmts,
        "model_order": list(args.models),
        "machine": _machine(out),
        "versions": _versions(),
        "method": {
            "samples": "7 if warm-up <1 s, 5 if <4 s, 3 if <15 s, else warm-up only"
            if not args.quick else "3 if warm-up <1 s, 1 if <4 s, else warm-up only",
            "mem_runs": mem_runs,
            "targets": {"load_vs_pickle": LOAD_TARGET, "skops_speedup": SKOPS_SPEEDUP,
                        "size_vs_pickle": SIZE_TARGET, "mem_vs_pickle": MEM_TARGET,
                        "mem_slack_mb": MEM_SLACK_MB},
        },
        "models": {},
    }

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    def log_model(name: str, msg: str) -> None:
        log(f"{name}: {msg}")

    work = Path(tempfile.mkdtemp(prefix="files-", dir=out))
    try:
        for name in args.models:
            log(f"{name}: getting the fitted model")
            try:
                fitted = bench_models.get(name, args.cache, refit=args.refit)
            except Exception as e:  # a model that cannot be built is reported, not fatal
                log(f"{name}: fit failed: {describe_error(e)['error']}")
                results.setdefault("fit_errors", {})[name] = describe_error(e)["error"]
                continue
            log(f"{name}: fit {fitted.fit_s:.1f} s{' (cached)' if fitted.cached else ''}")
            results["models"][name] = bench_model(
                fitted, fmts, work, args.quick, mem_runs, functools.partial(log_model, name))
            del fitted
            gc.collect()
            _write_json(results, out / f"{stem}.json", start)  # partial results survive a crash
    finally:
        shutil.rmtree(work, ignore_errors=True)

    results["machine"]["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if "paramseal" in fmts:
        names = [m for m in args.models if m in results["models"]]
        results["targets"] = [[label, row] for label, row in targets(results, names)]
    _write_json(results, out / f"{stem}.json", start)
    text = render(results)
    (out / f"{stem}.md").write_text(text)
    print(text)
    log(f"wrote {out / (stem + '.json')} and {out / (stem + '.md')}")
    return 0


def _write_json(results: dict[str, Any], path: Path, start: float) -> None:
    results["total_s"] = time.perf_counter() - start
    buf = io.StringIO()
    json.dump(results, buf, indent=1, default=str)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(buf.getvalue() + "\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
