"""The vectors alone reach every branch of the parsers (issue 6; spec/format.md preamble).

A child process loads every file of spec/vectors/ through the public API (``loads``, ``loads``
with ``check_digests=True``, ``inspect``, and once more without the optional ``zstandard``
package) under coverage.py with branch measurement, restricted to the parsers: the container
(``_container``), the header and signature block (``_header``), canonical msgpack
(``_canonical``), the params section (``_params``) and the schema decoder (``_schema``). Nothing
else runs in that process, so every line and branch counted as covered was reached by a vector.

Writer code that lives in those modules (the schema ``Encoder`` and its helpers, the params
``build`` and ``Compressor``, ``Header.to_msgpack``, ``encode_signatures``, ``layout``,
``section_table``, ``sorted_map``) is left out of the measurement by the ``exclude_also``
patterns below, one per writer-only definition; no parser line is excluded that way. The few
parser lines no vector can reach are listed in ``NOT_FROM_VECTORS`` with the reason, by their
source text; the test fails if one of them becomes covered (so the list stays exact) and if any
other line or branch is missed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "paramseal"
MODULES = ("_container.py", "_header.py", "_canonical.py", "_params.py", "_schema.py")

#: Writer-only definitions in the parser modules (a pattern that matches a ``def``/``class``
#: line excludes that whole definition). Each names code that loading never calls.
WRITER_ONLY = (
    r"^class Encoder\b",  # _schema: object -> nodes
    r"^class _Memo\b",  # _schema: the Encoder's memo entries
    r"^class PendingTensor\b",  # _schema: the Encoder's tensor placeholder
    r"^def layout_order\(",  # _schema: the Encoder's tensor numbering
    r"^def _canonical_walk\(",  # _schema: Encoder.finish
    r"^def _wrap_shared_lists\(",  # _schema: Encoder.finish
    # _schema.compact_node: the decoder calls it only for arrays of >= STRINGS_MIN items
    r"^    if len\(items\) < STRINGS_MIN:$",
    # _schema.strings_node: a decoded str is valid UTF-8 (msgpack rejects anything else), only
    # a Python str being written can hold a lone surrogate
    r"^    except UnicodeEncodeError:  # lone surrogates",
    r"^def build\(",  # _params: the params section writer
    r"^def _json_header\(",  # _params: build's JSON header
    r"^def _pad\(",  # _params: build's padding
    r"^class Compressor\b",  # _params: zstd for dump(..., compress=True)
    r"^    def to_msgpack\(",  # _header: Header -> bytes
    r"^def encode_signatures\(",  # _header
    r"^def layout\(",  # _container: the bytes before the data area
    r"^def section_table\(",  # _container
    r"^def sorted_map\(",  # _canonical: builds maps for the writers
)

#: Parser lines that no vector reaches, by module and stripped source text, with the reason.
NOT_FROM_VECTORS: dict[tuple[str, str], str] = {
    ("_canonical.py", "except (TypeError, ValueError, OverflowError) as exc:"):
        "re-encoding a decoded value cannot fail with the C msgpack: decoded values are "
        "re-encodable types and the packer nests deeper than the unpacker (1024); kept for "
        "the pure-Python msgpack the fuzzers use",
    ("_canonical.py", 'raise SchemaError(f"{what}: value cannot be re-encoded ({exc})", '
                      'path="$") from exc'):
        "same branch as above",
    ("_params.py", 'raise ArrayError(f"zstd frame gave {len(data)} bytes, expected '
                   '{expected} {where}")'):
        "zstandard already fails a frame whose content differs from its declared size "
        "(kept: it guards against a zstandard that does not)",
    ("_schema.py", 'raise LimitError("schema nests too deeply for this interpreter") '
                   "from exc"):
        "a safety net: schema depth is bounded (96) far below Python's recursion limit",
    ("_schema.py", 'raise LimitError(f"more than {self.limits.max_schema_nodes} schema '
                   'nodes")'):
        "20,000,000 map nodes make a schema of over 300 MB; a vector cannot lower the limit "
        "(limits_tree_batch_count reaches the same limit through charge_nodes)",
}

#: Branches no vector takes, by module and the stripped source text of the line they leave.
NOT_TAKEN: dict[tuple[str, str], str] = {
    ("_schema.py", "if type(result) is list:"):
        "Decoder.decode_array: the registry's strings and ints entries always give a list; "
        "the check guards against a registry whose entries for those tags do not",
}

DRIVER = """
import contextlib, sys, warnings
from pathlib import Path
import paramseal

warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[2])
from vectorlib import VECTORS, load_options, read_vector

# Outcomes are tests/test_vectors.py's business: here only what each load reaches counts.
vectors = []
for path in VECTORS:
    fields, data = read_vector(path)
    vectors.append(data)
    asked = load_options(fields)
    for options in ({**asked}, {**asked, "check_digests": True}):
        with contextlib.suppress(Exception):
            paramseal.loads(data, **options)
    with contextlib.suppress(Exception):
        paramseal.inspect(data, **{k: v for k, v in asked.items() if k == "limits"})
# A reader without the optional zstandard package (spec §9, MissingExtraError).
sys.modules["zstandard"] = None
for data in vectors:
    if len(data) > 10 and data[10] == 1:
        with contextlib.suppress(Exception):
            paramseal.loads(data)
"""


def _rcfile() -> str:
    patterns = "\n".join(f"    {p}" for p in WRITER_ONLY)
    include = ",".join(str(PKG / m) for m in MODULES)
    return textwrap.dedent("""\
        [run]
        branch = True
        include = {include}

        [report]
        exclude_also =
        {patterns}
        """).format(include=include, patterns=patterns)


def _measure(tmp_path: Path) -> dict:
    rc = tmp_path / "coveragerc"
    rc.write_text(_rcfile())
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    data = tmp_path / "coverage.data"
    out = tmp_path / "coverage.json"
    base = [sys.executable, "-m", "coverage"]
    run = subprocess.run(
        [*base, "run", f"--rcfile={rc}", f"--data-file={data}", str(driver),
         str(ROOT / "spec" / "vectors"), str(ROOT / "tests")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = subprocess.run(
        [*base, "json", f"--rcfile={rc}", f"--data-file={data}", "-o", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert report.returncode == 0, report.stdout + report.stderr
    result: dict = json.loads(out.read_text())
    return result


def test_vectors_cover_every_parser_branch(tmp_path: Path) -> None:
    files = _measure(tmp_path)["files"]
    by_module = {Path(name).name: info for name, info in files.items()}
    assert set(by_module) == set(MODULES), sorted(by_module)
    problems = []
    expected_gaps = set(NOT_FROM_VECTORS) | set(NOT_TAKEN)
    seen_gaps = set()
    summary = []
    for module in MODULES:
        info = by_module[module]
        lines = (PKG / module).read_text().splitlines()
        s = info["summary"]
        summary.append(f"{module}: {s['percent_covered']:.1f}% "
                       f"(lines {s['covered_lines']}/{s['num_statements']}, "
                       f"branches {s['covered_branches']}/{s['num_branches']})")
        missed = set(info["missing_lines"])
        # a partial branch whose target line is itself missing is reported through that line
        arcs = [(a, b) for a, b in info["missing_branches"] if b not in missed]
        for number in sorted(missed):
            key = (module, lines[number - 1].strip())
            if key in expected_gaps:
                seen_gaps.add(key)
            else:
                problems.append(f"{module}:{number} not covered: {lines[number - 1].strip()}")
        for a, b in arcs:
            key = (module, lines[a - 1].strip())
            if key in NOT_TAKEN:
                seen_gaps.add(key)
                continue
            target = "exit" if b < 0 else str(b)
            problems.append(f"{module}:{a}->{target} branch not taken: "
                            f"{lines[a - 1].strip()}")
    for key in sorted(expected_gaps - seen_gaps):
        problems.append(f"{key[0]}: listed as not reachable but now covered (remove it from "
                        f"NOT_FROM_VECTORS): {key[1]}")
    print("\n".join(summary))
    assert not problems, "\n".join([*problems, "", *summary])
