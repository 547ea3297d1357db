"""Firing thresholds of 0/1 units (the Hopfield network's set_threshold), and the checks
of parameters that act only in some settings (a threshold, a temperature), and the
Glauber temperature as the ``beta`` the dynamics use."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import ValidationError
from ..memory import MARGIN, array_bytes
from ..sparse_threshold import SAMPLE as SCAN_SAMPLE
from ..sparse_threshold import SWEEPS as SCAN_SWEEPS
from ..sparse_threshold import relax_binary, retrieval_threshold
from ..validation import (
    check_float,
)


def _check_threshold(threshold: Any) -> float | str:
    if isinstance(threshold, str):
        if threshold != "auto":
            raise ValidationError("threshold", threshold, "a finite number or 'auto'")
        return threshold
    return check_float(threshold, "threshold")


def _check_threshold_range(threshold: float | str, dtype: str) -> None:
    """Refuse a numeric threshold whose bias ``W 1 - 2 theta`` leaves the dtype.

    Without this a threshold of 1e308 (or 1e300 in float32) became an infinite bias,
    reported later, at recall, as oversized *weights*.
    """
    if isinstance(threshold, str):
        return
    limit = float(np.finfo(dtype).max) / 4
    if not abs(threshold) <= limit:
        raise ValidationError(
            "threshold", threshold, f"a threshold of magnitude at most {limit:g} ({dtype})"
        )


def _check_threshold_units(units: str, threshold: float | str) -> None:
    """+/-1 units have no threshold: a number would be silently ignored."""
    if units == "bipolar" and threshold != "auto":
        raise ValidationError(
            "threshold",
            threshold,
            "'auto' (the default) with units='bipolar': only 0/1 units "
            "(units='binary') have a firing threshold",
        )


def _check_stochastic(dynamics: str, temperature: Any, beta: Any) -> None:
    """Refuse a temperature (or beta) where it has no effect: only Glauber dynamics
    draws; ``"sync"`` and ``"async"`` updates are deterministic."""
    if dynamics == "glauber":
        return
    for name, value in (("temperature", temperature), ("beta", beta)):
        if value is not None:
            raise ValidationError(
                name,
                value,
                f"None under dynamics={dynamics!r} (deterministic updates have no "
                "temperature): use dynamics='glauber' for stochastic updates",
            )


#: Temperature of Glauber dynamics when neither ``temperature`` nor ``beta`` is set.
DEFAULT_TEMPERATURE = 0.1


def _inverse_temperature(temperature: Any, beta: Any) -> float:
    """The ``beta`` of Glauber dynamics: given, ``1 / temperature``, or the default."""
    if temperature is not None and beta is not None:
        raise ValidationError(
            "beta", beta, "None when temperature is given (give one of the two)"
        )
    if beta is not None:
        return check_float(beta, "beta", low=0.0, low_inclusive=False)
    if temperature is not None:
        t = check_float(temperature, "temperature", low=0.0, low_inclusive=False)
        with np.errstate(over="ignore"):
            inv = 1.0 / t
        if not np.isfinite(inv):
            # A subnormal temperature made beta infinite: every draw's threshold
            # arctanh(2u - 1) / beta became +/-0, so a tie (field 0) always went to
            # -1 instead of the documented fair coin.
            raise ValidationError(
                "temperature",
                temperature,
                f"a temperature of at least {1 / np.finfo(float).max:g} "
                "(1 / temperature must be a finite beta)",
            )
        return inv
    return 1.0 / DEFAULT_TEMPERATURE


class Thresholds:
    """Firing thresholds of 0/1 units: the Hopfield network's set_threshold."""

    def _threshold_scan(self, work: Any) -> int:
        """Bytes of the scan by which a store of 0/1 units chooses an automatic
        threshold (0 when it scans nothing): a recall of a sample of the stored
        patterns, after their fields, the fields split into active and silent units,
        sorted, joined and their unique values (sparse_threshold.fewest_errors)."""
        if work is None or work.stage != "store":
            return 0
        if self.units != "binary" or self.threshold != "auto":
            return 0
        stored = int(getattr(self, "n_stored_", 0) or 0) + work.n_patterns
        sample = dataclasses.replace(
            work, stage="recall", n_cues=min(SCAN_SAMPLE, stored), given=None
        )
        fields = 7 * array_bytes(stored, self.n_units)
        return self.memory_estimate(sample) + int(MARGIN * fields)

    def set_threshold(self, threshold: float | str = "auto") -> Thresholds:
        """Set the firing threshold of 0/1 units, or re-tune it, after ``store``.

        Parameters
        ----------
        threshold : float or "auto"
            A fixed threshold ``theta`` (unit ``i`` fires when ``sum_j w_ij s_j >
            theta``), or ``"auto"``: the threshold under which the stored patterns are
            retrieved best (see the ``threshold`` parameter). It becomes the model's
            ``threshold`` parameter, so later ``store`` calls keep it (a number) or
            re-tune it (``"auto"``).

        Returns
        -------
        Hopfield
            ``self``; ``threshold_`` holds the threshold in use.
        """
        if self.units != "binary":
            raise ValidationError(
                "units", self.units, "'binary': only 0/1 units have a threshold"
            )
        threshold = _check_threshold(threshold)
        _check_threshold_range(threshold, self.dtype)
        self.threshold = threshold
        self._build()
        self._set_threshold()
        return self

    def _set_threshold(self) -> None:
        """Threshold and the equivalent +/-1 bias ``W 1 - 2 theta`` (0/1 units)."""
        syn = self.synapse_
        w = syn.weights
        if self.threshold == "auto":
            # Chosen for retrieval: the threshold under which the stored patterns,
            # recalled from themselves, are retrieved best (neuromem.sparse_threshold).
            x = self.patterns_
            h = syn.layout.field(syn.values, x)
            theta = retrieval_threshold(
                x, h, relax_binary(syn, min(self.max_steps, SCAN_SWEEPS))
            )
        else:
            theta = float(self.threshold)
        row_sums = np.asarray(w.sum(axis=1)).ravel()
        with np.errstate(over="ignore", invalid="ignore"):
            bias = (row_sums - 2.0 * theta).astype(self.dtype)
        if not np.all(np.isfinite(bias)):
            # theta within range but the weights' row sums near the dtype's limit.
            raise ValidationError(
                "threshold",
                theta,
                f"a threshold whose bias W 1 - 2 theta fits in {self.dtype}",
            )
        self.threshold_ = float(theta)
        syn.bias = bias
