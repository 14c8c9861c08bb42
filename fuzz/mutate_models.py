"""Mutation campaign over fitted models: flip bytes, load, predict, in child processes.

Seeds are small fitted models of every native-indexed family (trees, forests, gradient
boosting, histogram boosting, KD/ball trees, SVMs, k-means, sparse data). Each mutant is loaded
in a child process that then calls every prediction method; a child that dies on a signal, hangs
or lets a non-paramseal exception escape from ``load`` is a finding, saved to ``--out``.

    python fuzz/mutate_models.py --mutants 2000 --out /tmp/findings
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

import paramseal

CHILD = textwrap.dedent("""
    import json, sys, faulthandler, warnings
    import numpy as np
    faulthandler.enable()
    warnings.simplefilter("ignore")
    import paramseal
    from paramseal import errors
    X = np.load(sys.argv[2], allow_pickle=False)
    methods = ("predict", "predict_proba", "decision_function", "transform", "score_samples",
               "apply", "decision_path", "kneighbors")
    for line in open(sys.argv[1]):
        path = line.strip()
        try:
            model = paramseal.load(path)
        except errors.ParamsealError as exc:
            print(json.dumps({"path": path, "outcome": "refused", "class": type(exc).__name__}),
                  flush=True)
            continue
        except Exception as exc:
            print(json.dumps({"path": path, "outcome": "foreign", "class": type(exc).__name__,
                              "message": str(exc)[:300]}), flush=True)
            continue
        for name in methods:
            method = getattr(model, name, None)
            if method is not None:
                try:
                    method(X)
                except Exception:
                    pass
        print(json.dumps({"path": path, "outcome": "loaded"}), flush=True)
""")


def seeds() -> dict[str, tuple[bytes, np.ndarray]]:
    from scipy import sparse
    from sklearn.cluster import KMeans
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    models = {
        "tree": DecisionTreeClassifier(max_depth=4, random_state=0),
        "forest": RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0),
        "gb": GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0),
        "hgb": HistGradientBoostingClassifier(max_iter=3, max_leaf_nodes=4),
        "knn_kd": KNeighborsClassifier(algorithm="kd_tree", leaf_size=5),
        "knn_ball": KNeighborsClassifier(algorithm="ball_tree", leaf_size=5),
        "svc": SVC(probability=True, random_state=0),
        "kmeans": KMeans(n_clusters=3, n_init=1, random_state=0),
    }
    out = {}
    for name, model in models.items():
        model.fit(X, y)
        out[name] = (paramseal.dumps(model), X[:20])
    svc = SVC().fit(sparse.csr_matrix(X), y)
    out["svc_sparse"] = (paramseal.dumps(svc), X[:20])
    return out


def mutate(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(buffer))
        kind = rng.randrange(3)
        if kind == 0:
            buffer[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            buffer[i] = rng.choice((0x00, 0xFF, 0x7F, 0x80, 0x01))
        else:  # overwrite an aligned 8-byte word: hits int64 indices inside tensors
            j = i - i % 8
            value = rng.choice((0, 1, -1, 2**31, 10**9, -2, 2**62))
            buffer[j:j + 8] = value.to_bytes(8, "little", signed=True)[:len(buffer[j:j + 8])]
    return bytes(buffer)


def run(mutants: int, out: Path, seed: int, batch: int = 200) -> dict[str, int]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"refused": 0, "loaded": 0, "foreign": 0, "crash": 0}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, (data, X) in seeds().items():
            x_path = folder / f"{name}.npy"
            np.save(x_path, X, allow_pickle=False)
            done = 0
            while done < mutants:
                paths = []
                for k in range(min(batch, mutants - done)):
                    path = folder / f"{name}-{done + k}.paramseal"
                    path.write_bytes(mutate(data, rng))
                    paths.append(str(path))
                done += len(paths)
                pending = paths
                while pending:
                    listing = folder / "list.txt"
                    listing.write_text("\n".join(pending) + "\n")
                    try:
                        proc = subprocess.run([sys.executable, "-c", CHILD, str(listing),
                                               str(x_path)], capture_output=True, text=True,
                                              timeout=120)
                        lines, died = proc.stdout.splitlines(), proc.returncode != 0
                    except subprocess.TimeoutExpired as exc:
                        stdout = exc.stdout or b""
                        text = stdout.decode() if isinstance(stdout, bytes) else stdout
                        lines, died = text.splitlines(), True
                    reported = [json.loads(line) for line in lines if line.startswith("{")]
                    for report in reported:
                        counts[report["outcome"]] += 1
                        if report["outcome"] == "foreign":
                            _save(out, report["path"], report)
                    pending = pending[len(reported):]
                    if died and pending:
                        counts["crash"] += 1
                        _save(out, pending[0], {"outcome": "crash or hang"})
                        pending = pending[1:]
            print(f"{name}: {counts}", flush=True)
    return counts


def _save(out: Path, path: str, report: dict[str, object]) -> None:
    target = out / Path(path).name
    target.write_bytes(Path(path).read_bytes())
    (out / (Path(path).name + ".json")).write_text(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutants", type=int, default=500, help="mutants per seed model")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = run(args.mutants, args.out, args.seed)
    print(json.dumps(counts))
    sys.exit(1 if counts["foreign"] or counts["crash"] else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONFAULTHANDLER", "1")
    main()
