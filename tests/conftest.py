"""Shared test helpers: round trips, and loading hostile files in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "spec" / "generate"))

import testkit  # noqa: E402
from s3server import s3  # noqa: E402, F401  (the session's SeaweedFS server, a fixture)

import paramseal  # noqa: E402

METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform",
           "score_samples", "apply", "decision_path", "kneighbors")


def outputs(model: Any, X: Any, methods: tuple[str, ...] = METHODS) -> dict[str, Any]:
    """Every inference method's result on X (the ones the model has and that accept X)."""
    result = {}
    for name in methods:
        method = getattr(model, name, None)
        if method is None:
            continue
        try:
            result[name] = method(X)
        except (AttributeError, NotImplementedError, TypeError, ValueError) as exc:
            result[name] = ("raises", type(exc).__name__)
    return result


def assert_same_outputs(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        _assert_identical(a[name], b[name], name)


def _assert_identical(x: Any, y: Any, where: str) -> None:
    if type(x) in (tuple, list) and type(y) is type(x):
        assert len(x) == len(y), where
        for i, (p, q) in enumerate(zip(x, y, strict=True)):
            _assert_identical(p, q, f"{where}[{i}]")
        return
    if hasattr(x, "toarray"):
        assert type(x) is type(y), where
        x, y = x.toarray(), y.toarray()
    if isinstance(x, np.ndarray):
        assert isinstance(y, np.ndarray), where
        assert x.dtype == y.dtype and x.shape == y.shape, where
        # bit-identical, NaNs included
        assert x.tobytes() == y.tobytes() if x.dtype != object else np.array_equal(x, y), where
        return
    assert x == y, where


def roundtrip(model: Any, X: Any, **load_kwargs: Any) -> Any:
    """Dump and load ``model``; assert identical outputs and deterministic bytes."""
    data = paramseal.dumps(model)
    assert paramseal.dumps(model) == data, "dumping twice gave different bytes"
    loaded = paramseal.loads(data, **load_kwargs)
    assert type(loaded) is type(model)
    assert_same_outputs(outputs(model, X), outputs(loaded, X))
    assert paramseal.dumps(loaded) == data, "a loaded model dumps to different bytes"
    return loaded


def load_in_subprocess(
    data: bytes, X: Any, tmp_path: Path, methods: tuple[str, ...] = METHODS, timeout: float = 120
) -> dict[str, Any]:
    """Load ``data`` in a fresh interpreter, then call every method on X; report the outcome.

    A crash (signal) or hang fails the test right here, whatever the caller expects.
    """
    path = tmp_path / "hostile.paramseal"
    path.write_bytes(data)
    x_path = tmp_path / "X.npy"
    np.save(x_path, np.asarray(X), allow_pickle=False)
    cases = tmp_path / "hostile.jsonl"
    cases.write_text(json.dumps(["hostile", str(path), str(x_path)]) + "\n")
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    proc = subprocess.run(
        [sys.executable, "-c", _BATCH_CHILD, str(cases), json.dumps(list(methods))],
        capture_output=True, text=True, timeout=timeout, env=env,
    )
    assert proc.returncode == 0, f"child died (rc={proc.returncode}):\n{proc.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    report.pop("name")
    return report


def assert_rejected(data: bytes, X: Any, tmp_path: Path, error: str = "ReconstructionError",
                    match: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """The hostile file must be refused at load with ``error`` (or a subclass) in a subprocess."""
    report = load_in_subprocess(data, X, tmp_path, **kwargs)
    assert report["outcome"] == "error", "hostile file loaded without an error"
    assert error in report["mro"], report
    if match is not None:
        assert match in report["message"], report["message"]
    return report


_BATCH_CHILD = textwrap.dedent("""
    import json, sys, faulthandler
    import numpy as np
    faulthandler.enable()
    import paramseal
    from paramseal import errors
    methods = json.loads(sys.argv[2])
    for line in open(sys.argv[1]):
        name, path, x_path = json.loads(line)
        try:
            model = paramseal.load(path)
        except errors.ParamsealError as exc:
            report = {"outcome": "error", "class": type(exc).__name__,
                      "mro": [c.__name__ for c in type(exc).__mro__], "message": str(exc)}
        else:
            X = np.load(x_path, allow_pickle=False)
            for method in methods:
                if hasattr(model, method):
                    try:
                        getattr(model, method)(X)
                    except Exception:
                        pass
            report = {"outcome": "loaded"}
        print(json.dumps({"name": name, **report}), flush=True)
""")


class HostileBatch:
    """Hostile files of one test module, each refused at load, loaded in ONE child process.

    The child pays the import of paramseal and scikit-learn once, not once per file, and
    reports on each file (refused: the error class and message; loaded: then every inference
    method was called on X). A file the child did not report on (it crashed or hung on it)
    is loaded again alone with ``assert_rejected``, which fails on the crash or the hang.
    """

    def __init__(self) -> None:
        self.cases: dict[str, tuple[Callable[[], bytes], str, str, Any]] = {}

    def case(self, name: str, match: str, x: Any = None, error: str = "ReconstructionError"
             ) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
        def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
            assert name not in self.cases, name
            self.cases[name] = (build, match, error, x)
            return build
        return register

    def run(self, folder: Any, default_x: Any) -> dict[str, Any]:
        files, lines = {}, []
        for name, (build, _, _, x) in self.cases.items():
            files[name] = data = build()
            (folder / f"{name}.paramseal").write_bytes(data)
            np.save(folder / f"{name}.npy", default_x if x is None else x, allow_pickle=False)
            lines.append(json.dumps([name, str(folder / f"{name}.paramseal"),
                                     str(folder / f"{name}.npy")]))
        (folder / "cases.jsonl").write_text("\n".join(lines) + "\n")
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _BATCH_CHILD, str(folder / "cases.jsonl"),
                 json.dumps(METHODS)],
                capture_output=True, text=True, timeout=180)
            out = proc.stdout
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        reports = {}
        for line in out.splitlines():
            report = json.loads(line)
            reports[report.pop("name")] = report
        return {"files": files, "reports": reports, "default_x": default_x}

    def check(self, name: str, batch: dict[str, Any], tmp_path: Any) -> None:
        _, match, error, x = self.cases[name]
        report = batch["reports"].get(name)
        if report is None:  # the child died or hung on this file: load it alone
            assert_rejected(batch["files"][name], batch["default_x"] if x is None else x,
                            tmp_path, error=error, match=match)
            return
        assert report["outcome"] == "error", f"hostile file {name} loaded without an error"
        assert error in report["mro"], report
        assert match in report["message"], report["message"]


def edit_array(key: str, change: Callable[[np.ndarray], np.ndarray]
               ) -> Callable[[Any, dict[str, Any]], None]:
    """An edit of a testkit state map: replace the array at ``key`` by ``change(array)``."""
    def edit(parts: Any, state: dict[str, Any]) -> None:
        node = state[key]
        new = np.ascontiguousarray(change(parts.array(node)))
        parts.set_array(node, new)
        # structured arrays keep their field-list dtype node (and are stored field by field)
        if new.dtype.names is None and new.dtype.str != node["dtype"]:
            node["dtype"] = new.dtype.str
            parts.tensors[node["tensor"]].code = testkit.NATIVE[new.dtype.str]
    return edit


def edit_value(key: str, value: Any) -> Callable[[Any, dict[str, Any]], None]:
    """An edit of a testkit state map: set ``key`` to the raw node ``value``."""
    def edit(parts: Any, state: dict[str, Any]) -> None:
        state[key] = value
    return edit


@pytest.fixture
def kit() -> Any:
    return testkit
