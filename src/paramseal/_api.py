"""dump, dumps, load, loads, inspect: the load procedure of spec/format.md §7, step by step."""

from __future__ import annotations

import dataclasses
import datetime
import io
import os
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from . import _age, _container, _digest, _io, _params, _remote, _versions, encryption, signing
from . import limits as _limits
from ._header import Header, Section, Signature
from ._schema import Decoder, Encoder
from .errors import ContainerError, VerificationError
from .keys import PrivateKey
from .policy import Policy, TrustedKey
from .registry import Registry, default_registry

__version__ = "0.1.0"


def _producer() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn

    return {
        "numpy": numpy.__version__,
        "paramseal": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
    }


def _root_tag(root: Any) -> str:
    if type(root) is dict:
        return str(root["@"])
    return {type(None): "nil", bool: "bool", int: "int", float: "float", str: "str",
            bytes: "bytes", list: "list"}[type(root)]


Signers = PrivateKey | Sequence[PrivateKey] | None
#: ``AGE-SECRET-KEY-1…`` strings or paths of age identity files.
Identities = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
Expiry = datetime.datetime | datetime.timedelta | None


def _build(
    obj: Any,
    *,
    annotations: Mapping[str, str] | None,
    registry: Registry | None,
    sign: Signers = None,
    expires: Expiry = None,
    recipients: Sequence[str] | None = None,
    passphrase: str | bytes | None = None,
    compress: bool = False,
) -> list[bytes | memoryview]:
    encoder = Encoder(registry or default_registry(), compress=compress)
    root = encoder.encode(obj, "$")
    schema, arrays = encoder.finish(root)
    # §5.4: a file with a compressed tensor is format 1.1; every other file stays 1.0.
    minor = 1 if encoder.compressor is not None and encoder.compressor.count else 0
    params_chunks = _params.build(arrays)

    params_hash = _digest.SectionHasher()
    params_length = 0
    for chunk in params_chunks:
        params_hash.update(chunk)
        params_length += len(chunk) if isinstance(chunk, bytes) else chunk.nbytes
    table = _container.section_table([
        ("schema", len(schema), _digest.section_digest(schema)),
        ("params", params_length, params_hash.digest()),
    ])
    header = Header(
        sections=tuple(Section(name, off, length, digest) for name, off, length, digest in table),
        producer=_producer(),
        root=_root_tag(root),
        annotations=dict(annotations or {}),
    )
    keys = [sign] if isinstance(sign, PrivateKey) else list(sign or ())
    padding = bytes(_container.align(len(schema)) - len(schema))
    if recipients is not None or passphrase is not None:
        # §3.5: the inner file names its intended signers and is never signed itself; the
        # outer file carries only public fields and is signed over the ciphertext.
        header, payload = encryption.seal(header, [schema, padding, *params_chunks],
                                          signer_keys=keys, recipients=recipients,
                                          passphrase=passphrase, minor=minor)
        minor = 0  # the outer file uses no 1.1 feature itself
        body: list[bytes | memoryview] = list(payload)
    else:
        body = [schema, padding, *params_chunks]
    if keys or expires is not None:
        # A signature is a statement made at a time: signed files say when (for max_age).
        now = int(time.time())
        header = dataclasses.replace(header, created=now if keys else None,
                                     expires=_expiry(expires, now))
    header_bytes = header.to_msgpack()
    head, _ = _container.layout(header, signing.sign_header(header_bytes, keys, minor=minor),
                                header_bytes=header_bytes, minor=minor)
    return [head, *body]


def _expiry(expires: Expiry, now: int) -> int | None:
    if expires is None:
        return None
    if isinstance(expires, datetime.timedelta):
        return now + int(expires.total_seconds())
    if expires.tzinfo is None:
        raise ValueError("expires must be an aware datetime (with a time zone) or a timedelta")
    return int(expires.timestamp())


def dump(
    obj: Any,
    file: _io.Source,
    *,
    sign: Signers = None,
    expires: Expiry = None,
    recipients: Sequence[str] | None = None,
    passphrase: str | bytes | None = None,
    annotations: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    compress: bool = False,
    storage_options: Mapping[str, Any] | None = None,
) -> None:
    """Write ``obj`` to ``file``: a path (written atomically), a binary file object, or an
    fsspec URL (``s3://…``, ``memory://…``; one PUT; ``storage_options`` go to fsspec and
    need the ``remote`` extra).

    ``sign`` takes a :class:`~paramseal.keys.PrivateKey` (or several): the file is signed, and
    records when. ``expires`` (an aware datetime, or a timedelta from now) is the moment after
    which readers with a trust policy refuse it. ``recipients`` (``age1…`` public keys) or a
    ``passphrase`` encrypt the file (age v1): only the holders of a matching identity or the
    passphrase can load it, while anyone can still verify its signatures. ``compress=True``
    stores each tensor as a zstd frame (level 3) where that saves at least 10 %, and needs the
    ``compress`` extra (``pip install 'paramseal[compress]'``); such a file is format 1.1 and
    its compressed arrays load as copies rather than zero-copy views. Raises
    :class:`~paramseal.errors.UnsupportedTypeError`, naming the type and its path in the
    object, for anything the registry cannot write; nothing is ever pickled.
    """
    chunks = _build(obj, annotations=annotations, registry=registry, sign=sign,
                    expires=expires, recipients=recipients, passphrase=passphrase,
                    compress=compress)
    if _remote.is_url(file):
        backend, key = _remote.split(file, storage_options)  # type: ignore[arg-type]
        _remote.put(backend, key, chunks)
        return
    _io.write_chunks(_remote.local(file), chunks)


def dumps(
    obj: Any,
    *,
    sign: Signers = None,
    expires: Expiry = None,
    recipients: Sequence[str] | None = None,
    passphrase: str | bytes | None = None,
    annotations: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    compress: bool = False,
) -> bytes:
    """Return the bytes :func:`dump` would write."""
    out = io.BytesIO()
    _io.write_chunks(out, _build(obj, annotations=annotations, registry=registry, sign=sign,
                                 expires=expires, recipients=recipients, passphrase=passphrase,
                                 compress=compress))
    return out.getvalue()


def load(
    file: _io.Source,
    *,
    mmap: bool = True,
    policy: Policy | None = None,
    identities: Identities = None,
    passphrase: str | bytes | None = None,
    check_digests: bool = False,
    strict_versions: bool = False,
    limits: _limits.Limits | None = None,
    registry: Registry | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Any:
    """Read an object written by :func:`dump`, from a path, a binary file object or an fsspec
    URL (``storage_options`` go to fsspec). From a URL, the signed part of the file is read
    and checked against ``policy`` before the rest is downloaded (spec §10.1).

    With ``mmap=True`` (the default) arrays are read-only, zero-copy views of the file;
    ``mmap=False`` copies the file into memory and gives writable arrays. ``check_digests``
    also checks every section against the SHA-256 the header commits to. With a ``policy``,
    the file must carry valid signatures by enough trusted keys, be within its dates and match
    its digests, or :class:`~paramseal.errors.VerificationError` is raised before anything
    beyond the header is parsed. An encrypted file needs ``identities`` (``AGE-SECRET-KEY-1…``
    strings, or paths of identity files) or its ``passphrase``; it is decrypted into private
    memory (after the policy check, which needs no key). A file written under
    another scikit-learn minor version gives a :class:`~paramseal.errors.VersionWarning`, or
    with ``strict_versions=True`` a :class:`~paramseal.errors.VersionMismatchError`.
    """
    limits = limits or _limits.DEFAULT
    # (1) Read at most limits.max_file_bytes: map the file, or copy it; a remote file comes
    #     signed part first, and only if the policy accepts that part does the rest (§10.1).
    if _remote.is_url(file):
        backend, key = _remote.split(file, storage_options)  # type: ignore[arg-type]
        fetched = _remote.fetch(backend, key, policy=policy, limits=limits)
        buffer = fetched if not mmap else fetched.toreadonly()
    else:
        buffer = _io.read_buffer(_remote.local(file), use_mmap=mmap, limits=limits)
    return _load_buffer(buffer, policy=policy, identities=identities, passphrase=passphrase,
                        writable=not mmap, check_digests=check_digests,
                        strict_versions=strict_versions, limits=limits, registry=registry)


def loads(
    data: bytes | bytearray | memoryview,
    *,
    policy: Policy | None = None,
    identities: Identities = None,
    passphrase: str | bytes | None = None,
    check_digests: bool = False,
    strict_versions: bool = False,
    limits: _limits.Limits | None = None,
    registry: Registry | None = None,
) -> Any:
    """Read an object from bytes; arrays are views of ``data`` (read-only for ``bytes``)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("loads() takes bytes; use load() for paths and file objects")
    return _load_buffer(
        memoryview(data).cast("B"),
        policy=policy,
        identities=identities,
        passphrase=passphrase,
        writable=isinstance(data, bytearray),
        check_digests=check_digests,
        strict_versions=strict_versions,
        limits=limits or _limits.DEFAULT,
        registry=registry,
    )


def load_many(
    sources: Iterable[Any],
    *,
    max_workers: int | None = None,
    **options: Any,
) -> list[Any]:
    """:func:`load` each of ``sources`` (paths, file objects, URLs) in a thread pool of
    ``max_workers``; the results are in the order of ``sources``. ``options`` go to every
    :func:`load`. The first failure is raised after the loads already started have finished.

    Threads overlap the waiting of remote transfers; decoding holds the interpreter lock, so
    local files gain nothing from them (bench/store.py): by default remote sources use 8
    workers and local ones load one after the other."""
    import concurrent.futures

    items = list(sources)
    if not items:
        return []
    if max_workers is None:
        max_workers = 8 if any(_remote.is_url(s) for s in items) else 1
    if max_workers <= 1 or len(items) == 1:
        return [load(item, **options) for item in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        futures = [pool.submit(load, item, **options) for item in items]
        return [future.result() for future in futures]


def _load_buffer(
    buffer: memoryview,
    *,
    policy: Policy | None,
    identities: Identities,
    passphrase: str | bytes | None,
    writable: bool,
    check_digests: bool,
    strict_versions: bool,
    limits: _limits.Limits,
    registry: Registry | None,
    digests_checked: bool = False,
) -> Any:
    """The load procedure from step 2. ``digests_checked``: the caller has just checked the
    sections of this immutable buffer against the header's digests (a store pull, §10.5), so
    the policy step checks signatures and dates only."""
    # (2) The container: prelude, header, signature block, section layout (§2, §3).
    container = _container.parse(buffer, limits)
    header = container.header
    if header.encryption is None and header.signers is not None and container.signatures:
        # signers belong to the inner file of an encrypted one, which is never signed itself
        # (taken out raw, it loads unsigned): on a signed file they are claims nothing binds
        raise ContainerError("a signed file that is not encrypted names intended signers "
                             "(§3.5): only the inner file of an encrypted one does")
    # (3) Signatures and trust policy (§3.4), then every section's digest (§3.3), before
    #     anything below reads a section; without a policy the file is merely well formed.
    signers: tuple[TrustedKey, ...] = ()
    if policy is not None:
        signers = (signing.verify_head(container, policy) if digests_checked
                   else signing.verify_container(container, policy))
    elif check_digests and not digests_checked:
        _container.check_digests(container)
    # (4) An encrypted file (§3.5): decrypt the payload, parse the inner file from step 2 on,
    #     and bind the outer signers to the ones the encrypted content names.
    if container.header.encryption is not None:
        # ciphertext pages of a mapping go as they are decrypted: the peak stays near the
        # plaintext size, not twice it
        payload_start = _container.data_start(buffer) + container.header.sections[0].offset

        def release(consumed: int) -> None:
            _io.release(buffer, payload_start, payload_start + consumed)

        container = _decrypt(container, identities, passphrase, writable, limits, release)
        if policy is not None:
            named = set(container.header.signers or ())
            if sum(s.key.kid in named for s in signers) < policy.threshold:
                raise VerificationError(
                    "the encrypted content does not name enough of the file's trusted signers")
        if check_digests or policy is not None:
            _container.check_digests(container)
    # (5) The params section: tensor table and layout, no data read (§5).
    params = _params.parse(container.sections["params"], limits)
    # (6) The schema, rebuilt node by node through the registry (§4, §6); before the first
    #     scikit-learn object, the file's scikit-learn version is compared with ours.
    check = _versions.sklearn_check(container.header.producer, strict=strict_versions)
    decoder = Decoder(registry or default_registry(), params, limits, on_sklearn=check,
                      minor=container.minor)
    return decoder.decode_root(container.sections["schema"])


def _decrypt(
    outer: _container.Container,
    identities: Identities,
    passphrase: str | bytes | None,
    writable: bool,
    limits: _limits.Limits,
    release: Callable[[int], None] | None = None,
) -> _container.Container:
    view = memoryview(encryption.decrypt_payload(outer, identities, passphrase, limits,
                                                 release))
    return encryption.open_inner(view if writable else view.toreadonly(), limits)


@dataclasses.dataclass(frozen=True)
class Inspection:
    """What :func:`inspect` reports. Nothing in it is verified or rebuilt."""

    format_version: str
    header: Header
    signatures: tuple[Signature, ...]
    tree: Any
    tensors: tuple[_params.TensorInfo, ...]
    file_size: int
    #: For an encrypted file: what its age header says without a key (stanza kinds and counts,
    #: the scrypt work factor, the plaintext size).
    encrypted: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        h = self.header
        return {
            "encrypted": self.encrypted,
            "format_version": self.format_version,
            "file_size": self.file_size,
            "root": h.root,
            "producer": dict(h.producer),
            "created": h.created,
            "expires": h.expires,
            "model": None if h.model is None else {"name": h.model[0], "seq": h.model[1]},
            "encryption": h.encryption,
            "annotations": dict(h.annotations),
            "sections": [
                {"name": s.name, "offset": s.offset, "length": s.length, "sha256": s.sha256.hex()}
                for s in h.sections
            ],
            "signatures": [
                {"alg": s.alg, "key_id": "sha256:" + s.kid.hex(), "status": "unverified"}
                for s in self.signatures
            ],
            "tree": self.tree,
            "tensors": [
                {"index": i, "dtype": t.code, "shape": list(t.shape), "bytes": t.end - t.start}
                for i, t in enumerate(self.tensors)
            ],
        }


def inspect(file: _io.Source | bytes, *, limits: _limits.Limits | None = None,
            storage_options: Mapping[str, Any] | None = None) -> Inspection:
    """Describe a file (bytes, a path, a file object or an fsspec URL) without rebuilding
    anything (and without importing scikit-learn)."""
    from ._describe import describe_schema

    limits = limits or _limits.DEFAULT
    if isinstance(file, (bytes, bytearray, memoryview)):
        buffer = memoryview(file).cast("B")
    elif _remote.is_url(file):
        backend, key = _remote.split(file, storage_options)  # type: ignore[arg-type]
        buffer = _remote.fetch(backend, key, policy=None, limits=limits)
    else:
        buffer = _io.read_buffer(_remote.local(file), use_mmap=True, limits=limits)
    container = _container.parse(buffer, limits)
    tree: Any = None
    tensors: tuple[_params.TensorInfo, ...] = ()
    encrypted = None
    if container.header.encryption is None:
        params = _params.parse(container.sections["params"], limits)
        tensors = tuple(params.tensors)
        tree = describe_schema(container.sections["schema"], tensors, limits)
    else:
        info = _age.header_info(container.sections["payload"])
        encrypted = {"recipients": info.stanza_counts, "scrypt_log_n": info.scrypt_log_n,
                     "plaintext_bytes": info.plaintext_size}
    major = _container.FORMAT_MAJOR
    return Inspection(
        format_version=f"{major}.{container.minor}",
        header=container.header,
        signatures=container.signatures,
        tree=tree,
        tensors=tensors,
        file_size=len(buffer),
        encrypted=encrypted,
    )
