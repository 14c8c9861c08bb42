"""Decision trees, forests and gradient boosting: the Tree object and batches of trees (N1, N2).

scikit-learn's Cython ``Tree`` walks its nodes with raw pointers and no bounds checks: child
indices, split features and ``max_depth`` (which sizes the buffer of ``decision_path``) are
trusted as they are. So trees are stored as data only (the node records, the values and the
layout integers) and checked, with vectorized numpy, to form proper binary trees numbered
parent-first before a ``Tree`` exists (spec/format.md §6.6):

- ``nodes`` is a 1-D array of ``NODE_DTYPE``, with at least one node (the root) per tree;
- ``values`` is float64 of shape ``(len(nodes), n_outputs, max(n_classes))``;
- internal node ``i`` of a tree of ``c`` nodes: ``i < left_child < c`` and
  ``i < right_child < c`` (so every walk goes forward, ends, and stays in its tree),
  ``0 <= feature < n_features``;
- leaves: ``left_child == right_child == -1`` and ``feature == -2``;
- every node but a root is the child of exactly one node (so ``compute_node_depths`` sets
  every depth before reading it, and the depth it finds is the real one);
- ``missing_go_to_left`` is 0 or 1.

``max_depth`` is then recomputed from the nodes; a stored value is only type-checked.

One tree is a ``sklearn.tree.Tree`` node inside its estimator's node. The trees of a forest or
a gradient boosting model are written together, as ONE ``sklearn.ensemble.TreeBatch`` node that
stands for the whole ``estimators_`` value: the tree estimators' parameters and attributes
that all trees share are stored once, the others in per-tree columns, and all node records
and values in two tensors. Loading checks all the trees' records in a few vectorized passes
(in chunks of consecutive trees, so the records are still in the CPU cache when each ``Tree``
copies them) and runs scikit-learn's parameter validation once per distinct value instead of
once per tree. Trees that cannot be batched (mixed classes, an unfitted tree, a tree object
that is referenced elsewhere too) are written one by one, the form of single trees.

The estimators that hold trees check that the trees agree with them: feature count, outputs
and classes, the exact tree class inside a forest, and for gradient boosting the shape of the
``estimators_`` stage matrix, which ``predict_stages`` trusts to index its output buffer (N2).
Gradient boosting's ``_loss`` (a Python object around a Cython loss) is not written: it is
rebuilt from the parameters at load, as ``fit`` builds it.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Any

import numpy as np

from .. import _canonical
from .. import _paths as P
from ..errors import ReconstructionError, SchemaError, UnsupportedTypeError
from ..registry import Entry, Registry
from ._estimator import (
    AttributeEncoder,
    EstimatorCodec,
    Validator,
    _plain_name,
    estimator_entry,
)

TREE_TAG = "sklearn.tree.Tree"
BATCH_TAG = "sklearn.ensemble.TreeBatch"
_TREE_LEAF = -1
_TREE_UNDEFINED = -2
_MISSING_OFFSET = 56  # missing_go_to_left, a uint8, in the 64-byte record
#: ``feature_importances_`` allocates and walks ``n_features`` doubles; no real tree comes
#: near this, and a file must not be able to make that allocation arbitrary.
MAX_FEATURES = 1 << 28
_TREE_FIELDS = frozenset({"max_depth", "n_classes", "n_features", "n_outputs", "nodes", "values"})
_BATCH_FIELDS = frozenset({
    "class", "columns", "container", "n_classes", "n_features", "n_outputs", "node_counts",
    "nodes", "params", "shape", "state", "values",
})
#: Node records checked and copied per chunk of consecutive trees (2 MiB of records): large
#: enough to check thousands of small trees in one pass, small enough to stay in the cache.
_CHUNK_NODES = 1 << 15
_MISSING = object()
_PLAIN = (type(None), bool, int, str)
_SCALARS = (*_PLAIN, float)
_max = np.maximum.reduce  # without ndarray.max's Python-level wrapper: one call per tree


def _tree_type() -> tuple[Any, np.dtype]:
    from sklearn.tree._tree import NODE_DTYPE, Tree

    return Tree, NODE_DTYPE


def _fail(message: str, path: Any, type_name: str = TREE_TAG) -> ReconstructionError:
    return ReconstructionError(message, type_name=type_name,
                               path=path if type(path) is str else P.render(path))


def _is_int(value: Any) -> bool:
    return type(value) is int or isinstance(value, np.integer)


# ---------------------------------------------------------------- node records (N1)

def _check_nodes(
    nodes: np.ndarray, counts: np.ndarray, ends: np.ndarray, n_features: int
) -> tuple[int, str] | None:
    """The first broken invariant of trees stored back to back, as (tree, message), or None.

    ``counts`` are the trees' node counts (each >= 1) and ``ends`` their running sums, the last
    one ``len(nodes)``. Child indices are local to their tree. Vectorized: a fixed number of
    numpy passes over all the trees together, no Python loop over trees or nodes.
    """
    n, n_trees = len(nodes), len(counts)
    # One int64 view of the 64-byte records (no copy): columns 0, 1, 2 are left_child,
    # right_child, feature; byte 56 is missing_go_to_left.
    words = nodes.view(np.int64).reshape(n, 8)
    left, right, feature = words[:, 0], words[:, 1], words[:, 2]
    internal = np.flatnonzero(left != _TREE_LEAF)  # global indices, in tree order
    k = len(internal)
    per_tree = np.diff(np.searchsorted(internal, ends), prepend=0)
    bad = np.flatnonzero(2 * per_tree + 1 != counts)
    if len(bad):
        t = int(bad[0])
        return t, (f"{counts[t]} nodes with {per_tree[t]} internal ones cannot form a binary "
                   "tree (k internal nodes make 2k + 1 nodes)")
    left_in, right_in = left[internal], right[internal]
    # Local index i of each internal node and size c of its tree: i < child < c, as one
    # unsigned comparison, child - (i + 1) in [0, c - (i + 1)).
    if n_trees == 1:
        start_of: Any = 0
        first = internal + 1
        span = (n - first).view(np.uint64)
    else:
        start_of = np.repeat(ends - counts, per_tree)
        first = internal + 1 - start_of
        span = (np.repeat(counts, per_tree) - first).view(np.uint64)
    for child, name in ((left_in, "left_child"), (right_in, "right_child")):
        bad_child = (child - first).view(np.uint64) >= span
        if bad_child.any():
            return (_tree_of(internal[bad_child.argmax()], ends),
                    f"a {name} is not after its node and inside its tree")
    if k:
        split = feature[internal].view(np.uint64)
        if split.max() >= n_features:
            return (_tree_of(internal[(split >= n_features).argmax()], ends),
                    f"an internal node's feature is outside [0, {n_features})")
    # 2k children, each inside its own tree after its parent, so never a root: they cover the
    # n - n_trees other nodes exactly when no node has two parents.
    seen = np.zeros(n, dtype=np.bool_)
    seen[left_in + start_of] = True
    seen[right_in + start_of] = True
    if np.count_nonzero(seen) != n - n_trees:
        seen[ends - counts] = True
        return _tree_of(seen.argmin(), ends), ("a node is the child of two nodes (the nodes "
                                               "must form a tree)")
    # Internal nodes were checked above, so counting over all nodes checks the n - k leaves.
    leaf = left == _TREE_LEAF
    if np.count_nonzero(right == _TREE_LEAF) != n - k:
        return (_tree_of((leaf & (right != _TREE_LEAF)).argmax(), ends),
                "a leaf (left_child -1) has a right_child other than -1")
    if np.count_nonzero(feature == _TREE_UNDEFINED) != n - k:
        return (_tree_of((leaf & (feature != _TREE_UNDEFINED)).argmax(), ends),
                f"a leaf's feature is not {_TREE_UNDEFINED}")
    missing = nodes.view(np.uint8)[_MISSING_OFFSET::64]
    if missing.max() > 1:
        return _tree_of((missing > 1).argmax(), ends), "missing_go_to_left must be 0 or 1"
    return None


def _tree_of(node: Any, ends: np.ndarray) -> int:
    return int(np.searchsorted(ends, node, side="right"))


def _layout(node: dict[str, Any], path: P.Path, type_name: str) -> tuple[int, int, list[int]]:
    n_features, n_outputs, n_classes = node["n_features"], node["n_outputs"], node["n_classes"]
    if type(n_features) is not int or not 1 <= n_features <= MAX_FEATURES:
        raise _fail(f"n_features must be an integer in [1, {MAX_FEATURES}], "
                    f"found {n_features!r:.40}", path, type_name)
    if type(n_outputs) is not int or n_outputs < 1:
        raise _fail(f"n_outputs must be a positive integer, found {n_outputs!r:.40}", path,
                    type_name)
    if (
        type(n_classes) is not list
        or len(n_classes) != n_outputs
        or not all(type(c) is int and c >= 1 for c in n_classes)
    ):
        raise _fail(f"n_classes must be a list of {n_outputs} positive integers", path,
                    type_name)
    return n_features, n_outputs, n_classes


def _array_field(node: dict[str, Any], key: str, dec: Any, path: P.Path,
                 type_name: str = TREE_TAG) -> np.ndarray:
    value = dec.field(node, key, path)
    if type(value) is not np.ndarray:
        raise _fail(f"{key} must be an array, found {type(value).__name__}", path, type_name)
    return value


def _check_records(nodes: np.ndarray, values: np.ndarray, n_outputs: int, n_classes: list[int],
                   path: P.Path, type_name: str) -> None:
    node_dtype = _tree_type()[1]
    if nodes.dtype != node_dtype or nodes.ndim != 1:
        raise _fail(f"nodes must be a 1-D array of NODE_DTYPE, found {nodes.dtype} "
                    f"with {nodes.ndim} dimensions", path, type_name)
    expected = (len(nodes), n_outputs, max(n_classes))
    if values.dtype != np.float64 or values.shape != expected:
        raise _fail(f"values must be float64 of shape {list(expected)}, found "
                    f"{values.dtype} of shape {list(values.shape)}", path, type_name)


def _make_tree(tree_cls: Any, n_features: int, classes: np.ndarray, n_outputs: int,
               nodes: np.ndarray, values: np.ndarray) -> Any:
    """A ``Tree`` of records already checked by :func:`_check_nodes` (Tree copies them)."""
    tree = tree_cls(n_features, classes, n_outputs)
    tree.__setstate__({"max_depth": 0, "node_count": len(nodes), "nodes": nodes,
                       "values": values})
    # Safe now: children come after their parent and each node has one parent. Depths
    # count from 1 at the root; max_depth counts edges.
    tree.max_depth = int(_max(tree.compute_node_depths())) - 1
    return tree


# ---------------------------------------------------------------- one Tree

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


def decode_tree(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    tree_cls = _tree_type()[0]
    n_features, n_outputs, n_classes = _layout(node, path, TREE_TAG)
    max_depth = node["max_depth"]
    if type(max_depth) is not int or max_depth < 0:
        raise _fail(f"max_depth must be a non-negative integer, found {max_depth!r:.40}", path)
    nodes = _array_field(node, "nodes", dec, path)
    values = _array_field(node, "values", dec, path)
    _check_records(nodes, values, n_outputs, n_classes, path, TREE_TAG)
    n = len(nodes)
    if n == 0:
        raise _fail("a tree needs at least one node (its root)", path)
    counts = np.array([n], dtype=np.int64)
    problem = _check_nodes(nodes, counts, counts, n_features)
    if problem:
        raise _fail(problem[1], path)
    return _make_tree(tree_cls, n_features, np.array(n_classes, dtype=np.intp), n_outputs,
                      nodes, values)


# ---------------------------------------------------------------- batches of tree estimators

class TreeBatch:
    """The type the ``sklearn.ensemble.TreeBatch`` entry is registered under.

    Never instantiated: a batch node stands for a list or an object array of tree estimators,
    and is written only by the ``estimators_`` encoder of forests and gradient boosting.
    """


@dataclasses.dataclass(frozen=True, slots=True)
class _Kind:
    """A tree estimator class that batches: its codec and validator, and its registry entry."""

    cls: type
    tag: str
    codec: EstimatorCodec
    entry: Entry
    validate: Validator


@dataclasses.dataclass(slots=True)
class _Plan:
    kind: _Kind
    container: str
    shape: list[int]
    items: list[Any]
    params: dict[str, Any]  # shared: the value of the first tree
    state: dict[str, Any]
    columns: dict[str, list[Any]]
    merged: list[Any]  # equal, distinct copies of shared values (the first one is written)


def _float_bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _shared_copies(values: list[Any], enc: Any) -> list[Any] | None:
    """How the trees' values of one attribute can be stored once, or None (a column).

    ``[]`` when they are one object, or equal plain values (floats bit for bit). For numpy
    arrays and scalars, distinct objects of equal type, dtype, shape and bytes are stored
    once too (a forest's trees each hold their own ``classes_``): the list of the copies
    besides the first, which the writer marks as written (a later reference to one of them
    is refused, not silently copied). Anything else that differs is a column, written per
    tree through the encoder, which keeps references.
    """
    first = values[0]
    t = type(first)
    if all(v is first for v in values):
        return []
    if t in _PLAIN:
        return [] if all(type(v) is t and v == first for v in values) else None
    if t is float:
        bits = _float_bits(first)
        return [] if all(type(v) is float and _float_bits(v) == bits for v in values) else None
    if t is np.ndarray:
        if first.dtype.hasobject or not first.flags.c_contiguous:
            return None
        data = first.tobytes()
        if not all(type(v) is np.ndarray and v.dtype == first.dtype and v.shape == first.shape
                   and v.flags.c_contiguous and v.tobytes() == data for v in values):
            return None
    elif isinstance(first, np.generic) and not isinstance(first, np.object_):
        data = first.tobytes()
        if not all(type(v) is t and v.dtype == first.dtype and v.tobytes() == data
                   for v in values):
            return None
    else:
        return None
    copies = list({id(v): v for v in values if v is not first}.values())
    return None if any(enc.seen(v) for v in copies) else copies


class _BatchCodec:
    """The ``sklearn.ensemble.TreeBatch`` entry of one registry, and the ``estimators_``
    encoder of the forests and boosters registered with it."""

    def __init__(self, kinds: dict[type, _Kind]) -> None:
        self.kinds = kinds
        self.by_tag = {kind.tag: kind for kind in kinds.values()}
        self.entry = Entry(BATCH_TAG, TreeBatch, self._encode_marker, self.decode,
                           _BATCH_FIELDS)

    @staticmethod
    def _encode_marker(obj: Any, enc: Any, path: P.Path) -> dict[str, Any]:
        raise UnsupportedTypeError("a TreeBatch is written by its owner only",
                                   path=P.render(path))

    # ---- writing

    def write(self, value: Any, enc: Any, path: P.Path) -> Any:
        """``estimators_`` as a batch node, or as usual when the trees do not batch."""
        plan = self._plan(value, enc)
        if plan is None:
            return enc.encode(value, path)
        enc.mark_inline(value, path)
        for est in plan.items:
            enc.mark_inline(est, path)
            enc.mark_inline(vars(est)["tree_"], path)
        for obj in plan.merged:
            enc.mark_inline(obj, path)
        trees = [vars(est)["tree_"] for est in plan.items]
        # Encoded in the node's field order, so that ids follow the canonical walk (§4.3).
        columns = {
            name: [enc.encode(v, ((path, f"[{i}]"), f".{name}")) for i, v in enumerate(vals)]
            for name, vals in sorted(plan.columns.items())
        }
        states = [tree.__getstate__() for tree in trees]
        counts = np.array([len(s["nodes"]) for s in states], dtype=np.int64)
        # Joined as raw bytes: np.concatenate would drop NODE_DTYPE's trailing padding field.
        records = np.concatenate([s["nodes"].view(np.uint8) for s in states])
        nodes = records.view(_tree_type()[1])
        node = {
            "@": BATCH_TAG,
            "class": plan.kind.tag,
            "columns": columns,
            "container": plan.container,
            "n_classes": [int(c) for c in trees[0].n_classes],
            "n_features": int(trees[0].n_features),
            "n_outputs": int(trees[0].n_outputs),
            "node_counts": enc.encode(counts, (path, ".node_counts")),
            "nodes": enc.encode(nodes, (path, ".nodes")),
        }
        node["params"] = {name: enc.encode(v, ((path, "[0]"), f".{name}"))
                          for name, v in sorted(plan.params.items())}
        node["shape"] = plan.shape
        node["state"] = {name: enc.encode(v, ((path, "[0]"), f".{name}"))
                         for name, v in sorted(plan.state.items())}
        node["values"] = enc.encode(np.concatenate([s["values"] for s in states]),
                                    (path, ".values"))
        return node

    def _plan(self, value: Any, enc: Any) -> _Plan | None:
        if type(value) is list:
            container, items, shape = "list", value, [len(value)]
        elif type(value) is np.ndarray and value.dtype == object and value.ndim >= 1:
            container, items, shape = "ndarray", value.ravel(order="C").tolist(), list(value.shape)
        else:
            return None
        if not items or enc.seen(value):
            return None
        cls = type(items[0])
        kind = self.kinds.get(cls)
        if kind is None or enc.registry.by_type.get(cls) is not kind.entry:
            return None
        tree_cls = _tree_type()[0]
        first_state = vars(items[0])
        keys = first_state.keys()
        taken: set[int] = set()
        for est in items:
            state = vars(est)
            tree = state.get("tree_")
            if (type(est) is not cls or type(tree) is not tree_cls or state.keys() != keys
                    or enc.seen(est) or enc.seen(tree) or id(est) in taken or id(tree) in taken):
                return None
            taken.add(id(est))
            taken.add(id(tree))
        first_tree = first_state["tree_"]
        layout = (first_tree.n_features, first_tree.n_outputs, list(first_tree.n_classes))
        if any((t.n_features, t.n_outputs, list(t.n_classes)) != layout
               for t in (vars(est)["tree_"] for est in items)):
            return None
        names = kind.codec._prepare()
        class_attrs = kind.codec._class_attrs
        if not all(name in keys for name in names) or any(
            name not in kind.codec._name_set
            and (not _plain_name(name) or name in class_attrs)
            for name in keys
        ):
            return None  # the per-tree form says what is wrong
        plan = _Plan(kind, container, shape, items, {}, {}, {}, [])
        for name in sorted(keys):
            if name == "tree_":
                continue
            values = [vars(est)[name] for est in items]
            copies = _shared_copies(values, enc)
            if copies is None:
                plan.columns[name] = values
                continue
            (plan.params if name in kind.codec._name_set else plan.state)[name] = values[0]
            plan.merged.extend(copies)
        if len({id(obj) for obj in plan.merged}) != len(plan.merged):
            return None  # one object is a copy under two names: keep the per-tree form
        return plan

    # ---- reading

    def decode(self, node: dict[str, Any], dec: Any, path: P.Path) -> Any:
        if dec.batch_slot is not path or "id" in node:
            # one encoding per value: a writer puts a batch only there, and never shares it
            raise SchemaError("a TreeBatch node may only be the estimators_ of an ensemble "
                              "of trees, and has no id", path=P.render(path))
        dec.batch_slot = None
        tree_cls = _tree_type()[0]
        tag = node["class"]
        kind = self.by_tag.get(tag) if type(tag) is str else None
        if kind is None or dec.registry.by_tag.get(tag) is not kind.entry:
            raise _fail(f"class must be the tag of a tree estimator class, found {tag!r:.80}",
                        path, BATCH_TAG)
        n = _batch_size(node["container"], node["shape"], dec, path)
        n_features, n_outputs, n_classes = _layout(node, path, BATCH_TAG)
        columns_raw, params_raw, state_raw = _check_names(node, kind, n, path)
        depth = P.depth(path) + 2
        # Decoded in the node's field order (tensors and ids are numbered in that order).
        columns = {name: dec.decode_array(raw, ((path, ".columns"), f".{name}"), depth)
                   for name, raw in columns_raw.items()}
        counts = _array_field(node, "node_counts", dec, path, BATCH_TAG)
        nodes = _array_field(node, "nodes", dec, path, BATCH_TAG)
        params = {name: dec.decode(raw, ((path, ".params"), f".{name}"), depth)
                  for name, raw in params_raw.items()}
        state = {name: dec.decode(raw, ((path, ".state"), f".{name}"), depth)
                 for name, raw in state_raw.items()}
        values = _array_field(node, "values", dec, path, BATCH_TAG)
        _check_records(nodes, values, n_outputs, n_classes, path, BATCH_TAG)
        total = len(nodes)
        if counts.dtype != np.int64 or counts.shape != (n,):
            raise _fail(f"node_counts must be int64 of shape [{n}], found {counts.dtype} of "
                        f"shape {list(counts.shape)}", path, BATCH_TAG)
        if counts.min() < 1:
            raise _fail("node_counts must be positive: every tree has a root", path, BATCH_TAG)
        largest = int(counts.max())
        if largest > total:
            raise _fail(f"node_counts has a tree of {largest} nodes, but nodes holds {total}",
                        path, BATCH_TAG)
        # No overflow: n <= max_schema_nodes < 2**25 counts of at most total < 2**30 nodes.
        ends = np.cumsum(counts)
        if ends[-1] != total:
            raise _fail(f"node_counts add up to {ends[-1]}, not to the {total} nodes", path,
                        BATCH_TAG)
        param_columns = {name: col for name, col in columns.items()
                         if name in kind.codec._name_set}
        generic = _validate_params(kind, params, param_columns, path)

        names = kind.codec._names or ()
        template: dict[str, Any] = {name: params.get(name) for name in names}
        for name in sorted(state.keys() | columns.keys() | {"tree_"}):
            if name not in template:
                template[name] = state.get(name)
        column_items = list(columns.items())
        classes = np.array(n_classes, dtype=np.intp)
        bounds = [0, *ends.tolist()]
        new = object.__new__
        cls = kind.cls
        estimators: list[Any] = []
        for t0, t1 in _chunks(ends):
            start, stop = bounds[t0], bounds[t1]
            problem = _check_nodes(nodes[start:stop], counts[t0:t1], ends[t0:t1] - start,
                                   n_features)
            if problem:
                raise _fail(f"tree {t0 + problem[0]}: {problem[1]}", path, BATCH_TAG)
            # The records of this chunk are checked (and still in the cache): build its trees.
            for i in range(t0, t1):
                est: Any = new(cls)
                attributes = est.__dict__
                attributes.update(template)
                for name, col in column_items:
                    attributes[name] = col[i]
                a, b = bounds[i], bounds[i + 1]
                attributes["tree_"] = _make_tree(tree_cls, n_features, classes, n_outputs,
                                                 nodes[a:b], values[a:b])
                estimators.append(est)

        rendered = P.render(path)
        if generic or kind.codec.derived is not None:
            for i, est in enumerate(estimators):
                if generic:
                    try:
                        est._validate_params()
                    except (ValueError, TypeError) as exc:
                        raise ReconstructionError(
                            f"invalid parameters: {exc}", type_name=kind.tag,
                            path=f"{rendered}[{i}]") from exc
                if kind.codec.derived is not None:
                    kind.codec.derived(est)
        # The validator reads the estimator's attributes and its tree's layout. The layout is
        # shared, so unless some attribute is a column one tree stands for all.
        state_columns = columns.keys() - kind.codec._name_set
        for i, est in enumerate(estimators if state_columns else estimators[:1]):
            kind.validate(est, f"{rendered}[{i}]")
        if node["container"] == "list":
            return estimators
        array = np.empty(n, dtype=object)
        for i, est in enumerate(estimators):
            array[i] = est
        return array.reshape(node["shape"])


def _batch_size(container: Any, shape: Any, dec: Any, path: P.Path) -> int:
    if type(container) is not str or container not in ("list", "ndarray"):
        raise _fail(f"container must be 'list' or 'ndarray', found {container!r:.40}", path,
                    BATCH_TAG)
    ndim_limit = 1 if container == "list" else dec.limits.max_ndim
    if (type(shape) is not list or not 1 <= len(shape) <= ndim_limit
            or not all(type(d) is int and 1 <= d < 2**62 for d in shape)):
        raise _fail(f"shape must be 1 to {ndim_limit} positive sizes", path, BATCH_TAG)
    n = 1
    for dim in shape:
        n *= dim
    dec.charge_nodes(n, path)
    return n


def _check_names(node: dict[str, Any], kind: _Kind, n: int, path: P.Path
                 ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The columns, params and state maps, once their names are those of the class (§6.5)."""
    rendered = P.render(path)
    maps = []
    for key in ("columns", "params", "state"):
        raw = node[key]
        if type(raw) is not dict:
            raise SchemaError(f"{BATCH_TAG}: {key} must be a map", path=rendered)
        _canonical.check_sorted_keys(raw, rendered)
        maps.append(raw)
    columns, params, state = maps
    codec = kind.codec
    codec._prepare()
    name_set, class_attrs = codec._name_set, codec._class_attrs

    def attribute_ok(name: str) -> bool:
        return (_plain_name(name) and name not in class_attrs and name not in name_set
                and name != "tree_")

    for name, raw in columns.items():
        # a column of n strings or integers may be a strings or ints node, §4.2
        count = raw.get("count") if type(raw) is dict and raw.get("@") in ("strings", "ints") else (
            len(raw) if type(raw) is list else None)
        if count != n:
            raise SchemaError(f"{BATCH_TAG}: column {name!r:.60} must be an array of {n} "
                              "nodes", path=rendered)
        if name in params or name in state:
            raise SchemaError(f"{BATCH_TAG}: {name!r:.60} is both shared and a column",
                              path=rendered)
    for name in [*state, *(c for c in columns if c not in name_set)]:
        if not attribute_ok(name):
            raise SchemaError(f"{kind.tag}: attribute name {name!r:.60} is not allowed",
                              path=rendered)
    given = params.keys() | (columns.keys() & name_set)
    if given != name_set:
        missing = sorted(name_set - given)
        extra = sorted(map(str, params.keys() - name_set))
        raise SchemaError(f"{kind.tag}: parameters differ from the class's: missing {missing}, "
                          f"unknown {extra!r:.120}", path=rendered)
    return columns, params, state


def _chunks(ends: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive trees of about ``_CHUNK_NODES`` nodes (at least one tree each)."""
    chunks = []
    t0, n_trees = 0, len(ends)
    while t0 < n_trees:
        base = int(ends[t0 - 1]) if t0 else 0
        t1 = max(int(np.searchsorted(ends, base + _CHUNK_NODES, side="right")), t0 + 1)
        chunks.append((t0, t1))
        t0 = t1
    return chunks


#: Parameter values found valid, per class and name, for values that are plain scalars.
_VALID: dict[tuple[Any, ...], bool] = {}
_VALID_MAX = 4096


def _validate_params(kind: _Kind, shared: dict[str, Any], columns: dict[str, list[Any]],
                     path: P.Path) -> bool:
    """scikit-learn's parameter validation, once per distinct value instead of per tree.

    ``BaseEstimator._validate_params`` checks each parameter against its own constraints,
    independently of the others, so checking the shared values once and each column's
    distinct values once is the same verdict as checking every tree. Returns True when the
    class validates its parameters some other way: then each tree must be validated.
    """
    from sklearn.base import BaseEstimator
    from sklearn.utils._param_validation import validate_parameter_constraints

    cls = kind.cls
    method = getattr(cls, "_validate_params", None)
    if method is None:
        return False
    constraints = getattr(cls, "_parameter_constraints", None)
    if method is not BaseEstimator._validate_params or type(constraints) is not dict:
        return True
    pending: list[tuple[str, Any]] = list(shared.items())
    for name, column in columns.items():
        distinct: dict[Any, Any] = {}
        for value in column:
            distinct.setdefault((type(value), value) if type(value) in _SCALARS else id(value),
                                value)
        pending.extend((name, value) for value in distinct.values())
    for name, value in pending:
        key = (cls, name, type(value), value) if type(value) in _SCALARS else None
        if key is not None and key in _VALID:
            continue
        try:
            validate_parameter_constraints(constraints, {name: value}, caller_name=cls.__name__)
        except (ValueError, TypeError) as exc:
            raise ReconstructionError(f"invalid parameters: {exc}", type_name=kind.tag,
                                      path=P.render(path)) from exc
        if key is not None:
            if len(_VALID) >= _VALID_MAX:
                _VALID.clear()
            _VALID[key] = True
    return False


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


def _tree_validator(tag: str, *, classifier: bool) -> Validator:
    def validate(est: Any, path: str) -> None:
        tree: Any = vars(est).get("tree_", _MISSING)
        if tree is _MISSING:
            _refuse_partial_fit(est, "tree_", tag, path)
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


def _refuse_partial_fit(est: Any, missing: str, tag: str, path: str) -> None:
    """Fitted state is all or nothing (§6.5): without ``missing``, no other fitted attribute
    (``name_`` or ``_name``, not a constructor parameter) may be present."""
    params = set(type(est)._get_param_names())
    fitted = sorted(n for n in vars(est) if n not in params and (n[0] == "_" or n[-1] == "_"))
    if fitted:
        raise _fail(f"{missing} is missing, but fitted attributes are present "
                    f"({', '.join(fitted[:4])})", path, tag)


def _forest_validator(tag: str, tree_type: type, *, classifier: bool) -> Validator:
    def validate(est: Any, path: str) -> None:
        trees = vars(est).get("estimators_", _MISSING)
        if trees is _MISSING:
            _refuse_partial_fit(est, "estimators_", tag, path)
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


#: For other forests of trees (RandomTreesEmbedding): the same checks.
forest_validator = _forest_validator


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


def _gb_validator(tag: str, *, classifier: bool) -> Validator:
    def validate(est: Any, path: str) -> None:
        from sklearn.tree import DecisionTreeRegressor

        state = vars(est)
        stages = state.get("estimators_", _MISSING)
        if stages is _MISSING:
            _refuse_partial_fit(est, "estimators_", tag, path)
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


def batch_writer(registry: Registry) -> AttributeEncoder:
    """The ``estimators_`` encoder of this registry's tree batches, for other ensembles of trees
    (bagging, boosting, isolation forests): trees that batch are written as one
    ``sklearn.ensemble.TreeBatch`` node, any other value as usual."""
    entry = registry.by_tag.get(BATCH_TAG)
    codec = getattr(entry.decode, "__self__", None) if entry is not None else None
    if not isinstance(codec, _BatchCodec):
        raise ValueError("the tree entries must be registered before their users")
    return codec.write


def register(registry: Registry) -> None:
    from sklearn import ensemble, tree

    from . import tag_for

    tree_cls, _ = _tree_type()
    registry.add(Entry(TREE_TAG, tree_cls, encode_tree, decode_tree, _TREE_FIELDS))
    kinds: dict[type, _Kind] = {}
    for cls, classifier in (
        (tree.DecisionTreeClassifier, True),
        (tree.DecisionTreeRegressor, False),
        (tree.ExtraTreeClassifier, True),
        (tree.ExtraTreeRegressor, False),
    ):
        tag = tag_for(cls)
        validate = _tree_validator(tag, classifier=classifier)
        codec = EstimatorCodec(cls, tag, validate)
        entry = Entry(tag, cls, codec.encode, codec.decode, frozenset({"params", "state"}))
        registry.add(entry)
        kinds[cls] = _Kind(cls, tag, codec, entry, validate)
    batch = _BatchCodec(kinds)
    registry.add(batch.entry)
    hooks: dict[str, AttributeEncoder] = {"estimators_": batch.write}
    for cls, tree_type, classifier in (
        (ensemble.RandomForestClassifier, tree.DecisionTreeClassifier, True),
        (ensemble.RandomForestRegressor, tree.DecisionTreeRegressor, False),
        (ensemble.ExtraTreesClassifier, tree.ExtraTreeClassifier, True),
        (ensemble.ExtraTreesRegressor, tree.ExtraTreeRegressor, False),
    ):
        tag = tag_for(cls)
        registry.add(estimator_entry(
            cls, tag, _forest_validator(tag, tree_type, classifier=classifier),
            attribute_encoders=hooks))
    for cls, classifier in (
        (ensemble.GradientBoostingClassifier, True),
        (ensemble.GradientBoostingRegressor, False),
    ):
        tag = tag_for(cls)
        entry = estimator_entry(
            cls, tag, _gb_validator(tag, classifier=classifier),
            derived=_gb_derived(classifier), dropped=frozenset({"_loss"}),
            attribute_encoders=hooks,
        )
        registry.add(dataclasses.replace(entry, encode=_gb_encoder(entry.encode, classifier)))


__all__ = ["BATCH_TAG", "MAX_FEATURES", "TREE_TAG", "TreeBatch", "batch_writer", "forest_validator",
           "register"]
