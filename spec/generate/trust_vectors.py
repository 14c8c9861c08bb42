"""Vectors for signatures, trust policies (spec/format.md §3.3, §3.4) and encrypted files
(§3.5), written with testkit and trustkit only (no library code).

Imported by generate_vectors.py after its own vector definitions: it registers its vectors
with that module's ``vector`` and writes (or, with ``--check``, checks) spec/vectors/keys/.
Every vector names its load options: ``policy:`` (trusted keys of keys/<name>.pub, threshold,
max_age, require_expiry), ``identity:`` (keys/<name>.age) or ``passphrase:``.

Dates: a policy compares ``created`` and ``expires`` with the reader's clock. The vectors
use dates far enough in the past (2026-01-01 and before) or in the future (2100-01-01) that
their outcome holds until 2100.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sys
from collections.abc import Callable

import numpy as np
import testkit as tk
import trustkit as tr
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

# The module that imported this one: generate_vectors, run as a script (``__main__``) or
# imported under its own name.
gv = sys.modules.get("generate_vectors") or sys.modules["__main__"]
assert hasattr(gv, "vector") and hasattr(gv, "base"), "import trust_vectors from generate_vectors"
vector = gv.vector

_stale = tr.sync_keys(check="--check" in sys.argv)
if _stale:
    sys.exit(json.dumps({"stale": _stale, "unknown": []}))

FUTURE = 4102444800  # 2100-01-01T00:00:00Z
CENTURY = 3_000_000_000  # seconds: a max_age that 2026-01-01 stays within until 2100

TRUST_ALICE = "trust=alice"
TRUST_BOB = "trust=bob"
TRUST_BOTH = "trust=alice,bob threshold=2"
PASSPHRASE = "paramseal test vector"


def plain(**header: object) -> tk.Parts:
    """The valid file of generate_vectors.base(), with header fields changed."""
    parts = gv.base()
    parts.header.update(created=tr.CREATED)
    parts.header.update(header)
    return parts


def signed(*keys: tr.SigningKey, **header: object) -> Callable[[], bytes]:
    return lambda: tk.pack(tr.sign(plain(**header), *keys))


def with_entries(make_entries: Callable[[bytes], list[dict]], parts: tk.Parts | None = None
                 ) -> Callable[[], bytes]:
    """A file whose signature block is ``make_entries(stored header bytes)``."""
    def make() -> bytes:
        p = plain() if parts is None else parts
        p.signatures = make_entries(tr.header_bytes(p))
        return tk.pack(p)
    return make


def flip(data: bytes, index: int = -1) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


# ---------------------------------------------------------------- §3.4 signatures

vector("signature_ed25519_trusted", "success",
       "§3.4 an Ed25519 signature by a trusted key over the PAE of the header",
       policy=TRUST_ALICE)(signed(tr.ALICE))
vector("signature_ecdsa_trusted", "success",
       "§3.4 an ECDSA P-256 SHA-256 signature (DER) by a trusted key", policy=TRUST_BOB)(
    signed(tr.BOB))
vector("policy_threshold_two", "success",
       "§3.4 two distinct trusted keys (Ed25519 and ECDSA) meet a threshold of 2",
       policy=TRUST_BOTH)(signed(tr.ALICE, tr.BOB))
vector("policy_unknown_signatures_ignored", "success",
       "§3.4 signatures by unknown keys are ignored, not errors: one by an untrusted key and "
       "one by an unknown key ID whose bytes verify under nothing", policy=TRUST_ALICE)(
    with_entries(lambda h: sorted(
        [tr.entry(tr.ALICE, tr.pae(h)), tr.entry(tr.MALLORY, tr.pae(h)),
         {"alg": "ed25519", "kid": b"\xff" * 32, "sig": b"\x00" * 64}],
        key=lambda e: e["kid"])))
vector("policy_max_age_within", "success",
       "§3.4 a file created (2026-01-01) within the policy's maximum age",
       policy=f"{TRUST_ALICE} max_age={CENTURY}")(signed(tr.ALICE))
vector("policy_expiry_in_future", "success",
       "§3.4 a file whose expires (2100-01-01) is still ahead, under a policy that requires one",
       policy=f"{TRUST_ALICE} require_expiry")(signed(tr.ALICE, expires=FUTURE))

vector("policy_unsigned", "VerificationError",
       "§3.4 fewer valid signatures by trusted keys than the threshold: none at all",
       policy=TRUST_ALICE)(lambda: tk.pack(plain()))
vector("policy_untrusted_signer", "VerificationError",
       "§3.4 a valid signature by a key the policy does not trust does not count",
       policy=TRUST_ALICE)(signed(tr.MALLORY))
vector("policy_threshold_not_met", "VerificationError",
       "§3.4 one trusted signature where the threshold is 2", policy=TRUST_BOTH)(
    signed(tr.ALICE))
vector("policy_threshold_untrusted_second", "VerificationError",
       "§3.4 a trusted and an untrusted signature do not make a threshold of 2: unknown keys "
       "are ignored", policy=TRUST_BOTH)(signed(tr.ALICE, tr.MALLORY))
vector("policy_threshold_one_bad", "VerificationError",
       "§3.4 a trusted key's signature that does not verify does not count toward the "
       "threshold", policy=TRUST_BOTH)(
    with_entries(lambda h: sorted(
        [tr.entry(tr.ALICE, tr.pae(h)),
         tr.entry(tr.BOB, tr.pae(h), sig=flip(tr.BOB.sign(tr.pae(h))))],
        key=lambda e: e["kid"])))
vector("signature_duplicate_kid", "SchemaError",
       "§3.4 each key counts once: the block holds one signature per kid, so a key's signature "
       "twice is refused as a block that is not sorted by distinct kid", policy=TRUST_BOTH)(
    with_entries(lambda h: [tr.entry(tr.ALICE, tr.pae(h))] * 2))
vector("signature_ed25519_flipped", "VerificationError",
       "§3.4 an Ed25519 signature with one bit flipped does not verify", policy=TRUST_ALICE)(
    with_entries(lambda h: [tr.entry(tr.ALICE, tr.pae(h),
                                     sig=flip(tr.ALICE.sign(tr.pae(h)), 10))]))
vector("signature_ecdsa_flipped", "VerificationError",
       "§3.4 an ECDSA signature with one bit of s flipped does not verify", policy=TRUST_BOB)(
    with_entries(lambda h: [tr.entry(tr.BOB, tr.pae(h), sig=flip(tr.BOB.sign(tr.pae(h))))]))


def _raw_rs(header: bytes) -> list[dict]:
    r, s = decode_dss_signature(tr.BOB.sign(tr.pae(header)))
    return [tr.entry(tr.BOB, tr.pae(header), sig=r.to_bytes(32, "big") + s.to_bytes(32, "big"))]


vector("signature_ecdsa_raw_rs", "VerificationError",
       "§3.4 an ECDSA sig is the DER Ecdsa-Sig-Value: the same r and s as raw r||s (64 bytes) "
       "do not verify", policy=TRUST_BOB)(with_entries(_raw_rs))
def _der_integer(value: int, *, extra_zero: bool = False) -> bytes:
    body = (b"\0" if extra_zero else b"") + value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + bytes([len(body)]) + body


def _ber_rs(header: bytes) -> list[dict]:
    r, s = decode_dss_signature(tr.BOB.sign(tr.pae(header)))
    body = _der_integer(r, extra_zero=True) + _der_integer(s)
    sig = b"\x30" + bytes([len(body)]) + body
    assert len(sig) <= 72  # only the encoding is wrong, not the length
    return [tr.entry(tr.BOB, tr.pae(header), sig=sig)]


vector("signature_ecdsa_not_der", "VerificationError",
       "§3.4 an ECDSA sig is DER: the same r and s in BER, r with a superfluous leading zero "
       "byte, do not verify", policy=TRUST_BOB)(with_entries(_ber_rs))
vector("signature_ecdsa_over_72_bytes", "VerificationError",
       "§3.4 an ECDSA sig is at most 72 bytes: a valid DER signature padded to 73 bytes does "
       "not verify", policy=TRUST_BOB)(
    with_entries(lambda h: [tr.entry(tr.BOB, tr.pae(h), sig=tr.BOB.sign(tr.pae(h)).ljust(
        73, b"\x00"))]))
vector("signature_ed25519_65_bytes", "VerificationError",
       "§3.4 an Ed25519 sig is 64 bytes: a valid signature with one byte appended does not "
       "verify", policy=TRUST_ALICE)(
    with_entries(lambda h: [tr.entry(tr.ALICE, tr.pae(h), sig=tr.ALICE.sign(tr.pae(h)) + b"\0")]))
vector("signature_alg_mismatch", "VerificationError",
       "§3.4 a signature counts only if its alg is the trusted key's algorithm: a valid "
       "Ed25519 signature labelled ecdsa-p256-sha256", policy=TRUST_ALICE)(
    with_entries(lambda h: [tr.entry(tr.ALICE, tr.pae(h), alg=tr.ECDSA)]))
vector("signature_kid_not_spki", "VerificationError",
       "§3.4 kid is the SHA-256 of the DER SubjectPublicKeyInfo: a valid signature whose kid "
       "hashes the raw 32-byte public key instead finds no trusted key", policy=TRUST_ALICE)(
    with_entries(lambda h: [tr.entry(tr.ALICE, tr.pae(h), kid=hashlib.sha256(
        tr.ALICE.spki_der[-32:]).digest())]))
vector("signature_not_pae", "VerificationError",
       "§3.4 the signed message is the DSSE PAE of the header, not the header bytes alone",
       policy=TRUST_ALICE)(with_entries(lambda h: [tr.entry(tr.ALICE, h)]))
vector("signature_pae_type_without_minor", "VerificationError",
       "§3.4 the PAE type is application/vnd.paramseal.header.v<major>.<minor>+msgpack: a "
       "signature over the type without the minor version does not verify", policy=TRUST_ALICE)(
    with_entries(lambda h: [tr.entry(tr.ALICE, tr.pae(
        h, payload_type="application/vnd.paramseal.header.v1+msgpack"))]))


def _minor_flipped() -> bytes:
    data = bytearray(tk.pack(tr.sign(plain(), tr.ALICE)))
    data[10] = 1  # the prelude now says 1.1; the signature is over ...v1.0+msgpack
    return bytes(data)


vector("signature_minor_flipped", "VerificationError",
       "§3.4 the PAE type binds the prelude's version: a file signed as 1.0 whose prelude was "
       "changed to 1.1 fails verification (before the §2.2 check of the schema walk)",
       policy=TRUST_ALICE)(_minor_flipped)


def _header_changed() -> bytes:
    parts = tr.sign(plain(expires=tr.CREATED + 86400 * 365), tr.ALICE)
    parts.header["expires"] = None  # signed with an expiry; stored without
    return tk.pack(parts)


vector("signature_header_changed", "VerificationError",
       "§3.4 the signature covers the exact stored header: a signed file whose expires was "
       "removed afterwards", policy=TRUST_ALICE)(_header_changed)

# ---------------------------------------------------------------- §3.4 dates

vector("policy_expired", "VerificationError",
       "§3.4 refuse if expires is set and the current time is not before it",
       policy=TRUST_ALICE)(signed(tr.ALICE, expires=tr.CREATED + 86400))
vector("policy_expiry_required", "VerificationError",
       "§3.4 refuse a file without expires when the policy requires an expiry",
       policy=f"{TRUST_ALICE} require_expiry")(signed(tr.ALICE))
vector("policy_max_age_no_created", "VerificationError",
       "§3.4 with a maximum age, refuse a file whose created is nil",
       policy=f"{TRUST_ALICE} max_age={CENTURY}")(signed(tr.ALICE, created=None))
vector("policy_max_age_exceeded", "VerificationError",
       "§3.4 refuse a file created (2026-01-01) longer ago than the policy's maximum age "
       "(one day)", policy=f"{TRUST_ALICE} max_age=86400")(signed(tr.ALICE))
vector("policy_created_in_future", "VerificationError",
       "§3.4 with a maximum age, refuse a file created more than 300 s in the future "
       "(2100-01-01)", policy=f"{TRUST_ALICE} max_age={CENTURY}")(
    signed(tr.ALICE, created=FUTURE))

# ---------------------------------------------------------------- §3.3 digests under a policy


def _schema_replaced() -> bytes:
    parts = tr.sign(plain(), tr.ALICE)
    header = tr.header_bytes(parts)  # commits to the original schema
    # as long as the signed schema but not even msgpack: the digest must be checked first
    return tk.pack(parts, schema_bytes=b"\xc1" * len(tk.packb(parts.schema)),
                   header_bytes=header)


def _params_replaced() -> bytes:
    parts = tr.sign(plain(), tr.ALICE)
    header = tr.header_bytes(parts)
    parts.tensors = [gv.f64(1.0, 2.0, 4.0)]  # well formed, loads without a policy
    return tk.pack(parts, header_bytes=header)


vector("signature_schema_digest_mismatch", "VerificationError",
       "§3.3 a reader that verifies signatures checks every digest before it parses the "
       "section: a signed file whose schema (here not even msgpack) differs from its digest",
       policy=TRUST_ALICE)(_schema_replaced)
vector("signature_params_digest_mismatch", "VerificationError",
       "§3.3 a signed file whose params section (one float changed, well formed) differs from "
       "its digest", policy=TRUST_ALICE)(_params_replaced)
vector("policy_checked_before_parsing", "VerificationError",
       "§3.4 only after the policy may a reader parse the schema: an unsigned file whose schema "
       "is not msgpack fails the policy, not the schema", policy=TRUST_ALICE)(
    lambda: tk.pack(plain(), schema_bytes=b"\xc1"))

# ---------------------------------------------------------------- §3.5 encrypted files


def inner(parts: tk.Parts | None = None, signers: list[tr.SigningKey] | None = None) -> bytes:
    """An inner file: ``parts`` (default base()) packed, with ``signers`` named."""
    p = gv.base() if parts is None else parts
    if signers:
        p.header["signers"] = sorted(k.kid for k in signers)
    return tk.pack(p)


def outer(payload: bytes, *keys: tr.SigningKey, **header: object) -> bytes:
    """An encrypted file around the age file ``payload``, signed by ``keys``."""
    h = copy.deepcopy(gv.HEADER)
    h.update(encryption={"scheme": "age-v1"}, root=None)
    if keys:
        h.update(created=tr.CREATED)
    h.update(header)
    parts = tk.Parts(h, [], {}, [], payload=payload)
    return tk.pack(tr.sign(parts, *keys) if keys else parts)


def big_inner() -> bytes:
    """An inner file of 65,600 tensor bytes: two STREAM chunks, the second one short."""
    parts = gv.base()
    values = np.arange(8200, dtype="<f8")
    parts.schema["root"]["values"][1] = gv.nd(0, [len(values)])
    parts.tensors = [tk.Tensor("F64", [len(values)], values.tobytes())]
    data = tk.pack(parts)
    assert tr.CHUNK < len(data) < 2 * tr.CHUNK, len(data)
    return data


def encrypted_stream(last_flags: list[bool] | None = None, extra_empty_final: bool = False
                     ) -> Callable[[], bytes]:
    """big_inner() to carol, its STREAM chunks flagged as ``tr.stream`` is told."""
    def make() -> bytes:
        chunks = tr.stream(big_inner(), last_flags=last_flags,
                           extra_empty_final=extra_empty_final)
        return outer(tr.age_header([tr.x25519_stanza(tr.CAROL.public)]) + tr.NONCE
                     + b"".join(chunks))
    return make


def _swapped() -> bytes:
    first, second = tr.stream(big_inner())
    return outer(tr.age_header([tr.x25519_stanza(tr.CAROL.public)]) + tr.NONCE + second + first)


def _truncated() -> bytes:
    first, _ = tr.stream(big_inner())
    return outer(tr.age_header([tr.x25519_stanza(tr.CAROL.public)]) + tr.NONCE + first)


def _other_recipients(n: int) -> list[bytes]:
    """X25519 stanzas to ``n`` other keys (fixed, derived from their index)."""
    return [tr.x25519_stanza(hashlib.sha256(b"paramseal vector recipient %d" % i).digest())
            for i in range(n)]


def _scrypt(log_n: int, *, derive: bool = True) -> Callable[[], bytes]:
    return lambda: outer(tr.age_file(inner(), [tr.scrypt_stanza(
        PASSPHRASE.encode(), log_n, derive=derive)]))


_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _noncanonical_share() -> bytes:
    line, rest = tr.x25519_stanza(tr.CAROL.public).split(b"\n", 1)
    share = line.split(b" ")[2]
    # 43 base64 characters hold 258 bits for 256: the last character's two low bits are 0
    bad = share[:-1] + bytes([_B64[_B64.index(share[-1]) ^ 1]])
    stanza = b"-> X25519 " + bad + b"\n" + rest
    return outer(tr.age_header([stanza]) + tr.NONCE + b"".join(tr.stream(inner())))


def _long_body() -> bytes:
    head, body, _ = tr.x25519_stanza(tr.CAROL.public).split(b"\n")
    longer = tr.b64(base64.b64decode(body + b"=") + b"\0")  # 33 bytes
    stanza = head + b"\n" + longer + b"\n"
    return outer(tr.age_header([stanza]) + tr.NONCE + b"".join(tr.stream(inner())))


vector("encryption_x25519", "success",
       "§3.5 an encrypted file (age v1, one X25519 recipient) loads with the identity",
       identity="carol")(lambda: outer(tr.to_carol(inner())))
vector("encryption_two_recipients", "success",
       "§3.5 an age file for two X25519 recipients loads with the identity of the second",
       identity="carol")(lambda: outer(tr.age_file(inner(), [
           tr.x25519_stanza(tr.DAVE.public), tr.x25519_stanza(tr.CAROL.public)])))
vector("encryption_scrypt", "success",
       "§3.5 a passphrase-encrypted file (one scrypt stanza, log2 N = 10) loads with the "
       "passphrase", passphrase=PASSPHRASE)(_scrypt(10))
vector("encryption_signed", "success",
       "§3.5 encrypt-then-sign: the outer signature covers the ciphertext, the inner signers "
       "name the signer", policy=TRUST_ALICE, identity="carol")(
    lambda: outer(tr.to_carol(inner(signers=[tr.ALICE])), tr.ALICE))
vector("encryption_compressed_inner", "success",
       "§3.5 a 1.0 outer file around a 1.1 inner file that compresses a tensor",
       identity="carol")(lambda: outer(tr.to_carol(tk.pack(gv.zbase()))))
vector("encryption_two_chunks", "success",
       "§3.5 a STREAM payload of two chunks: 64 KiB, then a shorter final one",
       identity="carol")(encrypted_stream())

vector("encryption_wrong_identity", "DecryptionError",
       "§3.5 no matching identity is one opaque DecryptionError", identity="dave")(
    lambda: outer(tr.to_carol(inner())))
vector("encryption_wrong_passphrase", "DecryptionError",
       "§3.5 a wrong passphrase is one opaque DecryptionError",
       passphrase="not the passphrase")(_scrypt(10))
vector("encryption_scrypt_with_x25519", "DecryptionError",
       "§3.5 a scrypt stanza MUST be the only one: beside an X25519 stanza that the identity "
       "opens, the file is refused", identity="carol")(
    lambda: outer(tr.age_file(inner(), [tr.x25519_stanza(tr.CAROL.public),
                                        tr.scrypt_stanza(PASSPHRASE.encode(), 10)])))
vector("encryption_scrypt_twice", "DecryptionError",
       "§3.5 one scrypt stanza and nothing else: two of them, each with the right passphrase",
       passphrase=PASSPHRASE)(
    lambda: outer(tr.age_file(inner(), [tr.scrypt_stanza(PASSPHRASE.encode(), 10)] * 2)))
vector("encryption_scrypt_log_n_23", "LimitError",
       "§3.5 log2 N <= 22: a work factor of 23 is refused before any key is derived",
       passphrase=PASSPHRASE)(_scrypt(23, derive=False))
vector("encryption_scrypt_above_limit", "LimitError",
       "§3.5/§8 the scrypt work factor is compared with max_scrypt_log_n before deriving",
       passphrase=PASSPHRASE, limits="max_scrypt_log_n=10")(_scrypt(11))
vector("encryption_too_many_stanzas", "LimitError",
       "§3.5/§8 an age header of at most 64 stanzas: 65 X25519 stanzas, the last one the "
       "identity's", identity="carol")(
    lambda: outer(tr.age_file(inner(), [*_other_recipients(64),
                                        tr.x25519_stanza(tr.CAROL.public)])))
vector("encryption_header_too_large", "LimitError",
       "§3.5/§8 the age header is read up to max_age_header_bytes only: one that does not end "
       "within them is refused", identity="carol", limits="max_age_header_bytes=128")(
    lambda: outer(tr.to_carol(inner())))
vector("encryption_header_mac_flipped", "DecryptionError",
       "§3.5 a bad header MAC is one opaque DecryptionError", identity="carol")(
    lambda: outer(tr.age_header([tr.x25519_stanza(tr.CAROL.public)], flip_mac=True)
                  + tr.NONCE + b"".join(tr.stream(inner()))))
vector("encryption_age_version_line", "DecryptionError",
       "§3.5 a header that does not parse (version line age-encryption.org/v2) is a "
       "DecryptionError", identity="carol")(
    lambda: outer(tr.to_carol(inner()).replace(b"age-encryption.org/v1\n",
                                               b"age-encryption.org/v2\n", 1)))
vector("encryption_stanza_body_33_bytes", "DecryptionError",
       "§3.5 age: an X25519 stanza body is exactly 32 bytes (a longer one is malformed)",
       identity="carol")(_long_body)
vector("encryption_noncanonical_base64", "DecryptionError",
       "§3.5 age: base64 in the header is canonical (an ephemeral share whose unused trailing "
       "bits are not zero is malformed)", identity="carol")(_noncanonical_share)
vector("encryption_x25519_low_order_share", "DecryptionError",
       "§3.5 age: an ephemeral share that makes the X25519 shared secret all zeros aborts "
       "decryption", identity="carol")(
    lambda: outer(tr.age_header([tr.x25519_stanza(tr.CAROL.public, share=bytes(32))])
                  + tr.NONCE + b"".join(tr.stream(inner()))))
vector("encryption_payload_tag_flipped", "DecryptionError",
       "§3.5 a chunk whose Poly1305 tag does not verify is one opaque DecryptionError",
       identity="carol")(lambda: outer(flip(tr.to_carol(inner()))))
vector("encryption_truncated_at_chunk", "DecryptionError",
       "§3.5 a stream truncated at a chunk boundary: the remaining full chunk is not flagged "
       "last", identity="carol")(_truncated)
vector("encryption_last_flag_missing", "DecryptionError",
       "§3.5 a stream whose final chunk is not flagged last", identity="carol")(
    encrypted_stream(last_flags=[False, False]))
vector("encryption_empty_final_chunk", "DecryptionError",
       "§3.5 age: a final chunk may be empty only if the whole payload is: an empty last "
       "chunk appended after two unflagged ones", identity="carol")(
    encrypted_stream(extra_empty_final=True))
vector("encryption_chunks_swapped", "DecryptionError",
       "§3.5 a reordered stream (the two chunks swapped)", identity="carol")(_swapped)
vector("encryption_trailing_data", "DecryptionError",
       "§3.5 trailing data after the final chunk of the age file", identity="carol")(
    lambda: outer(tr.to_carol(inner()) + b"\0" * 20))

vector("encryption_inner_encrypted", "ContainerError",
       "§3.5 after decryption, refuse an inner file that is itself encrypted",
       identity="carol")(lambda: outer(tr.to_carol(outer(tr.to_carol(inner())))))
vector("encryption_inner_signed", "ContainerError",
       "§3.5 after decryption, refuse an inner file that is signed", identity="carol")(
    lambda: outer(tr.to_carol(tk.pack(tr.sign(gv.base(), tr.ALICE)))))
vector("encryption_inner_bad_magic", "ContainerError",
       "§3.5 the plaintext is a complete paramseal file (same magic): a pickle stream is not",
       identity="carol")(lambda: outer(tr.to_carol(b"\x80\x05\x95" + bytes(40))))


def _outer_minor_1() -> bytes:
    data = bytearray(outer(tr.to_carol(inner())))
    data[10] = 1  # the prelude is not signed: this file is unsigned anyway
    return bytes(data)


def _inner_minor(minor: int) -> Callable[[], bytes]:
    def make() -> bytes:
        data = bytearray(inner())
        data[10] = minor
        return outer(tr.to_carol(bytes(data)))
    return make


vector("encryption_outer_minor_1", "ContainerError",
       "§3.5 the outer file of an encrypted one is format 1.0: its one section is ciphertext",
       identity="carol")(lambda: _outer_minor_1())
vector("encryption_outer_annotations", "SchemaError",
       "§3.5 the outer header says nothing about the model: no annotations",
       identity="carol")(lambda: outer(tr.to_carol(inner()), annotations={"team": "x"}))
vector("encryption_outer_signers", "SchemaError",
       "§3.2 signers are named in the inner header only, never in the outer one",
       identity="carol")(lambda: outer(tr.to_carol(inner()), signers=[b"\x01" * 32]))
vector("encryption_inner_digest_mismatch", "ContainerError",
       "§3.5 the inner file's sections match its digests (checked under a policy): a "
       "mismatch is a malformed inner file", policy=TRUST_ALICE, identity="carol")(
    lambda: outer(tr.to_carol(flip(inner(signers=[tr.ALICE]))), tr.ALICE))
vector("signature_file_names_signers", "ContainerError",
       "§3.5 a signed file that is not encrypted does not name intended signers (only the "
       "unsigned inner file of an encrypted one does)", policy=TRUST_ALICE)(
    lambda: tk.pack(tr.sign(plain(signers=[tr.ALICE.kid]), tr.ALICE)))
vector("encryption_inner_minor_unknown", "UnsupportedVersionError",
       "§3.5 a reader applies §2.2 to the inner prelude: minor version 2", identity="carol")(
    _inner_minor(2))
vector("encryption_inner_minor_1_without_zstd", "ContainerError",
       "§3.5 the inner file carries its own minor version: 1.1 without a compressed tensor "
       "is refused (§2.2)", identity="carol")(_inner_minor(1))

vector("encryption_signers_missing", "VerificationError",
       "§3.5 with a policy, the inner signers must name the outer signers: a file encrypted "
       "unsigned (signers nil), signed afterwards", policy=TRUST_ALICE, identity="carol")(
    lambda: outer(tr.to_carol(inner()), tr.ALICE))
vector("encryption_signers_other_key", "VerificationError",
       "§3.5 a signature cannot be stripped and replaced by another signer's: the inner file "
       "names bob, the outer file is signed by alice", policy=TRUST_ALICE, identity="carol")(
    lambda: outer(tr.to_carol(inner(signers=[tr.BOB])), tr.ALICE))
vector("encryption_signers_below_threshold", "VerificationError",
       "§3.5 at least the policy's threshold of the valid outer signers are named inside: "
       "alice and bob signed, only alice is named, threshold 2", policy=TRUST_BOTH,
       identity="carol")(
    lambda: outer(tr.to_carol(inner(signers=[tr.ALICE])), tr.ALICE, tr.BOB))
vector("encryption_policy_before_decryption", "VerificationError",
       "§3.5/§7.1 the policy is applied to the outer file before decryption: an unsigned "
       "encrypted file fails the policy even with an identity that cannot decrypt it",
       policy=TRUST_ALICE, identity="dave")(lambda: outer(tr.to_carol(inner())))


def _ciphertext_changed() -> bytes:
    parts = tk.unpack(outer(tr.to_carol(inner(signers=[tr.ALICE])), tr.ALICE))
    header = tr.header_bytes(parts)
    parts.payload = tr.age_file(inner(signers=[tr.ALICE]), [tr.x25519_stanza(tr.CAROL.public)],
                                nonce=bytes(16))
    return tk.pack(parts, header_bytes=header)


vector("encryption_ciphertext_changed", "VerificationError",
       "§3.3/§3.5 the outer signature covers the ciphertext by its digest: a signed file whose "
       "payload was re-encrypted (another nonce) fails before decryption",
       policy=TRUST_ALICE, identity="carol")(_ciphertext_changed)
