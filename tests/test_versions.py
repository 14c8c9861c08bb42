"""The file's scikit-learn version against the installed one (spec §7.1 step 6a)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
import testkit
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import paramseal
from paramseal.errors import VersionMismatchError, VersionWarning


def _with_producer(data: bytes, version: str | None) -> bytes:
    parts = testkit.unpack(data)
    if version is None:
        del parts.header["producer"]["scikit-learn"]
    else:
        parts.header["producer"]["scikit-learn"] = version
    return testkit.pack(parts)


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    X = np.arange(12.0).reshape(4, 3)
    return paramseal.dumps(LinearRegression().fit(X, [1.0, 2.0, 0.0, 3.0]))


def _other_minor() -> str:
    major, minor = sklearn.__version__.split(".")[:2]
    return f"{major}.{int(minor) - 1}.3"


def test_the_same_version_loads_silently(model_bytes: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paramseal.loads(model_bytes, strict_versions=True)


def test_another_patch_release_loads_silently(model_bytes: bytes) -> None:
    major, minor = sklearn.__version__.split(".")[:2]
    data = _with_producer(model_bytes, f"{major}.{minor}.99")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paramseal.loads(data, strict_versions=True)


def test_another_minor_version_warns_naming_both(model_bytes: bytes) -> None:
    data = _with_producer(model_bytes, _other_minor())
    with pytest.warns(VersionWarning) as record:
        model = paramseal.loads(data)
    assert type(model) is LinearRegression
    message = str(record[0].message)
    assert _other_minor() in message and sklearn.__version__ in message
    assert record[0].filename == __file__, "the warning points at the caller's load"


def test_another_minor_version_raises_when_strict(model_bytes: bytes) -> None:
    data = _with_producer(model_bytes, _other_minor())
    with pytest.raises(VersionMismatchError, match=_other_minor().replace(".", r"\.")):
        paramseal.loads(data, strict_versions=True)


def test_a_missing_version_warns_or_raises(model_bytes: bytes) -> None:
    data = _with_producer(model_bytes, None)
    with pytest.warns(VersionWarning, match="does not say which version"):
        paramseal.loads(data)
    with pytest.raises(VersionMismatchError):
        paramseal.loads(data, strict_versions=True)


def test_nested_scikit_learn_objects_are_checked_once(tmp_path) -> None:
    X = np.arange(12.0).reshape(4, 3)
    pipe = Pipeline([("s", StandardScaler()), ("m", LinearRegression())]).fit(X, [1, 2, 0, 3])
    data = _with_producer(paramseal.dumps({"model": pipe, "note": "x"}), "0.24.2")
    with pytest.warns(VersionWarning) as record:
        paramseal.loads(data)
    assert len(record) == 1
    path = tmp_path / "m.paramseal"
    path.write_bytes(data)
    with pytest.raises(VersionMismatchError, match=r"0\.24\.2"):
        paramseal.load(path, strict_versions=True)


def test_files_without_scikit_learn_objects_are_not_checked() -> None:
    data = _with_producer(paramseal.dumps({"weights": np.arange(4.0)}), "0.1.0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert paramseal.loads(data, strict_versions=True)["weights"].tolist() == [0, 1, 2, 3]


def test_a_hostile_version_string_is_shortened(model_bytes: bytes) -> None:
    data = _with_producer(model_bytes, "9." + "x" * 900)
    with pytest.raises(VersionMismatchError) as info:
        paramseal.loads(data, strict_versions=True)
    assert len(str(info.value)) < 400
