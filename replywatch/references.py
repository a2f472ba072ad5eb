"""``module:attribute`` references, loaded when needed.

The platform registry (storage.platforms) names each platform's collector factory and
simulated server this way, and the service's job store names its work this way: the
layer that declares them does not import what they name.
"""

from __future__ import annotations

import importlib
from typing import Any


def load(reference: str) -> Any:
    """The object ``reference`` (``package.module:name``) names; ImportError or
    AttributeError when the installation lacks it."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"{reference!r} is not a reference like package.module:name")
    return getattr(importlib.import_module(module_name), attribute)
