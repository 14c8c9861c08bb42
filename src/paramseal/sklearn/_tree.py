"""Decision trees, forests and gradient boosting: the Tree object (N1, N2).

scikit-learn's Cython ``Tree`` walks its nodes with raw pointers and no bounds checks: child
indices, split features and ``max_depth`` (which sizes the buffer of ``decision_path``) are
trusted as they are. So the ``Tree`` entry reads only data (the node records, the values and
the layout integers) and checks, with vectorized numpy, that the nodes form a proper binary
tree numbered parent-first before a ``Tree`` exists:

- ``nodes`` is a 1-D array of ``NODE_DTYPE`` with at least one node (the root);
- ``values`` is float64 of shape ``(len(nodes), n_outputs, max(n_classes))``;
- internal node ``i``: ``i < left_child < node_count`` and ``i < right_child < node_count``
  (so every walk goes forward and ends), ``0 <= feature < n_features``;
- leaves: ``left_child == right_child == -1`` and ``feature == -2``;
- every node but the root is the child of exactly one node (so ``compute_node_depths`` sets
  every depth before reading it, and the depth it finds is the real one);
- ``missing_go_to_left`` is 0 or 1.

``max_depth`` is then recomputed from the nodes; the stored value is only type-checked.

The estimators that hold trees check that the trees agree with them: feature count, outputs
and classes, the exact tree class inside a forest, and for gradient boosting the shape of the
``estimators_`` stage matrix, which ``predict_stages`` trusts to index its output buffer (N2).
Gradient boosting's ``_loss`` (a Python object around a Cython loss) is not written: it is
rebuilt from the parameters at load, as ``fit`` builds it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import ReconstructionError, UnsupportedTypeError
from ..registry import Entry, Registry
from ._estimator import estimator_entry

TREE_TAG = "sklearn.tree.Tree"
_TREE_LEAF = -1
_TREE_UNDEFINED = -2
_MISSING_OFFSET = 56  # missing_go_to_left, a uint8, in the 64-byte record
#: ``feature_importances_`` allocates and walks ``n_features`` doubles; no real tree comes
#: near this, and a file must not be able to make that allocation arbitrary.
MAX_FEATURES = 1 << 28
_TREE_FIELDS = frozenset({"max_depth", "n_classes", "n_features", "n_outputs", "nodes", "values"})
_MISSING = object()


def _tree_type() -> tuple[Any, np.dtype]:
    from sklearn.tree._tree import NODE_DTYPE, Tree

    return Tree, NODE_DTYPE


def _fail(message: str, path: Any, type_name: str = TREE_TAG) -> ReconstructionError:
    return ReconstructionError(message, type_name=type_name,
                               path=path if type(path) is str else P.render(path))


def _is_int(value: Any) -> bool:
    return type(value) is int or isinstance(value, np.integer)


# ---------------------------------------------------------------- the native Tree (N1)

def encode_tree(tree: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    state = tree.__getstate__()
    return {
        "max_depth": int(tree.max_depth),
        "n_classes": [int(c) for c in tree.n_classes],
        "n_features": int(tree.n_features),
        "n_outputs": int(tree.n_outputs),
        "nodes": enc.encode(state["nodes"], (path, ".nodes")),
        "values": enc.encode(state["values"], (path, ".values")),
    }


def _check_nodes(nodes: np.ndarray, n_features: int) -> str | None:
    """The first broken structural invariant of a tree's node records, or None.

    Vectorized: a fixed number of numpy passes per tree and no Python loop over nodes. The
    records of one tree are read from the file once and then stay in the CPU cache, where
    ``Tree.__setstate__`` copies them from right after.
    """
    n = len(nodes)
    # One int64 view of the 64-byte records (no copy): columns 0, 1, 2 are left_child,
    # right_child, feature; byte 56 is missing_go_to_left.
    words = nodes.view(np.int64).reshape(n, 8)
    left, right, feature = words[:, 0], words[:, 1], words[:, 2]
    internal = np.flatnonzero(left != _TREE_LEAF)
    k = len(internal)
    if 2 * k + 1 != n:
        return (f"{n} nodes with {k} internal ones cannot form a binary tree "
                "(k internal nodes make 2k + 1 nodes)")
    # i < child < n, as one unsigned comparison: child - (i + 1) in [0, n - (i + 1)).
    first = internal + 1
    span = (n - first).view(np.uint64)
    left_in, right_in = left[internal], right[internal]
    if ((left_in - first).view(np.uint64) >= span).any():
        return "a left_child is not after its node and inside the node array"
    if ((right_in - first).view(np.uint64) >= span).any():
        return "a right_child is not after its node and inside the node array"
    if k and feature[internal].view(np.uint64).max() >= n_features:
        return f"an internal node's feature is outside [0, {n_features})"
    # 2k children, all in [1, n): they cover [1, n) exactly when no node has two parents.
    seen = np.zeros(n, dtype=np.bool_)
    seen[left_in] = True
    seen[right_in] = True
    if not seen[1:].all():
        return "a node is the child of two nodes (the nodes must form a tree)"
    # Internal nodes were checked above, so counting over all nodes checks the n - k leaves.
    if np.count_nonzero(right == _TREE_LEAF) != n - k:
        return "a leaf (left_child -1) has a right_child other than -1"
    if np.count_nonzero(feature == _TREE_UNDEFINED) != n - k:
        return f"a leaf's feature is not {_TREE_UNDEFINED}"
    if nodes.view(np.uint8)[_MISSING_OFFSET::64].max() > 1:
        return "missing_go_to_left must be 0 or 1"
    return None


def _array_field(node: dict[str, Any], key: str, dec: Any, path: P.Path) -> np.ndarray:
    value = dec.field(node, key, path)
    if type(value) is not np.ndarray:
        raise _fail(f"{key} must be an array, found {type(value).__name__}", path)
    return value


def decode_tree(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    tree_cls, node_dtype = _tree_type()
    n_features, n_outputs = node["n_features"], node["n_outputs"]
    n_classes, max_depth = node["n_classes"], node["max_depth"]
    if type(n_features) is not int or not 1 <= n_features <= MAX_FEATURES:
        raise _fail(f"n_features must be an integer in [1, {MAX_FEATURES}], "
                    f"found {n_features!r:.40}", path)
    if type(n_outputs) is not int or n_outputs < 1:
        raise _fail(f"n_outputs must be a positive integer, found {n_outputs!r:.40}", path)
    if (
        type(n_classes) is not list
        or len(n_classes) != n_outputs
        or not all(type(c) is int and c >= 1 for c in n_classes)
    ):
        raise _fail(f"n_classes must be a list of {n_outputs} positive integers", path)
    if type(max_depth) is not int or max_depth < 0:
        raise _fail(f"max_depth must be a non-negative integer, found {max_depth!r:.40}", path)
    nodes = _array_field(node, "nodes", dec, path)
    values = _array_field(node, "values", dec, path)
    if nodes.dtype != node_dtype or nodes.ndim != 1:
        raise _fail(f"nodes must be a 1-D array of NODE_DTYPE, found {nodes.dtype} "
                    f"with {nodes.ndim} dimensions", path)
    n = len(nodes)
    if n == 0:
        raise _fail("a tree needs at least one node (its root)", path)
    expected = (n, n_outputs, max(n_classes))
    if values.dtype != np.float64 or values.shape != expected:
        raise _fail(f"values must be float64 of shape {list(expected)}, found "
                    f"{values.dtype} of shape {list(values.shape)}", path)
    problem = _check_nodes(nodes, n_features)
    if problem:
        raise _fail(problem, path)
    tree = tree_cls(n_features, np.array(n_classes, dtype=np.intp), n_outputs)
    tree.__setstate__({"max_depth": 0, "node_count": n, "nodes": nodes, "values": values})
    # Safe now: children come after their parent and each node has one parent.
    tree.max_depth = int(tree.compute_node_depths().max()) - 1 if n > 1 else 0
    return tree


# ---------------------------------------------------------------- estimators holding a tree

def _class_counts(value: Any, n_outputs: int) -> list[int] | None:
    """``n_classes_`` as a list of ints (one per output), or None when malformed."""
    if n_outputs == 1 and _is_int(value):
        return [int(value)]
    if type(value) is list or (type(value) is np.ndarray and value.ndim == 1):
        items = list(value)
        if len(items) == n_outputs and n_outputs > 1 and all(_is_int(c) for c in items):
            return [int(c) for c in items]
    return None


def _check_classes(est: Any, tag: str, path: str, n_outputs: int) -> list[int]:
    counts = _class_counts(vars(est).get("n_classes_"), n_outputs)
    if counts is None:
        raise _fail(f"n_classes_ must be an integer (or {n_outputs} integers for "
                    f"{n_outputs} outputs)", path, tag)
    classes = vars(est).get("classes_")
    per_output = [classes] if n_outputs == 1 else classes
    if (
        type(per_output) is not list
        or len(per_output) != n_outputs
        or not all(type(c) is np.ndarray and c.shape == (m,)
                   for c, m in zip(per_output, counts, strict=True))
    ):
        raise _fail(f"classes_ must hold {counts} labels", path, tag)
    return counts


def _need_int(est: Any, name: str, tag: str, path: str, minimum: int = 1) -> int:
    value = vars(est).get(name, _MISSING)
    if not _is_int(value) or value < minimum:
        raise _fail(f"{name} must be an integer >= {minimum}, found {value!r:.40}", path, tag)
    return int(value)


def _tree_validator(tag: str, *, classifier: bool) -> Any:
    def validate(est: Any, path: str) -> None:
        tree: Any = vars(est).get("tree_", _MISSING)
        if tree is _MISSING:
            return  # not fitted: predict raises NotFittedError before any native code
        tree_cls = _tree_type()[0]
        if type(tree) is not tree_cls:
            raise _fail(f"tree_ must be a {TREE_TAG}, found {type(tree).__name__}", path, tag)
        n_features = _need_int(est, "n_features_in_", tag, path)
        if tree.n_features != n_features:
            raise _fail(f"tree_ has {tree.n_features} features but n_features_in_ is "
                        f"{n_features}", path, tag)
        n_outputs = _need_int(est, "n_outputs_", tag, path)
        if tree.n_outputs != n_outputs:
            raise _fail(f"tree_ has {tree.n_outputs} outputs but n_outputs_ is {n_outputs}",
                        path, tag)
        found = [int(c) for c in tree.n_classes]
        if classifier:
            counts = _check_classes(est, tag, path, n_outputs)
            if found != counts:
                raise _fail(f"tree_ has n_classes {found} but n_classes_ is {counts}",
                            path, tag)
        elif found != [1] * n_outputs:
            raise _fail(f"a regression tree has one value per output, found n_classes "
                        f"{found}", path, tag)

    return validate


def _forest_validator(tag: str, tree_type: type, *, classifier: bool) -> Any:
    def validate(est: Any, path: str) -> None:
        trees = vars(est).get("estimators_", _MISSING)
        if trees is _MISSING:
            return
        if type(trees) is not list or not trees:
            raise _fail("estimators_ must be a non-empty list", path, tag)
        n_features = _need_int(est, "n_features_in_", tag, path)
        n_outputs = _need_int(est, "n_outputs_", tag, path)
        counts = _check_classes(est, tag, path, n_outputs) if classifier else None
        for i, tree in enumerate(trees):
            if type(tree) is not tree_type:
                raise _fail(f"estimators_[{i}] must be a {tree_type.__name__}, found "
                            f"{type(tree).__name__}", path, tag)
            state = vars(tree)
            if "tree_" not in state:
                raise _fail(f"estimators_[{i}] is not fitted", path, tag)
            if state["n_features_in_"] != n_features or state["n_outputs_"] != n_outputs:
                raise _fail(f"estimators_[{i}] has {state['n_features_in_']} features and "
                            f"{state['n_outputs_']} outputs, the forest {n_features} and "
                            f"{n_outputs}", path, tag)
            if counts is not None and _class_counts(state["n_classes_"], n_outputs) != counts:
                raise _fail(f"estimators_[{i}] does not have the forest's classes {counts}",
                            path, tag)

    return validate


# ---------------------------------------------------------------- gradient boosting (N2)

def _init_problem(init: Any, classifier: bool, n_classes: int) -> str | None:
    """Why ``init_`` cannot be trusted to give a prediction buffer of the right width."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if type(init) is str:
        return None if init == "zero" else f"init_ must be 'zero', found {init!r:.40}"
    if classifier and type(init) is DummyClassifier:
        # predict_proba's width is n_classes_ or len(class_prior_), by strategy.
        state = vars(init)
        prior, classes = state.get("class_prior_"), state.get("classes_")
        if (
            state.get("n_outputs_") != 1
            or not _is_int(state.get("n_classes_"))
            or state["n_classes_"] != n_classes
            or type(prior) is not np.ndarray or prior.shape != (n_classes,)
            or type(classes) is not np.ndarray or classes.shape != (n_classes,)
        ):
            return f"init_ must be a fitted single-output DummyClassifier with {n_classes} classes"
        return None
    if not classifier and type(init) is DummyRegressor:
        # predict fills (n_samples, n_outputs_) with constant_, then ravels a single output.
        state = vars(init)
        constant = state.get("constant_")
        if (
            state.get("n_outputs_") != 1
            or type(constant) is not np.ndarray
            or constant.shape != (1, 1)
        ):
            return "init_ must be a fitted single-output DummyRegressor"
        return None
    expected = "DummyClassifier" if classifier else "DummyRegressor"
    return f"init_ must be 'zero' or a {expected}, found {type(init).__name__}"


def _gb_loss_ready(est: Any, classifier: bool) -> bool:
    if not classifier:
        return True
    n_classes = vars(est).get("n_classes_")
    if not _is_int(n_classes) or n_classes < 2:
        return False
    return est.loss != "exponential" or n_classes == 2


def _gb_derived(classifier: bool) -> Any:
    def derived(est: Any) -> None:
        # Never taken from the file. ``fit`` builds it from the parameters (and the sample
        # weights, which only change how it fits). When it cannot be built, the validator
        # that runs next refuses the estimator: it checks the same n_classes_ and loss.
        state = vars(est)
        state.pop("_loss", None)
        if "estimators_" in state and _gb_loss_ready(est, classifier):
            est._loss = est._get_loss(sample_weight=None)

    return derived


def _gb_validator(tag: str, *, classifier: bool) -> Any:
    def validate(est: Any, path: str) -> None:
        from sklearn.tree import DecisionTreeRegressor

        state = vars(est)
        stages = state.get("estimators_", _MISSING)
        if stages is _MISSING:
            return
        n_features = _need_int(est, "n_features_in_", tag, path)
        per_stage = _need_int(est, "n_trees_per_iteration_", tag, path)
        n_classes = 1
        if classifier:
            n_classes = _need_int(est, "n_classes_", tag, path, minimum=2)
            _check_classes(est, tag, path, 1)
            if per_stage != (1 if n_classes == 2 else n_classes):
                raise _fail(f"n_trees_per_iteration_ is {per_stage}, but {n_classes} classes "
                            f"need {1 if n_classes == 2 else n_classes}", path, tag)
            if est.loss == "exponential" and n_classes != 2:
                raise _fail("loss 'exponential' needs exactly 2 classes", path, tag)
        elif per_stage != 1:
            raise _fail(f"n_trees_per_iteration_ must be 1, found {per_stage}", path, tag)
        n_stages = _need_int(est, "n_estimators_", tag, path)
        if (
            type(stages) is not np.ndarray
            or stages.dtype != object
            or stages.shape != (n_stages, per_stage)
        ):
            shape = getattr(stages, "shape", None)
            raise _fail(f"estimators_ must be an object array of shape "
                        f"[{n_stages}, {per_stage}], found {type(stages).__name__} of shape "
                        f"{list(shape) if type(shape) is tuple else None}", path, tag)
        for i, tree in enumerate(stages.flat):
            if type(tree) is not DecisionTreeRegressor:
                raise _fail(f"estimators_ cell {i} must be a DecisionTreeRegressor, found "
                            f"{type(tree).__name__}", path, tag)
            tree_state = vars(tree)
            if "tree_" not in tree_state:
                raise _fail(f"estimators_ cell {i} is not fitted", path, tag)
            if tree_state["n_features_in_"] != n_features or tree_state["n_outputs_"] != 1:
                raise _fail(f"estimators_ cell {i} must be a single-output tree on "
                            f"{n_features} features", path, tag)
        problem = _init_problem(state.get("init_"), classifier, n_classes)
        if problem:
            raise _fail(problem, path, tag)

    return validate


def _gb_encoder(entry_encode: Any, classifier: bool) -> Any:
    def encode(est: Any, enc: Any, path: P.Path) -> dict[str, Any]:
        init = vars(est).get("init_", _MISSING)
        if init is not _MISSING and "estimators_" in vars(est):
            n_classes = vars(est).get("n_classes_", 1)
            problem = _init_problem(init, classifier, n_classes if _is_int(n_classes) else 1)
            if problem:
                raise UnsupportedTypeError(
                    f"cannot write this gradient boosting model: {problem}; the width of its "
                    "prediction buffer could not be checked at load",
                    path=P.render((path, ".init_")),
                )
        return entry_encode(est, enc, path)

    return encode


def register(registry: Registry) -> None:
    from sklearn import ensemble, tree

    from . import tag_for

    tree_cls, _ = _tree_type()
    registry.add(Entry(TREE_TAG, tree_cls, encode_tree, decode_tree, _TREE_FIELDS))
    for cls, classifier in (
        (tree.DecisionTreeClassifier, True),
        (tree.DecisionTreeRegressor, False),
        (tree.ExtraTreeClassifier, True),
        (tree.ExtraTreeRegressor, False),
    ):
        tag = tag_for(cls)
        registry.add(estimator_entry(cls, tag, _tree_validator(tag, classifier=classifier)))
    for cls, tree_type, classifier in (
        (ensemble.RandomForestClassifier, tree.DecisionTreeClassifier, True),
        (ensemble.RandomForestRegressor, tree.DecisionTreeRegressor, False),
        (ensemble.ExtraTreesClassifier, tree.ExtraTreeClassifier, True),
        (ensemble.ExtraTreesRegressor, tree.ExtraTreeRegressor, False),
    ):
        tag = tag_for(cls)
        registry.add(estimator_entry(
            cls, tag, _forest_validator(tag, tree_type, classifier=classifier)))
    for cls, classifier in (
        (ensemble.GradientBoostingClassifier, True),
        (ensemble.GradientBoostingRegressor, False),
    ):
        tag = tag_for(cls)
        entry = estimator_entry(
            cls, tag, _gb_validator(tag, classifier=classifier),
            derived=_gb_derived(classifier), dropped=frozenset({"_loss"}),
        )
        registry.add(dataclasses.replace(entry, encode=_gb_encoder(entry.encode, classifier)))


__all__ = ["MAX_FEATURES", "TREE_TAG", "register"]
