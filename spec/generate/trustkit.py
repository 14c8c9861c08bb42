"""Signatures and age encryption for the test vectors, written from spec/format.md §3.4 and §3.5
and the age v1 specification (age-encryption.org/v1) with ``cryptography`` primitives only.

Like testkit, it shares no code with the library: it can sign the wrong bytes, name the wrong
key, flip a flag of a STREAM chunk or mix stanzas that a reader must refuse. Everything is
deterministic: keys come from fixed seeds, ECDSA signs per RFC 6979, and every age file key,
ephemeral X25519 secret, scrypt salt and payload nonce is a fixed value, so the vectors are
reproducible byte for byte.

The keys are FIXED TEST KEYS, public by construction (their seeds are in this file): never
use them for anything else.

- ``alice``: Ed25519 signing key; ``bob``: ECDSA P-256 signing key; ``mallory``: an Ed25519
  key that no vector's policy trusts.
- ``carol``: an age X25519 identity that the encrypted vectors are encrypted to; ``dave``: an
  age identity that they are not encrypted to.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import struct
from collections.abc import Sequence
from pathlib import Path

import testkit as tk
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

KEYS = Path(__file__).resolve().parent.parent / "vectors" / "keys"

ED25519 = "ed25519"
ECDSA = "ecdsa-p256-sha256"
#: §3.4: the DSSE payload type names the prelude's format version.
PAYLOAD_TYPE = "application/vnd.paramseal.header.v{major}.{minor}+msgpack"
#: A fixed signing time for the signed vectors: 2026-01-01T00:00:00Z.
CREATED = 1767225600


def _seed(name: str) -> bytes:
    return hashlib.sha256(b"paramseal vector key " + name.encode()).digest()


# ---------------------------------------------------------------- signing keys (§3.4)

@dataclasses.dataclass(frozen=True)
class SigningKey:
    name: str
    private: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

    @property
    def alg(self) -> str:
        return ED25519 if isinstance(self.private, ed25519.Ed25519PrivateKey) else ECDSA

    @property
    def spki_der(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def kid(self) -> bytes:
        """§3.4: the SHA-256 of the DER SubjectPublicKeyInfo."""
        return hashlib.sha256(self.spki_der).digest()

    def sign(self, message: bytes) -> bytes:
        """Ed25519 (deterministic by definition), or ECDSA P-256 SHA-256 per RFC 6979 (DER)."""
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            return self.private.sign(message)
        return self.private.sign(
            message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


def _ed25519(name: str) -> SigningKey:
    return SigningKey(name, ed25519.Ed25519PrivateKey.from_private_bytes(_seed(name)))


def _p256(name: str) -> SigningKey:
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    scalar = int.from_bytes(_seed(name), "big") % (order - 1) + 1
    return SigningKey(name, ec.derive_private_key(scalar, ec.SECP256R1()))


ALICE = _ed25519("alice")
BOB = _p256("bob")
MALLORY = _ed25519("mallory")
SIGNING_KEYS = (ALICE, BOB, MALLORY)


def pae(header: bytes, *, major: int = 1, minor: int = 0, payload_type: str | None = None
        ) -> bytes:
    """§3.4: DSSE v1 pre-authentication encoding of the stored header bytes."""
    kind = (payload_type if payload_type is not None
            else PAYLOAD_TYPE.format(major=major, minor=minor)).encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(header), header)


def entry(key: SigningKey, message: bytes, **changes: object) -> dict[str, object]:
    """One signature block entry ``{alg, kid, sig}`` by ``key`` over ``message``."""
    value: dict[str, object] = {"alg": key.alg, "kid": key.kid, "sig": key.sign(message)}
    value.update(changes)
    return value


def header_bytes(parts: tk.Parts) -> bytes:
    """The stored header bytes that :func:`testkit.pack` writes for ``parts``."""
    data = tk.pack(parts)
    (h_len,) = struct.unpack_from("<I", data, 12)
    return data[24:24 + h_len]


def sign(parts: tk.Parts, *keys: SigningKey, minor: int | None = None) -> tk.Parts:
    """Set ``parts.signatures`` to one valid signature per key (sorted by kid) over the PAE of
    the header ``pack`` writes; ``minor`` signs as if the prelude said another version."""
    message = pae(header_bytes(parts), major=parts.major,
                  minor=parts.minor if minor is None else minor)
    parts.signatures = sorted((entry(k, message) for k in keys), key=lambda e: e["kid"])
    return parts


# ---------------------------------------------------------------- age v1 (§3.5)

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: Sequence[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def bech32(hrp: str, data: bytes) -> str:
    """BIP-173 Bech32, lowercase (age keys are Bech32 without the 90-character limit)."""
    bits = "".join(f"{b:08b}" for b in data)
    bits += "0" * (-len(bits) % 5)
    five = [int(bits[i:i + 5], 2) for i in range(0, len(bits), 5)]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    checksum = _polymod([*expanded, *five, 0, 0, 0, 0, 0, 0]) ^ 1
    five += [(checksum >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[v] for v in five)


@dataclasses.dataclass(frozen=True)
class AgeIdentity:
    name: str
    private: x25519.X25519PrivateKey

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes_raw()

    @property
    def recipient(self) -> str:
        return bech32("age", self.public)

    @property
    def identity(self) -> str:
        return bech32("age-secret-key-", self.private.private_bytes_raw()).upper()


CAROL = AgeIdentity("carol", x25519.X25519PrivateKey.from_private_bytes(_seed("carol")))
DAVE = AgeIdentity("dave", x25519.X25519PrivateKey.from_private_bytes(_seed("dave")))
AGE_IDENTITIES = (CAROL, DAVE)

#: Fixed secrets of the encrypted vectors (a real writer draws each one at random).
FILE_KEY = hashlib.sha256(b"paramseal vector age file key").digest()[:16]
EPHEMERAL = hashlib.sha256(b"paramseal vector age ephemeral").digest()
SALT = hashlib.sha256(b"paramseal vector age scrypt salt").digest()[:16]
NONCE = hashlib.sha256(b"paramseal vector age payload nonce").digest()[:16]
CHUNK = 64 * 1024
VERSION_LINE = b"age-encryption.org/v1\n"


def b64(data: bytes) -> bytes:
    """age's base64: standard alphabet, no padding."""
    return base64.b64encode(data).rstrip(b"=")


def hkdf(ikm: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt, info).derive(ikm)


def _wrap(key: bytes, file_key: bytes) -> bytes:
    return ChaCha20Poly1305(key).encrypt(bytes(12), file_key, None)


def stanza(args: Sequence[bytes], body: bytes) -> bytes:
    """``-> args…`` and the body in base64 lines of 64 columns, the last one shorter."""
    text = b64(body)
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append(b"")
    return b"-> " + b" ".join(args) + b"\n" + b"".join(line + b"\n" for line in lines)


def x25519_stanza(recipient: bytes, *, file_key: bytes = FILE_KEY,
                  ephemeral: bytes = EPHEMERAL, share: bytes | None = None) -> bytes:
    """``-> X25519 <share>``: the file key wrapped for the X25519 public key ``recipient``.
    ``share`` replaces the ephemeral public key written (the body is then still wrapped with
    the real one)."""
    secret = x25519.X25519PrivateKey.from_private_bytes(ephemeral)
    real = secret.public_key().public_bytes_raw()
    shared = secret.exchange(x25519.X25519PublicKey.from_public_bytes(recipient))
    key = hkdf(shared, real + recipient, b"age-encryption.org/v1/X25519")
    return stanza([b"X25519", b64(real if share is None else share)], _wrap(key, file_key))


def scrypt_stanza(passphrase: bytes, log_n: int, *, file_key: bytes = FILE_KEY,
                  salt: bytes = SALT, derive: bool = True) -> bytes:
    """``-> scrypt <salt> <log_n>``. With ``derive=False`` the body is wrapped with a key that
    is not derived from the passphrase (for a work factor too high to derive: a reader must
    refuse it before deriving, so it cannot tell)."""
    if derive:
        key = Scrypt(b"age-encryption.org/v1/scrypt" + salt, 32, 1 << log_n, 8, 1).derive(
            passphrase)
    else:
        key = hashlib.sha256(b"not derived" + salt).digest()
    return stanza([b"scrypt", b64(salt), str(log_n).encode()], _wrap(key, file_key))


def age_header(stanzas: Sequence[bytes], *, file_key: bytes = FILE_KEY,
               flip_mac: bool = False) -> bytes:
    """Version line, stanzas, ``--- <HMAC-SHA-256 under HKDF(file key, "header")>``."""
    head = VERSION_LINE + b"".join(stanzas) + b"---"
    mac = hmac.new(hkdf(file_key, b"", b"header"), head, "sha256").digest()
    if flip_mac:
        mac = bytes([mac[0] ^ 1]) + mac[1:]
    return head + b" " + b64(mac) + b"\n"


def stream(plaintext: bytes, *, file_key: bytes = FILE_KEY, nonce: bytes = NONCE,
           last_flags: Sequence[bool] | None = None, extra_empty_final: bool = False
           ) -> list[bytes]:
    """The STREAM chunks of ``plaintext``: 64 KiB pieces under ChaCha20-Poly1305 with the
    nonce ``11-byte big-endian counter || last flag``. ``last_flags`` overrides each chunk's
    flag; ``extra_empty_final`` appends an empty chunk flagged last (the rest then unflagged).
    """
    key = hkdf(file_key, nonce, b"payload")
    pieces = [plaintext[i:i + CHUNK] for i in range(0, len(plaintext), CHUNK)] or [b""]
    flags = list(last_flags) if last_flags is not None else [
        i == len(pieces) - 1 for i in range(len(pieces))]
    if extra_empty_final:
        pieces.append(b"")
        flags = [False] * (len(pieces) - 1) + [True]
    aead = ChaCha20Poly1305(key)
    return [aead.encrypt(i.to_bytes(11, "big") + bytes([flag]), piece, None)
            for i, (piece, flag) in enumerate(zip(pieces, flags, strict=True))]


def age_file(plaintext: bytes, stanzas: Sequence[bytes], *, file_key: bytes = FILE_KEY,
             nonce: bytes = NONCE) -> bytes:
    """A complete, valid age v1 file of ``plaintext``."""
    return age_header(stanzas, file_key=file_key) + nonce + b"".join(
        stream(plaintext, file_key=file_key, nonce=nonce))


def to_carol(plaintext: bytes) -> bytes:
    return age_file(plaintext, [x25519_stanza(CAROL.public)])


# ---------------------------------------------------------------- key files

def key_files() -> dict[str, bytes]:
    """The contents of spec/vectors/keys/: ``<name>.pub`` (PEM SPKI) for the signing keys,
    ``<name>.age`` (an age identity file, as age-keygen writes one) for the age keys."""
    note = b"# a FIXED TEST KEY of spec/vectors (its seed is public): never use it elsewhere\n"
    files = {f"{k.name}.pub": k.pem for k in SIGNING_KEYS}
    for ident in AGE_IDENTITIES:
        files[f"{ident.name}.age"] = (note + f"# public key: {ident.recipient}\n"
                                      f"{ident.identity}\n".encode())
    return files


def sync_keys(*, check: bool) -> list[str]:
    """Write spec/vectors/keys/ (or, with ``check``, return the names that are stale)."""
    stale = []
    KEYS.mkdir(exist_ok=True)
    expected = key_files()
    for name, content in expected.items():
        path = KEYS / name
        if check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(f"keys/{name}")
        else:
            path.write_bytes(content)
    for path in KEYS.iterdir():
        if path.name not in expected:
            if check:
                stale.append(f"keys/{path.name}")
            else:
                path.unlink()
    return stale
