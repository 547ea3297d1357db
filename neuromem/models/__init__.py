"""Memory models. Built-ins are registered through the ``neuromem.models`` entry points."""

from .base import Memory, RecallResult
from .hopfield import Hopfield
from .mlp import MLP

__all__ = ["MLP", "Hopfield", "Memory", "RecallResult"]
