"""Every exception paramseal raises (spec/format.md §9).

One base class, :class:`ParamsealError`. Format errors say where and what: a byte offset or a
``$.path`` into the schema. Crypto errors say only that they failed. The library raises and never
prints; the CLI turns :meth:`ParamsealError.diagnostics` into text for people.
"""

from __future__ import annotations


class ParamsealError(Exception):
    """Base class of every error raised by paramseal."""

    hint: str | None = None

    def diagnostics(self) -> str:
        """Text for people: the message, then a hint when there is one."""
        text = str(self)
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class FormatError(ParamsealError, ValueError):
    """The bytes do not follow spec/format.md."""

    hint = "the file is damaged or was not written by a conforming writer; do not trust it"


class ContainerError(FormatError):
    """Magic, version, prelude, section table, padding or trailing bytes (§2)."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        self.offset = offset
        super().__init__(message if offset is None else f"{message} (at offset {offset:#x})")


class UnsupportedVersionError(ContainerError):
    """The file was written for a format version this reader does not know."""

    hint = "the file was written by a newer paramseal; upgrade paramseal to read it"


class LimitError(FormatError):
    """A length, count or depth exceeds a limit (§8); nothing was allocated for it."""

    hint = "the limits can be raised (up to the spec's maxima) with load(..., limits=Limits(...))"


class SchemaError(FormatError):
    """The header, signature block or schema msgpack breaks a rule of §3 or §4."""

    def __init__(self, message: str, *, path: str = "$") -> None:
        self.path = path
        super().__init__(f"{message} at {path}")


class ArrayError(FormatError):
    """The params section (safetensors) breaks a rule of §5, or disagrees with the schema."""


class UnsupportedTypeError(ParamsealError, TypeError):
    """A type that paramseal cannot write, or a type tag that is not in the registry.

    Raised at dump for objects that have no registered encoder (never a fallback to pickle), and
    at load for tags that the running registry does not allow.
    """

    def __init__(self, message: str, *, path: str = "$") -> None:
        self.path = path
        super().__init__(f"{message} at {path}")


class ReconstructionError(ParamsealError, ValueError):
    """A reconstructor refused the values of one object: they break an invariant of its type."""

    hint = "the file describes an object that is inconsistent; it may have been crafted"

    def __init__(self, message: str, *, type_name: str, path: str) -> None:
        self.type_name = type_name
        self.path = path
        super().__init__(f"{type_name}: {message} at {path}")


class MissingExtraError(ParamsealError, ImportError):
    """An optional dependency that this call needs is not installed (the message says which
    extra provides it)."""


class VersionMismatchError(ParamsealError):
    """The file was written by another scikit-learn minor version, and the caller asked for
    strict versions (``load(..., strict_versions=True)``)."""


class VersionWarning(UserWarning):
    """The file was written by another scikit-learn minor version; its model may behave
    differently, or fail, under this one. Raised as :class:`VersionMismatchError` instead with
    ``strict_versions=True``."""


class InvalidKeyError(ParamsealError, ValueError):
    """A key file could not be read, or holds an unsupported kind of key."""


class VerificationError(ParamsealError):
    """A signature or a trust policy did not hold. Terse on purpose."""


class DecryptionError(ParamsealError):
    """Decryption failed. Terse on purpose: no oracle about why."""


class StorageError(ParamsealError, OSError):
    """A location or a model store could not do what was asked: a model, version or tag that
    does not exist, a read-only location, or the medium failed (the :class:`OSError` it
    raised is the cause)."""


__all__ = [
    "ArrayError",
    "ContainerError",
    "DecryptionError",
    "FormatError",
    "InvalidKeyError",
    "LimitError",
    "MissingExtraError",
    "ParamsealError",
    "ReconstructionError",
    "SchemaError",
    "StorageError",
    "UnsupportedTypeError",
    "UnsupportedVersionError",
    "VerificationError",
    "VersionMismatchError",
    "VersionWarning",
]
