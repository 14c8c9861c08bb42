"""A small writer that can lie: builds paramseal files field by field, valid or not.

It shares no code with the library's writer, so the vectors and hostile-file tests it makes
are an independent reading of spec/format.md. Typical use: take a valid file, ``unpack`` it,
change one thing (a header key, a schema node, one tensor's bytes), ``pack`` it again with
every length, offset and digest recomputed, so that only the one change is wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import numpy as np

MAGIC = b"\x89PSEAL\r\n"
PRELUDE = struct.Struct("<8sHHIII")
NATIVE = {"|b1": "BOOL", "|u1": "U8", "|i1": "I8", "<u2": "U16", "<i2": "I16", "<f2": "F16",
          "<u4": "U32", "<i4": "I32", "<f4": "F32", "<u8": "U64", "<i8": "I64", "<f8": "F64"}
CODE_DTYPE = {v: np.dtype(k) for k, v in NATIVE.items()}


def packb(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def unpackb(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def digest(section: bytes) -> bytes:
    """§3.3: SHA-256, or above 16 MiB the SHA-256 of a domain string and each piece's."""
    chunk = 16 << 20
    if len(section) <= chunk:
        return hashlib.sha256(section).digest()
    pieces = b"".join(hashlib.sha256(section[i:i + chunk]).digest()
                      for i in range(0, len(section), chunk))
    return hashlib.sha256(b"paramseal chunked sha256 v1\n" + pieces).digest()


def align64(n: int) -> int:
    return (n + 63) // 64 * 64


@dataclasses.dataclass
class Tensor:
    code: str
    shape: list[int]
    data: bytes


@dataclasses.dataclass
class Parts:
    """A file taken apart. Edit any field, then :func:`pack`."""

    header: dict[str, Any]
    signatures: list[Any]
    schema: dict[str, Any]
    tensors: list[Tensor]
    major: int = 1
    minor: int = 0
    reserved: int = 0
    #: The age ciphertext of an encrypted file (§3.5); then schema and tensors are empty.
    payload: bytes | None = None

    def array(self, node: dict[str, Any]) -> np.ndarray:
        """A writable copy of the array an ``ndarray`` node describes (C order)."""
        dtype = _dtype(node["dtype"])
        tensor = self.tensors[node["tensor"]]
        data = unzstd(tensor.data) if node.get("zstd") else tensor.data
        flat = np.frombuffer(data, dtype=dtype)
        if "strides" not in node:
            return flat.reshape(node["shape"]).copy()
        strides = [s * dtype.itemsize for s in node["strides"]]
        view = np.lib.stride_tricks.as_strided(flat, node["shape"], strides)
        for axis in node.get("flip", []):
            view = np.flip(view, axis)
        return np.ascontiguousarray(view)

    def set_array(self, node: dict[str, Any], array: np.ndarray) -> None:
        """Replace the tensor behind ``node`` (and its shape) by ``array``'s bytes, C order."""
        array = np.ascontiguousarray(array)
        tensor = self.tensors[node["tensor"]]
        node.pop("strides", None)
        node.pop("flip", None)
        node["shape"] = list(array.shape)
        if node.get("zstd"):  # §5.4: stays one compressed frame (call reorder() afterwards)
            tensor.data = zstd_frame(array.tobytes())
            tensor.shape = [len(tensor.data)]
            return
        tensor.data = array.tobytes()
        if tensor.code == "U8" and NATIVE.get(array.dtype.str) != "U8":
            tensor.shape = [len(tensor.data)]
        else:
            tensor.shape = list(array.shape)


def _dtype(spec: Any) -> np.dtype:
    if isinstance(spec, str):
        return np.dtype(spec)
    names = [f[0] for f in spec["fields"]]
    formats = [f[1] for f in spec["fields"]]
    offsets = [f[2] for f in spec["fields"]]
    return np.dtype({"names": names, "formats": formats, "offsets": offsets,
                     "itemsize": spec["itemsize"]})


def unpack(data: bytes) -> Parts:
    _magic, major, minor, h_len, s_len, reserved = PRELUDE.unpack_from(data, 0)
    header = unpackb(data[24:24 + h_len])
    signatures = unpackb(data[24 + h_len:24 + h_len + s_len])
    start = align64(24 + h_len + s_len)
    sections = {s["name"]: data[start + s["offset"]:start + s["offset"] + s["length"]]
                for s in header["sections"]}
    if "payload" in sections:
        return Parts(header, signatures, {}, [], major, minor, reserved,
                     payload=sections["payload"])
    schema = unpackb(sections["schema"])
    params = sections["params"]
    (n,) = struct.unpack_from("<Q", params, 0)
    table = json.loads(params[8:8 + n])
    body = params[8 + n:]
    tensors = [Tensor(e["dtype"], e["shape"], body[e["data_offsets"][0]:e["data_offsets"][1]])
               for e in table.values()]
    return Parts(header, signatures, schema, tensors, major, minor, reserved)


def params_bytes(tensors: list[Tensor], *, header_json: bytes | None = None) -> bytes:
    entries = {}
    offset = 0
    for i, t in enumerate(tensors):
        entries[str(i)] = {"dtype": t.code, "shape": t.shape,
                           "data_offsets": [offset, offset + len(t.data)]}
        offset += len(t.data)
    text = header_json if header_json is not None else json.dumps(
        entries, separators=(",", ":")).encode()
    pad = align64(8 + len(text)) - 8 - len(text)
    text += b" " * pad
    return struct.pack("<Q", len(text)) + text + b"".join(t.data for t in tensors)


def pack(
    parts: Parts,
    *,
    schema_bytes: bytes | None = None,
    params: bytes | None = None,
    header_bytes: bytes | None = None,
    signature_bytes: bytes | None = None,
    fix_sections: bool = True,
    trailer: bytes = b"",
    padding_byte: int = 0,
) -> bytes:
    """Reassemble a file; sections, digests and lengths follow the parts unless overridden."""
    if parts.payload is not None:  # an encrypted file: one payload section
        header = dict(parts.header)
        if fix_sections and header_bytes is None:
            header["sections"] = [{"length": len(parts.payload), "name": "payload",
                                   "offset": 0, "sha256": digest(parts.payload)}]
        h = header_bytes if header_bytes is not None else packb(header)
        s = signature_bytes if signature_bytes is not None else packb(parts.signatures)
        head = PRELUDE.pack(MAGIC, parts.major, parts.minor, len(h), len(s), parts.reserved)
        head += h + s
        head += bytes([padding_byte]) * (align64(len(head)) - len(head))
        return head + parts.payload + trailer
    schema_raw = schema_bytes if schema_bytes is not None else packb(parts.schema)
    params_raw = params if params is not None else params_bytes(parts.tensors)
    header = parts.header
    if fix_sections and header_bytes is None:
        header = dict(header)
        header["sections"] = [
            {"length": len(schema_raw), "name": "schema", "offset": 0,
             "sha256": digest(schema_raw)},
            {"length": len(params_raw), "name": "params", "offset": align64(len(schema_raw)),
             "sha256": digest(params_raw)},
        ]
    h = header_bytes if header_bytes is not None else packb(header)
    s = signature_bytes if signature_bytes is not None else packb(parts.signatures)
    head = PRELUDE.pack(MAGIC, parts.major, parts.minor, len(h), len(s), parts.reserved) + h + s
    head += bytes([padding_byte]) * (align64(len(head)) - len(head))
    gap = bytes([padding_byte]) * (align64(len(schema_raw)) - len(schema_raw))
    return head + schema_raw + gap + params_raw + trailer


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every map node in a schema, depth-first, parents first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def find(parts: Parts, tag: str, where: Callable[[dict[str, Any]], bool] | None = None
         ) -> list[dict[str, Any]]:
    """Schema nodes with the ``@`` tag ``tag`` (and matching ``where``), in file order."""
    return [n for n in walk(parts.schema) if n.get("@") == tag and (where is None or where(n))]


# ---------------------------------------------------------------- compressed tensors (§5.4)

def zstd_frame(data: bytes, *, level: int = 3, content_size: bool = True) -> bytes:
    """One zstd frame of ``data`` (zstandard directly, as §5.4 describes the bytes)."""
    import zstandard

    return zstandard.ZstdCompressor(level=level, write_content_size=content_size).compress(data)


def unzstd(frame: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdDecompressor().decompress(frame, max_output_size=1 << 30)


def compress(parts: Parts, node: dict[str, Any], *, content_size: bool = True,
             frame: bytes | None = None, trailer: bytes = b"") -> None:
    """Store the tensor behind ``node`` as a zstd frame (or ``frame``), mark the node
    ``"zstd": true`` and the file 1.1. Tensor order may need :func:`reorder` afterwards."""
    tensor = parts.tensors[node["tensor"]]
    data = (frame if frame is not None
            else zstd_frame(tensor.data, content_size=content_size)) + trailer
    tensor.code, tensor.shape, tensor.data = "U8", [len(data)], data
    node["zstd"] = True
    parts.minor = 1


def reorder(parts: Parts) -> None:
    """Put tensors back in §5.2/§5.3 order (alignment key, then first reference) after their
    lengths changed, renumbering the nodes that refer to them."""
    nodes = [n for n in walk(parts.schema) if n.get("@") == "ndarray" and "tensor" in n]
    def key(n: int) -> int:
        return next(k for k in (8, 4, 2, 1) if n % k == 0)
    order = sorted(range(len(nodes)),
                   key=lambda i: (-key(len(parts.tensors[nodes[i]["tensor"]].data)), i))
    tensors = [parts.tensors[nodes[i]["tensor"]] for i in order]
    for new, i in enumerate(order):
        nodes[i]["tensor"] = new
    parts.tensors = tensors
