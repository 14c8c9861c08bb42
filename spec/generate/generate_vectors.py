"""Write spec/vectors/: one file per rule of spec/format.md, deterministic, by testkit only.

Each vector is a text header (``expect:`` the error class or ``success``; ``comment:`` the rule
it tests, quoting the spec), a blank line, then the raw file. Run from the repository root:

    python spec/generate/generate_vectors.py            # (re)write spec/vectors/
    python spec/generate/generate_vectors.py --check    # fail if spec/vectors/ is out of date
"""

from __future__ import annotations

import copy
import json
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import msgpack
import numpy as np
import testkit as tk

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
HEADER = {"annotations": {}, "created": None, "encryption": None, "expires": None,
          "model": None, "producer": {"paramseal": "vectors"}, "root": "dict",
          "sections": [], "signers": None}


def nd(tensor: int, shape: list[int], dtype: str = "<f8") -> dict:
    return {"@": "ndarray", "dtype": dtype, "shape": shape, "tensor": tensor}


def f64(*values: float) -> tk.Tensor:
    return tk.Tensor("F64", [len(values)], np.array(values, "<f8").tobytes())


def base() -> tk.Parts:
    """A valid file: {"a": 1, "b": float64[3]}."""
    schema = {"root": {"@": "dict", "keys": ["a", "b"], "values": [1, nd(0, [3])]},
              "version": 1}
    return tk.Parts(copy.deepcopy(HEADER), [], schema, [f64(1.0, 2.0, 3.0)])


def scaler() -> tk.Parts:
    """A valid StandardScaler fitted on two features (a class whose parameters are stable)."""
    params = {"copy": True, "with_mean": True, "with_std": True}
    state = {"mean_": nd(0, [2]), "n_features_in_": 2,
             "n_samples_seen_": {"@": "scalar", "data": struct.pack("<q", 4), "dtype": "<i8"},
             "scale_": nd(1, [2]), "var_": nd(2, [2])}
    schema = {"root": {"@": "sklearn.preprocessing.StandardScaler", "params": params,
                       "state": state}, "version": 1}
    header = copy.deepcopy(HEADER)
    header["root"] = "sklearn.preprocessing.StandardScaler"
    return tk.Parts(header, [], schema, [f64(1.0, 2.0), f64(2.0, 0.5), f64(4.0, 0.25)])


def with_root(root: object, tensors: list[tk.Tensor] | None = None) -> tk.Parts:
    parts = base()
    parts.schema["root"] = root
    parts.tensors = tensors if tensors is not None else []
    return parts


Vector = tuple[str, str, Callable[[], bytes]]
V: list[Vector] = []


def vector(name: str, expect: str, comment: str, **options: str
           ) -> Callable[[Callable[[], bytes]], None]:
    """Register a vector; ``options`` become header lines (``limits``, ``policy``,
    ``identity``, ``passphrase``: the load options the vector is read with)."""
    lines = "".join(f"{key}: {value}\n" for key, value in options.items())

    def add(make: Callable[[], bytes]) -> None:
        V.append((name, f"expect: {expect}\ncomment: {comment}\n{lines}", make))
    return add


def raw_header(parts: tk.Parts) -> bytes:
    """The header bytes pack() would write (with sections filled in)."""
    data = tk.pack(parts)
    (h_len,) = struct.unpack_from("<I", data, 12)
    return data[24:24 + h_len]


# ---------------------------------------------------------------- success

vector("success_dict", "success", "a minimal valid file: a dict with an int and a float64 array"
       )(lambda: tk.pack(base()))
vector("success_standard_scaler", "success",
       "a fitted StandardScaler, written by hand")(lambda: tk.pack(scaler()))
vector("success_shared_list", "success", "§4.3 a shared list is written once with an id")(
    lambda: tk.pack(with_root({"@": "tuple", "items": [
        {"@": "list", "id": 0, "items": [1, 2]}, {"@": "ref", "id": 0}]}, [])))


# ---------------------------------------------------------------- container (§2)

def _edit(offset: int, new: bytes) -> Callable[[], bytes]:
    def make() -> bytes:
        data = bytearray(tk.pack(base()))
        data[offset:offset + len(new)] = new
        return bytes(data)
    return make


vector("container_bad_magic", "ContainerError", "§2.2 reject a file whose magic differs")(
    _edit(0, b"\x89PSEAM"))
vector("container_pickle_prefix", "ContainerError",
       "§2.1 a pickle stream is not a paramseal file")(lambda: b"\x80\x05\x95" + bytes(40))
vector("container_truncated_prelude", "ContainerError",
       "§2.2 reject a file shorter than 24 bytes")(lambda: tk.pack(base())[:20])
vector("container_major_2", "UnsupportedVersionError",
       "§2.2 reject a major version other than 1")(_edit(8, b"\x02\x00"))
vector("container_minor_unknown", "UnsupportedVersionError",
       "§2.2 reject a minor version above the reader's (the prelude is not signed)")(
    _edit(10, b"\x02\x00"))
vector("container_minor_1_without_zstd", "ContainerError",
       "§2.2 a file is the lowest minor whose features it uses: 1.1 compresses a tensor")(
    _edit(10, b"\x01\x00"))
vector("container_reserved_nonzero", "ContainerError",
       "§2.2 the reserved field MUST be 0")(_edit(20, b"\x01"))
vector("container_header_len_zero", "ContainerError",
       "§2.2 H and S MUST NOT be 0")(_edit(12, b"\x00\x00\x00\x00"))
vector("container_header_past_eof", "ContainerError",
       "§2.2 reject a file where D lies past its end")(_edit(12, struct.pack("<I", 60000)))


def _nonzero_padding() -> bytes:
    parts = base()
    return tk.pack(parts, padding_byte=0x20)


vector("container_nonzero_padding", "ContainerError",
       "§2.2 bytes between the signature block and D MUST be zero")(_nonzero_padding)
vector("container_trailing_bytes", "ContainerError",
       "§2.3 the file MUST end exactly at the end of the last section")(
    lambda: tk.pack(base(), trailer=b"\x00"))
vector("container_polyglot_zip_trailer", "ContainerError",
       "§2.3 no trailing bytes: a ZIP appended to a model is rejected")(
    lambda: tk.pack(base(), trailer=b"PK\x05\x06" + bytes(18)))


def _section_past_eof() -> bytes:
    parts = base()
    data = tk.pack(parts)
    good = tk.unpack(data).header
    good["sections"][1]["length"] += 64
    return tk.pack(parts, header_bytes=tk.packb(good))


vector("container_section_past_eof", "ContainerError",
       "§2.3 a section MUST lie inside the file")(_section_past_eof)


def _section_offset(delta: int) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = base()
        header = tk.unpack(tk.pack(parts)).header
        header["sections"][1]["offset"] += delta
        return tk.pack(parts, header_bytes=tk.packb(header))
    return make


vector("container_section_gap", "ContainerError",
       "§2.3 each section starts at align64 of the previous end")(_section_offset(64))
vector("container_section_overlap", "ContainerError",
       "§2.3 sections do not overlap")(_section_offset(-64))


# ---------------------------------------------------------------- header (§3)

def _header_with(**changes: object) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = base()
        header = tk.unpack(tk.pack(parts)).header
        for key, value in changes.items():
            if value is KeyError:
                del header[key]
            else:
                header[key] = value
        return tk.pack(parts, header_bytes=tk.packb(dict(sorted(header.items()))))
    return make


vector("header_unknown_key", "SchemaError", "§3.2 reject unknown header keys")(
    _header_with(zzz="x"))
vector("header_missing_key", "SchemaError", "§3.2 reject missing header keys")(
    _header_with(created=KeyError))
vector("header_sections_wrong_names", "SchemaError",
       "§2.3 an unencrypted file has exactly schema then params")(
    lambda: _swap_section_names())
vector("header_encrypted_with_root", "SchemaError",
       "§3.2 an encrypted file's root is nil")(
    _header_with(encryption={"scheme": "age-v1"}))
vector("header_unknown_encryption", "SchemaError", "§3.2 encryption scheme is age-v1")(
    _header_with(encryption={"scheme": "rot13"}, root=None))
vector("header_created_negative", "SchemaError", "§3.2 integers are in [0, 2**63)")(
    _header_with(created=-1))
vector("header_annotation_not_str", "SchemaError", "§3.2 annotations map str to str")(
    _header_with(annotations={"a": 1}))
vector("header_signers_in_outer", "SchemaError",
       "§3.2 signers are 32-byte key IDs, sorted and distinct")(
    _header_with(signers=[b"\x01" * 32, b"\x01" * 32]))


def _swap_section_names() -> bytes:
    parts = base()
    header = tk.unpack(tk.pack(parts)).header
    header["sections"][0]["name"], header["sections"][1]["name"] = "params", "schema"
    return tk.pack(parts, header_bytes=tk.packb(header))


def _header_bytes_edit(edit: Callable[[bytes], bytes]) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = base()
        return tk.pack(parts, header_bytes=edit(raw_header(parts)))
    return make


def _unsorted(header: bytes) -> bytes:
    value = msgpack.unpackb(header)
    return msgpack.packb(dict(reversed(list(value.items()))), use_bin_type=True)


def _duplicate_key(header: bytes) -> bytes:
    value = msgpack.unpackb(header)
    items = list(value.items())
    body = b"".join(msgpack.packb(k) + msgpack.packb(v, use_bin_type=True)
                    for k, v in [items[0], *items])
    return bytes([0x80 | (len(items) + 1)]) + body


def _float32_created(header: bytes) -> bytes:
    value = msgpack.unpackb(header)
    value["created"] = 5.0
    packer = msgpack.Packer(use_bin_type=True, use_single_float=True)
    return packer.pack(value)


def _ext_created(header: bytes) -> bytes:
    value = msgpack.unpackb(header)
    value["created"] = msgpack.ExtType(1, b"x")
    return msgpack.packb(value, use_bin_type=True)


def _nonminimal_int(header: bytes) -> bytes:
    value = msgpack.unpackb(header)
    value["created"] = 7
    data = msgpack.packb(value, use_bin_type=True)
    return data.replace(b"\xa7created\x07", b"\xa7created\xcd\x00\x07")


vector("header_unsorted_keys", "SchemaError", "§3.1 map keys sorted bytewise")(
    _header_bytes_edit(_unsorted))
vector("header_duplicate_key", "SchemaError", "§3.1 no duplicate map keys")(
    _header_bytes_edit(_duplicate_key))
vector("header_float32", "SchemaError", "§3.1 floats always as float64")(
    _header_bytes_edit(_float32_created))
vector("header_ext_type", "SchemaError", "§3.1 no ext types")(_header_bytes_edit(_ext_created))
vector("header_noncanonical_int", "SchemaError",
       "§3.1 integers in the smallest encoding")(_header_bytes_edit(_nonminimal_int))
vector("header_trailing_bytes", "SchemaError", "§3.1 nothing after the value")(
    _header_bytes_edit(lambda h: h + b"\xc0"))


def _signatures(entries: list[dict]) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = base()
        parts.signatures = entries
        return tk.pack(parts)
    return make


SIG_A = {"alg": "ed25519", "kid": b"\x02" * 32, "sig": b"\x00" * 64}
SIG_B = {"alg": "ed25519", "kid": b"\x01" * 32, "sig": b"\x00" * 64}
vector("header_signatures_unsorted", "SchemaError",
       "§3.4 signature entries sorted by kid, one per key")(_signatures([SIG_A, SIG_B]))
vector("header_signature_unknown_alg", "SchemaError",
       "§3.4 alg is ed25519 or ecdsa-p256-sha256")(_signatures([dict(SIG_A, alg="rsa")]))
vector("header_signature_short_kid", "SchemaError", "§3.4 kid is 32 bytes")(
    _signatures([dict(SIG_A, kid=b"\x02" * 31)]))
vector("header_signature_not_array", "SchemaError", "§3.4 the signature block is an array")(
    lambda: tk.pack(base(), signature_bytes=tk.packb({"alg": "ed25519"})))


# ---------------------------------------------------------------- schema (§4)

def _schema(root: object, tensors: list[tk.Tensor] | None = None) -> Callable[[], bytes]:
    return lambda: tk.pack(with_root(root, tensors))


vector("schema_unknown_version", "SchemaError", "§4.1 the schema version is 1")(
    lambda: tk.pack(base(), schema_bytes=tk.packb({"root": 1, "version": 2})))
vector("schema_extra_top_key", "SchemaError", "§4.1 the top level has root and version only")(
    lambda: tk.pack(with_root(None, []), schema_bytes=tk.packb(
        {"extra": 1, "root": None, "version": 1})))
vector("schema_trailing_bytes", "SchemaError", "§3.1 nothing after the schema value")(
    lambda: tk.pack(with_root(None, []),
                    schema_bytes=tk.packb({"root": None, "version": 1}) + b"\xc0"))
vector("schema_noncanonical_int", "SchemaError", "§3.1 integers in the smallest encoding")(
    lambda: tk.pack(with_root(None, []), schema_bytes=b"\x82\xa4root\xcc\x01\xa7version\x01"))
vector("schema_map_without_tag", "SchemaError", "§4.2 a map node has a string @ tag")(
    _schema({"a": 1}, []))
vector("schema_unknown_field", "SchemaError",
       "§4.2 a map node has exactly its entry's fields")(
    _schema({"@": "tuple", "items": [], "zz": 1}, []))
vector("schema_missing_field", "SchemaError", "§4.2 a map node has all its entry's fields")(
    _schema({"@": "dict", "keys": []}, []))
vector("schema_unsorted_node_keys", "SchemaError", "§4.2 node keys sorted bytewise")(
    _schema({"@": "dict", "values": [], "keys": []}, []))
vector("type_unknown_tag", "UnsupportedTypeError",
       "§4.2 a tag not in the registry is refused")(_schema({"@": "os.system", "args": []}, []))
vector("type_pickle_reduce_not_expressible", "UnsupportedTypeError",
       "§4.4 there is no node that calls anything: a __reduce__-style node is an unknown tag")(
    _schema({"@": "__reduce__", "args": ["echo pwned"], "callable": "os.system"}, []))
vector("schema_ref_undefined", "SchemaError", "§4.3 a ref to an id not yet defined")(
    _schema([{"@": "ref", "id": 0}], []))
vector("schema_ref_cycle", "SchemaError", "§4.3 version 1 readers reject cycles")(
    _schema({"@": "list", "id": 0, "items": [{"@": "ref", "id": 0}]}, []))
vector("schema_id_unreferenced", "SchemaError", "§4.3 every defined id is referenced")(
    _schema({"@": "tuple", "id": 0, "items": []}, []))
vector("schema_id_out_of_order", "SchemaError",
       "§4.3 ids are numbered in order of first reference")(
    _schema([{"@": "tuple", "id": 1, "items": []}, {"@": "tuple", "id": 0, "items": [1]},
             {"@": "ref", "id": 1}, {"@": "ref", "id": 0}], []))
vector("schema_id_defined_twice", "SchemaError", "§4.3 an id is defined once")(
    _schema([{"@": "tuple", "id": 0, "items": []}, {"@": "tuple", "id": 0, "items": [1]},
             {"@": "ref", "id": 0}], []))
vector("schema_ref_extra_field", "SchemaError", "§6.1 a ref has exactly @ and id")(
    _schema([{"@": "tuple", "id": 0, "items": []}, {"@": "ref", "id": 0, "x": 1}], []))


def _nested(depth: int) -> object:
    node: object = 1
    for _ in range(depth):
        node = [node]
    return node


vector("limits_schema_depth", "LimitError", "§4.2 nesting deeper than 96 is an error")(
    _schema(_nested(200), []))
vector("limits_header_too_large", "LimitError", "§8 header at most 1 MiB")(
    _edit(12, struct.pack("<I", 2 * 1024 * 1024)))
vector("limits_sigblock_too_large", "LimitError", "§8 signature block at most 64 KiB")(
    _edit(16, struct.pack("<I", 65 * 1024)))
vector("limits_too_many_signatures", "LimitError", "§3.4 at most 16 signatures")(
    _signatures([dict(SIG_A, kid=bytes([i]) * 32) for i in range(1, 18)]))


# ---------------------------------------------------------------- params (§5)

def _params(body: bytes) -> Callable[[], bytes]:
    return lambda: tk.pack(base(), params=body)


def _params_json(text: bytes, data: bytes = np.array([1.0, 2.0, 3.0]).tobytes()) -> bytes:
    pad = tk.align64(8 + len(text)) - 8 - len(text)
    text += b" " * pad
    return struct.pack("<Q", len(text)) + text + data


GOOD_JSON = b'{"0":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}'
vector("params_header_unpadded", "ArrayError", "§5.1 8 + N is a multiple of 64")(
    _params(struct.pack("<Q", len(GOOD_JSON)) + GOOD_JSON + bytes(24)))
vector("params_header_past_section", "ArrayError", "§5.2 8 + N inside the section")(
    _params(struct.pack("<Q", 10**6) + GOOD_JSON))
vector("params_header_too_long", "LimitError", "§8 params JSON header at most 64 MiB")(
    _params(struct.pack("<Q", 2**40) + GOOD_JSON))
vector("params_noncanonical_json", "ArrayError", "§5.2 the canonical JSON form, no spaces")(
    _params(_params_json(b'{"0": {"dtype":"F64","shape":[3],"data_offsets":[0,24]}}')))
vector("params_duplicate_tensor", "ArrayError", "§5.2 duplicate tensor names are rejected")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},'
                         b'"0":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}')))
vector("params_tensor_names_not_in_order", "ArrayError",
       "§5.2 tensors are named 0, 1, ... in order")(
    _params(_params_json(b'{"1":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}')))
vector("params_metadata_present", "ArrayError", "§5.2 there is no __metadata__")(
    _params(_params_json(b'{"__metadata__":{"a":"b"},'
                         b'"0":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}')))
vector("params_bad_dtype", "ArrayError", "§5.2 dtypes from the closed list only")(
    _params(_params_json(b'{"0":{"dtype":"C64","shape":[3],"data_offsets":[0,24]}}')))
vector("params_negative_shape", "ArrayError", "§5.2 shapes are non-negative ints")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[-3],"data_offsets":[0,24]}}')))
vector("params_hole", "ArrayError", "§5.2 offsets start at 0 with no holes")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[3],"data_offsets":[8,32]}}',
                         bytes(32))))
vector("params_length_mismatch", "ArrayError", "§5.2 length = product(shape) x itemsize")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[2],"data_offsets":[0,24]}}')))
vector("params_trailing_data", "ArrayError", "§5.2 no data after the last tensor")(
    _params(_params_json(GOOD_JSON, bytes(32))))
vector("params_overflow_shape", "ArrayError",
       "§5.2 a huge shape cannot match the bytes present (checked arithmetic)")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[4611686018427387904,4],'
                         b'"data_offsets":[0,24]}}')))


def _alignment_order() -> bytes:
    tensors = [tk.Tensor("U8", [3], b"abc"), f64(1.0)]
    root = {"@": "tuple", "items": [nd(0, [3], "|u1"), nd(1, [1])]}
    return tk.pack(with_root(root, tensors))


vector("params_alignment_order", "ArrayError",
       "§5.2 alignment keys never increase along the data")(_alignment_order)
vector("params_unreferenced_tensor", "ArrayError",
       "§5.3 every tensor is referenced by exactly one ndarray node")(
    _schema({"@": "tuple", "items": []}, [f64(1.0)]))
vector("params_tensor_used_twice", "ArrayError",
       "§5.3 a tensor is referenced by one node; sharing uses refs")(
    _schema({"@": "tuple", "items": [nd(0, [1]), nd(0, [1])]}, [f64(1.0)]))
vector("params_tensor_order", "ArrayError",
       "§5.3 same-key tensors are in order of first reference")(
    _schema({"@": "tuple", "items": [nd(1, [1]), nd(0, [1])]}, [f64(1.0), f64(2.0)]))
vector("params_dtype_mismatch", "ArrayError", "§5.3 the node's dtype and shape match the tensor")(
    _schema(nd(0, [3], "<i8"), [f64(1.0, 2.0, 3.0)]))
vector("params_tensor_index_out_of_range", "ArrayError", "§5.3 tensor index in range")(
    _schema(nd(5, [3]), [f64(1.0, 2.0, 3.0)]))


# ---------------------------------------------------------------- types (§6)

vector("type_dtype_not_allowed", "SchemaError", "§6.2 the dtype grammar is closed: no <f16")(
    _schema({"@": "dtype", "dtype": "<f16"}, []))
vector("type_dtype_object_in_tensor", "SchemaError",
       "§6.2 object arrays carry items, never a tensor")(
    _schema(nd(0, [3], "|O"), [f64(1.0, 2.0, 3.0)]))
vector("type_dtype_structured_overlap", "SchemaError",
       "§6.2 structured fields do not overlap")(
    _schema({"@": "dtype", "dtype": {"fields": [["a", "<f8", 0], ["b", "<f8", 4]],
                                       "itemsize": 16}}, []))
vector("type_object_array_count", "SchemaError", "§6.2 product(shape) items")(
    _schema({"@": "ndarray", "dtype": "|O", "items": [1, 2], "shape": [3]}, []))
vector("type_scalar_wrong_length", "SchemaError", "§6.2 scalar data is exactly itemsize bytes")(
    _schema({"@": "scalar", "data": b"\x00" * 4, "dtype": "<f8"}, []))
def _strided(strides: list[int], flip: list[int] | None, data: list[float],
             shape: list[int]) -> Callable[[], bytes]:
    def make() -> bytes:
        node: dict = {"@": "ndarray", "dtype": "<f8", "shape": shape, "strides": strides,
                      "tensor": 0}
        if flip is not None:
            node["flip"] = flip
        return tk.pack(with_root(dict(sorted(node.items())), [f64(*data)]))
    return make


vector("type_ndarray_fortran_order", "success",
       "§6.2 a Fortran-ordered 2x3 array keeps its strides")(
    _strided([1, 2], None, [0.0, 3.0, 1.0, 4.0, 2.0, 5.0], [2, 3]))
vector("type_ndarray_strides_on_c_order", "SchemaError",
       "§6.2 a C-contiguous array carries no strides")(
    _strided([3, 1], None, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [2, 3]))
vector("type_ndarray_strides_overlap", "SchemaError",
       "§6.2 strides never make two elements share memory")(
    _strided([1, 1], None, [0.0, 1.0, 2.0, 3.0], [2, 3]))
vector("type_ndarray_strided_gap_not_zero", "SchemaError",
       "§6.2 the gaps of a strided array are zero bytes")(
    _strided([2], None, [0.0, 9.0, 1.0, 9.0, 2.0], [3]))
vector("type_ndarray_strided_span_too_large", "SchemaError",
       "§6.2 a strided span is at most 8x the array size")(
    _strided([20], None, [1.0] + [0.0] * 19 + [2.0], [2]))
vector("type_ndarray_flip_without_strides", "SchemaError", "§6.2 flip goes with strides")(
    _schema({"@": "ndarray", "dtype": "<f8", "flip": [0], "shape": [3], "tensor": 0},
            [f64(1.0, 2.0, 3.0)]))
vector("type_ndarray_flip_bad_axis", "SchemaError",
       "§6.2 flip lists distinct axes of size 2 or more, sorted")(
    _strided([1], [1], [1.0, 2.0, 3.0], [3]))
# fuzz findings (fuzz/findings/loads): values that Python cannot compare or hash must be
# refused as format errors, not escape as TypeError
vector("type_ndarray_flip_mixed_types", "SchemaError",
       "§6.2 flip holds axis integers (fuzz finding: a str among ints broke sorting)")(
    _strided([-1, 2], [0, "a"], [0.0, 3.0, 1.0, 4.0, 2.0, 5.0], [2, 3]))  # type: ignore[list-item]
vector("type_ndarray_flip_unhashable", "SchemaError",
       "§6.2 flip holds axis integers (fuzz finding: a list in flip broke set())")(
    _strided([-1, 2], [[0]], [0.0, 3.0, 1.0, 4.0, 2.0, 5.0], [2, 3]))  # type: ignore[list-item]
vector("schema_node_int_key", "SchemaError",
       "§4.2 node keys are strings (fuzz finding: an int key broke the key-order check)")(
    _schema({"@": "dict", 1: 2, "keys": [], "values": []}, []))


# ---------------------------------------------------------------- compressed tensors (§5.4)

PATTERN = np.tile([1.0, 2.0, 3.0, 4.0], 16)  # 512 bytes that zstd shrinks to a few dozen


def zbase(*, strided: bool = False) -> tk.Parts:
    """A valid format 1.1 file: {"a": 1, "b": float64[64] stored as one zstd frame}."""
    tensor = tk.Tensor("F64", [64], PATTERN.tobytes())
    if strided:  # the same values, Fortran-ordered 16 x 4
        node = {"@": "ndarray", "dtype": "<f8", "shape": [16, 4], "strides": [1, 16],
                "tensor": 0}
        tensor.data = PATTERN.reshape(16, 4).T.copy().tobytes()
    else:
        node = nd(0, [64])
    parts = with_root({"@": "dict", "keys": ["a", "b"], "values": [1, node]}, [tensor])
    tk.compress(parts, node)
    return parts


def zedit(edit: Callable[[tk.Parts, dict], None]) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = zbase()
        node = parts.schema["root"]["values"][1]
        edit(parts, node)
        tk.reorder(parts)
        return tk.pack(parts)
    return make


def _bomb(parts: tk.Parts, node: dict) -> None:
    """The schema says 512 KiB; the frame (32 KiB) says 1 GiB of zeros."""
    import zstandard

    node["shape"] = [1024, 64]
    stream = zstandard.ZstdCompressor(level=3).compressobj(size=1 << 30)
    zeros = bytes(1 << 20)
    frame = b"".join([*(stream.compress(zeros) for _ in range(1024)), stream.flush()])
    tk.compress(parts, node, frame=frame)


def _two_tensors_one_false() -> bytes:
    parts = zbase()
    parts.schema["root"]["values"].append({**nd(1, [3]), "zstd": False})
    parts.schema["root"]["keys"].append("c")
    parts.tensors.append(f64(1.0, 2.0, 3.0))
    tk.reorder(parts)
    return tk.pack(parts)


def _not_worth(parts: tk.Parts, node: dict) -> None:
    node["shape"] = [3]
    tk.compress(parts, node, frame=tk.zstd_frame(np.array([1.0, 2.0, 3.0]).tobytes()))


def _object_array(parts: tk.Parts, node: dict) -> None:
    """An object array (items, no tensor) that claims to be compressed."""
    del node["tensor"]
    node.update(dtype="|O", items=[1.0] * 64)
    ordered = dict(sorted(node.items()))
    node.clear()
    node.update(ordered)
    parts.tensors = []


def _zstd_in_1_0(parts: tk.Parts, node: dict) -> None:
    parts.minor = 0


vector("success_compressed_tensor", "success",
       "§5.4 a format 1.1 file whose float64[64] is one zstd frame with its content size")(
    lambda: tk.pack(zbase()))
vector("success_compressed_fortran_order", "success",
       "§5.4 a compressed tensor keeps the §6.2 layout: the frame holds the strided span")(
    lambda: tk.pack(zbase(strided=True)))
vector("params_zstd_content_size_missing", "ArrayError",
       "§5.4 the frame header MUST declare its content size")(
    zedit(lambda parts, node: tk.compress(parts, node, frame=tk.zstd_frame(
        PATTERN.tobytes(), content_size=False))))
vector("params_zstd_content_size_mismatch", "ArrayError",
       "§5.4 a decompression bomb: the frame declares 1 GiB where the schema's dtype and "
       "shape give 512 KiB; refused before decompressing")(zedit(_bomb))
def _too_dense(parts: tk.Parts, node: dict) -> None:
    """2 MiB of zeros in a frame of a few dozen bytes: more than 1024 times expansion."""
    node["shape"] = [262144]
    tk.compress(parts, node, frame=tk.zstd_frame(bytes(262144 * 8)))


vector("params_zstd_ratio_above_1024", "LimitError",
       "§5.4 a frame may expand at most 1024 times (a file cannot make a reader allocate "
       "more than 1024 times its size)")(zedit(_too_dense))
vector("params_zstd_trailing_bytes", "ArrayError",
       "§5.4 the tensor is exactly one frame: no bytes after it")(
    zedit(lambda parts, node: tk.compress(parts, node, frame=tk.zstd_frame(PATTERN.tobytes()),
                                          trailer=b"\x00")))
vector("params_zstd_two_frames", "ArrayError",
       "§5.4 the tensor is exactly one frame: not two")(
    zedit(lambda parts, node: tk.compress(parts, node, frame=tk.zstd_frame(PATTERN.tobytes()),
                                          trailer=tk.zstd_frame(b""))))
vector("params_zstd_corrupt", "ArrayError",
       "§5.4 the frame decompresses to exactly its declared size")(
    zedit(lambda parts, node: tk.compress(
        parts, node, frame=tk.zstd_frame(PATTERN.tobytes())[:-3] + b"\xff\xff\xff")))
vector("params_zstd_not_a_frame", "ArrayError", "§5.4 the tensor starts with the zstd magic")(
    zedit(lambda parts, node: tk.compress(parts, node, frame=bytes(40))))
vector("params_zstd_does_not_pay", "ArrayError",
       "§5.4 a frame that is not at least 10 % smaller than its content is stored raw")(
    zedit(_not_worth))
vector("params_zstd_tensor_not_u8", "ArrayError", "§5.4 a compressed tensor is U8")(
    zedit(lambda parts, node: setattr(parts.tensors[0], "code", "I8")))
vector("params_zstd_in_format_1_0", "SchemaError",
       "§5.4 zstd is unknown to format 1.0: a 1.0 file carrying it is rejected")(
    zedit(_zstd_in_1_0))
vector("params_zstd_false", "SchemaError",
       "§5.4 zstd is present only when true (one encoding per value)")(_two_tensors_one_false)
vector("params_zstd_object_array", "SchemaError", "§5.4 object arrays have no tensor to compress")(
    zedit(_object_array))
vector("limits_decompressed_bytes", "LimitError",
       "§8 compressed tensors decompress to at most 64 GiB per file, checked from the schema "
       "before anything is decompressed")(
    zedit(lambda parts, node: node.update(shape=[1 << 34])))


WORDS = [f"w{i}" for i in range(300)]
NUMBERS = list(range(-5, 295))
vector("schema_ints_node", "success",
       "§4.2 an array of 256 or more 64-bit integers is one ints node")(
    _schema({"@": "ints", "count": 300, "le64": np.array(NUMBERS, "<i8").tobytes()}, []))
vector("schema_ints_as_plain_array", "SchemaError",
       "§4.2 an array of 256 or more 64-bit integers MUST be an ints node")(
    _schema(NUMBERS, []))
vector("schema_ints_with_a_bool_stay_an_array", "success",
       "§4.2 an array that holds a bool is not all integers: it stays an array")(
    _schema([*NUMBERS, True], []))
vector("schema_ints_length_mismatch", "SchemaError", "§4.2 le64 holds exactly 8 x count bytes")(
    _schema({"@": "ints", "count": 300, "le64": np.array(NUMBERS, "<i8").tobytes()[:-1]}, []))
vector("schema_strings_node", "success",
       "§4.2 an array of 256 or more strings is one strings node")(
    _schema({"@": "strings", "count": 300, "utf8": "\x00".join(WORDS).encode()}, []))
vector("schema_strings_as_plain_array", "SchemaError",
       "§4.2 an array of 256 or more strings without NUL MUST be a strings node")(
    _schema(WORDS, []))
vector("schema_strings_count_mismatch", "SchemaError", "§4.2 count is the number of strings")(
    _schema({"@": "strings", "count": 301, "utf8": "\x00".join(WORDS).encode()}, []))
vector("schema_strings_too_few", "SchemaError", "§4.2 fewer than 256 strings stay an array")(
    _schema({"@": "strings", "count": 3, "utf8": b"a\x00b\x00c"}, []))
vector("schema_strings_bad_utf8", "SchemaError", "§4.2 the blob is valid UTF-8")(
    _schema({"@": "strings", "count": 300,
             "utf8": "\x00".join(WORDS).encode().replace(b"w1", b"\xff1", 1)}, []))


vector("type_function_not_allowed", "UnsupportedTypeError",
       "§6.2 functions only from the closed table")(
    _schema({"@": "function", "name": "builtins.eval"}, []))
vector("type_class_not_allowed", "UnsupportedTypeError",
       "§6.2 classes only from the closed table")(
    _schema({"@": "type", "name": "subprocess.Popen"}, []))
vector("type_bigint_in_range", "SchemaError", "§6.1 big ints lie outside the 64-bit range")(
    _schema({"@": "int", "digits": "5"}, []))
vector("type_bigint_noncanonical", "SchemaError", "§6.1 canonical decimal digits")(
    _schema({"@": "int", "digits": "0099999999999999999999999"}, []))
vector("type_dict_repeated_key", "SchemaError", "§6.1 dict keys are distinct")(
    _schema({"@": "dict", "keys": [1, 1], "values": [1, 2]}, []))
vector("type_dict_unhashable_key", "SchemaError", "§6.1 dict keys are hashable")(
    _schema({"@": "dict", "keys": [[1]], "values": [1]}, []))
vector("type_set_unsorted", "SchemaError", "§6.1 set items sorted by canonical bytes")(
    _schema({"@": "set", "items": [2, 1]}, []))
vector("type_slice_float", "SchemaError", "§6.1 slice bounds are int or nil")(
    _schema({"@": "slice", "start": 1.5, "step": None, "stop": None}, []))


def _key(nbytes: int) -> int:
    return next(k for k in (8, 4, 2, 1) if nbytes % k == 0)


def _sparse(indices: list[int], indptr: list[int], shape: list[int]) -> Callable[[], bytes]:
    def make() -> bytes:
        arrays = {  # in the order the schema walk first meets them (sorted field names)
            "data": ("F64", "<f8", np.ones(len(indices), "<f8")),
            "indices": ("I32", "<i4", np.array(indices, "<i4")),
            "indptr": ("I32", "<i4", np.array(indptr, "<i4")),
        }
        order = sorted(arrays, key=lambda n: (-_key(arrays[n][2].nbytes), list(arrays).index(n)))
        tensors = [tk.Tensor(arrays[n][0], [len(arrays[n][2])], arrays[n][2].tobytes())
                   for n in order]
        root: dict = {"@": "sparse", "format": "csr", "kind": "matrix", "shape": shape}
        for name, (_, dtype, values) in arrays.items():
            root[name] = nd(order.index(name), [len(values)], dtype)
        return tk.pack(with_root(dict(sorted(root.items())), tensors))
    return make


vector("type_sparse_valid", "success", "§6.3 a canonical 2x3 CSR matrix")(
    _sparse([0, 2, 1], [0, 2, 3], [2, 3]))
vector("type_sparse_index_out_of_range", "ReconstructionError",
       "§6.3 every index in [0, minor) (survey probe sparse_components_bad_indices)")(
    _sparse([0, 100000000, 1], [0, 2, 3], [2, 3]))
vector("type_sparse_indptr_decreasing", "ReconstructionError",
       "§6.3 indptr never decreases")(_sparse([0, 1, 2], [0, 3, 1, 3], [3, 3]))
vector("type_sparse_indptr_end", "ReconstructionError", "§6.3 indptr[-1] = nnz")(
    _sparse([0, 2, 1], [0, 2, 2], [2, 3]))
vector("type_sparse_unsorted_indices", "success",
       "§6.3 rows keep their stored order when their indices are unique")(
    _sparse([2, 0, 1], [0, 2, 3], [2, 3]))
vector("type_sparse_duplicate_indices", "ReconstructionError",
       "§6.3 no duplicate indices within a row")(_sparse([1, 1, 1], [0, 2, 3], [2, 3]))


def _random_state(pos: int) -> Callable[[], bytes]:
    def make() -> bytes:
        key = tk.Tensor("U32", [624], np.arange(624, dtype="<u4").tobytes())
        root = {"@": "RandomState", "cached_gaussian": 0.0, "has_gauss": 0,
                "key": nd(0, [624], "<u4"), "pos": pos}
        return tk.pack(with_root(root, [key]))
    return make


vector("type_random_state_pos", "ReconstructionError",
       "§6.4 pos in [0, 624]: numpy indexes the key with it unchecked")(_random_state(100000))
vector("type_random_state_valid", "success", "§6.4 a RandomState")(_random_state(624))
vector("type_generator_state_too_big", "ReconstructionError",
       "§6.4 PCG64 state is a 128-bit unsigned decimal")(
    _schema({"@": "Generator", "has_uint32": 0, "inc": "1", "state": str(2**128),
             "uinteger": 0}, []))


def _scaler(edit: Callable[[dict], None]) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = scaler()
        root = parts.schema["root"]
        edit(root)
        for key in ("params", "state"):
            root[key] = dict(sorted(root[key].items()))
        return tk.pack(parts)
    return make


vector("type_estimator_params", "SchemaError",
       "§6.5 params are exactly the constructor's parameter names")(
    _scaler(lambda r: r["params"].pop("copy")))
vector("type_estimator_unknown_param", "SchemaError",
       "§6.5 params are exactly the constructor's parameter names")(
    _scaler(lambda r: r["params"].update(zzz=1)))
vector("type_estimator_shadow_method", "SchemaError",
       "§6.5 a state name that the class defines (a method) is refused")(
    _scaler(lambda r: r["state"].update(transform={"@": "function", "name": "numpy.exp"})))
def _state_int_key() -> bytes:
    parts = scaler()
    root = parts.schema["root"]
    root["state"] = {**dict(sorted(root["state"].items())), 7: 1}  # type: ignore[dict-item]
    return tk.pack(parts)


vector("type_estimator_state_int_key", "SchemaError",
       "§6.5 state names are strings (fuzz finding: an int key broke the order check)")(
    _state_int_key)
vector("type_estimator_dunder_state", "SchemaError",
       "§6.5 a state name starting with __ is refused")(
    _scaler(lambda r: r["state"].update(__class__=1)))
vector("type_estimator_invalid_param", "ReconstructionError",
       "§6.5 the class's own parameter validation runs at load")(
    _scaler(lambda r: r["params"].update(with_mean="yes")))


# ---------------------------------------------------------------- parser coverage (issue 6)
# Each case below mirrors a rule of spec/format.md that had no vector of its own; together with
# the ones above they reach every branch of the container, header, params and schema parsers
# (tests/test_parser_coverage.py measures it).

vector("header_not_a_map", "SchemaError", "§3.2 the header is a map")(
    lambda: tk.pack(base(), header_bytes=tk.packb([1, 2])))
vector("header_ext_type_empty", "SchemaError",
       "§3.1 no ext types, not even an empty one (ext 8 of length 0 reaches msgpack's ext hook)")(
    _header_bytes_edit(lambda h: h.replace(b"\xa7created\xc0", b"\xa7created\xc7\x00\x01")))
vector("header_sections_not_array", "SchemaError",
       "§3.2 sections is a non-empty array of section maps")(_header_with(sections=[]))
vector("header_producer_not_map", "SchemaError", "§3.2 producer maps str to str")(
    _header_with(producer="paramseal"))
vector("header_annotations_too_many", "SchemaError",
       "§3.2 annotations hold at most 64 entries")(
    _header_with(annotations={f"k{i:03d}": "v" for i in range(65)}))
vector("header_annotation_int_key", "SchemaError",
       "§3.1 every map has string keys (a msgpack map may have others)")(
    _header_bytes_edit(lambda h: h.replace(b"\xabannotations\x80",
                                           b"\xabannotations\x81\x01\xa1v")))


def _section_field(key: str, value: object) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = base()
        header = tk.unpack(tk.pack(parts)).header
        header["sections"][0][key] = value
        return tk.pack(parts, header_bytes=tk.packb(header))
    return make


vector("header_section_digest_short", "SchemaError", "§3.2 a section's sha256 is bin(32)")(
    _section_field("sha256", b"\x00" * 31))
vector("header_section_offset_negative", "SchemaError",
       "§3.2 section offsets and lengths are integers in [0, 2**63)")(
    _section_field("offset", -64))
vector("header_model_missing_seq", "SchemaError", "§3.2 model is {name: str, seq: int}")(
    _header_with(model={"name": "m"}))
vector("header_model_valid", "success",
       "§3.2 a model identity and sequence number (rollback protection) in the header")(
    _header_with(model={"name": "fraud-detector", "seq": 7}))
vector("header_model_seq_negative", "SchemaError", "§3.2 model seq is an integer in [0, 2**63)")(
    _header_with(model={"name": "m", "seq": -1}))
vector("header_signers_empty", "SchemaError", "§3.2 signers is nil or 1 to 64 key IDs")(
    _header_with(signers=[]))
vector("header_signers_short_kid", "SchemaError", "§3.2 signers are 32-byte key IDs")(
    _header_with(signers=[b"\x01" * 31]))
vector("header_signers_valid", "success",
       "§3.5 signers (sorted distinct 32-byte key IDs) in an unencrypted file: the inner file "
       "of an encrypted one, loaded on its own")(
    _header_with(signers=[b"\x01" * 32, b"\x02" * 32]))
vector("header_signature_not_map", "SchemaError", "§3.4 each signature entry is a map")(
    _signatures([1]))
vector("header_signature_extra_key", "SchemaError",
       "§3.4 a signature entry is exactly {alg, kid, sig}")(_signatures([dict(SIG_A, zz=1)]))
vector("header_signature_empty_sig", "SchemaError", "§3.4 sig is a non-empty bin")(
    _signatures([dict(SIG_A, sig=b"")]))
vector("header_signature_unverified", "success",
       "§3.4 without a policy a reader checks the signature block's structure only: a "
       "signature nobody verifies does not stop the load")(_signatures([SIG_B, SIG_A]))


def _encrypted(payload: bytes) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = base()
        parts.header.update(encryption={"scheme": "age-v1"}, root=None)
        parts.payload = payload
        return tk.pack(parts)
    return make


vector("header_encrypted_no_identity", "DecryptionError",
       "§3.5 an encrypted file (root nil, one payload section) is refused by a reader that "
       "holds no identity or passphrase")(
    _encrypted(b"age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n--- AAAA\n" + bytes(32)))


def _nested_maps(depth: int) -> object:
    node: object = 1
    for _ in range(depth):
        node = {"@": "tuple", "items": [node]}
    return node


vector("limits_schema_depth_maps", "LimitError",
       "§4.2 nesting deeper than 96: map nodes count like arrays")(
    _schema(_nested_maps(200), []))
def _forest(state: dict) -> dict:
    """A RandomForestRegressor node with its default parameters (plain values, written by
    hand from scikit-learn's signature) and ``state``."""
    from sklearn.ensemble import RandomForestRegressor

    params = RandomForestRegressor().get_params(deep=False)
    return {"@": "sklearn.ensemble.RandomForestRegressor",
            "params": dict(sorted(params.items())), "state": dict(sorted(state.items()))}


def _batch(shape: list[int], **extra: object) -> dict:
    node = {"@": "sklearn.ensemble.TreeBatch", "class": "sklearn.tree.DecisionTreeRegressor",
            "columns": {}, "container": "ndarray", "n_classes": [1], "n_features": 1,
            "n_outputs": 1, "node_counts": None, "nodes": None, "params": {}, "shape": shape,
            "state": {}, "values": None}
    node.update(extra)
    return dict(sorted(node.items()))


vector("limits_tree_batch_count", "LimitError",
       "§6.6 a TreeBatch of more trees than the schema node limit (§8) is refused before "
       "anything is allocated for them")(
    _schema(_forest({"estimators_": _batch([5000, 5000])}), []))
vector("schema_tree_batch_other_attribute", "SchemaError",
       "§6.6 a TreeBatch is only ever an ensemble's estimators_ (fuzz finding: one renamed "
       "estitmaors_ loaded, a second encoding of the same trees)")(
    _schema(_forest({"estitmaors_": _batch([2])}), []))
vector("schema_tree_batch_at_root", "SchemaError",
       "§6.6 a TreeBatch outside an ensemble's estimators_ is refused")(
    _schema(_batch([2]), []))
vector("schema_tree_batch_with_id", "SchemaError",
       "§6.6 a TreeBatch node has no id: it is never shared")(
    _schema(_forest({"estimators_": _batch([2], id=0)}), []))
vector("type_forest_partial_fit", "ReconstructionError",
       "§6.5 fitted state is all or nothing: a forest with fitted attributes and no "
       "estimators_ is refused (fuzz finding)")(
    _schema(_forest({"n_features_in_": 3, "n_outputs_": 1}), []))
vector("schema_items_not_array", "SchemaError", "§6.1 a tuple's items are an array of nodes")(
    _schema({"@": "tuple", "items": 5}, []))
vector("schema_list_node_items_not_array", "SchemaError",
       "§4.3 a shared list is {@: list, id, items: array}")(
    _schema({"@": "tuple", "items": [{"@": "list", "id": 0, "items": 5},
                                     {"@": "ref", "id": 0}]}, []))
vector("schema_id_negative", "SchemaError", "§4.3 an id is a non-negative int")(
    _schema({"@": "tuple", "items": [{"@": "tuple", "id": -1, "items": []},
                                     {"@": "ref", "id": -1}]}, []))
vector("success_shared_list_three_uses", "success",
       "§4.3 a shared object is written once; every later occurrence is a ref to its id")(
    lambda: tk.pack(with_root({"@": "tuple", "items": [
        {"@": "list", "id": 0, "items": [1, 2]}, {"@": "ref", "id": 0},
        {"@": "ref", "id": 0}]}, [])))
vector("success_empty_array", "success",
       "§5.2 an empty array is a tensor of shape [0] and no bytes")(
    _schema(nd(0, [0]), [tk.Tensor("F64", [0], b"")]))
vector("params_entries_not_comma_separated", "ArrayError",
       "§5.2 entries are separated by a comma and nothing else")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[3],"data_offsets":[0,24]} '
                         b'"1":{"dtype":"U8","shape":[0],"data_offsets":[24,24]}}')))
vector("params_dimension_over_u64", "ArrayError",
       "§5.2 every dimension fits in 64 bits, even in an empty tensor")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[0,18446744073709551616],'
                         b'"data_offsets":[0,0]}}', b"")))
vector("params_header_overpadded", "ArrayError",
       "§5.1 the JSON header is padded to the NEXT 64-byte boundary, not beyond")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}' + b" " * 64)))
vector("params_shape_mismatch", "ArrayError",
       "§5.3 the node's shape gives the tensor's byte length")(
    _schema(nd(0, [2]), [f64(1.0, 2.0, 3.0)]))
vector("params_section_too_short", "ArrayError",
       "§5.1 the params section starts with its 8-byte header length")(_params(b"\x00" * 4))
vector("params_header_not_object", "ArrayError", "§5.2 the JSON header is an object")(
    _params(_params_json(b'[{"dtype":"F64","shape":[3],"data_offsets":[0,24]}]')))
vector("params_header_bad_json", "ArrayError", "§5.2 the JSON header is valid JSON")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}')))
vector("params_entry_extra_key", "ArrayError",
       "§5.2 an entry is exactly {dtype, shape, data_offsets}, in that order")(
    _params(_params_json(b'{"0":{"shape":[3],"dtype":"F64","data_offsets":[0,24]}}')))
vector("params_too_many_dims", "LimitError", "§5.2/§8 a shape has at most 32 dimensions")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[' + b"1," * 32 +
                         b'3],"data_offsets":[0,24]}}')))
vector("params_offsets_not_two_ints", "ArrayError", "§5.2 data_offsets is [begin, end]")(
    _params(_params_json(b'{"0":{"dtype":"F64","shape":[3],"data_offsets":[0,24,48]}}')))
vector("params_tensor_past_section", "ArrayError",
       "§5.2 a tensor's data lies inside the section (a length was trusted)")(
    _params(_params_json(GOOD_JSON, bytes(16))))
vector("params_zstd_bad_frame_header", "ArrayError",
       "§5.4 the tensor starts with a valid zstd frame header")(
    zedit(lambda parts, node: tk.compress(
        parts, node, frame=b"\x28\xb5\x2f\xfd\x08" + bytes(40))))


def _dictionary_frame(parts: tk.Parts, node: dict) -> None:
    """A frame header with dictionary ID 1 (descriptor 0x61: 8-byte content size, 1-byte
    dictionary ID), then the frame of an uncompressed block of the content."""
    import zstandard

    good = zstandard.ZstdCompressor(level=3, write_content_size=True).compress(PATTERN.tobytes())
    params = zstandard.get_frame_parameters(good)
    assert params.content_size == 512
    body = good[4 + 3:]  # after magic, descriptor 0x60 and the 2-byte size (512 - 256)
    assert good[4] == 0x60, good[:8]
    frame = b"\x28\xb5\x2f\xfd\x61\x01" + good[5:7] + body
    tk.compress(parts, node, frame=frame)


vector("params_zstd_dictionary", "ArrayError", "§5.4 a frame MUST NOT need a dictionary")(
    zedit(_dictionary_frame))

vector("type_tree_batch_params_missing", "SchemaError",
       "§6.6 every constructor parameter of the trees is in exactly one of params and columns "
       "(checked after the tree count is charged against the node limit)")(
    _schema(_forest({"estimators_": _batch([1], container="list")}), []))
vector("schema_strings_with_nul_stay_an_array", "success",
       "§4.2 an array of 256 or more strings one of which contains NUL stays an array")(
    _schema([*WORDS[:-1], "a\x00b"], []))



# ---------------------------------------------------------------- MUSTs without a vector (issue 6)

def _nonzero_section_gap() -> bytes:
    """The zero bytes between the schema section and the params section (§2.3), one set."""
    parts = base()
    data = bytearray(tk.pack(parts))
    header = tk.unpack(bytes(data)).header
    (h_len, s_len) = struct.unpack_from("<II", data, 12)
    start = tk.align64(24 + h_len + s_len)
    schema_end = start + header["sections"][0]["length"]
    assert schema_end % 64, "the base schema must leave a gap before params"
    data[schema_end] = 0x01
    return bytes(data)


vector("container_nonzero_section_padding", "ContainerError",
       "§2.3 the bytes between two sections MUST be zero (outside every digest: a covert "
       "channel otherwise)")(_nonzero_section_gap)
vector("header_annotation_too_long", "SchemaError",
       "§3.2/§8 annotation strings hold 1 to 1024 characters")(
    _header_with(annotations={"note": "x" * 1025}))
vector("header_signers_too_many", "SchemaError", "§3.2/§8 signers hold at most 64 key IDs")(
    _header_with(signers=[i.to_bytes(32, "big") for i in range(1, 66)]))
vector("schema_list_node_unshared", "SchemaError",
       "§4.3 an unshared list MUST be a bare array: a list node whose id is never referenced")(
    _schema({"@": "tuple", "items": [{"@": "list", "id": 0, "items": [1, 2]}]}, []))
vector("schema_list_node_without_id", "SchemaError",
       "§4.3 a list node is the shared form of a list: it carries an id")(
    _schema({"@": "list", "items": [1, 2]}, []))


def _bad_checksum(parts: tk.Parts, node: dict) -> None:
    import zstandard

    frame = zstandard.ZstdCompressor(level=3, write_content_size=True,
                                     write_checksum=True).compress(PATTERN.tobytes())
    tk.compress(parts, node, frame=frame[:-4] + bytes(4))


vector("params_zstd_bad_checksum", "ArrayError",
       "§5.4 a frame checksum, when present, MUST verify")(zedit(_bad_checksum))
vector("type_bigint_too_many_digits", "LimitError",
       "§6.1/§8 a big integer has at most 4300 digits (CPython's int() is quadratic)")(
    _schema({"@": "int", "digits": "9" * 4301}, []))


def _sparse_raw(indices: np.ndarray, indptr: np.ndarray, shape: list[int]) -> Callable[[], bytes]:
    def make() -> bytes:
        data = np.ones(len(indices), "<f8")
        arrays = {"data": data, "indices": indices, "indptr": indptr}
        order = sorted(arrays, key=lambda n: (-_key(arrays[n].nbytes), list(arrays).index(n)))
        tensors = [tk.Tensor(tk.NATIVE[arrays[n].dtype.str], [len(arrays[n])],
                             arrays[n].tobytes()) for n in order]
        root: dict = {"@": "sparse", "format": "csr", "kind": "matrix", "shape": shape}
        for name, values in arrays.items():
            root[name] = nd(order.index(name), [len(values)], values.dtype.str)
        return tk.pack(with_root(dict(sorted(root.items())), tensors))
    return make


vector("type_sparse_indptr_length", "ReconstructionError",
       "§6.3 len(indptr) = major + 1 (scipy's kernels index indptr[row + 1] unchecked)")(
    _sparse([0, 2, 1], [0, 2, 3], [3, 3]))
vector("type_sparse_indptr_start", "ReconstructionError", "§6.3 indptr[0] = 0")(
    _sparse([0, 2, 1], [1, 2, 3], [2, 3]))
vector("type_sparse_mixed_index_dtypes", "ReconstructionError",
       "§6.3 indices and indptr have the same dtype, <i4 or <i8")(
    _sparse_raw(np.array([0, 2, 1], "<i4"), np.array([0, 2, 3], "<i8"), [2, 3]))


def _random_state_edit(**changes: object) -> Callable[[], bytes]:
    def make() -> bytes:
        key = tk.Tensor("U32", [624], np.arange(624, dtype="<u4").tobytes())
        root = {"@": "RandomState", "cached_gaussian": 0.0, "has_gauss": 0,
                "key": nd(0, [624], "<u4"), "pos": 624}
        root.update(changes)
        if root["key"] != nd(0, [624], "<u4"):
            key = tk.Tensor("U32", [623], np.arange(623, dtype="<u4").tobytes())
        return tk.pack(with_root(root, [key]))
    return make


vector("type_random_state_has_gauss", "ReconstructionError", "§6.4 has_gauss is 0 or 1")(
    _random_state_edit(has_gauss=2))
vector("type_random_state_key_short", "ReconstructionError", "§6.4 key is uint32[624]")(
    _random_state_edit(key=nd(0, [623], "<u4")))
vector("type_generator_has_uint32", "ReconstructionError", "§6.4 has_uint32 is 0 or 1")(
    _schema({"@": "Generator", "has_uint32": 2, "inc": "1", "state": "5", "uinteger": 0}, []))
vector("type_generator_uinteger_too_big", "ReconstructionError", "§6.4 uinteger is a u32")(
    _schema({"@": "Generator", "has_uint32": 1, "inc": "1", "state": "5",
             "uinteger": 2**32}, []))


# ---------------------------------------------------------------- schema value count (§8.1)
# The count walks the msgpack bytes of a schema longer than max_schema_values before any
# object is built; these vectors lower the limit so that a small file is walked.

def _every_msgpack_type() -> bytes:
    """A schema whose root array holds one value of every msgpack type (ext last, which the
    count accepts and the decoder then refuses)."""
    items = [b"\x01", b"\xff", b"\x80", b"\x90", b"\xa1a", b"\xc0", b"\xc2", b"\xc3",
             b"\xcb" + struct.pack(">d", 1.5), b"\xcc\xc8", b"\xcd\x01\x2c",
             b"\xce\x00\x01\x11\x70", b"\xcf" + struct.pack(">Q", 2**40), b"\xd0\x80",
             b"\xd1\xff\x38", b"\xd2\xff\xfe\xee\x90", b"\xd3" + struct.pack(">q", -2**40),
             b"\xd9\x28" + b"s" * 40, b"\xda\x01\x2c" + b"t" * 300, b"\xc4\x01x",
             b"\xdc\x00\x10" + b"\x00" * 16, b"\xde\x00\x10" + b"".join(
                 b"\xa1" + bytes([97 + i]) + b"\x00" for i in range(16)),
             b"\xd4\x01\x00"]
    root = b"\xdc" + struct.pack(">H", len(items)) + b"".join(items)
    return tk.pack(with_root(None, []), schema_bytes=b"\x82\xa4root" + root + b"\xa7version\x01")


vector("limits_schema_values", "LimitError",
       "§8 a schema holding more msgpack values than max_schema_values is refused before they "
       "are built", limits="max_schema_values=20")(_schema([list(range(10)), list(range(10))], []))
vector("schema_values_every_type", "SchemaError",
       "§3.1 the value count reads every msgpack type (here 60 values, under the limit), then "
       "decoding refuses the ext type at the end", limits="max_schema_values=100")(
    _every_msgpack_type)
vector("schema_values_truncated", "SchemaError",
       "§3.1 a schema that ends inside a value is refused by the value count",
       limits="max_schema_values=20")(
    lambda: tk.pack(with_root(None, []), schema_bytes=b"\x82\xa4root\xdc\x00\x10"
                    + b"\x01" * 12))
vector("schema_values_reserved_byte", "SchemaError",
       "§3.1 the type byte 0xc1 is never used", limits="max_schema_values=10")(
    lambda: tk.pack(with_root(None, []),
                    schema_bytes=b"\x82\xa4root\x93\x01\x02\xc1\xa7version\x01"))

import trust_vectors  # noqa: E402, F401  (§3.3-§3.5: signatures, policies, encryption)


def main() -> int:
    check = "--check" in sys.argv
    VECTORS.mkdir(exist_ok=True)
    expected = {}
    for name, text, make in V:
        expected[name] = text.encode() + b"\n" + make()
    stale = []
    for name, content in expected.items():
        path = VECTORS / name
        if check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(name)
        else:
            path.write_bytes(content)
    extra = sorted({p.name for p in VECTORS.iterdir() if p.is_file()} - set(expected)
                   - {"README.md"})
    if check and (stale or extra):
        print(json.dumps({"stale": stale, "unknown": extra}))
        return 1
    if not check:
        for name in extra:
            (VECTORS / name).unlink()
        print(f"wrote {len(expected)} vectors to {VECTORS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
