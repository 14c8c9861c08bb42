"""A short, deterministic fuzz pass over the vectors: only our errors may escape."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fuzz"))

import fuzz_loads


def test_vectors_and_their_mutations_raise_only_our_errors() -> None:
    assert fuzz_loads.replay(mutations=40) == len(fuzz_loads.seeds()) * 41
