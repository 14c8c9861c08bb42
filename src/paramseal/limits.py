"""Every size, count and depth cap of a load, in one place (spec/format.md §8).

Each cap is checked before anything is allocated for the value it bounds. A caller may lower
any of them (``load(..., limits=Limits(max_file_bytes=...))``); raising one above the spec's
maximum is refused, because other implementations rely on the maxima.
"""

from __future__ import annotations

import dataclasses

from .errors import LimitError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Caps applied while reading one file. Defaults are the spec's maxima."""

    #: Whole file, in bytes.
    max_file_bytes: int = 64 * GiB
    #: The header map (§3), in bytes.
    max_header_bytes: int = 1 * MiB
    #: The signature block (§3.4), in bytes, and the number of signatures in it.
    max_sigblock_bytes: int = 64 * KiB
    max_signatures: int = 16
    #: The schema section (§4), in bytes.
    max_schema_bytes: int = 1 * GiB
    #: Nesting of schema nodes; also bounds the reconstructor's recursion.
    max_schema_depth: int = 96
    #: msgpack values in the schema section (every array, map, key, item and scalar),
    #: counted without building them: it bounds the memory of decoding (~80 B per value at
    #: worst) before the schema's structure is checked. Real models hold a few thousand.
    max_schema_values: int = 400_000
    #: Schema nodes that carry an ``@`` tag, over the whole schema.
    max_schema_nodes: int = 20_000_000
    #: The JSON header of the params section (§5), in bytes, and its number of tensors.
    max_params_header_bytes: int = 64 * MiB
    max_tensors: int = 1_000_000
    #: Bytes that the compressed tensors of one file (§5.4) decompress to, in total; each
    #: tensor's size is charged, from its schema node, before it is decompressed.
    max_decompressed_bytes: int = 64 * GiB
    #: Dimensions of one array.
    max_ndim: int = 32
    #: Decimal digits of an integer outside the 64-bit range.
    max_bigint_digits: int = 4300
    #: The age header of an encrypted file's payload (§3.5), in bytes, from the version line
    #: to the newline after the MAC, and its number of stanzas (of any type).
    max_age_header_bytes: int = 64 * KiB
    max_age_stanzas: int = 64
    #: scrypt work factor (log2 N) of a passphrase-encrypted file: 22 costs 4 GiB and ~20 s.
    max_scrypt_log_n: int = 22

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            maximum = field.default
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise TypeError(f"Limits.{field.name} must be a non-negative int")
            if isinstance(maximum, int) and value > maximum:
                raise ValueError(
                    f"Limits.{field.name}={value} is above the spec's maximum {maximum}"
                )


DEFAULT = Limits()


def check(name: str, value: int, limit: int, *, where: str = "") -> None:
    """Raise :class:`LimitError` when ``value`` exceeds ``limit``."""
    if value > limit:
        suffix = f" {where}" if where else ""
        raise LimitError(f"{name} is {value}, above the limit {limit}{suffix}")
