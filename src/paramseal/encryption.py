"""Encrypted files (spec/format.md §3.5): age v1 to X25519 recipients or a passphrase.

The payload section of an encrypted file is a byte-exact age v1 file, so the stock ``age``
tool can decrypt it for escrow and audit. Its plaintext is a complete paramseal file (the
*inner* file): unsigned, with ``signers`` naming the key IDs of the intended signers of the
outer file. The outer file's header holds only public fields (no root type, no annotations,
no plaintext digests) and is what signatures cover, so they verify without any decryption
key (encrypt-then-sign); after decryption, a reader with a policy checks that the outer
signers are the ones the inner file names, so a signature cannot be stripped and replaced.

:func:`encrypt_file` and :func:`decrypt_file` convert existing files; ``paramseal.dump(...,
recipients=...)`` and ``paramseal.load(..., identities=...)`` do it in one step.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
from collections.abc import Callable, Sequence

from . import _age, _container, _digest, _io
from . import limits as _limits
from ._header import Header, Section
from .errors import ContainerError, DecryptionError
from .keys import PrivateKey


def seal(
    inner: Header,
    body: Sequence[bytes | memoryview],
    *,
    signer_keys: Sequence[PrivateKey],
    recipients: Sequence[str] | None,
    passphrase: str | bytes | None,
    minor: int = 0,
) -> tuple[Header, list[bytes]]:
    """Encrypt an inner file (its header and data area) into the outer header and payload.

    ``minor`` is the inner file's format minor version (1 when it compresses a tensor).
    """
    kids = sorted({k.public_key.kid for k in signer_keys})
    inner = dataclasses.replace(inner, signers=tuple(kids) if kids else None)
    head, _ = _container.layout(inner, minor=minor)
    chunks = [head, *body]
    size = sum(len(c) if isinstance(c, bytes) else memoryview(c).nbytes for c in chunks)
    payload = list(_age.encrypt(chunks, size, recipients=recipients, passphrase=passphrase))
    hasher = _digest.SectionHasher()
    for piece in payload:
        hasher.update(piece)
    outer = Header(
        sections=(Section("payload", 0, sum(map(len, payload)), hasher.digest()),),
        producer=inner.producer,
        root=None,
        encryption="age-v1",
    )
    return outer, payload


def encrypt_file(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    recipients: Sequence[str] | None = None,
    passphrase: str | bytes | None = None,
    sign: PrivateKey | None = None,
) -> None:
    """Encrypt the plain paramseal file ``source`` into ``target`` (written atomically).

    The signatures of ``source`` cannot carry over (they cover its header): sign the result
    with ``sign``, or later with ``paramseal sign`` by one of the keys the inner file names.
    """
    limits = _limits.DEFAULT
    buffer = _io.read_buffer(source, use_mmap=True, limits=limits)
    container = _container.parse(buffer, limits)
    if container.header.encryption is not None:
        raise ContainerError("the file is already encrypted")
    body = [buffer[_container.data_start(buffer):]]
    keys = [sign] if sign is not None else []
    outer, payload = seal(container.header, body, signer_keys=keys, recipients=recipients,
                          passphrase=passphrase, minor=container.minor)
    if keys:
        import time

        outer = dataclasses.replace(outer, created=int(time.time()))
    from .signing import sign_header

    header_bytes = outer.to_msgpack()
    head, _ = _container.layout(outer, sign_header(header_bytes, keys), header_bytes=header_bytes)
    _io.write_chunks(target, [head, *payload])


def decrypt_payload(
    outer: _container.Container,
    identities: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
    passphrase: str | bytes | None,
    limits: _limits.Limits,
    release: Callable[[int], None] | None = None,
) -> bytearray | memoryview:
    """The plaintext (the inner file) of an encrypted file, in private memory.

    ``release`` (see :func:`paramseal._age.decrypt_into`) lets a mapped file's ciphertext pages
    go as they are consumed, so that memory peaks near the plaintext size, not twice it."""
    if identities is None and passphrase is None:
        raise DecryptionError("this file is encrypted: give identities= or passphrase=")
    keys = None
    if identities is not None:
        keys = []
        items = [identities] if isinstance(identities, (str, os.PathLike)) else identities
        for identity in items:
            text = os.fspath(identity)
            if text.startswith("AGE-SECRET-KEY-1"):
                keys.append(_age.parse_identity(text))
            else:
                keys.extend(_age.read_identities(text))
    payload = outer.sections["payload"]
    size = _age.plaintext_size(payload, max_header_bytes=limits.max_age_header_bytes,
                               max_stanzas=limits.max_age_stanzas)
    # An anonymous mapping, not a bytearray: its pages exist only once written, so the
    # plaintext grows as the ciphertext (released as it goes) shrinks.
    out = memoryview(mmap.mmap(-1, size)) if 0 < size <= limits.max_file_bytes else None
    return _age.decrypt_into(
        payload, out=out, identities=keys, passphrase=passphrase,
        max_plaintext=limits.max_file_bytes, max_scrypt_log_n=limits.max_scrypt_log_n,
        max_header_bytes=limits.max_age_header_bytes, max_stanzas=limits.max_age_stanzas,
        release=release)


def open_inner(plaintext: memoryview, limits: _limits.Limits) -> _container.Container:
    """Parse a decrypted inner file, which must be plain and unsigned (§3.5)."""
    inner = _container.parse(plaintext, limits)
    if inner.header.encryption is not None or inner.signatures:
        raise ContainerError("the inner file of an encrypted one must be plain and unsigned")
    return inner


def decrypt_file(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    identities: Sequence[str | os.PathLike[str]] | None = None,
    passphrase: str | bytes | None = None,
) -> None:
    """Write the inner paramseal file of the encrypted ``source``, as a plain unsigned file."""
    limits = _limits.DEFAULT
    buffer = _io.read_buffer(source, use_mmap=True, limits=limits)
    container = _container.parse(buffer, limits)
    if container.header.encryption is None:
        raise ContainerError("the file is not encrypted")
    plaintext = memoryview(decrypt_payload(container, identities, passphrase, limits))
    inner = open_inner(plaintext, limits)
    # standalone, the inner file is unsigned: it names no intended signers
    head, _ = _container.layout(dataclasses.replace(inner.header, signers=None),
                                minor=inner.minor)
    _io.write_chunks(target, [head, plaintext[_container.data_start(plaintext):]])
