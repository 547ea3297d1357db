"""Learning rules. Built-ins are registered through the ``neuromem.rules`` entry points."""

from .base import LearningRule
from .hebbian import Hebbian
from .pseudoinverse import PseudoInverse

__all__ = ["Hebbian", "LearningRule", "PseudoInverse"]
