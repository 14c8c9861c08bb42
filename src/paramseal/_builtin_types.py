"""Python builtins and numpy values (spec/format.md §6.1 to §6.3).

Numeric, boolean, string, datetime and structured arrays go to the params section as tensors;
object arrays stay in the schema as nodes. dtypes are described by a small closed grammar that
is matched before numpy ever sees it: no object fields, no subarrays, no platform-dependent
long double.
"""

from __future__ import annotations

import itertools
import re
import types
from typing import Any

import numpy as np

from . import _paths as P
from .errors import LimitError, SchemaError, UnsupportedTypeError
from .registry import Entry, Registry

_SIMPLE_DTYPE = re.compile(
    r"\|b1|\|i1|\|u1|<[iuf][248]|<f2|<c(?:8|16)|<U[1-9]\d{0,5}|\|S[1-9]\d{0,5}"
    r"|<[Mm]8(?:\[(?:Y|M|W|D|h|m|s|ms|us|ns|ps|fs|as)\])?"
)
_dtype_cache: dict[Any, np.dtype] = {}
_MAX_FIELDS = 256
_DTYPE_CACHE_MAX = 1024
#: A strided array is written with its gaps (zeros) only while its span stays within this
#: multiple of its size; beyond it, it is copied into C order.
_MAX_SPAN_RATIO = 8
_MAX_ITEMSIZE = 1 << 20


def _fail(message: str, path: P.Path) -> SchemaError:
    return SchemaError(message, path=P.render(path))


def _unsupported(message: str, path: P.Path) -> UnsupportedTypeError:
    return UnsupportedTypeError(message, path=P.render(path))


# ---------------------------------------------------------------- dtypes (§6.2)

def _le(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype


def dtype_spec(dtype: np.dtype[Any], path: P.Path) -> Any:
    """The schema form of a dtype: its little-endian ``str``, or a field list."""
    if dtype.names is None:
        dtype = _le(dtype)
        if dtype.kind == "O":
            return "|O"
        if dtype.subdtype is not None or not _SIMPLE_DTYPE.fullmatch(dtype.str):
            raise _unsupported(f"cannot write arrays of dtype {dtype!r}", path)
        return dtype.str
    fields = []
    for name in dtype.names:
        field_dtype, offset = dtype.fields[name][:2]  # type: ignore[index]
        if field_dtype.names is not None or field_dtype.kind == "O":
            raise _unsupported(f"cannot write structured dtype field {name!r}", path)
        fields.append([name, dtype_spec(field_dtype, path), offset])
    return {"fields": fields, "itemsize": dtype.itemsize}


def parse_dtype(spec: Any, path: P.Path, *, allow_object: bool = False) -> np.dtype:
    """The dtype a schema ``dtype`` field describes, checked against the grammar first."""
    if type(spec) is str:
        cached = _dtype_cache.get(spec)
        if cached is not None:
            if cached.kind == "O" and not allow_object:
                raise _fail("object dtype is not allowed here", path)
            return cached
        if spec == "|O" or _SIMPLE_DTYPE.fullmatch(spec):
            dtype = np.dtype(spec)
            if dtype.str != spec and spec != "|O":
                raise _fail(f"dtype {spec!r} is not in canonical form", path)
            _dtype_cache[spec] = dtype
            return parse_dtype(spec, path, allow_object=allow_object)
        raise _fail(f"dtype {spec!r:.40} is not allowed", path)
    if type(spec) is not dict or list(spec) != ["fields", "itemsize"]:
        raise _fail("dtype must be a string or a map with keys fields, itemsize", path)
    fields, itemsize = spec["fields"], spec["itemsize"]
    try:
        key: Any = (tuple(map(tuple, fields)), itemsize)
        cached = _dtype_cache.get(key)
    except TypeError:  # unhashable parts: certainly not a valid spec, the checks below say why
        key = cached = None
    if cached is not None:
        return cached
    if type(itemsize) is not int or not 0 < itemsize <= _MAX_ITEMSIZE:
        raise _fail("structured itemsize out of range", path)
    if type(fields) is not list or not 0 < len(fields) <= _MAX_FIELDS:
        raise _fail(f"structured dtype needs 1 to {_MAX_FIELDS} fields", path)
    names, formats, offsets = [], [], []
    end_of_previous = 0
    for field in fields:
        if type(field) is not list or len(field) != 3:
            raise _fail("a structured field is [name, dtype, offset]", path)
        name, fmt, offset = field
        if type(name) is not str or not name or len(name) > 256 or name in names:
            raise _fail(f"bad or repeated field name {name!r:.40}", path)
        field_dtype = parse_dtype(fmt, path)  # simple dtypes only: fmt must be a string
        if type(fmt) is not str:
            raise _fail("nested structured dtypes are not allowed", path)
        if type(offset) is not int or offset < end_of_previous:
            raise _fail("structured fields must be in increasing, non-overlapping order", path)
        end_of_previous = offset + field_dtype.itemsize
        if end_of_previous > itemsize:
            raise _fail("structured field runs past itemsize", path)
        names.append(name)
        formats.append(field_dtype)
        offsets.append(offset)
    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets,
                      "itemsize": itemsize})
    if key is not None and len(_dtype_cache) < _DTYPE_CACHE_MAX:
        _dtype_cache[key] = dtype
    return dtype


# ---------------------------------------------------------------- arrays (§6.2)

def _shape(value: Any, limit: int, path: P.Path) -> tuple[int, ...]:
    if type(value) is not list:
        raise _fail("shape must be a list of sizes", path)
    if len(value) > limit:
        raise LimitError(f"an array of more than {limit} dimensions at {P.render(path)}")
    for dim in value:
        if type(dim) is not int or not 0 <= dim < 2**62:
            raise _fail("shape must hold non-negative integers", path)
    return tuple(value)


def encode_ndarray(array: np.ndarray, enc: Any, path: P.Path) -> dict[str, Any]:
    spec = dtype_spec(array.dtype, path)
    if spec == "|O":
        items = [enc.encode(x, (path, f"[{i}]")) for i, x in enumerate(array.ravel(order="C"))]
        return {"dtype": spec, "items": items, "shape": list(array.shape)}
    dtype = array.dtype.newbyteorder("<")
    node: dict[str, Any] = {"dtype": spec, "shape": list(array.shape)}
    layout = _layout(array)
    if layout is None:
        # safetensors #825: non-contiguous arrays must be copied into C order before writing.
        # (ascontiguousarray makes 0-d arrays 1-d: reshape them back.)
        normalized = np.ascontiguousarray(array, dtype=dtype).reshape(array.shape)
    else:
        flip, strides, span = layout
        if flip:
            array = array[tuple(slice(None, None, -1) if i in flip else slice(None)
                                for i in range(array.ndim))]
            node["flip"] = flip
        node["strides"] = strides
        normalized = np.zeros(span, dtype=dtype)  # the gaps between elements are zeros
        np.lib.stride_tricks.as_strided(
            normalized, array.shape, [s * dtype.itemsize for s in strides])[...] = array
    if enc.compressor is not None:
        # §5.4: one zstd frame instead of the bytes, only when it saves at least 10 %.
        frame = enc.compressor.compress(normalized)
        if frame is not None:
            node["zstd"] = True
            normalized = frame
    node["tensor"] = enc.pending(normalized)
    return node


def _layout(array: np.ndarray) -> tuple[list[int], list[int], int] | None:
    """How a non-C-contiguous ``array`` lies in memory: reversed axes, element strides and
    span, so that loading gives a view with the same strides (BLAS results depend on them)."""
    if array.flags.c_contiguous or array.size == 0:
        return None
    itemsize = array.dtype.itemsize
    if any(s % itemsize for n, s in zip(array.shape, array.strides, strict=True) if n > 1):
        return None
    flip = [i for i, (n, s) in enumerate(zip(array.shape, array.strides, strict=True))
            if n > 1 and s < 0]
    strides = [abs(s) // itemsize if n > 1 else 0
               for n, s in zip(array.shape, array.strides, strict=True)]
    if not _nested(array.shape, strides):
        return None  # overlapping or interleaved views are copied into C order
    span = 1 + sum((n - 1) * s for n, s in zip(array.shape, strides, strict=True))
    if span > _MAX_SPAN_RATIO * array.size:
        return None  # a sparse view of a much larger buffer: not worth its gaps on disk
    if not flip and strides == _c_strides(array.shape):
        return None  # C order after all (e.g. only size-1 axes were odd)
    return flip, strides, span


def _c_strides(shape: Any) -> list[int]:
    """Element strides of a C-contiguous array, 0 for axes of size 0 or 1 (as §6.2 writes)."""
    strides = []
    step = 1
    for n in reversed(shape):
        strides.append(step if n > 1 else 0)
        step *= max(n, 1)
    return strides[::-1]


def _nested(shape: Any, strides: list[int]) -> bool:
    """Whether each axis steps over whole blocks of the next-smaller one (no overlap)."""
    dims = sorted((s, n) for n, s in zip(shape, strides, strict=True) if n > 1)
    block = 1
    for stride, n in dims:
        if stride < block:
            return False
        block = stride * n
    return True


def decode_ndarray(node: dict[str, Any], dec: Any, path: P.Path) -> np.ndarray:
    dtype = parse_dtype(node["dtype"], path, allow_object=True)
    shape = _shape(node["shape"], dec.limits.max_ndim, path)
    zstd = node.get("zstd")
    if zstd is not None:
        if dec.minor < 1:
            raise _fail("unknown field zstd: compressed tensors need format 1.1", path)
        if zstd is not True:
            raise _fail("zstd must be true when present (an uncompressed tensor omits it)", path)
    if dtype.kind == "O":
        if "tensor" in node or "items" not in node or zstd is not None:
            raise _fail("object arrays carry items, not a tensor", path)
        count = 1
        for dim in shape:
            count *= dim
        items = node["items"]
        known = len(items) if type(items) is list else items.get("count") if type(
            items) is dict else None
        if known != count:
            raise _fail(f"{known!r:.20} items for shape {list(shape)}", path)
        values = dec.decode_array(items, path, P.depth(path) + 1)
        if len(values) != count:
            raise _fail(f"{len(values)} items for shape {list(shape)}", path)
        result = np.empty(count, dtype=object)
        for i, value in enumerate(values):
            result[i] = value
        return result.reshape(shape)
    if "items" in node or "tensor" not in node:
        raise _fail("arrays of this dtype carry a tensor, not items", path)
    strides, flip = node.get("strides"), node.get("flip")
    if strides is None:
        if flip is not None:
            raise _fail("flip needs strides", path)
        return dec.tensor(node["tensor"], dtype, shape, path, compressed=zstd is True)
    ndim = len(shape)
    if (type(strides) is not list or len(strides) != ndim
            or any(type(s) is not int or not 0 <= s < 2**62 for s in strides)
            or any((s == 0) != (n <= 1) for s, n in zip(strides, shape, strict=True))
            or 0 in shape or not _nested(shape, strides)):
        raise _fail("strides must be one positive, non-overlapping step per dimension", path)
    if flip is not None and (type(flip) is not list or not flip
                             or any(type(i) is not int or not 0 <= i < ndim or shape[i] < 2
                                    for i in flip)
                             or flip != sorted(set(flip))):  # only ints get this far
        raise _fail("flip must be a sorted list of distinct dimensions", path)
    if flip is None and strides == _c_strides(shape):
        raise _fail("a C-contiguous array carries no strides", path)
    count = 1
    for n in shape:
        count *= n
    span = 1 + sum((n - 1) * s for n, s in zip(shape, strides, strict=True))
    if span > _MAX_SPAN_RATIO * count:
        raise _fail(f"strided span {span} is more than {_MAX_SPAN_RATIO}x the array size", path)
    flat = dec.tensor(node["tensor"], dtype, (span,), path, compressed=zstd is True)
    array = np.lib.stride_tricks.as_strided(flat, shape, [s * dtype.itemsize for s in strides])
    if span > count:
        # The gaps between elements are zeros: one encoding per value, no hidden bytes.
        gaps = np.ones(span, dtype=bool)
        np.lib.stride_tricks.as_strided(gaps, shape, list(strides))[...] = False
        if flat.view(np.uint8).reshape(span, dtype.itemsize)[gaps].any():
            raise _fail("the gaps of a strided array must be zero bytes", path)
    if flip:
        array = array[tuple(slice(None, None, -1) if i in flip else slice(None)
                            for i in range(ndim))]
    return array


# ---------------------------------------------------------------- numpy scalars and dtypes

_SCALAR_TYPES = (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.complex64, np.complex128, np.str_, np.bytes_,
    np.datetime64, np.timedelta64,
)


def encode_scalar(value: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    array = np.asarray(value)
    spec = dtype_spec(array.dtype, path)
    return {"data": _le_bytes(array), "dtype": spec}


def _le_bytes(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype=_le(array.dtype)).tobytes()


def decode_scalar(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    dtype = parse_dtype(node["dtype"], path)
    data = node["data"]
    if dtype.names is not None:
        raise _fail("structured scalars are not supported", path)
    if type(data) is not bytes or len(data) != dtype.itemsize:
        raise _fail(f"scalar data must be {dtype.itemsize} bytes", path)
    return np.frombuffer(data, dtype=dtype)[0]


def encode_dtype(value: np.dtype, enc: Any, path: P.Path) -> dict[str, Any]:
    return {"dtype": dtype_spec(value, path)}


def decode_dtype(node: dict[str, Any], dec: Any, path: P.Path) -> np.dtype:
    return parse_dtype(node["dtype"], path, allow_object=True)


# ---------------------------------------------------------------- classes and functions as values

def _type_table() -> dict[str, Any]:
    table: dict[str, Any] = {f"numpy.{t.__name__}": t for t in _SCALAR_TYPES}
    table.update({"numpy.object_": np.object_, "builtins.float": float, "builtins.int": int,
                  "builtins.bool": bool, "builtins.str": str, "builtins.complex": complex,
                  "builtins.object": object})
    return table


def _function_table() -> dict[str, Any]:
    from sklearn import feature_selection as fs

    table: dict[str, Any] = {
        f"numpy.{name}": getattr(np, name)
        for name in ("log", "log1p", "log2", "log10", "exp", "expm1", "sqrt", "square", "abs",
                     "absolute", "negative", "reciprocal", "sin", "cos", "tanh", "arcsinh",
                     "sinh", "cbrt", "sign", "mean", "median", "max", "min", "sum", "std")
    }
    for name in ("f_classif", "f_regression", "chi2", "mutual_info_classif",
                 "mutual_info_regression", "r_regression"):
        table[f"sklearn.feature_selection.{name}"] = getattr(fs, name)
    from sklearn import metrics
    from sklearn.metrics import _scorer

    for name in METRIC_FUNCTIONS:
        table[f"sklearn.metrics.{name}"] = getattr(metrics, name)
    for name in ("positive_likelihood_ratio", "negative_likelihood_ratio"):
        table[f"sklearn.metrics._scorer.{name}"] = getattr(_scorer, name)
    return table


#: The score functions behind scikit-learn's named scorers (get_scorer_names()), and fbeta_score.
METRIC_FUNCTIONS = (
    "accuracy_score", "balanced_accuracy_score", "brier_score_loss", "d2_brier_score",
    "d2_log_loss_score", "f1_score", "fbeta_score", "jaccard_score", "log_loss",
    "matthews_corrcoef", "precision_score", "recall_score", "average_precision_score",
    "roc_auc_score", "top_k_accuracy_score", "d2_absolute_error_score",
    "explained_variance_score", "max_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_gamma_deviance", "mean_poisson_deviance",
    "mean_squared_error", "mean_squared_log_error", "median_absolute_error", "r2_score",
    "root_mean_squared_error", "root_mean_squared_log_error", "adjusted_mutual_info_score",
    "adjusted_rand_score", "completeness_score", "fowlkes_mallows_score", "homogeneity_score",
    "mutual_info_score", "normalized_mutual_info_score", "rand_score", "v_measure_score",
)


TYPE_TABLE = _type_table()
_TYPE_NAMES = {id(v): k for k, v in TYPE_TABLE.items()}
_FUNCTIONS: dict[str, Any] = {}
_FUNCTION_NAMES: dict[int, str] = {}


def _functions() -> tuple[dict[str, Any], dict[int, str]]:
    if not _FUNCTIONS:
        table = _function_table()
        _FUNCTION_NAMES.update({id(v): k for k, v in table.items()})
        _FUNCTIONS.update(table)
    return _FUNCTIONS, _FUNCTION_NAMES


def encode_type(value: type, enc: Any, path: P.Path) -> dict[str, Any]:
    name = _TYPE_NAMES.get(id(value))
    if name is None:
        raise _unsupported(f"cannot write the class {value!r} as a value", path)
    return {"name": name}


def decode_type(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    name = node["name"]
    if type(name) is not str or name not in TYPE_TABLE:
        raise UnsupportedTypeError(f"class {name!r:.80} is not allowed", path=P.render(path))
    return TYPE_TABLE[name]


def encode_function(value: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    name = _functions()[1].get(id(value))
    if name is None:
        raise _unsupported(
            f"cannot write the callable {getattr(value, '__qualname__', value)!r}: only the "
            "named functions of the allowlist can be written",
            path,
        )
    return {"name": name}


def decode_function(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    name = node["name"]
    table = _functions()[0]
    if type(name) is not str or name not in table:
        raise UnsupportedTypeError(f"function {name!r:.80} is not allowed", path=P.render(path))
    return table[name]


# ---------------------------------------------------------------- containers and small values

def _items(node: dict[str, Any], key: str, dec: Any, path: P.Path, *, named: bool = True
           ) -> list[Any]:
    """Decode the array field ``key``; paths name it (``.keys``) unless it is the sequence
    itself (a tuple's or a set's ``items``, shown as ``$.t[0]``)."""
    items = node[key]
    result = dec.decode_array(items, (path, f".{key}") if named else path, P.depth(path) + 1)
    return result if result is not items else list(items)


def encode_tuple(value: tuple, enc: Any, path: P.Path) -> dict[str, Any]:
    return {"items": [enc.encode(x, (path, f"[{i}]")) for i, x in enumerate(value)]}


def decode_tuple(node: dict[str, Any], dec: Any, path: P.Path) -> tuple:
    return tuple(_items(node, "items", dec, path, named=False))


def encode_dict(value: dict, enc: Any, path: P.Path) -> dict[str, Any]:
    keys = []
    values = []
    for key, item in value.items():
        keys.append(enc.encode(key, (path, f"[{key!r:.40}]")))
        values.append(enc.encode(item, (path, f"[{key!r:.40}]")))
    return {"keys": keys, "values": values}


def decode_dict(node: dict[str, Any], dec: Any, path: P.Path) -> dict:
    keys = _items(node, "keys", dec, path)
    values = _items(node, "values", dec, path)
    if len(keys) != len(values):
        raise _fail("dict keys and values differ in length", path)
    try:
        result = dict(zip(keys, values, strict=True))
    except TypeError as exc:
        raise _fail("dict key is not hashable", path) from exc
    if len(result) != len(keys):
        raise _fail("dict has a repeated key", path)
    return result


def _set_items(value: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    from . import _canonical

    encoded = [enc.encode(x, (path, "{item}")) for x in value]
    keys = [_canonical.encode(x) for x in encoded]
    if len(set(keys)) != len(keys):
        # e.g. two distinct NaN objects: a set of them could not be read back as a set
        raise _unsupported("a set whose items encode identically (e.g. two NaNs)", path)
    return {"items": [x for _, x in sorted(zip(keys, encoded, strict=True), key=lambda p: p[0])]}


def _decode_set_items(node: dict[str, Any], dec: Any, path: P.Path) -> list[Any]:
    from . import _canonical

    raw = node["items"]
    if type(raw) is dict and raw.get("@") in ("strings", "ints"):
        raw = dec.decode_array(raw, path, P.depth(path) + 1)  # plain str items
    if type(raw) is not list:
        raise _fail("items must be an array", path)
    encoded = [_canonical.encode(x) for x in raw]
    if any(a >= b for a, b in itertools.pairwise(encoded)):
        raise _fail("set items must be in canonical order, without repeats", path)
    items = _items(node, "items", dec, path, named=False)
    try:
        if len(set(items)) != len(items):
            raise _fail("set has a repeated item", path)
    except TypeError as exc:
        raise _fail("set item is not hashable", path) from exc
    return items


def decode_set(node: dict[str, Any], dec: Any, path: P.Path) -> set:
    return set(_decode_set_items(node, dec, path))


def decode_frozenset(node: dict[str, Any], dec: Any, path: P.Path) -> frozenset:
    return frozenset(_decode_set_items(node, dec, path))


def encode_bigint(value: int, enc: Any, path: P.Path) -> dict[str, Any]:
    return {"digits": str(value)}


_DIGITS = re.compile(r"-?[1-9][0-9]*")


def decode_bigint(node: dict[str, Any], dec: Any, path: P.Path) -> int:
    digits = node["digits"]
    if type(digits) is not str:
        raise _fail("integer digits missing", path)
    if len(digits) - digits.startswith("-") > dec.limits.max_bigint_digits:
        # also Python's own int() limit (sys.set_int_max_str_digits): never reach it
        raise LimitError(f"an integer of more than {dec.limits.max_bigint_digits} digits at "
                         f"{P.render(path)}")
    if not _DIGITS.fullmatch(digits):
        raise _fail("integer digits are not canonical decimal", path)
    try:
        value = int(digits)
    except ValueError:  # the interpreter's own digit limit, lowered below ours
        raise LimitError(f"an integer of {len(digits)} digits is above this interpreter's "
                         f"limit (sys.get_int_max_str_digits) at {P.render(path)}") from None
    if -(2**63) <= value < 2**64:
        raise _fail("integers in the 64-bit range are written as msgpack integers", path)
    return value


def encode_complex(value: complex, enc: Any, path: P.Path) -> dict[str, Any]:
    return {"imag": value.imag, "real": value.real}


def decode_complex(node: dict[str, Any], dec: Any, path: P.Path) -> complex:
    real, imag = node["real"], node["imag"]
    if type(real) is not float or type(imag) is not float:
        raise _fail("complex parts must be floats", path)
    return complex(real, imag)


def encode_slice(value: slice, enc: Any, path: P.Path) -> dict[str, Any]:
    parts = (value.start, value.step, value.stop)
    if any(p is not None and type(p) is not int for p in parts):
        raise _unsupported("slices may hold only int or None", path)
    return {"start": value.start, "step": value.step, "stop": value.stop}


def decode_slice(node: dict[str, Any], dec: Any, path: P.Path) -> slice:
    parts = (node["start"], node["stop"], node["step"])
    if any(p is not None and type(p) is not int for p in parts):
        raise _fail("slice bounds must be integers or nil", path)
    return slice(*parts)


class _Strings:
    """Stands for the ``strings`` node, which only the schema writer produces (§4.2)."""


class _Ints:
    """Stands for the ``ints`` node, which only the schema writer produces (§4.2)."""


def decode_strings(node: dict[str, Any], dec: Any, path: P.Path) -> list[str]:
    from ._schema import STRINGS_MIN

    count, data = node["count"], node["utf8"]
    if type(count) is not int or count < STRINGS_MIN or type(data) is not bytes:
        raise _fail(f"a strings node holds at least {STRINGS_MIN} strings as UTF-8 bytes", path)
    try:
        items = data.decode("utf-8").split("\x00")
    except UnicodeDecodeError as exc:
        raise _fail("strings are not valid UTF-8", path) from exc
    if len(items) != count:
        raise _fail(f"strings node holds {len(items)} strings, not {count}", path)
    return items


def decode_ints(node: dict[str, Any], dec: Any, path: P.Path) -> list[int]:
    from ._schema import STRINGS_MIN

    count, data = node["count"], node["le64"]
    if type(count) is not int or count < STRINGS_MIN or type(data) is not bytes:
        raise _fail(f"an ints node holds at least {STRINGS_MIN} integers as bytes", path)
    if len(data) != 8 * count:
        raise _fail(f"an ints node of {count} integers holds {8 * count} bytes", path)
    values: list[int] = np.frombuffer(data, dtype="<i8").tolist()
    return values


def _never_encoded(value: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    raise _unsupported("strings nodes are made by the schema writer only", path)


def register(registry: Registry) -> None:
    def add(tag: str, cls: type, encode: Any, decode: Any, *fields: str,
            optional: tuple[str, ...] = ()) -> None:
        registry.add(Entry(tag, cls, encode, decode, frozenset(fields), frozenset(optional)))

    add("strings", _Strings, _never_encoded, decode_strings, "count", "utf8")
    add("ints", _Ints, _never_encoded, decode_ints, "count", "le64")
    add("tuple", tuple, encode_tuple, decode_tuple, "items")
    add("dict", dict, encode_dict, decode_dict, "keys", "values")
    add("set", set, _set_items, decode_set, "items")
    add("frozenset", frozenset, _set_items, decode_frozenset, "items")
    add("int", int, encode_bigint, decode_bigint, "digits")
    add("complex", complex, encode_complex, decode_complex, "imag", "real")
    add("slice", slice, encode_slice, decode_slice, "start", "step", "stop")
    add("ndarray", np.ndarray, encode_ndarray, decode_ndarray, "dtype", "shape",
        optional=("flip", "items", "strides", "tensor", "zstd"))
    registry.alias(np.memmap, "ndarray")
    add("scalar", np.float64, encode_scalar, decode_scalar, "data", "dtype")
    for scalar_type in _SCALAR_TYPES:
        if scalar_type is not np.float64:
            registry.alias(scalar_type, "scalar")
    add("dtype", type(np.dtype("f8")), encode_dtype, decode_dtype, "dtype")
    for example in ("b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "c8",
                    "c16", "U1", "S1", "M8[ns]", "m8[ns]", "O", [("a", "f8")]):
        dtype_class = type(np.dtype(example))
        if dtype_class not in registry.by_type:
            registry.alias(dtype_class, "dtype")
    add("type", type, encode_type, decode_type, "name")
    add("function", types.FunctionType, encode_function, decode_function, "name")
    for function_type in {type(np.log1p), type(np.mean), types.BuiltinFunctionType}:
        if function_type not in registry.by_type:
            registry.alias(function_type, "function")
