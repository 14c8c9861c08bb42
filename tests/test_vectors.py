"""Every vector in spec/vectors/ gives the outcome its header names (spec/format.md §9)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest
from vectorlib import load_options, read_vector

import paramseal
from paramseal import errors

# Vectors are about structure; the independent writer records no scikit-learn version.
pytestmark = pytest.mark.filterwarnings("ignore::paramseal.errors.VersionWarning")

ROOT = Path(__file__).resolve().parent.parent
VECTORS = sorted(p for p in (ROOT / "spec" / "vectors").iterdir() if p.is_file()
                 and p.name != "README.md")
def section(data: bytes, name: str) -> bytes:
    container = paramseal._container.parse(memoryview(data))
    return bytes(container.sections[name])


@pytest.mark.parametrize("path", VECTORS, ids=[p.name for p in VECTORS])
def test_vector(path: Path) -> None:
    fields, data = read_vector(path)
    expect = fields["expect"]
    options = load_options(fields)
    if expect == "success":
        obj = paramseal.loads(data, **options)  # type: ignore[arg-type]
        if "identity" in fields or "passphrase" in fields:
            return  # the re-encoding of an encrypted file is checked by its plaintext vector
        # a format 1.1 vector compresses its tensors (§5.4): so does the re-encoding
        again = paramseal.dumps(obj, compress=data[10] == 1)
        assert section(again, "schema") == section(data, "schema")
        assert section(again, "params") == section(data, "params")
        return
    expected_class = getattr(errors, expect)
    with pytest.raises(errors.ParamsealError) as info:
        paramseal.loads(data, **options)  # type: ignore[arg-type]
    assert isinstance(info.value, expected_class), (
        f"{path.name}: expected {expect}, got {type(info.value).__name__}: {info.value}"
    )


@pytest.mark.parametrize("path", VECTORS, ids=[p.name for p in VECTORS])
def test_inspect_never_escapes(path: Path) -> None:
    """inspect reads the same bytes without the registry: only our errors may escape."""
    fields, data = read_vector(path)
    options = load_options(fields)
    with contextlib.suppress(errors.ParamsealError):
        paramseal.inspect(data, **{k: v for k, v in options.items() if k == "limits"})


def test_every_area_has_vectors() -> None:
    areas = {p.name.split("_")[0] for p in VECTORS}
    assert {"container", "header", "schema", "params", "type", "limits", "success"} <= areas


def test_vectors_are_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, "generate_vectors.py", "--check"],
        cwd=ROOT / "spec" / "generate", capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
