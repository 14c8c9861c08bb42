"""The params section: a byte-exact safetensors file (spec/format.md §5).

    offset  size  field
    0       8     N, u64 LE
    8       N     JSON header, padded with spaces so that 8 + N is a multiple of 64
    8+N     ...   tensor data, back to back, no holes, nothing after the last tensor

The JSON header is canonical: compact separators, ASCII only, one entry per tensor named by its
decimal index "0", "1", ... in data order, keys of an entry in the order dtype, shape,
data_offsets, no ``__metadata__``. Tensors are ordered by alignment (8, 4, 2, 1 bytes), then by
index, so every tensor is naturally aligned once the section is 64-aligned. Any safetensors
reader can read the section on its own; this reader is stricter and zero-copy.

Format 1.1 (§5.4) lets a tensor hold one zstd frame instead of the raw bytes of its array: the
``ndarray`` node says ``"zstd": true``, the safetensors entry is ``U8`` of the frame's length,
and the frame's declared content size must be exactly the size the schema gives the array. That
size is checked against the frame header and the per-file budget before anything is
decompressed. Compression needs the optional ``zstandard`` package (``paramseal[compress]``).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import struct
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import limits as _limits
from .errors import ArrayError, LimitError, MissingExtraError

#: numpy dtype (little-endian or byte-order free) -> safetensors dtype code.
NATIVE_CODES: dict[str, str] = {
    "|b1": "BOOL",
    "|u1": "U8",
    "|i1": "I8",
    "<u2": "U16",
    "<i2": "I16",
    "<f2": "F16",
    "<u4": "U32",
    "<i4": "I32",
    "<f4": "F32",
    "<u8": "U64",
    "<i8": "I64",
    "<f8": "F64",
}
_CODE_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2,
              "U32": 4, "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8}
_U64 = struct.Struct("<Q")
_U64_MAX = 2**64 - 1
_CODES = tuple(_CODE_SIZE)
_CODE_INDEX = {code: i for i, code in enumerate(_CODES)}


def alignment_key(nbytes: int) -> int:
    """The ordering key of §5.2: the largest of 8, 4, 2, 1 that divides a tensor's length.

    Tensors are stored in non-increasing key order, so each one starts at a multiple of its
    key, which is a multiple of its item size: every tensor is naturally aligned.
    """
    for candidate in (8, 4, 2):
        if nbytes % candidate == 0:
            return candidate
    return 1


@dataclasses.dataclass(frozen=True, slots=True)
class TensorInfo:
    code: str
    shape: tuple[int, ...]
    start: int
    end: int


class TensorTable(Sequence[TensorInfo]):
    """The tensor table of a params section, held in arrays: ~40 bytes per tensor, less than
    its JSON entry, so that a header of many tiny tensors costs no more than its size (§8.1).
    Indexing gives a :class:`TensorInfo`."""

    __slots__ = ("_codes", "_dims", "_ends", "_first_dim", "_starts")

    def __init__(self, count: int, ndims: int) -> None:
        self._codes = np.zeros(count, dtype=np.uint8)
        self._starts = np.zeros(count, dtype=np.int64)
        self._ends = np.zeros(count, dtype=np.int64)
        self._first_dim = np.zeros(count + 1, dtype=np.int64)
        self._dims = np.zeros(ndims, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._codes)

    def __iter__(self) -> Iterator[TensorInfo]:
        return (self[i] for i in range(len(self._codes)))

    def __getitem__(self, index: int) -> TensorInfo:  # type: ignore[override]
        index = range(len(self._codes))[index]  # IndexError, and negative indices
        first, last = self._first_dim[index:index + 2].tolist()
        return TensorInfo(_CODES[self._codes[index]], tuple(self._dims[first:last].tolist()),
                          int(self._starts[index]), int(self._ends[index]))


@dataclasses.dataclass(frozen=True, slots=True)
class Params:
    """Parsed params section: the tensor table and the data buffer it indexes."""

    tensors: Sequence[TensorInfo]
    data: memoryview


def _json_header(entries: Sequence[TensorInfo]) -> bytes:
    """The canonical JSON header: what ``json.dumps(..., separators=(",", ":"))`` gives."""
    parts = [
        f'"{i}":{{"dtype":"{t.code}","shape":[{",".join(map(str, t.shape))}],'
        f'"data_offsets":[{t.start},{t.end}]}}'
        for i, t in enumerate(entries)
    ]
    return ("{" + ",".join(parts) + "}").encode("ascii")


def _pad(json_bytes: bytes) -> bytes:
    total = 8 + len(json_bytes)
    padded = (total + 63) // 64 * 64
    return json_bytes + b" " * (padded - total)


def build(arrays: Sequence[np.ndarray]) -> list[bytes | memoryview]:
    """Lay out ``arrays`` (C-contiguous, little-endian, in tensor order) as a params section.

    Returns the section as a list of byte chunks, written back to back; nothing is
    concatenated in memory.
    """
    entries = []
    chunks: list[bytes | memoryview] = []
    offset = 0
    for array in arrays:
        code = NATIVE_CODES.get(array.dtype.str)
        shape: tuple[int, ...] = array.shape if code else (array.nbytes,)
        entries.append(TensorInfo(code or "U8", shape, offset, offset + array.nbytes))
        offset += array.nbytes
        if array.nbytes:
            # datetime64/timedelta64 arrays do not export a buffer: view their bytes instead.
            chunks.append(memoryview(array.reshape(-1).view(np.uint8).data))
    header = _pad(_json_header(entries))
    return [_U64.pack(len(header)), header, *chunks]


_NUMBER = rb"(?:0|[1-9][0-9]*)"


@functools.lru_cache(maxsize=8)
def _entry_grammar(max_ndim: int) -> re.Pattern[bytes]:
    """One canonical entry of the params header (§5.2), ``"0":{"dtype":..,"shape":[..],
    "data_offsets":[a,b]}``, with at most ``max_ndim`` dimensions."""
    dims = rb"(?:%s(?:,%s){0,%d})?" % (_NUMBER, _NUMBER, max_ndim - 1) if max_ndim else b""
    return re.compile(rb'"%s":\{"dtype":"[A-Z0-9]{1,8}","shape":\[%s\],"data_offsets":\[%s,%s\]\}'
                      % (_NUMBER, dims, _NUMBER, _NUMBER))


def _is_canonical(text: bytes, max_ndim: int) -> bool:
    """``text`` (which starts with ``{``) is ``{entry,entry,...}`` in the canonical grammar.
    Matched one entry at a time:
    a single pattern repeated over the whole header keeps a backtracking record per
    repetition (~650 bytes per tensor)."""
    if text == b"{}":
        return True
    entry = _entry_grammar(max_ndim).match
    pos, end = 1, len(text)
    while True:
        found = entry(text, pos)
        if found is None:
            return False
        pos = found.end()
        if pos >= end - 1:
            return pos == end - 1 and text[pos] == 0x7D  # "}"
        if text[pos] != 0x2C:  # ","
            return False
        pos += 1


#: One entry of a header that matched the grammar: name, dtype, dimensions, start, end.
_ENTRY = re.compile(rb'"([0-9]+)":\{"dtype":"([A-Z0-9]+)","shape":\[([0-9,]*)\],'
                    rb'"data_offsets":\[([0-9]+),([0-9]+)\]\}')


def parse(section: memoryview, limits: _limits.Limits = _limits.DEFAULT) -> Params:
    """Validate the params section's header and layout; no tensor data is read or copied."""
    size = len(section)
    if size < 8:
        raise ArrayError(f"params section is {size} bytes, shorter than its 8-byte length")
    (n,) = _U64.unpack_from(section, 0)
    _limits.check("params header length", n, limits.max_params_header_bytes)
    if 8 + n > size:
        raise ArrayError(f"params header length {n} runs past the section ({size} bytes)")
    if (8 + n) % 64:
        raise ArrayError("params header is not padded to a 64-byte boundary")
    raw = bytes(section[8:8 + n])
    text = raw.rstrip(b" ")
    if not text.startswith(b"{"):
        raise ArrayError("params header must be a JSON object starting with '{'")
    # Bound the table before building it: count the entries, and require the canonical entry
    # grammar (§5.2), which leaves no room for nested or unbounded values.
    _limits.check("tensor count", text.count(b'"data_offsets"'), limits.max_tensors)
    if not _is_canonical(text, limits.max_ndim):
        if re.search(rb'"shape":\[(?:[0-9]+,){%d}' % limits.max_ndim, text):
            raise LimitError(f"a params tensor has more than {limits.max_ndim} dimensions")
        raise ArrayError("params header is not in canonical form")
    # The grammar admits only the canonical form, so the entries are read with a pattern, one
    # at a time, into arrays: no JSON object is built (a tiny entry would cost ~1 KB of them).
    count = text.count(b'"data_offsets"')
    table = TensorTable(count, text.count(b",") + count)  # enough for every dimension
    data = section[8 + n:]
    offset = 0
    previous_alignment = 8
    dim_at = 0
    for i, match in enumerate(_ENTRY.finditer(text)):
        name, code_bytes, dims_text, start_text, end_text = match.groups()
        where = f"in params tensor {name.decode()!r:.20}"
        if name != b"%d" % i:
            raise ArrayError(f"tensor {i} is named {name.decode()!r:.20}, expected {str(i)!r}")
        code = code_bytes.decode()
        itemsize = _CODE_SIZE.get(code)
        if itemsize is None:
            raise ArrayError(f"dtype {code!r:.20} is not allowed {where}")
        shape = [int(d) for d in dims_text.split(b",")] if dims_text else []
        elements = 1
        for dim in shape:
            if dim > _U64_MAX:
                raise ArrayError(f"dimension {dim} does not fit in 64 bits {where}")
            elements *= dim
        start, end = int(start_text), int(end_text)
        if start != offset:
            raise ArrayError(f"data starts at {start}, expected {offset} (no holes) {where}")
        if end - start != elements * itemsize:
            raise ArrayError(f"data length {end - start} != {elements} x {itemsize} bytes {where}")
        if end > len(data):
            raise ArrayError(f"data ends at {end}, past the section {where}")
        # §5.2: alignment never increases along the data, so every tensor is aligned.
        key = alignment_key(end - start)
        if key > previous_alignment:
            raise ArrayError(f"tensor is out of alignment order {where}")
        previous_alignment = key
        table._codes[i] = _CODE_INDEX[code]
        table._starts[i] = start
        table._ends[i] = end
        table._dims[dim_at:dim_at + len(shape)] = shape
        dim_at += len(shape)
        table._first_dim[i + 1] = dim_at
        offset = end
    if offset != len(data):
        raise ArrayError(f"{len(data) - offset} bytes of params data belong to no tensor")
    if 8 + n != (8 + len(text) + 63) // 64 * 64:
        raise ArrayError("params header is not padded to the next 64-byte boundary")
    return Params(tensors=table, data=data)


# ---------------------------------------------------------------- compressed tensors (§5.4)

#: zstd level of compressed tensors; a tensor is stored raw unless its frame is at least 10 %
#: smaller than its bytes (ratio 1.1): ``11 * len(frame) <= 10 * raw``.
ZSTD_LEVEL = 3
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_EXTRA_HINT = "pip install 'paramseal[compress]'"


def _zstandard() -> Any:
    try:
        import zstandard
    except ImportError:
        raise MissingExtraError(
            "compressed tensors need the zstandard package, which is not installed "
            f"({_EXTRA_HINT})") from None
    return zstandard


#: The most a frame may expand (§5.4): a file can make a reader allocate at most this many
#: times its own size, whatever its frames declare. Writers store anything that compresses
#: better than this raw.
MAX_RATIO = 1024


def pays(frame_length: int, raw_length: int) -> bool:
    """Whether a frame may stand for ``raw_length`` bytes: it saves at least 10 % (ratio 1.1)
    and expands at most ``MAX_RATIO`` times."""
    return 11 * frame_length <= 10 * raw_length <= 10 * MAX_RATIO * frame_length


class Compressor:
    """Compresses tensors for one write (zstd level 3, content size in the frame header).

    Made before anything is encoded, so a missing ``zstandard`` fails at once.
    """

    def __init__(self) -> None:
        zstandard = _zstandard()
        self._compressor = zstandard.ZstdCompressor(
            level=ZSTD_LEVEL, write_content_size=True, write_checksum=False, write_dict_id=False)
        self.count = 0

    def compress(self, array: np.ndarray) -> np.ndarray | None:
        """The frame (a uint8 array) for C-contiguous ``array``, or None when it does not pay."""
        if array.nbytes == 0:
            return None
        frame = self._compressor.compress(memoryview(array.reshape(-1).view(np.uint8).data))
        if not pays(len(frame), array.nbytes):
            return None
        self.count += 1
        return np.frombuffer(frame, dtype=np.uint8)


def decompress(frame: memoryview, expected: int, budget: int, where: str) -> bytes:
    """The content of the one zstd frame ``frame``, which must be exactly ``expected`` bytes.

    ``expected`` comes from the schema (product(shape) x itemsize); it is compared with the
    remaining ``budget`` (``max_decompressed_bytes``) and with the size the frame header
    declares before anything is decompressed, so a frame that would expand further is refused
    without expanding. Trailing bytes, a second frame, dictionaries and corrupt data are errors.
    """
    if expected > budget:
        raise LimitError(f"decompressing {expected} more bytes would exceed "
                         f"max_decompressed_bytes ({budget} bytes left) {where}")
    if expected > MAX_RATIO * len(frame):
        raise LimitError(f"a zstd frame of {len(frame)} bytes may not expand to {expected} "
                         f"bytes (more than {MAX_RATIO} times) {where}")
    if not pays(len(frame), expected):
        raise ArrayError(f"a zstd frame of {len(frame)} bytes for {expected} bytes does not "
                         f"save 10 %: it must be stored raw {where}")
    if bytes(frame[:4]) != _ZSTD_MAGIC:
        raise ArrayError(f"compressed tensor is not a zstd frame {where}")
    zstandard = _zstandard()
    try:
        params = zstandard.get_frame_parameters(frame)
    except zstandard.ZstdError as exc:
        raise ArrayError(f"bad zstd frame header ({exc}) {where}") from None
    if params.content_size == zstandard.CONTENTSIZE_UNKNOWN:
        raise ArrayError(f"zstd frame does not declare its content size {where}")
    if params.content_size != expected:
        raise ArrayError(f"zstd frame declares {params.content_size} bytes, but the schema's "
                         f"dtype and shape need {expected} {where}")
    if params.dict_id != 0:
        raise ArrayError(f"zstd frame needs a dictionary {where}")
    try:
        data = zstandard.ZstdDecompressor().decompress(
            frame, max_output_size=expected, allow_extra_data=False)
    except zstandard.ZstdError as exc:
        raise ArrayError(f"zstd frame does not decompress ({exc}) {where}") from None
    if len(data) != expected:  # the frame header said so; the data must agree
        raise ArrayError(f"zstd frame gave {len(data)} bytes, expected {expected} {where}")
    return data
