"""Every vector in spec/vectors/ gives the outcome its header names (spec/format.md §9)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest

import paramseal
from paramseal import errors

# Vectors are about structure; the independent writer records no scikit-learn version.
pytestmark = pytest.mark.filterwarnings("ignore::paramseal.errors.VersionWarning")

ROOT = Path(__file__).resolve().parent.parent
VECTORS = sorted(p for p in (ROOT / "spec" / "vectors").iterdir() if p.name != "README.md")
KNOWN_KEYS = {"expect", "comment"}


def read_vector(path: Path) -> tuple[dict[str, str], bytes]:
    content = path.read_bytes()
    text, _, data = content.partition(b"\n\n")
    fields = {}
    for line in text.decode().splitlines():
        key, _, value = line.partition(": ")
        assert key in KNOWN_KEYS, f"{path.name}: unknown header key {key!r}"
        fields[key] = value
    assert "expect" in fields and "comment" in fields, path.name
    return fields, data


def section(data: bytes, name: str) -> bytes:
    container = paramseal._container.parse(memoryview(data))
    return bytes(container.sections[name])


@pytest.mark.parametrize("path", VECTORS, ids=[p.name for p in VECTORS])
def test_vector(path: Path) -> None:
    fields, data = read_vector(path)
    expect = fields["expect"]
    if expect == "success":
        obj = paramseal.loads(data)
        # a format 1.1 vector compresses its tensors (§5.4): so does the re-encoding
        again = paramseal.dumps(obj, compress=data[10] == 1)
        assert section(again, "schema") == section(data, "schema")
        assert section(again, "params") == section(data, "params")
        return
    expected_class = getattr(errors, expect)
    with pytest.raises(errors.ParamsealError) as info:
        paramseal.loads(data)
    assert isinstance(info.value, expected_class), (
        f"{path.name}: expected {expect}, got {type(info.value).__name__}: {info.value}"
    )


@pytest.mark.parametrize("path", VECTORS, ids=[p.name for p in VECTORS])
def test_inspect_never_escapes(path: Path) -> None:
    """inspect reads the same bytes without the registry: only our errors may escape."""
    _, data = read_vector(path)
    with contextlib.suppress(errors.ParamsealError):
        paramseal.inspect(data)


def test_every_area_has_vectors() -> None:
    areas = {p.name.split("_")[0] for p in VECTORS}
    assert {"container", "header", "schema", "params", "type", "limits", "success"} <= areas


def test_vectors_are_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, "generate_vectors.py", "--check"],
        cwd=ROOT / "spec" / "generate", capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
