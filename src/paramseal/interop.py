"""Export to OpenSSF model_signing (the ``model-signing`` package, "private key" method).

``export_model_signing(file, folder, key)`` writes the unpacked directory form of a paramseal
file (spec/format.md §7.4) and, inside that folder, ``model.sig``: a detached OpenSSF
model_signing v1.0 signature over every file of the folder, which ``model_signing verify key``
accepts with the matching public key. model_signing's key method takes ECDSA keys only, so the
key must be ECDSA P-256 (Ed25519 keys cannot produce a signature it verifies).

The bundle is built here with ``cryptography`` and ``json``; paramseal does not depend on
model-signing, sigstore or pyOpenSSL, and nothing goes to the network (no Fulcio, no Rekor).
Its layers, innermost first:

1. One resource per regular file of the folder, named by its relative POSIX path, with its plain
   SHA-256: ``{"algorithm": "sha256", "digest": <hex>, "name": <file>}``, sorted by name.
2. An in-toto Statement v1 ``{"_type": "https://in-toto.io/Statement/v1",
   "predicateType": "https://model_signing/signature/v1.0", "subject": [{"name": <folder name>,
   "digest": {"sha256": ROOT}}], "predicate": {"serialization": {"method": "files",
   "hash_type": "sha256", "allow_symlinks": false, "ignore_paths": [".git", ".gitattributes",
   ".github", ".gitignore", "model.sig"]}, "resources": [...]}}`` where ROOT is the SHA-256 of
   the raw resource digests concatenated in listed order. Serialized as compact JSON with sorted
   keys (UTF-8), so the same file gives the same statement bytes.
3. A DSSE envelope: payload type ``application/vnd.in-toto+json``, signature = ECDSA P-256 with
   SHA-256 (DER) over ``PAE = "DSSEv1 <len(type)> <type> <len(body)> " + body``.
4. A Sigstore bundle v0.3 (JSON) with ``verificationMaterial = {"publicKey": {"hint":
   hex(SHA-256(public key as PEM SubjectPublicKeyInfo))}, "tlogEntries": []}``: exactly what
   model_signing's own key signer writes.

``model.sig`` sits inside the folder and is listed in ``ignore_paths``, which model_signing
re-applies when it verifies; ``paramseal pack`` reads only the files it knows, so the folder
still packs back into the original file byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _io
from ._digest import SectionHasher
from ._header import parse_header
from .directory import SECTION_FILES, to_directory
from .errors import ContainerError, InvalidKeyError
from .keys import ECDSA_P256, PrivateKey

SIGNATURE_FILE = "model.sig"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
#: What model_signing leaves out by default (git metadata), plus the signature itself.
IGNORE_PATHS = (".git", ".gitattributes", ".github", ".gitignore", SIGNATURE_FILE)
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Export:
    """What :func:`export_model_signing` wrote."""

    folder: Path
    signature: Path
    #: ``(file name, SHA-256 hex)`` of every signed file, in the order of the statement.
    resources: tuple[tuple[str, str], ...]
    #: The statement's subject digest: SHA-256 of the raw resource digests, in order.
    root_digest: str
    key_id: str


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding of ``body``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def root_digest(resources: Sequence[tuple[str, str]]) -> str:
    """SHA-256 (hex) of the raw resource digests concatenated in order: the subject digest."""
    return hashlib.sha256(b"".join(bytes.fromhex(digest) for _, digest in resources)).hexdigest()


def statement(name: str, resources: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The in-toto statement (model_signing predicate v1.0) over ``(name, sha256 hex)`` pairs."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": root_digest(resources)}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "serialization": {
                "method": "files",
                "hash_type": "sha256",
                "allow_symlinks": False,
                "ignore_paths": list(IGNORE_PATHS),
            },
            "resources": [
                {"name": file, "algorithm": "sha256", "digest": digest}
                for file, digest in resources
            ],
        },
    }


def bundle(statement_json: bytes, key: PrivateKey) -> bytes:
    """The Sigstore bundle (JSON bytes) carrying ``statement_json`` signed by ``key``."""
    _require_ecdsa(key)
    signature = key.sign(pae(PAYLOAD_TYPE, statement_json))
    hint = hashlib.sha256(key.public_key.to_pem()).hexdigest()
    document = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(statement_json).decode("ascii"),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(signature).decode("ascii"), "keyid": ""}],
        },
    }
    return json.dumps(document, separators=(",", ":")).encode("ascii")


def export_model_signing(source: Any, folder: str | os.PathLike[str],
                         key: PrivateKey) -> Export:
    """Unpack ``source`` into ``folder`` (new or empty) and sign it for model_signing.

    The section files are checked against the header's digests as they are hashed, so a
    damaged file is never signed. On any failure the folder is removed again (or emptied,
    if it existed).
    """
    _require_ecdsa(key)
    target = Path(folder)
    existed = target.exists()
    to_directory(source, target)
    try:
        resources = _hash_folder(target)
        name = target.name or target.resolve().name
        body = json.dumps(statement(name, resources), sort_keys=True,
                          separators=(",", ":")).encode("utf-8")
        signature_path = target / SIGNATURE_FILE
        _io.write_chunks(signature_path, [bundle(body, key)])
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        if existed:
            target.mkdir(exist_ok=True)
        raise
    return Export(folder=target, signature=signature_path, resources=tuple(resources),
                  root_digest=root_digest(resources), key_id=key.key_id)


def _require_ecdsa(key: PrivateKey) -> None:
    if key.algorithm != ECDSA_P256:
        error = InvalidKeyError(
            f"model_signing's private-key method needs an ECDSA key (P-256 here), "
            f"found an {key.algorithm} key"
        )
        error.hint = "create one with: paramseal keygen --algorithm ecdsa-p256 --out NAME"
        raise error


def _hash_folder(folder: Path) -> list[tuple[str, str]]:
    """``(name, sha256 hex)`` of every file, sorted; section files must match the header."""
    expected = {
        SECTION_FILES[s.name]: (s.name, s.sha256)
        for s in parse_header((folder / "header.msgpack").read_bytes()).sections
    }
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    resources = []
    for entry in entries:
        if entry.name in IGNORE_PATHS:
            continue
        if not stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
            raise ContainerError(f"{entry.path} is not a regular file")
        plain = hashlib.sha256()
        section = SectionHasher()
        with open(entry.path, "rb") as f:
            while chunk := f.read(_READ_CHUNK):
                plain.update(chunk)
                if entry.name in expected:
                    section.update(chunk)
        if entry.name in expected:
            section_name, digest = expected.pop(entry.name)
            if section.digest() != digest:
                raise ContainerError(f"section {section_name!r} does not match its digest")
        resources.append((entry.name, plain.hexdigest()))
    if expected:
        raise ContainerError(f"section files missing: {sorted(expected)}")
    return resources
