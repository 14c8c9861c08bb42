"""Compressed tensors (spec/format.md §5.4): zstd level 3 per tensor, format 1.1.

Round trips of fitted models with ``compress=True`` (identical outputs, deterministic bytes,
smaller files), the raw-or-compressed choice per tensor, the minor version, layouts, the missing
``zstandard`` extra, hostile files (decompression bombs and every rule of §5.4, loaded in a
child process) and compression together with signatures and encryption.
"""

from __future__ import annotations

import functools
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import testkit as tk
from conftest import HostileBatch, assert_same_outputs, outputs
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import paramseal
from paramseal import _age, errors
from paramseal.limits import Limits

RNG = np.random.RandomState(0)
X = RNG.normal(size=(300, 6))
Y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 1)
WORDS = [f"w{i}" for i in range(120)]
DOCS = [" ".join(RNG.choice(WORDS, size=12)) for _ in range(200)]
DOC_Y = np.array([("w1" in d) + ("w2" in d) for d in DOCS])


def _fit(name: str) -> tuple[Any, Any]:
    if name == "rf":
        return RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0).fit(X, Y), X
    if name == "hgb":
        return HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, Y), X
    if name == "knn":
        return KNeighborsClassifier(n_neighbors=3).fit(X, Y), X[:40]
    if name == "tfidf_lr":
        model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=200))
        return model.fit(DOCS, DOC_Y), DOCS[:50]
    assert name == "pipe"
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(X, Y), X


MODELS = ("rf", "hgb", "knn", "tfidf_lr", "pipe")


@pytest.fixture(scope="module")
def fitted() -> dict[str, tuple[Any, Any]]:
    return {name: _fit(name) for name in MODELS}


def _minor(data: bytes) -> int:
    return int.from_bytes(data[10:12], "little")


def _zstd_nodes(data: bytes) -> list[dict[str, Any]]:
    parts = tk.unpack(data)
    return tk.find(parts, "ndarray", lambda n: bool(n.get("zstd")))


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("name", MODELS)
def test_compressed_round_trip(name: str, fitted: dict[str, Any]) -> None:
    model, x = fitted[name]
    raw = paramseal.dumps(model)
    data = paramseal.dumps(model, compress=True)
    assert paramseal.dumps(model, compress=True) == data, "compressing twice gave other bytes"
    loaded = paramseal.loads(data)
    assert type(loaded) is type(model)
    assert_same_outputs(outputs(model, x), outputs(loaded, x))
    assert paramseal.dumps(loaded, compress=True) == data, "a loaded model re-dumps differently"
    # the same model without compression: the very bytes of the raw file
    assert paramseal.dumps(loaded) == raw
    assert _minor(raw) == 0
    if _zstd_nodes(data):
        assert _minor(data) == 1
        assert len(data) < len(raw)
    else:  # nothing paid off: the file is the 1.0 file, byte for byte
        assert data == raw


def test_tree_models_shrink_a_lot(fitted: dict[str, Any]) -> None:
    model, _ = fitted["rf"]
    raw, data = paramseal.dumps(model), paramseal.dumps(model, compress=True)
    assert _minor(data) == 1 and len(data) * 2 < len(raw)


def test_uncompressed_files_stay_1_0_byte_for_byte() -> None:
    obj = {"noise": RNG.random_sample(64)}  # random float64 never saves 10 %
    data = paramseal.dumps(obj, compress=True)
    assert data == paramseal.dumps(obj) and _minor(data) == 0
    assert _zstd_nodes(data) == []


def test_mixed_raw_and_compressed_tensors() -> None:
    obj = {"zeros": np.zeros(1000), "noise": RNG.random_sample(100),
           "codes": np.arange(2000, dtype=np.int32) % 7, "empty": np.zeros(0),
           "tiny": np.array([1.0])}
    data = paramseal.dumps(obj, compress=True)
    parts = tk.unpack(data)
    keys = parts.schema["root"]["keys"]
    values = dict(zip(keys, parts.schema["root"]["values"], strict=True))
    assert {k for k, v in values.items() if v.get("zstd")} == {"zeros", "codes"}
    assert "zstd" not in values["noise"] and "zstd" not in values["empty"]
    for key in ("zeros", "codes"):
        tensor = parts.tensors[values[key]["tensor"]]
        assert tensor.code == "U8" and 11 * len(tensor.data) <= 10 * obj[key].nbytes
        assert np.array_equal(parts.array(values[key]), obj[key])
    loaded = paramseal.loads(data)
    for key, value in obj.items():
        assert loaded[key].dtype == value.dtype and loaded[key].tobytes() == value.tobytes()
    assert _minor(data) == 1


def test_strided_and_flipped_arrays_keep_their_layout() -> None:
    base = np.tile(np.arange(8.0), (50, 1))
    obj = {"fortran": np.asfortranarray(base), "flipped": base[::-1, :],
           "datetimes": np.zeros(300, dtype="M8[s]"), "strings": np.array(["ab"] * 300),
           "structured": np.zeros(200, dtype=[("a", "<i4"), ("b", "<f8")])}
    data = paramseal.dumps(obj, compress=True)
    assert len(_zstd_nodes(data)) == 5
    loaded = paramseal.loads(data)
    for key, value in obj.items():
        got = loaded[key]
        assert got.dtype == value.dtype and got.shape == value.shape
        assert got.strides == value.strides, key
        assert np.array_equal(got, value), key
    assert paramseal.dumps(loaded, compress=True) == data


def test_compressed_arrays_are_new_arrays_writable_like_the_buffer(tmp_path: Path) -> None:
    obj = {"zeros": np.zeros(1000)}
    data = paramseal.dumps(obj, compress=True)
    assert not paramseal.loads(data)["zeros"].flags.writeable
    writable = paramseal.loads(bytearray(data))["zeros"]
    assert writable.flags.writeable and writable.flags.owndata
    path = tmp_path / "z.paramseal"
    path.write_bytes(data)
    assert not paramseal.load(path)["zeros"].flags.writeable
    assert paramseal.load(path, mmap=False)["zeros"].flags.writeable


def test_inspect_and_directory_form_keep_the_version(tmp_path: Path) -> None:
    from paramseal import directory

    data = paramseal.dumps({"zeros": np.zeros(1000)}, compress=True)
    path = tmp_path / "z.paramseal"
    path.write_bytes(data)
    assert paramseal.inspect(path).format_version == "1.1"
    directory.to_directory(path, tmp_path / "unpacked")
    assert (tmp_path / "unpacked" / "format").read_text() == "paramseal 1.1\n"
    directory.from_directory(tmp_path / "unpacked", tmp_path / "again.paramseal")
    assert (tmp_path / "again.paramseal").read_bytes() == data


# ---------------------------------------------------------------- without the extra

def test_without_zstandard_dump_and_load_name_the_extra(monkeypatch: Any) -> None:
    obj = {"zeros": np.zeros(1000)}
    compressed = paramseal.dumps(obj, compress=True)
    plain = paramseal.dumps(obj)
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard -> ImportError
    with pytest.raises(errors.MissingExtraError, match=r"pip install 'paramseal\[compress\]'"):
        paramseal.dumps(obj, compress=True)
    with pytest.raises(ImportError, match=r"paramseal\[compress\]") as info:
        paramseal.loads(compressed)
    assert isinstance(info.value, errors.ParamsealError)
    assert "paramseal[compress]" in info.value.diagnostics()
    assert np.array_equal(paramseal.loads(plain)["zeros"], obj["zeros"])  # 1.0 files need none


# ---------------------------------------------------------------- hostile files

HOSTILE = HostileBatch()


@functools.cache
def _rf_bytes() -> bytes:
    model = RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(X, Y)
    return paramseal.dumps(model, compress=True)


def _rf_parts() -> tuple[tk.Parts, dict[str, Any]]:
    """A compressed forest and its largest compressed array (the batched tree nodes)."""
    parts = tk.unpack(_rf_bytes())
    nodes = tk.find(parts, "ndarray", lambda n: bool(n.get("zstd")))
    assert nodes, "the forest has no compressed tensor"
    return parts, max(nodes, key=_declared)


def _declared(node: dict[str, Any]) -> int:
    return int(np.prod(node["shape"])) * tk._dtype(node["dtype"]).itemsize


def _bomb_frame(size: int) -> bytes:
    import zstandard

    stream = zstandard.ZstdCompressor(level=3).compressobj(size=size)
    zeros = bytes(1 << 20)
    return b"".join([*(stream.compress(zeros) for _ in range(size >> 20)), stream.flush()])


def _compressible(n: int) -> bytes:
    """n bytes that compress a few times, far less than the 1024x a frame may expand."""
    return np.random.RandomState(0).randint(0, 4, n).astype(np.uint8).tobytes()


def _rf_edit(edit: Any) -> Any:
    def build() -> bytes:
        parts, node = _rf_parts()
        edit(parts, node)
        tk.reorder(parts)
        return tk.pack(parts)
    return build


HOSTILE.case("bomb", "zstd frame declares 1073741824 bytes", error="ArrayError")(
    _rf_edit(lambda parts, node: tk.compress(parts, node, frame=_bomb_frame(1 << 30))))
HOSTILE.case("content_size_missing", "does not declare its content size", error="ArrayError")(
    _rf_edit(lambda parts, node: tk.compress(
        parts, node, frame=tk.zstd_frame(tk.unzstd(parts.tensors[node["tensor"]].data),
                                         content_size=False))))
HOSTILE.case("content_size_mismatch", "but the schema's dtype and shape need", error="ArrayError")(
    _rf_edit(lambda parts, node: tk.compress(
        parts, node, frame=tk.zstd_frame(_compressible(_declared(node) + 8)))))
HOSTILE.case("trailing_bytes", "unused data", error="ArrayError")(
    _rf_edit(lambda parts, node: tk.compress(
        parts, node, frame=parts.tensors[node["tensor"]].data, trailer=b"\x00")))
HOSTILE.case("two_frames", "unused data", error="ArrayError")(
    _rf_edit(lambda parts, node: tk.compress(
        parts, node, frame=parts.tensors[node["tensor"]].data, trailer=tk.zstd_frame(b"x"))))
HOSTILE.case("corrupt_frame", "does not decompress", error="ArrayError")(
    _rf_edit(lambda parts, node: tk.compress(
        parts, node, frame=parts.tensors[node["tensor"]].data[:-4] + b"\xff" * 4)))
HOSTILE.case("zstd_in_1_0", "compressed tensors need format 1.1", error="SchemaError")(
    _rf_edit(lambda parts, node: setattr(parts, "minor", 0)))
HOSTILE.case("zstd_false", "zstd must be true when present", error="SchemaError")(
    _rf_edit(lambda parts, node: tk.find(
        parts, "ndarray", lambda n: "tensor" in n and not n.get("zstd"))[0].update(zstd=False)))
HOSTILE.case("minor_1_without_zstd", "compresses at least one tensor", error="ContainerError")(
    lambda: tk.pack(_minor_1_plain()))
HOSTILE.case("raw_bytes_marked_zstd", "is not a zstd frame", error="ArrayError")(
    _rf_edit(lambda parts, node: tk.compress(parts, node,
                                             frame=bytes(_declared(node) // 4))))
HOSTILE.case("expands_over_1024_times", "more than 1024 times", error="LimitError")(
    _rf_edit(lambda parts, node: tk.compress(parts, node, frame=bytes(16))))


def _minor_1_plain() -> tk.Parts:
    model = RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0).fit(X, Y)
    parts = tk.unpack(paramseal.dumps(model))
    parts.minor = 1
    return parts


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("compression-hostile"), X)


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile_compressed_file_is_rejected(name: str, hostile: dict[str, Any],
                                             tmp_path: Path) -> None:
    HOSTILE.check(name, hostile, tmp_path)


def test_bomb_is_refused_before_it_expands() -> None:
    """The 1 GiB frame is refused from its header: the load allocates next to nothing."""
    parts, node = _rf_parts()
    tk.compress(parts, node, frame=_bomb_frame(1 << 30))
    tk.reorder(parts)
    data = tk.pack(parts)
    tracemalloc.start()
    try:
        with pytest.raises(errors.ArrayError, match="declares 1073741824 bytes"):
            paramseal.loads(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20


def test_decompressed_bytes_are_bounded_per_file() -> None:
    rng = np.random.RandomState(0)
    obj = {"a": rng.randint(0, 4, 1 << 16).astype(np.float64),  # 512 KiB each, ~10x smaller
           "b": rng.randint(0, 4, 1 << 16).astype(np.float64)}
    data = paramseal.dumps(obj, compress=True)
    assert len(_zstd_nodes(data)) == 2
    limits = Limits(max_decompressed_bytes=(1 << 19) * 2)
    assert np.array_equal(paramseal.loads(data, limits=limits)["b"], obj["b"])
    with pytest.raises(errors.LimitError, match="max_decompressed_bytes"):
        paramseal.loads(data, limits=Limits(max_decompressed_bytes=(1 << 19) * 2 - 1))
    with pytest.raises(ValueError, match="above the spec's maximum"):
        Limits(max_decompressed_bytes=(64 << 30) + 1)


def test_huge_declared_array_is_a_limit_error_before_allocation() -> None:
    """A schema that declares 128 GiB (and a frame that agrees) is over the default limit."""
    parts = tk.unpack(paramseal.dumps({"z": np.zeros(1000)}, compress=True))
    node = parts.schema["root"]["values"][0]
    node["shape"] = [1 << 34]
    tracemalloc.start()
    try:
        with pytest.raises(errors.LimitError, match="max_decompressed_bytes"):
            paramseal.loads(tk.pack(parts))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20


# ---------------------------------------------------------------- with signatures and encryption

def test_compressed_signed_and_encrypted_round_trip(fitted: dict[str, Any],
                                                    tmp_path: Path) -> None:
    model, x = fitted["rf"]
    identity, recipient = _age.generate_identity()
    key = paramseal.PrivateKey.generate()
    policy = paramseal.Policy.from_keys([key.public_key])
    path = tmp_path / "rf.paramseal"
    paramseal.dump(model, path, compress=True, sign=key, recipients=[recipient])
    outer = path.read_bytes()
    assert _minor(outer) == 0  # the outer file uses no 1.1 feature; the inner one does
    loaded = paramseal.load(path, policy=policy, identities=[identity])
    assert_same_outputs(outputs(model, x), outputs(loaded, x))
    assert paramseal.dumps(loaded, compress=True) == paramseal.dumps(model, compress=True)
    # compressed and then encrypted: smaller than the encrypted raw file
    raw_encrypted = paramseal.dumps(model, recipients=[recipient])
    assert len(outer) < len(raw_encrypted)


def test_signed_compressed_file_verifies_and_can_be_signed_again(fitted: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    from paramseal import signing

    model, x = fitted["hgb"]
    first, second = paramseal.PrivateKey.generate(), paramseal.PrivateKey.generate()
    path = tmp_path / "hgb.paramseal"
    paramseal.dump(model, path, compress=True, sign=first)
    signing.add_signature(path, second)
    data = path.read_bytes()
    assert _minor(data) == 1
    policy = paramseal.Policy.from_keys([first.public_key, second.public_key], threshold=2)
    loaded = paramseal.load(path, policy=policy)
    assert_same_outputs(outputs(model, x), outputs(loaded, x))


def test_encrypt_and_decrypt_file_keep_the_inner_version(tmp_path: Path) -> None:
    from paramseal.encryption import decrypt_file, encrypt_file

    identity, recipient = _age.generate_identity()
    data = paramseal.dumps({"zeros": np.zeros(1000)}, compress=True)
    plain = tmp_path / "plain.paramseal"
    plain.write_bytes(data)
    encrypt_file(plain, tmp_path / "sealed.paramseal", recipients=[recipient])
    decrypt_file(tmp_path / "sealed.paramseal", tmp_path / "opened.paramseal",
                 identities=[identity])
    assert (tmp_path / "opened.paramseal").read_bytes() == data


def test_inspect_shows_compressed_tensors() -> None:
    data = paramseal.dumps({"a": np.zeros(1000), "b": np.arange(3.0)}, compress=True)
    report = paramseal.inspect(data).to_dict()
    assert report["format_version"] == "1.1"
    values = report["tree"]["values"]
    assert values[0].get("zstd") is True and "zstd" not in values[1]
