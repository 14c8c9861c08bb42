"""Fuzz target: signature verification (``signing.verify_container``) with fixed policies
(trust either of two fixed keys, Ed25519 and ECDSA P-256; or require both) over mutated
signed files, plain and encrypted.

Properties: only ``ParamsealError`` escapes; a file that verifies is authentic: its format
minor version, header bytes and every section are those of one of the signed seeds (the
signature covers all of them, through the header's digests). A verified file then goes through
``loads(policy=...)``, where again only ``ParamsealError`` may escape.

    python fuzz/fuzz_verify.py [corpus] -max_total_time=600     # atheris
    python fuzz/fuzz_verify.py --mutate 100                       # replay, no atheris
"""

from __future__ import annotations

import contextlib
import functools
import hashlib

import _common  # first: pure-Python msgpack, instrumentation under atheris

import paramseal
from paramseal import _container, errors, signing


def _identity(container: _container.Container) -> bytes:
    h = hashlib.sha256()
    h.update(container.minor.to_bytes(2, "little"))
    h.update(bytes(container.header_bytes))
    for name, view in container.sections.items():
        h.update(name.encode() + b"\0" + hashlib.sha256(view).digest())
    return h.digest()


@functools.cache
def authentic() -> frozenset[bytes]:
    return frozenset(_identity(_container.parse(memoryview(d)))
                     for d in _common.signed_files().values())


def check(data: bytes) -> None:
    try:
        container = _container.parse(memoryview(data))
    except errors.ParamsealError:
        return
    for policy in _common.policies():
        try:
            signing.verify_container(container, policy)
        except errors.ParamsealError:
            continue
        assert _identity(container) in authentic(), "a modified file verifies"
        if container.header.encryption is None:
            with contextlib.suppress(errors.ParamsealError):
                paramseal.loads(data, policy=policy)


def seeds() -> dict[str, bytes]:
    return dict(_common.signed_files())


if __name__ == "__main__":
    _common.main("verify", _common.quiet(check), seeds)
