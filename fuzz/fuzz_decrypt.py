"""Fuzz target: decryption (spec/format.md §3.5): ``_age.decrypt_into`` over mutated age
payloads and ``loads(identities=...)`` / ``loads(passphrase=...)`` over mutated encrypted
files. Keys are fixed (one X25519 identity, one passphrase with a cheap scrypt work factor;
the harness loads with ``max_scrypt_log_n=10``, so a mutated work factor cannot make an
input slow without being refused).

The first byte of an input picks the target: 0 mod 4 the age payload with the identity,
1 the payload with the passphrase, 2 the whole file with the identity, 3 with the passphrase.

Properties: only ``ParamsealError`` escapes; a payload that decrypts gives exactly the
plaintext of one of the seeds (AEAD: no modified ciphertext decrypts); a file that loads
dumps back to the same inner schema and params.

    python fuzz/fuzz_decrypt.py [corpus] -max_total_time=600     # atheris
    python fuzz/fuzz_decrypt.py --mutate 100                       # replay, no atheris
"""

from __future__ import annotations

import functools
import hashlib

import _common  # first: pure-Python msgpack, instrumentation under atheris

import paramseal
from paramseal import _age, _container, errors
from paramseal.limits import Limits

LIMITS = Limits(max_scrypt_log_n=_common.MAX_SCRYPT_LOG_N)


@functools.cache
def _decrypted() -> dict[str, bytes]:
    identity, _ = _common.age_identity()
    out = {}
    for name, data in _common.encrypted_files().items():
        payload = _common.payload_of(data)
        if name.endswith("_scrypt"):
            plain = _age.decrypt_into(payload, passphrase=_common.PASSPHRASE)
        else:
            plain = _age.decrypt_into(payload, identities=[identity])
        out[name] = bytes(plain)
    return out


@functools.cache
def plaintexts() -> frozenset[bytes]:
    return frozenset(hashlib.sha256(p).digest() for p in _decrypted().values())


@functools.cache
def inner_schemas() -> frozenset[bytes]:
    return frozenset(hashlib.sha256(_container.parse(memoryview(p)).sections["schema"]).digest()
                     for p in _decrypted().values())


def check(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0] % 4, data[1:]
    identity, _ = _common.age_identity()
    keys = {"identities": [identity]} if mode % 2 == 0 else {"passphrase": _common.PASSPHRASE}
    if mode < 2:
        try:
            plain = _age.decrypt_into(body, max_plaintext=1 << 24,
                                      max_scrypt_log_n=_common.MAX_SCRYPT_LOG_N,
                                      **keys)
        except errors.ParamsealError:
            return
        assert hashlib.sha256(plain).digest() in plaintexts(), "a modified payload decrypts"
        return
    try:
        obj = paramseal.loads(body, limits=LIMITS, **keys)
    except errors.ParamsealError:
        return
    # the file decrypted, so its inner file is one of the seeds': the object re-encodes to it
    schemas = {
        hashlib.sha256(_container.parse(memoryview(
            paramseal.dumps(obj, compress=compress))).sections["schema"]).digest()
        for compress in (False, True)
    }
    assert schemas & inner_schemas(), "a decrypted file re-encodes to no seed's inner file"

def seeds() -> dict[str, bytes]:
    out = {}
    for name, data in _common.encrypted_files().items():
        scrypt = name.endswith("_scrypt")
        out["payload-" + name] = bytes([1 if scrypt else 0]) + _common.payload_of(data)
        out["file-" + name] = bytes([3 if scrypt else 2]) + data
    return out


if __name__ == "__main__":
    _common.main("decrypt", _common.quiet(check), seeds)
