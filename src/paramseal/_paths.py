"""Paths into the object being written or read (``$.steps[1][1].coef_``), built lazily.

A path is a chain of ``(parent, step)`` tuples, cheap to extend on the hot path; it is turned
into text only when an error names it.
"""

from __future__ import annotations

from typing import Any

Path = Any  # "$" or tuple(parent Path, step str); recursive aliases confuse mypy.

ROOT: Path = "$"


def child(parent: Path, step: str) -> Path:
    return (parent, step)


def render(path: Path) -> str:
    steps = []
    while type(path) is tuple:
        path, step = path
        steps.append(step)
    return str(path) + "".join(reversed(steps))


def depth(path: Path) -> int:
    n = 0
    while type(path) is tuple:
        path = path[0]
        n += 1
    return n
