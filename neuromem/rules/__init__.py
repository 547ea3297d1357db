"""Learning rules. Built-ins are registered through the ``neuromem.rules`` entry points."""

from .anti_hebbian import AntiHebbian
from .backprop import Backprop
from .base import LearningRule, Trace
from .bcm import BCM
from .covariance import Covariance
from .hebbian import Hebbian
from .oja import Oja
from .perceptron import Perceptron
from .pseudoinverse import PseudoInverse
from .storkey import Storkey
from .tsodyks import TsodyksFeigelman

__all__ = [
    "BCM",
    "AntiHebbian",
    "Backprop",
    "Covariance",
    "Hebbian",
    "LearningRule",
    "Oja",
    "Perceptron",
    "PseudoInverse",
    "Storkey",
    "Trace",
    "TsodyksFeigelman",
]
