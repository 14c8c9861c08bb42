"""paramseal end to end: fit, dump, inspect, load, compare; then try to smuggle code in.

Run with `make demo`. Everything it writes goes to demo-out/.
"""

from __future__ import annotations

import os
import pickle  # only to show that a pickle payload is refused, never to load anything
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

import paramseal
from paramseal import errors

OUT = Path("demo-out")


def step(title: str) -> None:
    print(f"\n== {title}")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

    step("1. fit a model")
    model = Pipeline([
        ("features", FeatureUnion([("scaled", StandardScaler()), ("pca", PCA(n_components=5))])),
        ("forest", RandomForestClassifier(n_estimators=50, random_state=0)),
    ]).fit(X_train, y_train)
    print(model)

    step("2. dump it")
    path = OUT / "model.paramseal"
    started = time.perf_counter()
    paramseal.dump(model, path, annotations={"dataset": "breast_cancer", "owner": "demo"})
    print(f"wrote {path} ({path.stat().st_size:,} bytes) in "
          f"{(time.perf_counter() - started) * 1000:.1f} ms")

    step("3. paramseal inspect (reads the file without importing scikit-learn)")
    shown = subprocess.run([sys.executable, "-m", "paramseal", "inspect", str(path)],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    more = [f"... ({len(shown) - 40} more lines)"] if len(shown) > 40 else []
    print("\n".join(shown[:40] + more))

    step("4. load it back and compare predictions")
    started = time.perf_counter()
    loaded = paramseal.load(path)
    print(f"loaded in {(time.perf_counter() - started) * 1000:.1f} ms")
    same_labels = np.array_equal(loaded.predict(X_test), model.predict(X_test))
    same_proba = loaded.predict_proba(X_test).tobytes() == model.predict_proba(X_test).tobytes()
    print(f"predict identical: {same_labels}; predict_proba bit-identical: {same_proba}")
    print(f"test accuracy: {loaded.score(X_test, y_test):.4f}")
    if not (same_labels and same_proba):
        return 1

    step("5. a pickle payload cannot be expressed")
    evil = pickle.dumps(_Exploit(), protocol=5)
    (OUT / "evil.pkl").write_bytes(evil)
    print("a pickle that would run `echo pwned` if unpickled:")
    _refuse(lambda: paramseal.loads(evil))
    print("the same intent written as a paramseal schema node (there is no call node, so the "
          "best an attacker can do is name a tag):")
    _refuse(lambda: paramseal.loads(_with_root(path, {"@": "__reduce__", "args": ["echo pwned"],
                                                     "callable": "os.system"})))
    print("naming a function that is not in the closed table:")
    _refuse(lambda: paramseal.loads(_with_root(path, {"@": "function", "name": "os.system"})))
    print("and on the writing side, a model holding arbitrary code is refused, never pickled:")
    _refuse(lambda: paramseal.dumps(Pipeline([("step", LogisticRegression())]).set_params(
        step__C=lambda: os.system("echo pwned"))))

    step("6. a hostile parameter cannot crash the process")
    print("a tree whose first split points a billion nodes away (crashes scikit-learn's C code "
          "if it ever reaches it):")
    _refuse(lambda: paramseal.loads(_hostile_tree(path)))

    step("7. sign it; a deployment loads only what its trusted keys signed")
    alice = paramseal.PrivateKey.generate()
    signed = OUT / "signed.paramseal"
    paramseal.dump(model, signed, sign=alice)
    (OUT / "alice.pub").write_bytes(alice.public_key.to_pem())
    print(f"signed {signed.name} with {alice.key_id}")
    verify = subprocess.run([sys.executable, "-m", "paramseal", "verify", str(signed),
                             "--trust", str(OUT / "alice.pub")], capture_output=True, text=True)
    print(verify.stdout.rstrip())
    policy = paramseal.Policy.from_keys([OUT / "alice.pub"])
    same = paramseal.load(signed, policy=policy).predict(X_test)
    print(f"verified load, predictions identical: {np.array_equal(same, model.predict(X_test))}")
    print("one flipped byte in the tree data of the signed file, loaded with the policy:")
    tampered = bytearray(signed.read_bytes())
    tampered[-100] ^= 1
    _refuse(lambda: paramseal.loads(bytes(tampered), policy=policy))
    print("the same file signed by someone the policy does not trust:")
    _refuse(lambda: paramseal.loads(paramseal.dumps(model, sign=paramseal.PrivateKey.generate()),
                                    policy=policy))

    step("8. a model store: versions, a tag, a rollback, and a signed audit log")
    import shutil

    shutil.rmtree(OUT / "store", ignore_errors=True)
    (OUT / "store-state.json").unlink(missing_ok=True)
    store = paramseal.Store(OUT / "store", key=alice, state=OUT / "store-state.json")
    first = store.push(model, "forest", tags=["prod"])
    retrained = RandomForestClassifier(n_estimators=60, random_state=1).fit(X_train, y_train)
    second = store.push(retrained, "forest")
    store.tag("forest", second, "prod")
    print(f"pushed versions {first} and {second}; prod -> {store.tags('forest')['prod']}")
    pulled = store.pull("forest", tag="prod", policy=policy)
    print(f"pulled prod with the policy: {pulled.n_estimators} trees, predictions identical: "
          f"{np.array_equal(pulled.predict(X_test), retrained.predict(X_test))}")
    store.tag("forest", first, "prod")  # the rollback
    print("prod moved back to version 1; this client accepted version 2 before:")
    _refuse(lambda: store.pull("forest", tag="prod", policy=policy))
    back = store.pull("forest", tag="prod", policy=policy, allow_rollback=True)
    print(f"with allow_rollback=True: version 1 ({type(back).__name__}), predictions identical: "
          f"{np.array_equal(back.predict(X_test), model.predict(X_test))}")
    for entry in store.verify_log("forest", policy):
        print(f"   log {entry.seq}: {entry.action} v{entry.version} {list(entry.tags)} "
              f"signed by {entry.actor.key_id[:19]}…")
    print("\ndemo complete: no code ran from any file")
    return 0


class _Exploit:
    def __reduce__(self):  # what a malicious pickle does
        return (os.system, ("echo pwned",))


def _refuse(action) -> None:
    try:
        action()
    except errors.ParamsealError as exc:
        print(f"   refused: {type(exc).__name__}: {str(exc)[:150]}")
        return
    raise SystemExit("   NOT REFUSED: the demo failed")


def _with_root(path: Path, root: object) -> bytes:
    """A well-formed file whose schema root is replaced (digests and offsets recomputed)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "spec" / "generate"))
    import testkit

    parts = testkit.unpack(path.read_bytes())
    parts.schema["root"] = root
    parts.tensors = []
    return testkit.pack(parts)


def _hostile_tree(path: Path) -> bytes:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "spec" / "generate"))
    import testkit

    parts = testkit.unpack(path.read_bytes())
    # the forest's 50 trees are one batch node; its nodes tensor holds every tree's records
    batch = testkit.find(parts, "sklearn.ensemble.TreeBatch")[0]
    nodes = parts.array(batch["nodes"])
    nodes["left_child"][0] = 10**9
    parts.set_array(batch["nodes"], nodes)
    return testkit.pack(parts)


if __name__ == "__main__":
    sys.exit(main())
