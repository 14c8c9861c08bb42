"""Encrypted files (spec §3.5): dump/load with age recipients and passphrases, encrypt-then-sign,
what the outer header shows, the CLI, and the stock ``age`` tool on the payload.

The age format itself (header grammar, STREAM, limits) is tested in test_age.py.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import testkit
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import paramseal
from paramseal import _age, _container, cli, errors, signing
from paramseal.encryption import decrypt_file, encrypt_file

RNG = np.random.RandomState(0)
X = RNG.normal(size=(120, 4))
Y = (X[:, 0] + X[:, 1] > 0).astype(int)


@pytest.fixture(scope="module")
def model() -> Any:
    return RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(X, Y)


@pytest.fixture(scope="module")
def people() -> dict[str, Any]:
    alice_id, alice = _age.generate_identity()
    bob_id, bob = _age.generate_identity()
    return {"alice_id": alice_id, "alice": alice, "bob_id": bob_id, "bob": bob,
            "signer": paramseal.PrivateKey.generate(),
            "other": paramseal.PrivateKey.generate("ecdsa-p256")}


def _same(a: Any, b: Any) -> bool:
    return a.predict_proba(X).tobytes() == b.predict_proba(X).tobytes()


def _payload(data: bytes) -> bytes:
    return bytes(_container.parse(memoryview(data)).sections["payload"])


# ---------------------------------------------------------------- round trips

def test_one_recipient(model: Any, people: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, recipients=[people["alice"]])
    assert _same(paramseal.load(path, identities=[people["alice_id"]]), model)
    assert _same(paramseal.load(path, identities=people["alice_id"], mmap=False), model)


def test_several_recipients_each_decrypt(model: Any, people: dict[str, Any]) -> None:
    data = paramseal.dumps(model, recipients=[people["alice"], people["bob"]])
    for identity in (people["alice_id"], people["bob_id"]):
        assert _same(paramseal.loads(data, identities=[identity]), model)


def test_identity_files(model: Any, people: dict[str, Any], tmp_path: Path) -> None:
    key = tmp_path / "bob.key"
    key.write_text(f"# created by a test\n{people['bob_id']}\n")
    data = paramseal.dumps(model, recipients=[people["bob"]])
    assert _same(paramseal.loads(data, identities=[key]), model)
    assert _same(paramseal.loads(data, identities=str(key)), model)


def test_passphrase(model: Any) -> None:
    data = paramseal.dumps(model, passphrase="correct horse battery staple")
    assert _same(paramseal.loads(data, passphrase="correct horse battery staple"), model)
    with pytest.raises(errors.DecryptionError, match=r"^decryption failed$"):
        paramseal.loads(data, passphrase="correct horse battery stapler")


def test_wrong_or_missing_key_is_opaque(model: Any, people: dict[str, Any]) -> None:
    data = paramseal.dumps(model, recipients=[people["alice"]])
    with pytest.raises(errors.DecryptionError, match=r"^decryption failed$"):
        paramseal.loads(data, identities=[people["bob_id"]])
    with pytest.raises(errors.DecryptionError, match="give identities= or passphrase="):
        paramseal.loads(data)
    with pytest.raises(errors.DecryptionError, match=r"^decryption failed$"):
        paramseal.loads(data, passphrase="guess")


def test_arrays_are_read_only_unless_mmap_is_off(people: dict[str, Any], tmp_path: Path) -> None:
    """Decrypted arrays live in private memory; like mapped ones they are read-only by
    default, and writable with mmap=False (as for plain files)."""
    path = tmp_path / "m.paramseal"
    paramseal.dump({"w": np.arange(10.0)}, path, recipients=[people["alice"]])
    assert not paramseal.load(path, identities=[people["alice_id"]])["w"].flags.writeable
    copied = paramseal.load(path, identities=[people["alice_id"]], mmap=False)["w"]
    assert copied.flags.writeable and copied.tolist() == list(range(10))


# ---------------------------------------------------------------- what the outside shows

def test_outer_header_holds_only_public_fields(model: Any, people: dict[str, Any]) -> None:
    data = paramseal.dumps(model, recipients=[people["alice"]], sign=people["signer"],
                           annotations={"customer": "acme"},
                           expires=datetime.timedelta(days=1))
    report = paramseal.inspect(data).to_dict()
    assert report["root"] is None and report["tree"] is None and report["tensors"] == []
    assert report["annotations"] == {}, "annotations are inside the encrypted part"
    assert [s["name"] for s in report["sections"]] == ["payload"]
    assert report["encrypted"]["recipients"] == {"X25519": 1}
    assert report["created"] is not None and report["expires"] is not None
    assert b"RandomForest" not in data and b"acme" not in data
    inner = paramseal.loads(data, identities=[people["alice_id"]])
    assert type(inner) is RandomForestClassifier


def test_passphrase_file_shows_its_work_factor(model: Any) -> None:
    report = paramseal.inspect(paramseal.dumps(model, passphrase="pw")).to_dict()
    assert report["encrypted"]["recipients"] == {"scrypt": 1}
    assert report["encrypted"]["scrypt_log_n"] == 18


# ---------------------------------------------------------------- encrypt-then-sign

def test_signatures_verify_without_a_decryption_key(model: Any, people: dict[str, Any],
                                                    tmp_path: Path) -> None:
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, recipients=[people["alice"]], sign=people["signer"])
    policy = paramseal.Policy.from_keys([people["signer"].public_key])
    (signer,) = signing.verify(path, policy)
    assert signer.key == people["signer"].public_key
    assert _same(paramseal.load(path, policy=policy, identities=[people["alice_id"]]), model)


def test_a_replaced_signature_fails(model: Any, people: dict[str, Any], tmp_path: Path) -> None:
    """Strip the signer's signature and sign with another key the policy trusts: the
    encrypted content names its intended signers, so the swap is caught after decryption."""
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, recipients=[people["alice"]], sign=people["signer"])
    parts = testkit.unpack(path.read_bytes())
    other = people["other"]
    header = bytes(_container.parse(memoryview(path.read_bytes())).header_bytes)
    forged = signing.sign_header(header, [other])
    parts.signatures = [{"alg": s.alg, "kid": s.kid, "sig": s.sig} for s in forged]
    path.write_bytes(testkit.pack(parts))
    policy = paramseal.Policy.from_keys([other.public_key])
    signing.verify(path, policy)  # the outer signature itself is valid
    with pytest.raises(errors.VerificationError, match="does not name enough"):
        paramseal.load(path, policy=policy, identities=[people["alice_id"]])


def test_add_signature_by_a_named_signer_verifies(model: Any, people: dict[str, Any],
                                                  tmp_path: Path) -> None:
    path = tmp_path / "m.paramseal"
    paramseal.dump(model, path, recipients=[people["alice"]],
                   sign=[people["signer"], people["other"]])
    both = paramseal.Policy.from_keys([people["signer"].public_key, people["other"].public_key],
                                      threshold=2)
    assert _same(paramseal.load(path, policy=both, identities=[people["alice_id"]]), model)


def test_tampered_ciphertext_fails_before_decryption(model: Any, people: dict[str, Any]) -> None:
    data = bytearray(paramseal.dumps(model, recipients=[people["alice"]],
                                     sign=people["signer"]))
    data[-20] ^= 1
    policy = paramseal.Policy.from_keys([people["signer"].public_key])
    with pytest.raises(errors.VerificationError, match="does not match the signed digest"):
        paramseal.loads(bytes(data), policy=policy, identities=[people["alice_id"]])
    with pytest.raises(errors.DecryptionError, match=r"^decryption failed$"):
        paramseal.loads(bytes(data), identities=[people["alice_id"]])


@pytest.mark.parametrize("how", ["truncate", "reorder", "splice"])
def test_payload_attacks_are_decryption_errors(how: str, people: dict[str, Any]) -> None:
    big = {"w": np.arange(40_000, dtype=np.float64)}  # several 64 KiB STREAM chunks
    data = paramseal.dumps(big, recipients=[people["alice"]])
    parts = testkit.unpack(data)
    payload = bytearray(parts.payload)
    header_end = payload.index(b"\n---") + 1
    header_end = payload.index(b"\n", header_end) + 1 + 16  # MAC line, then the nonce
    chunk = 64 * 1024 + 16
    if how == "truncate":
        payload = payload[:header_end + chunk + 100]
    elif how == "reorder":
        first = payload[header_end:header_end + chunk]
        second = payload[header_end + chunk:header_end + 2 * chunk]
        payload[header_end:header_end + 2 * chunk] = second + first
    else:
        other = testkit.unpack(paramseal.dumps(big, recipients=[people["alice"]])).payload
        payload[header_end + chunk:header_end + 2 * chunk] = \
            other[header_end + chunk:header_end + 2 * chunk]
    parts.payload = bytes(payload)
    with pytest.raises(errors.DecryptionError, match=r"^decryption failed$"):
        paramseal.loads(testkit.pack(parts), identities=[people["alice_id"]])


def test_inner_file_must_be_unsigned(people: dict[str, Any]) -> None:
    """A signed plain file smuggled in as the plaintext is refused after decryption."""
    inner = paramseal.dumps({"a": 1}, sign=people["signer"])
    payload = b"".join(_age.encrypt([inner], len(inner), recipients=[people["alice"]]))
    outer = testkit.unpack(paramseal.dumps({"a": 1}, recipients=[people["alice"]]))
    outer.payload = payload
    with pytest.raises(errors.ContainerError, match="plain and unsigned"):
        paramseal.loads(testkit.pack(outer), identities=[people["alice_id"]])


def test_scrypt_work_factor_is_bounded_by_limits(model: Any) -> None:
    data = paramseal.dumps(model, passphrase="pw")
    with pytest.raises(errors.LimitError):
        paramseal.loads(data, passphrase="pw",
                        limits=paramseal.Limits(max_scrypt_log_n=16))


# ---------------------------------------------------------------- converting files, the CLI

def test_encrypt_and_decrypt_files(model: Any, people: dict[str, Any], tmp_path: Path) -> None:
    plain = tmp_path / "m.paramseal"
    paramseal.dump(model, plain)
    enc, back = tmp_path / "m.enc", tmp_path / "m.dec"
    encrypt_file(plain, enc, recipients=[people["bob"]], sign=people["signer"])
    decrypt_file(enc, back, identities=[people["bob_id"]])
    assert back.read_bytes() == plain.read_bytes(), "decrypt gives back the plain file"
    with pytest.raises(errors.ContainerError, match="already encrypted"):
        encrypt_file(enc, tmp_path / "twice", recipients=[people["bob"]])
    with pytest.raises(errors.ContainerError, match="not encrypted"):
        decrypt_file(plain, tmp_path / "x", identities=[people["bob_id"]])


def test_cli_keygen_encrypt_inspect_decrypt(model: Any, tmp_path: Path, monkeypatch: Any,
                                            capsys: Any) -> None:
    monkeypatch.chdir(tmp_path)
    paramseal.dump(model, "m.paramseal")
    assert cli.main(["keygen", "--encryption", "--out", "bob"]) == 0
    recipient = Path("bob.pub").read_text().strip()
    assert recipient.startswith("age1") and (Path("bob.key").stat().st_mode & 0o777) == 0o600
    out = capsys.readouterr().out.splitlines()
    assert out == [f"age encryption key {recipient}", "identity:  bob.key (mode 0600)",
                   "recipient: bob.pub"]
    assert cli.main(["encrypt", "m.paramseal", "-r", "bob.pub", "-o", "m.enc"]) == 0
    assert cli.main(["inspect", "m.enc"]) == 0
    shown = capsys.readouterr().out
    assert "root:        (encrypted)" in shown and "1 X25519 stanza(s)" in shown
    assert cli.main(["decrypt", "m.enc", "-i", "bob.key", "-o", "m.dec"]) == 0
    assert Path("m.dec").read_bytes() == Path("m.paramseal").read_bytes()
    Path("pw").write_text("hunter2\n")
    assert cli.main(["encrypt", "m.paramseal", "-p", "pw", "-o", "p.enc"]) == 0
    assert cli.main(["decrypt", "p.enc", "-p", "pw", "-o", "p.dec"]) == 0
    assert Path("p.dec").read_bytes() == Path("m.paramseal").read_bytes()
    capsys.readouterr()
    assert cli.main(["decrypt", "m.enc", "-p", "pw", "-o", "bad"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == "paramseal: error: decryption failed"
    assert cli.main(["encrypt", "m.paramseal", "-o", "none"]) == 1
    assert "give recipients (-r) or a passphrase file (-p)" in capsys.readouterr().err
    assert not Path("bad").exists() and not Path("none").exists()


@pytest.mark.skipif(shutil.which("age") is None, reason="the age command is not installed")
def test_the_age_tool_decrypts_the_payload(model: Any, people: dict[str, Any],
                                           tmp_path: Path) -> None:
    """Escrow and audit: the payload is a plain age file whose plaintext is a paramseal file."""
    data = paramseal.dumps(model, recipients=[people["alice"]], sign=people["signer"])
    (tmp_path / "payload.age").write_bytes(_payload(data))
    (tmp_path / "alice.key").write_text(people["alice_id"] + "\n")
    subprocess.run(["age", "-d", "-i", str(tmp_path / "alice.key"), "-o",
                    str(tmp_path / "inner.paramseal"), str(tmp_path / "payload.age")],
                   check=True, capture_output=True)
    inner = paramseal.load(tmp_path / "inner.paramseal")
    assert _same(inner, model)
    report = paramseal.inspect(tmp_path / "inner.paramseal").to_dict()
    assert report["root"] == "sklearn.ensemble.RandomForestClassifier"


@pytest.mark.skipif(shutil.which("age") is None, reason="the age command is not installed")
def test_a_payload_made_by_the_age_tool_loads(people: dict[str, Any], tmp_path: Path) -> None:
    plain = paramseal.dumps(LogisticRegression().fit(X, Y))
    (tmp_path / "inner").write_bytes(plain)
    subprocess.run(["age", "-e", "-r", people["bob"], "-o", str(tmp_path / "p.age"),
                    str(tmp_path / "inner")], check=True, capture_output=True)
    outer = testkit.unpack(paramseal.dumps({"a": 1}, recipients=[people["bob"]]))
    outer.payload = (tmp_path / "p.age").read_bytes()
    loaded = paramseal.loads(testkit.pack(outer), identities=[people["bob_id"]])
    assert loaded.predict(X).tolist() == LogisticRegression().fit(X, Y).predict(X).tolist()


def test_load_does_not_print(model: Any, people: dict[str, Any], capfd: Any) -> None:
    data = paramseal.dumps(model, recipients=[people["alice"]])
    paramseal.loads(data, identities=[people["alice_id"]])
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert sys.modules.get("paramseal") is paramseal
