"""Reading spec/vectors/ files: the header fields, the bytes, and the load options they ask
for (spec/vectors/README.md). Shared by the tests and the child processes that replay vectors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import paramseal

ROOT = Path(__file__).resolve().parent.parent
VECTORS = sorted(p for p in (ROOT / "spec" / "vectors").iterdir() if p.is_file()
                 and p.name != "README.md")
KEYS = ROOT / "spec" / "vectors" / "keys"
#: ``limits``: ``name=value`` pairs lowering Limits fields; ``policy``: ``trust=a,b`` (public
#: keys spec/vectors/keys/<name>.pub) and optionally ``threshold=K``, ``max_age=S``,
#: ``require_expiry``; ``identity``: an age identity spec/vectors/keys/<name>.age;
#: ``passphrase``: the text of one (§9 of the vectors README).
KNOWN_KEYS = {"expect", "comment", "limits", "policy", "identity", "passphrase"}


def read_vector(path: Path) -> tuple[dict[str, str], bytes]:
    content = path.read_bytes()
    text, _, data = content.partition(b"\n\n")
    fields = {}
    for line in text.decode().splitlines():
        key, _, value = line.partition(": ")
        assert key in KNOWN_KEYS, f"{path.name}: unknown header key {key!r}"
        fields[key] = value
    assert "expect" in fields and "comment" in fields, path.name
    return fields, data


def load_options(fields: dict[str, str]) -> dict[str, Any]:
    """The keyword arguments of ``paramseal.loads`` that a vector's header asks for."""
    options: dict[str, Any] = {}
    if "limits" in fields:
        pairs = (item.split("=") for item in fields["limits"].split())
        options["limits"] = paramseal.Limits(**{k: int(v) for k, v in pairs})
    if "policy" in fields:
        words = dict(w.partition("=")[::2] for w in fields["policy"].split())
        keys = [KEYS / f"{name}.pub" for name in words.pop("trust").split(",")]
        options["policy"] = paramseal.Policy.from_keys(
            keys, threshold=int(words.pop("threshold", "1")),
            max_age=float(words["max_age"]) if "max_age" in words else None,
            require_expiry="require_expiry" in words)
        assert set(words) <= {"max_age", "require_expiry"}, words
    if "identity" in fields:
        options["identities"] = [str(KEYS / f"{fields['identity']}.age")]
    if "passphrase" in fields:
        options["passphrase"] = fields["passphrase"]
    return options




def vector_options(path: str | Path) -> dict[str, Any]:
    """The ``loads`` keyword arguments of the vector file at ``path``."""
    return load_options(read_vector(Path(path))[0])
