"""Row-wise measures of recall quality."""

from __future__ import annotations

import numpy as np

from .errors import ValidationError, described
from .validation import (
    ENCODINGS,
    check_choice,
    check_float,
    check_patterns,
    infer_encoding,
)

__all__ = ["check_mix", "hamming", "overlap", "recall_accuracy"]


def _shape(value) -> tuple[int, ...] | None:
    """The shape of what the caller passed (``None`` where it has none)."""
    try:
        return np.shape(value)
    except (TypeError, ValueError):  # ragged nested lists: check_patterns says so
        return None


def _pair(states, patterns):
    """Both sets as 2-D arrays of one shape; a mismatch is reported as passed."""
    given_s, given_x = _shape(states), _shape(patterns)
    s = check_patterns(states, "states", allow_1d=True)
    x = check_patterns(patterns, "patterns", allow_1d=True)
    if s.shape != x.shape:
        # Name the shapes the caller passed (a 1-D state is promoted to one row here,
        # which is not what they wrote) and say the fix where it is obvious.
        hint = ""
        if s.shape[1] == x.shape[1] and len(given_s) == 1 and len(x) > 1:
            hint = (
                "; to score one state against every pattern, pass "
                "np.broadcast_to(state, patterns.shape)"
            )
        elif s.shape[1] == x.shape[1] and len(given_x) == 1 and len(s) > 1:
            hint = (
                "; to score every state against one pattern, pass "
                "np.broadcast_to(pattern, states.shape)"
            )
        elif s.shape[1] != x.shape[1] and (
            s.size in (x.size, x.shape[1]) or x.size == s.shape[1]
        ):
            hint = (
                "; flatten each 2-D state and pattern (an image) to one row of N "
                "units: .reshape(-1) for one, .reshape(P, -1) for P of them"
            )
        raise ValidationError(
            "states",
            described(f"states of shape {given_s} against patterns of shape {given_x}"),
            "one state per pattern, both of shape (P, N) (or both (N,))" + hint,
        )
    return s, x


def _signed(a: np.ndarray) -> bool:
    """Whether ``a`` is in a signed coding: values in {-1, 0, 1} with at least one -1."""
    return bool(np.any(a == -1)) and bool(np.all((a == -1) | (a == 0) | (a == 1)))


def check_mix(
    s: np.ndarray, x: np.ndarray, encoding: str | None = None, name: str = "states"
) -> None:
    """Refuse states in one encoding scored against patterns in the other.

    - 0/1 states (with a 0 and a 1) against +/-1 patterns (with a -1): every silent
      unit would agree with neither sign, so a perfect recall scores about 0.5 in
      silence. Refused whatever ``encoding`` is given: no encoding scores them right.
    - Signed states (values in {-1, 0, 1} with a -1: +/-1 states, or {-1, 0}) against
      0/1 patterns (``encoding`` ``"binary"``, inferred or given): the sparse overlap
      counts a -1 as a silent unit's opposite, so {-1, 0} states can score 1.0.

    Real-valued states (a modern Hopfield network's) are scored against either.
    """
    if (
        infer_encoding(x) == "bipolar"
        and np.any(x == -1)
        and infer_encoding(s) == "binary"
        and np.any(s == 0)
        and np.any(s == 1)
    ):
        raise ValidationError(
            name,
            described("0/1 states against +/-1 patterns"),
            "states in the patterns' +/-1 encoding (convert with "
            "neuromem.patterns.to_bipolar), or 0/1 patterns (neuromem.patterns."
            "to_binary)",
        )
    binary = (encoding or infer_encoding(x)) == "binary"
    if binary and _signed(s):
        raise ValidationError(
            name,
            described("+/-1 (or -1/0) states against 0/1 patterns"),
            "states in the patterns' 0/1 encoding (convert +/-1 states with "
            "neuromem.patterns.to_binary)",
        )


def _encoding(s: np.ndarray, x: np.ndarray, encoding: str | None) -> str:
    """The encoding the patterns are scored in (see :func:`overlap`)."""
    if encoding is None:
        encoding = infer_encoding(x)
        if encoding == "bipolar" and np.all(x == 1):
            # All-ones patterns are valid in both encodings: the states decide.
            encoding = (
                "binary" if infer_encoding(s) == "binary" and np.any(s == 0) else "bipolar"
            )
    else:
        encoding = check_choice(encoding, "encoding", ENCODINGS)
        check_patterns(x, "patterns", encoding=encoding)
    check_mix(s, x, encoding)
    return encoding


def overlap(
    states: np.ndarray, patterns: np.ndarray, *, encoding: str | None = None
) -> np.ndarray:
    """Row-wise overlap of each state with its pattern: 1 at the pattern.

    - +/-1 (and real-valued) patterns: ``m = (1/N) sum_i xi_i s_i``, in [-1, 1] for
      +/-1 states (real-valued states, a modern Hopfield network's, are used as they
      are).
    - 0/1 patterns: the sparse overlap ``m = sum_i (xi_i - a) s_i / (N a (1 - a))``
      with ``a`` the pattern's own coding level (its fraction of active units), the
      quantity the field of a Tsodyks-Feigel'man network is made of. It is 1 at the
      pattern, 0 for a silent state, about 0 for a random state of any activity
      (exactly 0 for the all-active state), 0.5 for a state that kept half of the
      pattern's active units and no others, and -1 for the complement; for 0/1 states
      it lies in [-1, 1]. A pattern with ``a = 0`` or ``a = 1`` (all silent, all
      active) has no such overlap: its row gets the overlap of the +/-1 forms,
      ``(1/N) sum_i (2 xi_i - 1)(2 s_i - 1) = 1 - 2 d / N`` (``d`` units wrong), 1 at
      the pattern and never NaN.

    Parameters
    ----------
    states, patterns : ndarray, shape (P, N)
        Recalled states and the patterns they should match, row by row.
    encoding : {"bipolar", "binary", "real"}, optional
        The patterns' encoding. By default it is inferred from the patterns: 0/1
        values with at least one 0 are ``"binary"``; +/-1 values ``"bipolar"``;
        anything else ``"real"`` (scored like +/-1). Patterns made only of ones are
        valid in both encodings: they are ``"binary"`` when the states are 0/1 with a
        0, else ``"bipolar"`` (both give 1 when the states are all ones too). Give it
        explicitly where the patterns could be ambiguous. 0/1 patterns require 0/1
        (or real-valued) states: +/-1 states raise ``ValidationError``; so do 0/1
        states against +/-1 patterns, whatever ``encoding`` says.

    Returns
    -------
    ndarray, shape (P,)
    """
    s, x = _pair(states, patterns)
    with np.errstate(over="ignore", invalid="ignore"):
        enc = _encoding(s, x, encoding)
        if enc != "binary":
            m = np.einsum("ij,ij->i", s, x) / s.shape[1]
        else:
            n = s.shape[1]
            # In counts (k active units of N): m = (N s.xi - k sum(s)) / (k (N - k)),
            # exact for 0/1 states (integers), so a recalled pattern scores exactly 1.
            k = x.sum(axis=1)
            m = n * np.einsum("ij,ij->i", s, x) - k * s.sum(axis=1)
            flat = (k == 0) | (k == n)  # all-silent or all-active: the +/-1 overlap
            m[~flat] /= k[~flat] * (n - k[~flat])
            if flat.any():
                m[flat] = (
                    np.einsum("ij,ij->i", 2.0 * s[flat] - 1.0, 2.0 * x[flat] - 1.0) / n
                )
        bad = ~np.isfinite(m)
        if bad.any():
            # A huge state (a cue times 1e307) whose overlap itself fits: the sums
            # overflowed, not the result. Rescore those rows dividing first.
            m[bad] = _overlap_dividing_first(s[bad], x[bad], binary=enc == "binary")
    if not np.all(np.isfinite(m)):
        raise ValidationError(
            "states",
            described("values so large that the overlap overflows"),
            "values whose products with the patterns fit in float64",
        )
    return m


def _overlap_dividing_first(s: np.ndarray, x: np.ndarray, binary: bool) -> np.ndarray:
    """:func:`overlap`'s formulas with each term divided before the sum (rounds
    differently, so used only where the direct sums overflow)."""
    n = s.shape[1]
    if not binary:
        return np.einsum("ij,ij->i", s / n, x)
    k = x.sum(axis=1, keepdims=True)
    flat = ((k == 0) | (k == n)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(flat[:, None], (2.0 * x - 1.0) / n, (n * x - k) / (k * (n - k)))
    m = np.einsum("ij,ij->i", s, v)
    m[flat] = 2.0 * m[flat] - np.mean(2.0 * x[flat] - 1.0, axis=1)
    return m


def hamming(
    states: np.ndarray, patterns: np.ndarray, *, normalize: bool = False
) -> np.ndarray:
    """Row-wise number (or fraction, with ``normalize``) of units that differ."""
    s, x = _pair(states, patterns)
    check_mix(s, x)
    d = np.count_nonzero(s != x, axis=1)
    return d / s.shape[1] if normalize else d


def recall_accuracy(
    states: np.ndarray,
    patterns: np.ndarray,
    *,
    threshold: float = 0.95,
    encoding: str | None = None,
) -> float:
    """Fraction of rows recalled: :func:`overlap` with their own pattern ``>= threshold``.

    For 0/1 patterns that is the sparse overlap, so a silent or random state, or one
    that lost more than 5% of the pattern's active units, does not count as recalled.
    ``encoding`` is passed to :func:`overlap`.
    """
    threshold = check_float(threshold, "threshold", low=-1.0, high=1.0)
    return float(np.mean(overlap(states, patterns, encoding=encoding) >= threshold))
