"""Fuzz target: the params section (``_params.parse``), spec/format.md §5.

Properties: only ``ParamsealError`` escapes; a section that parses is exactly its canonical
serialisation (length, canonical JSON header padded with spaces, the data).

    python fuzz/fuzz_params.py [corpus] -max_total_time=600     # atheris
    python fuzz/fuzz_params.py --mutate 100                       # replay, no atheris
"""

from __future__ import annotations

import contextlib
import struct

import _common  # first: pure-Python msgpack, instrumentation under atheris

from paramseal import _container, _params, errors


def check(data: bytes) -> None:
    try:
        params = _params.parse(memoryview(data))
    except errors.ParamsealError:
        return
    header = _params._pad(_params._json_header(params.tensors))
    again = struct.pack("<Q", len(header)) + header + bytes(params.data)
    assert again == data, "a parsed params section re-serialises to different bytes"
    for tensor in params.tensors:
        assert 0 <= tensor.start <= tensor.end <= len(params.data)


def seeds() -> dict[str, bytes]:
    out = {}
    files = {**_common.plain_files(), **_common.vectors()}
    for name, data in files.items():
        with contextlib.suppress(errors.ParamsealError, KeyError):
            out[name] = bytes(_container.parse(memoryview(data)).sections["params"])
    return out


if __name__ == "__main__":
    _common.main("params", _common.quiet(check), seeds)
