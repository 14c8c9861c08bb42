"""Signatures, keys and trust policies (issue 4; spec/format.md §3.3, §3.4, §7.1).

Everything here is checked against an independent reading of the spec: key IDs and the DSSE
PAE message are recomputed with ``hashlib`` / ``cryptography``, files are taken apart and
forged with ``spec/generate/testkit.py``, and regions of a signed file are located from the
prelude bytes, not from the library's parser.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import os
import stat
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import paramseal
from paramseal import _api as api
from paramseal import _digest, _params, signing
from paramseal.errors import (
    ContainerError,
    FormatError,
    InvalidKeyError,
    SchemaError,
    VerificationError,
)
from paramseal.keys import ECDSA_P256, ED25519, PrivateKey, PublicKey
from paramseal.policy import Policy, TrustedKey
from paramseal.registry import Registry, default_registry

PAYLOAD_TYPE = b"application/vnd.paramseal.header.v1.0+msgpack"
UTC = dt.UTC
DAY = 86400.0


# --------------------------------------------------------------------------------------------
# helpers


@pytest.fixture(scope="module")
def fitted() -> tuple[Pipeline, np.ndarray]:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 5))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y)
    return model, X


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {
        "alice": PrivateKey.generate(),
        "bob": PrivateKey.generate(ECDSA_P256),
        "carol": PrivateKey.generate(),
        "mallory": PrivateKey.generate(),
    }


def spki_der(public: Any) -> bytes:
    return public.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)


def expected_kid(public: Any) -> bytes:
    """§3.4: the SHA-256 of the DER SubjectPublicKeyInfo (computed without paramseal)."""
    return hashlib.sha256(spki_der(public)).digest()


def expected_pae(header: bytes) -> bytes:
    """§3.4: "DSSEv1" SP len(type) SP type SP len(header) SP header."""
    return b" ".join([b"DSSEv1", str(len(PAYLOAD_TYPE)).encode(), PAYLOAD_TYPE,
                      str(len(header)).encode(), header])


def align64(n: int) -> int:
    return (n + 63) // 64 * 64


def split(data: bytes) -> dict[str, tuple[int, int]]:
    """Every region of a file, located from the prelude and header bytes (§2.1, §5.1)."""
    _, _, _, h_len, s_len, _ = struct.unpack_from("<8sHHIII", data, 0)
    sig_end = 24 + h_len + s_len
    d = align64(sig_end)
    header = msgpack_value(data[24:24 + h_len])
    schema, params = header["sections"]
    s0, s1 = d + schema["offset"], d + schema["offset"] + schema["length"]
    p0, p1 = d + params["offset"], d + params["offset"] + params["length"]
    assert p1 == len(data)
    (json_len,) = struct.unpack_from("<Q", data, p0)
    return {
        "magic": (0, 8),
        "major": (8, 10),
        "minor": (10, 12),
        "header_length": (12, 16),
        "signature_block_length": (16, 20),
        "reserved": (20, 24),
        "header": (24, 24 + h_len),
        "signature_block": (24 + h_len, sig_end),
        "padding_after_signatures": (sig_end, d),
        "schema": (s0, s1),
        "padding_between_sections": (s1, p0),
        "params_json_length": (p0, p0 + 8),
        "params_json_header": (p0 + 8, p0 + 8 + json_len),
        "tensor_data": (p0 + 8 + json_len, p1),
    }


def msgpack_value(data: bytes) -> Any:
    import testkit

    return testkit.unpackb(data)


def section_bytes(data: bytes) -> dict[str, bytes]:
    r = split(data)
    return {"schema": data[slice(*r["schema"])],
            "gap": data[slice(*r["padding_between_sections"])],
            "params": data[r["params_json_length"][0]:r["tensor_data"][1]]}


def header_bytes(data: bytes) -> bytes:
    return data[slice(*split(data)["header"])]


def signatures_of(data: bytes) -> list[dict[str, Any]]:
    return msgpack_value(data[slice(*split(data)["signature_block"])])


def resign(kit: Any, parts: Any, signers: list[PrivateKey]) -> bytes:
    """Pack ``parts`` (digests fixed by testkit) and sign its header with ``signers``."""
    parts.signatures = []
    unsigned = kit.pack(parts)
    sigs = signing.sign_header(header_bytes(unsigned), signers)
    parts.signatures = [{"alg": s.alg, "kid": s.kid, "sig": s.sig} for s in sigs]
    return kit.pack(parts)


def policy_of(*private: PrivateKey, threshold: int = 1, **kwargs: Any) -> Policy:
    return Policy.from_keys([k.public_key for k in private], threshold=threshold, **kwargs)


class Recorder:
    """A copy of the default registry whose every decode records its call, and a hook that
    records every parse of the params section: proof that nothing past the header ran."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.decoded: list[str] = []
        self.params_parsed = 0
        base = default_registry()
        self.registry = Registry()
        for tag, entry in base.by_tag.items():
            self.registry.by_tag[tag] = dataclasses.replace(entry, decode=self._wrap(tag, entry))
        for cls, entry in base.by_type.items():
            self.registry.by_type[cls] = self.registry.by_tag[entry.tag]
        original = _params.parse

        def parse(*args: Any, **kwargs: Any) -> Any:
            self.params_parsed += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(api._params, "parse", parse)

    def _wrap(self, tag: str, entry: Any) -> Callable[..., Any]:
        decode = entry.decode

        def recording(node: Any, dec: Any, path: Any) -> Any:
            self.decoded.append(tag)
            return decode(node, dec, path)

        return recording

    def reset(self) -> None:
        self.decoded.clear()
        self.params_parsed = 0


# --------------------------------------------------------------------------------------------
# keys: algorithms, formats, key IDs, files


def _private_formats() -> Iterator[tuple[str, str]]:
    for alg in ("ed25519", "ecdsa"):
        yield alg, "pkcs8"
        yield alg, "pkcs8-passphrase"
        yield alg, "openssh"
    # cryptography writes traditional (SEC1 "EC PRIVATE KEY") PEM for EC keys only; Ed25519
    # has no traditional format (checked in test_ed25519_has_no_traditional_pem).
    yield "ecdsa", "traditional"
    yield "ecdsa", "traditional-passphrase"


def _write_private(raw: Any, fmt: str, path: Path) -> str | None:
    enc = serialization
    passphrase = "correct horse" if fmt.endswith("passphrase") else None
    encryption: Any = (enc.BestAvailableEncryption(passphrase.encode()) if passphrase
                       else enc.NoEncryption())
    form = {"pkcs8": enc.PrivateFormat.PKCS8, "pkcs8-passphrase": enc.PrivateFormat.PKCS8,
            "openssh": enc.PrivateFormat.OpenSSH,
            "traditional": enc.PrivateFormat.TraditionalOpenSSL,
            "traditional-passphrase": enc.PrivateFormat.TraditionalOpenSSL}[fmt]
    path.write_bytes(raw.private_bytes(enc.Encoding.PEM, form, encryption))
    return passphrase


@pytest.mark.parametrize(("alg", "fmt"), list(_private_formats()))
def test_sign_verify_round_trip_every_key_format(alg, fmt, fitted, tmp_path) -> None:
    model, X = fitted
    raw: Any = (ed25519.Ed25519PrivateKey.generate() if alg == "ed25519"
                else ec.generate_private_key(ec.SECP256R1()))
    passphrase = _write_private(raw, fmt, tmp_path / "signer.key")
    key = PrivateKey.load(tmp_path / "signer.key", passphrase=passphrase)
    assert key.algorithm == {"ed25519": ED25519, "ecdsa": ECDSA_P256}[alg]
    kid = expected_kid(raw.public_key())
    assert key.public_key.kid == kid
    assert key.key_id == "sha256:" + kid.hex()
    if passphrase is not None:  # also from bytes, with the passphrase as bytes
        again = PrivateKey.load((tmp_path / "signer.key").read_bytes(),
                                passphrase=passphrase.encode())
        assert again.key_id == key.key_id

    # every public key format: SPKI PEM, and the OpenSSH line
    pub = raw.public_key()
    (tmp_path / "signer.pem").write_bytes(pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    ssh_line = pub.public_bytes(serialization.Encoding.OpenSSH,
                                serialization.PublicFormat.OpenSSH) + b" someone@host\n"
    assert ssh_line.startswith(b"ssh-ed25519 " if alg == "ed25519" else b"ecdsa-sha2-nistp256 ")
    (tmp_path / "signer_ssh.pub").write_bytes(ssh_line)
    publics = [PublicKey.load(tmp_path / "signer.pem"), PublicKey.load(tmp_path / "signer_ssh.pub"),
               PublicKey.load(ssh_line), key.public_key]
    assert {p.kid for p in publics} == {kid}
    assert len(set(publics)) == 1  # equal and hash by key ID
    assert PublicKey.load(key.public_key.to_pem()).kid == kid

    path = tmp_path / "model.paramseal"
    paramseal.dump(model, path, sign=key)
    (sig,) = signatures_of(path.read_bytes())
    assert sig["alg"] == key.algorithm and sig["kid"] == kid
    if alg == "ed25519":
        assert len(sig["sig"]) == 64
        raw.public_key().verify(sig["sig"], expected_pae(header_bytes(path.read_bytes())))
    else:
        assert len(sig["sig"]) <= 72
        raw.public_key().verify(sig["sig"], expected_pae(header_bytes(path.read_bytes())),
                                ec.ECDSA(hashes.SHA256()))
    for public in publics:
        policy = Policy.from_keys([public])
        (signer,) = signing.verify(path, policy)
        assert signer.key.kid == kid
        loaded = paramseal.load(path, policy=policy)
        assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # path names in from_keys: the file stem names the signer
    (named,) = signing.verify(path, Policy.from_keys([tmp_path / "signer.pem"]))
    assert named.name == "signer"


def test_ed25519_has_no_traditional_pem() -> None:
    """Why the traditional format is only tested for ECDSA."""
    with pytest.raises(ValueError):
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption())


def test_key_id_is_sha256_of_der_spki_and_shown_with_prefix() -> None:
    for alg in (ED25519, ECDSA_P256, "ecdsa-p256"):
        key = PrivateKey.generate(alg)
        der = key.public_key._key.public_bytes(  # the library's own key object, re-encoded
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert key.public_key.kid == hashlib.sha256(der).digest()
        assert len(key.public_key.kid) == 32
        assert key.key_id == f"sha256:{hashlib.sha256(der).hexdigest()}"
        assert repr(key) == f"PrivateKey({key.algorithm}, {key.key_id})"
    with pytest.raises(InvalidKeyError, match="unknown algorithm 'rsa'"):
        PrivateKey.generate("rsa")


def test_private_key_file_is_0600_and_round_trips(tmp_path) -> None:
    old = os.umask(0)  # even with a permissive umask
    try:
        for alg in (ED25519, ECDSA_P256):
            for passphrase in (None, "pw", b"pw"):
                key = PrivateKey.generate(alg)
                path = tmp_path / f"{alg}-{passphrase!r}.key"
                key.save(path, passphrase=passphrase)
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
                text = path.read_bytes()
                assert text.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----" if passphrase
                                       else b"-----BEGIN PRIVATE KEY-----")
                assert PrivateKey.load(path, passphrase=passphrase).key_id == key.key_id
        # replacing an existing, more open file still ends 0600
        path = tmp_path / "open.key"
        path.write_bytes(b"old")
        path.chmod(0o644)
        PrivateKey.generate().save(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_bad_private_keys_give_invalid_key_error(tmp_path) -> None:
    key = PrivateKey.generate()
    encrypted = key.to_pem("secret")
    with pytest.raises(InvalidKeyError, match="wrong passphrase"):
        PrivateKey.load(encrypted, passphrase="not it")
    with pytest.raises(InvalidKeyError, match="cannot read the private key"):
        PrivateKey.load(encrypted)  # passphrase missing
    with pytest.raises(InvalidKeyError, match="cannot read the private key"):
        PrivateKey.load(key.to_pem(), passphrase="unneeded")
    with pytest.raises(InvalidKeyError, match="cannot read the private key"):
        PrivateKey.load(b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
    with pytest.raises(InvalidKeyError, match="cannot read the private key"):
        PrivateKey.load(key.public_key.to_pem())  # a public key is not a private key
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    with pytest.raises(InvalidKeyError, match="unsupported key type"):
        PrivateKey.load(rsa_pem)
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    with pytest.raises(InvalidKeyError, match="unsupported key type"):
        PrivateKey.load(p384)
    big = tmp_path / "big.key"
    big.write_bytes(b"x" * (64 * 1024 + 1))
    with pytest.raises(InvalidKeyError, match="larger than a key file can be"):
        PrivateKey.load(big)


def test_bad_public_keys_give_invalid_key_error(tmp_path) -> None:
    with pytest.raises(InvalidKeyError, match="not a PEM or OpenSSH public key"):
        PublicKey.load(b"hello")
    with pytest.raises(InvalidKeyError, match="cannot read a public key"):
        PublicKey.load(b"ssh-ed25519 AAAAnotakey")
    with pytest.raises(InvalidKeyError, match="cannot read a public key"):
        PublicKey.load(PrivateKey.generate().to_pem())  # a private key is not a public key
    rsa_line = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(
    ).public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    with pytest.raises(InvalidKeyError, match="not a PEM or OpenSSH public key"):
        PublicKey.load(rsa_line)
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match="unsupported key type"):
        PublicKey.load(p384)
    big = tmp_path / "big.pub"
    big.write_bytes(b"-----BEGIN" + b"x" * (64 * 1024))
    with pytest.raises(InvalidKeyError, match="larger than a key file can be"):
        PublicKey.load(big)


def test_public_key_verify_never_raises(keys) -> None:
    message = b"m"
    for key in keys.values():
        sig = key.sign(message)
        assert key.public_key.verify(sig, message)
        assert not key.public_key.verify(sig, b"other")
        assert not key.public_key.verify(b"", message)
        assert not key.public_key.verify(b"\x00" * 64, message)
        assert not key.public_key.verify(sig + b"\x00" * 100, message)  # over the maximum


# --------------------------------------------------------------------------------------------
# the signed message and the signature block


def test_pae_is_the_dsse_encoding_of_the_exact_header(keys, fitted) -> None:
    model, _ = fitted
    data = paramseal.dumps(model, sign=keys["alice"])
    header = header_bytes(data)
    assert signing.pae(header, 0) == expected_pae(header)
    assert signing.pae(memoryview(header), 0) == expected_pae(header)
    assert signing.pae(b"", 0) == b"DSSEv1 45 application/vnd.paramseal.header.v1.0+msgpack 0 "
    # the prelude's version is bound through the payload type
    assert signing.pae(b"", 1) == b"DSSEv1 45 application/vnd.paramseal.header.v1.1+msgpack 0 "
    ed25519.Ed25519PublicKey.from_public_bytes(
        keys["alice"].public_key._key.public_bytes(serialization.Encoding.Raw,
                                                   serialization.PublicFormat.Raw)
    ).verify(signatures_of(data)[0]["sig"], expected_pae(header))


def test_sign_header_orders_by_key_id_and_deduplicates(keys) -> None:
    header = b"\x80"
    sigs = signing.sign_header(header, [keys["carol"], keys["alice"], keys["bob"],
                                        keys["alice"]])
    assert [s.kid for s in sigs] == sorted(k.public_key.kid for k in
                                           (keys["alice"], keys["bob"], keys["carol"]))
    assert signing.sign_header(header, []) == ()
    many = [PrivateKey.generate() for _ in range(17)]
    with pytest.raises(ValueError, match="at most 16 signatures"):
        signing.sign_header(header, many)
    assert len(signing.sign_header(header, many[:16])) == 16


def test_dump_with_several_signers_loads_without_policy_unverified(keys, fitted, tmp_path
                                                                   ) -> None:
    model, X = fitted
    path = tmp_path / "m.paramseal"
    before = int(time.time())
    paramseal.dump(model, path, sign=[keys["alice"], keys["bob"]])
    after = int(time.time())
    data = path.read_bytes()
    sigs = signatures_of(data)
    assert [s["kid"] for s in sigs] == sorted([keys["alice"].public_key.kid,
                                               keys["bob"].public_key.kid])
    header = msgpack_value(header_bytes(data))
    assert before <= header["created"] <= after  # a signature says when it was made
    assert header["expires"] is None
    # no policy: loads as before (the file is safe to load by construction)
    for loaded in (paramseal.load(path), paramseal.loads(data),
                   paramseal.load(path, check_digests=True)):
        assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    report = paramseal.inspect(path).to_dict()
    assert report["signatures"] == [
        {"alg": (keys["alice"] if s["kid"] == keys["alice"].public_key.kid
                 else keys["bob"]).algorithm,
         "key_id": "sha256:" + s["kid"].hex(), "status": "unverified"} for s in sigs]
    assert report["created"] == header["created"]
    # both signatures hold: a 2-of-2 policy is met
    signers = signing.verify(path, policy_of(keys["alice"], keys["bob"], threshold=2))
    assert {s.key.kid for s in signers} == {keys["alice"].public_key.kid,
                                             keys["bob"].public_key.kid}
    assert signing.describe(signers) == [
        {"name": s.key.key_id, "key_id": s.key.key_id, "algorithm": s.key.algorithm}
        for s in signers]


def test_unsigned_dump_stays_deterministic_and_signed_dump_is_not_smaller(keys, fitted
                                                                          ) -> None:
    model, _ = fitted
    unsigned = paramseal.dumps(model)
    assert paramseal.dumps(model) == unsigned
    assert msgpack_value(header_bytes(unsigned))["created"] is None
    assert signatures_of(unsigned) == []
    signed = paramseal.dumps(model, sign=keys["alice"])
    # the sections are the same bytes whether or not the file is signed
    assert section_bytes(signed) == section_bytes(unsigned)


def test_single_key_argument_and_list_argument_are_the_same(keys, fitted) -> None:
    model, _ = fitted
    one = paramseal.dumps(model, sign=keys["alice"])
    listed = paramseal.dumps(model, sign=[keys["alice"]])
    # Ed25519 is deterministic; only `created` may differ by a second
    assert len(one) == len(listed)
    assert signatures_of(one)[0]["kid"] == signatures_of(listed)[0]["kid"]


# --------------------------------------------------------------------------------------------
# a flipped byte anywhere in a signed file: refused before anything past the header runs


FLIP_MASKS = (0x01, 0x80, 0xFF)


def _offsets(start: int, end: int, every_below: int = 1024, spread: int = 256) -> list[int]:
    if end - start <= every_below:
        return list(range(start, end))
    return sorted(set(np.linspace(start, end - 1, spread).astype(int).tolist()))


@pytest.fixture(scope="module")
def signed_files(keys, fitted) -> dict[str, tuple[bytes, Policy]]:
    model, _ = fitted
    # a large-ish array so that the tensor region has bytes spread over many offsets
    obj = {"model": model, "weights": np.linspace(0.0, 1.0, 700)}

    def with_every_region(signers: list[PrivateKey]) -> bytes:
        # ECDSA signatures vary in length: pick an annotation that leaves no region empty
        for n in range(1, 200):
            data = paramseal.dumps(obj, sign=signers, annotations={"team": "m" * n})
            if all(end > start for start, end in split(data).values()):
                return data
        raise AssertionError("no layout with every region present")

    one = with_every_region([keys["alice"]])
    two = with_every_region([keys["alice"], keys["bob"]])
    return {
        "ed25519": (one, policy_of(keys["alice"])),
        "ed25519+ecdsa": (two, policy_of(keys["alice"], keys["bob"], threshold=2)),
    }


REGIONS = ("magic", "major", "minor", "header_length", "signature_block_length", "reserved",
           "header", "signature_block", "padding_after_signatures", "schema",
           "padding_between_sections", "params_json_length", "params_json_header",
           "tensor_data")


def test_instrumented_registry_sees_a_clean_load(signed_files, monkeypatch, tmp_path) -> None:
    """The instrument works: an untouched signed file loads and the decoders are called."""
    recorder = Recorder(monkeypatch)
    for data, policy in signed_files.values():
        regions = split(data)
        assert all(end > start for start, end in regions.values()), regions  # none empty
        path = tmp_path / "clean.paramseal"
        path.write_bytes(data)
        recorder.reset()
        obj = paramseal.load(path, policy=policy, registry=recorder.registry)
        assert "sklearn.linear_model.LogisticRegression" in recorder.decoded
        assert "ndarray" in recorder.decoded
        assert recorder.params_parsed == 1
        assert obj["weights"][-1] == 1.0


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("which", ["ed25519", "ed25519+ecdsa"])
def test_flipped_byte_in_every_region_is_refused_before_parsing(
        region, which, signed_files, monkeypatch, tmp_path) -> None:
    data, policy = signed_files[which]
    start, end = split(data)[region]
    recorder = Recorder(monkeypatch)
    path = tmp_path / "flipped.paramseal"
    loaded_at: list[tuple[int, int]] = []
    parsed_at: list[tuple[int, int, list[str]]] = []
    wrong_error: list[tuple[int, int, str]] = []
    for offset in _offsets(start, end):
        for mask in FLIP_MASKS:
            flipped = bytearray(data)
            flipped[offset] ^= mask
            path.write_bytes(flipped)
            recorder.reset()
            try:
                paramseal.load(path, policy=policy, registry=recorder.registry)
            except (VerificationError, FormatError):
                pass
            except Exception as exc:  # any other exception is a bug too
                wrong_error.append((offset, mask, repr(exc)))
            else:
                loaded_at.append((offset, mask))
            if recorder.decoded or recorder.params_parsed:
                parsed_at.append((offset, mask, recorder.decoded[:3]))
    assert wrong_error == []
    assert loaded_at == [], (f"{region} [{start}, {end}): a flipped byte loaded under a policy "
                             f"at (offset, xor mask) {loaded_at[:6]}")
    assert parsed_at == [], f"{region}: sections were parsed before verification: {parsed_at[:3]}"


def test_tampered_schema_fails_verification_not_parsing(keys, fitted, kit, monkeypatch) -> None:
    """With a policy the digest check comes first (§7.1 step 3): a schema that would fail to
    parse is reported as a verification failure, and no decoder sees it."""
    model, _ = fitted
    data = paramseal.dumps(model, sign=keys["alice"])
    policy = policy_of(keys["alice"])
    parts = kit.unpack(data)
    parts.schema["root"]["@"] = "os.system"
    # keep the signed header: the schema no longer matches its digest
    forged = kit.pack(parts, header_bytes=header_bytes(data))
    recorder = Recorder(monkeypatch)
    with pytest.raises(VerificationError, match="a section does not match the signed digest"):
        paramseal.loads(forged, policy=policy, registry=recorder.registry)
    assert recorder.decoded == [] and recorder.params_parsed == 0
    # the header rewritten to the new digest: the signature no longer holds
    fixed = kit.pack(parts)
    with pytest.raises(VerificationError, match="0 valid signature"):
        paramseal.loads(fixed, policy=policy, registry=recorder.registry)
    assert recorder.decoded == [] and recorder.params_parsed == 0
    # without a policy the (unsigned, forged) file fails in the schema, as before
    with pytest.raises(paramseal.errors.UnsupportedTypeError):
        paramseal.loads(fixed)
    # and with check_digests the stale digest is a ContainerError
    with pytest.raises(ContainerError, match="does not match its digest"):
        paramseal.loads(forged, check_digests=True)


def test_tampered_header_field_breaks_the_signature(keys, fitted, kit) -> None:
    model, _ = fitted
    data = paramseal.dumps(model, sign=keys["alice"], expires=dt.timedelta(days=1))
    policy = policy_of(keys["alice"])
    for change in ({"annotations": {"approved": "yes"}}, {"expires": None},
                   {"created": 0}, {"producer": {"paramseal": "9"}}):
        parts = kit.unpack(data)
        parts.header.update(change)
        with pytest.raises(VerificationError, match="0 valid signature"):
            paramseal.loads(kit.pack(parts), policy=policy)


# --------------------------------------------------------------------------------------------
# large sections: the chunked digest


def test_chunked_digest_matches_the_spec_at_the_boundaries(monkeypatch) -> None:
    """§3.3 with a small chunk: plain SHA-256 up to CHUNK, chunked above, streaming = whole."""
    chunk = 64
    monkeypatch.setattr(_digest, "CHUNK", chunk)
    rng = np.random.default_rng(0)
    for size in (0, 1, 63, 64, 65, 127, 128, 129, 640, 1000):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        if size <= chunk:
            expected = hashlib.sha256(data).digest()
        else:
            pieces = b"".join(hashlib.sha256(data[i:i + chunk]).digest()
                              for i in range(0, size, chunk))
            expected = hashlib.sha256(b"paramseal chunked sha256 v1\n" + pieces).digest()
        assert _digest.section_digest(data) == expected, size
        for step in (1, 7, 64, 100):
            hasher = _digest.SectionHasher()
            for i in range(0, size, step):
                hasher.update(data[i:i + step])
            assert hasher.digest() == expected, (size, step)
    assert len(b"paramseal chunked sha256 v1\n") == 28


def test_large_params_section_uses_chunked_digest_and_catches_a_flip_in_chunk_two(
        keys, kit, tmp_path, monkeypatch) -> None:
    big = np.arange((17 << 20) // 8 + 4096, dtype=np.float64)  # params section > 16 MiB
    path = tmp_path / "big.paramseal"
    paramseal.dump({"big": big}, path, sign=keys["alice"])
    data = path.read_bytes()
    regions = split(data)
    p0, p1 = regions["params_json_length"][0], regions["tensor_data"][1]
    params = data[p0:p1]
    assert len(params) > 16 << 20
    header = msgpack_value(header_bytes(data))
    digest = header["sections"][1]["sha256"]
    assert digest == kit.digest(params)  # testkit: the independent §3.3 digest
    assert digest != hashlib.sha256(params).digest()  # chunked, not plain
    policy = policy_of(keys["alice"])
    loaded = paramseal.load(path, policy=policy)
    assert np.array_equal(loaded["big"], big)
    recorder = Recorder(monkeypatch)
    chunk = 16 << 20
    for offset in (p0 + 100, p0 + chunk - 1, p0 + chunk, p0 + chunk + 12345, p1 - 1):
        flipped = bytearray(data)
        flipped[offset] ^= 0x10
        path.write_bytes(flipped)
        with pytest.raises(VerificationError, match="a section does not match the signed digest"):
            paramseal.load(path, policy=policy, registry=recorder.registry)
        assert recorder.decoded == [] and recorder.params_parsed == 0


# --------------------------------------------------------------------------------------------
# thresholds, distinct keys, untrusted and forged signatures


def test_threshold_counts_distinct_trusted_keys(keys, fitted, tmp_path) -> None:
    model, _ = fitted
    alice, bob, carol, mallory = (keys[n] for n in ("alice", "bob", "carol", "mallory"))
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, sign=[alice, bob, mallory])
    assert len(signing.verify(path, policy_of(alice, bob, carol, threshold=2))) == 2
    with pytest.raises(VerificationError,
                       match=r"^signature verification failed: 2 valid signature\(s\) by "
                             r"trusted keys, 3 required$"):
        signing.verify(path, policy_of(alice, bob, carol, threshold=3))
    with pytest.raises(VerificationError):
        paramseal.load(path, policy=policy_of(alice, bob, carol, threshold=3))
    # the untrusted signature (mallory) is ignored, not an error, and never counted
    signers = signing.verify(path, policy_of(alice, carol))
    assert [s.key.kid for s in signers] == [alice.public_key.kid]
    # the same key twice does not count twice: dump dedups, and a policy refuses duplicates
    paramseal.dump(model, path, sign=[alice, alice])
    assert len(signatures_of(path.read_bytes())) == 1
    with pytest.raises(VerificationError, match="1 valid signature"):
        signing.verify(path, policy_of(alice, carol, threshold=2))
    ssh_alice = PublicKey.load(alice.public_key._key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH))
    with pytest.raises(ValueError, match="a key is listed twice"):
        Policy.from_keys([alice.public_key, ssh_alice], threshold=2)


def test_duplicate_signature_entries_are_a_format_error(keys, fitted, kit) -> None:
    """Two entries with the same kid cannot count twice: the block must have distinct kids."""
    model, _ = fitted
    data = paramseal.dumps(model, sign=keys["alice"])
    parts = kit.unpack(data)
    parts.signatures = parts.signatures * 2
    with pytest.raises(SchemaError, match="sorted by distinct kid"):
        paramseal.loads(kit.pack(parts), policy=policy_of(keys["alice"], keys["carol"],
                                                          threshold=2))


def test_unsigned_file_and_wrong_key_fail(keys, fitted) -> None:
    model, _ = fitted
    with pytest.raises(VerificationError, match=r"0 valid signature\(s\) by trusted keys, 1 "):
        paramseal.loads(paramseal.dumps(model), policy=policy_of(keys["alice"]))
    with pytest.raises(VerificationError, match="0 valid signature"):
        paramseal.loads(paramseal.dumps(model, sign=keys["mallory"]),
                        policy=policy_of(keys["alice"]))


def test_stripped_and_resigned_by_untrusted_key_fails(keys, fitted, kit, tmp_path) -> None:
    model, _ = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, sign=keys["alice"])
    policy = policy_of(keys["alice"])
    parts = kit.unpack(path.read_bytes())
    parts.signatures = []
    path.write_bytes(kit.pack(parts))
    signing.add_signature(path, keys["mallory"])
    with pytest.raises(VerificationError, match="0 valid signature"):
        paramseal.load(path, policy=policy)
    # mallory's signature, claimed to be alice's (her kid): still refused
    parts = kit.unpack(path.read_bytes())
    parts.signatures[0]["kid"] = keys["alice"].public_key.kid
    with pytest.raises(VerificationError, match="0 valid signature"):
        paramseal.loads(kit.pack(parts), policy=policy)
    # the model changed and re-signed by mallory: refused
    parts = kit.unpack(path.read_bytes())
    parts.header["annotations"] = {"approved": "by alice"}
    with pytest.raises(VerificationError):
        paramseal.loads(resign(kit, parts, [keys["mallory"]]), policy=policy)


def test_signature_block_from_another_file_fails(keys, fitted, kit) -> None:
    model, _ = fitted
    a = paramseal.dumps(model, sign=keys["alice"], annotations={"name": "a"})
    b = paramseal.dumps(model, sign=keys["alice"], annotations={"name": "b"})
    policy = policy_of(keys["alice"])
    parts = kit.unpack(a)
    parts.signatures = kit.unpack(b).signatures
    forged = kit.pack(parts)
    assert signatures_of(forged) == signatures_of(b)
    with pytest.raises(VerificationError, match="0 valid signature"):
        paramseal.loads(forged, policy=policy)


def test_algorithm_mismatch_fails(keys, fitted, kit) -> None:
    model, _ = fitted
    policy = policy_of(keys["alice"], keys["bob"])
    for key, claimed in ((keys["alice"], ECDSA_P256), (keys["bob"], ED25519)):
        parts = kit.unpack(paramseal.dumps(model, sign=key))
        parts.signatures[0]["alg"] = claimed
        with pytest.raises(VerificationError, match="0 valid signature"):
            paramseal.loads(kit.pack(parts), policy=policy)
    parts = kit.unpack(paramseal.dumps(model, sign=keys["alice"]))
    parts.signatures[0]["alg"] = "rsa-pss"
    with pytest.raises(SchemaError, match="unknown algorithm"):
        paramseal.loads(kit.pack(parts), policy=policy)


def test_verify_accepts_file_objects_and_mmap_free_loads(keys, fitted, tmp_path) -> None:
    model, X = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, sign=keys["bob"])
    policy = policy_of(keys["bob"])
    with open(path, "rb") as f:
        (signer,) = signing.verify(f, policy)
    assert signer.key.algorithm == ECDSA_P256
    for loaded in (paramseal.load(path, policy=policy, mmap=False),
                   paramseal.load(io.BytesIO(path.read_bytes()), policy=policy),
                   paramseal.loads(path.read_bytes(), policy=policy)):
        assert np.array_equal(loaded.predict(X), model.predict(X))


# --------------------------------------------------------------------------------------------
# dates: expiry, required expiry, maximum age, files from the future


def test_expired_file_is_refused_only_with_a_policy(keys, fitted) -> None:
    model, _ = fitted
    policy = policy_of(keys["alice"])
    past = paramseal.dumps(model, sign=keys["alice"], expires=dt.datetime(2020, 1, 1, tzinfo=UTC))
    assert msgpack_value(header_bytes(past))["expires"] == 1577836800
    with pytest.raises(VerificationError, match=r"^the file has expired$"):
        paramseal.loads(past, policy=policy)
    paramseal.loads(past)  # no policy: dates are not checked
    fresh = paramseal.dumps(model, sign=keys["alice"], expires=dt.timedelta(hours=1))
    header = msgpack_value(header_bytes(fresh))
    assert header["expires"] == header["created"] + 3600
    paramseal.loads(fresh, policy=policy)
    container = api._container.parse(memoryview(fresh))
    signing.verify_container(container, policy, now=header["expires"] - 1)
    with pytest.raises(VerificationError, match="expired"):  # "before expires" (§3.4)
        signing.verify_container(container, policy, now=header["expires"])
    with pytest.raises(ValueError, match="aware datetime"):
        paramseal.dumps(model, expires=dt.datetime(2030, 1, 1))


def test_require_expiry(keys, fitted) -> None:
    model, _ = fitted
    strict = policy_of(keys["alice"], require_expiry=True)
    with pytest.raises(VerificationError, match="requires an expiry date"):
        paramseal.loads(paramseal.dumps(model, sign=keys["alice"]), policy=strict)
    paramseal.loads(paramseal.dumps(model, sign=keys["alice"], expires=dt.timedelta(days=1)),
                    policy=strict)


def test_max_age_and_created_in_the_future(keys, fitted, kit) -> None:
    model, _ = fitted
    alice = keys["alice"]
    policy = policy_of(alice, max_age=dt.timedelta(days=90))
    assert policy.max_age == 90 * DAY
    data = paramseal.dumps(model, sign=alice)
    created = msgpack_value(header_bytes(data))["created"]
    container = api._container.parse(memoryview(data))
    signing.verify_container(container, policy, now=created + 90 * DAY)
    with pytest.raises(VerificationError, match="older than the policy allows"):
        signing.verify_container(container, policy, now=created + 90 * DAY + 1)
    with pytest.raises(VerificationError, match="older than the policy allows"):
        signing.verify(io.BytesIO(data), policy, now=created + 91 * DAY)
    # within the clock skew ahead of us: fine; beyond it: refused
    signing.verify_container(container, policy, now=created - signing.CLOCK_SKEW)
    with pytest.raises(VerificationError, match="made in the future"):
        signing.verify_container(container, policy, now=created - signing.CLOCK_SKEW - 1)
    # crafted headers, re-signed by the trusted key, checked against the real clock
    now = int(time.time())
    for created_at, message in ((now - 100 * 86400, "older than the policy allows"),
                                (now + 3600, "made in the future"),
                                (None, "does not say when it was made")):
        parts = kit.unpack(data)
        parts.header["created"] = created_at
        with pytest.raises(VerificationError, match=message):
            paramseal.loads(resign(kit, parts, [alice]), policy=policy)
    parts = kit.unpack(data)
    parts.header["created"] = now - 10 * 86400
    paramseal.loads(resign(kit, parts, [alice]), policy=policy)


# --------------------------------------------------------------------------------------------
# trust stores: names, windows, revocation, errors


def _store(tmp_path: Path, text: str, name: str = "trust.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _pub_file(tmp_path: Path, key: PrivateKey, name: str) -> str:
    (tmp_path / name).write_bytes(key.public_key.to_pem())
    return name


def test_trust_store_names_windows_and_settings(keys, fitted, tmp_path) -> None:
    model, _ = fitted
    alice, bob, carol = keys["alice"], keys["bob"], keys["carol"]
    (tmp_path / "keys").mkdir()
    _pub_file(tmp_path / "keys", alice, "alice.pub")
    ssh_bob = bob.public_key._key.public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode()
    store = _store(tmp_path, f'''
threshold = 2
max_age_days = 30
require_expiry = true

[[key]]
name = "alice"
public_key = "keys/alice.pub"
not_before = 2026-01-01T00:00:00Z
not_after = 2100-01-01

[[key]]
name = "bob (ssh)"
public_key = "{ssh_bob} bob@laptop"

[[key]]
name = "carol"
public_key = """{carol.public_key.to_pem().decode()}"""
''')
    policy = Policy.load(store)
    assert policy.threshold == 2 and policy.max_age == 30 * DAY and policy.require_expiry
    assert [(k.name, k.key.kid) for k in policy.keys] == [
        ("alice", alice.public_key.kid), ("bob (ssh)", bob.public_key.kid),
        ("carol", carol.public_key.kid)]
    assert policy.keys[0].not_before == dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert policy.keys[0].not_after == dt.datetime(2100, 1, 1, tzinfo=UTC).timestamp()
    data = paramseal.dumps(model, sign=[alice, bob], expires=dt.timedelta(days=7))
    created = msgpack_value(header_bytes(data))["created"]
    container = api._container.parse(memoryview(data))
    signers = signing.verify_container(container, policy, now=created + 1)
    assert sorted(s.name for s in signers) == ["alice", "bob (ssh)"]
    # alice's window: before it opens, and after it closes, her signature does not count
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert policy.keys[0].valid_at(t0) and not policy.keys[0].valid_at(t0 - 1)
    t1 = dt.datetime(2100, 1, 1, tzinfo=UTC).timestamp()
    assert policy.keys[0].valid_at(t1) and not policy.keys[0].valid_at(t1 + 1)
    windowed = dataclasses.replace(policy, max_age=None, require_expiry=False)
    with pytest.raises(VerificationError, match="1 valid signature"):
        signing.verify_container(container, windowed, now=t0 - 1)
    with pytest.raises(VerificationError, match="1 valid signature"):
        signing.verify_container(container, windowed, now=t1 + 1)


def test_trust_store_revocation(keys, fitted, tmp_path) -> None:
    model, _ = fitted
    alice, carol = keys["alice"], keys["carol"]
    _pub_file(tmp_path, alice, "alice.pub")
    _pub_file(tmp_path, carol, "carol.pub")
    keys_toml = ('[[key]]\nname = "alice"\npublic_key = "alice.pub"\n'
                 '[[key]]\nname = "carol"\npublic_key = "carol.pub"\n')
    revoke = (f'[[revoked]]\nkey_id = "{alice.key_id}"\nreason = "laptop stolen"\n')
    by_alice = paramseal.dumps(model, sign=alice)
    by_both = paramseal.dumps(model, sign=[alice, carol])
    open_policy = Policy.load(_store(tmp_path, keys_toml, "open.toml"))
    paramseal.loads(by_alice, policy=open_policy)
    revoked = Policy.load(_store(tmp_path, keys_toml + revoke, "revoked.toml"))
    assert revoked.revoked == frozenset({alice.public_key.kid})
    assert revoked.trusted(alice.public_key.kid) is None
    with pytest.raises(VerificationError, match="0 valid signature"):
        paramseal.loads(by_alice, policy=revoked)
    (signer,) = signing.verify(io.BytesIO(by_both), revoked)
    assert signer.name == "carol"
    # a revoked key that is not listed as trusted is harmless to list
    other = f'[[revoked]]\nkey_id = "{keys["mallory"].key_id}"\n'
    paramseal.loads(by_alice, policy=Policy.load(_store(tmp_path, keys_toml + other, "o.toml")))


@pytest.mark.parametrize(("body", "message"), [
    ('colour = "red"\n', "top level: unknown keys ['colour']"),
    ("", "key: expected 1 to 1024 [[key]] tables"),
    ("key = 3\n", "key: expected 1 to 1024 [[key]] tables"),
    ('[[key]]\nname = "a"\n', "key[0]: expected name, public_key and optionally not_before, "
                              "not_after"),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\ncolour = 1\n',
     "key[0]: expected name, public_key and optionally not_before, not_after"),
    ('[[key]]\nname = ""\npublic_key = "a.pub"\n', "key[0]: name and public_key must be strings"),
    ('[[key]]\nname = "a"\npublic_key = 7\n', "key[0]: name and public_key must be strings"),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\nnot_before = 2026-01-01T00:00:00\n',
     "key[0]: a date-time needs a time zone"),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\nnot_after = "2027"\n',
     "key[0]: expected a TOML date or date-time"),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\nnot_after = 10:00:00\n',
     "key[0]: expected a TOML date or date-time"),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\n[[revoked]]\nkey_id = "sha256:abc"\n',
     'revoked[0]: expected key_id = "sha256:<64 hex>"'),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\n[[revoked]]\nkey_id = "' + "x" * 71 + '"\n',
     'revoked[0]: expected key_id = "sha256:<64 hex>"'),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\n[[revoked]]\nkey_id = "sha256:' + "zz" * 32
     + '"\n', "revoked[0]: key_id is not hexadecimal"),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\n[[revoked]]\nkey_id = "sha256:' + "00" * 32
     + '"\nwhen = 1\n', 'revoked[0]: expected key_id = "sha256:<64 hex>"'),
    ('revoked = ["x"]\n[[key]]\nname = "a"\npublic_key = "a.pub"\n',
     'revoked[0]: expected key_id = "sha256:<64 hex>"'),
    ('max_age_days = 0\n[[key]]\nname = "a"\npublic_key = "a.pub"\n',
     "max_age_days: expected a positive number"),
    ('max_age_days = true\n[[key]]\nname = "a"\npublic_key = "a.pub"\n',
     "max_age_days: expected a positive number"),
    ('require_expiry = 1\n[[key]]\nname = "a"\npublic_key = "a.pub"\n',
     "require_expiry: expected true or false"),
    ('threshold = 2\n[[key]]\nname = "a"\npublic_key = "a.pub"\n',
     "policy: threshold must be between 1 and 1 (the number of trusted keys), not 2"),
    ('threshold = true\n[[key]]\nname = "a"\npublic_key = "a.pub"\n',
     "policy: threshold must be between 1 and 1"),
    ('[[key]]\nname = "a"\npublic_key = "a.pub"\n[[key]]\nname = "b"\npublic_key = "a.pub"\n',
     "policy: a key is listed twice"),
    ("[[key]\n", "not a TOML trust store"),
])
def test_trust_store_errors_are_invalid_key_errors(body, message, keys, tmp_path) -> None:
    _pub_file(tmp_path, keys["alice"], "a.pub")
    store = _store(tmp_path, body)
    with pytest.raises(InvalidKeyError) as info:
        Policy.load(store)
    assert str(info.value).startswith(f"{store}: ")
    assert message in str(info.value)


def test_trust_store_missing_key_file_is_invalid_key_error(tmp_path) -> None:
    """A [[key]] naming a file that does not exist: InvalidKeyError naming the store and the
    entry, like every other trust-store mistake."""
    store = _store(tmp_path, '[[key]]\nname = "a"\npublic_key = "missing.pub"\n')
    with pytest.raises(InvalidKeyError, match=r"missing\.pub"):
        Policy.load(store)


def test_trust_store_revoked_not_an_array_is_invalid_key_error(keys, tmp_path) -> None:
    _pub_file(tmp_path, keys["alice"], "a.pub")
    store = _store(tmp_path, 'revoked = 5\n[[key]]\nname = "a"\npublic_key = "a.pub"\n')
    with pytest.raises(InvalidKeyError, match="revoked"):
        Policy.load(store)


def test_trust_store_other_load_errors(keys, tmp_path) -> None:
    store = _store(tmp_path, '[[key]]\nname = "a"\npublic_key = "ssh-ed25519 AAAAbroken"\n')
    with pytest.raises(InvalidKeyError, match="cannot read a public key"):
        Policy.load(store)
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * ((1 << 20) + 1))
    with pytest.raises(InvalidKeyError, match="a trust store is at most 1 MiB"):
        Policy.load(big)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidKeyError, match="not a TOML trust store"):
        Policy.load(bad)


def test_policy_constructor_checks(keys) -> None:
    alice = TrustedKey("alice", keys["alice"].public_key)
    with pytest.raises(ValueError, match="at least one trusted key"):
        Policy(())
    for bad in (0, 2, True, 1.0):
        with pytest.raises(ValueError, match="threshold must be between 1 and 1"):
            Policy((alice,), threshold=bad)
    with pytest.raises(ValueError, match="max_age must be positive"):
        Policy((alice,), max_age=0)
    with pytest.raises(ValueError, match="max_age must be positive"):
        Policy((alice,), max_age=float("nan"))
    with pytest.raises(ValueError, match="a key is listed twice"):
        Policy((alice, TrustedKey("again", keys["alice"].public_key)))


# --------------------------------------------------------------------------------------------
# add_signature: sections untouched, atomic


def test_add_signature_keeps_sections_and_is_atomic(keys, fitted, tmp_path) -> None:
    model, X = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path)
    path.chmod(0o640)
    original = path.read_bytes()
    before = section_bytes(original)
    signed_header = header_bytes(original)
    inode = path.stat().st_ino
    for n, name in enumerate(("alice", "bob", "carol"), start=1):
        signing.add_signature(path, keys[name])
        data = path.read_bytes()
        assert section_bytes(data) == before, name
        assert header_bytes(data) == signed_header, name  # the signed bytes never change
        assert len(signatures_of(data)) == n
        new_inode = path.stat().st_ino
        assert new_inode != inode, "add_signature must replace the file (tmp + rename)"
        inode = new_inode
        assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the file keeps its mode
        assert sorted(p.name for p in tmp_path.iterdir()) == ["m.paramseal"]
    # the data area moved (the signature block grew) but the sections did not change
    assert split(data)["schema"][0] != split(original)["schema"][0]
    signers = signing.verify(path, policy_of(keys["alice"], keys["bob"], keys["carol"],
                                             threshold=3))
    assert len(signers) == 3
    loaded = paramseal.load(path, policy=policy_of(keys["bob"]))
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # signing again with the same key replaces its entry (ECDSA signatures are randomized)
    old = {s["kid"]: s["sig"] for s in signatures_of(path.read_bytes())}
    signing.add_signature(path, keys["bob"])
    new = {s["kid"]: s["sig"] for s in signatures_of(path.read_bytes())}
    assert new.keys() == old.keys()
    assert new[keys["alice"].public_key.kid] == old[keys["alice"].public_key.kid]
    assert section_bytes(path.read_bytes()) == before
    signing.verify(path, policy_of(keys["bob"]))


def test_add_signature_matches_signing_at_dump(keys, fitted, tmp_path) -> None:
    """Signing later gives the same bytes as signing while writing, given the same header."""
    model, _ = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, expires=dt.timedelta(days=1))  # `created` stays nil
    signing.add_signature(path, keys["alice"])
    data = path.read_bytes()
    parts_header = header_bytes(data)
    sigs = signing.sign_header(parts_header, [keys["alice"]])
    assert signatures_of(data) == [{"alg": s.alg, "kid": s.kid, "sig": s.sig} for s in sigs]
    with pytest.raises(VerificationError, match="does not say when it was made"):
        signing.verify(path, policy_of(keys["alice"], max_age=3600))
    signing.verify(path, policy_of(keys["alice"]))


def test_add_signature_refuses_damaged_files_and_the_seventeenth_signature(
        keys, fitted, tmp_path) -> None:
    model, _ = fitted
    path = tmp_path / "m.paramseal"
    signers = [PrivateKey.generate() for _ in range(16)]
    paramseal.dump(model, path, sign=signers)
    assert len(signatures_of(path.read_bytes())) == 16
    full = path.read_bytes()
    with pytest.raises(ContainerError, match="already holds 16 signatures"):
        signing.add_signature(path, keys["alice"])
    signing.add_signature(path, signers[3])  # replacing one of the 16 is fine
    assert len(signatures_of(path.read_bytes())) == 16
    assert section_bytes(path.read_bytes()) == section_bytes(full)
    damaged = bytearray(full)
    damaged[split(full)["padding_after_signatures"][0]] = 1
    path.write_bytes(damaged)
    with pytest.raises(ContainerError, match="padding bytes are not zero"):
        signing.add_signature(path, keys["alice"])
    assert path.read_bytes() == damaged
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.paramseal"]
    with pytest.raises(FileNotFoundError):
        signing.add_signature(tmp_path / "absent.paramseal", keys["alice"])


def test_inspect_and_load_without_policy_after_add_signature(keys, fitted, tmp_path) -> None:
    model, X = fitted
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path)
    signing.add_signature(path, keys["bob"])
    report = paramseal.inspect(path).to_dict()
    assert report["signatures"] == [{"alg": ECDSA_P256, "key_id": keys["bob"].key_id,
                                     "status": "unverified"}]
    assert np.array_equal(paramseal.load(path).predict(X), model.predict(X))


def test_garbage_signatures_by_unknown_keys_are_ignored(keys, fitted, kit) -> None:
    model, _ = fitted
    parts = kit.unpack(paramseal.dumps(model, sign=keys["alice"]))
    parts.signatures += [{"alg": ECDSA_P256, "kid": b"\xff" * 32, "sig": b"\x30" * 512},
                         {"alg": ED25519, "kid": b"\xfe" * 32, "sig": b"\x00"}]
    parts.signatures.sort(key=lambda s: s["kid"])
    data = kit.pack(parts)
    (signer,) = signing.verify(io.BytesIO(data), policy_of(keys["alice"]))
    assert signer.key.kid == keys["alice"].public_key.kid
    assert len(paramseal.inspect(data).signatures) == 3
    # the same garbage under a trusted key ID is not a valid signature either
    parts.signatures = [{"alg": ED25519, "kid": keys["alice"].public_key.kid,
                         "sig": b"\x00" * 64}]
    with pytest.raises(VerificationError, match="0 valid signature"):
        paramseal.loads(kit.pack(parts), policy=policy_of(keys["alice"]))


# Throwaway test keys written by OpenSSH's ssh-keygen (not by `cryptography`), for interop.
SSH_KEYGEN_ED25519 = """\
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACAS0Mg98Xd1TwoX3ipiWktTnLqGOHruOLnVDHpjwV96QAAAAJD3WRF591kR
eQAAAAtzc2gtZWQyNTUxOQAAACAS0Mg98Xd1TwoX3ipiWktTnLqGOHruOLnVDHpjwV96QA
AAAEBYSEjW47DkirpHItDVa5Ge0+t0qaB6isI+6FZe5b/lnBLQyD3xd3VPChfeKmJaS1Oc
uoY4eu44udUMemPBX3pAAAAAB21lQGhvc3QBAgMEBQY=
-----END OPENSSH PRIVATE KEY-----
"""
SSH_KEYGEN_ED25519_PUB = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLQyD3xd3VPChfeKmJaS1OcuoY4eu44udUMemPBX3pA"
    " me@host"
)
SSH_KEYGEN_ECDSA = """\
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS
1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQTHIdBeJNwjvCzV/vwUB0klXJ4Pw1zK
f610LYPEzTEMdCRRrLToc9VIS2FtH/mTt/TCAkyDskLxtRSapbjFbO6BAAAAoDxqNs88aj
bPAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMch0F4k3CO8LNX+
/BQHSSVcng/DXMp/rXQtg8TNMQx0JFGstOhz1UhLYW0f+ZO39MICTIOyQvG1FJqluMVs7o
EAAAAhAJyCckZH7E+jxRRVzR+xoYhSVKVXLNr/QyU4EKIZJsCOAAAAB3Jvb3RAdm0=
-----END OPENSSH PRIVATE KEY-----
"""
SSH_KEYGEN_ECDSA_PUB = (
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMch0F4k"
    "3CO8LNX+/BQHSSVcng/DXMp/rXQtg8TNMQx0JFGstOhz1UhLYW0f+ZO39MICTIOyQvG1FJqluMVs7oE="
    " root@vm"
)
# `ssh-keygen -t ed25519 -N pw`: passphrase "pw" (bcrypt KDF, aes256-ctr)
SSH_KEYGEN_ED25519_PW = """\
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBEMqiN0u
vNZbMAGLw0XGXsAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIJx8naiSFOUCRWCr
psYQl9GoQs8xS7HepntCXmQ7SKnQAAAAkNvze3q0hmx+q185LzHnDNQsxqgzbZH247L0F2
/9t2S3nxENzwtIqvlQarGZpfMvsEtiLWgybtSKZ/nb2mVbB5s222Gxc7S8mPHvBiUf4OCb
S4wILUMyV+jx/h/Xfe68KQ1klx+Ca4kB+ysG2APZefDOdG2NLCAMC4TIGXAKKkcpZm8OXf
xkdxjPmya6arXi8g==
-----END OPENSSH PRIVATE KEY-----
"""
SSH_KEYGEN_ED25519_PW_PUB = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJx8naiSFOUCRWCrpsYQl9GoQs8xS7HepntCXmQ7SKnQ"
    " root@vm"
)


@pytest.mark.parametrize(("private", "public", "alg"), [
    (SSH_KEYGEN_ED25519, SSH_KEYGEN_ED25519_PUB, ED25519),
    (SSH_KEYGEN_ECDSA, SSH_KEYGEN_ECDSA_PUB, ECDSA_P256),
])
def test_keys_written_by_ssh_keygen(private, public, alg, fitted, tmp_path) -> None:
    model, _ = fitted
    (tmp_path / "id").write_text(private)
    (tmp_path / "id.pub").write_text(public + "\n")
    key = PrivateKey.load(tmp_path / "id")
    trusted = PublicKey.load(tmp_path / "id.pub")
    assert key.algorithm == trusted.algorithm == alg
    assert key.key_id == trusted.key_id
    data = paramseal.dumps(model, sign=key)
    (signer,) = signing.verify(io.BytesIO(data), Policy.from_keys([tmp_path / "id.pub"]))
    assert signer.name == "id" and signer.key == trusted


def test_passphrase_protected_openssh_key_loads(fitted) -> None:
    """`ssh-keygen` protects keys with a passphrase by default; the right passphrase must
    open one (cryptography needs the `bcrypt` package for OpenSSH's KDF)."""
    model, _ = fitted
    key = PrivateKey.load(SSH_KEYGEN_ED25519_PW.encode(), passphrase="pw")
    assert key.key_id == PublicKey.load(SSH_KEYGEN_ED25519_PW_PUB.encode()).key_id
    data = paramseal.dumps(model, sign=key)
    signing.verify(io.BytesIO(data), Policy.from_keys([key.public_key]))
