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
import json
import re
import struct
from collections.abc import Sequence
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


@dataclasses.dataclass(frozen=True, slots=True)
class Params:
    """Parsed params section: the tensor table and the data buffer it indexes."""

    tensors: tuple[TensorInfo, ...]
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
def _grammar(max_ndim: int) -> re.Pattern[bytes]:
    """The canonical params header (§5.2): ``{"0":{"dtype":..,"shape":[..],
    "data_offsets":[a,b]},...}`` with at most ``max_ndim`` dimensions per shape."""
    dims = rb"(?:%s(?:,%s){0,%d})?" % (_NUMBER, _NUMBER, max_ndim - 1) if max_ndim else b""
    entry = (rb'"%s":\{"dtype":"[A-Z0-9]{1,8}","shape":\[%s\],"data_offsets":\[%s,%s\]\}'
             % (_NUMBER, dims, _NUMBER, _NUMBER))
    return re.compile(rb"\{(?:%s(?:,%s)*)?\}" % (entry, entry))


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
    # Bound what json.loads will build before it builds it: count the entries, and require the
    # canonical entry grammar (§5.2), which leaves no room for nested or unbounded values.
    _limits.check("tensor count", text.count(b'"data_offsets"'), limits.max_tensors)
    if not _grammar(limits.max_ndim).fullmatch(text):
        if re.search(rb'"shape":\[(?:[0-9]+,){%d}' % limits.max_ndim, text):
            raise LimitError(f"a params tensor has more than {limits.max_ndim} dimensions")
        raise ArrayError("params header is not in canonical form")
    # The grammar admits only valid JSON: an object of entries {"dtype": str, "shape": [int],
    # "data_offsets": [int, int]} with non-negative integers; what is left to check is below.
    body = json.loads(text)
    _limits.check("tensor count", len(body), limits.max_tensors)

    data = section[8 + n:]
    tensors = []
    offset = 0
    previous_alignment = 8
    for i, (name, entry) in enumerate(body.items()):
        where = f"in params tensor {name!r:.20}"
        if name != str(i):  # also catches a duplicate name, which json.loads merged
            raise ArrayError(f"tensor {i} is named {name!r:.20}, expected {str(i)!r}")
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        itemsize = _CODE_SIZE.get(code)
        if itemsize is None:
            raise ArrayError(f"dtype {code!r:.20} is not allowed {where}")
        count = 1
        for dim in shape:
            count *= dim
        start, end = offsets
        if start != offset:
            raise ArrayError(f"data starts at {start}, expected {offset} (no holes) {where}")
        if end - start != count * itemsize:
            raise ArrayError(f"data length {end - start} != {count} x {itemsize} bytes {where}")
        if end > len(data):
            raise ArrayError(f"data ends at {end}, past the section {where}")
        # §5.2: alignment never increases along the data, so every tensor is aligned.
        key = alignment_key(end - start)
        if key > previous_alignment:
            raise ArrayError(f"tensor is out of alignment order {where}")
        previous_alignment = key
        tensors.append(TensorInfo(code, tuple(shape), start, end))
        offset = end
    if offset != len(data):
        raise ArrayError(f"{len(data) - offset} bytes of params data belong to no tensor")
    if _pad(_json_header(tensors)) != raw:
        raise ArrayError("params header is not in canonical form")
    return Params(tensors=tuple(tensors), data=data)


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
