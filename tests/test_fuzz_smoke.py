"""A short, deterministic fuzz pass over the vectors: only our errors may escape."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fuzz"))

import fuzz_loads


def test_vectors_and_their_mutations_raise_only_our_errors() -> None:
    assert fuzz_loads.replay(mutations=40) == len(fuzz_loads.seeds()) * 41


def test_mutated_fitted_models_never_crash_the_loader(tmp_path) -> None:
    """Byte mutations of real models of every native-indexed family, loaded and used in child
    processes: refused or loaded, never a signal, a hang or a foreign exception."""
    import mutate_models

    counts = mutate_models.run(mutants=25, out=tmp_path / "findings", seed=1)
    assert counts["crash"] == 0 and counts["foreign"] == 0, counts
    assert counts["refused"] + counts["loaded"] == 25 * len(mutate_models.seeds())
