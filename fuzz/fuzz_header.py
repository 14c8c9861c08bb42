"""Fuzz target: the header and the schema decoder (spec/format.md §3, §4, §6).

The first byte of an input picks what the rest is:

* even: a header, through ``_header.parse_header``; one that parses re-encodes to the same
  bytes (``Header.to_msgpack``);
* odd: a schema section, decoded by ``Decoder.decode_root`` against the params section of
  seed model ``input[1] % n`` (a real tensor table, so tensor references resolve); a schema
  that decodes dumps back to the same schema and params sections.

Only ``ParamsealError`` may escape.

    python fuzz/fuzz_header.py [corpus] -max_total_time=600     # atheris
    python fuzz/fuzz_header.py --mutate 100                       # replay, no atheris
"""

from __future__ import annotations

import functools

import _common  # first: pure-Python msgpack, instrumentation under atheris

import paramseal
from paramseal import _container, _header, _params, errors
from paramseal._schema import Decoder
from paramseal.registry import default_registry


@functools.cache
def tables() -> tuple[tuple[str, bytes, bytes], ...]:
    """(name, schema, params) of each uncompressed seed model, in a fixed order."""
    out = []
    for name, data in sorted(_common.plain_files().items()):
        container = _container.parse(memoryview(data))
        if container.minor == 0:
            out.append((name, bytes(container.sections["schema"]),
                        bytes(container.sections["params"])))
    return tuple(out)


def check(data: bytes) -> None:
    if len(data) < 2:
        return
    if data[0] % 2 == 0:
        _check_header(data[1:])
    else:
        _check_schema(data[1] % len(tables()), data[2:])


def _check_header(body: bytes) -> None:
    try:
        header = _header.parse_header(body)
    except errors.ParamsealError:
        return
    assert header.to_msgpack() == body, "a parsed header re-encodes to different bytes"


def _check_schema(index: int, schema: bytes) -> None:
    params_bytes = tables()[index][2]
    params = _params.parse(memoryview(params_bytes))
    decoder = Decoder(default_registry(), params)
    try:
        obj = decoder.decode_root(memoryview(schema))
    except errors.ParamsealError:
        return
    again = _container.parse(memoryview(paramseal.dumps(obj)))
    assert bytes(again.sections["schema"]) == schema, "a decoded schema re-encodes differently"
    assert bytes(again.sections["params"]) == params_bytes, "decoded tensors re-encode differently"


def seeds() -> dict[str, bytes]:
    out = {}
    for name, data in {**_common.plain_files(), **_common.signed_files(),
                       **_common.encrypted_files()}.items():
        out["header-" + name] = b"\x00" + bytes(_container.parse(memoryview(data)).header_bytes)
    for i, (name, schema, _) in enumerate(tables()):
        out["schema-" + name] = b"\x01" + bytes([i]) + schema
    return out


if __name__ == "__main__":
    _common.main("header", _common.quiet(check), seeds)
