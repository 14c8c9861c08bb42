"""Value-level round trips: builtins and numpy values come back equal, with their exact types.

``paramseal.loads(paramseal.dumps(v))`` must give back ``v``: same Python types all the way
down, floats equal bit for bit (nan payloads, -0.0), arrays with the same dtype, shape and
bytes. Also: determinism (across processes and hash seeds), shared references, mmap and
file handling.
"""

from __future__ import annotations

import io
import math
import os
import struct
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.preprocessing import StandardScaler

import paramseal

SETTINGS = settings(deadline=None, max_examples=60, derandomize=True)


# ---------------------------------------------------------------- exact comparison

def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _canon(x: Any) -> Any:
    """A hashable, type-exact key for set items (floats by their bits)."""
    t = type(x)
    if t is float:
        return (t, _bits(x))
    if t is complex:
        return (t, _bits(x.real), _bits(x.imag))
    if t is tuple:
        return (t, tuple(_canon(v) for v in x))
    if t is frozenset:
        return (t, frozenset(_canon(v) for v in x))
    return (t, x)


def _le_bytes(a: np.ndarray) -> bytes:
    dtype = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
    return np.ascontiguousarray(a, dtype=dtype).tobytes()


def assert_same(a: Any, b: Any, where: str = "$") -> None:
    """``a`` and ``b`` are the same value with the same types, recursively."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if type(a) is float:
        assert _bits(a) == _bits(b), f"{where}: {a!r} != {b!r}"
    elif type(a) is complex:
        assert (_bits(a.real), _bits(a.imag)) == (_bits(b.real), _bits(b.imag)), where
    elif type(a) in (list, tuple):
        assert len(a) == len(b), where
        for i, (p, q) in enumerate(zip(a, b, strict=True)):
            assert_same(p, q, f"{where}[{i}]")
    elif type(a) is dict:
        assert len(a) == len(b), where
        for (k1, v1), (k2, v2) in zip(a.items(), b.items(), strict=True):
            assert_same(k1, k2, f"{where}.keys")
            assert_same(v1, v2, f"{where}[{k1!r}]")
    elif type(a) in (set, frozenset):
        assert {_canon(x) for x in a} == {_canon(x) for x in b}, where
    elif type(a) is slice:
        for part in ("start", "stop", "step"):
            assert_same(getattr(a, part), getattr(b, part), f"{where}.{part}")
    elif type(a) is np.ndarray:
        # Arrays are written little-endian (a documented normalization); values are kept.
        assert a.dtype.newbyteorder("<") == b.dtype.newbyteorder("<"), where
        assert b.dtype.byteorder != ">", where
        assert a.shape == b.shape, where
        if a.dtype.kind == "O":
            for i, (p, q) in enumerate(zip(a.ravel(), b.ravel(), strict=True)):
                assert_same(p, q, f"{where}.flat[{i}]")
        else:
            assert _le_bytes(a) == _le_bytes(b), where
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype, where
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def roundtrip(value: Any) -> Any:
    data = paramseal.dumps(value)
    assert paramseal.dumps(value) == data, "dumping twice gave different bytes"
    loaded = paramseal.loads(data)
    assert_same(value, loaded)
    assert paramseal.dumps(loaded) == data, "the loaded value dumps to different bytes"
    return loaded


# ---------------------------------------------------------------- builtins

INT_EDGES = [0, 1, -1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1,
             -(2**64), 10**100, -(10**100), 2**4000]
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, math.inf, -math.inf, math.nan, struct.unpack("<d", b"\x01\x00\x00\x00\x00\x00"
                                                             b"\xf8\x7f")[0], 5e-324])
ints = st.integers() | st.sampled_from(INT_EDGES) | st.integers(max_value=-(2**64))
hashable_scalars = (
    st.none() | st.booleans() | ints | st.text(max_size=20) | st.binary(max_size=20)
    | st.floats(allow_nan=False)
)
keys = hashable_scalars | st.tuples(hashable_scalars, hashable_scalars)
optional_int = st.none() | st.integers(-(2**70), 2**70)
scalars = (
    st.none() | st.booleans() | ints | floats | st.text(max_size=30) | st.binary(max_size=30)
    | st.complex_numbers(allow_nan=True, allow_infinity=True)
    | st.builds(slice, optional_int, optional_int, optional_int)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=5).map(tuple)
        | st.dictionaries(keys, inner, max_size=5)
        | st.sets(hashable_scalars, max_size=5)
        | st.frozensets(hashable_scalars, max_size=5)
    ),
    max_leaves=20,
)


@SETTINGS
@given(values)
def test_builtins_roundtrip(value: Any) -> None:
    roundtrip(value)


EDGES = [*INT_EDGES, -0.0, math.nan, -math.inf, 1 + 2j, complex(-0.0, math.nan), b"", "",
         "\u2603", (), [], {}, set(), frozenset(), slice(None), slice(-5, None, 2)]


@pytest.mark.parametrize("value", EDGES, ids=repr)
def test_builtin_edges_roundtrip(value: Any) -> None:
    roundtrip(value)


# ---------------------------------------------------------------- numpy

NUMERIC = ["?", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "c8", "c16"]
DATES = ["M8[D]", "M8[s]", "M8[ns]", "m8[us]", "m8[D]"]
STRINGS = ["U1", "U7", "S1", "S5"]
STRUCTURED = [
    np.dtype([("a", "<i4"), ("b", "<f8")]),
    np.dtype([("a", "<i4"), ("b", "<f8")], align=True),
    np.dtype({"names": ["x", "y"], "formats": ["u1", "<f4"], "offsets": [0, 4], "itemsize": 12}),
]
ALL_DTYPES = [np.dtype(d) for d in NUMERIC + DATES + STRINGS] + STRUCTURED
BIG_ENDIAN = [np.dtype(">" + d) for d in ("i2", "u4", "i8", "f2", "f4", "f8", "c16", "U3",
                                          "M8[ms]")]
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@st.composite
def arrays(draw: Any, dtypes: list[np.dtype]) -> np.ndarray:
    dtype = draw(st.sampled_from(dtypes))
    array = draw(hnp.arrays(dtype, shapes))
    layout = draw(st.sampled_from(["C", "F", "T", "step", "reversed"]))
    if layout == "F":
        array = np.asfortranarray(array)
    elif layout == "T":
        array = array.T
    elif layout == "step" and array.ndim:
        array = np.concatenate([array, array], axis=0)[::2]
    elif layout == "reversed" and array.ndim:
        array = array[::-1]
    return array


@SETTINGS
@given(arrays(ALL_DTYPES))
def test_arrays_roundtrip(array: np.ndarray) -> None:
    loaded = roundtrip(array)
    assert not loaded.flags.writeable or loaded.size == 0  # zero-copy views of the input


@SETTINGS
@given(arrays(BIG_ENDIAN))
def test_big_endian_arrays_roundtrip_as_little_endian(array: np.ndarray) -> None:
    loaded = paramseal.loads(paramseal.dumps(array))
    assert loaded.dtype == array.dtype.newbyteorder("<")
    assert_same(array, loaded)
    contiguous = np.ascontiguousarray(array)
    little = contiguous.astype(array.dtype.newbyteorder("<"))
    assert paramseal.dumps(little) == paramseal.dumps(contiguous)


def test_object_arrays_roundtrip() -> None:
    items: list[Any] = ["a", None, np.arange(3), "", 2.5, np.float32(1.5), ("t", 1), [1, [2]]]
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    roundtrip(array)
    roundtrip(array.reshape(2, 4))
    roundtrip(np.asfortranarray(array.reshape(2, 4)))
    roundtrip(np.array(["x", "yy", None], dtype=object)[::-1])
    roundtrip(np.empty((0, 3), dtype=object))
    zero_d = np.empty((), dtype=object)
    zero_d[()] = "alone"
    roundtrip(zero_d)


def test_array_edge_shapes() -> None:
    for array in (np.array(3.5), np.array(b"xy"), np.zeros((0,)), np.zeros((3, 0, 2), "f4"),
                  np.array([], dtype="M8[ns]"), np.zeros((2, 2), dtype=STRUCTURED[1]),
                  np.array([np.datetime64("NaT"), np.datetime64("2024-02-29")]),
                  np.array([np.nan, -0.0, np.inf], dtype="f2")):
        roundtrip(array)


def test_memory_layout_of_arrays_is_kept() -> None:
    """BLAS results depend on strides: Fortran order, reversed axes and slices come back."""
    base = np.arange(48, dtype=np.float64).reshape(6, 8)
    for view in (np.asfortranarray(base), base.T, base[::-1], base[:, ::2], base[:3],
                 np.asfortranarray(base)[:4], base[::2, ::-3]):
        loaded = roundtrip(view)
        assert loaded.strides == view.strides


def test_sparse_views_are_written_in_c_order() -> None:
    """A view whose span is over 8x its size is not worth its gaps on disk (spec §6.2)."""
    view = np.arange(1000, dtype=np.float64)[::100]
    loaded = roundtrip(view)
    assert loaded.flags.c_contiguous and np.array_equal(loaded, view)


@SETTINGS
@given(st.sampled_from(ALL_DTYPES[:-3]).flatmap(
    lambda d: hnp.from_dtype(d).map(lambda v: np.array(v, dtype=d)[()])))
def test_numpy_scalars_roundtrip(scalar: Any) -> None:
    assert isinstance(scalar, np.generic)
    roundtrip(scalar)


def test_numpy_scalar_types_and_dtypes_as_values() -> None:
    types = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
             np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128, np.str_,
             np.bytes_, np.datetime64, np.timedelta64, np.object_, float, int, bool, str, complex]
    loaded = roundtrip(types)
    assert all(a is b for a, b in zip(types, loaded, strict=True))
    dtypes = [*ALL_DTYPES, np.dtype(object)]
    loaded_dtypes = roundtrip(dtypes)
    assert [type(d) for d in loaded_dtypes] == [type(d) for d in dtypes]


# ---------------------------------------------------------------- determinism

def test_dumps_is_deterministic_across_processes_and_hash_seeds() -> None:
    value_code = textwrap.dedent(
        """
        import numpy as np
        strings = {f"item-{i}" for i in range(200)}
        value = {"set": strings, "frozen": frozenset(strings), "bytes": {b"a", b"b", b"c"},
                 "mixed": {1, "1", b"1", (1, "1"), None, 2.5},
                 "dict": {s: i for i, s in enumerate(sorted(strings))},
                 "array": np.arange(10.0)}
        """
    )
    program = value_code + textwrap.dedent(
        """
        import sys, paramseal
        sys.stdout.write(paramseal.dumps(value).hex())
        """
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                              env=env, timeout=120, check=True)
        outputs.add(proc.stdout)
    namespace: dict[str, Any] = {}
    exec(value_code, namespace)
    outputs.add(paramseal.dumps(namespace["value"]).hex())
    assert len(outputs) == 1


# ---------------------------------------------------------------- shared references

def test_shared_references_stay_shared() -> None:
    inner = [1, 2]
    array = np.arange(5.0)
    table = {"k": 1}
    obj_array = np.array(["s", None], dtype=object)
    value = {"a": [inner, inner], "b": (array, array), "c": [table, {"t": table}],
             "d": [obj_array, obj_array]}
    loaded = roundtrip(value)
    assert loaded["a"][0] is loaded["a"][1]
    assert loaded["b"][0] is loaded["b"][1]
    assert loaded["c"][0] is loaded["c"][1]["t"]
    assert loaded["d"][0] is loaded["d"][1]
    assert len(paramseal.inspect(paramseal.dumps(value)).tensors) == 1


def test_array_shared_between_estimators_is_one_tensor() -> None:
    X = np.random.RandomState(0).normal(size=(20, 3))
    first, second = StandardScaler().fit(X), StandardScaler().fit(X * 2)
    alone = len(paramseal.inspect(paramseal.dumps([first, second])).tensors)
    second.mean_ = first.mean_
    data = paramseal.dumps([first, second])
    assert len(paramseal.inspect(data).tensors) == alone - 1
    loaded = paramseal.loads(data)
    assert loaded[0].mean_ is loaded[1].mean_
    assert loaded[0].scale_ is not loaded[1].scale_


# ---------------------------------------------------------------- files and mmap

def test_dump_and_load_paths_and_file_objects(tmp_path: Any) -> None:
    value = {"w": np.arange(100_000, dtype=np.float64), "s": np.arange(4, dtype=np.int8),
             "meta": ["x", 1]}
    path = tmp_path / "v.paramseal"
    paramseal.dump(value, path)
    buffer = io.BytesIO()
    paramseal.dump(value, buffer)
    assert path.read_bytes() == buffer.getvalue() == paramseal.dumps(value)
    with open(path, "rb") as f:
        from_file = paramseal.load(f)
    assert_same(value, from_file)
    assert_same(value, paramseal.load(io.BytesIO(buffer.getvalue())))
    assert_same(value, paramseal.load(str(path)))
    with open(tmp_path / "w.paramseal", "wb") as f:
        paramseal.dump(value, f)
    assert (tmp_path / "w.paramseal").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("size", [4, 300_000])
def test_mmap_arrays_are_read_only_and_copies_writable(tmp_path: Any, size: int) -> None:
    value = [np.arange(size, dtype=np.float64), np.zeros((2, 3), dtype=np.int16)]
    path = tmp_path / "a.paramseal"
    paramseal.dump(value, path)
    mapped = paramseal.load(path, mmap=True)
    assert all(not a.flags.writeable for a in mapped)
    copied = paramseal.load(path, mmap=False)
    assert all(a.flags.writeable for a in copied)
    copied[0][0] = 42.0  # a private copy: the file is unchanged
    assert_same(value, paramseal.load(path))
    assert_same(value[1], copied[1])


def test_sparse_rows_keep_their_stored_order() -> None:
    """scipy sums a row in stored order: an unsorted matrix is written as it is (§6.3)."""
    import scipy.sparse as sp

    rng = np.random.RandomState(0)
    values = rng.normal(size=6) * 10.0 ** rng.randint(-8, 8, size=6)
    matrix = sp.csr_matrix((values, [5, 1, 3, 0, 4, 2], [0, 3, 3, 6]), shape=(3, 6))
    assert not matrix.has_sorted_indices
    loaded = paramseal.loads(paramseal.dumps(matrix))
    assert loaded.indices.tolist() == [5, 1, 3, 0, 4, 2]
    assert not loaded.has_sorted_indices and not loaded.has_canonical_format
    vector = rng.normal(size=6)
    assert (loaded @ vector).tobytes() == (matrix @ vector).tobytes()
    assert paramseal.dumps(loaded) == paramseal.dumps(matrix)


def test_sparse_duplicates_are_summed_when_written() -> None:
    import scipy.sparse as sp

    matrix = sp.csr_matrix(([1.0, 2.0, 4.0], [3, 3, 0], [0, 2, 3]), shape=(2, 4))
    loaded = paramseal.loads(paramseal.dumps(matrix))
    assert loaded.has_canonical_format and loaded.indices.tolist() == [3, 0]
    assert loaded.toarray().tolist() == matrix.toarray().tolist()
