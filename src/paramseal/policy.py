"""Trust policies (spec/format.md §3.4): whom a deployment trusts, and how many of them.

A :class:`Policy` lists trusted public keys (each with a name and an optional validity window),
a threshold k (that many *distinct* trusted keys must have signed), revoked key IDs, and
optionally a maximum age and a required expiry. ``paramseal.load(file, policy=...)`` applies it
before anything beyond the header is parsed; a file that does not satisfy it raises
:class:`~paramseal.errors.VerificationError`.

A trust store is a TOML file that describes a policy::

    threshold = 2                 # optional, default 1
    max_age_days = 90             # optional: refuse files signed longer ago
    require_expiry = true         # optional: refuse files without an expiry date

    [[key]]
    name = "alice"
    public_key = "alice.pub"      # a path (relative to this file), or the PEM / OpenSSH text
    not_before = 2026-01-01T00:00:00Z   # optional validity window, compared with now
    not_after = 2027-01-01T00:00:00Z

    [[revoked]]
    key_id = "sha256:…"
    reason = "laptop stolen"      # optional
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import InvalidKeyError
from .keys import PublicKey

_MAX_STORE_BYTES = 1 << 20
_MAX_KEYS = 1024


@dataclasses.dataclass(frozen=True)
class TrustedKey:
    """A trusted public key, its name, and the window in which its signatures count."""

    name: str
    key: PublicKey
    not_before: float | None = None  # Unix seconds
    not_after: float | None = None

    def valid_at(self, now: float) -> bool:
        return ((self.not_before is None or now >= self.not_before)
                and (self.not_after is None or now <= self.not_after))


@dataclasses.dataclass(frozen=True)
class Policy:
    """Whom to trust: at least ``threshold`` distinct keys of ``keys`` must have signed."""

    keys: tuple[TrustedKey, ...]
    threshold: int = 1
    revoked: frozenset[bytes] = frozenset()
    max_age: float | None = None  # seconds between the file's `created` and now
    require_expiry: bool = False

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a policy needs at least one trusted key")
        if type(self.threshold) is not int or not 1 <= self.threshold <= len(self.keys):
            raise ValueError(f"threshold must be between 1 and {len(self.keys)} (the number "
                             f"of trusted keys), not {self.threshold!r}")
        kids = [k.key.kid for k in self.keys]
        if len(set(kids)) != len(kids):
            raise ValueError("a key is listed twice")
        if self.max_age is not None and not self.max_age > 0:
            raise ValueError("max_age must be positive")

    @classmethod
    def from_keys(
        cls,
        keys: Iterable[PublicKey | str | os.PathLike[str]],
        *,
        threshold: int = 1,
        max_age: float | dt.timedelta | None = None,
        require_expiry: bool = False,
    ) -> Policy:
        """Trust these public keys (objects, or paths to key files), named by their key IDs
        or file names."""
        trusted = []
        for item in keys:
            if isinstance(item, PublicKey):
                trusted.append(TrustedKey(item.key_id, item))
            else:
                trusted.append(TrustedKey(Path(item).stem, PublicKey.load(item)))
        if isinstance(max_age, dt.timedelta):
            max_age = max_age.total_seconds()
        return cls(tuple(trusted), threshold=threshold, max_age=max_age,
                   require_expiry=require_expiry)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Policy:
        """Read a trust store (TOML, see the module documentation)."""
        path = Path(path)
        with open(path, "rb") as f:
            raw = f.read(_MAX_STORE_BYTES + 1)
        if len(raw) > _MAX_STORE_BYTES:
            raise InvalidKeyError(f"{path}: a trust store is at most 1 MiB")
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InvalidKeyError(f"{path}: not a TOML trust store ({exc})") from None
        return _from_store(data, path)

    def trusted(self, kid: bytes) -> TrustedKey | None:
        if kid in self.revoked:
            return None
        for key in self.keys:
            if key.key.kid == kid:
                return key
        return None


def _store_error(path: Path, where: str, message: str) -> InvalidKeyError:
    return InvalidKeyError(f"{path}: {where}: {message}")


def _timestamp(value: Any, path: Path, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise _store_error(path, where, "a date-time needs a time zone (…Z)")
        return value.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    raise _store_error(path, where, "expected a TOML date or date-time")


def _from_store(data: dict[str, Any], path: Path) -> Policy:
    known = {"threshold", "max_age_days", "require_expiry", "key", "revoked"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _store_error(path, "top level", f"unknown keys {unknown}")
    entries = data.get("key", [])
    if type(entries) is not list or not entries or len(entries) > _MAX_KEYS:
        raise _store_error(path, "key", f"expected 1 to {_MAX_KEYS} [[key]] tables")
    keys = []
    for i, entry in enumerate(entries):
        where = f"key[{i}]"
        if type(entry) is not dict or not {"name", "public_key"} <= set(entry) or set(entry) - {
                "name", "public_key", "not_before", "not_after"}:
            raise _store_error(path, where, "expected name, public_key and optionally "
                                            "not_before, not_after")
        name, source = entry["name"], entry["public_key"]
        if type(name) is not str or not name or type(source) is not str:
            raise _store_error(path, where, "name and public_key must be strings")
        text = source.strip()
        try:
            if text.startswith(("-----BEGIN", "ssh-ed25519 ", "ecdsa-sha2-nistp256 ")):
                key = PublicKey.load(text.encode())
            else:
                key = PublicKey.load(path.parent / source)
        except OSError as exc:
            raise _store_error(path, where, f"cannot read {source}: "
                                            f"{(exc.strerror or str(exc)).lower()}") from None
        except InvalidKeyError as exc:
            raise _store_error(path, where, str(exc)) from None
        keys.append(TrustedKey(name, key, _timestamp(entry.get("not_before"), path, where),
                               _timestamp(entry.get("not_after"), path, where)))
    revoked = set()
    revoked_entries = data.get("revoked", [])
    if type(revoked_entries) is not list:
        raise _store_error(path, "revoked", "expected [[revoked]] tables")
    for i, entry in enumerate(revoked_entries):
        kid = entry.get("key_id") if type(entry) is dict else None
        if (type(kid) is not str or not kid.startswith("sha256:") or len(kid) != 71
                or set(entry) - {"key_id", "reason"}):
            raise _store_error(path, f"revoked[{i}]", "expected key_id = \"sha256:<64 hex>\"")
        try:
            revoked.add(bytes.fromhex(kid[7:]))
        except ValueError:
            raise _store_error(path, f"revoked[{i}]", "key_id is not hexadecimal") from None
    days = data.get("max_age_days")
    if days is not None and (type(days) not in (int, float) or days <= 0):
        raise _store_error(path, "max_age_days", "expected a positive number")
    require = data.get("require_expiry", False)
    if type(require) is not bool:
        raise _store_error(path, "require_expiry", "expected true or false")
    threshold = data.get("threshold", 1)
    try:
        return Policy(tuple(keys), threshold=threshold, revoked=frozenset(revoked),
                      max_age=None if days is None else days * 86400.0, require_expiry=require)
    except ValueError as exc:
        raise _store_error(path, "policy", str(exc)) from None
