"""A short, deterministic pass of every fuzz harness (fuzz/, replay mode, no atheris): the
seeds and mutants of each go through the harness's own check, so only paramseal errors
escape, what parses re-serialises, and each input finishes within the harness's time bound
(fuzz/_common.TIME_BOUND, 2 s)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fuzz"))

import _common

#: harness -> mutants per seed: a few seconds each on a shared 2-core machine
HARNESSES = {
    "container": 30,
    "header": 800,
    "params": 500,
    "loads": 100,
    "verify": 1000,
    "decrypt": 600,
    "log": 1000,
}


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_harness_replay_raises_only_our_errors(name: str) -> None:
    module = importlib.import_module(f"fuzz_{name}")
    seeds = module.seeds()
    assert seeds, f"fuzz_{name} has no seeds"
    mutations = HARNESSES[name]
    count = _common.replay(_common.quiet(module.check), seeds, mutations, seed=1, name=name)
    assert count == len(seeds) * (mutations + 1)


def test_seeds_pass_their_properties() -> None:
    """The seeds themselves parse, verify and decrypt: a harness whose seeds were all refused
    would fuzz nothing but the first check."""
    import paramseal
    from paramseal import _age

    for data in _common.plain_files().values():
        assert paramseal.loads(data) is not None
    for policy in _common.policies():
        for name, data in _common.signed_files().items():
            if "both" in name or policy.threshold == 1:
                from paramseal import _container, signing

                signing.verify_container(_container.parse(memoryview(data)), policy)
    identity, _ = _common.age_identity()
    for name, data in _common.encrypted_files().items():
        keys = ({"passphrase": _common.PASSPHRASE} if name.endswith("_scrypt")
                else {"identities": [identity]})
        assert paramseal.loads(data, **keys) is not None
        assert len(_age.decrypt_into(_common.payload_of(data), **keys)) > 0


def test_mutate_is_deterministic() -> None:
    import random

    data = _common.plain_files()["tree"]
    first = [_common.mutate(data, random.Random(3)) for _ in range(3)]
    again = [_common.mutate(data, random.Random(3)) for _ in range(3)]
    assert first == again and any(m != data for m in first)


def test_mutated_fitted_models_never_crash_the_loader(tmp_path: Path) -> None:
    """Byte mutations of real models of every native-indexed family, loaded and used in child
    processes: refused or loaded, never a signal, a hang or a foreign exception."""
    import mutate_models

    counts = mutate_models.run(mutants=25, out=tmp_path / "findings", seed=1)
    assert counts["crash"] == 0 and counts["foreign"] == 0, counts
    assert counts["refused"] + counts["loaded"] == 25 * len(mutate_models.seeds())


def _recorded() -> list[tuple[str, Path]]:
    out = []
    for folder in sorted(_common.FINDINGS.iterdir()) if _common.FINDINGS.is_dir() else []:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix != ".txt":
                out.append((folder.name, path))
    return out


@pytest.mark.parametrize(("name", "path"), _recorded(), ids=lambda v: getattr(v, "name", v))
def test_recorded_findings_are_refused(name: str, path: Path) -> None:
    """Every input a campaign found (fuzz/findings/<harness>/, traceback next to it) goes
    through its harness's check again: once the bug is fixed, only paramseal errors."""
    from paramseal.registry import default_registry

    module = importlib.import_module(f"fuzz_{name}")
    module.seeds()  # fitted once per process: not the input's cost
    default_registry()
    _common.timed(_common.quiet(module.check), path.read_bytes())


def test_bigint_under_a_lowered_interpreter_digit_limit_is_refused() -> None:
    """fuzz/findings/loads/bigint-700-digits.traceback.txt: a 701-digit integer is within
    Limits.max_bigint_digits, but a host process may lower CPython's own limit; the load must
    then be refused with a paramseal error, not a ValueError from int()."""
    import paramseal
    from paramseal import errors

    data = paramseal.dumps({"x": 10**700})
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        with pytest.raises(errors.ParamsealError):
            paramseal.loads(data)
    finally:
        sys.set_int_max_str_digits(before)
