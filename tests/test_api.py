"""The public API: files and file objects, mmap, atomic writes, limits, interop, the CLI."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import paramseal
from paramseal import errors
from paramseal.directory import from_directory, to_directory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fitted() -> tuple[Pipeline, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y)
    return model, X


def test_dump_load_path_and_file_object(fitted, tmp_path) -> None:
    model, X = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path)
    buffer = io.BytesIO()
    paramseal.dump(model, buffer)
    assert buffer.getvalue() == path.read_bytes() == paramseal.dumps(model)
    for loaded in (
        paramseal.load(path),
        paramseal.load(str(path)),
        paramseal.load(io.BytesIO(path.read_bytes())),
        paramseal.loads(path.read_bytes()),
    ):
        assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_mmap_gives_read_only_views_and_copy_gives_writable(tmp_path) -> None:
    big = np.arange(300_000, dtype=np.float64)  # above the mmap threshold
    path = tmp_path / "a.paramseal"
    paramseal.dump({"big": big, "small": np.arange(3)}, path)
    mapped = paramseal.load(path)
    assert not mapped["big"].flags.writeable and not mapped["small"].flags.writeable
    assert np.array_equal(mapped["big"], big)
    copied = paramseal.load(path, mmap=False)
    assert copied["big"].flags.writeable and copied["small"].flags.writeable
    copied["big"][0] = -1.0  # a private copy: the file is unchanged
    assert paramseal.load(path)["big"][0] == 0.0


def test_arrays_are_normalised_before_writing() -> None:
    """safetensors #825: Fortran-ordered, strided and big-endian arrays must not scramble."""
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    values = {
        "fortran": np.asfortranarray(base),
        "strided": base[:, ::2],
        "big_endian": base.astype(">f8"),
        "transposed": base.T,
    }
    data = paramseal.dumps(values)
    loaded = paramseal.loads(data)
    for name, array in values.items():
        assert np.array_equal(loaded[name], array), name
    # The layout survives too (spec §6.2), in native byte order.
    for name in ("fortran", "strided", "transposed"):
        assert loaded[name].strides == values[name].strides, name
    assert loaded["big_endian"].dtype == np.dtype("<f8") and loaded["big_endian"].flags.c_contiguous
    # A plain safetensors reader sees each strided array as its 1-D memory span, never as a
    # wrongly-shaped matrix.
    container = paramseal._container.parse(memoryview(data))
    tensors = safetensors.numpy.load(bytes(container.sections["params"]))
    assert sorted(t.shape for t in tensors.values()) == [(4, 6), (23,), (24,), (24,)]


def test_params_section_is_a_standalone_safetensors_file(fitted, tmp_path) -> None:
    model, _ = fitted
    to_directory_path = tmp_path / "unpacked"
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path)
    to_directory(path, to_directory_path)
    tensors = safetensors.numpy.load_file(str(to_directory_path / "params.safetensors"))
    report = paramseal.inspect(path)
    assert len(tensors) == len(report.tensors) > 0
    scale = model.named_steps["scale"].scale_
    assert any(np.array_equal(t, scale) for t in tensors.values())


def test_directory_form_round_trips_byte_for_byte(fitted, tmp_path) -> None:
    model, _ = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path)
    folder = tmp_path / "unpacked"
    to_directory(path, folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "format", "header.msgpack", "params.safetensors", "schema.msgpack", "signatures.msgpack",
    ]
    assert (folder / "format").read_text() == "paramseal 1.0\n"
    again = tmp_path / "again.paramseal"
    from_directory(folder, again)
    assert again.read_bytes() == path.read_bytes()


def test_directory_with_a_changed_section_is_rejected(fitted, tmp_path) -> None:
    model, _ = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path)
    folder = tmp_path / "unpacked"
    to_directory(path, folder)
    params = bytearray((folder / "params.safetensors").read_bytes())
    params[-1] ^= 1
    (folder / "params.safetensors").write_bytes(bytes(params))
    with pytest.raises(errors.ContainerError, match="digest"):
        from_directory(folder, tmp_path / "out.paramseal")
    assert not (tmp_path / "out.paramseal").exists()


def test_failed_dump_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    path = tmp_path / "m.paramseal"
    paramseal.dump([1, 2, 3], path)
    before = path.read_bytes()
    with pytest.raises(errors.UnsupportedTypeError):
        paramseal.dump([1, lambda: 0], path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.paramseal"]


def test_dump_keeps_the_mode_of_the_file_it_replaces(tmp_path) -> None:
    path = tmp_path / "m.paramseal"
    paramseal.dump([1], path)
    assert path.stat().st_mode & 0o777 == 0o644
    os.chmod(path, 0o600)
    paramseal.dump([2], path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_check_digests_catches_a_flipped_tensor_byte(fitted) -> None:
    model, _ = fitted
    data = bytearray(paramseal.dumps(model))
    data[-3] ^= 0x10  # inside the last tensor's bytes
    paramseal.loads(bytes(data))  # structurally valid: loads (it is not signed)
    with pytest.raises(errors.ContainerError, match="digest"):
        paramseal.loads(bytes(data), check_digests=True)


def test_limits_can_be_lowered_not_raised(fitted) -> None:
    model, _ = fitted
    data = paramseal.dumps(model)
    with pytest.raises(errors.LimitError):
        paramseal.loads(data, limits=paramseal.Limits(max_file_bytes=100))
    with pytest.raises(errors.LimitError):
        paramseal.loads(data, limits=paramseal.Limits(max_schema_depth=2))
    with pytest.raises(ValueError, match="maximum"):
        paramseal.Limits(max_header_bytes=10**9)


def test_misuse_raises_type_errors_with_a_hint(tmp_path) -> None:
    with pytest.raises(TypeError, match="loads"):
        paramseal.load(b"bytes")  # type: ignore[arg-type]
    path = tmp_path / "m.paramseal"
    paramseal.dump([1], path)
    with open(path, encoding="latin-1") as text, pytest.raises(TypeError, match="binary mode"):
        paramseal.load(text)  # type: ignore[arg-type]


def test_inspect_reports_without_importing_sklearn(fitted, tmp_path) -> None:
    model, _ = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, annotations={"team": "fraud"})
    code = (
        "import sys, paramseal; r = paramseal.inspect(sys.argv[1]).to_dict(); "
        "assert 'sklearn' not in sys.modules, 'sklearn imported'; "
        "assert 'scipy' not in sys.modules, 'scipy imported'; print(r['root'])"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=True)
    assert proc.stdout.strip() == "sklearn.pipeline.Pipeline"
    report = paramseal.inspect(path).to_dict()
    assert report["annotations"] == {"team": "fraud"}
    assert report["signatures"] == []
    assert report["tree"]["type"] == "sklearn.pipeline.Pipeline"


def test_cli_inspect_text_and_json(fitted, tmp_path) -> None:
    model, _ = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path)
    cli = [sys.executable, "-m", "paramseal"]
    text = subprocess.run([*cli, "inspect", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert "root:        sklearn.pipeline.Pipeline" in text
    assert "signatures:  none" in text
    assert "sklearn.linear_model.LogisticRegression" in text
    assert re.search(r"coef_: ndarray <f8 \[1, 6\] tensor \d+", text)
    report = json.loads(subprocess.run([*cli, "inspect", "--json", str(path)],
                                       capture_output=True, text=True, check=True).stdout)
    assert report["format_version"] == "1.0"
    assert {s["name"] for s in report["sections"]} == {"schema", "params"}


def test_cli_reports_errors_without_a_traceback(tmp_path) -> None:
    bad = tmp_path / "bad.paramseal"
    bad.write_bytes(b"\x80\x05not a paramseal file at all")
    proc = subprocess.run([sys.executable, "-m", "paramseal", "inspect", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("paramseal: error: not a paramseal file (bad magic)")
    assert "Traceback" not in proc.stderr
    missing = subprocess.run([sys.executable, "-m", "paramseal", "inspect", str(tmp_path / "x")],
                             capture_output=True, text=True)
    assert missing.returncode == 1
    assert missing.stderr.startswith("paramseal: error: no such file or directory")


def test_cli_unpack_and_pack(tmp_path) -> None:
    path = tmp_path / "m.paramseal"
    paramseal.dump(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), path)
    cli = [sys.executable, "-m", "paramseal"]
    subprocess.run([*cli, "unpack", str(path), str(tmp_path / "d")], check=True,
                   capture_output=True)
    subprocess.run([*cli, "pack", str(tmp_path / "d"), str(tmp_path / "p.paramseal")],
                   check=True, capture_output=True)
    assert (tmp_path / "p.paramseal").read_bytes() == path.read_bytes()


FORBIDDEN = re.compile(
    r"\bimport pickle\b|\bfrom pickle\b|\bcPickle\b|\bimportlib\b|__import__|\beval\(|\bexec\(|"
    r"\bjoblib\b|\bcloudpickle\b|\bmarshal\b|\bgetattr\(\s*(module|mod)\b"
)


def test_the_loader_source_never_imports_or_evaluates_by_name() -> None:
    """No pickle, importlib, __import__, eval or exec anywhere in the library."""
    offenders = []
    for path in sorted((ROOT / "src" / "paramseal").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if FORBIDDEN.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_verify_does_not_import_sklearn(fitted, tmp_path) -> None:
    model, _ = fitted
    key = paramseal.PrivateKey.generate()
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, sign=key)
    (tmp_path / "k.pub").write_bytes(key.public_key.to_pem())
    code = (
        "import sys, paramseal; from paramseal import signing; "
        "s = signing.verify(sys.argv[1], paramseal.Policy.from_keys([sys.argv[2]])); "
        "from paramseal import cli; assert cli.main(['verify', sys.argv[1], '--trust', "
        "sys.argv[2]]) == 0; "
        "assert 'sklearn' not in sys.modules, 'sklearn imported'; "
        "assert 'scipy' not in sys.modules, 'scipy imported'; print(s[0].name)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "k.pub")],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "k"
