"""OpenSSF model_signing export: the official ``model-signing`` package verifies what we write."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import model_signing.hashing
import model_signing.signing
import model_signing.verifying
import numpy as np
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import paramseal
from paramseal import errors
from paramseal.directory import from_directory
from paramseal.interop import (
    IGNORE_PATHS,
    PAYLOAD_TYPE,
    SIGNATURE_FILE,
    export_model_signing,
    pae,
)
from paramseal.keys import ECDSA_P256, PrivateKey

FILES = ["format", "header.msgpack", "params.safetensors", "schema.msgpack",
         "signatures.msgpack"]
CLI = [sys.executable, "-m", "paramseal"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y)
    path = tmp_path_factory.mktemp("model") / "model.paramseal"
    paramseal.dump(model, path)
    return path, X


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An ECDSA P-256 pair, a second P-256 pair, and an Ed25519 private key, as PEM files."""
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for name, algorithm in (("p256", ECDSA_P256), ("other", ECDSA_P256), ("ed", "ed25519")):
        key = PrivateKey.generate(algorithm)
        key.save(folder / f"{name}.pem")
        (folder / f"{name}.pub").write_bytes(key.public_key.to_pem())
        out[name] = folder / f"{name}.pem"
        out[f"{name}.pub"] = folder / f"{name}.pub"
    return out


def _verify(folder: Path, public_key: Path, signature: Path | None = None) -> None:
    """model_signing's own verifier (its stable Python API); raises on any failure."""
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(
        folder, signature or folder / SIGNATURE_FILE
    )


def _export(model_file: tuple[Path, np.ndarray], keys: dict[str, Path], folder: Path) -> Path:
    export_model_signing(model_file[0], folder, PrivateKey.load(keys["p256"]))
    return folder


def _statement(signature: Path) -> dict:
    document = json.loads(signature.read_text())
    return json.loads(base64.b64decode(document["dsseEnvelope"]["payload"]))


def test_model_signing_verifies_the_export(model_file, keys, tmp_path) -> None:
    folder = tmp_path / "m"
    done = export_model_signing(model_file[0], folder, PrivateKey.load(keys["p256"]))
    assert done.signature == folder / SIGNATURE_FILE and done.signature.is_file()
    assert [name for name, _ in done.resources] == FILES
    for name, digest in done.resources:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    _verify(folder, keys["p256.pub"])
    # and its command line says the same
    result = subprocess.run(
        [sys.executable, "-m", "model_signing", "verify", "key", str(folder),
         "--signature", str(done.signature), "--public_key", str(keys["p256.pub"])],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Verification succeeded" in result.stdout


def test_a_file_signed_by_paramseal_exports_too(model_file, keys, tmp_path) -> None:
    """The file's own (Ed25519) signature travels in signatures.msgpack, covered by model.sig."""
    path = model_file[0]
    signed = tmp_path / "signed.paramseal"
    paramseal.dump(paramseal.load(path), signed, sign=PrivateKey.load(keys["ed"]))
    folder = tmp_path / "m"
    export_model_signing(signed, folder, PrivateKey.load(keys["p256"]))
    assert len((folder / "signatures.msgpack").read_bytes()) > 64
    _verify(folder, keys["p256.pub"])
    from_directory(folder, tmp_path / "back.paramseal")
    assert (tmp_path / "back.paramseal").read_bytes() == signed.read_bytes()


def test_bundle_layout(model_file, keys, tmp_path) -> None:
    folder = _export(model_file, keys, tmp_path / "m")
    raw = (folder / SIGNATURE_FILE).read_bytes()
    document = json.loads(raw)
    assert list(document) == ["mediaType", "verificationMaterial", "dsseEnvelope"]
    assert document["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    public = PrivateKey.load(keys["p256"]).public_key
    hint = hashlib.sha256(public.to_pem()).hexdigest()
    assert document["verificationMaterial"] == {"publicKey": {"hint": hint}, "tlogEntries": []}
    envelope = document["dsseEnvelope"]
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert len(envelope["signatures"]) == 1 and envelope["signatures"][0]["keyid"] == ""
    body = base64.b64decode(envelope["payload"])
    # the statement is compact JSON with sorted keys
    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    # the signature is ECDSA P-256/SHA-256 (DER) over the DSSE PAE of the statement
    pem = serialization.load_pem_public_key(keys["p256.pub"].read_bytes())
    assert isinstance(pem, ec.EllipticCurvePublicKey)
    message = b"DSSEv1 28 application/vnd.in-toto+json %d %s" % (len(body), body)
    assert pae(PAYLOAD_TYPE, body) == message
    pem.verify(base64.b64decode(envelope["signatures"][0]["sig"]), message,
               ec.ECDSA(hashes.SHA256()))
    stmt = json.loads(body)
    assert stmt["_type"] == "https://in-toto.io/Statement/v1"
    assert stmt["predicateType"] == "https://model_signing/signature/v1.0"
    resources = stmt["predicate"]["resources"]
    assert [r["name"] for r in resources] == FILES
    assert {r["algorithm"] for r in resources} == {"sha256"}
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in resources)).hexdigest()
    assert stmt["subject"] == [{"name": "m", "digest": {"sha256": root}}]
    assert stmt["predicate"]["serialization"] == {
        "method": "files", "hash_type": "sha256", "allow_symlinks": False,
        "ignore_paths": list(IGNORE_PATHS),
    }


def test_statement_matches_model_signing_own_signer(model_file, keys, tmp_path) -> None:
    """model_signing signing the same folder with the same key states the same things."""
    folder = _export(model_file, keys, tmp_path / "m")
    theirs = tmp_path / "theirs.sig"
    signer = model_signing.signing.Config().use_elliptic_key_signer(private_key=keys["p256"])
    signer.set_hashing_config(
        model_signing.hashing.Config().set_ignored_paths(paths=[folder / SIGNATURE_FILE])
    ).sign(folder, theirs)
    ours_stmt, their_stmt = _statement(folder / SIGNATURE_FILE), _statement(theirs)
    their_stmt["predicate"]["serialization"]["ignore_paths"].sort()  # a frozenset over there
    assert ours_stmt == their_stmt
    ours, their = json.loads((folder / SIGNATURE_FILE).read_text()), json.loads(theirs.read_text())
    assert ours["verificationMaterial"] == their["verificationMaterial"]
    for document in (ours, their):
        del document["dsseEnvelope"]["payload"], document["dsseEnvelope"]["signatures"][0]["sig"]
    assert ours == their
    # and each verifier accepts the other's signature of the same folder
    _verify(folder, keys["p256.pub"], theirs)


def test_same_file_gives_the_same_statement(model_file, keys, tmp_path) -> None:
    first = _export(model_file, keys, tmp_path / "a" / "m")
    second = _export(model_file, keys, tmp_path / "b" / "m")
    payload = [json.loads((f / SIGNATURE_FILE).read_text())["dsseEnvelope"]["payload"]
               for f in (first, second)]
    assert payload[0] == payload[1]


@pytest.mark.parametrize("name", FILES)
def test_a_changed_file_fails_verification(model_file, keys, tmp_path, name) -> None:
    folder = _export(model_file, keys, tmp_path / "m")
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / name).write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"Hash mismatch for \W*{re.escape(name)}"):
        _verify(folder, keys["p256.pub"])


def test_an_added_or_removed_file_fails_verification(model_file, keys, tmp_path) -> None:
    folder = _export(model_file, keys, tmp_path / "m")
    (folder / "extra.bin").write_bytes(b"x")
    with pytest.raises(ValueError, match="Extra files found"):
        _verify(folder, keys["p256.pub"])
    (folder / "extra.bin").unlink()
    (folder / "schema.msgpack").unlink()
    with pytest.raises(ValueError, match="Missing files"):
        _verify(folder, keys["p256.pub"])


def test_wrong_key_fails_verification(model_file, keys, tmp_path) -> None:
    folder = _export(model_file, keys, tmp_path / "m")
    with pytest.raises(ValueError, match="Key mismatch"):
        _verify(folder, keys["other.pub"])
    # without the key hint, the ECDSA check itself refuses the other key
    document = json.loads((folder / SIGNATURE_FILE).read_text())
    del document["verificationMaterial"]["publicKey"]["hint"]
    (folder / SIGNATURE_FILE).write_text(json.dumps(document))
    with pytest.raises(InvalidSignature):
        _verify(folder, keys["other.pub"])


def test_an_edited_statement_fails_verification(model_file, keys, tmp_path) -> None:
    """Rewriting a resource digest (and the root) inside model.sig breaks the signature."""
    folder = _export(model_file, keys, tmp_path / "m")
    (folder / "params.safetensors").write_bytes(b"{}")
    document = json.loads((folder / SIGNATURE_FILE).read_text())
    stmt = _statement(folder / SIGNATURE_FILE)
    for resource in stmt["predicate"]["resources"]:
        if resource["name"] == "params.safetensors":
            resource["digest"] = hashlib.sha256(b"{}").hexdigest()
    digests = b"".join(bytes.fromhex(r["digest"]) for r in stmt["predicate"]["resources"])
    stmt["subject"][0]["digest"]["sha256"] = hashlib.sha256(digests).hexdigest()
    document["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(stmt).encode()).decode()
    (folder / SIGNATURE_FILE).write_text(json.dumps(document))
    with pytest.raises(InvalidSignature):
        _verify(folder, keys["p256.pub"])


def test_signed_folder_packs_back_byte_for_byte(model_file, keys, tmp_path) -> None:
    path, X = model_file
    folder = _export(model_file, keys, tmp_path / "m")
    from_directory(folder, tmp_path / "back.paramseal")
    assert (tmp_path / "back.paramseal").read_bytes() == path.read_bytes()
    loaded = paramseal.load(tmp_path / "back.paramseal")
    assert np.array_equal(loaded.predict_proba(X), paramseal.load(path).predict_proba(X))


def test_ed25519_key_is_refused_before_anything_is_written(model_file, keys, tmp_path) -> None:
    with pytest.raises(errors.InvalidKeyError, match=r"needs an ECDSA key .* found an ed25519 key"):
        export_model_signing(model_file[0], tmp_path / "m", PrivateKey.load(keys["ed"]))
    assert not (tmp_path / "m").exists()


def test_a_damaged_file_is_not_signed(model_file, keys, tmp_path) -> None:
    data = bytearray(model_file[0].read_bytes())
    data[-1] ^= 0x01  # the last byte belongs to the params section
    (tmp_path / "bad.paramseal").write_bytes(bytes(data))
    with pytest.raises(errors.ContainerError, match="section 'params' does not match its digest"):
        export_model_signing(tmp_path / "bad.paramseal", tmp_path / "m",
                             PrivateKey.load(keys["p256"]))
    assert not (tmp_path / "m").exists()
    (tmp_path / "empty").mkdir()  # a folder that existed (empty) is left empty
    with pytest.raises(errors.ContainerError):
        export_model_signing(tmp_path / "bad.paramseal", tmp_path / "empty",
                             PrivateKey.load(keys["p256"]))
    assert (tmp_path / "empty").is_dir() and not any((tmp_path / "empty").iterdir())


def test_cli_transcripts(model_file, keys, tmp_path) -> None:
    source = tmp_path / "model.paramseal"
    shutil.copyfile(model_file[0], source)
    # default folder: the file's name without its extension
    done = subprocess.run([*CLI, "export-model-signing", str(source), "--key", str(keys["p256"])],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "model"
    key_id = PrivateKey.load(keys["p256"]).key_id
    assert done.stdout.splitlines() == [
        f"wrote {folder}/ ({', '.join(FILES)})",
        f"wrote {folder / SIGNATURE_FILE} (OpenSSF model_signing, ecdsa-p256-sha256 key "
        f"{key_id})",
        f"verify with: model_signing verify key {folder} --signature {folder / SIGNATURE_FILE} "
        f"--public_key {keys['p256.pub']}",
    ]
    _verify(folder, keys["p256.pub"])
    # --out, and a passphrase-protected key
    protected = tmp_path / "protected.pem"
    PrivateKey.load(keys["p256"]).save(protected, passphrase="s3cret")
    (tmp_path / "pass.txt").write_text("s3cret\n")
    done = subprocess.run([*CLI, "export-model-signing", str(source), "--key", str(protected),
                           "--passphrase-file", str(tmp_path / "pass.txt"),
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"wrote {tmp_path / 'out' / SIGNATURE_FILE} " in done.stdout
    assert done.stdout.endswith("--public_key KEY.pub\n")  # no protected.pub beside the key
    _verify(tmp_path / "out", keys["p256.pub"])
    # an Ed25519 key: exit 1, one clear error, nothing written
    done = subprocess.run([*CLI, "export-model-signing", str(source), "--key", str(keys["ed"]),
                           "--out", str(tmp_path / "ed")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "paramseal: error: model_signing's private-key method needs an ECDSA key (P-256 here), "
        "found an ed25519 key",
        "paramseal: hint: create one with: paramseal keygen --algorithm ecdsa-p256 --out NAME",
    ]
    assert not (tmp_path / "ed").exists()
    # the folder exists already: exit 1, nothing replaced
    done = subprocess.run([*CLI, "export-model-signing", str(source), "--key", str(keys["p256"])],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("paramseal: error: ") and "not empty" in done.stderr
    _verify(folder, keys["p256.pub"])
