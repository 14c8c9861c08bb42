"""Signing keys and public keys (spec/format.md §3.4).

Two algorithms: Ed25519 (the default) and ECDSA over P-256 with SHA-256. Private keys are read
from PEM PKCS#8 (optionally passphrase-encrypted) or OpenSSH private key files, and written as
PKCS#8 PEM with mode 0600. Public keys are read from PEM ``SubjectPublicKeyInfo`` or from an
OpenSSH ``ssh-ed25519 …`` / ``ecdsa-sha2-nistp256 …`` line, and written as SPKI PEM.

A key ID is the SHA-256 of the DER ``SubjectPublicKeyInfo``, shown as ``sha256:<hex>``. It only
finds a key: trust comes from the policy that lists it, never from a file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from . import _io
from .errors import InvalidKeyError

ED25519 = "ed25519"
ECDSA_P256 = "ecdsa-p256-sha256"
ALGORITHMS = (ED25519, ECDSA_P256)
_MAX_KEY_FILE = 64 * 1024
_MAX_SIG = {ED25519: 64, ECDSA_P256: 72}

PrivateKeyType = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKeyType = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def _algorithm(key: Any) -> str:
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return ED25519
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return ECDSA_P256
    raise InvalidKeyError(f"unsupported key type {type(key).__name__}: use Ed25519 or ECDSA P-256")


def _read(source: str | os.PathLike[str] | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    with open(source, "rb") as f:
        data = f.read(_MAX_KEY_FILE + 1)
    if len(data) > _MAX_KEY_FILE:
        raise InvalidKeyError(f"{os.fspath(source)} is larger than a key file can be")
    return data


class PublicKey:
    """A public key that can verify signatures; compare and hash by key ID."""

    __slots__ = ("_key", "algorithm", "kid")

    def __init__(self, key: PublicKeyType) -> None:
        self._key = key
        self.algorithm = _algorithm(key)
        der = key.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)
        #: The 32-byte key ID (SHA-256 of the DER SubjectPublicKeyInfo).
        self.kid = hashlib.sha256(der).digest()

    @property
    def key_id(self) -> str:
        return "sha256:" + self.kid.hex()

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes) -> PublicKey:
        """Read a PEM SPKI public key or an OpenSSH public key line (path or bytes)."""
        data = _read(source).strip()
        key: Any
        try:
            if data.startswith(b"-----BEGIN"):
                key = serialization.load_pem_public_key(data)
            elif data.startswith((b"ssh-ed25519 ", b"ecdsa-sha2-nistp256 ")):
                key = serialization.load_ssh_public_key(data)
            else:
                raise ValueError("not a PEM or OpenSSH public key")
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise InvalidKeyError(f"cannot read a public key: {exc}") from None
        return cls(key)

    @classmethod
    def from_der(cls, der: bytes) -> PublicKey:
        """A DER SubjectPublicKeyInfo, as a store's log entries carry it (spec §10.3)."""
        try:
            key: Any = serialization.load_der_public_key(der)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise InvalidKeyError(f"cannot read a public key: {exc}") from None
        return cls(key)

    def to_der(self) -> bytes:
        return self._key.public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    def to_pem(self) -> bytes:
        return self._key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True if ``signature`` is this key's over ``message``; never raises on a bad one."""
        if len(signature) > _MAX_SIG[self.algorithm]:
            return False
        try:
            if isinstance(self._key, ed25519.Ed25519PublicKey):
                self._key.verify(signature, message)
            else:
                self._key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other.kid == self.kid

    def __hash__(self) -> int:
        return hash(self.kid)

    def __repr__(self) -> str:
        return f"PublicKey({self.algorithm}, {self.key_id})"


class PrivateKey:
    """A signing key. ``generate()`` a new one, or ``load()`` one from a file."""

    __slots__ = ("_key", "algorithm", "public_key")

    def __init__(self, key: PrivateKeyType) -> None:
        self._key = key
        self.algorithm = _algorithm(key)
        self.public_key = PublicKey(key.public_key())

    @property
    def key_id(self) -> str:
        return self.public_key.key_id

    @classmethod
    def generate(cls, algorithm: str = ED25519) -> PrivateKey:
        if algorithm == ED25519:
            return cls(ed25519.Ed25519PrivateKey.generate())
        if algorithm in (ECDSA_P256, "ecdsa-p256"):
            return cls(ec.generate_private_key(ec.SECP256R1()))
        raise InvalidKeyError(f"unknown algorithm {algorithm!r}: use one of {list(ALGORITHMS)}")

    @classmethod
    def load(cls, source: str | os.PathLike[str] | bytes,
             passphrase: bytes | str | None = None) -> PrivateKey:
        """Read a PEM PKCS#8 (or traditional PEM) or OpenSSH private key (path or bytes)."""
        data = _read(source)
        password = passphrase.encode() if isinstance(passphrase, str) else passphrase
        key: Any
        try:
            if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
                key = serialization.load_ssh_private_key(data, password)
            else:
                key = serialization.load_pem_private_key(data, password)
        except TypeError as exc:  # a passphrase is missing, or given for an unencrypted key
            raise InvalidKeyError(f"cannot read the private key: {exc}") from None
        except UnsupportedAlgorithm as exc:
            if b"OPENSSH" in data and "bcrypt" in str(exc):
                raise InvalidKeyError(
                    "passphrase-protected OpenSSH keys need the bcrypt package "
                    "(pip install 'paramseal[ssh]')") from None
            raise InvalidKeyError(f"cannot read the private key: {exc}") from None
        except ValueError:
            # also a wrong passphrase: say only that it failed
            raise InvalidKeyError("cannot read the private key (wrong passphrase, or not a "
                            "PEM/OpenSSH private key)") from None
        return cls(key)

    def sign(self, message: bytes) -> bytes:
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(message)
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))

    def to_pem(self, passphrase: bytes | str | None = None) -> bytes:
        """PKCS#8 PEM, encrypted with ``passphrase`` when given (an empty one is refused)."""
        if passphrase is not None and not passphrase:
            raise InvalidKeyError("the passphrase is empty")
        if passphrase:
            password = passphrase.encode() if isinstance(passphrase, str) else passphrase
            encryption: Any = serialization.BestAvailableEncryption(password)
        else:
            encryption = serialization.NoEncryption()
        return self._key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8, encryption)

    def save(self, path: str | os.PathLike[str], passphrase: bytes | str | None = None) -> None:
        """Write the key as PKCS#8 PEM, mode 0600, atomically."""
        _io.write_chunks(Path(path), [self.to_pem(passphrase)], mode=0o600)

    def __repr__(self) -> str:
        return f"PrivateKey({self.algorithm}, {self.key_id})"
