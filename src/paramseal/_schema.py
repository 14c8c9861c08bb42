"""The schema: a tree of nodes that describes the object graph (spec/format.md §4).

Plain values are themselves: nil, bool, int (64-bit), float (float64), str, bin, and arrays of
nodes (Python lists). Every other value is a map whose ``@`` key names its registry entry; the
other keys are that entry's fields, in canonical order. A node that is referenced again carries
``id``; later occurrences are ``{"@": "ref", "id": k}``. Ids are numbered 0, 1, ... in the
order of their first reference. A list that is shared is written ``{"@": "list", "id": k,
"items": [...]}``. There is no node that imports, looks up an attribute, or calls anything.

The :class:`Encoder` turns objects into nodes and collects arrays for the params section; the
:class:`Decoder` walks nodes depth-first and asks the registry to rebuild each one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _canonical
from . import _paths as P
from . import limits as _limits
from ._params import NATIVE_CODES, Compressor, Params, alignment_key, decompress
from .errors import ArrayError, ContainerError, LimitError, SchemaError, UnsupportedTypeError
from .registry import Registry

SCHEMA_VERSION = 1
_SCALARS = (type(None), bool, str, float, bytes)
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1
_IN_PROGRESS = object()
_CONTAINERS = frozenset({dict, list})
#: Arrays of at least this many strings (none containing NUL) are written as one UTF-8 blob
#: (§4.2): a vocabulary of 100,000 words decodes in one split instead of 100,000 objects.
STRINGS_MIN = 256
_STR_ONLY = frozenset({str})


_INT_ONLY = frozenset({int})
_COMPACT_TAGS = frozenset({"strings", "ints"})
_INT64_MAX = 2**63 - 1


def ints_node(items: list[Any]) -> dict[str, Any] | None:
    """The ``ints`` node for a plain array, or None when §4.2 keeps it an array."""
    if (len(items) < STRINGS_MIN or type(items[0]) is not int
            or set(map(type, items)) != _INT_ONLY
            or min(items) < _INT64_MIN or max(items) > _INT64_MAX):
        return None
    return {"@": "ints", "count": len(items), "le64": np.array(items, dtype="<i8").tobytes()}


def compact_node(items: list[Any]) -> dict[str, Any] | None:
    """The compact form §4.2 requires for a long plain array, if any."""
    if len(items) < STRINGS_MIN:
        return None
    return strings_node(items) or ints_node(items)


def strings_node(items: list[Any]) -> dict[str, Any] | None:
    """The ``strings`` node for a plain array, or None when §4.2 keeps it an array."""
    if (len(items) < STRINGS_MIN or type(items[0]) is not str
            or set(map(type, items)) != _STR_ONLY):
        return None
    joined = "\x00".join(items)
    if joined.count("\x00") != len(items) - 1:
        return None  # a string holds NUL itself
    try:
        data = joined.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: msgpack could not write them either
        return None
    return {"@": "strings", "count": len(items), "utf8": data}


@dataclasses.dataclass(slots=True)
class _Memo:
    node: Any  # the node dict, or the list for a list
    obj: Any  # kept alive so that its id() is not reused while encoding
    done: bool = False
    id: int | None = None
    inline: bool = False  # written inside a batch node: cannot be referenced


class Encoder:
    """Turns an object graph into schema nodes and a list of arrays (§4, §5)."""

    def __init__(self, registry: Registry, *, compress: bool = False) -> None:
        self.registry = registry
        #: Set when tensors are to be compressed (§5.4); it counts the ones that were.
        self.compressor = Compressor() if compress else None
        self.arrays: list[np.ndarray] = []
        self._memo: dict[int, _Memo] = {}
        self._next_id = 0
        self._shared_lists: list[_Memo] = []

    def encode(self, obj: Any, path: P.Path) -> Any:
        t = type(obj)
        if t in _SCALARS:
            return obj
        if t is int:
            if _INT64_MIN <= obj <= _UINT64_MAX:
                return obj
            return {"@": "int", "digits": str(obj)}
        key = id(obj)
        memo = self._memo.get(key)
        if memo is not None:
            return self._reference(memo, path)
        if t is list:
            items: list[Any] = []
            memo = self._memo[key] = _Memo(items, obj)
            items.extend(self.encode(x, (path, f"[{i}]")) for i, x in enumerate(obj))
            memo.done = True
            return items
        entry = self.registry.by_type.get(t)
        if entry is None:
            raise UnsupportedTypeError(
                f"cannot write an object of type {t.__module__}.{t.__qualname__}; "
                "paramseal writes only allowlisted types and never falls back to pickle",
                path=P.render(path),
            )
        node: dict[str, Any] = {"@": entry.tag}
        memo = self._memo[key] = _Memo(node, obj)
        node.update(entry.encode(obj, self, path))
        memo.done = True
        return node

    def mark_inline(self, obj: Any, path: P.Path) -> None:
        """Record that ``obj`` is written inside a batch node, where it cannot carry an id.

        A later reference to it is refused rather than silently written as a copy.
        """
        if id(obj) in self._memo:
            raise UnsupportedTypeError(
                "an object written in a batch is also referenced elsewhere", path=P.render(path)
            )
        self._memo[id(obj)] = _Memo(None, obj, done=True, inline=True)

    def seen(self, obj: Any) -> bool:
        """Whether ``obj`` was already written (so writing it again makes a reference)."""
        return id(obj) in self._memo

    def _reference(self, memo: _Memo, path: P.Path) -> dict[str, Any]:
        if memo.inline:
            raise UnsupportedTypeError(
                "an object written in a batch is also referenced elsewhere", path=P.render(path)
            )
        if not memo.done:
            raise UnsupportedTypeError(
                "reference cycle: this object contains itself", path=P.render(path)
            )
        if memo.id is None:
            memo.id = self._next_id
            self._next_id += 1
            if type(memo.node) is list:
                self._shared_lists.append(memo)
            else:
                memo.node["id"] = memo.id
                ordered = _canonical.sorted_map(memo.node)
                memo.node.clear()
                memo.node.update(ordered)
        return {"@": "ref", "id": memo.id}

    def pending(self, array: np.ndarray) -> PendingTensor:
        """A placeholder for an array's tensor index, fixed by :meth:`finish`."""
        return PendingTensor(array)

    def finish(self, root: Any) -> tuple[bytes, list[np.ndarray]]:
        """Put every map in canonical key order, number the tensors, encode the schema.

        Tensors are numbered by the order in which the final schema mentions them (§5.3), which
        is not always the order the encoders met them, so this walks the finished tree once.
        Returns the schema bytes and the arrays in tensor order for the params section.
        """
        if self._shared_lists:
            root = _wrap_shared_lists(root, {id(m.node): m for m in self._shared_lists})
        array_nodes: list[dict[str, Any]] = []
        root = _canonical_walk(root, array_nodes)
        arrays = [node["tensor"].array for node in array_nodes]
        tensor_index = layout_order(arrays)
        for node, index in zip(array_nodes, tensor_index, strict=True):
            node["tensor"] = index
        self.arrays = [arrays[i] for i in sorted(range(len(arrays)), key=tensor_index.__getitem__)]
        return _canonical.encode({"root": root, "version": SCHEMA_VERSION}), self.arrays


@dataclasses.dataclass(frozen=True, slots=True)
class PendingTensor:
    array: np.ndarray


def layout_order(arrays: list[np.ndarray]) -> list[int]:
    """Tensor index of each array (given in schema order): by alignment key, then order (§5.2)."""
    order = sorted(range(len(arrays)), key=lambda i: (-alignment_key(arrays[i].nbytes), i))
    index_of = [0] * len(arrays)
    for tensor_index, array_index in enumerate(order):
        index_of[array_index] = tensor_index
    return index_of


def _canonical_walk(node: Any, array_nodes: list[dict[str, Any]]) -> Any:
    """Sort every map's keys; collect ``ndarray`` nodes with pending tensors in walk order."""
    t = type(node)
    if t is list:
        if not _CONTAINERS.isdisjoint(map(type, node)):
            for i, item in enumerate(node):
                if type(item) in _CONTAINERS:
                    node[i] = _canonical_walk(item, array_nodes)
            return node
        return compact_node(node) or node
    if t is not dict:
        return node
    keys = list(node)
    if keys != sorted(keys):
        ordered = {key: node[key] for key in sorted(keys)}
        node.clear()
        node.update(ordered)
    for key, value in node.items():
        if type(value) in _CONTAINERS:
            node[key] = _canonical_walk(value, array_nodes)
        elif type(value) is PendingTensor:
            array_nodes.append(node)
    return node


def _wrap_shared_lists(node: Any, shared: dict[int, _Memo]) -> Any:
    """Rare path: give shared lists their ``{"@": "list"}`` form (first occurrence only)."""
    if type(node) is list:
        items = [_wrap_shared_lists(x, shared) for x in node]
        memo = shared.pop(id(node), None)
        if memo is not None:
            return {"@": "list", "id": memo.id, "items": items}
        return items
    if type(node) is dict:
        for key, value in node.items():
            if type(value) in (list, dict):
                node[key] = _wrap_shared_lists(value, shared)
    return node


class Decoder:
    """Rebuilds objects from schema nodes through the registry (§4.4)."""

    def __init__(
        self,
        registry: Registry,
        params: Params,
        limits: _limits.Limits = _limits.DEFAULT,
        on_sklearn: Callable[[], None] | None = None,
        *,
        minor: int = 0,
    ) -> None:
        self.registry = registry
        #: The file's format minor version: compressed tensors (§5.4) need 1.1, and a 1.1 file
        #: compresses at least one tensor.
        self.minor = minor
        self._compressed = 0
        self._decompressed_bytes = 0
        #: Runs once, before the first scikit-learn object is rebuilt (the version check).
        self._on_sklearn = on_sklearn
        self.params = params
        self.limits = limits
        self._objects: dict[int, Any] = {}
        self._referenced = 0
        self._tensor_used = bytearray(len(params.tensors))
        self._last_by_key: dict[int, int] = {}
        self._nodes = 0
        #: Verdicts that hold for the rest of this load (see sklearn/_estimator.py).
        self.validated: dict[Any, Any] = {}
        #: The path of the one value being decoded where a batch node may stand (§6.6: a
        #: ``TreeBatch`` is only ever an ensemble's ``estimators_``), set by its owner.
        self.batch_slot: P.Path | None = None

    def decode_root(self, schema: memoryview) -> Any:
        _limits.check("schema size", len(schema), self.limits.max_schema_bytes)
        top = _canonical.decode(schema, what="schema", max_values=self.limits.max_schema_values)
        if type(top) is not dict or list(top) != ["root", "version"]:
            raise SchemaError("schema must be a map with exactly the keys root, version")
        if top["version"] != SCHEMA_VERSION:
            raise SchemaError(f"unknown schema version {top['version']!r:.20}", path="$.version")
        try:
            obj = self.decode(top["root"], P.ROOT, 0)
        except RecursionError as exc:  # a safety net: depth is bounded per node already
            raise LimitError("schema nests too deeply for this interpreter") from exc
        if len(self._objects) != self._referenced:
            raise SchemaError("a node has an id that is never referenced")
        if self._tensor_used.count(1) != len(self._tensor_used):
            missing = self._tensor_used.index(0)
            raise ArrayError(f"params tensor {missing} is not referenced by the schema")
        if self.minor >= 1 and not self._compressed:
            raise ContainerError(
                f"a format 1.{self.minor} file compresses at least one tensor, this one none",
                offset=10)
        return obj

    def decode(self, node: Any, path: P.Path, depth: int) -> Any:
        t = type(node)
        if t is dict:
            return self._decode_map(node, path, depth)
        if t is list:
            if depth >= self.limits.max_schema_depth:
                raise LimitError(
                    f"schema nests deeper than {self.limits.max_schema_depth} at {P.render(path)}"
                )
            if _CONTAINERS.isdisjoint(map(type, node)):
                if len(node) >= STRINGS_MIN and compact_node(node) is not None:
                    raise SchemaError(
                        f"an array of {len(node)} strings or integers must be a strings or "
                        "ints node (§4.2)",
                        path=P.render(path),
                    )
                return node  # a list of plain values is its own value
            return [self.decode(x, (path, f"[{i}]"), depth + 1) for i, x in enumerate(node)]
        return node

    def charge_nodes(self, count: int, path: P.Path) -> None:
        """Count ``count`` objects that one node stands for (a batch of trees) against the
        schema's node limit, like that many separate nodes would be."""
        self._nodes += count
        if self._nodes > self.limits.max_schema_nodes:
            raise LimitError(
                f"more than {self.limits.max_schema_nodes} schema nodes at {P.render(path)}"
            )

    def decode_array(self, raw: Any, path: P.Path, depth: int) -> list[Any]:
        """Decode a field that holds an array of nodes: a msgpack array or a strings node."""
        if type(raw) is list or (type(raw) is dict and raw.get("@") in _COMPACT_TAGS):
            result = self.decode(raw, path, depth)
            if type(result) is list:
                return result
        raise SchemaError("expected an array", path=P.render(path))

    def field(self, node: dict[str, Any], key: str, path: P.Path) -> Any:
        """Decode the field ``key`` of a node, one level below it."""
        return self.decode(node[key], (path, f".{key}"), P.depth(path) + 1)

    def _decode_map(self, node: dict[str, Any], path: P.Path, depth: int) -> Any:
        if depth >= self.limits.max_schema_depth:
            raise LimitError(
                f"schema nests deeper than {self.limits.max_schema_depth} at {P.render(path)}"
            )
        self._nodes += 1
        if self._nodes > self.limits.max_schema_nodes:
            raise LimitError(f"more than {self.limits.max_schema_nodes} schema nodes")
        tag = node.get("@")
        if type(tag) is not str:
            raise SchemaError("map node without a string '@' tag", path=P.render(path))
        keys = list(node)
        # "@" sorts first; all node keys are ASCII. A msgpack map may hold non-str keys, which
        # do not compare with str: the canonical check names the first one.
        if not all(type(k) is str for k in keys) or keys != sorted(keys):
            _canonical.check_sorted_keys(node, P.render(path))
        if tag == "ref":
            return self._resolve(node, path)
        if tag == "list":
            return self._shared_list(node, path, depth)
        entry = self.registry.by_tag.get(tag)
        if entry is None:
            raise UnsupportedTypeError(
                f"type tag {tag!r:.80} is not in this registry", path=P.render(path)
            )
        if self._on_sklearn is not None and tag.startswith("sklearn."):
            check, self._on_sklearn = self._on_sklearn, None
            check()
        have = node.keys() - {"@", "id"}
        if have != entry.fields and not (
            entry.fields <= have and have <= entry.fields | entry.optional
        ):
            missing = sorted(entry.fields - have)
            extra = sorted(have - entry.fields - entry.optional)
            raise SchemaError(
                f"{tag} node: missing fields {missing}, unknown fields {extra}",
                path=P.render(path),
            )
        node_id = node.get("id", _IN_PROGRESS)
        if node_id is not _IN_PROGRESS:
            self._claim_id(node_id, path)
            self._objects[node_id] = _IN_PROGRESS
        obj = entry.decode(node, self, path)
        if node_id is not _IN_PROGRESS:
            self._objects[node_id] = obj
        return obj

    def _claim_id(self, node_id: Any, path: P.Path) -> None:
        if type(node_id) is not int or node_id < 0:
            raise SchemaError("id must be a non-negative integer", path=P.render(path))
        if node_id in self._objects:
            raise SchemaError(f"id {node_id} is defined twice", path=P.render(path))

    def _resolve(self, node: dict[str, Any], path: P.Path) -> Any:
        if list(node) != ["@", "id"]:
            raise SchemaError("ref node must have exactly the keys @, id", path=P.render(path))
        node_id = node["id"]
        if type(node_id) is not int or node_id not in self._objects:
            raise SchemaError(f"ref to undefined id {node_id!r:.20}", path=P.render(path))
        obj = self._objects[node_id]
        if obj is _IN_PROGRESS:
            raise SchemaError("reference cycle", path=P.render(path))
        if node_id > self._referenced:
            raise SchemaError("ids are not numbered in order of first reference",
                              path=P.render(path))
        if node_id == self._referenced:
            self._referenced += 1
        return obj

    def _shared_list(self, node: dict[str, Any], path: P.Path, depth: int) -> list[Any]:
        if list(node) != ["@", "id", "items"] or type(node["items"]) not in _CONTAINERS:
            raise SchemaError("list node must have exactly @, id, items (an array)",
                              path=P.render(path))
        node_id = node["id"]
        self._claim_id(node_id, path)
        self._objects[node_id] = _IN_PROGRESS
        items = self.decode_array(node["items"], path, depth + 1)
        result = items if items is not node["items"] else list(items)
        self._objects[node_id] = result
        return result

    def tensor(self, index: Any, dtype: np.dtype, shape: tuple[int, ...], path: P.Path,
               *, compressed: bool = False) -> Any:
        """A zero-copy view of params tensor ``index``, checked against the schema's claim.

        A ``compressed`` tensor (§5.4) is one zstd frame, decompressed into a new array that is
        writable exactly when the file's buffer is (like the views of a load).
        """
        tensors = self.params.tensors
        if type(index) is not int or not 0 <= index < len(tensors):
            raise ArrayError(f"tensor index {index!r:.20} out of range at {P.render(path)}")
        if self._tensor_used[index]:
            raise ArrayError(f"tensor {index} is used twice (use a ref) at {P.render(path)}")
        self._tensor_used[index] = 1
        info = tensors[index]
        key = alignment_key(info.end - info.start)
        if self._last_by_key.get(key, -1) > index:
            raise ArrayError(f"tensors are not in canonical order at {P.render(path)}")
        self._last_by_key[key] = index
        count = 1
        for dim in shape:
            count *= dim
        if compressed:
            return self._decompress(index, info, dtype, shape, count, path)
        if count * dtype.itemsize != info.end - info.start:
            raise ArrayError(
                f"tensor {index} holds {info.end - info.start} bytes, but dtype {dtype.str} "
                f"and shape {list(shape)} need {count * dtype.itemsize} at {P.render(path)}"
            )
        native = NATIVE_CODES.get(dtype.str)
        expected = (native, shape) if native else ("U8", (count * dtype.itemsize,))
        if (info.code, info.shape) != expected:
            raise ArrayError(
                f"tensor {index} is {info.code}{list(info.shape)}, but the schema says "
                f"{dtype.str}{list(shape)} at {P.render(path)}"
            )
        if count == 0:
            return np.empty(shape, dtype=dtype)
        array = np.frombuffer(self.params.data, dtype=dtype, count=count, offset=info.start)
        return array.reshape(shape)

    def _decompress(self, index: int, info: Any, dtype: np.dtype, shape: tuple[int, ...],
                    count: int, path: P.Path) -> np.ndarray:
        length = info.end - info.start
        if (info.code, info.shape) != ("U8", (length,)):
            raise ArrayError(f"compressed tensor {index} is {info.code}{list(info.shape)}, not "
                             f"U8[{length}] at {P.render(path)}")
        expected = count * dtype.itemsize
        data = decompress(self.params.data[info.start:info.end], expected,
                          self.limits.max_decompressed_bytes - self._decompressed_bytes,
                          f"in tensor {index} at {P.render(path)}")
        self._decompressed_bytes += expected
        self._compressed += 1
        array = np.frombuffer(data, dtype=dtype, count=count).reshape(shape)
        return array if self.params.data.readonly else array.copy()
