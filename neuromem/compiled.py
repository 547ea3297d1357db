"""The compiled kernels, loaded on first use.

:mod:`neuromem._kernels` imports numba, which takes seconds; ``import neuromem`` must
not. Code that runs a kernel asks for the module here when it runs one. Kernel modules
import nothing from neuromem, so loading them late can form no import cycle.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["kernels"]


def kernels(module: str = "neuromem._kernels") -> ModuleType:
    """The kernel module ``module`` (:mod:`neuromem._kernels` by default; imported on
    the first call)."""
    return importlib.import_module(module)
