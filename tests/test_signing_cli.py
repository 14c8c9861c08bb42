"""The key and signature commands: ``paramseal keygen``, ``sign``, ``verify`` (issue 4).

Transcripts are compared line by line, with each key ID replaced by ``<name>``. Most runs call
``paramseal.cli.main`` in-process (fast); one test runs ``python -m paramseal`` for real exit
statuses and streams.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import struct
import subprocess
import sys
from pathlib import Path

import msgpack
import pytest

import paramseal
from paramseal import cli, signing
from paramseal.errors import InvalidKeyError
from paramseal.keys import ECDSA_P256, ED25519, PrivateKey, PublicKey
from paramseal.policy import Policy

ROOT = Path(__file__).resolve().parent.parent


class Transcript:
    """Runs the CLI in-process; key IDs in its output become ``<name>``."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.names: dict[str, str] = {}

    def name(self, key_id: str, name: str) -> None:
        self.names[key_id] = f"<{name}>"

    def __call__(self, *argv: str) -> tuple[int, list[str], list[str]]:
        self.capsys.readouterr()
        rc = cli.main(list(argv))
        out, err = self.capsys.readouterr()
        return rc, self._lines(out), self._lines(err)

    def _lines(self, text: str) -> list[str]:
        for key_id, name in self.names.items():
            text = text.replace(key_id, name)
        return text.splitlines()


@pytest.fixture
def run(capsys, tmp_path, monkeypatch) -> Transcript:
    monkeypatch.chdir(tmp_path)  # relative paths: stable transcripts
    return Transcript(capsys)


def keygen(run: Transcript, name: str, *extra: str) -> str:
    """Make NAME.key / NAME.pub; register and return the key ID."""
    rc, out, err = run("keygen", "--out", name, *extra)
    assert rc == 0 and err == [], (out, err)
    key_id = out[0].split()[-1]
    assert key_id.startswith("sha256:") and len(key_id) == 71
    run.name(key_id, name)
    return key_id


@pytest.fixture
def model_file(tmp_path) -> str:
    paramseal.dump({"coef": [1.5, -2.0], "classes": ["a", "b"]}, tmp_path / "m.paramseal")
    return "m.paramseal"


def sections(path: Path) -> bytes:
    data = path.read_bytes()
    _, _, _, h, s, _ = struct.unpack_from("<8sHHIII", data, 0)
    return data[(24 + h + s + 63) // 64 * 64:]


# --------------------------------------------------------------------------------------------
# keygen


def test_keygen_writes_the_pair_with_modes(run, tmp_path) -> None:
    rc, out, err = run("keygen", "--out", "alice")
    assert rc == 0 and err == []
    key_id = out[0].split()[-1]
    run.name(key_id, "alice")
    assert run._lines("\n".join(out)) == [
        "ed25519 key <alice>",
        "private key: alice.key (mode 0600)",
        "public key:  alice.pub",
    ]
    assert stat.S_IMODE((tmp_path / "alice.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "alice.pub").stat().st_mode) == 0o644
    assert (tmp_path / "alice.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "alice.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    private = PrivateKey.load(tmp_path / "alice.key")
    public = PublicKey.load(tmp_path / "alice.pub")
    assert private.algorithm == public.algorithm == ED25519
    assert private.key_id == public.key_id == key_id
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.key", "alice.pub"]


def test_keygen_ecdsa(run, tmp_path) -> None:
    key_id = keygen(run, "bob", "--algorithm", "ecdsa-p256")
    assert PublicKey.load(tmp_path / "bob.pub").algorithm == ECDSA_P256
    assert PrivateKey.load(tmp_path / "bob.key").key_id == key_id
    rc, out, err = run("keygen", "--out", "bob2", "--algorithm", "ecdsa-p256")
    run.name(out[0].split()[-1], "bob2")
    assert (rc, run._lines("\n".join(out)), err) == (0, [
        "ecdsa-p256-sha256 key <bob2>",
        "private key: bob2.key (mode 0600)",
        "public key:  bob2.pub",
    ], [])


def test_keygen_refuses_to_overwrite_without_force(run, tmp_path) -> None:
    first = keygen(run, "alice")
    before = (tmp_path / "alice.key").read_bytes()
    assert run("keygen", "--out", "alice") == (
        1, [], ["paramseal: error: alice.key exists (use --force to replace it)"])
    assert (tmp_path / "alice.key").read_bytes() == before
    (tmp_path / "alice.key").unlink()  # only the public half left: still refused
    assert run("keygen", "--out", "alice") == (
        1, [], ["paramseal: error: alice.pub exists (use --force to replace it)"])
    second = keygen(run, "alice", "--force")
    assert second != first
    assert PublicKey.load(tmp_path / "alice.pub").key_id == second
    assert stat.S_IMODE((tmp_path / "alice.key").stat().st_mode) == 0o600
    # --force over an existing, world-readable private key: back to 0600
    (tmp_path / "alice.key").chmod(0o644)
    keygen(run, "alice", "--force")
    assert stat.S_IMODE((tmp_path / "alice.key").stat().st_mode) == 0o600


def test_keygen_with_passphrase_file(run, tmp_path) -> None:
    (tmp_path / "pass.txt").write_bytes(b"s3cret words\r\nsecond line is ignored\n")
    key_id = keygen(run, "carol", "--passphrase-file", "pass.txt")
    text = (tmp_path / "carol.key").read_bytes()
    assert text.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(InvalidKeyError, match="not given but private key is encrypted"):
        PrivateKey.load(tmp_path / "carol.key")
    with pytest.raises(InvalidKeyError, match="wrong passphrase"):
        PrivateKey.load(tmp_path / "carol.key", passphrase="s3cret words\r")
    assert PrivateKey.load(tmp_path / "carol.key", passphrase="s3cret words").key_id == key_id
    assert stat.S_IMODE((tmp_path / "carol.key").stat().st_mode) == 0o600


def test_keygen_with_an_empty_passphrase_file_refuses(run, tmp_path) -> None:
    """Asked to encrypt the key with the passphrase in a file that is empty, keygen must not
    silently write the private key unencrypted."""
    (tmp_path / "empty.txt").write_bytes(b"\n")
    rc, out, err = run("keygen", "--out", "dave", "--passphrase-file", "empty.txt")
    written = (tmp_path / "dave.key").read_bytes() if (tmp_path / "dave.key").exists() else b""
    assert not written.startswith(b"-----BEGIN PRIVATE KEY-----"), \
        "an unencrypted private key was written although a passphrase file was given"
    assert rc == 1 and out == [] and len(err) == 1 and err[0].startswith("paramseal: error: ")


def test_keygen_rejects_unknown_algorithm(run, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["keygen", "--out", "x", "--algorithm", "rsa"])
    assert info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == ("paramseal keygen: error: argument --algorithm: invalid choice: 'rsa' "
                       "(choose from 'ed25519', 'ecdsa-p256')")


# --------------------------------------------------------------------------------------------
# sign


def test_sign_adds_signatures_in_place(run, tmp_path, model_file) -> None:
    keygen(run, "alice")
    keygen(run, "bob", "--algorithm", "ecdsa-p256")
    path = tmp_path / model_file
    before = sections(path)
    inode = path.stat().st_ino
    assert run("sign", model_file, "--key", "alice.key") == (
        0, ["signed m.paramseal with ed25519 key <alice>"], [])
    assert path.stat().st_ino != inode  # replaced (tmp + rename), not rewritten in place
    inode = path.stat().st_ino
    assert run("sign", model_file, "--key", "bob.key") == (
        0, ["signed m.paramseal with ecdsa-p256-sha256 key <bob>"], [])
    assert path.stat().st_ino != inode
    assert sections(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "alice.key", "alice.pub", "bob.key", "bob.pub", "m.paramseal"]
    signers = signing.verify(path, Policy.from_keys([tmp_path / "alice.pub",
                                                     tmp_path / "bob.pub"], threshold=2))
    assert sorted(s.name for s in signers) == ["alice", "bob"]
    # inspect: both signatures, unverified, in key ID order
    rc, out, err = run("inspect", model_file)
    assert rc == 0 and err == []
    ordered = sorted([("ed25519", "alice"), ("ecdsa-p256-sha256", "bob")],
                     key=lambda p: PublicKey.load(tmp_path / f"{p[1]}.pub").kid)
    assert [line for line in out if line.startswith("signature")] == [
        f"signature:   {alg} <{name}> (unverified)" for alg, name in ordered]


def test_sign_with_passphrase_and_key_errors(run, tmp_path, model_file) -> None:
    (tmp_path / "pass.txt").write_text("hunter2\n")
    (tmp_path / "wrong.txt").write_text("hunter3\n")
    keygen(run, "carol", "--passphrase-file", "pass.txt")
    original = (tmp_path / model_file).read_bytes()
    assert run("sign", model_file, "--key", "carol.key") == (1, [], [
        "paramseal: error: cannot read the private key: Password was not given but private "
        "key is encrypted"])
    assert run("sign", model_file, "--key", "carol.key", "--passphrase-file", "wrong.txt") == (
        1, [], ["paramseal: error: cannot read the private key (wrong passphrase, or not a "
                "PEM/OpenSSH private key)"])
    assert run("sign", model_file, "--key", "carol.pub") == (
        1, [], ["paramseal: error: cannot read the private key (wrong passphrase, or not a "
                "PEM/OpenSSH private key)"])
    assert run("sign", model_file, "--key", "nobody.key") == (
        1, [], ["paramseal: error: no such file or directory: nobody.key"])
    assert (tmp_path / model_file).read_bytes() == original
    assert run("sign", "absent.paramseal", "--key", "carol.key", "--passphrase-file",
               "pass.txt") == (1, [], [
                   "paramseal: error: no such file or directory: absent.paramseal"])
    assert run("sign", model_file, "--key", "carol.key", "--passphrase-file", "pass.txt") == (
        0, ["signed m.paramseal with ed25519 key <carol>"], [])
    # a damaged file is refused, with the format hint, and left as it was
    (tmp_path / "bad.paramseal").write_bytes(b"\x89PSEAL\r\n" + bytes(10))
    assert run("sign", "bad.paramseal", "--key", "carol.key", "--passphrase-file",
               "pass.txt") == (1, [], [
                   "paramseal: error: file is 18 bytes, shorter than the 24-byte prelude",
                   "paramseal: hint: the file is damaged or was not written by a conforming "
                   "writer; do not trust it"])


def test_sign_with_an_openssh_private_key(run, tmp_path, model_file) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    raw = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "id_ed25519").write_bytes(raw.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption()))
    (tmp_path / "id_ed25519.pub").write_bytes(raw.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + b" me@host\n")
    run.name(PublicKey.load(tmp_path / "id_ed25519.pub").key_id, "ssh")
    assert run("sign", model_file, "--key", "id_ed25519") == (
        0, ["signed m.paramseal with ed25519 key <ssh>"], [])
    assert run("verify", model_file, "--trust", "id_ed25519.pub") == (0, [
        "verified m.paramseal: 1 trusted signature(s), 1 required",
        "  id_ed25519  ed25519  <ssh>",
    ], [])


# --------------------------------------------------------------------------------------------
# verify


@pytest.fixture
def signed(run, tmp_path, model_file) -> str:
    """m.paramseal signed by alice (ed25519) and bob (ecdsa); carol has a key, never signs."""
    keygen(run, "alice")
    keygen(run, "bob", "--algorithm", "ecdsa-p256")
    keygen(run, "carol")
    for name in ("alice", "bob"):
        assert run("sign", model_file, "--key", f"{name}.key")[0] == 0
    return model_file


def _by_kid(tmp_path: Path, *names: str) -> list[str]:
    return sorted(names, key=lambda n: PublicKey.load(tmp_path / f"{n}.pub").kid)


def test_verify_success_prints_signers(run, tmp_path, signed) -> None:
    assert run("verify", signed, "--trust", "alice.pub") == (0, [
        "verified m.paramseal: 1 trusted signature(s), 1 required",
        "  alice  ed25519  <alice>",
    ], [])
    algorithms = {"alice": "ed25519", "bob": "ecdsa-p256-sha256"}
    assert run("verify", signed, "--trust", "alice.pub", "--trust", "bob.pub", "--trust",
               "carol.pub", "--threshold", "2") == (0, [
        "verified m.paramseal: 2 trusted signature(s), 2 required",
        *[f"  {n}  {algorithms[n]}  <{n}>" for n in _by_kid(tmp_path, "alice", "bob")],
    ], [])


def test_verify_failures(run, tmp_path, signed, model_file) -> None:
    paramseal.dump({"x": 1}, tmp_path / "unsigned.paramseal")
    fail = "paramseal: error: signature verification failed: {} valid signature(s) by " \
           "trusted keys, {} required"
    # unsigned
    assert run("verify", "unsigned.paramseal", "--trust", "alice.pub") == (
        1, [], [fail.format(0, 1)])
    # signed, but not by the trusted key
    assert run("verify", signed, "--trust", "carol.pub") == (1, [], [fail.format(0, 1)])
    # threshold not met
    assert run("verify", signed, "--trust", "alice.pub", "--trust", "carol.pub",
               "--threshold", "2") == (1, [], [fail.format(1, 2)])
    # threshold above the number of keys, or below 1
    assert run("verify", signed, "--trust", "alice.pub", "--threshold", "2") == (1, [], [
        "paramseal: error: threshold must be between 1 and 1 (the number of trusted keys), "
        "not 2"])
    assert run("verify", signed, "--trust", "alice.pub", "--threshold", "0") == (1, [], [
        "paramseal: error: threshold must be between 1 and 1 (the number of trusted keys), "
        "not 0"])
    # the same key twice
    assert run("verify", signed, "--trust", "alice.pub", "--trust", "alice.pub",
               "--threshold", "2") == (1, [], ["paramseal: error: a key is listed twice"])
    # no trusted keys named, or both ways at once
    assert run("verify", signed) == (1, [], [
        "paramseal: error: name the trusted keys with --trust KEY.pub (or --trust-store)"])
    (tmp_path / "store.toml").write_text('[[key]]\nname = "a"\npublic_key = "alice.pub"\n')
    assert run("verify", signed, "--trust", "alice.pub", "--trust-store", "store.toml") == (
        1, [], ["paramseal: error: give --trust-store or --trust, not both"])
    # missing files
    assert run("verify", signed, "--trust", "nobody.pub") == (
        1, [], ["paramseal: error: no such file or directory: nobody.pub"])
    assert run("verify", "absent.paramseal", "--trust", "alice.pub") == (
        1, [], ["paramseal: error: no such file or directory: absent.paramseal"])
    # not a public key
    (tmp_path / "junk.pub").write_text("hello\n")
    assert run("verify", signed, "--trust", "junk.pub") == (1, [], [
        "paramseal: error: cannot read a public key: not a PEM or OpenSSH public key"])


def test_verify_tampered_files(run, tmp_path, signed) -> None:
    path = tmp_path / signed
    data = path.read_bytes()
    _, _, _, h, s, _ = struct.unpack_from("<8sHHIII", data, 0)
    args = ["--trust", "alice.pub", "--trust", "bob.pub"]
    # the last byte of the params section: the digest no longer matches
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert run("verify", signed, *args) == (
        1, [], ["paramseal: error: a section does not match the signed digest"])
    # a header byte (an annotation-free header: flip a producer version character)
    header = bytearray(data)
    at = data.index(b"paramseal", 24, 24 + h) + 1
    header[at] ^= 0x20
    path.write_bytes(header)
    assert run("verify", signed, *args) == (1, [], [
        "paramseal: error: signature verification failed: 0 valid signature(s) by trusted "
        "keys, 1 required"])
    # the zero padding between the two sections
    schema = msgpack.unpackb(data[24:24 + h])["sections"][0]
    end = (24 + h + s + 63) // 64 * 64 + schema["offset"] + schema["length"]
    assert (end + 63) // 64 * 64 > end and data[end] == 0
    padding = bytearray(data)
    padding[end] = 7
    path.write_bytes(padding)
    assert run("verify", signed, *args) == (1, [], [
        f"paramseal: error: padding bytes are not zero (at offset {end:#x})",
        "paramseal: hint: the file is damaged or was not written by a conforming writer; do "
        "not trust it"])
    # the magic
    path.write_bytes(b"\x88" + data[1:])
    assert run("verify", signed, *args) == (1, [], [
        "paramseal: error: not a paramseal file (bad magic) (at offset 0x0)",
        "paramseal: hint: the file is damaged or was not written by a conforming writer; do "
        "not trust it"])
    path.write_bytes(data)
    assert run("verify", signed, *args)[0] == 0


def test_verify_expired_file(run, tmp_path) -> None:
    keygen(run, "alice")
    key = PrivateKey.load(tmp_path / "alice.key")
    paramseal.dump({"x": 1}, tmp_path / "old.paramseal", sign=key,
                   expires=dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
    assert run("verify", "old.paramseal", "--trust", "alice.pub") == (
        1, [], ["paramseal: error: the file has expired"])


def test_verify_with_a_trust_store(run, tmp_path, signed) -> None:
    alice_id = PublicKey.load(tmp_path / "alice.pub").key_id
    keys_toml = ('[[key]]\nname = "Alice Liddell"\npublic_key = "keys/alice.pub"\n'
                 '[[key]]\nname = "Bob (release)"\npublic_key = "keys/bob.pub"\n')
    (tmp_path / "trust").mkdir()
    (tmp_path / "trust" / "keys").mkdir()
    for name in ("alice", "bob"):
        (tmp_path / "trust" / "keys" / f"{name}.pub").write_bytes(
            (tmp_path / f"{name}.pub").read_bytes())
    (tmp_path / "trust" / "store.toml").write_text("threshold = 2\n" + keys_toml)
    names = {"alice": ("Alice Liddell", "ed25519"), "bob": ("Bob (release)", "ecdsa-p256-sha256")}
    assert run("verify", signed, "--trust-store", "trust/store.toml") == (0, [
        "verified m.paramseal: 2 trusted signature(s), 2 required",
        *[f"  {names[n][0]}  {names[n][1]}  <{n}>" for n in _by_kid(tmp_path, "alice", "bob")],
    ], [])
    # alice revoked: her signature no longer counts
    (tmp_path / "trust" / "revoked.toml").write_text(
        keys_toml + f'[[revoked]]\nkey_id = "{alice_id}"\nreason = "lost"\n')
    assert run("verify", signed, "--trust-store", "trust/revoked.toml") == (0, [
        "verified m.paramseal: 1 trusted signature(s), 1 required",
        "  Bob (release)  ecdsa-p256-sha256  <bob>",
    ], [])
    (tmp_path / "trust" / "revoked2.toml").write_text(
        "threshold = 2\n" + keys_toml + f'[[revoked]]\nkey_id = "{alice_id}"\n')
    assert run("verify", signed, "--trust-store", "trust/revoked2.toml") == (1, [], [
        "paramseal: error: signature verification failed: 1 valid signature(s) by trusted "
        "keys, 2 required"])
    # bob's window (the last [[key]] table) closed long ago
    (tmp_path / "trust" / "window.toml").write_text(
        keys_toml + "not_after = 2020-01-01T00:00:00Z\n")
    assert run("verify", signed, "--trust-store", "trust/window.toml") == (0, [
        "verified m.paramseal: 1 trusted signature(s), 1 required",
        "  Alice Liddell  ed25519  <alice>",
    ], [])
    # a store mistake: the store's path, the entry, what is wrong
    (tmp_path / "trust" / "naive.toml").write_text(
        keys_toml + "not_before = 2026-01-01T00:00:00\n")
    assert run("verify", signed, "--trust-store", "trust/naive.toml") == (1, [], [
        "paramseal: error: trust/naive.toml: key[1]: a date-time needs a time zone (…Z)"])
    assert run("verify", signed, "--trust-store", "trust/absent.toml") == (
        1, [], ["paramseal: error: no such file or directory: trust/absent.toml"])


# --------------------------------------------------------------------------------------------
# the real command


def test_python_m_paramseal_transcript(tmp_path) -> None:
    paramseal.dump({"x": [1, 2, 3]}, tmp_path / "m.paramseal")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))

    def sh(*argv: str) -> tuple[int, str, str]:
        proc = subprocess.run([sys.executable, "-m", "paramseal", *argv], cwd=tmp_path,
                              capture_output=True, text=True, env=env, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr

    rc, out, err = sh("keygen", "--out", "alice")
    key_id = out.split()[2]
    assert (rc, out, err) == (0, f"ed25519 key {key_id}\nprivate key: alice.key (mode 0600)\n"
                                 "public key:  alice.pub\n", "")
    assert sh("verify", "m.paramseal", "--trust", "alice.pub") == (
        1, "", "paramseal: error: signature verification failed: 0 valid signature(s) by "
               "trusted keys, 1 required\n")
    assert sh("sign", "m.paramseal", "--key", "alice.key") == (
        0, f"signed m.paramseal with ed25519 key {key_id}\n", "")
    assert sh("verify", "m.paramseal", "--trust", "alice.pub") == (
        0, f"verified m.paramseal: 1 trusted signature(s), 1 required\n"
           f"  alice  ed25519  {key_id}\n", "")
    assert paramseal.load(tmp_path / "m.paramseal",
                          policy=Policy.from_keys([tmp_path / "alice.pub"])) == {"x": [1, 2, 3]}


def test_verify_threshold_is_not_silently_ignored_with_a_trust_store(run, tmp_path, signed
                                                                     ) -> None:
    """`--threshold 2 --trust-store S` must not pass with one trusted signer: either the
    threshold applies, or the combination is refused; exit 0 would be a silent downgrade."""
    (tmp_path / "store.toml").write_text(
        '[[key]]\nname = "alice"\npublic_key = "alice.pub"\n'
        '[[key]]\nname = "carol"\npublic_key = "carol.pub"\n')
    rc, out, err = run("verify", signed, "--trust-store", "store.toml", "--threshold", "2")
    assert rc == 1, f"--threshold 2 was ignored: {out}"
    assert out == [] and len(err) == 1 and err[0].startswith("paramseal: error: ")
