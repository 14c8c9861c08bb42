"""``paramseal store push|pull|versions|tag|log|verify-log`` (issue 7): transcripts on a local
folder, and one real run of ``python -m paramseal store`` against the S3 server with the
credentials in the standard AWS environment variables."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from s3server import S3Server
from sklearn.linear_model import LogisticRegression

import paramseal
from paramseal import cli

X = np.random.RandomState(0).rand(40, 3)
Y = (X[:, 0] > 0.5).astype(int)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    capsys.readouterr()
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    mask = re.compile(r"sha256:[0-9a-f]{64}|\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ|"
                      r"sha256:[0-9a-f]{16}…|sha256:[0-9a-f]{16}…")
    clean = [mask.sub("<masked>", line).rstrip() for line in out.splitlines()]
    return rc, clean, err.splitlines()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARAMSEAL_STATE", str(tmp_path / "state.json"))
    assert cli.main(["keygen", "--out", "alice"]) == 0
    assert cli.main(["keygen", "--out", "mallory"]) == 0
    key = paramseal.PrivateKey.load("alice.key")
    for c in (1.0, 0.25):
        paramseal.dump(LogisticRegression(C=c).fit(X, Y), f"c{c}.paramseal", sign=key)
    paramseal.dump(LogisticRegression(C=9.0).fit(X, Y), "evil.paramseal",
                   sign=paramseal.PrivateKey.load("mallory.key"))
    capsys.readouterr()
    return tmp_path


def test_store_transcript(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = lambda *a: _run(capsys, *a)  # noqa: E731
    assert run("store", "push", "st", "churn", "c1.0.paramseal", "--key", "alice.key",
               "--tag", "prod") == (0, ["pushed c1.0.paramseal as churn version 1 (tags: prod)"],
                                    [])
    assert run("store", "push", "st", "churn", "c0.25.paramseal", "--key", "alice.key") == (
        0, ["pushed c0.25.paramseal as churn version 2"], [])
    assert run("store", "tag", "st", "churn", "2", "prod", "--key", "alice.key") == (
        0, ["tagged churn version 2 as prod"], [])
    rc, out, _ = run("store", "versions", "st", "churn")
    assert rc == 0 and len(out) == 2
    assert out[1].split()[0] == "2" and "prod" in out[1] and "prod" not in out[0]
    rc, out, _ = run("store", "pull", "st", "churn", "--tag", "prod", "--trust", "alice.pub")
    assert (rc, out[0][:40]) == (0, "pulled churn version 2 to churn-v2.param")
    assert "signatures verified" in out[0]
    assert paramseal.load("churn-v2.paramseal").C == 0.25
    # the rollback: operators move prod back; this client needs --allow-rollback to follow
    assert run("store", "tag", "st", "churn", "1", "prod", "--key", "alice.key")[0] == 0
    rc, out, err = run("store", "pull", "st", "churn", "--tag", "prod", "--trust", "alice.pub")
    assert rc == 1 and out == []
    assert err == ["paramseal: error: 'churn' version 1 is older than version 2, which this "
                   "client already accepted (pass allow_rollback=True to roll back)"]
    rc, out, _ = run("store", "pull", "st", "churn", "--tag", "prod", "--trust", "alice.pub",
                     "--allow-rollback", "-o", "rolled.paramseal")
    assert rc == 0 and paramseal.load("rolled.paramseal").C == 1.0
    rc, out, _ = run("store", "log", "st", "churn")
    assert out == ["    0  <masked>  push v1 tags prod             by <masked>",
                   "    1  <masked>  push v2                       by <masked>",
                   "    2  <masked>  tag  prod -> v2               by <masked>",
                   "    3  <masked>  tag  prod -> v1               by <masked>"]
    rc, out, _ = run("store", "verify-log", "st", "churn", "--trust", "alice.pub")
    assert rc == 0 and out[-1] == ("verified the log of churn: 4 entries, signatures and hash "
                                   "chain hold; every actor trusted")
    # an untrusted pusher: the log says who, the policy refuses
    assert run("store", "push", "st", "churn", "evil.paramseal", "--key", "mallory.key")[0] == 0
    rc, out, err = run("store", "verify-log", "st", "churn", "--trust", "alice.pub")
    assert rc == 1 and "signed by a key the policy does not trust" in err[0]
    rc, out, err = run("store", "pull", "st", "churn", "--trust", "alice.pub")
    assert rc == 1 and err[0].startswith("paramseal: error: 'churn' version 3 was pushed by a "
                                         "key the policy does not trust")
    assert not Path("churn-v3.paramseal").exists()
    # pushed by alice but signed by mallory: the file's own signature is refused
    assert run("store", "push", "st", "churn", "evil.paramseal", "--key", "alice.key")[0] == 0
    rc, out, err = run("store", "pull", "st", "churn", "--trust", "alice.pub")
    assert rc == 1 and err[0].startswith("paramseal: error: signature verification failed")
    assert not Path("churn-v4.paramseal").exists()


def test_store_errors(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(capsys, "store", "versions", "st", "nothing")
    assert (rc, err) == (0, [])  # an empty store has no versions: not an error
    rc, _, err = _run(capsys, "store", "pull", "st", "nothing")
    assert rc == 1 and err == ["paramseal: error: 'nothing' has no version"]
    rc, _, err = _run(capsys, "store", "push", "st", "churn", "missing.paramseal", "--key",
                      "alice.key")
    assert rc == 1 and err[0].startswith("paramseal: error: no such file or directory")
    with pytest.raises(SystemExit):
        cli.main(["store", "push", "st", "churn", "c1.0.paramseal"])  # --key is required


def test_store_cli_on_s3_with_progress(s3: S3Server, setup: Path) -> None:
    big = {"w": np.random.RandomState(2).rand(1_000_000)}  # 8 MB: above the progress floor
    paramseal.dump(big, "big.paramseal", sign=paramseal.PrivateKey.load("alice.key"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=s3.key, AWS_SECRET_ACCESS_KEY=s3.secret,
               AWS_ENDPOINT_URL=s3.endpoint_url, AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    location = s3.url("cli-store")

    def paramseal_cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "paramseal", *argv], env=env, cwd=setup,
                              capture_output=True, text=True, timeout=120)

    push = paramseal_cli("store", "push", location, "big", "big.paramseal", "--key", "alice.key")
    assert push.returncode == 0, push.stderr
    assert "MB" in push.stderr  # the progress line
    pull = paramseal_cli("store", "pull", location, "big", "--trust", "alice.pub", "-o",
                         "back.paramseal")
    assert pull.returncode == 0, pull.stderr
    assert "8.0 / 8.0 MB" in pull.stderr.replace(",", "")
    assert Path(setup, "back.paramseal").read_bytes() == Path(setup, "big.paramseal").read_bytes()
    refused = paramseal_cli("store", "pull", location, "big", "--trust", "mallory.pub")
    assert refused.returncode == 1
    assert refused.stderr.startswith("paramseal: error: 'big' version 1 was pushed by a key "
                                     "the policy does not trust")
    assert "MB" not in refused.stderr  # refused before the body was transferred
