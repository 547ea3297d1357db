"""rule.delta / rule.update refuse non-finite and non-real activity, for every rule."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.layout import layout_for
from neuromem.registry import rules

N = 6
X = nm.patterns.random_bipolar(3, N, seed=0)
B = nm.patterns.random_sparse(3, N, coding_level=0.5, seed=0)


def make(name):
    rule = rules.create(name)
    x = B if nm.get_tags(rule).encodings == ("binary",) else X
    signal = x.copy() if rule.uses_signal else None
    return rule, x, signal


def bad_values(x):
    nan, inf = x.copy(), x.copy()
    nan[0, 1] = np.nan
    inf[1, 2] = -np.inf
    return {
        "nan": nan,
        "inf": inf,
        "complex": x + 1j,
        "timedelta": x.astype(np.int64).astype("m8[s]"),
        "object": x.astype(object),
        "masked": np.ma.array(x, mask=np.zeros_like(x, dtype=bool)),
        "strings": x.astype(str),
    }


@pytest.mark.parametrize("name", sorted(rules.names()))
@pytest.mark.parametrize("where", ["pre", "post", "signal"])
def test_delta_and_update_refuse_bad_activity_naming_it(name, where):
    rule, x, signal = make(name)
    if where == "signal" and signal is None:
        signal = x.copy()  # a rule without a third factor still checks one given
    w = np.zeros((N, N))
    ok = rule.delta(x, x, w, signal=signal)
    assert np.all(np.isfinite(np.asarray(ok)))
    for kind, bad in bad_values(x).items():
        args = {"pre": x, "post": x, "signal": signal}
        args[where] = bad
        before = w.copy()
        with pytest.raises(nm.ValidationError) as err:
            rules.create(name).delta(args["pre"], args["post"], w, signal=args["signal"])
        assert err.value.param == where, kind
        with pytest.raises(nm.ValidationError) as err:
            rules.create(name).update(
                w, args["pre"], args["post"], layout_for(w), signal=args["signal"]
            )
        assert err.value.param == where, kind
        np.testing.assert_array_equal(w, before)  # weights untouched


def test_values_that_overflow_the_weight_dtype_are_refused():
    rule = rules.create("hebbian")
    w = np.zeros((N, N), dtype=np.float32)
    with pytest.raises(nm.ValidationError, match=r"float32") as err:
        rule.delta(X * 1e300, X, w)
    assert err.value.param == "pre"


def test_bad_weights_are_refused():
    rule = rules.create("oja")
    for w in (np.zeros((N, N)) + 1j, np.full((N, N), np.nan)):
        with pytest.raises(nm.ValidationError) as err:
            rule.delta(X, X, w)
        assert err.value.param == "weights"


def test_integer_and_bool_activity_is_accepted():
    rule = rules.create("hebbian", learning_rate=1.0)
    d = rule.delta(X.astype(np.int8), (X > 0), np.zeros((N, N)))
    np.testing.assert_allclose(d, (X > 0).T.astype(float) @ X)
