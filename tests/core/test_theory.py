"""neuromem.theory: the published anchors as data, shared by docs, tests and reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neuromem as nm
from neuromem.models.willshaw import willshaw_capacity
from neuromem.theory import (
    ANCHORS,
    REFERENCES,
    capacity_lines,
    dense_capacity,
    nearest_pattern_capacity,
)

#: The keys the models' and rules' tags may name (the working agreement of the tags).
KEYS = (
    "hopfield-hebbian hopfield-original one-step-error perfect-recall storkey "
    "pseudoinverse gardner dense-polynomial dense-exponential modern willshaw "
    "sparse-tsodyks palimpsest dilution unlearning oja bcm catastrophic-interference "
    "sequence dense-sequence cls pseudo-rehearsal information-per-synapse lif-rate "
    "pair-stdp competitive-stdp triplet-stdp inhibitory-plasticity cell-assemblies"
).split()


def test_every_anchor_is_there_and_cites_a_listed_paper():
    assert sorted(ANCHORS) == sorted(KEYS)
    for key, anchor in ANCHORS.items():
        assert anchor.result and anchor.cite in REFERENCES, key
        assert all(k in REFERENCES for k in anchor.also), key
        assert all(isinstance(v, float) for v in anchor.value.values()), key
    for short, full in REFERENCES.values():
        assert short[-4:].isdigit() and short[-4:] in full


def test_the_numbers_of_theory_md():
    assert ANCHORS["hopfield-hebbian"].value["alpha_c"] == 0.138
    assert ANCHORS["gardner"].value["bits_per_synapse"] == 2.0
    assert ANCHORS["willshaw"].value["bits_per_synapse"] == pytest.approx(0.6931, abs=1e-4)
    assert ANCHORS["dilution"].value["alpha_c"] == pytest.approx(0.6366, abs=1e-4)
    assert ANCHORS["sequence"].value["alpha_c"] == 0.269
    # The one-step error rate erfc(sqrt(N / 2P)) / 2 at the loads THEORY.md quotes.
    for name, rate in (("alpha_0.1%", 1e-3), ("alpha_1%", 1e-2), ("alpha_5%", 5e-2)):
        alpha = ANCHORS["one-step-error"].value[name]
        assert 0.5 * math.erfc(math.sqrt(1 / (2 * alpha))) == pytest.approx(rate, rel=0.12)


def test_capacity_lines_are_the_closed_forms():
    n, ln = 100, math.log(100)
    ((_, hebb, cite),) = capacity_lines("hopfield-hebbian", n)
    assert (hebb, cite) == (0.138, "ags1985")
    assert capacity_lines("perfect-recall", n)[0][1] == pytest.approx(1 / (2 * ln))
    assert capacity_lines("storkey", n)[0][1] == pytest.approx(1 / math.sqrt(2 * ln))
    assert capacity_lines("pseudoinverse", n)[0][1] == 1.0
    a = 0.05
    assert capacity_lines("sparse-tsodyks", 200, a)[0][1] == pytest.approx(
        1 / (2 * a * math.log(1 / a))
    )
    # Willshaw at N = 200, 10 active units: the 1 % line and the line at overlap 0.95
    # (all 10 active units and f = 0.05 * 190 = 9.5 spurious ones).
    loads = [x for _, x, _ in capacity_lines("willshaw", 200, a, threshold=0.95)]
    assert loads == pytest.approx(
        [
            willshaw_capacity(200, 200, 10, 10, fidelity=0.01) / 200,
            willshaw_capacity(200, 200, 10, 10, fidelity=9.5 / 10) / 200,
        ],
        rel=1e-12,
    )
    # Sparse anchors need a coding level; a law without a load gives no line.
    assert capacity_lines("willshaw", 200) == []
    assert capacity_lines("oja", 100) == []
    with pytest.raises(nm.ValidationError, match=r"^key"):
        capacity_lines("hopfield", 100)


def test_every_theory_key_a_model_or_rule_declares_is_an_anchor():
    for name in nm.list_models():
        assert set(nm.get_tags(nm.create(name, n_units=16)).theory) <= set(ANCHORS), name
    for name in nm.list_rules():
        assert set(nm.get_tags(nm.create_rule(name)).theory) <= set(ANCHORS), name


def test_dense_capacity_is_krotov_hopfields_error_free_load():
    # Order 2 is McEliece's N / (2 ln N) patterns; order n divides N^(n-1) by
    # 2 (2n-3)!! ln N.
    for n_units in (32, 100, 1000):
        ln = math.log(n_units)
        assert dense_capacity(n_units, 2) == pytest.approx(1 / (2 * ln))
        assert dense_capacity(n_units, 3) == pytest.approx(n_units / (2 * 3 * ln))
        assert dense_capacity(n_units, 4) == pytest.approx(n_units**2 / (2 * 15 * ln))
    with pytest.raises(nm.ValidationError, match="order"):
        dense_capacity(32, 1)


def test_nearest_pattern_capacity_matches_a_simulation():
    # beta -> inf: a cue with k flipped units is retrieved while no other random pattern
    # is as near. At the predicted P about half of the cues have their own pattern
    # strictly nearest (plain numpy, Hamming distances).
    rng = np.random.default_rng(0)
    for n_units, k in ((10, 1), (12, 1), (16, 2)):
        p = round(n_units * nearest_pattern_capacity(n_units, k))
        fractions = []
        for _ in range(20):
            x = rng.choice([-1, 1], size=(p, n_units))
            cues = x.copy()
            for i in range(p):
                cues[i, rng.choice(n_units, k, replace=False)] *= -1
            dist = (n_units - cues @ x.T) // 2
            own = np.diag(dist).copy()
            np.fill_diagonal(dist, n_units + 1)
            fractions.append(np.mean(dist.min(axis=1) > own))
        assert np.mean(fractions) == pytest.approx(0.5, abs=0.05), (n_units, k)
    assert nearest_pattern_capacity(10, 0) == pytest.approx(
        (1 + math.log(2) / -math.log1p(-(2.0**-10))) / 10
    )
    with pytest.raises(nm.ValidationError, match="cue_units"):
        nearest_pattern_capacity(10, 11)


def test_capacity_lines_of_dense_and_modern_need_their_conditions():
    assert capacity_lines("dense-polynomial", 32) == []
    assert capacity_lines("modern", 10) == []
    ((label, v, cite),) = capacity_lines("dense-polynomial", 32, params={"order": 3})
    assert v == dense_capacity(32, 3) and cite == "krotov2016"
    assert "n = 3" in label
    ((label, v, cite),) = capacity_lines("modern", 10, cue_units=1)
    assert v == nearest_pattern_capacity(10, 1) and cite == "ramsauer2021"
    assert "1 of 10" in label
