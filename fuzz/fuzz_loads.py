"""Fuzz target: arbitrary bytes through ``paramseal.loads`` (the registry, every reconstructor)
and ``paramseal.inspect``; seeds are the spec vectors and small fitted models of several
families (trees, forest, histogram boosting, KD-tree neighbours, SVMs dense and sparse, k-means,
a pipeline, PCA, one-hot encoding; some compressed).

Properties: only ``paramseal.errors.ParamsealError`` escapes ``loads``; a file that loads dumps
back to the same schema and params sections (one encoding per value); the loaded model's
prediction methods on fixed data may raise but never crash the process (a signal is a finding
libFuzzer records).

    python fuzz/fuzz_loads.py [corpus] -max_total_time=600     # atheris
    python fuzz/fuzz_loads.py --mutate 100                       # replay, no atheris
"""

from __future__ import annotations

import contextlib
import random

import _common  # first: pure-Python msgpack, instrumentation under atheris

import paramseal
from paramseal import _container, errors

METHODS = ("predict", "predict_proba", "decision_function", "transform", "score_samples",
           "apply", "decision_path", "kneighbors")
_NOTHING = object()


def check(data: bytes) -> None:
    """One input: raise AssertionError (or let a foreign exception escape) on a finding."""
    try:
        obj = paramseal.loads(data)
    except errors.ParamsealError:
        obj = _NOTHING
    with contextlib.suppress(errors.ParamsealError):
        paramseal.inspect(data)
    if obj is _NOTHING:
        return
    original = _container.parse(memoryview(data))
    if original.minor == 0:
        again = _container.parse(memoryview(paramseal.dumps(obj)))
        for name in ("schema", "params"):
            assert bytes(again.sections[name]) == bytes(original.sections[name]), (
                f"a loaded file re-encodes to a different {name} section"
            )
    else:
        # §5.4: zstd frames are not canonical (a modified frame may decompress), so byte
        # identity holds for the decompressed content: a compressed re-encoding loads back to
        # the same uncompressed file
        plain = paramseal.dumps(obj)
        packed = paramseal.dumps(obj, compress=True)
        assert paramseal.dumps(paramseal.loads(packed)) == plain, (
            "a compressed file does not round-trip to the same content")
    X = _common.data()[0][:8]
    for method_name in METHODS:
        method = getattr(obj, method_name, None)
        if callable(method):
            with contextlib.suppress(Exception):
                method(X)


def seeds() -> dict[str, bytes]:
    return {**_common.vectors(), **_common.plain_files()}


def mutate(data: bytes, rng: random.Random) -> bytes:
    return _common.mutate(data, rng)


def replay(mutations: int, seed: int = 0) -> int:
    return _common.replay(_common.quiet(check), seeds(), mutations, seed, name="loads")


if __name__ == "__main__":
    _common.main("loads", _common.quiet(check), seeds)
