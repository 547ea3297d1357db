"""Memory models. Built-ins are registered through the ``neuromem.models`` entry points."""

from .base import Memory, RecallResult
from .hopfield import Hopfield

__all__ = ["Hopfield", "Memory", "RecallResult"]
