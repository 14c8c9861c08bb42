"""Section digests (spec/format.md §3.3): SHA-256, chunked above 16 MiB so that verifying a
large section uses every core.

A section of at most ``CHUNK`` bytes has the plain SHA-256 of its bytes as its digest. A larger
one is cut into ``CHUNK``-byte pieces (the last one shorter); its digest is the SHA-256 of a
domain string followed by the SHA-256 of each piece, in order. The pieces are hashed in
parallel: hashlib releases the GIL while it hashes a large buffer.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

CHUNK = 16 << 20
DOMAIN = b"paramseal chunked sha256 v1\n"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                       thread_name_prefix="paramseal-digest")
        return _pool


def _sha256(data: memoryview) -> bytes:
    return hashlib.sha256(data).digest()


def section_digest(data: bytes | memoryview) -> bytes:
    """The §3.3 digest of one section's bytes."""
    view = memoryview(data).cast("B")
    if len(view) <= CHUNK:
        return _sha256(view)
    pieces = [view[i:i + CHUNK] for i in range(0, len(view), CHUNK)]
    return hashlib.sha256(DOMAIN + b"".join(_executor().map(_sha256, pieces))).digest()


class SectionHasher:
    """The same digest, fed incrementally (the writer streams the params section)."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._current = hashlib.sha256()
        self._filled = 0

    def update(self, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        while len(view):
            take = min(CHUNK - self._filled, len(view))
            self._current.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == CHUNK:
                self._pieces.append(self._current.digest())
                self._current = hashlib.sha256()
                self._filled = 0

    def digest(self) -> bytes:
        total = len(self._pieces) * CHUNK + self._filled
        if total <= CHUNK:  # at most one piece: the plain SHA-256
            return self._pieces[0] if self._pieces else self._current.digest()
        pieces = self._pieces + ([self._current.digest()] if self._filled else [])
        return hashlib.sha256(DOMAIN + b"".join(pieces)).digest()
