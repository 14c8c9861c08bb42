"""Canonical msgpack (spec/format.md §3.1): one encoding per value.

Every msgpack structure in a file (header, signature block, schema) is canonical: integers in
their smallest encoding, floats as float64, text as str and bytes as bin, no ext types, no
duplicate map keys, map keys in bytewise order, and no bytes after the value. The reader decodes
once, re-encodes, and compares: any other encoding of the same value is rejected. Map key order
is checked by whoever walks the decoded maps (they walk them anyway).
"""

from __future__ import annotations

from typing import Any

import msgpack

from .errors import LimitError, SchemaError


def _reject_ext(code: int, data: bytes) -> Any:
    raise SchemaError(f"msgpack ext type {code} is not allowed", path="$")


def encode(value: Any) -> bytes:
    """Encode ``value`` (maps already in canonical key order) as canonical msgpack."""
    return msgpack.packb(value, use_bin_type=True, strict_types=True, datetime=False)


#: Bytes of payload after each msgpack type byte of a fixed-size value, and the header
#: length of the variable-size ones (str, bin, ext, array, map; their length follows).
_FIXED = {0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,
          0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8, 0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17}
_SIZED = {0xC4: (1, 0), 0xC5: (2, 0), 0xC6: (4, 0), 0xD9: (1, 0), 0xDA: (2, 0), 0xDB: (4, 0),
          0xC7: (1, 1), 0xC8: (2, 1), 0xC9: (4, 1)}
_COUNTED = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}


def count_values(data: bytes | memoryview, limit: int, *, what: str) -> int:
    """How many msgpack values ``data`` holds (every array, map, key, item and scalar),
    refusing more than ``limit`` with :class:`LimitError` — without building any of them.

    Decoding builds a Python object per value, up to ~80 bytes for one byte of input (an
    empty map), so a large hostile section would cost many times its size before any check
    ran; this walk costs no memory and at most ``limit`` steps (§8.1).
    """
    view = memoryview(data).cast("B")
    end = len(view)
    pos = 0
    pending = 1
    count = 0
    while pending:
        if pos >= end:
            raise SchemaError(f"{what}: invalid msgpack (truncated)", path="$")
        pending -= 1
        count += 1
        if count > limit:
            raise LimitError(f"{what} holds more than {limit} msgpack values")
        b = view[pos]
        pos += 1
        if b <= 0x7F or b >= 0xE0:
            continue  # fixint
        if b <= 0x8F:
            pending += 2 * (b & 0x0F)
        elif b <= 0x9F:
            pending += b & 0x0F
        elif b <= 0xBF:
            pos += b & 0x1F
        elif b in _FIXED:
            pos += _FIXED[b]
        elif b in _SIZED:
            width, extra = _SIZED[b]
            pos += width + extra + int.from_bytes(view[pos:pos + width], "big")
        elif b in _COUNTED:
            width, per = _COUNTED[b]
            pending += per * int.from_bytes(view[pos:pos + width], "big")
            pos += width
        else:
            raise SchemaError(f"{what}: invalid msgpack (type byte 0x{b:02x})", path="$")
    return count


def decode(data: bytes | memoryview, *, what: str, max_values: int | None = None) -> Any:
    """Decode one canonical msgpack value that spans all of ``data``.

    With ``max_values``, more values than that are refused before any is built (each value
    takes at least one byte, so a shorter input is not walked).
    """
    if max_values is not None and len(data) > max_values:
        count_values(data, max_values, what=what)
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=False,
            use_list=True,
            ext_hook=_reject_ext,
            max_ext_len=0,
            timestamp=0,
        )
    except SchemaError:
        raise
    except msgpack.ExtraData as exc:
        raise SchemaError(f"{what}: trailing bytes after the msgpack value", path="$") from exc
    except (ValueError, TypeError, OverflowError, msgpack.UnpackException, RecursionError) as exc:
        # StackError, FormatError, OutOfData and UnicodeDecodeError are ValueErrors; a map key
        # that is itself a map or an array is a TypeError (unhashable).
        raise SchemaError(f"{what}: invalid msgpack ({type(exc).__name__})", path="$") from exc
    try:
        again = encode(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SchemaError(f"{what}: value cannot be re-encoded ({exc})", path="$") from exc
    if again != data:
        raise SchemaError(
            f"{what}: not canonical msgpack (duplicate keys, float32, non-minimal lengths "
            "or integers)",
            path="$",
        )
    return value


def check_sorted_keys(mapping: dict[Any, Any], path: str) -> None:
    """Maps in canonical msgpack have str keys in bytewise (UTF-8) order."""
    keys = list(mapping)
    for key in keys:
        if type(key) is not str:
            raise SchemaError(f"map key {key!r:.40} is not a string", path=path)
    # UTF-8 preserves code point order, so sorting str is sorting their UTF-8 bytes.
    if keys != sorted(keys):
        raise SchemaError("map keys are not in canonical (bytewise) order", path=path)


def sorted_map(mapping: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``mapping`` with keys in canonical order, ready for :func:`encode`."""
    return {key: mapping[key] for key in sorted(mapping)}
