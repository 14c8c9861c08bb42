"""numpy random generators (spec/format.md §6.4).

A ``RandomState`` is its MT19937 state; a ``Generator`` is its PCG64 state, whose 128-bit
integers are written as decimal strings. Positions that index the state are range-checked:
numpy's own setters do not check ``pos``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from . import _paths as P
from .errors import ReconstructionError, UnsupportedTypeError
from .registry import Entry, Registry

_MT_N = 624
_U128 = re.compile(r"0|[1-9][0-9]{0,38}")


def _fail(message: str, type_name: str, path: P.Path) -> ReconstructionError:
    return ReconstructionError(message, type_name=type_name, path=P.render(path))


def encode_random_state(rs: np.random.RandomState, enc: Any, path: P.Path) -> dict[str, Any]:
    name, key, pos, has_gauss, gauss = rs.get_state(legacy=True)
    if name != "MT19937":
        raise UnsupportedTypeError(f"RandomState with bit generator {name}", path=P.render(path))
    return {
        "cached_gaussian": float(gauss),
        "has_gauss": int(has_gauss),
        "key": enc.encode(np.asarray(key, dtype="<u4"), (path, ".key")),
        "pos": int(pos),
    }


def decode_random_state(node: dict[str, Any], dec: Any, path: P.Path) -> np.random.RandomState:
    key = dec.field(node, "key", path)
    if type(key) is not np.ndarray:
        raise _fail("key must be an array", "RandomState", path)
    pos, has_gauss, gauss = node["pos"], node["has_gauss"], node["cached_gaussian"]
    if key.dtype != np.dtype("<u4") or key.shape != (_MT_N,):
        raise _fail(f"key must be uint32[{_MT_N}]", "RandomState", path)
    if type(pos) is not int or not 0 <= pos <= _MT_N:
        raise _fail(f"pos must be in [0, {_MT_N}]", "RandomState", path)
    if has_gauss not in (0, 1) or type(has_gauss) is not int or type(gauss) is not float:
        raise _fail("has_gauss must be 0 or 1 and cached_gaussian a float", "RandomState", path)
    rs = np.random.RandomState()
    rs.set_state(("MT19937", np.array(key), pos, has_gauss, gauss))
    return rs


def encode_generator(gen: np.random.Generator, enc: Any, path: P.Path) -> dict[str, Any]:
    state = gen.bit_generator.state
    if state["bit_generator"] != "PCG64" or type(gen.bit_generator) is not np.random.PCG64:
        raise UnsupportedTypeError(
            f"Generator with bit generator {state['bit_generator']}", path=P.render(path)
        )
    return {
        "has_uint32": int(state["has_uint32"]),
        "inc": str(state["state"]["inc"]),
        "state": str(state["state"]["state"]),
        "uinteger": int(state["uinteger"]),
    }


def decode_generator(node: dict[str, Any], dec: Any, path: P.Path) -> np.random.Generator:
    values = {}
    for key in ("state", "inc"):
        digits = node[key]
        if type(digits) is not str or not _U128.fullmatch(digits) or int(digits) >= 2**128:
            raise _fail(f"{key} must be a 128-bit unsigned decimal", "Generator", path)
        values[key] = int(digits)
    has_uint32, uinteger = node["has_uint32"], node["uinteger"]
    if type(has_uint32) is not int or has_uint32 not in (0, 1):
        raise _fail("has_uint32 must be 0 or 1", "Generator", path)
    if type(uinteger) is not int or not 0 <= uinteger < 2**32:
        raise _fail("uinteger must be a 32-bit unsigned integer", "Generator", path)
    bit_generator = np.random.PCG64()
    bit_generator.state = {
        "bit_generator": "PCG64",
        "state": values,  # type: ignore[typeddict-item]
        "has_uint32": has_uint32,
        "uinteger": uinteger,
    }
    return np.random.Generator(bit_generator)


def register(registry: Registry) -> None:
    registry.add(Entry("RandomState", np.random.RandomState, encode_random_state,
                       decode_random_state,
                       frozenset({"cached_gaussian", "has_gauss", "key", "pos"})))
    registry.add(Entry("Generator", np.random.Generator, encode_generator, decode_generator,
                       frozenset({"has_uint32", "inc", "state", "uinteger"})))
