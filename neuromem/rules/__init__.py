"""Learning rules. Built-ins are registered through the ``neuromem.rules`` entry points."""

from .base import LearningRule
from .covariance import Covariance
from .hebbian import Hebbian
from .perceptron import Perceptron
from .pseudoinverse import PseudoInverse
from .storkey import Storkey

__all__ = [
    "Covariance",
    "Hebbian",
    "LearningRule",
    "Perceptron",
    "PseudoInverse",
    "Storkey",
]
