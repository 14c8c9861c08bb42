"""paramseal: safe, fast serialization of scikit-learn models.

A model is written as a declarative schema (msgpack) plus raw parameter arrays (safetensors),
and rebuilt only through an allowlisted registry of reconstructors: loading never runs code
from the file. The format is specified in spec/format.md.

Start with :func:`dump` and :func:`load`; :func:`inspect` describes a file without loading it.
"""

from __future__ import annotations

from . import errors
from ._api import Inspection, __version__, dump, dumps, inspect, load, loads
from .keys import PrivateKey, PublicKey
from .limits import Limits
from .policy import Policy, TrustedKey
from .registry import register, supported_types

__all__ = [
    "Inspection",
    "Limits",
    "Policy",
    "PrivateKey",
    "PublicKey",
    "TrustedKey",
    "__version__",
    "dump",
    "dumps",
    "errors",
    "inspect",
    "load",
    "loads",
    "register",
    "supported_types",
]
