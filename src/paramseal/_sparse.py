"""scipy.sparse matrices and arrays (spec/format.md §6.3).

Native code (scipy's sparsetools, scikit-learn's CSR kernels, libsvm) indexes with ``indptr``
and ``indices`` without bounds checks, and scipy's constructor checks neither the range nor the
order of indices. So every compressed matrix is checked in full before it is built: index dtype,
``indptr`` starts at 0, never decreases and ends at nnz, every index in range, and no index twice
in a row (or column).

Rows keep the order they were stored in: scipy sums a row's products in stored order, so
sorting a matrix that was fitted unsorted (``SparseRandomProjection.components_``) would change
the last bits of ``transform``. A matrix is marked sorted only when its indices are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from . import _paths as P
from .errors import ReconstructionError, UnsupportedTypeError
from .registry import Entry, Registry

_CLASSES: dict[tuple[str, str], type] = {
    ("csr", "matrix"): sp.csr_matrix,
    ("csc", "matrix"): sp.csc_matrix,
    ("csr", "array"): sp.csr_array,
    ("csc", "array"): sp.csc_array,
}
_KINDS = {cls: key for key, cls in _CLASSES.items()}
_INDEX_DTYPES = (np.dtype("<i4"), np.dtype("<i8"))


def encode_sparse(matrix: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    fmt, kind = _KINDS[type(matrix)]
    if not matrix.has_canonical_format and _row_order(matrix.indptr, matrix.indices) is None:
        # duplicate entries mean their sum to scipy: write that sum, once
        matrix = matrix.copy()
        matrix.sum_duplicates()
    return {
        "data": enc.encode(matrix.data, (path, ".data")),
        "format": fmt,
        "indices": enc.encode(matrix.indices, (path, ".indices")),
        "indptr": enc.encode(matrix.indptr, (path, ".indptr")),
        "kind": kind,
        "shape": list(matrix.shape),
    }


def check_compressed(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_major: int, n_minor: int
) -> str | None:
    """The first broken invariant of a compressed (CSR/CSC) structure, or None."""
    if indptr.dtype not in _INDEX_DTYPES or indices.dtype not in _INDEX_DTYPES:
        return "indptr and indices must be int32 or int64"
    if indptr.dtype != indices.dtype:
        return "indptr and indices must share one dtype"
    if indptr.ndim != 1 or indices.ndim != 1 or data.ndim != 1:
        return "indptr, indices and data must be 1-D"
    if data.dtype.kind not in "biufc":
        return "data must be numeric"
    if len(indptr) != n_major + 1:
        return f"indptr has {len(indptr)} entries, expected {n_major + 1}"
    nnz = len(indices)
    if len(data) != nnz:
        return f"data has {len(data)} entries but indices has {nnz}"
    if indptr[0] != 0 or indptr[-1] != nnz:
        return "indptr must start at 0 and end at nnz"
    steps = np.diff(indptr)
    if (steps < 0).any():
        return "indptr must not decrease"
    if nnz and (indices.min() < 0 or indices.max() >= n_minor):
        return f"indices must be in [0, {n_minor})"
    if _row_order(indptr, indices) is None:
        return "an index appears twice within a row"
    return None


def _row_order(indptr: np.ndarray, indices: np.ndarray) -> bool | None:
    """True if every row's indices increase, False if they are unique but some row is out of
    order, None if a row holds an index twice. ``indptr`` must be valid already."""
    nnz = len(indices)
    if nnz < 2:
        return True
    # strictly increasing within each row; a row boundary resets the order
    increasing = indices[1:] > indices[:-1]
    starts = indptr[1:-1]
    increasing[starts[(starts > 0) & (starts < nnz)] - 1] = True
    if increasing.all():
        return True
    n_rows = len(indptr) - 1
    width = int(indices.max()) + 1
    if n_rows * width >= 2**62:  # keys would overflow int64: sort (row, index) pairs instead
        rows = np.repeat(np.arange(n_rows), np.diff(indptr))
        order = np.lexsort((indices, rows))
        same_row = rows[order][1:] == rows[order][:-1]
        return None if (same_row & (indices[order][1:] == indices[order][:-1])).any() else False
    # rows are contiguous runs, so row * width + index is unique iff no row repeats an index
    keys = np.sort(np.repeat(np.arange(n_rows, dtype=np.int64) * width, np.diff(indptr))
                   + indices)
    return None if (keys[1:] == keys[:-1]).any() else False


def decode_sparse(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    fmt, kind, shape = node["format"], node["kind"], node["shape"]
    cls = _CLASSES.get((fmt, kind)) if type(fmt) is str and type(kind) is str else None
    if cls is None:
        raise UnsupportedTypeError(
            f"sparse format {fmt!r:.20}/{kind!r:.20} is not allowed", path=P.render(path)
        )
    name = cls.__name__

    def fail(message: str) -> ReconstructionError:
        return ReconstructionError(message, type_name=f"scipy.sparse.{name}", path=P.render(path))

    if (
        type(shape) is not list
        or len(shape) != 2
        or any(type(d) is not int or not 0 <= d < 2**62 for d in shape)
    ):
        raise fail("shape must be two non-negative integers")
    data = dec.field(node, "data", path)
    indices = dec.field(node, "indices", path)
    indptr = dec.field(node, "indptr", path)
    if not all(type(a) is np.ndarray for a in (data, indices, indptr)):
        raise fail("data, indices and indptr must be arrays")
    n_major, n_minor = (shape[0], shape[1]) if fmt == "csr" else (shape[1], shape[0])
    problem = check_compressed(indptr, indices, data, n_major, n_minor)
    if problem:
        raise fail(problem)
    if indices.dtype == np.int32 and max(shape) >= 2**31:
        raise fail("int32 indices cannot address this shape")
    matrix = cls((data, indices, indptr), shape=tuple(shape), copy=False)
    if matrix.indices.dtype != indices.dtype or matrix.indptr.dtype != indptr.dtype:
        # scipy narrows int64 indices that fit in int32; keep the validated arrays instead:
        # zero-copy, and the same bytes when the matrix is written again.
        matrix.indices, matrix.indptr = indices, indptr
    if matrix.indices is not indices or matrix.indptr is not indptr or matrix.data is not data:
        # anything else scipy built must still hold the checked values.
        problem = check_compressed(matrix.indptr, matrix.indices, matrix.data, n_major, n_minor)
        if problem:
            raise fail(problem)
    if _row_order(indptr, indices):
        matrix.has_sorted_indices = True
        matrix.has_canonical_format = True
    else:  # unique but unsorted: scipy must not take the sorted fast paths
        matrix.has_sorted_indices = False
        matrix.has_canonical_format = False
    return matrix


def register(registry: Registry) -> None:
    fields = frozenset({"data", "format", "indices", "indptr", "kind", "shape"})
    first, *rest = _CLASSES.values()
    registry.add(Entry("sparse", first, encode_sparse, decode_sparse, fields))
    for cls in rest:
        registry.alias(cls, "sparse")
