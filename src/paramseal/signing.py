"""Signatures over the header, and trust policies applied to them (spec/format.md §3.3, §3.4).

The signed message is the DSSE v1 pre-authentication encoding of the exact stored header
bytes; the header commits to every section's digest, so one signature covers the whole file
except the signature block and the zero padding. Verifying (step 3 of §7.1) checks the
signatures against a :class:`~paramseal.policy.Policy`, then the header's dates, then every
section's digest, before any section is parsed. Failures raise
:class:`~paramseal.errors.VerificationError` and say only what the policy lacked.

:func:`add_signature` signs an existing file in place (atomically); the header and the
sections are unchanged, and only the signature block and the padding after it are rewritten.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from . import _container, _io
from . import limits as _limits
from ._digest import section_digest
from ._header import Signature
from .errors import ContainerError, VerificationError
from .keys import PrivateKey
from .policy import Policy, TrustedKey

#: DSSE payload type; it names the format version of the prelude, which is not otherwise
#: covered by the signature (so a flipped minor version fails verification).
PAYLOAD_TYPE = "application/vnd.paramseal.header.v{major}.{minor}+msgpack"
MAX_SIGNATURES = 16
#: Seconds a file's `created` may be ahead of this clock (clock skew between machines).
CLOCK_SKEW = 300


def dsse_pae(payload_type: str, body: bytes | memoryview) -> bytes:
    """DSSE v1 pre-authentication encoding: what a signature over ``body`` signs."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), bytes(body))


def pae(header: bytes | memoryview, minor: int) -> bytes:
    """DSSE v1 pre-authentication encoding of ``header`` in a file of format 1.``minor``."""
    return dsse_pae(PAYLOAD_TYPE.format(major=_container.FORMAT_MAJOR, minor=minor), header)


def sign_header(header: bytes | memoryview, keys: Iterable[PrivateKey], *,
                minor: int = 0) -> tuple[Signature, ...]:
    """One signature per key over ``header`` of a format-1.``minor`` file, in key ID order."""
    message = pae(header, minor)
    signatures = {k.public_key.kid: Signature(k.algorithm, k.public_key.kid, k.sign(message))
                  for k in keys}
    if len(signatures) > MAX_SIGNATURES:
        raise ValueError(f"at most {MAX_SIGNATURES} signatures fit in a file")
    return tuple(signatures[kid] for kid in sorted(signatures))


def verify_head(head: _container.Head | _container.Container, policy: Policy,
                now: float | None = None) -> tuple[TrustedKey, ...]:
    """Apply ``policy``'s signature, threshold and date rules to the signed part of a file
    (§3.4), without its sections; return the trusted keys whose signatures hold."""
    now = time.time() if now is None else now
    message = pae(head.header_bytes, head.minor)
    signers = []
    for signature in head.signatures:  # distinct key IDs (§3.4)
        trusted = policy.trusted(signature.kid)
        if (trusted is None or trusted.key.algorithm != signature.alg
                or not trusted.valid_at(now)):
            continue  # unknown, revoked, out of its window: ignored, not an error
        if trusted.key.verify(signature.sig, message):
            signers.append(trusted)
    if len(signers) < policy.threshold:
        raise VerificationError(
            f"signature verification failed: {len(signers)} valid signature(s) by trusted "
            f"keys, {policy.threshold} required")
    header = head.header
    if header.expires is not None and now >= header.expires:
        raise VerificationError("the file has expired")
    if policy.require_expiry and header.expires is None:
        raise VerificationError("the policy requires an expiry date and the file has none")
    if policy.max_age is not None:
        if header.created is None:
            raise VerificationError("the policy limits the age of files and this one does "
                                    "not say when it was made")
        if now - header.created > policy.max_age:
            raise VerificationError("the file is older than the policy allows")
        if header.created > now + CLOCK_SKEW:
            raise VerificationError("the file claims to be made in the future")
    return tuple(signers)


def verify_container(container: _container.Container, policy: Policy,
                     now: float | None = None) -> tuple[TrustedKey, ...]:
    """Apply ``policy`` to a parsed file; return the trusted keys whose signatures hold."""
    signers = verify_head(container, policy, now)
    for section in container.header.sections:
        if section_digest(container.sections[section.name]) != section.sha256:
            raise VerificationError("a section does not match the signed digest")
    return signers


def verify(file: _io.Source, policy: Policy, *, now: float | None = None,
           limits: _limits.Limits | None = None) -> tuple[TrustedKey, ...]:
    """Check ``file`` against ``policy`` without loading it; return its trusted signers."""
    limits = limits or _limits.DEFAULT
    buffer = _io.read_buffer(file, use_mmap=True, limits=limits)
    return verify_container(_container.parse(buffer, limits), policy, now)


def add_signature(path: str | os.PathLike[str], key: PrivateKey, *,
                  limits: _limits.Limits | None = None) -> None:
    """Sign the file at ``path`` with ``key``, in place and atomically.

    A signature by the same key replaces the old one. The header and the sections are not
    touched: sections are placed relative to the end of the signature block (§2), so their
    bytes stay the same.
    """
    limits = limits or _limits.DEFAULT
    with open(path, "rb") as f:
        data = _io.read_bounded(f, limits.max_file_bytes)
    container = _container.parse(memoryview(data), limits)
    if container.header.encryption is None and container.header.signers is not None:
        raise ContainerError("this is the inner file of an encrypted one; sign the outer file")
    new = sign_header(container.header_bytes, [key], minor=container.minor)[0]
    kept = [s for s in container.signatures if s.kid != new.kid]
    signatures = tuple(sorted([*kept, new], key=lambda s: s.kid))
    if len(signatures) > MAX_SIGNATURES:
        raise ContainerError(f"this file already holds {MAX_SIGNATURES} signatures")
    head, _ = _container.layout(container.header, signatures,
                                header_bytes=bytes(container.header_bytes),
                                minor=container.minor)
    data_start = _container.data_start(memoryview(data))
    _io.write_chunks(path, [head, memoryview(data)[data_start:]])


def describe(signers: Iterable[TrustedKey]) -> list[dict[str, Any]]:
    return [{"name": s.name, "key_id": s.key.key_id, "algorithm": s.key.algorithm}
            for s in signers]
