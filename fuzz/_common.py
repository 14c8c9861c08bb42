"""Shared machinery of the fuzz harnesses in this folder.

Import this module FIRST in a harness (before anything that imports msgpack or paramseal):

* run as a harness (``python fuzz/fuzz_X.py``), it sets ``MSGPACK_PUREPYTHON=1`` so that
  msgpack parses in Python, where atheris sees the branches it takes (its C extension is
  invisible to coverage feedback);
* when the harness runs under atheris (``python fuzz/fuzz_X.py [corpus] [libFuzzer flags]``),
  it imports paramseal (and msgpack) inside ``atheris.instrument_imports`` so every branch of
  the loader feeds coverage back to libFuzzer.

Every harness has the same two modes, given by :func:`main`:

* ``python fuzz/fuzz_X.py [corpus dir] [libFuzzer flags]``: coverage-guided fuzzing with
  atheris. The corpus dir is filled with the harness's seeds first when it is empty
  (``fuzz/corpus/<harness>/`` by default; generated, never committed);
* ``python fuzz/fuzz_X.py --mutate N [--seed S]``: no atheris: every seed and N deterministic
  mutations of each go through the same check; each input must finish in
  :data:`TIME_BOUND` seconds. The test suite runs this as a smoke pass.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VECTORS = ROOT / "spec" / "vectors"
CORPUS = HERE / "corpus"
FINDINGS = HERE / "findings"

#: Seconds of CPU time one input may take in replay mode (atheris gets ``-timeout`` instead).
TIME_BOUND = 2.0

#: True when this process runs a harness under atheris (decided from the command line, so
#: that importing a harness from the test suite never needs atheris).
FUZZING = (
    Path(sys.argv[0]).name.startswith("fuzz_")
    and "--mutate" not in sys.argv
    and not os.environ.get("PARAMSEAL_FUZZ_NO_INSTRUMENT")
)

if Path(sys.argv[0]).name.startswith("fuzz_"):
    # a harness run (fuzzing or replay), not an import by the test suite, whose other tests
    # keep msgpack's C extension
    os.environ.setdefault("MSGPACK_PUREPYTHON", "1")

if FUZZING:
    import atheris

    # the heavy, uninstrumented dependencies first: only paramseal and msgpack are traced
    import numpy  # noqa: F401
    import scipy.sparse  # noqa: F401
    import sklearn  # noqa: F401

    with atheris.instrument_imports(include=["paramseal", "msgpack"]):
        import importlib
        import pkgutil

        import msgpack  # noqa: F401

        import paramseal
        import paramseal.sklearn
        from paramseal.registry import default_registry

        for _module in pkgutil.walk_packages(paramseal.__path__, "paramseal."):
            if _module.name not in ("paramseal.__main__", "paramseal.sklearn.coverage"):
                importlib.import_module(_module.name)
        default_registry()  # the lazy imports of the reconstructors, instrumented too

import paramseal  # noqa: E402
from paramseal import _age, _container  # noqa: E402
from paramseal.keys import PrivateKey  # noqa: E402
from paramseal.policy import Policy  # noqa: E402

Check = Callable[[bytes], None]


# ------------------------------------------------------------------------ fixed keys

def _fixed(label: str) -> bytes:
    return hashlib.sha256(b"paramseal fuzz " + label.encode()).digest()


@functools.cache
def signing_keys() -> tuple[PrivateKey, PrivateKey]:
    """Two fixed signing keys (Ed25519 and ECDSA P-256): seeds stay valid across runs."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    ed = ed25519.Ed25519PrivateKey.from_private_bytes(_fixed("ed25519"))
    p256 = ec.derive_private_key(int.from_bytes(_fixed("p256"), "big") % (2**255), ec.SECP256R1())
    return PrivateKey(ed), PrivateKey(p256)


@functools.cache
def policies() -> tuple[Policy, Policy]:
    """Trust either key (threshold 1) and both keys (threshold 2)."""
    keys = [k.public_key for k in signing_keys()]
    return Policy.from_keys(keys, threshold=1), Policy.from_keys(keys, threshold=2)


@functools.cache
def age_identity() -> tuple[str, str]:
    """A fixed age identity and its recipient."""
    from cryptography.hazmat.primitives.asymmetric import x25519

    key = x25519.X25519PrivateKey.from_private_bytes(_fixed("x25519"))
    return _age.format_identity(key), _age.format_recipient(key.public_key())


PASSPHRASE = b"correct horse battery staple"
#: scrypt work factor of the passphrase seeds, and the cap the harnesses load with: a mutated
#: work factor above it is refused before scrypt runs, one below it stays cheap.
SCRYPT_LOG_N = 2
MAX_SCRYPT_LOG_N = 10


# ------------------------------------------------------------------------ seed models

#: Signed and encrypted seeds are not reproducible (signature times, random file keys): a
#: harness run keeps the ones it generated under fuzz/corpus/_seeds/, so that the corpus a
#: previous run grew from them still matches what the harness compares against.
SEED_CACHE = CORPUS / "_seeds"
_PERSIST = Path(sys.argv[0]).name.startswith("fuzz_")


def _persisted(kind: str, build: Callable[[], dict[str, bytes]]) -> dict[str, bytes]:
    folder = SEED_CACHE / kind
    if _PERSIST and folder.is_dir() and (folder / ".complete").exists():
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
                if not p.name.startswith(".")}
    seeds = build()
    if _PERSIST:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        (folder / ".complete").touch()
    return seeds


@functools.cache
def fitted_models() -> dict[str, Any]:
    """Small fitted models of several families, all on the same 4-feature data."""
    from scipy import sparse
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    X, y = data()
    models: dict[str, Any] = {
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
        "forest": RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0),
        "hgb": HistGradientBoostingClassifier(max_iter=2, max_leaf_nodes=3, random_state=0),
        "knn_kd": KNeighborsClassifier(algorithm="kd_tree", leaf_size=4),
        "svc": SVC(random_state=0),
        "kmeans": KMeans(n_clusters=2, n_init=1, random_state=0),
        "logreg_pipe": make_pipeline(StandardScaler(), LogisticRegression()),
        "pca": PCA(n_components=2),
    }
    for model in models.values():
        model.fit(X, y)
    models["svc_sparse"] = SVC().fit(sparse.csr_matrix(X), y)
    models["onehot"] = OneHotEncoder().fit((X[:, :2] > 0).astype(int))
    return models


@functools.cache
def data() -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@functools.cache
def plain_files() -> dict[str, bytes]:
    """Each fitted model dumped plain, and a few compressed (format 1.1)."""
    return _persisted("plain", _plain_files)


def _plain_files() -> dict[str, bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {name: paramseal.dumps(m) for name, m in fitted_models().items()}
        for name in ("tree", "knn_kd", "pca"):
            out[name + "_zstd"] = paramseal.dumps(fitted_models()[name], compress=True)
    return out


@functools.cache
def signed_files() -> dict[str, bytes]:
    """Models signed by one key, by both keys, and signed + encrypted."""
    return _persisted("signed", _signed_files)


def _signed_files() -> dict[str, bytes]:
    ed, p256 = signing_keys()
    models = fitted_models()
    _, recipient = age_identity()
    return {
        "tree_ed": paramseal.dumps(models["tree"], sign=ed),
        "svc_p256": paramseal.dumps(models["svc"], sign=p256),
        "kmeans_both": paramseal.dumps(models["kmeans"], sign=[ed, p256]),
        "knn_both_expiring": paramseal.dumps(models["knn_kd"], sign=[ed, p256],
                                             expires=__import__("datetime").timedelta(days=3650)),
        "pca_encrypted_ed": paramseal.dumps(models["pca"], sign=ed, recipients=[recipient]),
    }


@functools.cache
def encrypted_files() -> dict[str, bytes]:
    """Whole encrypted files: to the fixed identity, and to the passphrase (cheap scrypt)."""
    return _persisted("encrypted", _encrypted_files)


def _encrypted_files() -> dict[str, bytes]:
    from paramseal import _header

    _, recipient = age_identity()
    models = fitted_models()
    out = {}
    for name in ("tree", "svc", "logreg_pipe"):
        out[name + "_x25519"] = paramseal.dumps(models[name], recipients=[recipient])
    out["hgb_x25519_zstd"] = paramseal.dumps(models["hgb"], recipients=[recipient], compress=True)
    for name in ("tree", "kmeans"):
        # paramseal.dumps uses the default work factor (2**18, ~0.5 s): rebuild the payload
        # with a cheap one, as another writer may
        inner = plain_files()[name]
        payload = b"".join(_age.encrypt([inner], len(inner), passphrase=PASSPHRASE,
                                        scrypt_log_n=SCRYPT_LOG_N))
        header = _header.Header(
            sections=(_header.Section("payload", 0, len(payload),
                                      hashlib.sha256(payload).digest()),),
            producer=_container.parse(memoryview(inner)).header.producer,
            encryption="age-v1",
        )
        head, _ = _container.layout(header)
        out[name + "_scrypt"] = head + payload
    return out


def payload_of(file: bytes) -> bytes:
    """The age payload of an encrypted file."""
    container = _container.parse(memoryview(file))
    return bytes(container.sections["payload"])


def vectors() -> dict[str, bytes]:
    """The spec's hostile vectors: the bytes after the description block of each file."""
    out = {}
    if VECTORS.is_dir():
        for path in sorted(VECTORS.iterdir()):
            if path.is_file() and path.name != "README.md":
                out[path.name] = path.read_bytes().partition(b"\n\n")[2]
    return out


# ------------------------------------------------------------------------ running

def mutate(data: bytes, rng: random.Random) -> bytes:
    """A few byte-level mutations: flips, interesting bytes, insertions, deletions, swaps and
    aligned 8-byte words (which hit lengths, offsets and int64 indices)."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buffer:
            buffer.append(rng.randrange(256))
            continue
        i = rng.randrange(len(buffer))
        op = rng.randrange(6)
        if op == 0:
            buffer[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            buffer[i] = rng.choice((0x00, 0x01, 0x7F, 0x80, 0xC0, 0xFF, 0xCC, 0xDC, 0xDE))
        elif op == 2:
            buffer.insert(i, rng.randrange(256))
        elif op == 3:
            del buffer[i]
        elif op == 4:
            j = rng.randrange(len(buffer))
            buffer[i], buffer[j] = buffer[j], buffer[i]
        else:
            j = i - i % 8
            value = rng.choice((0, 1, -1, 2**31, 2**32 - 1, 10**9, -2, 2**62))
            word = value.to_bytes(8, "little", signed=True)
            buffer[j:j + 8] = word[:len(buffer[j:j + 8])]
    return bytes(buffer)


def timed(check: Check, data: bytes, bound: float = TIME_BOUND) -> None:
    """``check(data)`` within ``bound`` seconds of CPU time (the machine may be shared, so
    wall time gets five times that before it counts as a hang)."""
    cpu, wall = time.process_time(), time.perf_counter()
    check(data)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert cpu < bound, f"one input took {cpu:.2f} s of CPU time (bound {bound} s)"
    assert wall < 5 * bound, f"one input took {wall:.2f} s (bound {5 * bound} s of wall time)"


def replay(check: Check, seeds: dict[str, bytes], mutations: int, seed: int = 0,
           bound: float = TIME_BOUND, name: str = "replay") -> int:
    """Every seed and ``mutations`` mutants of each through ``check``; returns the count.

    A failing input is saved under fuzz/findings/ before the failure propagates.
    """
    from paramseal.registry import default_registry

    default_registry()  # the one-time import of scikit-learn is not an input's cost
    rng = random.Random(seed)
    count = 0
    for label, data in seeds.items():
        for k in range(mutations + 1):
            candidate = data if k == 0 else mutate(data, rng)
            try:
                timed(check, candidate, bound)
            except BaseException:
                save_finding(name, candidate, f"replay-{label}-{k}")
                raise
            count += 1
    return count


def save_finding(harness: str, data: bytes, label: str) -> Path:
    folder = FINDINGS / harness
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{label}-{hashlib.sha256(data).hexdigest()[:16]}"
    with contextlib.suppress(OSError):
        target.write_bytes(data)
    return target


def write_corpus(folder: Path, seeds: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        return
    for name, data in seeds.items():
        (folder / f"seed-{name}").write_bytes(data)


#: Triaged findings not fixed yet, as (exception class, function that raised it, file name):
#: with ``PARAMSEAL_FUZZ_SKIP_KNOWN=1`` a campaign treats them as refusals, so that it goes on
#: looking for new ones instead of stopping at the first (libFuzzer stops at a crash). Each
#: must be recorded under fuzz/findings/ first. Empty: every finding so far is fixed (the
#: first campaign listed the non-string map keys of ``_decode_map`` and the estimator codec's
#: ``decode``, the ``flip`` check of ``decode_ndarray`` and ``int()`` in ``decode_bigint``).
KNOWN: frozenset[tuple[str, str, str]] = frozenset()
SKIP_KNOWN = bool(os.environ.get("PARAMSEAL_FUZZ_SKIP_KNOWN"))


def _known(exc: BaseException) -> bool:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    last = frames[-1]
    return (type(exc).__name__, last.name, Path(last.filename).name) in KNOWN


def quiet(check: Check) -> Check:
    """``check`` with warnings silenced (a VersionWarning is not a finding)."""

    @functools.wraps(check)
    def wrapped(data: bytes) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                check(data)
            except Exception as exc:
                if not (SKIP_KNOWN and _known(exc)):
                    raise

    return wrapped


def main(name: str, check: Check, seeds: Callable[[], dict[str, bytes]]) -> None:
    argv = sys.argv
    if "--mutate" in argv:
        i = argv.index("--mutate")
        n = int(argv[i + 1]) if len(argv) > i + 1 else 100
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
        start = time.perf_counter()
        count = replay(check, seeds(), n, seed, name=name)
        print(f"{name}: {count} inputs in {time.perf_counter() - start:.1f} s, no finding")
        return
    folder = CORPUS / name
    args = [a for a in argv[1:] if not a.startswith("-")]
    if not args:
        argv = [argv[0], str(folder), *argv[1:]]
        args = [str(folder)]
    if not Path(args[0]).is_file():  # a file argument re-runs that one input
        write_corpus(Path(args[0]), seeds())
    flags = [a for a in argv[1:] if a.startswith("-")]
    if not any(f.startswith("-timeout=") for f in flags):
        argv.append("-timeout=5")
    if not any(f.startswith("-artifact_prefix=") for f in flags):
        (FINDINGS / name).mkdir(parents=True, exist_ok=True)
        argv.append(f"-artifact_prefix={FINDINGS / name}/")
    import atheris

    def guarded(data: bytes) -> None:
        # libFuzzer writes a crash-* artifact too, but not always: atheris 3.0.0 may die on
        # SIGALRM while reporting an uncaught exception
        try:
            check(data)
        except BaseException:
            save_finding(name, data, "uncaught")
            raise

    atheris.Setup(argv, guarded)
    atheris.Fuzz()


def items(mapping: dict[str, bytes], prefix: str) -> Iterator[tuple[str, bytes]]:
    for key, value in mapping.items():
        yield f"{prefix}{key}", value
