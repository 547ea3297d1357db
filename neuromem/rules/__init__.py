"""Learning rules. Built-ins are registered through the ``neuromem.rules`` entry points."""

from .backprop import Backprop
from .base import LearningRule
from .covariance import Covariance
from .hebbian import Hebbian
from .pseudoinverse import PseudoInverse

__all__ = ["Backprop", "Covariance", "Hebbian", "LearningRule", "PseudoInverse"]
