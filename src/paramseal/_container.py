"""The container: prelude, header, signature block, aligned sections (spec/format.md §2).

    offset  size  field
    0       8     magic 89 50 53 45 41 4C 0D 0A  ("\\x89PSEAL\\r\\n")
    8       2     format major, u16 LE (1)
    10      2     format minor, u16 LE (0, or 1 when a tensor is compressed: §5.4)
    12      4     header length H, u32 LE
    16      4     signature block length S, u32 LE
    20      4     reserved, MUST be 0
    24      H     header (§3), canonical msgpack: the bytes signatures cover
    24+H    S     signature block (§3.4), canonical msgpack
    ...           zero bytes up to D = align64(24 + H + S), the start of the data area
    D+off   len   each section, at the offset the header gives it, 64-aligned, in order,
                  zero padding between them, the file ends exactly where the last one ends

Section offsets are relative to D, so adding a signature moves the sections without changing
the header or any section byte.
"""

from __future__ import annotations

import dataclasses
import struct

from . import limits as _limits
from ._digest import section_digest
from ._header import Header, Signature, encode_signatures, parse_header, parse_signatures
from .errors import ContainerError, LimitError, UnsupportedVersionError

MAGIC = b"\x89PSEAL\r\n"
FORMAT_MAJOR = 1
#: The highest minor version this reader knows. A writer writes the lowest minor whose
#: features the file uses: 1 when at least one tensor is compressed (§5.4), else 0.
FORMAT_MINOR = 1
PRELUDE = struct.Struct("<8sHHIII")
ALIGN = 64


def align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclasses.dataclass(frozen=True, slots=True)
class Container:
    """A parsed file: validated layout, header and (unverified) signatures.

    ``sections`` maps each section name to a zero-copy view of its bytes.
    """

    minor: int
    header_bytes: memoryview
    header: Header
    signatures: tuple[Signature, ...]
    sections: dict[str, memoryview]


@dataclasses.dataclass(frozen=True, slots=True)
class Head:
    """The signed part of a file: prelude, header and signature block, parsed and validated.

    ``data_start`` is where the data area begins; a remote reader needs only these bytes to
    apply a trust policy (§10.1).
    """

    minor: int
    header_bytes: memoryview
    header: Header
    signatures: tuple[Signature, ...]
    data_start: int


def parse_head(buffer: memoryview, limits: _limits.Limits = _limits.DEFAULT, *,
               size: int | None = None) -> Head:
    """Check the prelude, header and signature block at the start of ``buffer``.

    ``size`` is the whole file's size when ``buffer`` holds only its beginning.
    """
    size = len(buffer) if size is None else size
    # (1) prelude: magic, version, lengths, reserved.
    _limits.check("file size", size, limits.max_file_bytes)
    if len(buffer) < PRELUDE.size:
        raise ContainerError(
            f"file is {len(buffer)} bytes, shorter than the {PRELUDE.size}-byte prelude")
    magic, major, minor, header_len, sig_len, reserved = PRELUDE.unpack_from(buffer, 0)
    if magic != MAGIC:
        raise ContainerError("not a paramseal file (bad magic)", offset=0)
    if major != FORMAT_MAJOR or minor > FORMAT_MINOR:
        # the prelude is not signed: a version this reader does not know is refused, not guessed
        raise UnsupportedVersionError(f"format version {major}.{minor} is not supported",
                                      offset=8 if major != FORMAT_MAJOR else 10)
    if reserved != 0:
        raise ContainerError("reserved prelude field is not zero", offset=20)
    _limits.check("header length", header_len, limits.max_header_bytes)
    _limits.check("signature block length", sig_len, limits.max_sigblock_bytes)
    if header_len == 0 or sig_len == 0:
        raise ContainerError("header and signature block must not be empty", offset=12)
    sig_start = PRELUDE.size + header_len
    data_start = align(sig_start + sig_len)
    if data_start > min(size, len(buffer)):
        raise ContainerError(f"file ends before the data area (at {data_start})",
                             offset=min(size, len(buffer)))

    # (2) header and signature block: canonical msgpack, fully validated.
    header_bytes = buffer[PRELUDE.size:sig_start]
    header = parse_header(header_bytes)
    signatures = parse_signatures(
        buffer[sig_start:sig_start + sig_len], max_signatures=limits.max_signatures
    )
    _check_zero(buffer, sig_start + sig_len, data_start)
    if header.encryption is not None and minor != 0:
        # its one section is ciphertext: the inner file carries the minor version (§3.5)
        raise ContainerError(f"an encrypted file is format 1.0, this one says 1.{minor}",
                             offset=10)
    return Head(minor, header_bytes, header, signatures, data_start)


def parse(buffer: memoryview, limits: _limits.Limits = _limits.DEFAULT) -> Container:
    """Check the layout of a whole file held in ``buffer``, cheapest checks first."""
    size = len(buffer)
    head = parse_head(buffer, limits)
    header, data_start = head.header, head.data_start

    # (3) sections: in order, aligned, no overlap, zero padding, nothing after the last one.
    views: dict[str, memoryview] = {}
    expected_offset = 0
    for section in header.sections:
        if section.offset != expected_offset:
            raise ContainerError(
                f"section {section.name!r} starts at {section.offset}, expected {expected_offset}",
                offset=data_start + section.offset,
            )
        start = data_start + section.offset
        end = start + section.length
        if end > size:
            raise ContainerError(
                f"section {section.name!r} ends at {end}, past the end of the file", offset=size
            )
        views[section.name] = buffer[start:end]
        expected_offset = align(section.offset + section.length)
        if section is not header.sections[-1]:
            _check_zero(buffer, end, min(data_start + expected_offset, size))
        elif end != size:
            raise ContainerError(f"{size - end} trailing bytes after the last section", offset=end)
    return Container(
        minor=head.minor,
        header_bytes=head.header_bytes,
        header=header,
        signatures=head.signatures,
        sections=views,
    )


def _check_zero(buffer: memoryview, start: int, end: int) -> None:
    padding = buffer[start:end]
    if padding.nbytes and bytes(padding).count(0) != padding.nbytes:
        raise ContainerError("padding bytes are not zero", offset=start)


def data_start(buffer: bytes | memoryview) -> int:
    """Where the data area begins: the bytes :func:`parse_head` needs, read from the first 24
    (not validated here)."""
    _, _, _, header_len, sig_len, _ = PRELUDE.unpack_from(buffer, 0)
    return align(PRELUDE.size + header_len + sig_len)


def check_digests(container: Container) -> None:
    """Every section's SHA-256 matches the header (§3.3)."""
    for section in container.header.sections:
        if section_digest(container.sections[section.name]) != section.sha256:
            raise ContainerError(f"section {section.name!r} does not match its digest")


def layout(header: Header, signatures: tuple[Signature, ...] = (), *,
           header_bytes: bytes | None = None, minor: int = 0) -> tuple[bytes, int]:
    """The bytes before the data area (prelude, header, signatures, padding) and its length.

    ``header_bytes`` are the stored (signed) bytes of ``header`` when re-signing a file;
    ``minor`` is the file's format minor version (keep the parsed file's when rewriting one).
    """
    if not 0 <= minor <= FORMAT_MINOR:
        raise ValueError(f"format minor version {minor} is not one this writer knows")
    header_bytes = header.to_msgpack() if header_bytes is None else header_bytes
    sig_bytes = encode_signatures(signatures)
    if len(header_bytes) > _limits.DEFAULT.max_header_bytes:
        raise LimitError(f"header is {len(header_bytes)} bytes, above the format's maximum")
    prelude = PRELUDE.pack(MAGIC, FORMAT_MAJOR, minor, len(header_bytes), len(sig_bytes), 0)
    head = prelude + header_bytes + sig_bytes
    data_start = align(len(head))
    return head + bytes(data_start - len(head)), data_start


def section_table(named: list[tuple[str, int, bytes]]) -> list[tuple[str, int, int, bytes]]:
    """Offsets for sections of the given (name, length, sha256), laid out back to back."""
    table = []
    offset = 0
    for name, length, digest in named:
        table.append((name, offset, length, digest))
        offset = align(offset + length)
    return table
