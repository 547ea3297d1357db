"""Memory models. Built-ins are registered through the ``neuromem.models`` entry points."""

from .associator import LinearAssociator
from .base import Memory, RecallResult
from .dense import DenseHopfield
from .hebbian import HebbianMemory
from .hopfield import Hopfield
from .mlp import MLP
from .modern import ModernHopfield
from .willshaw import Willshaw

__all__ = [
    "MLP",
    "DenseHopfield",
    "HebbianMemory",
    "Hopfield",
    "LinearAssociator",
    "Memory",
    "ModernHopfield",
    "RecallResult",
    "Willshaw",
]
