"""A versioned model store with a signed, hash-chained audit log (spec/format.md §10.2 to §10.5).

    store = paramseal.Store("s3://models/team", key=PrivateKey.load("me.key"))
    v = store.push(model, "churn", tags=["staging"])       # a new version, signed
    store.tag("churn", v, "prod")                           # promote; tagging back = rollback
    model = store.pull("churn", tag="prod", policy=policy)  # verified, rollback-protected

Everything in a store is written once and never changed (create-only writes): model files as
blobs named by their SHA-256, and per model an audit log whose entries each sign the hash of
the one before. Versions and tags are not stored anywhere else: they are what the verified
log says, so concurrent pushers cannot lose or duplicate a version (the first to create log
position ``n`` wins it; the others read the log again and take ``n + 1``).

This client remembers, in its state file, the last log entry and the highest version it
accepted for each model: a log cut short, or a pull of an older version, is refused unless
the caller asks for the rollback.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _api, _canonical, _container, _io, _remote, _storage, signing
from . import limits as _limits
from .cache import Cache
from .errors import ParamsealError, SchemaError, StorageError, VerificationError
from .keys import PrivateKey, PublicKey
from .policy import Policy

LOG_TYPE = "application/vnd.paramseal.log.v1+msgpack"
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}\Z")
TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
#: Bytes of one stored log entry: a few hundred in practice.
MAX_ENTRY_BYTES = 64 * 1024
MAX_TAGS = 64
#: Entries of one log: far beyond any real history, and a bound on what a hostile store makes
#: a client read.
MAX_LOG_ENTRIES = 1_000_000
#: Attempts at a log position before a push or tag gives up (each lost race is one attempt).
MAX_ATTEMPTS = 64
_ZERO = bytes(32)
_ENTRY_FIELDS = {"push": {"action", "blob", "head", "model", "prev", "seq", "size", "tags",
                          "time", "version"},
                 "tag": {"action", "model", "prev", "seq", "tags", "time", "version"}}


@dataclasses.dataclass(frozen=True, slots=True)
class LogEntry:
    """One verified entry of a model's audit log."""

    seq: int
    action: str  # "push" or "tag"
    model: str
    version: int
    tags: tuple[str, ...]
    time: int
    actor: PublicKey
    #: push only: the SHA-256 and length of the model file, and the SHA-256 of its signed
    #: part (the bytes before its data area), which with the header's section digests pins
    #: the file without hashing it whole.
    blob: bytes | None
    size: int | None
    head: bytes | None
    #: SHA-256 of the stored entry: the next entry's ``prev``.
    digest: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class Version:
    """A version of a model, as the verified log describes it."""

    number: int
    blob: str  # hex SHA-256 of the file
    size: int
    tags: tuple[str, ...]
    pushed: int  # the actor's clock, Unix seconds
    actor: str  # key ID


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(f"model name {name!r:.80} must match {NAME.pattern[:-2]}")
    return name


def _check_tag(tag: str) -> str:
    if not isinstance(tag, str) or not TAG.match(tag):
        raise ValueError(f"tag {tag!r:.80} must match {TAG.pattern[:-2]}")
    return tag


def _log_key(name: str, seq: int) -> str:
    return f"models/{name}/log/{seq:012d}"


def _blob_key(digest: bytes) -> str:
    return f"blobs/sha256/{digest.hex()}"


def encode_entry(fields: Mapping[str, Any], key: PrivateKey) -> bytes:
    """The stored bytes of a log entry (§10.3): the entry, signed by ``key``."""
    entry = _canonical.encode(_canonical.sorted_map(dict(fields)))
    signature = key.sign(signing.dsse_pae(LOG_TYPE, entry))
    return _canonical.encode({"alg": key.algorithm, "entry": entry,
                              "key": key.public_key.to_der(), "sig": signature})


def decode_entry(data: bytes, *, name: str, seq: int, prev: bytes) -> LogEntry:
    """Check one stored entry against its position and predecessor (§10.3)."""
    where = f"log entry {seq} of {name!r}"
    if len(data) > MAX_ENTRY_BYTES:
        raise VerificationError(f"{where} is larger than {MAX_ENTRY_BYTES} bytes")
    try:
        outer = _canonical.decode(data, what=where, max_values=64)
        if type(outer) is not dict or list(outer) != ["alg", "entry", "key", "sig"]:
            raise VerificationError(f"{where} is not a signed entry")
        alg, raw, der, sig = outer["alg"], outer["entry"], outer["key"], outer["sig"]
        if not (type(raw) is type(der) is type(sig) is bytes) or type(alg) is not str:
            raise VerificationError(f"{where} is not a signed entry")
        actor = PublicKey.from_der(der)
        if actor.algorithm != alg or not actor.verify(sig, signing.dsse_pae(LOG_TYPE, raw)):
            raise VerificationError(f"{where}: the signature does not verify")
        entry = _canonical.decode(raw, what=where, max_values=2 * MAX_TAGS + 64)
    except (SchemaError, ParamsealError) as exc:
        if isinstance(exc, VerificationError):
            raise
        raise VerificationError(f"{where} is malformed: {exc}") from None
    action = entry.get("action") if type(entry) is dict else None
    if action not in _ENTRY_FIELDS or set(entry) != _ENTRY_FIELDS[action] or list(
            entry) != sorted(entry):
        raise VerificationError(f"{where} does not have the fields of an entry")
    if entry["seq"] != seq or type(entry["seq"]) is not int:
        raise VerificationError(f"{where} says it is entry {entry['seq']!r:.20}")
    if entry["prev"] != prev:
        raise VerificationError(f"{where} does not follow the entry before it (hash chain)")
    if entry["model"] != name:
        raise VerificationError(f"{where} belongs to model {entry['model']!r:.80}")
    tags = entry["tags"]
    if (type(tags) is not list or len(tags) > MAX_TAGS or len(set(tags)) != len(tags)
            or not all(type(t) is str and TAG.match(t) for t in tags)):
        raise VerificationError(f"{where} has invalid tags")
    version, stamp = entry["version"], entry["time"]
    if type(version) is not int or version < 1 or type(stamp) is not int:
        raise VerificationError(f"{where} has an invalid version or time")
    blob = size = head = None
    if action == "push":
        blob, size, head = entry["blob"], entry["size"], entry["head"]
        if (type(blob) is not bytes or len(blob) != 32 or type(head) is not bytes
                or len(head) != 32 or type(size) is not int or size < 0):
            raise VerificationError(f"{where} has an invalid blob")
    elif not tags:
        raise VerificationError(f"{where} moves no tag")
    return LogEntry(seq, action, name, version, tuple(tags), stamp, actor, blob, size, head,
                    hashlib.sha256(data).digest())


@dataclasses.dataclass
class _Log:
    """The verified entries of one model and what they add up to."""

    entries: list[LogEntry] = dataclasses.field(default_factory=list)
    versions: dict[int, LogEntry] = dataclasses.field(default_factory=dict)
    tags: dict[str, int] = dataclasses.field(default_factory=dict)
    #: The entry that last moved each tag: who is answerable for where it points.
    tagged_by: dict[str, LogEntry] = dataclasses.field(default_factory=dict)

    @property
    def head(self) -> bytes:
        return self.entries[-1].digest if self.entries else _ZERO

    def add(self, entry: LogEntry) -> None:
        where = f"log entry {entry.seq} of {entry.model!r}"
        if entry.action == "push":
            if entry.version != len(self.versions) + 1:
                raise VerificationError(f"{where} adds version {entry.version}, expected "
                                        f"{len(self.versions) + 1}")
            self.versions[entry.version] = entry
        elif entry.version not in self.versions:
            raise VerificationError(f"{where} tags version {entry.version}, which does not exist")
        for tag in entry.tags:
            self.tags[tag] = entry.version
            self.tagged_by[tag] = entry
        self.entries.append(entry)


class _State:
    """What this client accepted, per store and model: the last log entry it verified (position
    and hash) and the highest version it pulled. One JSON file, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            try:
                with open(self.path, "rb") as f:
                    self._data = json.loads(_io.read_bounded(f, 64 << 20))
            except FileNotFoundError:
                self._data = {}
            except (ValueError, OSError) as exc:
                raise StorageError(f"cannot read the store state {self.path}: {exc}") from exc
        return self._data

    def get(self, store: str, name: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._load().get(store, {}).get(name, {}))

    def update(self, store: str, name: str, **values: Any) -> None:
        with self._lock:
            self._data = None  # other processes may have written since
            data = self._load()
            record = data.setdefault(store, {}).setdefault(name, {})
            if all(record.get(k) == v for k, v in values.items()):
                return
            record.update(values)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _io.write_chunks(self.path, [json.dumps(data, sort_keys=True).encode()], mode=0o600)


def default_state_path() -> Path:
    """``$PARAMSEAL_STATE``, else ``$XDG_STATE_HOME/paramseal/stores.json`` (by default under
    ``~/.local/state``)."""
    explicit = os.environ.get("PARAMSEAL_STATE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return Path(base) / "paramseal" / "stores.json"


class Store:
    """A model store at a folder or URL (spec §10).

    ``key`` signs the log entries of this client's changes (the actor); pushes also sign the
    model file with it unless ``push(..., sign=...)`` says otherwise. Reading needs no key.
    ``state`` is this client's memory for rollback protection (default
    :func:`default_state_path`); ``cache`` a :class:`~paramseal.cache.Cache` shared by pulls;
    ``storage_options`` go to fsspec (credentials, endpoint).
    """

    def __init__(self, location: str | os.PathLike[str], *, key: PrivateKey | None = None,
                 state: str | os.PathLike[str] | None = None, cache: Cache | None = None,
                 storage_options: Mapping[str, Any] | None = None,
                 limits: _limits.Limits | None = None) -> None:
        self.backend = _storage.open_backend(location, storage_options=storage_options)
        self.location = (os.path.abspath(os.fspath(location))
                         if isinstance(self.backend, _storage.LocalBackend)
                         and not _remote.is_url(location) else os.fspath(location))
        self.key = key
        self.cache = cache
        self.limits = limits or _limits.DEFAULT
        self._state = _State(Path(state) if state is not None else default_state_path())
        self._logs: dict[str, _Log] = {}
        self._lock = threading.Lock()
        #: Log positions this client lost to another writer (and retried at the next one).
        self.lost_races = 0
        #: Called with (bytes done, total) while a remote file transfers (the CLI's display).
        self.progress: _remote.Progress | None = None

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    # ---------------------------------------------------------------- reading the log

    def _read_log(self, name: str) -> _Log:
        """The verified log of ``name``, read incrementally after the entries already known."""
        _check_name(name)
        with self._lock:
            log = self._logs.get(name)
            if log is None:
                log = _Log()
        prefix = f"models/{name}/log"
        with _remote.storage_errors(self.backend.describe(prefix)):
            keys = self.backend.list(prefix)
            _limits.check("log entries", len(keys), MAX_LOG_ENTRIES, where=f"of {name!r}")
            expected = [_log_key(name, i) for i in range(len(keys))]
            if keys != expected:
                missing = sorted(set(expected) - set(keys))
                raise VerificationError(
                    f"the log of {name!r} has a gap or stray entries (first missing: "
                    f"{missing[0] if missing else 'none'})")
            if len(keys) < len(log.entries):
                raise VerificationError(f"the log of {name!r} is shorter than when last read")
            fresh = _Log(list(log.entries), dict(log.versions), dict(log.tags),
                         dict(log.tagged_by))
            for seq in range(len(log.entries), len(keys)):
                data = self.backend.read(keys[seq], limit=MAX_ENTRY_BYTES)
                fresh.add(decode_entry(data, name=name, seq=seq, prev=fresh.head))
        self._check_known_head(name, fresh)
        with self._lock:
            self._logs[name] = fresh
        return fresh

    def _check_known_head(self, name: str, log: _Log) -> None:
        """Refuse a log that lost entries this client has seen (§10.3)."""
        known = self._state.get(self.location, name)
        seq, head = known.get("seq"), known.get("head")
        if seq is None:
            return
        if len(log.entries) <= seq or log.entries[seq].digest.hex() != head:
            raise VerificationError(
                f"the log of {name!r} no longer holds entry {seq} as this client verified it: "
                "entries were removed or rewritten")

    def _remember_head(self, name: str, log: _Log) -> None:
        if log.entries:
            self._state.update(self.location, name, seq=len(log.entries) - 1,
                               head=log.head.hex())

    def log(self, name: str) -> list[LogEntry]:
        """Every entry of ``name``'s audit log, verified (signatures, chain, versions)."""
        log = self._read_log(name)
        self._remember_head(name, log)
        return list(log.entries)

    def verify_log(self, name: str, policy: Policy | None = None) -> list[LogEntry]:
        """:meth:`log` read again from its first entry (other reads only add the entries after
        those this client verified), and with a ``policy`` every entry's actor must be a key it
        trusts at the entry's time (not revoked). Raises :class:`VerificationError`
        otherwise."""
        with self._lock:
            self._logs.pop(_check_name(name), None)
        entries = self.log(name)
        if policy is not None:
            for entry in entries:
                trusted = policy.trusted(entry.actor.kid)
                if trusted is None or not trusted.valid_at(entry.time):
                    raise VerificationError(
                        f"log entry {entry.seq} of {name!r} is signed by a key the policy "
                        f"does not trust ({entry.actor.key_id})")
        return entries

    def versions(self, name: str) -> list[Version]:
        log = self._read_log(name)
        by_version: dict[int, list[str]] = {}
        for tag, number in sorted(log.tags.items()):
            by_version.setdefault(number, []).append(tag)
        return [Version(n, e.blob.hex() if e.blob else "", e.size or 0,
                        tuple(by_version.get(n, ())), e.time, e.actor.key_id)
                for n, e in sorted(log.versions.items())]

    def tags(self, name: str) -> dict[str, int]:
        return dict(sorted(self._read_log(name).tags.items()))

    def names(self) -> list[str]:
        with _remote.storage_errors(self.backend.describe("models")):
            keys = self.backend.list("models")
        return sorted({k.split("/")[1] for k in keys if k.count("/") == 3})

    # ---------------------------------------------------------------- writing

    def _actor(self, key: PrivateKey | None) -> PrivateKey:
        actor = key or self.key
        if actor is None:
            raise ValueError("changes to a store are signed by their author: pass "
                             "Store(..., key=PrivateKey) or sign=")
        return actor

    def _append(self, name: str, fields: dict[str, Any], actor: PrivateKey,
                version_of: Any) -> LogEntry:
        """Create the next log entry; on a lost race read the log again and retry (§10.4).
        ``version_of(log)`` gives the entry's version for the log as it then is."""
        for _ in range(MAX_ATTEMPTS):
            log = self._read_log(name)
            seq = len(log.entries)
            entry = {**fields, "model": name, "prev": log.head, "seq": seq,
                     "time": int(time.time()), "version": version_of(log)}
            data = encode_entry(entry, actor)
            key = _log_key(name, seq)
            with _remote.storage_errors(self.backend.describe(key)):
                created = self.backend.create(key, data)
            if created:
                log = self._read_log(name)
                self._remember_head(name, log)
                return log.entries[seq]
            self.lost_races += 1
        raise StorageError(f"could not append to the log of {name!r}: {MAX_ATTEMPTS} other "
                           "writers got there first")

    def push(self, model: Any, name: str, *, tags: Sequence[str] = (),
             sign: PrivateKey | Sequence[PrivateKey] | None = None,
             **dump_options: Any) -> int:
        """Store ``model`` as the next version of ``name`` and return its number.

        ``model`` is an object (dumped here, signed by ``sign``, else by the store's key) or an
        existing paramseal file: ``bytes`` or a path (``str`` / ``os.PathLike``), stored as it
        is. ``tags`` move to the new version. ``dump_options`` go to :func:`paramseal.dumps`
        (``recipients``, ``compress``, ``expires``...).
        """
        _check_name(name)
        tags = [_check_tag(t) for t in tags]
        if len(set(tags)) != len(tags) or len(tags) > MAX_TAGS:
            raise ValueError("tags must be distinct, at most 64")
        actor = self._actor(sign if isinstance(sign, PrivateKey) else None)
        if isinstance(model, (bytes, bytearray, memoryview)):
            data = bytes(model)
        elif isinstance(model, (str, os.PathLike)):
            with open(model, "rb") as f:
                data = _io.read_bounded(f, self.limits.max_file_bytes)
        else:
            data = _api.dumps(model, sign=sign if sign is not None else actor, **dump_options)
        # a store holds only files a reader accepts the layout and digests of
        _container.check_digests(_container.parse(memoryview(data), self.limits))
        digest = hashlib.sha256(data).digest()
        head = hashlib.sha256(data[:_container.data_start(data)]).digest()
        blob_key = _blob_key(digest)
        with _remote.storage_errors(self.backend.describe(blob_key)):
            created = False
            if not self.backend.exists(blob_key):
                if self.progress is not None:
                    self.progress(0, len(data))
                created = self.backend.create(blob_key, data)
                if self.progress is not None:
                    self.progress(len(data), len(data))
            if not created:
                # names are create-only: whoever wrote this one first decided its bytes
                same_size = self.backend.size(blob_key) == len(data)
                if not same_size or self.backend.read(blob_key, limit=len(data)) != data:
                    raise StorageError(f"{self.backend.describe(blob_key)} exists with other "
                                       "bytes than its name says: the store is damaged")
        entry = self._append(name, {"action": "push", "blob": digest, "head": head,
                                    "size": len(data), "tags": tags}, actor,
                             lambda log: len(log.versions) + 1)
        if self.cache is not None:
            self.cache.put(digest, data)
        return entry.version

    def tag(self, name: str, version: int, tag: str | Sequence[str], *,
            key: PrivateKey | None = None) -> None:
        """Move ``tag`` (or several) to ``version``; moving a tag back is the rollback."""
        tags = [tag] if isinstance(tag, str) else list(tag)
        tags = [_check_tag(t) for t in tags]
        if not tags or len(set(tags)) != len(tags):
            raise ValueError("give one or more distinct tags")
        log = self._read_log(name)
        if version not in log.versions:
            raise StorageError(f"{name!r} has no version {version}")
        self._append(name, {"action": "tag", "tags": tags}, self._actor(key),
                     lambda _log: version)

    # ---------------------------------------------------------------- pulling

    def resolve(self, name: str, version: int | None = None, *, tag: str | None = None) -> int:
        """The version number a pull of (version, tag) would load."""
        if version is not None and tag is not None:
            raise ValueError("give a version or a tag, not both")
        log = self._logs.get(name)
        if version is None or log is None or version not in log.versions:
            log = self._read_log(name)
        if tag is not None:
            if tag not in log.tags:
                raise StorageError(f"{name!r} has no tag {tag!r:.80}")
            return log.tags[tag]
        if version is None:
            if not log.versions:
                raise StorageError(f"{name!r} has no version")
            return max(log.versions)
        if version not in log.versions:
            raise StorageError(f"{name!r} has no version {version}")
        return version

    def pull(self, name: str, version: int | None = None, *, tag: str | None = None,
             policy: Policy | None = None, allow_rollback: bool = False,
             **load_options: Any) -> Any:
        """Load a version of ``name``: ``version``, the one ``tag`` points at, or the latest.

        The log is verified first and the file must have the SHA-256 it records; with a
        ``policy``, the key that pushed the version (and, for a tag, the key that last moved
        the tag) must be trusted too. Then the file is loaded with ``policy`` and
        ``load_options`` (``identities``, ``passphrase``,
        ``strict_versions``, ``limits``...), a remote one signed part first (§10.1). A version
        older than the last one this client accepted for ``name`` raises
        :class:`VerificationError` unless ``allow_rollback=True``.
        """
        limits = load_options.pop("limits", None) or self.limits
        number, buffer = self._fetch(name, version, tag, policy, allow_rollback, limits)
        model = _api._load_buffer(
            memoryview(buffer).cast("B"), policy=policy,
            identities=load_options.pop("identities", None),
            passphrase=load_options.pop("passphrase", None), writable=False,
            check_digests=load_options.pop("check_digests", False),
            strict_versions=load_options.pop("strict_versions", False), limits=limits,
            registry=load_options.pop("registry", None), digests_checked=True,
            **load_options)
        self._accept(name, number)
        return model

    def fetch(self, name: str, version: int | None = None, *, tag: str | None = None,
              policy: Policy | None = None, allow_rollback: bool = False) -> bytes:
        """The file of a version, checked like :meth:`pull` checks it (log, file, rollback,
        and with a ``policy`` its signatures) but not loaded."""
        number, buffer = self._fetch(name, version, tag, policy, allow_rollback, self.limits)
        if policy is not None:
            signing.verify_head(_container.parse(memoryview(buffer), self.limits), policy)
        self._accept(name, number)
        return bytes(buffer)

    def _fetch(self, name: str, version: int | None, tag: str | None, policy: Policy | None,
               allow_rollback: bool, limits: _limits.Limits) -> tuple[int, Any]:
        number = self.resolve(name, version, tag=tag)
        accepted = self._state.get(self.location, name).get("version", 0)
        if number < accepted and not allow_rollback:
            raise VerificationError(
                f"{name!r} version {number} is older than version {accepted}, which this "
                "client already accepted (pass allow_rollback=True to roll back)")
        log = self._logs[name]
        entry = log.versions[number]
        if policy is not None:
            # who pushed the version, and who pointed the tag at it, answer to the policy too
            answerable = [entry] + ([log.tagged_by[tag]] if tag is not None else [])
            for step in answerable:
                trusted = policy.trusted(step.actor.kid)
                if trusted is None or not trusted.valid_at(step.time):
                    what = "pushed" if step.action == "push" else f"tagged {tag!r}"
                    raise VerificationError(
                        f"{name!r} version {number} was {what} by a key the policy does not "
                        f"trust ({step.actor.key_id}, log entry {step.seq})")
        return number, self._blob(entry, policy, limits)

    def _accept(self, name: str, number: int) -> None:
        if number > self._state.get(self.location, name).get("version", 0):
            self._state.update(self.location, name, version=number)
        self._remember_head(name, self._logs[name])

    def _blob(self, entry: LogEntry, policy: Policy | None, limits: _limits.Limits) -> Any:
        """The pushed file of ``entry``, checked to be that file (§10.5): its length, the
        SHA-256 of its signed part and every section against the header's digests (in
        parallel; with the zero padding the layout check requires, that is every byte).
        Bytes kept in the memory cache were checked when they were put there."""
        assert entry.blob is not None and entry.size is not None and entry.head is not None
        if self.cache is not None:
            cached = self.cache.get(entry.blob)
            if cached is not None and self._is_pushed_file(cached, entry, limits,
                                                           sections=False):
                return cached
        key = _blob_key(entry.blob)
        with _remote.storage_errors(self.backend.describe(key)):
            path = self.backend.local_path(key)
            if path is not None:
                buffer = _io.read_buffer(path, use_mmap=True, limits=limits)
            else:
                buffer = _remote.fetch(self.backend, key, policy=policy, limits=limits,
                                       size=entry.size, progress=self.progress)
        if not self._is_pushed_file(buffer, entry, limits, sections=True):
            raise VerificationError("the stored file is not the one its log entry records")
        if self.cache is not None:
            self.cache.put(entry.blob, buffer, disk=path is None)
            return self.cache.get(entry.blob) or buffer
        return buffer

    @staticmethod
    def _is_pushed_file(buffer: Any, entry: LogEntry, limits: _limits.Limits, *,
                        sections: bool) -> bool:
        view = memoryview(buffer).cast("B")
        if len(view) != entry.size or len(view) < _container.PRELUDE.size:
            return False
        start = _container.data_start(view)
        if start > len(view) or hashlib.sha256(view[:start]).digest() != entry.head:
            return False
        if sections:
            try:
                _container.check_digests(_container.parse(view, limits))
            except ParamsealError:
                return False
        return True


__all__ = ["LOG_TYPE", "LogEntry", "Store", "Version", "decode_entry", "default_state_path",
           "encode_entry"]
