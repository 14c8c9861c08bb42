"""spec/format.md and spec/vectors/ agree: every vector the spec cites exists, every vector is
cited (issue 6: "at least one vector for every MUST").

The spec cites vectors by name in backticks, mostly in parentheses after the MUST they test
(`container_bad_magic`), sometimes as a family (`type_sparse_*`). The area-wide families of the
preamble (`container_*`, ...) only describe the naming scheme and cite nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "format.md"
VECTORS = ROOT / "spec" / "vectors"
AREAS = ("container", "header", "schema", "params", "type", "limits", "success", "signature",
         "policy", "encryption")
_NAME = re.compile(r"`((?:{areas})_[a-z0-9_]*\*?)`".format(areas="|".join(AREAS)))
_AREA_WIDE = re.compile(r"(?:{areas})_\*".format(areas="|".join(AREAS)))

#: Vectors that show a valid file loads (and re-encodes to the same bytes); the spec states
#: what is valid, it does not cite each example.
SUCCESS_UNCITED = frozenset({
    "encryption_compressed_inner",
    "encryption_scrypt",
    "encryption_signed",
    "encryption_two_chunks",
    "encryption_two_recipients",
    "encryption_x25519",
    "policy_expiry_in_future",
    "policy_max_age_within",
    "policy_threshold_two",
    "policy_unknown_signatures_ignored",
    "signature_ecdsa_trusted",
    "signature_ed25519_trusted",
    "header_model_valid",
    "header_signature_unverified",
    "header_signers_valid",
    "success_compressed_fortran_order",
    "success_compressed_tensor",
    "success_dict",
    "success_empty_array",
    "success_shared_list",
    "success_shared_list_three_uses",
    "success_standard_scaler",
    "type_ndarray_fortran_order",
    "type_random_state_valid",
})

#: Vectors for a rule the spec states but whose paragraph does not yet cite them by name. The
#: citations to add are in /work/notes/spec-vector-citations.md; remove a name here once the
#: spec cites it (the test fails until then, so this list stays exact).
AWAITING_CITATION: frozenset[str] = frozenset()


def cited() -> tuple[set[str], set[str]]:
    """Exact names and family prefixes (without the ``*``) that the spec cites."""
    names = {m for m in _NAME.findall(SPEC.read_text()) if not _AREA_WIDE.fullmatch(m)}
    return {n for n in names if not n.endswith("*")}, {n[:-1] for n in names if n.endswith("*")}


def vectors() -> set[str]:
    return {p.name for p in VECTORS.iterdir() if p.is_file() and p.name != "README.md"}


def expect(name: str) -> str:
    first = (VECTORS / name).read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("expect: "), name
    return first.removeprefix("expect: ")


def test_spec_cites_vectors() -> None:
    exact, families = cited()
    assert len(exact) >= 50, "the spec's vector citations were not found"
    assert families, "the spec's vector families were not found"


def test_every_cited_vector_exists() -> None:
    exact, families = cited()
    have = vectors()
    missing = sorted(exact - have)
    empty = sorted(f"{f}*" for f in families if not any(v.startswith(f) for v in have))
    assert not missing and not empty, (
        f"cited in spec/format.md but not in spec/vectors/: {missing + empty}")


def test_every_vector_is_cited() -> None:
    exact, families = cited()
    have = vectors()

    def is_cited(name: str) -> bool:
        return name in exact or any(name.startswith(f) for f in families)

    uncited = sorted(v for v in have - SUCCESS_UNCITED - AWAITING_CITATION if not is_cited(v))
    assert not uncited, f"vectors that spec/format.md does not cite: {uncited}"
    now_cited = sorted(v for v in AWAITING_CITATION if is_cited(v))
    assert not now_cited, f"cited now: remove from AWAITING_CITATION: {now_cited}"
    gone = sorted((SUCCESS_UNCITED | AWAITING_CITATION) - have)
    assert not gone, f"allow-listed vectors that do not exist: {gone}"


def test_allow_lists_are_what_they_say() -> None:
    not_success = sorted(v for v in SUCCESS_UNCITED if expect(v) != "success")
    assert not not_success, f"SUCCESS_UNCITED holds vectors that expect an error: {not_success}"
    success = sorted(v for v in AWAITING_CITATION if expect(v) == "success")
    assert not success, f"success vectors belong in SUCCESS_UNCITED: {success}"


def test_cited_error_vectors_expect_an_error() -> None:
    """A vector the spec cites by name follows a MUST: it tests a rejection."""
    exact, _ = cited()
    have = vectors()
    wrong = sorted(v for v in exact & have if expect(v) == "success")
    assert not wrong, f"cited vectors that expect success: {wrong}"
