"""The model store (spec §10): versions, tags and rollback, the signed audit log, rollback
protection, policy refusal after kilobytes, concurrent pushers, caching and parallel loads —
on a local folder and on a real S3 server (SeaweedFS, tests/s3server.py)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from s3server import S3Server
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import paramseal
from paramseal import Cache, Policy, PrivateKey, Store, errors
from paramseal.store import decode_entry, encode_entry

RNG = np.random.RandomState(0)
X = RNG.rand(60, 4)
Y = (X[:, 0] + X[:, 1] > 1).astype(int)
ALICE = PrivateKey.generate()
MALLORY = PrivateKey.generate()
TRUST_ALICE = Policy.from_keys([ALICE.public_key])


def _model(c: float) -> LogisticRegression:
    return LogisticRegression(C=c).fit(X, Y)


@pytest.fixture(params=["local", "s3"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """A fresh store location: a folder, or a unique prefix of the S3 bucket."""
    if request.param == "local":
        return {"location": str(tmp_path / "store"), "storage_options": None, "kind": "local"}
    server: S3Server = request.getfixturevalue("s3")
    return {"location": server.url(f"store-{uuid.uuid4().hex[:12]}"),
            "storage_options": server.storage_options, "kind": "s3"}


def _store(where: dict[str, Any], tmp_path: Path, *, key: PrivateKey | None = ALICE,
           state: str = "state.json", **kwargs: Any) -> Store:
    return Store(where["location"], key=key, state=tmp_path / state,
                 storage_options=where["storage_options"], **kwargs)


def test_push_pull_versions_and_blobs_stored_once(where: dict[str, Any], tmp_path: Path) -> None:
    store = _store(where, tmp_path)
    first, second = _model(1.0), _model(0.1)
    assert store.push(first, "churn", tags=["staging"]) == 1
    assert store.push(second, "churn") == 2
    third = _model(3.0)
    data = paramseal.dumps(third, sign=ALICE)
    assert store.push(data, "churn") == 3  # a file, stored as it is
    assert store.push(data, "churn") == 4  # same bytes: same blob, a new version
    versions = store.versions("churn")
    assert [v.number for v in versions] == [1, 2, 3, 4]
    assert versions[2].blob == versions[3].blob == hashlib.sha256(data).hexdigest()
    assert versions[0].tags == ("staging",) and versions[0].actor == ALICE.key_id
    blobs = store.backend.list("blobs")
    assert len(blobs) == 3
    loaded = store.pull("churn", 2, policy=TRUST_ALICE)
    assert np.array_equal(loaded.predict_proba(X), second.predict_proba(X))
    latest = store.pull("churn", policy=TRUST_ALICE)
    assert np.array_equal(latest.decision_function(X), third.decision_function(X))
    assert store.names() == ["churn"]
    with pytest.raises(errors.StorageError, match="no version 9"):
        store.pull("churn", 9)
    with pytest.raises(errors.StorageError, match="no tag"):
        store.pull("churn", tag="prod")


def test_rollback_by_tag_and_rollback_protection(where: dict[str, Any], tmp_path: Path) -> None:
    store = _store(where, tmp_path)
    store.push(_model(1.0), "m", tags=["prod"])
    store.push(_model(0.5), "m")
    store.tag("m", 2, "prod")
    assert store.tags("m") == {"prod": 2}
    assert store.pull("m", tag="prod", policy=TRUST_ALICE).C == 0.5
    store.tag("m", 1, "prod")  # the rollback
    assert store.tags("m") == {"prod": 1}
    with pytest.raises(errors.VerificationError, match="older than version 2"):
        store.pull("m", tag="prod", policy=TRUST_ALICE)
    assert store.pull("m", tag="prod", policy=TRUST_ALICE, allow_rollback=True).C == 1.0
    # another client, that never accepted version 2, follows the tag
    other = _store(where, tmp_path, key=None, state="other.json")
    assert other.pull("m", tag="prod", policy=TRUST_ALICE).C == 1.0
    with pytest.raises(errors.StorageError, match="no version 7"):
        store.tag("m", 7, "prod")
    kinds = [(e.action, e.version, e.tags) for e in store.log("m")]
    assert kinds == [("push", 1, ("prod",)), ("push", 2, ()), ("tag", 2, ("prod",)),
                     ("tag", 1, ("prod",))]


def test_pull_refuses_an_untrusted_signer(where: dict[str, Any], tmp_path: Path) -> None:
    store = _store(where, tmp_path, key=MALLORY)
    store.push(_model(1.0), "m")
    with pytest.raises(errors.VerificationError):
        store.pull("m", policy=TRUST_ALICE)
    with pytest.raises(errors.VerificationError, match="does not trust"):
        store.verify_log("m", TRUST_ALICE)
    assert len(store.verify_log("m", Policy.from_keys([MALLORY.public_key]))) == 1


def test_a_tag_moved_by_an_untrusted_key_is_refused(where: dict[str, Any],
                                                    tmp_path: Path) -> None:
    """Anyone who can write to the store can append a signed entry; a policy decides whose
    entries count. Mallory points prod back at an old (validly signed) version."""
    store = _store(where, tmp_path)
    store.push(_model(1.0), "m")
    store.push(_model(0.5), "m", tags=["prod"])
    _store(where, tmp_path, key=MALLORY, state="mallory.json").tag("m", 1, "prod")
    fresh = _fresh(where, tmp_path)
    with pytest.raises(errors.VerificationError, match="tagged 'prod' by a key the policy"):
        fresh.pull("m", tag="prod", policy=TRUST_ALICE)
    assert fresh.pull("m", 1, policy=TRUST_ALICE).C == 1.0  # by number: alice's push
    both = Policy.from_keys([ALICE.public_key, MALLORY.public_key])
    assert _fresh(where, tmp_path).pull("m", tag="prod", policy=both).C == 1.0


def test_changes_need_a_key(where: dict[str, Any], tmp_path: Path) -> None:
    store = _store(where, tmp_path, key=None)
    with pytest.raises(ValueError, match="signed by their author"):
        store.push(_model(1.0), "m")
    with pytest.raises(ValueError, match="model name"):
        _store(where, tmp_path).push(_model(1.0), "../etc")
    with pytest.raises(ValueError, match="tag"):
        _store(where, tmp_path).push(_model(1.0), "m", tags=["a b"])


# ---------------------------------------------------------------- audit log tampering

def _entries(store: Store, name: str) -> list[str]:
    return store.backend.list(f"models/{name}/log")


def _replace(store: Store, key: str, data: bytes) -> None:
    store.backend.write(key, [data])


def _remove(store: Store, key: str) -> None:
    path = store.backend.local_path(key)
    if path is not None:
        os.unlink(path)
    else:
        fs = store.backend.fs  # type: ignore[attr-defined]
        fs.rm(f"{store.backend.root}/{key}")  # type: ignore[attr-defined]


def _three_entries(where: dict[str, Any], tmp_path: Path) -> tuple[Store, list[str]]:
    store = _store(where, tmp_path)
    store.push(_model(1.0), "m")
    store.push(_model(0.5), "m")
    store.tag("m", 1, "prod")
    return store, _entries(store, "m")


def _fresh(where: dict[str, Any], tmp_path: Path) -> Store:
    """A client that has never read the log (so only the log itself can show the change)."""
    return _store(where, tmp_path, key=None, state=f"fresh-{uuid.uuid4().hex}.json")


def test_log_detects_a_removed_entry(where: dict[str, Any], tmp_path: Path) -> None:
    store, keys = _three_entries(where, tmp_path)
    _remove(store, keys[1])
    with pytest.raises(errors.VerificationError, match="gap"):
        _fresh(where, tmp_path).verify_log("m")


def test_log_detects_an_altered_entry(where: dict[str, Any], tmp_path: Path) -> None:
    store, keys = _three_entries(where, tmp_path)
    data = bytearray(store.backend.read(keys[2], limit=1 << 16))
    data[-70] ^= 1  # inside the signed entry or its signature
    _replace(store, keys[2], bytes(data))
    with pytest.raises(errors.VerificationError):
        _fresh(where, tmp_path).verify_log("m")


def test_verify_log_rereads_what_this_client_read_before(where: dict[str, Any],
                                                          tmp_path: Path) -> None:
    store, keys = _three_entries(where, tmp_path)  # this store object has read the log
    data = bytearray(store.backend.read(keys[0], limit=1 << 16))
    data[-70] ^= 1
    _replace(store, keys[0], bytes(data))
    assert len(store.log("m")) == 3  # incremental: nothing new to read
    with pytest.raises(errors.VerificationError):
        store.verify_log("m")


def test_log_detects_a_resigned_entry(where: dict[str, Any], tmp_path: Path) -> None:
    """An attacker with a key of their own rewrites entry 1 (another blob): the signature
    holds, the chain breaks at entry 2."""
    store, keys = _three_entries(where, tmp_path)
    prev = decode_entry(store.backend.read(keys[0], limit=1 << 16), name="m", seq=0,
                        prev=bytes(32)).digest
    forged = encode_entry({"action": "push", "blob": bytes(32), "head": bytes(32), "model": "m",
                           "prev": prev, "seq": 1, "size": 1, "tags": [], "time": 0,
                           "version": 2}, MALLORY)
    _replace(store, keys[1], forged)
    with pytest.raises(errors.VerificationError, match="hash chain"):
        _fresh(where, tmp_path).verify_log("m")


def test_log_detects_reordered_entries(where: dict[str, Any], tmp_path: Path) -> None:
    store, keys = _three_entries(where, tmp_path)
    one, two = (store.backend.read(k, limit=1 << 16) for k in keys[1:])
    _replace(store, keys[1], two)
    _replace(store, keys[2], one)
    with pytest.raises(errors.VerificationError, match="says it is entry"):
        _fresh(where, tmp_path).verify_log("m")


def test_log_cut_short_is_refused_by_a_client_that_saw_it(where: dict[str, Any],
                                                          tmp_path: Path) -> None:
    store, keys = _three_entries(where, tmp_path)
    reader = _store(where, tmp_path, key=None, state="reader.json")
    assert len(reader.verify_log("m")) == 3
    _remove(store, keys[2])
    again = _store(where, tmp_path, key=None, state="reader.json")  # same client, restarted
    with pytest.raises(errors.VerificationError, match="removed or rewritten"):
        again.verify_log("m")
    assert len(_fresh(where, tmp_path).verify_log("m")) == 2  # undetectable without memory


def test_log_length_is_bounded(where: dict[str, Any], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    import paramseal.store as store_module

    store = _store(where, tmp_path)
    store.push(_model(1.0), "m")
    store.tag("m", 1, "a")
    monkeypatch.setattr(store_module, "MAX_LOG_ENTRIES", 1)
    with pytest.raises(errors.LimitError, match="log entries"):
        _fresh(where, tmp_path).log("m")


def test_pull_checks_the_blob_digest(where: dict[str, Any], tmp_path: Path) -> None:
    store = _store(where, tmp_path)
    store.push(_model(1.0), "m")
    blob = store.backend.list("blobs")[0]
    other = paramseal.dumps(_model(2.0), sign=ALICE)
    _replace(store, blob, other)
    with pytest.raises(errors.VerificationError, match="not the one its log entry records"):
        _fresh(where, tmp_path).pull("m", policy=TRUST_ALICE)


def test_pull_checks_every_byte_of_the_blob(where: dict[str, Any], tmp_path: Path) -> None:
    """Same signed part, one tensor byte changed: the head digest matches, a section digest
    does not; refused with and without a policy (the whole file is never hashed)."""
    store = _store(where, tmp_path)
    store.push(_model(1.0), "m")
    blob = store.backend.list("blobs")[0]
    data = bytearray(store.backend.read(blob, limit=1 << 20))
    data[-3] ^= 0x10
    _replace(store, blob, bytes(data))
    for policy in (TRUST_ALICE, None):
        with pytest.raises(errors.VerificationError, match="not the one its log entry"):
            _fresh(where, tmp_path).pull("m", policy=policy)


def test_a_taken_blob_name_with_other_bytes_fails_the_push(where: dict[str, Any],
                                                            tmp_path: Path) -> None:
    store = _store(where, tmp_path)
    data = paramseal.dumps(_model(1.0), sign=ALICE)
    squatted = f"blobs/sha256/{hashlib.sha256(data).hexdigest()}"
    assert store.backend.create(squatted, b"not that file")
    with pytest.raises(errors.StorageError, match="other bytes than its name says"):
        store.push(data, "m")
    assert store.versions("m") == []


# ---------------------------------------------------------------- remote: kilobytes to refuse

def _count_transfer(monkeypatch: pytest.MonkeyPatch, backend: Any) -> list[int]:
    sizes: list[int] = []
    read_range, read = backend.read_range, backend.read

    def counted_range(key: str, start: int, end: int) -> bytes:
        data = read_range(key, start, end)
        sizes.append(len(data))
        return data

    def counted_read(key: str, *, limit: int) -> bytes:
        data = read(key, limit=limit)
        sizes.append(len(data))
        return data

    monkeypatch.setattr(backend, "read_range", counted_range)
    monkeypatch.setattr(backend, "read", counted_read)
    return sizes


def _big_model() -> dict[str, Any]:
    return {"weights": np.random.RandomState(1).rand(2_500_000), "note": "20 MB of float64"}


def test_policy_refusal_costs_kilobytes_on_s3(s3: S3Server, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    where = {"location": s3.url(f"store-{uuid.uuid4().hex[:12]}"),
             "storage_options": s3.storage_options}
    store = _store(where, tmp_path, key=MALLORY)
    store.push(_big_model(), "big")
    size = store.versions("big")[0].size
    assert size > 20_000_000
    reader = _store(where, tmp_path, key=None, state="r.json")
    sizes = _count_transfer(monkeypatch, reader.backend)
    with pytest.raises(errors.VerificationError):
        reader.pull("big", policy=TRUST_ALICE)
    model_bytes = sum(sizes) - sum(len(reader.backend.read(k, limit=1 << 16))
                                   for k in _entries(reader, "big"))
    assert sum(sizes) < 100_000, sizes  # the log entries and one 64 KiB range
    assert model_bytes <= 64 * 1024
    # the same through load() of a URL
    url = s3.url(f"single-{uuid.uuid4().hex[:8]}.paramseal")
    paramseal.dump(_big_model(), url, sign=MALLORY, storage_options=s3.storage_options)
    from paramseal import _remote, _storage

    seen: list[int] = []
    original = _storage.FsspecBackend.read_range

    def counted(self: Any, key: str, start: int, end: int) -> bytes:
        data = original(self, key, start, end)
        seen.append(len(data))
        return data

    monkeypatch.setattr(_storage.FsspecBackend, "read_range", counted)
    with pytest.raises(errors.VerificationError):
        paramseal.load(url, policy=TRUST_ALICE, storage_options=s3.storage_options)
    assert sum(seen) <= _remote.PROBE, seen
    seen.clear()
    loaded = paramseal.load(url, policy=Policy.from_keys([MALLORY.public_key]),
                            storage_options=s3.storage_options)
    assert np.array_equal(loaded["weights"], _big_model()["weights"])
    assert sum(seen) == paramseal.inspect(url, storage_options=s3.storage_options).file_size


def test_an_announced_size_is_not_allocated_up_front() -> None:
    """A store entry (or a server) that claims 10 GB for a 1 KB object: the read fails on the
    missing bytes; nothing is allocated for the claim."""
    from paramseal import _remote
    from paramseal.limits import DEFAULT

    url = f"memory://paramseal-{uuid.uuid4().hex[:8]}/m.paramseal"
    paramseal.dump(_model(1.0), url)
    backend, key = _remote.split(url)
    with pytest.raises(errors.ContainerError):
        _remote.fetch(backend, key, policy=None, limits=DEFAULT, size=10**10)


def test_dump_load_inspect_urls(s3: S3Server) -> None:
    model = _model(1.0)
    for url, options in ((s3.url(f"u-{uuid.uuid4().hex[:8]}.paramseal"), s3.storage_options),
                         (f"memory://paramseal-{uuid.uuid4().hex[:8]}/m.paramseal", None)):
        paramseal.dump(model, url, sign=ALICE, storage_options=options)
        assert paramseal.inspect(url, storage_options=options).signatures[0].kid == \
            ALICE.public_key.kid
        for mmap in (True, False):
            loaded = paramseal.load(url, policy=TRUST_ALICE, mmap=mmap, storage_options=options)
            assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
            assert loaded.coef_.flags.writeable is (not mmap)


# ---------------------------------------------------------------- concurrency

_PUSHER = textwrap.dedent("""
    import json, sys
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    import paramseal
    location, options, state, worker, count = sys.argv[1:6]
    X = np.random.RandomState(0).rand(40, 3); y = (X[:, 0] > .5).astype(int)
    key = paramseal.PrivateKey.generate()
    store = paramseal.Store(location, key=key, state=state,
                            storage_options=json.loads(options) or None)
    got = []
    for i in range(int(count)):
        model = LogisticRegression(C=1.0 + int(worker) + i / 100).fit(X, y)
        got.append([store.push(model, "shared"), model.C])
    print(json.dumps({"got": got, "lost": store.lost_races}))
""")


def test_concurrent_pushers_never_lose_or_duplicate(where: dict[str, Any],
                                                     tmp_path: Path) -> None:
    import json

    workers, each = 8, 3
    options = json.dumps(where["storage_options"] or {})
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", _PUSHER, where["location"], options,
                               str(tmp_path / f"w{n}.json"), str(n), str(each)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for n in range(workers)]
    results, lost = [], 0
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        report = json.loads(out)
        results.extend(report["got"])
        lost += report["lost"]
    print(f"\n{workers} pushers x {each} on {where['kind']}: {lost} lost races, retried")
    numbers = sorted(v for v, _ in results)
    assert numbers == list(range(1, workers * each + 1))  # none lost, none twice
    store = _fresh(where, tmp_path)
    log = store.verify_log("shared")
    assert [e.version for e in log] == list(range(1, workers * each + 1))
    assert len({e.actor.kid for e in log}) == workers
    by_version = dict(results)
    for number in (1, workers * each):
        assert by_version[number] == store.pull("shared", number, allow_rollback=True).C


def test_a_lost_race_takes_the_next_position(where: dict[str, Any], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic race: between this client's read of the log and its create, another
    client pushes; the create fails, and the push lands one position later."""
    mine = _store(where, tmp_path)
    theirs = _store(where, tmp_path, state="theirs.json")
    mine.push(_model(1.0), "m")
    create = mine.backend.create
    raced = []

    def create_after_them(key: str, data: bytes) -> bool:
        if "/log/" in key and not raced:
            raced.append(theirs.push(_model(2.0), "m"))
        return create(key, data)

    monkeypatch.setattr(mine.backend, "create", create_after_them)
    assert mine.push(_model(3.0), "m") == 3
    assert raced == [2] and mine.lost_races == 1
    assert [(v.number, v.actor) for v in _fresh(where, tmp_path).versions("m")] == [
        (1, ALICE.key_id), (2, ALICE.key_id), (3, ALICE.key_id)]
    assert _fresh(where, tmp_path).pull("m", 2, policy=TRUST_ALICE).C == 2.0


# ---------------------------------------------------------------- atomic local writes

_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from paramseal import _io
    def chunks():
        yield b"new bytes, part one"
        print("mid", flush=True)
        time.sleep(60)
        yield b"part two"
    _io.write_chunks(sys.argv[1], chunks())
""")


def test_a_killed_writer_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.paramseal"
    paramseal.dump(_model(1.0), target)
    old = target.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "mid"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == old
    assert paramseal.load(target).C == 1.0
    # what the killed writer leaves is its hidden temporary file, never the target
    assert all(p.name.startswith(".paramseal-") for p in tmp_path.iterdir()
               if p.name != "model.paramseal")


# ---------------------------------------------------------------- cache and load_many

def test_cache_hit_costs_no_io_and_returns_independent_objects(
        where: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache(max_bytes=64 << 20, directory=tmp_path / "disk")
    writer = _store(where, tmp_path)
    writer.push(_model(1.0), "m")
    reader = _store(where, tmp_path, key=None, state="r.json", cache=cache)
    first = reader.pull("m", 1, policy=TRUST_ALICE)
    calls: list[str] = []
    for name in ("read", "read_range", "size", "list", "exists", "write", "create"):
        original = getattr(reader.backend, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(reader.backend, name, spy)
    second = reader.pull("m", 1, policy=TRUST_ALICE)
    assert calls == []
    assert cache.hits >= 1
    assert second is not first and second.coef_ is not first.coef_
    assert np.array_equal(second.predict_proba(X), first.predict_proba(X))
    second.C = 99.0
    assert first.C == 1.0
    if where["kind"] == "s3":  # a remote blob also went to the disk tier
        assert len(list((tmp_path / "disk").iterdir())) == 1


def test_cache_is_bounded_and_rehashes_disk(tmp_path: Path) -> None:
    cache = Cache(max_bytes=250, directory=tmp_path / "d", max_disk_bytes=250)
    blobs = [bytes([i]) * 100 for i in range(4)]
    digests = [hashlib.sha256(b).digest() for b in blobs]
    for digest, blob in zip(digests, blobs, strict=True):
        cache.put(digest, blob, disk=True)
    assert cache.memory_bytes <= 250
    assert sum(p.stat().st_size for p in (tmp_path / "d").iterdir()) <= 250
    cache.clear()
    assert cache.get(digests[0]) is None  # evicted from both tiers
    (tmp_path / "d" / digests[3].hex()).write_bytes(b"tampered")
    assert cache.get(digests[3]) is None  # a disk file that does not hash is dropped
    assert not (tmp_path / "d" / digests[3].hex()).exists()


def test_load_many_keeps_order(tmp_path: Path) -> None:
    paths = []
    for i in range(20):
        path = tmp_path / f"m{i}.paramseal"
        paramseal.dump(_model(1.0 + i), path)
        paths.append(path)
    loaded = paramseal.load_many(paths, max_workers=4)
    assert [m.C for m in loaded] == [1.0 + i for i in range(20)]
    bad = tmp_path / "junk.paramseal"
    bad.write_bytes(b"junk")
    with pytest.raises(errors.ContainerError):
        paramseal.load_many([paths[0], bad], max_workers=2)


def test_a_store_in_memory(tmp_path: Path) -> None:
    """Any fsspec location works: memory:// (per process) with the same rules."""
    where = {"location": f"memory://store-{uuid.uuid4().hex[:8]}", "storage_options": None}
    store = _store(where, tmp_path)
    assert store.push(_model(1.0), "m", tags=["prod"]) == 1
    assert store.push(_model(0.5), "m") == 2
    assert store.pull("m", tag="prod", policy=TRUST_ALICE, allow_rollback=True).C == 1.0
    assert [e.action for e in _fresh(where, tmp_path).verify_log("m", TRUST_ALICE)] == [
        "push", "push"]


def test_forest_round_trip_through_the_store(where: dict[str, Any], tmp_path: Path) -> None:
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, Y)
    store = _store(where, tmp_path)
    store.push(forest, "rf", compress=True)
    loaded = store.pull("rf", policy=TRUST_ALICE)
    assert np.array_equal(loaded.predict_proba(X), forest.predict_proba(X))
