"""Every cap of spec/format.md §8 is a field of ``Limits``, and a caller can lower each one.

For each field, a small file that uses some amount of the resource is loaded with the cap
lowered: the smallest cap at which it loads is found by bisection, and one below it must raise
:class:`LimitError` (never another class: a cap is a cap, whatever the value it bounds). Where
the amount is known from the file itself (its size, its header length, its tensor count, ...),
the threshold must be exactly that amount. At the defaults the file loads; raising any cap
above the spec's maximum is refused.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import testkit

import paramseal
from paramseal import _age, _container, errors
from paramseal.keys import PrivateKey
from paramseal.limits import DEFAULT, Limits

pytestmark = pytest.mark.filterwarnings("ignore::paramseal.errors.VersionWarning")

FIELDS = [f.name for f in dataclasses.fields(Limits)]
IDENTITY, RECIPIENT = _age.generate_identity()
OTHERS = [_age.generate_identity()[1] for _ in range(2)]
PASSPHRASE = "correct horse"


def _plain() -> dict[str, Any]:
    return {"a": np.arange(12.0), "b": np.ones((2, 3, 4), dtype=np.int32), "c": [1, "x", 2.5]}


@dataclasses.dataclass
class Case:
    """A file, how to load it, and (when known) the amount of the capped resource it uses."""

    data: bytes
    measure: int | None
    load_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


def _section(data: bytes, name: str) -> memoryview:
    return _container.parse(memoryview(data)).sections[name]


def _file_bytes() -> Case:
    data = paramseal.dumps(_plain())
    return Case(data, len(data))


def _header_bytes() -> Case:
    data = paramseal.dumps(_plain(), annotations={"note": "x" * 300})
    return Case(data, struct.unpack_from("<I", data, 12)[0])


def _signed() -> bytes:
    keys = [PrivateKey.generate(), PrivateKey.generate()]
    return paramseal.dumps(_plain(), sign=keys)


def _sigblock_bytes() -> Case:
    data = _signed()
    return Case(data, struct.unpack_from("<I", data, 16)[0])


def _signatures() -> Case:
    return Case(_signed(), 2)


def _schema_bytes() -> Case:
    data = paramseal.dumps(_plain())
    return Case(data, len(_section(data, "schema")))


def _schema_depth() -> Case:
    value: Any = [1]
    for _ in range(20):
        value = [value]
    return Case(paramseal.dumps(value), None)


def _schema_nodes() -> Case:
    return Case(paramseal.dumps([np.float64(i) for i in range(40)] + [3 + 4j]), None)


def _msgpack_values(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_msgpack_values(k) + _msgpack_values(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(_msgpack_values(v) for v in value)
    return 1


def _schema_values() -> Case:
    data = paramseal.dumps(_plain())
    schema = testkit.unpackb(bytes(_section(data, "schema")))
    return Case(data, _msgpack_values(schema))


def _params_header_bytes() -> Case:
    data = paramseal.dumps(_plain())
    return Case(data, struct.unpack_from("<Q", _section(data, "params"), 0)[0])


def _tensors() -> Case:
    return Case(paramseal.dumps([np.arange(i + 1) for i in range(7)]), 7)


def _decompressed_bytes() -> Case:
    # a few times compressible: a frame may expand at most 1024 times, or it is stored raw
    rng = np.random.RandomState(0)
    arrays = [rng.randint(0, 4, 50_000).astype(np.float64), rng.randint(0, 3, 40_000)]
    return Case(paramseal.dumps(arrays, compress=True), sum(a.nbytes for a in arrays))


def _ndim() -> Case:
    return Case(paramseal.dumps(np.zeros((1, 2, 1, 3, 1))), 5)


def _bigint_digits() -> Case:
    return Case(paramseal.dumps([10**40 + 7, -(10**30)]), 41)


def _age_header_bytes() -> Case:
    data = paramseal.dumps(_plain(), recipients=[RECIPIENT, *OTHERS])
    size = _age.header_info(_section(data, "payload")).header_size
    return Case(data, size, {"identities": [IDENTITY]})


def _age_stanzas() -> Case:
    data = paramseal.dumps(_plain(), recipients=[RECIPIENT, *OTHERS])
    return Case(data, 3, {"identities": [IDENTITY]})


def _scrypt_log_n() -> Case:
    """A cheap work factor (2^10), spliced in: the library writes 2^18."""
    inner = paramseal.dumps(_plain())
    outer = testkit.unpack(paramseal.dumps(_plain(), passphrase=PASSPHRASE))
    parts = _age.encrypt([paramseal.dumps(_plain())], len(inner), passphrase=PASSPHRASE,
                         scrypt_log_n=10)
    outer.payload = b"".join(parts)
    return Case(testkit.pack(outer), 10, {"passphrase": PASSPHRASE})


CASES: dict[str, Callable[[], Case]] = {
    "max_file_bytes": _file_bytes,
    "max_header_bytes": _header_bytes,
    "max_sigblock_bytes": _sigblock_bytes,
    "max_signatures": _signatures,
    "max_schema_bytes": _schema_bytes,
    "max_schema_depth": _schema_depth,
    "max_schema_values": _schema_values,
    "max_schema_nodes": _schema_nodes,
    "max_params_header_bytes": _params_header_bytes,
    "max_tensors": _tensors,
    "max_decompressed_bytes": _decompressed_bytes,
    "max_ndim": _ndim,
    "max_bigint_digits": _bigint_digits,
    "max_age_header_bytes": _age_header_bytes,
    "max_age_stanzas": _age_stanzas,
    "max_scrypt_log_n": _scrypt_log_n,
}


def _outcome(case: Case, field: str, value: int) -> BaseException | None:
    """None when the file loads with ``field`` lowered to ``value``, else the exception."""
    limits = Limits(**{field: value})
    try:
        paramseal.loads(case.data, limits=limits, **case.load_kwargs)
    except errors.ParamsealError as exc:
        return exc
    return None


def test_every_field_has_a_case() -> None:
    assert set(CASES) == set(FIELDS)


#: Caps whose check still raises another class (needs a change outside this test's owner):
#: ``_params.parse`` raises ArrayError and ``_builtin_types._shape`` a SchemaError for a shape
#: over ``max_ndim``.
NOT_YET_LIMIT_ERROR: set[str] = set()


@pytest.mark.parametrize("field", [
    pytest.param(f, marks=pytest.mark.xfail(strict=True, reason="raises ArrayError/SchemaError"))
    if f in NOT_YET_LIMIT_ERROR else f for f in FIELDS])
def test_lowered_cap_refuses_a_file_over_it(field: str) -> None:
    case = CASES[field]()
    default = getattr(DEFAULT, field)
    # at the defaults the file loads, and with the cap at 0 it is refused
    assert _outcome(case, field, default) is None
    paramseal.loads(case.data, **case.load_kwargs)
    if field == "max_scrypt_log_n":  # each load derives a key: no bisection
        assert case.measure is not None
        lowest = case.measure
    else:
        low, high = 0, default  # refused at low, loads at high
        refused = _outcome(case, field, low)
        assert isinstance(refused, errors.LimitError), f"{field}=0: {refused!r}"
        while high - low > 1:
            middle = (low + high) // 2
            if _outcome(case, field, middle) is None:
                high = middle
            else:
                low = middle
        lowest = high
        if case.measure is not None:
            assert lowest == case.measure, f"{field}: loads from {lowest}, uses {case.measure}"
    assert _outcome(case, field, lowest) is None
    below = _outcome(case, field, lowest - 1)
    assert isinstance(below, errors.LimitError), f"{field}={lowest - 1}: {below!r}"


@pytest.mark.parametrize("field", FIELDS)
def test_raising_a_cap_above_the_spec_is_refused(field: str) -> None:
    default = getattr(DEFAULT, field)
    with pytest.raises(ValueError, match="above the spec's maximum"):
        Limits(**{field: default + 1})
    with pytest.raises(TypeError):
        Limits(**{field: -1})
    assert getattr(Limits(**{field: default}), field) == default


@pytest.mark.parametrize("name", ["max_header_bytes", "max_stanzas", "max_scrypt_log_n"])
def test_age_caps_cannot_be_raised_directly(name: str) -> None:
    payload = _age.encrypt_bytes(b"x", recipients=[RECIPIENT])
    maximum = {"max_header_bytes": DEFAULT.max_age_header_bytes,
               "max_stanzas": DEFAULT.max_age_stanzas,
               "max_scrypt_log_n": DEFAULT.max_scrypt_log_n}[name]
    with pytest.raises(ValueError, match="above the spec's maximum"):
        _age.decrypt_into(payload, identities=[IDENTITY], **{name: maximum + 1})
    assert bytes(_age.decrypt_into(payload, identities=[IDENTITY], **{name: maximum})) == b"x"
