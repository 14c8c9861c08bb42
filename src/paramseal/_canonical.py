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

from .errors import SchemaError


def _reject_ext(code: int, data: bytes) -> Any:
    raise SchemaError(f"msgpack ext type {code} is not allowed", path="$")


def encode(value: Any) -> bytes:
    """Encode ``value`` (maps already in canonical key order) as canonical msgpack."""
    return msgpack.packb(value, use_bin_type=True, strict_types=True, datetime=False)


def decode(data: bytes | memoryview, *, what: str) -> Any:
    """Decode one canonical msgpack value that spans all of ``data``."""
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
