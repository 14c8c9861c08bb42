"""age v1 encryption (age-encryption.org/v1), streaming, from ``cryptography`` primitives only.

The ``payload`` section of an encrypted paramseal file (spec/format.md §3.5) is a byte-exact
age v1 file, so the stock ``age`` tool decrypts it. This module writes and reads such files:

- recipients: X25519 (``age1…``, Bech32 lowercase) and identities (``AGE-SECRET-KEY-1…``, Bech32
  uppercase), or one passphrase (an ``scrypt`` stanza, which must be the only stanza);
- header: parsed strictly as age specifies (canonical unpadded base64 wrapped at 64 columns,
  arguments of printable ASCII, the ``---`` MAC line), bounded to ``Limits.max_age_header_bytes``
  and ``Limits.max_age_stanzas`` (spec §8) before anything is allocated for it; unknown stanza
  types are skipped (and counted), as age requires;
- payload: a 16-byte nonce, then STREAM: 64 KiB ChaCha20-Poly1305 chunks whose nonce is an
  11-byte big-endian counter and a last-chunk flag.

:func:`encrypt` streams ciphertext with memory bounded by one chunk. :func:`decrypt_into` derives
the plaintext size from the ciphertext length, checks it against a cap, allocates once, and
decrypts chunk by chunk into that buffer (``ciphertext`` is typically an mmap view);
:func:`decrypt_file_into` does the same from a file descriptor with one reusable chunk buffer.
:func:`header_info` reads the public facts of a file (stanza types, sizes) without a key.

Every failure to decrypt raises :class:`DecryptionError` with an opaque message: ``"decryption
failed"`` for anything cryptographic (no matching identity, wrong passphrase, header MAC, chunk
tag, truncation, reordering, splicing, trailing data) and ``"malformed age header"`` for a header
that breaks the syntax. Caps raise :class:`LimitError`. Bad key strings raise
:class:`InvalidKeyError` (never echoing the key).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from . import limits as _limits
from .errors import DecryptionError, InvalidKeyError, LimitError

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_SCRYPT_LOG_N",
    "HeaderInfo",
    "decrypt_file_into",
    "decrypt_into",
    "encrypt",
    "encrypt_bytes",
    "generate_identity",
    "header_info",
    "parse_identities",
    "parse_identity",
    "parse_recipient",
    "plaintext_size",
    "read_identities",
    "recipient_of",
]

VERSION_LINE = b"age-encryption.org/v1\n"
#: Plaintext bytes per STREAM chunk; every chunk but the last holds exactly this many.
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
_ENC_CHUNK = CHUNK_SIZE + TAG_SIZE
FILE_KEY_SIZE = 16
PAYLOAD_NONCE_SIZE = 16
#: scrypt work factor the writer uses by default. The caps a reader applies (header bytes,
#: stanzas, work factor, plaintext) are fields of :class:`paramseal.limits.Limits` (spec §8);
#: the keyword arguments below default to the spec's maxima and may only be lowered.
DEFAULT_SCRYPT_LOG_N = 18
_MAX = _limits.DEFAULT
_MAX_IDENTITY_FILE = 1024 * 1024

_COLUMNS = 64
_X25519_INFO = b"age-encryption.org/v1/X25519"
_SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
_ZERO_NONCE = bytes(12)
_RECIPIENT_HRP = "age"
_IDENTITY_HRP = "age-secret-key-"

_MALFORMED = "malformed age header"
_FAILED = "decryption failed"

_B64_CHARS = re.compile(rb"[A-Za-z0-9+/]*")
_DECIMAL = re.compile(rb"[1-9][0-9]?")


# --- Bech32 (BIP-173, without the 90-character limit, as age uses it) -------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: Iterable[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GENERATOR[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: Iterable[int], frombits: int, tobits: int, pad: bool) -> list[int] | None:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    """Bech32 string (lowercase) of ``data`` under the human-readable part ``hrp``."""
    hrp = hrp.lower()
    five = _convert_bits(data, 8, 5, True)
    assert five is not None
    values = _hrp_expand(hrp) + five
    checksum = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ 1
    five += [(checksum >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in five)


def _bech32_parse(text: str) -> tuple[str, list[int]]:
    """``(hrp, 5-bit data values without the checksum)`` of a Bech32 string; checks all but the
    8-bit conversion. Raises :class:`ValueError`."""
    if not text.isascii() or any(not 33 <= ord(c) <= 126 for c in text):
        raise ValueError("bech32: invalid character")
    if text.lower() != text and text.upper() != text:
        raise ValueError("bech32: mixed case")
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise ValueError("bech32: separator at an invalid position")
    hrp = text[:pos]
    try:
        values = [_CHARSET_INDEX[c] for c in text[pos + 1 :].lower()]
    except KeyError:
        raise ValueError("bech32: invalid data character") from None
    if _polymod(_hrp_expand(hrp.lower()) + values) != 1:
        raise ValueError("bech32: invalid checksum")
    return hrp, values[:-6]


def bech32_decode(text: str) -> tuple[str, bytes]:
    """``(hrp, data)`` of a Bech32 string, with the case of ``hrp`` as written.

    Strict (BIP-173, without its 90-character limit, as age uses it): ASCII 33..126 only, not
    mixed case, a non-empty human-readable part, a separator with at least six checksum characters
    after it, the data alphabet, the Bech32 (not Bech32m) checksum, and zero padding of fewer than
    five bits. Raises :class:`ValueError`.
    """
    hrp, values = _bech32_parse(text)
    data = _convert_bits(values, 5, 8, False)
    if data is None:
        raise ValueError("bech32: invalid padding")
    return hrp, bytes(data)


# --- Keys ---------------------------------------------------------------------------------------


def parse_recipient(text: str) -> X25519PublicKey:
    """The X25519 public key of an ``age1…`` recipient string (lowercase, 32-byte key)."""
    try:
        hrp, data = bech32_decode(text)
    except ValueError:
        raise InvalidKeyError("not an age X25519 recipient (age1…)") from None
    if hrp != _RECIPIENT_HRP or len(data) != 32:
        raise InvalidKeyError("not an age X25519 recipient (age1…)")
    return X25519PublicKey.from_public_bytes(data)


def parse_identity(text: str) -> X25519PrivateKey:
    """The X25519 private key of an ``AGE-SECRET-KEY-1…`` identity string (uppercase)."""
    try:
        hrp, data = bech32_decode(text)
    except ValueError:
        raise InvalidKeyError("not an age X25519 identity (AGE-SECRET-KEY-1…)") from None
    if hrp != _IDENTITY_HRP.upper() or len(data) != 32:
        raise InvalidKeyError("not an age X25519 identity (AGE-SECRET-KEY-1…)")
    return X25519PrivateKey.from_private_bytes(data)


def format_recipient(key: X25519PublicKey) -> str:
    """The ``age1…`` string of an X25519 public key."""
    return bech32_encode(_RECIPIENT_HRP, key.public_bytes_raw())


def format_identity(key: X25519PrivateKey) -> str:
    """The ``AGE-SECRET-KEY-1…`` string of an X25519 private key."""
    return bech32_encode(_IDENTITY_HRP, key.private_bytes_raw()).upper()


def recipient_of(identity: str | X25519PrivateKey) -> str:
    """The ``age1…`` recipient that matches an identity."""
    key = parse_identity(identity) if isinstance(identity, str) else identity
    return format_recipient(key.public_key())


def generate_identity() -> tuple[str, str]:
    """A fresh X25519 key pair: ``(identity "AGE-SECRET-KEY-1…", recipient "age1…")``."""
    key = X25519PrivateKey.generate()
    return format_identity(key), format_recipient(key.public_key())


def parse_identities(data: str | bytes) -> list[X25519PrivateKey]:
    """The identities of an age identity file (as ``age-keygen`` writes it).

    One identity per line; empty lines and lines starting with ``#`` are ignored; a trailing CR is
    dropped. Any other line must be an X25519 identity. Messages name the line, never its text.
    """
    if len(data) > _MAX_IDENTITY_FILE:
        raise InvalidKeyError(f"identity file is larger than {_MAX_IDENTITY_FILE} bytes")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidKeyError("identity file is not UTF-8 text") from None
    keys: list[X25519PrivateKey] = []
    for number, line in enumerate(data.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(parse_identity(line))
        except InvalidKeyError:
            raise InvalidKeyError(
                f"identity file line {number}: not an age X25519 identity (AGE-SECRET-KEY-1…)"
            ) from None
    if not keys:
        raise InvalidKeyError("identity file holds no identity")
    return keys


def read_identities(path: str | os.PathLike[str]) -> list[X25519PrivateKey]:
    """:func:`parse_identities` of a file, reading at most 1 MiB of it."""
    with open(Path(path), "rb") as f:
        data = f.read(_MAX_IDENTITY_FILE + 1)
    return parse_identities(data)


# --- Primitives -----------------------------------------------------------------------------


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt or None, info).derive(ikm)


def _header_mac(file_key: bytes, header_up_to_dashes: bytes) -> hmac.HMAC:
    mac = hmac.HMAC(_hkdf(file_key, b"", b"header"), hashes.SHA256())
    mac.update(header_up_to_dashes)
    return mac


def _scrypt_key(passphrase: bytes, salt: bytes, log_n: int) -> bytes:
    return Scrypt(_SCRYPT_LABEL + salt, 32, 1 << log_n, 8, 1).derive(passphrase)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _b64decode(text: bytes) -> bytes:
    """Canonical unpadded standard base64, or :class:`DecryptionError` (malformed)."""
    if len(text) % 4 == 1 or not _B64_CHARS.fullmatch(text):
        raise DecryptionError(_MALFORMED)
    data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    if _b64(data) != text:  # nonzero trailing bits
        raise DecryptionError(_MALFORMED)
    return data


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not data:
        raise ValueError("the passphrase must not be empty")
    return data


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


# --- Header ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Stanza:
    args: tuple[bytes, ...]  # args[0] is the type
    body: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class _Header:
    stanzas: tuple[_Stanza, ...]
    mac_input: bytes  # from the version line up to and including "---"
    mac: bytes
    size: int  # bytes up to and including the newline after the MAC


def _encode_stanza(args: Sequence[bytes], body: bytes) -> bytes:
    text = _b64(body)
    lines = [text[i : i + _COLUMNS] for i in range(0, len(text), _COLUMNS)]
    if not lines or len(lines[-1]) == _COLUMNS:
        lines.append(b"")  # the last line is always shorter than 64 columns
    return b"-> " + b" ".join(args) + b"\n" + b"".join(line + b"\n" for line in lines)


def _check_known_stanza(stanza: _Stanza) -> None:
    kind = stanza.args[0]
    if kind == b"X25519":
        if len(stanza.args) != 2 or len(_b64decode(stanza.args[1])) != 32:
            raise DecryptionError(_MALFORMED)
    elif kind == b"scrypt":
        if (
            len(stanza.args) != 3
            or len(_b64decode(stanza.args[1])) != 16
            or not _DECIMAL.fullmatch(stanza.args[2])
        ):
            raise DecryptionError(_MALFORMED)
    else:
        return
    # Both known types wrap a 16-byte file key: exactly 32 bytes of body, to mitigate
    # partitioning oracle attacks (age spec).
    if len(stanza.body) != FILE_KEY_SIZE + TAG_SIZE:
        raise DecryptionError(_MALFORMED)


def _parse_header(
    window: bytes,
    total: int,
    max_header_bytes: int = _MAX.max_age_header_bytes,
    max_stanzas: int = _MAX.max_age_stanzas,
) -> _Header:
    """Parse the header strictly from ``window``, the first ``min(total, max_header_bytes)``
    bytes of a file of ``total`` bytes, refusing more than ``max_stanzas`` stanzas."""
    window = window[:max_header_bytes]
    if not window.startswith(VERSION_LINE):
        if total > len(window) and VERSION_LINE.startswith(window):  # cut by the cap
            raise LimitError(f"age header is larger than {max_header_bytes} bytes")
        raise DecryptionError(_MALFORMED)
    pos = len(VERSION_LINE)

    def next_line() -> bytes:
        nonlocal pos
        end = window.find(b"\n", pos)
        if end < 0:
            if total > len(window):
                raise LimitError(f"age header is larger than {max_header_bytes} bytes")
            raise DecryptionError(_MALFORMED)
        line = window[pos:end]
        pos = end + 1
        return line

    stanzas: list[_Stanza] = []
    while True:
        start = pos
        line = next_line()
        parts = line.split(b" ")
        if parts[0] == b"---":
            if len(parts) != 2 or not stanzas:
                raise DecryptionError(_MALFORMED)
            mac = _b64decode(parts[1])
            if len(mac) != 32:
                raise DecryptionError(_MALFORMED)
            header = _Header(tuple(stanzas), window[: start + 3], mac, pos)
            break
        if parts[0] != b"->" or len(parts) < 2:
            raise DecryptionError(_MALFORMED)
        if len(stanzas) >= max_stanzas:
            raise LimitError(f"age header has more than {max_stanzas} stanzas")
        for arg in parts[1:]:
            if not arg or any(not 33 <= b <= 126 for b in arg):
                raise DecryptionError(_MALFORMED)
        body = bytearray()
        while True:
            text = next_line()
            if len(text) > _COLUMNS:
                raise DecryptionError(_MALFORMED)
            body += _b64decode(text)
            if len(text) < _COLUMNS:
                break
        stanza = _Stanza(tuple(parts[1:]), bytes(body))
        _check_known_stanza(stanza)
        stanzas.append(stanza)
    # An scrypt stanza must be the only stanza (age spec): it is what makes a passphrase imply
    # authentication.
    if len(header.stanzas) > 1 and any(s.args[0] == b"scrypt" for s in header.stanzas):
        raise DecryptionError(_MALFORMED)
    return header


def _plaintext_size(payload_size: int) -> int | None:
    """Plaintext bytes of a STREAM payload of ``payload_size`` bytes (after the nonce), or None
    when no sequence of chunks has that length (truncated, or trailing bytes)."""
    if payload_size == TAG_SIZE:
        return 0  # the empty plaintext: one empty final chunk
    full, rest = divmod(payload_size, _ENC_CHUNK)
    if rest == 0:
        return full * CHUNK_SIZE if full else None
    if rest <= TAG_SIZE:  # a final chunk may be empty only if the whole payload is
        return None
    return full * CHUNK_SIZE + rest - TAG_SIZE


@dataclasses.dataclass(frozen=True, slots=True)
class HeaderInfo:
    """Public facts of an age file, read without any key."""

    #: Stanza types in header order (e.g. ``("X25519", "X25519")`` or ``("scrypt",)``).
    stanza_types: tuple[str, ...]
    #: Bytes of the header, MAC line included.
    header_size: int
    #: Plaintext bytes implied by the ciphertext length, or None if that length is impossible.
    plaintext_size: int | None
    #: The work factor of a passphrase file, else None.
    scrypt_log_n: int | None

    @property
    def stanza_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for kind in self.stanza_types:
            counts[kind] = counts.get(kind, 0) + 1
        return counts


def _as_bytes_view(data: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def header_info(
    ciphertext: bytes | bytearray | memoryview,
    *,
    max_header_bytes: int = _MAX.max_age_header_bytes,
    max_stanzas: int = _MAX.max_age_stanzas,
) -> HeaderInfo:
    """Stanza types, header size, plaintext size and scrypt work factor of an age file.

    Parses the header as strictly as :func:`decrypt_into` does (so a malformed header raises
    :class:`DecryptionError`, a header over the caps :class:`LimitError`), but needs no key and
    checks no MAC.
    """
    _check_caps(max_header_bytes, max_stanzas, _MAX.max_scrypt_log_n)
    view = _as_bytes_view(ciphertext)
    header = _parse_header(bytes(view[:max_header_bytes]), len(view), max_header_bytes,
                           max_stanzas)
    log_n = None
    if header.stanzas[0].args[0] == b"scrypt":
        log_n = int(header.stanzas[0].args[2])
    payload = len(view) - header.size - PAYLOAD_NONCE_SIZE
    return HeaderInfo(
        stanza_types=tuple(s.args[0].decode("ascii") for s in header.stanzas),
        header_size=header.size,
        plaintext_size=_plaintext_size(payload) if payload >= 0 else None,
        scrypt_log_n=log_n,
    )


def plaintext_size(
    ciphertext: bytes | bytearray | memoryview,
    *,
    max_header_bytes: int = _MAX.max_age_header_bytes,
    max_stanzas: int = _MAX.max_age_stanzas,
) -> int:
    """Plaintext bytes of an age file, from its header and length alone (no key)."""
    size = header_info(ciphertext, max_header_bytes=max_header_bytes,
                       max_stanzas=max_stanzas).plaintext_size
    if size is None:
        raise DecryptionError(_FAILED)
    return size


# --- Encryption -----------------------------------------------------------------------------


def _x25519_stanza(recipient: X25519PublicKey, file_key: bytes) -> bytes:
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(recipient)
    wrap_key = _hkdf(shared, share + recipient.public_bytes_raw(), _X25519_INFO)
    body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
    return _encode_stanza([b"X25519", _b64(share)], body)


def _scrypt_stanza(passphrase: bytes, file_key: bytes, log_n: int) -> bytes:
    salt = os.urandom(16)
    wrap_key = _scrypt_key(passphrase, salt, log_n)
    body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
    return _encode_stanza([b"scrypt", _b64(salt), str(log_n).encode()], body)


def _build_header(stanzas: Sequence[bytes], file_key: bytes) -> bytes:
    head = VERSION_LINE + b"".join(stanzas) + b"---"
    mac = _header_mac(file_key, head).finalize()
    return head + b" " + _b64(mac) + b"\n"


def encrypt(
    chunks: Iterable[bytes | bytearray | memoryview],
    plaintext_size: int,
    *,
    recipients: Sequence[str | X25519PublicKey] | None = None,
    passphrase: str | bytes | None = None,
    scrypt_log_n: int = DEFAULT_SCRYPT_LOG_N,
) -> Iterator[bytes]:
    """Encrypt a stream of plaintext pieces to an age v1 file, yielded as ciphertext pieces.

    ``chunks`` may have any sizes; together they must hold exactly ``plaintext_size`` bytes
    (knowing the size up front is what lets the last STREAM chunk be flagged without look-ahead).
    Exactly one of ``recipients`` (1 to 64 ``age1…`` strings or X25519 public keys) and
    ``passphrase`` (one scrypt stanza of work factor ``scrypt_log_n``) must be given. The first
    piece yielded is the header and payload nonce; then one piece per 64 KiB chunk. Memory is
    bounded by one chunk: full chunks of contiguous input are encrypted without a copy.

    Key and argument problems are raised by the call itself, before any ciphertext exists; a
    stream holding more or fewer than ``plaintext_size`` bytes raises :class:`ValueError` while
    iterating (what was yielded until then is not a valid age file).
    """
    if isinstance(plaintext_size, bool) or not isinstance(plaintext_size, int):
        raise TypeError("plaintext_size must be an int")
    if plaintext_size < 0:
        raise ValueError("plaintext_size must be non-negative")
    if (recipients is None) == (passphrase is None):
        raise ValueError("give exactly one of recipients and passphrase")
    file_key = os.urandom(FILE_KEY_SIZE)
    if recipients is not None:
        if isinstance(recipients, (str, bytes)):
            raise TypeError("recipients must be a sequence of age1… strings, not one string")
        if not 1 <= len(recipients) <= _MAX.max_age_stanzas:
            raise ValueError(
                f"give 1 to {_MAX.max_age_stanzas} recipients, not {len(recipients)}")
        keys = [parse_recipient(r) if isinstance(r, str) else r for r in recipients]
        for key in keys:
            if not isinstance(key, X25519PublicKey):
                raise TypeError("a recipient must be an age1… string or an X25519PublicKey")
        stanzas = [_x25519_stanza(key, file_key) for key in keys]
    else:
        assert passphrase is not None
        if isinstance(scrypt_log_n, bool) or not isinstance(scrypt_log_n, int):
            raise TypeError("scrypt_log_n must be an int")
        if not 1 <= scrypt_log_n <= _MAX.max_scrypt_log_n:
            raise ValueError(f"scrypt_log_n must be between 1 and {_MAX.max_scrypt_log_n}")
        stanzas = [_scrypt_stanza(_passphrase_bytes(passphrase), file_key, scrypt_log_n)]
    header = _build_header(stanzas, file_key)
    nonce = os.urandom(PAYLOAD_NONCE_SIZE)
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    return _stream(aead, header + nonce, chunks, plaintext_size)


def _stream(
    aead: ChaCha20Poly1305,
    first: bytes,
    chunks: Iterable[bytes | bytearray | memoryview],
    size: int,
) -> Iterator[bytes]:
    yield first
    counter = 0
    received = 0  # plaintext bytes taken from ``chunks``
    pending = bytearray(CHUNK_SIZE)
    fill = 0
    for piece in chunks:
        view = _as_bytes_view(piece)
        received += len(view)
        if received > size:
            raise ValueError(f"the chunks hold more than plaintext_size={size} bytes")
        offset = 0
        while offset < len(view):
            if fill == 0 and len(view) - offset >= CHUNK_SIZE:
                block = view[offset : offset + CHUNK_SIZE]
                offset += CHUNK_SIZE
            else:
                take = min(CHUNK_SIZE - fill, len(view) - offset)
                pending[fill : fill + take] = view[offset : offset + take]
                fill += take
                offset += take
                if fill < CHUNK_SIZE:
                    break
                block = memoryview(pending)
                fill = 0
            last = (counter + 1) * CHUNK_SIZE == size
            yield aead.encrypt(_chunk_nonce(counter, last), block, None)
            counter += 1
    if received != size:
        raise ValueError(f"the chunks hold {received} bytes, not plaintext_size={size}")
    if fill or size == 0:
        yield aead.encrypt(_chunk_nonce(counter, True), memoryview(pending)[:fill], None)


def encrypt_bytes(
    data: bytes | bytearray | memoryview,
    *,
    recipients: Sequence[str | X25519PublicKey] | None = None,
    passphrase: str | bytes | None = None,
    scrypt_log_n: int = DEFAULT_SCRYPT_LOG_N,
) -> bytes:
    """:func:`encrypt` of one buffer, joined into one ``bytes``."""
    view = _as_bytes_view(data)
    return b"".join(
        encrypt(
            [view],
            len(view),
            recipients=recipients,
            passphrase=passphrase,
            scrypt_log_n=scrypt_log_n,
        )
    )


# --- Decryption -----------------------------------------------------------------------------


def _unwrap_x25519(header: _Header, identities: Sequence[X25519PrivateKey]) -> bytes | None:
    for identity in identities:
        own = identity.public_key().public_bytes_raw()
        for stanza in header.stanzas:
            if stanza.args[0] != b"X25519":
                continue
            share = _b64decode(stanza.args[1])
            try:
                shared = identity.exchange(X25519PublicKey.from_public_bytes(share))
            except ValueError:  # all-zero shared secret: age requires aborting
                raise DecryptionError(_FAILED) from None
            wrap_key = _hkdf(shared, share + own, _X25519_INFO)
            try:
                return ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, stanza.body, None)
            except InvalidTag:
                continue
    return None


def _unwrap_scrypt(header: _Header, passphrase: bytes, max_log_n: int) -> bytes | None:
    if len(header.stanzas) != 1 or header.stanzas[0].args[0] != b"scrypt":
        return None
    stanza = header.stanzas[0]
    log_n = int(stanza.args[2])
    if log_n > max_log_n:
        raise LimitError(f"scrypt work factor log2(N) is {log_n}, above the limit {max_log_n}")
    wrap_key = _scrypt_key(passphrase, _b64decode(stanza.args[1]), log_n)
    try:
        return ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, stanza.body, None)
    except InvalidTag:
        return None


class _ViewSource:
    """Ciphertext in memory or in an mmap: chunks are zero-copy slices."""

    def __init__(self, view: memoryview) -> None:
        self._view = view

    def __len__(self) -> int:
        return len(self._view)

    def read(self, start: int, n: int) -> memoryview:
        return self._view[start : start + n]


class _FileSource:
    """Ciphertext in a file, read with ``preadv`` into one reusable chunk buffer, so that no
    mapping of the ciphertext adds to the process's resident memory."""

    def __init__(self, fd: int, offset: int, length: int) -> None:
        self._fd = fd
        self._offset = offset
        self._length = length
        self._buffer = memoryview(bytearray(_ENC_CHUNK))

    def __len__(self) -> int:
        return self._length

    def read(self, start: int, n: int) -> memoryview:
        assert n <= len(self._buffer)
        target = self._buffer[:n]
        done = 0
        while done < n:
            got = os.preadv(self._fd, [target[done:]], self._offset + start + done)
            if got <= 0:  # the file shrank under us
                raise DecryptionError(_FAILED)
            done += got
        return target


def _check_caps(max_header_bytes: int, max_stanzas: int, max_scrypt_log_n: int) -> None:
    """Refuse caps above the spec's maxima (spec §8: a reader may lower them, never raise)."""
    for name, value in (("max_age_header_bytes", max_header_bytes),
                        ("max_age_stanzas", max_stanzas),
                        ("max_scrypt_log_n", max_scrypt_log_n)):
        maximum = getattr(_MAX, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TypeError(f"{name} must be a non-negative int")
        if value > maximum:
            raise ValueError(f"{name} is above the spec's maximum {maximum}")


def _check_keys(
    identities: Sequence[str | X25519PrivateKey] | None,
    passphrase: str | bytes | None,
    max_scrypt_log_n: int,
    max_header_bytes: int,
    max_stanzas: int,
) -> tuple[list[X25519PrivateKey], bytes]:
    if (identities is None) == (passphrase is None):
        raise ValueError("give exactly one of identities and passphrase")
    _check_caps(max_header_bytes, max_stanzas, max_scrypt_log_n)
    if identities is None:
        assert passphrase is not None
        return [], _passphrase_bytes(passphrase)
    if isinstance(identities, (str, bytes)):
        raise TypeError("identities must be a sequence of identities, not one string")
    keys = [parse_identity(i) if isinstance(i, str) else i for i in identities]
    for key in keys:
        if not isinstance(key, X25519PrivateKey):
            raise TypeError("an identity must be an AGE-SECRET-KEY-1… string or a key")
    if not keys:
        raise ValueError("give at least one identity")
    return keys, b""


#: Chunks between two ``release`` calls (256 chunks of 64 KiB: 16 MiB).
_RELEASE_EVERY = 256


def _decrypt(
    source: _ViewSource | _FileSource,
    keys: list[X25519PrivateKey],
    secret: bytes,
    max_plaintext: int,
    max_scrypt_log_n: int,
    max_header_bytes: int,
    max_stanzas: int,
    out: bytearray | memoryview | None,
    release: Callable[[int], None] | None = None,
) -> bytearray | memoryview:
    total = len(source)
    window = bytes(source.read(0, min(total, max_header_bytes)))
    header = _parse_header(window, total, max_header_bytes, max_stanzas)
    payload_size = total - header.size - PAYLOAD_NONCE_SIZE
    size = _plaintext_size(payload_size) if payload_size >= 0 else None
    if size is None:
        raise DecryptionError(_FAILED)
    if size > max_plaintext:
        raise LimitError(f"age plaintext is {size} bytes, above the limit {max_plaintext}")

    if keys:
        file_key = _unwrap_x25519(header, keys)
    else:
        file_key = _unwrap_scrypt(header, secret, max_scrypt_log_n)
    if file_key is None:
        raise DecryptionError(_FAILED)
    try:
        _header_mac(file_key, header.mac_input).verify(header.mac)
    except InvalidSignature:
        raise DecryptionError(_FAILED) from None

    result: bytearray | memoryview = bytearray(size) if out is None else out
    target = _as_bytes_view(result)
    if target.readonly or len(target) != size:
        raise ValueError(f"out must be a writable buffer of exactly {size} bytes")

    start = header.size
    nonce = bytes(source.read(start, PAYLOAD_NONCE_SIZE))
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    start += PAYLOAD_NONCE_SIZE
    count = max(1, -(-size // CHUNK_SIZE))
    hi = 0
    try:
        for counter in range(count):
            lo = counter * CHUNK_SIZE
            hi = min(lo + CHUNK_SIZE, size)
            src = source.read(start + counter * _ENC_CHUNK, hi - lo + TAG_SIZE)
            aead.decrypt_into(_chunk_nonce(counter, counter == count - 1), src, None, target[lo:hi])
            if release is not None and counter % _RELEASE_EVERY == _RELEASE_EVERY - 1:
                release(start + (counter + 1) * _ENC_CHUNK)
    except (InvalidTag, DecryptionError):
        # Only what was written can hold plaintext; the rest is left untouched, so that a
        # file failing at its first chunk costs no page of a large (lazily mapped) output.
        _wipe(target[:hi])
        raise DecryptionError(_FAILED) from None
    return result


def decrypt_into(
    ciphertext: bytes | bytearray | memoryview,
    *,
    identities: Sequence[str | X25519PrivateKey] | None = None,
    passphrase: str | bytes | None = None,
    max_plaintext: int = _MAX.max_file_bytes,
    max_scrypt_log_n: int = _MAX.max_scrypt_log_n,
    max_header_bytes: int = _MAX.max_age_header_bytes,
    max_stanzas: int = _MAX.max_age_stanzas,
    out: bytearray | memoryview | None = None,
    release: Callable[[int], None] | None = None,
) -> bytearray | memoryview:
    """Decrypt a whole age v1 file held in memory (or an mmap), chunk by chunk, into one buffer.

    ``release(n)``, when given, is called every 16 MiB with the number of ciphertext bytes
    consumed so far, so that the caller can drop those pages of a mapping from memory.

    Order: parse the header (bounded); derive the plaintext size from the ciphertext length and
    refuse it above ``max_plaintext`` (:class:`LimitError`, nothing allocated); unwrap the file
    key with one of ``identities`` (``AGE-SECRET-KEY-1…`` strings or X25519 private keys) or with
    ``passphrase`` (refusing an scrypt work factor above ``max_scrypt_log_n`` with
    :class:`LimitError` before deriving); a header longer than ``max_header_bytes`` or with
    more than ``max_stanzas`` stanzas is refused with :class:`LimitError` while parsing; check
    the header MAC; allocate the plaintext once (or use ``out``, a writable buffer of exactly
    :func:`plaintext_size` bytes); decrypt each chunk
    in place with ``decrypt_into``. Allocations: the plaintext and a copy of the header.

    The pages of an mmap'd ``ciphertext`` that the call reads stay resident (as reclaimable page
    cache) until the mapping is closed; :func:`decrypt_file_into` avoids that.

    Any failure to decrypt raises :class:`DecryptionError` ("decryption failed", or "malformed
    age header"); on such a failure after writing started, the part of the output written so
    far is zeroed so no unverified plaintext is left in ``out``. Returns ``out``, or the new
    ``bytearray``.
    """
    keys, secret = _check_keys(identities, passphrase, max_scrypt_log_n, max_header_bytes,
                               max_stanzas)
    source = _ViewSource(_as_bytes_view(ciphertext))
    return _decrypt(source, keys, secret, max_plaintext, max_scrypt_log_n, max_header_bytes,
                    max_stanzas, out, release)


def decrypt_file_into(
    file: BinaryIO | int,
    *,
    offset: int = 0,
    length: int | None = None,
    identities: Sequence[str | X25519PrivateKey] | None = None,
    passphrase: str | bytes | None = None,
    max_plaintext: int = _MAX.max_file_bytes,
    max_scrypt_log_n: int = _MAX.max_scrypt_log_n,
    max_header_bytes: int = _MAX.max_age_header_bytes,
    max_stanzas: int = _MAX.max_age_stanzas,
    out: bytearray | memoryview | None = None,
) -> bytearray | memoryview:
    """:func:`decrypt_into` of the age file at ``offset`` in an open file (``length`` bytes, by
    default to the end of the file), read chunk by chunk with ``preadv``: the process's resident
    memory grows by the plaintext and one 64 KiB chunk buffer only. The file position is not
    used or moved."""
    keys, secret = _check_keys(identities, passphrase, max_scrypt_log_n, max_header_bytes,
                               max_stanzas)
    fd = file if isinstance(file, int) else file.fileno()
    size = os.fstat(fd).st_size
    if offset < 0 or offset > size:
        raise ValueError(f"offset {offset} is outside the file ({size} bytes)")
    if length is None:
        length = size - offset
    if length < 0 or offset + length > size:
        raise ValueError(f"offset {offset} + length {length} is beyond the file ({size} bytes)")
    source = _FileSource(fd, offset, length)
    return _decrypt(source, keys, secret, max_plaintext, max_scrypt_log_n, max_header_bytes,
                    max_stanzas, out)


def _wipe(target: memoryview) -> None:
    """Zero a buffer in place, chunk by chunk (no plaintext-sized temporary)."""
    zero = bytes(CHUNK_SIZE)
    for lo in range(0, len(target), CHUNK_SIZE):
        hi = min(lo + CHUNK_SIZE, len(target))
        target[lo:hi] = zero[: hi - lo]
