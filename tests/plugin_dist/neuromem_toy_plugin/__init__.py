"""A toy neuromem plugin: one memory model and one learning rule."""

import numpy as np

from neuromem import LearningRule, Memory, RecallResult
from neuromem.validation import check_int, check_patterns


class SignedHebb(LearningRule):
    """Hebb's rule on the signs of the activities: ``dw = eta * sign(post) sign(pre)``."""

    name = "toy-hebb"

    def compute(self, pre, post, w, layout, signal=None):
        return layout.outer(np.sign(post), np.sign(pre))


class NearestPattern(Memory):
    """Recall returns the stored pattern with the largest overlap with the cue."""

    name = "toy-memory"

    def __init__(self, n_units: int, seed=None):
        self.n_units = check_int(n_units, "n_units", low=1)
        self.seed = seed

    def store(self, patterns, targets=None):
        x = check_patterns(patterns, "patterns", n_units=self.n_units, encoding="bipolar")
        old = getattr(self, "patterns_", np.empty((0, self.n_units)))
        self.patterns_ = np.concatenate([old, x])
        return self

    def recall(self, cues):
        c = check_patterns(cues, "cues", n_units=self.n_units)
        best = np.argmax(c @ self.patterns_.T, axis=1)
        n = len(c)
        return RecallResult(self.patterns_[best], np.ones(n, int), np.ones(n, bool))
