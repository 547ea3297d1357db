"""The spiking assembly memory: conformance, pattern completion, and how it fails."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.experiments.compare import model_entries
from neuromem.models.assembly import SpikingAssembly
from neuromem.testing import check_memory

N, K = 200, 10


def half_cues(x, seed=2):
    """Each pattern with half of its active units switched off."""
    rng = np.random.default_rng(seed)
    cues = x.copy()
    for c in cues:
        on = np.flatnonzero(c)
        c[rng.choice(on, len(on) // 2, replace=False)] = 0
    return cues


def completion(n_patterns, seed=1):
    x = nm.patterns.random_sparse(n_patterns, N, n_active=K, seed=seed)
    mem = SpikingAssembly(N, seed=0).store(x)
    cues = half_cues(x)
    res = mem.recall(cues)
    rest = x - cues  # the uncued half of each assembly
    hit = (res.states * rest).sum(1) / rest.sum(1)
    others = (1 - x) > 0
    background = mem.recall(np.zeros((1, N))).info["rates"][0]
    return hit, res.info["rates"], others, background


def test_conformance():
    x = nm.patterns.random_sparse(4, 60, n_active=6, seed=0)
    check_memory(SpikingAssembly(60, seed=0), x)


def test_tags_and_registration():
    mem = nm.create("spiking-assembly", n_units=50)
    tags = nm.tags.get_tags(mem)
    assert (tags.family, tags.regime, tags.encodings) == ("spiking", "sparse", ("binary",))
    assert tags.theory == ("cell-assemblies",)
    (entry,) = model_entries(["spiking-assembly"])
    assert entry["regime"] == "sparse" and entry["status"] == ""


def test_half_cue_recalls_the_assembly_and_leaves_the_rest_at_background():
    hit, rates, others, background = completion(5)
    assert hit.mean() >= 0.9 and hit.min() >= 0.6, hit
    # Neurons outside the cued assembly: near the background rate (about 0 Hz with
    # the defaults; at most 2 Hz above it on average).
    assert rates[others].mean() <= background.mean() + 2.0
    assert np.mean(rates[others] > 0) < 0.05


def test_completion_fails_as_assemblies_accumulate():
    """Measured (docs/spiking.md): 5 and 20 assemblies complete; at 60 the overlapping
    assemblies have merged and a half cue lights up much of the network."""
    spurious = []
    for p in (5, 20, 60):
        hit, rates, others, _ = completion(p)
        spurious.append(float(np.mean(rates[others] > 40.0)))
        if p <= 20:
            assert hit.mean() >= 0.9
    assert spurious[0] < 0.01 and spurious[1] < 0.02
    assert spurious[2] > 0.2, spurious


def test_recall_options_and_errors():
    x = nm.patterns.random_sparse(3, 40, n_active=4, seed=0)
    mem = SpikingAssembly(40, seed=0)
    with pytest.raises(nm.ValidationError, match="store"):
        mem.recall(x)
    mem.store(x[:2]).store(x[2:])
    assert mem.n_stored_ == 3
    res = mem.recall(x, record=True)
    assert len(res.info["recordings"]) == 3
    assert res.info["counts"][1].sum() == len(res.info["recordings"][1].times)
    with pytest.raises(nm.ValidationError, match="patterns"):
        mem.store(np.full((1, 40), 0.5))
    with pytest.raises(nm.ValidationError, match="w_max"):
        SpikingAssembly(40, w_max=0.0)
