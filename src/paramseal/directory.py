"""The unpacked directory form of a file, and back (spec/format.md §7.4).

``to_directory(file, folder)`` writes the header, the signature block and each section as
separate files; ``from_directory(folder, file)`` puts them back together, byte for byte. Each
section file holds exactly the section's bytes, so ``params.safetensors`` opens with any
safetensors reader and the header's digests apply to the files unchanged.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from . import _container, _io
from . import limits as _limits
from .errors import ContainerError

FORMAT_FILE = "format"
SECTION_FILES = {
    "schema": "schema.msgpack",
    "params": "params.safetensors",
    "payload": "payload.age",
}


def to_directory(source: Any, folder: str | os.PathLike[str]) -> None:
    """Unpack a paramseal file into a new (or empty) folder."""
    limits = _limits.DEFAULT
    buffer = _io.read_buffer(source, use_mmap=True, limits=limits)
    container = _container.parse(buffer, limits)
    target = Path(folder)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty")
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    # not mkdtemp (0700): a model folder is shared like any other, so the umask decides
    staging = parent / f".paramseal-{secrets.token_hex(8)}.tmp"
    staging.mkdir()
    try:
        major = _container.FORMAT_MAJOR
        (staging / FORMAT_FILE).write_text(f"paramseal {major}.{container.minor}\n")
        (staging / "header.msgpack").write_bytes(container.header_bytes)
        sig_start = _container.PRELUDE.size + len(container.header_bytes)
        sig_len = _container.PRELUDE.unpack_from(buffer, 0)[4]
        (staging / "signatures.msgpack").write_bytes(buffer[sig_start:sig_start + sig_len])
        for name, view in container.sections.items():
            (staging / SECTION_FILES[name]).write_bytes(view)
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def from_directory(folder: str | os.PathLike[str], target: Any) -> None:
    """Pack a folder written by :func:`to_directory` back into one file (atomically)."""
    limits = _limits.DEFAULT
    source = Path(folder)
    version = _read(source / FORMAT_FILE, 64).decode("ascii", "replace").strip()
    prefix = f"paramseal {_container.FORMAT_MAJOR}."
    minor_text = version[len(prefix):]
    if not version.startswith(prefix) or not minor_text.isdigit() or len(minor_text) > 5:
        raise ContainerError(
            f"{FORMAT_FILE}: expected 'paramseal 1.<minor>', found {version!r:.40}"
        )
    minor = int(minor_text)
    header = _read(source / "header.msgpack", limits.max_header_bytes)
    signatures = _read(source / "signatures.msgpack", limits.max_sigblock_bytes)
    from ._header import parse_header

    parsed = parse_header(header)
    sections = [
        _read(source / SECTION_FILES[s.name], limits.max_file_bytes) for s in parsed.sections
    ]
    prelude = _container.PRELUDE.pack(
        _container.MAGIC, _container.FORMAT_MAJOR, minor, len(header), len(signatures), 0
    )
    head = prelude + header + signatures
    chunks: list[bytes] = [head, bytes(_container.align(len(head)) - len(head))]
    for i, data in enumerate(sections):
        chunks.append(data)
        if i + 1 < len(sections):
            chunks.append(bytes(_container.align(len(data)) - len(data)))
    whole = b"".join(chunks)
    # The result must be a valid file whose sections match the header's digests.
    container = _container.parse(memoryview(whole), limits)
    _container.check_digests(container)
    _io.write_chunks(target, [whole])


def _read(path: Path, limit: int) -> bytes:
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        _limits.check(f"size of {path.name}", size, limit)
        return _io.read_bounded(f, limit)
