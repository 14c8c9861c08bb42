"""Fuzz target: the container parser (``_container.parse``), spec/format.md §2-§3.

Properties: only ``ParamsealError`` escapes; a file that parses is rebuilt byte for byte from
what was parsed (the header re-encoded from its fields, the signature block from its entries,
zero padding, the sections at their offsets): one encoding per container.

    python fuzz/fuzz_container.py [corpus] -max_total_time=600     # atheris
    python fuzz/fuzz_container.py --mutate 100                       # replay, no atheris
"""

from __future__ import annotations

import _common  # first: pure-Python msgpack, instrumentation under atheris

from paramseal import _container, errors


def check(data: bytes) -> None:
    try:
        container = _container.parse(memoryview(data))
    except errors.ParamsealError:
        return
    header_bytes = container.header.to_msgpack()
    assert header_bytes == bytes(container.header_bytes), "the header re-encodes differently"
    head, start = _container.layout(container.header, container.signatures,
                                    minor=container.minor)
    again = bytearray(head)
    for section in container.header.sections:
        again += bytes(start + section.offset - len(again))
        again += container.sections[section.name]
    assert bytes(again) == data, "a parsed container re-serialises to different bytes"


def seeds() -> dict[str, bytes]:
    return {
        **_common.vectors(),
        **_common.plain_files(),
        **_common.signed_files(),
        **_common.encrypted_files(),
    }


if __name__ == "__main__":
    _common.main("container", _common.quiet(check), seeds)
