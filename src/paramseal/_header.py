"""The header and the signature block (spec/format.md §3).

The header is the signed part of a file: a canonical msgpack map with a fixed set of keys. It
commits to every section by offset, length and SHA-256. Every field of it is public, even in an
encrypted file, so it names nothing about the model beyond what §3.2 lists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from . import _canonical
from .errors import LimitError, SchemaError

#: Names of sections, in the only orders §2.3 allows.
PLAIN_SECTIONS = ("schema", "params")
ENCRYPTED_SECTIONS = ("payload",)

SIGNATURE_ALGORITHMS = ("ed25519", "ecdsa-p256-sha256")

_HEADER_KEYS = frozenset(
    {
        "annotations", "created", "encryption", "expires", "model", "producer", "root",
        "sections", "signers",
    }
)
_SECTION_KEYS = frozenset({"length", "name", "offset", "sha256"})
_SIGNATURE_KEYS = frozenset({"alg", "kid", "sig"})
_MAX_TEXT = 1024
_MAX_ENTRIES = 64
_MAX_SIGNATURE_BYTES = 512
_INT64_MAX = 2**63 - 1


@dataclasses.dataclass(frozen=True, slots=True)
class Section:
    """One section: where it lies, relative to the start of the data area, and its digest."""

    name: str
    offset: int
    length: int
    sha256: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class Header:
    """The parsed, validated header. Build one with :func:`parse_header` or directly."""

    sections: tuple[Section, ...]
    producer: Mapping[str, str]
    root: str | None = None
    created: int | None = None
    expires: int | None = None
    model: tuple[str, int] | None = None
    encryption: str | None = None
    annotations: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: Only in the inner file of an encrypted one (§3.5): the key IDs whose signature on the
    #: outer file binds it. Nil everywhere else.
    signers: tuple[bytes, ...] | None = None

    def to_msgpack(self) -> bytes:
        """The canonical encoding: the exact bytes that signatures cover."""
        value: dict[str, Any] = {
            "annotations": _canonical.sorted_map(dict(self.annotations)),
            "created": self.created,
            "encryption": None if self.encryption is None else {"scheme": self.encryption},
            "expires": self.expires,
            "model": None if self.model is None else {"name": self.model[0], "seq": self.model[1]},
            "producer": _canonical.sorted_map(dict(self.producer)),
            "root": self.root,
            "sections": [
                {"length": s.length, "name": s.name, "offset": s.offset, "sha256": s.sha256}
                for s in self.sections
            ],
            "signers": None if self.signers is None else list(self.signers),
        }
        return _canonical.encode(value)


@dataclasses.dataclass(frozen=True, slots=True)
class Signature:
    """One entry of the signature block. Unverified until §7 says otherwise."""

    alg: str
    kid: bytes
    sig: bytes


def _fail(message: str, path: str) -> SchemaError:
    return SchemaError(f"header: {message}", path=path)


def _map(
    value: Any, keys: frozenset[str], path: str, *, required: frozenset[str]
) -> dict[str, Any]:
    if type(value) is not dict:
        raise _fail(f"expected a map, found {type(value).__name__}", path)
    _canonical.check_sorted_keys(value, path)
    unknown = value.keys() - keys
    if unknown:
        raise _fail(f"unknown key {sorted(unknown)[0]!r:.60}", path)
    missing = required - value.keys()
    if missing:
        raise _fail(f"missing key {sorted(missing)[0]!r}", path)
    return value


def _text(value: Any, path: str) -> str:
    if type(value) is not str or not value or len(value) > _MAX_TEXT:
        raise _fail(f"expected a non-empty string of at most {_MAX_TEXT} characters", path)
    return value


def _uint(value: Any, path: str) -> int:
    if type(value) is not int or not 0 <= value <= _INT64_MAX:
        raise _fail("expected an integer in [0, 2**63)", path)
    return value


def _optional_uint(value: Any, path: str) -> int | None:
    return None if value is None else _uint(value, path)


def _text_map(value: Any, path: str) -> dict[str, str]:
    if type(value) is not dict:
        raise _fail("expected a map of strings", path)
    result: dict[str, str] = value
    if len(value) > _MAX_ENTRIES:
        raise _fail(f"more than {_MAX_ENTRIES} entries", path)
    _canonical.check_sorted_keys(value, path)
    for key, item in value.items():
        _text(key, path)
        _text(item, f"{path}.{key}")
    return result


def parse_header(data: bytes | memoryview) -> Header:
    """Decode and validate the header bytes (already bounded by the container parser)."""
    value = _canonical.decode(data, what="header")
    top = _map(value, _HEADER_KEYS, "$", required=_HEADER_KEYS)

    raw_sections = top["sections"]
    if type(raw_sections) is not list or not raw_sections:
        raise _fail("expected a non-empty array", "$.sections")
    names = tuple(
        _text(_map(s, _SECTION_KEYS, f"$.sections[{i}]", required=_SECTION_KEYS)["name"],
              f"$.sections[{i}].name")
        for i, s in enumerate(raw_sections)
    )
    encryption = top["encryption"]
    expected_names: tuple[str, ...]
    if encryption is None:
        expected_names = PLAIN_SECTIONS
    else:
        scheme_keys = frozenset({"scheme"})
        enc = _map(encryption, scheme_keys, "$.encryption", required=scheme_keys)
        if enc["scheme"] != "age-v1":
            scheme = enc["scheme"]
            raise _fail(f"unknown encryption scheme {scheme!r:.40}", "$.encryption.scheme")
        expected_names = ENCRYPTED_SECTIONS
    root = top["root"]
    if encryption is not None and root is not None:
        raise _fail("an encrypted file does not name its root type", "$.root")
    if encryption is None:
        _text(root, "$.root")
    if names != expected_names:
        raise _fail(f"sections must be {list(expected_names)}, found {list(names)!r:.80}",
                    "$.sections")
    sections = []
    for i, raw in enumerate(raw_sections):
        digest = raw["sha256"]
        if type(digest) is not bytes or len(digest) != 32:
            raise _fail("expected 32 bytes", f"$.sections[{i}].sha256")
        sections.append(
            Section(
                name=raw["name"],
                offset=_uint(raw["offset"], f"$.sections[{i}].offset"),
                length=_uint(raw["length"], f"$.sections[{i}].length"),
                sha256=digest,
            )
        )

    model = top["model"]
    if model is not None:
        keys = frozenset({"name", "seq"})
        model_map = _map(model, keys, "$.model", required=keys)
        model = (
            _text(model_map["name"], "$.model.name"),
            _uint(model_map["seq"], "$.model.seq"),
        )


    signers = top["signers"]
    if signers is not None:
        if type(signers) is not list or not 0 < len(signers) <= _MAX_ENTRIES:
            raise _fail(f"expected 1 to {_MAX_ENTRIES} key IDs", "$.signers")
        for i, kid in enumerate(signers):
            if type(kid) is not bytes or len(kid) != 32:
                raise _fail("expected a 32-byte key ID", f"$.signers[{i}]")
        if signers != sorted(set(signers)):
            raise _fail("key IDs must be sorted and distinct", "$.signers")
        signers = tuple(signers)

    annotations = _text_map(top["annotations"], "$.annotations")
    if encryption is not None:
        # the outer header is public and says nothing about the model (§3.5); signers name
        # the outer file's signers inside the ciphertext, never beside it
        if annotations:
            raise _fail("an encrypted file's annotations are in its inner file",
                        "$.annotations")
        if signers is not None:
            raise _fail("an encrypted file names its signers in its inner file", "$.signers")

    return Header(
        signers=signers,
        sections=tuple(sections),
        producer=_text_map(top["producer"], "$.producer"),
        root=root,
        created=_optional_uint(top["created"], "$.created"),
        expires=_optional_uint(top["expires"], "$.expires"),
        model=model,
        encryption=None if encryption is None else "age-v1",
        annotations=annotations,
    )


def encode_signatures(signatures: tuple[Signature, ...]) -> bytes:
    ordered = sorted(signatures, key=lambda s: s.kid)
    return _canonical.encode([{"alg": s.alg, "kid": s.kid, "sig": s.sig} for s in ordered])


def parse_signatures(data: bytes | memoryview, *, max_signatures: int) -> tuple[Signature, ...]:
    """Decode the signature block: structure only; nothing here is verified."""
    value = _canonical.decode(data, what="signature block")
    if type(value) is not list:
        raise SchemaError("signature block: expected an array", path="$")
    if len(value) > max_signatures:
        raise LimitError(f"signature block holds {len(value)} signatures, above the limit "
                         f"{max_signatures}")
    signatures: list[Signature] = []
    for i, raw in enumerate(value):
        path = f"$[{i}]"
        if type(raw) is not dict:
            raise SchemaError("signature block: expected a map", path=path)
        _canonical.check_sorted_keys(raw, path)
        if raw.keys() != _SIGNATURE_KEYS:
            raise SchemaError("signature block: keys must be alg, kid, sig", path=path)
        if raw["alg"] not in SIGNATURE_ALGORITHMS:
            raise SchemaError(f"signature block: unknown algorithm {raw['alg']!r:.40}", path=path)
        if type(raw["kid"]) is not bytes or len(raw["kid"]) != 32:
            raise SchemaError("signature block: kid must be 32 bytes", path=path)
        if type(raw["sig"]) is not bytes or not 0 < len(raw["sig"]) <= _MAX_SIGNATURE_BYTES:
            raise SchemaError("signature block: bad signature length", path=path)
        if signatures and raw["kid"] <= signatures[-1].kid:
            raise SchemaError("signature block: entries must be sorted by distinct kid", path=path)
        signatures.append(Signature(alg=raw["alg"], kid=raw["kid"], sig=raw["sig"]))
    return tuple(signatures)
