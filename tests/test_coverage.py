"""Every class of scikit-learn's all_estimators() round-trips (issue 3; README coverage line).

Each configuration comes from ``paramseal.sklearn.coverage``: the instances scikit-learn's own
common tests build, plus meta-estimator variants. An exclusion is allowed only with a written
reason in ``coverage.EXCLUDED``, and it is a gap in the coverage line of the README.
"""

from __future__ import annotations

import warnings

import pytest
from sklearn.utils import all_estimators

import paramseal
from paramseal.sklearn import coverage, tag_for

CASES = coverage.cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_configuration_round_trips(case: coverage.Case) -> None:
    result = coverage.run_case(case)
    if case.class_name in coverage.EXCLUDED:
        assert result.status == "excluded"
        return
    assert result.status == "ok", f"{result.status}: {result.detail}"


def test_every_class_is_covered_by_some_configuration() -> None:
    names = {name for name, _ in all_estimators()}
    assert names <= {c.class_name for c in CASES}
    assert set(coverage.EXCLUDED) <= names, "an exclusion names a class that does not exist"


def test_every_registered_class_round_trips_unfitted() -> None:
    """Unfitted estimators are parameters of meta-estimators (``GridSearchCV(SVC())``)."""
    tags = set(paramseal.supported_types())
    checked = 0
    refused: list[str] = []
    for name, cls in all_estimators():
        if tag_for(cls) not in tags:
            continue
        try:
            est = cls()
        except TypeError:  # needs a required argument (an inner estimator, a dictionary)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            try:
                data = paramseal.dumps(est)
            except paramseal.errors.UnsupportedTypeError as exc:
                # SelfTrainingClassifier(): its default estimator=None fails its own checks
                assert "validation refuses" in str(exc), (name, str(exc))
                refused.append(name)
                continue
        loaded = paramseal.loads(data)
        assert type(loaded) is cls and paramseal.dumps(loaded) == data, name
        checked += 1
    assert checked > 150
    assert refused == ["SelfTrainingClassifier"]


def test_a_fitted_attribute_makes_the_validator_run() -> None:
    """Dropping all but one fitted attribute does not turn a model into an 'unfitted' one."""
    import numpy as np
    import testkit
    from sklearn.svm import SVC

    X = np.random.RandomState(0).normal(size=(20, 3))
    data = paramseal.dumps(SVC().fit(X, X[:, 0] > 0))
    parts = testkit.unpack(data)
    (node,) = testkit.find(parts, "sklearn.svm.SVC")
    for name in list(node["state"]):
        if name not in ("epsilon", "nu", "support_"):
            del node["state"][name]
    with pytest.raises(paramseal.errors.ReconstructionError, match=r"sklearn\.svm\.SVC"):
        paramseal.loads(testkit.pack(parts))
