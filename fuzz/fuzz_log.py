"""Fuzz target: one entry of a model store's audit log (``store.decode_entry``), spec §10.3.

A store is a bucket anyone with write access can fill, so its log entries are hostile input
like a file. Byte 0 picks the position the entry is read at (0: the first entry, whose
``prev`` is 32 zero bytes; 1: the entry after seed ``push-0``), the rest is the entry.

Properties: only ``ParamsealError`` escapes; an entry that is accepted is authentic: its
bytes are exactly one seed's (every seed is signed by a fixed Ed25519 key, whose signatures
are not malleable, and the entry must be canonical), and it was accepted at that seed's
position.

    python fuzz/fuzz_log.py [corpus] -max_total_time=600     # atheris
    python fuzz/fuzz_log.py --mutate 100                       # replay, no atheris
"""

from __future__ import annotations

import hashlib

import _common  # first: pure-Python msgpack, instrumentation under atheris

from paramseal import errors
from paramseal.store import encode_entry

_ZERO = bytes(32)


def _entries() -> dict[str, bytes]:
    key = _common.signing_keys()[0]  # Ed25519
    first = encode_entry({"action": "push", "blob": hashlib.sha256(b"model").digest(),
                          "head": hashlib.sha256(b"mo").digest(),
                          "model": "m", "prev": _ZERO, "seq": 0, "size": 5,
                          "tags": ["prod"], "time": 1_800_000_000, "version": 1}, key)
    prev = hashlib.sha256(first).digest()
    second = encode_entry({"action": "tag", "model": "m", "prev": prev, "seq": 1,
                           "tags": ["prod", "staging"], "time": 1_800_000_001,
                           "version": 1}, key)
    also = encode_entry({"action": "push", "blob": bytes(32), "head": bytes(32),
                         "model": "m", "prev": prev,
                         "seq": 1, "size": 0, "tags": [], "time": 0, "version": 2}, key)
    return {"push-0": first, "tag-1": second, "push-1": also}


ENTRIES = _entries()
PREV = {0: _ZERO, 1: hashlib.sha256(ENTRIES["push-0"]).digest()}
AT = {"push-0": 0, "tag-1": 1, "push-1": 1}


def check(data: bytes) -> None:
    if not data:
        return
    seq = data[0] % 2
    entry = data[1:]
    from paramseal.store import decode_entry

    try:
        decoded = decode_entry(entry, name="m", seq=seq, prev=PREV[seq])
    except errors.ParamsealError:
        return
    matches = [name for name, seed in ENTRIES.items() if seed == entry and AT[name] == seq]
    assert matches, "an entry that is no seed verified (forged or malleable)"
    assert decoded.seq == seq and decoded.model == "m"


def seeds() -> dict[str, bytes]:
    return {name: bytes([AT[name]]) + data for name, data in ENTRIES.items()}


if __name__ == "__main__":
    _common.main("log", _common.quiet(check), seeds)
