"""Fuzz target: arbitrary bytes through ``paramseal.loads`` and ``paramseal.inspect``.

Property: only ``paramseal.errors.ParamsealError`` may escape, and any file that loads dumps
back to the same schema and params sections (one encoding per value).

With atheris installed (``pip install atheris``)::

    python fuzz/fuzz_loads.py spec/vectors/ -max_total_time=600

Without it, ``python fuzz/fuzz_loads.py --mutate N`` replays the vectors and N deterministic
mutations of each (this is what the test suite runs as a smoke pass).
"""

from __future__ import annotations

import contextlib
import random
import sys
import warnings
from pathlib import Path

import paramseal
from paramseal import _container, errors

VECTORS = Path(__file__).resolve().parent.parent / "spec" / "vectors"


def check(data: bytes) -> None:
    """One input: raise AssertionError (or let a foreign exception escape) on a finding."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj = paramseal.loads(data)
        except errors.ParamsealError:
            obj = _NOTHING
        with contextlib.suppress(errors.ParamsealError):
            paramseal.inspect(data)
    if obj is _NOTHING:
        return
    original = _container.parse(memoryview(data))
    # a format 1.1 file compresses its tensors (§5.4): so does the re-encoding
    again = _container.parse(memoryview(paramseal.dumps(obj, compress=original.minor == 1)))
    for name in ("schema", "params"):
        assert bytes(again.sections[name]) == bytes(original.sections[name]), (
            f"a loaded file re-encodes to a different {name} section"
        )


_NOTHING = object()


def seeds() -> list[bytes]:
    result = []
    for path in sorted(VECTORS.iterdir()):
        if path.name == "README.md":
            continue
        result.append(path.read_bytes().partition(b"\n\n")[2])
    return result


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A small structural mutation: flip, set, insert or delete a few bytes."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buffer:
            break
        i = rng.randrange(len(buffer))
        op = rng.randrange(5)
        if op == 0:
            buffer[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            buffer[i] = rng.choice((0x00, 0x01, 0x7F, 0x80, 0xC0, 0xFF, 0xCC, 0xDC, 0xDE))
        elif op == 2:
            buffer.insert(i, rng.randrange(256))
        elif op == 3:
            del buffer[i]
        else:
            j = rng.randrange(len(buffer))
            buffer[i], buffer[j] = buffer[j], buffer[i]
    return bytes(buffer)


def replay(mutations: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    count = 0
    for data in seeds():
        check(data)
        count += 1
        for _ in range(mutations):
            check(mutate(data, rng))
            count += 1
    return count


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--mutate":
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
        print(f"{replay(n)} inputs, no finding")
        return
    import atheris  # type: ignore[import-not-found]

    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
