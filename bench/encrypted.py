"""Loading encrypted files: time and peak memory, against the same model unencrypted.

Usage (from the repository root)::

    .venv/bin/python bench/encrypted.py                  # rf (195 MB) and knn (90 MB)
    .venv/bin/python bench/encrypted.py --models rf --samples 3

For each model, in one run: ``paramseal.load`` of the plain file, of the file encrypted to one
X25519 recipient, and of the same file signed and loaded with a trust policy; medians of
``--samples`` loads (``gc.collect()`` before each; the files are in the page cache). Then, in a
fresh interpreter per case, the peak resident memory a load adds (VmHWM after minus before,
as in compare.py), next to the plaintext size: decryption is meant to need the plaintext plus
one chunk, not the ciphertext as well.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import models as bench_models  # bench/models.py

import paramseal
from paramseal import _age

_CHILD = textwrap.dedent("""
    import gc, json, sys
    import paramseal, sklearn.ensemble, sklearn.neighbors
    from paramseal.registry import default_registry
    default_registry()
    def status():
        fields = {}
        for line in open("/proc/self/status"):
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0])
        return fields
    path, identity, trust = sys.argv[1], sys.argv[2], sys.argv[3]
    kwargs = {}
    if identity != "-":
        kwargs["identities"] = [identity]
    if trust != "-":
        kwargs["policy"] = paramseal.Policy.from_keys([trust])
    gc.collect()
    open("/proc/self/clear_refs", "w").write("5")
    before = status()
    model = paramseal.load(path, **kwargs)
    after = status()
    print(json.dumps({"peak_mb": (after["VmHWM"] - before["VmHWM"]) / 1024}))
""")


def _peak_mb(path: Path, identity: str, trust: str) -> float:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), identity, trust],
                         capture_output=True, text=True, check=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["peak_mb"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="rf,knn")
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args(argv)
    identity, recipient = _age.generate_identity()
    key = paramseal.PrivateKey.generate()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        id_file = Path(tmp, "id.key")
        id_file.write_text(identity + "\n")
        pub = Path(tmp, "signer.pub")
        pub.write_bytes(key.public_key.to_pem())
        policy = paramseal.Policy.from_keys([pub])
        for name in args.models.split(","):
            model = bench_models.get(name).model
            plain, enc = Path(tmp, f"{name}.plain"), Path(tmp, f"{name}.enc")
            paramseal.dump(model, plain)
            t0 = time.perf_counter()
            paramseal.dump(model, enc, recipients=[recipient], sign=key)
            encrypt_s = time.perf_counter() - t0
            del model
            cases = {
                "plain": lambda p=plain: paramseal.load(p),
                "encrypted": lambda p=enc: paramseal.load(p, identities=[identity]),
                "encrypted + verified": lambda p=enc: paramseal.load(
                    p, identities=[identity], policy=policy),
            }
            times: dict[str, list[float]] = {k: [] for k in cases}
            for fn in cases.values():
                fn()
            for _ in range(args.samples):
                for label, fn in cases.items():
                    gc.collect()
                    t0 = time.perf_counter()
                    obj = fn()
                    times[label].append(time.perf_counter() - t0)
                    del obj
            med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
            peaks = {
                "plain": _peak_mb(plain, "-", "-"),
                "encrypted": _peak_mb(enc, str(id_file), "-"),
                "encrypted + verified": _peak_mb(enc, str(id_file), str(pub)),
            }
            size_mb = plain.stat().st_size / 1e6
            rows.append((name, size_mb, encrypt_s, med, peaks))
    print("| model | plaintext MB | encrypt+sign s | plain load ms | encrypted load ms | "
          "decrypt MB/s | + verified ms | peak MB plain / encrypted / + verified |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, size_mb, encrypt_s, med, peaks in rows:
        decrypt_rate = size_mb / ((med["encrypted"] - med["plain"]) / 1e3)
        print(f"| {name} | {size_mb:.1f} | {encrypt_s:.2f} | {med['plain']:.1f} | "
              f"{med['encrypted']:.1f} | {decrypt_rate:,.0f} | {med['encrypted + verified']:.1f}"
              f" | {peaks['plain']:.0f} / {peaks['encrypted']:.0f} / "
              f"{peaks['encrypted + verified']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
