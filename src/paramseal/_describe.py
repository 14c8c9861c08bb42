"""A summary of a schema for ``inspect``: types, attribute names, array shapes.

It reads the schema as data and rebuilds nothing, so it needs neither the registry nor
scikit-learn. Values are shown, never trusted.
"""

from __future__ import annotations

from typing import Any

from . import _canonical
from . import limits as _limits
from ._params import TensorInfo

_MAX_ITEMS = 8
_MAX_TEXT = 60


def describe_schema(
    schema: memoryview, tensors: tuple[TensorInfo, ...], limits: _limits.Limits
) -> Any:
    _limits.check("schema size", len(schema), limits.max_schema_bytes)
    top = _canonical.decode(schema, what="schema", max_values=limits.max_schema_values)
    root = top.get("root") if type(top) is dict else None
    return _describe(root, 0, limits.max_schema_depth)


def _describe(node: Any, depth: int, max_depth: int) -> Any:
    if depth > max_depth:
        return "…"
    t = type(node)
    if t is list:
        items = [_describe(x, depth + 1, max_depth) for x in node[:_MAX_ITEMS]]
        if len(node) > _MAX_ITEMS:
            items.append(f"… {len(node) - _MAX_ITEMS} more")
        return items
    if t is not dict:
        text = repr(node)
        return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"
    tag = node.get("@")
    if tag == "ndarray":
        out: dict[str, Any] = {"type": "ndarray", "dtype": node.get("dtype"),
                               "shape": node.get("shape")}
        if "tensor" in node:
            out["tensor"] = node["tensor"]
            if node.get("zstd") is True:
                out["zstd"] = True
        elif "items" in node:
            out["items"] = _describe(node["items"], depth + 1, max_depth)
        return out
    if tag == "ref":
        return {"type": "ref", "id": node.get("id")}
    out = {"type": tag}
    if "id" in node:
        out["id"] = node["id"]
    for key, value in node.items():
        if key in ("@", "id"):
            continue
        if key in ("params", "state") and type(value) is dict:
            out[key] = {k: _describe(v, depth + 1, max_depth) for k, v in value.items()}
        else:
            out[key] = _describe(value, depth + 1, max_depth)
    return out
