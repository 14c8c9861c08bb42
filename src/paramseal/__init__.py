"""paramseal: safe, fast serialization of scikit-learn models.

A model is written as a declarative schema (msgpack) plus raw parameter arrays (safetensors),
and rebuilt only through an allowlisted registry of reconstructors: loading never runs code
from the file. The format is specified in spec/format.md.

Start with :func:`dump` and :func:`load`; :func:`inspect` describes a file without loading it.
"""

from __future__ import annotations

from . import errors
from ._api import Inspection, __version__, dump, dumps, inspect, load, load_many, loads
from .cache import Cache
from .keys import PrivateKey, PublicKey
from .limits import Limits
from .policy import Policy, TrustedKey
from .registry import register, supported_types
from .store import Store

__all__ = [
    "Cache",
    "Inspection",
    "Limits",
    "Policy",
    "PrivateKey",
    "PublicKey",
    "Store",
    "TrustedKey",
    "__version__",
    "dump",
    "dumps",
    "errors",
    "inspect",
    "load",
    "load_many",
    "loads",
    "register",
    "supported_types",
]
