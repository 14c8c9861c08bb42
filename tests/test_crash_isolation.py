"""Crash isolation (issue 6, item 4): the whole hostile-file suite, in subprocesses.

Every vector of spec/vectors/ and every hostile file that a family test module registers
(``HOSTILE``, a :class:`conftest.HostileBatch` or, in test_core_estimators, a dict of edits) is
loaded in a child interpreter, a few hundred files per child and two children at a time. A
file that loads has every inference method called on its module's query data. The test fails
on any signal, any hang (``faulthandler`` ends a child stuck on one file for ``PER_FILE``
seconds), any exception that is not a ``paramseal.errors`` one, and any file refused with
another class than the one it expects (a vector's ``expect:``, a case's ``error``) or loaded
although it should have been refused. A child that dies is restarted after the file it died
on, so one crash does not hide the files behind it.

This repeats what the family tests check one module at a time, in one place and under one
harness, so that no module's hostile files can escape the check by not using it.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from vectorlib import VECTORS

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
PER_FILE = 30.0  # seconds one file may take (load and inference) before it counts as a hang
WORKERS = 2
METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform",
           "score_samples", "apply", "decision_path", "kneighbors", "inverse_transform")

_CHILD = textwrap.dedent("""
    import faulthandler, json, sys, warnings
    warnings.simplefilter("ignore")
    import numpy as np
    import paramseal
    from paramseal import errors
    per_file, methods = float(sys.argv[2]), json.loads(sys.argv[3])
    sys.path.insert(0, sys.argv[4])
    from vectorlib import vector_options
    for line in open(sys.argv[1]):
        name, path, x_path, vector = json.loads(line)
        faulthandler.dump_traceback_later(per_file, exit=True)
        try:
            model = paramseal.load(path, **(vector_options(vector) if vector else {}))
        except errors.ParamsealError as exc:
            report = {"outcome": "rejected", "mro": [c.__name__ for c in type(exc).__mro__],
                      "message": str(exc)[:300]}
        except Exception as exc:
            report = {"outcome": "foreign", "mro": [c.__name__ for c in type(exc).__mro__],
                      "message": f"{type(exc).__name__}: {str(exc)[:300]}"}
        else:
            report = {"outcome": "loaded", "mro": [], "message": type(model).__name__}
            if x_path is not None:
                X = np.load(x_path, allow_pickle=False)
                for method in methods:
                    if hasattr(model, method):
                        try:
                            getattr(model, method)(X)
                        except Exception:
                            pass  # refusing bad input is fine; a signal is not
        faulthandler.cancel_dump_traceback_later()
        print(json.dumps({"name": name, **report}), flush=True)
""")


def _family_modules() -> list[str]:
    found = []
    for path in sorted(TESTS.glob("test_*.py")):
        text = path.read_text()
        if re.search(r"^HOSTILE\s*[:=]", text, re.M):
            found.append(path.stem)
    return found


def _default_x(module: Any, source: str) -> Any:
    """The query data the module's own batch runs its cases with (``HOSTILE.run(dir, X)``)."""
    match = re.search(r"HOSTILE\.run\([^,]+,\s*(.+)\)\s*$", source, re.M)
    if match is None:
        return getattr(module, "XQ", getattr(module, "X", None))
    return eval(match.group(1), vars(module))  # our own test source, not a file's


def _collect(folder: Path) -> tuple[list[list[Any]], dict[str, str]]:
    """Write every case to ``folder``: the child's input lines and each case's expected class
    (``success`` for a vector that must load)."""
    lines: list[list[Any]] = []
    expected: dict[str, str] = {}
    for path in VECTORS:
        head, _, data = path.read_bytes().partition(b"\n\n")
        expect = head.decode().splitlines()[0].removeprefix("expect: ")
        name = f"vector:{path.name}"
        (folder / path.name).write_bytes(data)
        lines.append([name, str(folder / path.name), None, str(path)])
        expected[name] = expect
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    for stem in _family_modules():
        module = importlib.import_module(stem)
        hostile = module.HOSTILE
        if hasattr(hostile, "cases"):  # a conftest.HostileBatch
            default_x = _default_x(module, (TESTS / f"{stem}.py").read_text())
            cases = {name: (build, error, x) for name, (build, _, error, x)
                     in hostile.cases.items()}
            built = {name: (build(), error, default_x if x is None else x)
                     for name, (build, error, x) in cases.items()}
        else:  # test_core_estimators: name -> (make, tag, edit, error, match, in_subprocess)
            built = {}
            for name, case in hostile.items():
                data, x = module._hostile_file(name)
                built[name] = (data, case[3], x)
        for name, (data, error, x) in built.items():
            key = f"{stem}:{name}"
            stem_name = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
            (folder / f"{stem_name}.paramseal").write_bytes(data)
            x_path = None
            if x is not None:
                np.save(folder / f"{stem_name}.npy", np.asarray(x), allow_pickle=False)
                x_path = str(folder / f"{stem_name}.npy")
            lines.append([key, str(folder / f"{stem_name}.paramseal"), x_path, None])
            expected[key] = error
    return lines, expected


def _run_shard(lines: list[list[Any]], folder: Path, shard: int, per_file: float = PER_FILE
               ) -> dict[str, Any]:
    """Load ``lines`` in child processes, restarting after a file a child died on."""
    reports: dict[str, Any] = {}
    remaining = list(lines)
    attempt = 0
    while remaining:
        attempt += 1
        cases = folder / f"shard{shard}-{attempt}.jsonl"
        cases.write_text("".join(json.dumps(line) + "\n" for line in remaining))
        rc: int | str
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, str(cases), str(per_file), json.dumps(METHODS),
                 str(TESTS)],
                capture_output=True, text=True, env=dict(os.environ, PYTHONFAULTHANDLER="1"),
                timeout=per_file * 2 + 2 * len(remaining))
            out, err, rc = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
            rc = "timeout"
        for text in out.splitlines():
            report = json.loads(text)
            reports[report.pop("name")] = report
        done = [line for line in remaining if line[0] in reports]
        remaining = remaining[len(done):]
        if remaining and rc != 0:  # the child died (or hung) on the first unreported file
            culprit = remaining.pop(0)
            reports[culprit[0]] = {"outcome": "died", "mro": [],
                                   "message": f"rc={rc}: {err[-2000:]}"}
        elif remaining:
            raise AssertionError(f"the child stopped early without an error:\n{err[-2000:]}")
    return reports


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: Any) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("crash-isolation")
    lines, expected = _collect(folder)
    shards = [lines[i::WORKERS] for i in range(WORKERS)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        parts = list(pool.map(lambda i: _run_shard(shards[i], folder, i), range(WORKERS)))
    reports = {k: v for part in parts for k, v in part.items()}
    return {"reports": reports, "expected": expected}


def _problem(name: str, expect: str, report: dict[str, Any]) -> str | None:
    outcome = report["outcome"]
    if outcome in ("died", "foreign"):
        return f"{outcome}: {report['message']}"
    if expect == "success":
        return None if outcome == "loaded" else f"expected to load: {report['message']}"
    if outcome == "loaded":
        return f"loaded ({report['message']}), expected {expect}"
    if expect not in report["mro"]:
        return f"raised {report['mro'][0]} ({report['message']}), expected {expect}"
    return None


def test_whole_hostile_suite_is_isolated(outcomes: dict[str, Any]) -> None:
    reports, expected = outcomes["reports"], outcomes["expected"]
    assert set(reports) == set(expected)
    families = {name.split(":")[0] for name in expected}
    assert "vector" in families and len(families) >= 5, families  # the collector found them
    counts: dict[str, int] = {}
    for report in reports.values():
        counts[report["outcome"]] = counts.get(report["outcome"], 0) + 1
    print(f"\n{len(expected)} files from {sorted(families)}: {counts}")
    problems = {name: p for name in sorted(expected)
                if (p := _problem(name, expected[name], reports[name])) is not None}
    listing = "\n".join(f"{name}: {p}" for name, p in problems.items())
    assert not problems, f"{len(problems)} of {len(expected)} hostile files:\n{listing}"


def test_harness_reports_a_hang_and_goes_on(tmp_path: Path) -> None:
    """The harness itself: a file the child blocks on (a FIFO nobody writes) counts as died,
    a non-paramseal exception as foreign, and the files after them are still loaded."""
    fifo = tmp_path / "blocks.paramseal"
    os.mkfifo(fifo)
    good = tmp_path / "good.paramseal"
    good.write_bytes(VECTORS[0].read_bytes().partition(b"\n\n")[2])
    lines = [["missing", str(tmp_path / "missing.paramseal"), None, None],
             ["blocks", str(fifo), None, None], ["after", str(good), None, None]]
    reports = _run_shard(lines, tmp_path, 0, per_file=3.0)
    assert reports["missing"]["outcome"] == "foreign", reports
    assert "FileNotFoundError" in reports["missing"]["mro"]
    assert reports["blocks"]["outcome"] == "died", reports
    assert "Timeout" in reports["blocks"]["message"]
    assert reports["after"]["outcome"] in ("rejected", "loaded"), reports
